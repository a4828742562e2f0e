//! Marker scraping and the pass/fail decision.

mod ansi;
mod judge;
mod marker;
mod scanner;

pub use ansi::{strip_ansi, strip_ansi_into};
pub use judge::{Verdict, judge};
pub use marker::{MarkerError, MarkerFound, MarkerPolicy, Markers};
pub use scanner::{CUT_NOTE, DEFAULT_MAX_LINE, LineScanner, clean_line};
