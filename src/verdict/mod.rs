//! Marker scraping and the pass/fail decision.
