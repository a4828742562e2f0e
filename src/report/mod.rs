//! Run events rendered for people (console) and for CI (JUnit XML).
