//! Result markers and how the last line of output is matched against them.

use thiserror::Error;

/// The two lines a test command prints last to state its result.
///
/// Matching is done on the last non-empty line of the output only (never anywhere else), after
/// escape sequences and trailing spaces, tabs and `\r` are removed: that line must **equal** the
/// marker. Leading whitespace is not allowed, and text after the marker makes it a different
/// line, so `Result: SUCCESS! (3 skipped)` is no marker. A `\r` inside the line is kept: a
/// progress display that a terminal would show overwritten by the marker (`50%\rResult:
/// SUCCESS!`) does not count, so print the marker on a line of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markers {
    /// The line that says the tests passed; default `Result: SUCCESS!`.
    pub success: String,
    /// The line that says the tests failed; default `Result: FAILURE!`.
    pub failure: String,
}

impl Default for Markers {
    fn default() -> Self {
        Self {
            success: "Result: SUCCESS!".to_owned(),
            failure: "Result: FAILURE!".to_owned(),
        }
    }
}

/// A marker setting that could never match a line.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MarkerError {
    /// The marker is empty (or only whitespace).
    #[error("the {which} marker is empty")]
    Empty {
        /// `success` or `failure`.
        which: &'static str,
    },
    /// The marker has a line break, leading or trailing whitespace, or a control character.
    #[error(
        "the {which} marker {marker:?} has a line break, a control character or whitespace at \
         either end; it must equal one whole printed line"
    )]
    NotALine {
        /// `success` or `failure`.
        which: &'static str,
        /// The marker as configured.
        marker: String,
    },
    /// Both markers are the same text.
    #[error("the success and failure markers are both {marker:?}; they must differ")]
    Same {
        /// The marker as configured.
        marker: String,
    },
}

impl Markers {
    /// Checks that each marker can equal a cleaned output line and that they differ.
    pub fn validate(&self) -> Result<(), MarkerError> {
        for (which, marker) in [("success", &self.success), ("failure", &self.failure)] {
            if marker.trim().is_empty() {
                return Err(MarkerError::Empty { which });
            }
            let bad_edge = marker.trim() != marker.as_str();
            if bad_edge || marker.chars().any(char::is_control) {
                return Err(MarkerError::NotALine {
                    which,
                    marker: marker.clone(),
                });
            }
        }
        if self.success == self.failure {
            return Err(MarkerError::Same {
                marker: self.success.clone(),
            });
        }
        Ok(())
    }

    /// Which marker, if any, `last_line` is.
    ///
    /// `last_line` should be [`LineScanner::last_line`](super::LineScanner::last_line); trailing
    /// spaces, tabs and `\r` are ignored here as well.
    pub fn classify(&self, last_line: &str) -> MarkerFound {
        let line = last_line.trim_end_matches([' ', '\t', '\r']);
        if line == self.success {
            MarkerFound::Success
        } else if line == self.failure {
            MarkerFound::Failure
        } else {
            MarkerFound::Missing
        }
    }
}

/// Whether the result markers decide the verdict together with the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerPolicy {
    /// Pass only with exit code 0 and the success marker on the last line.
    Required(Markers),
    /// `--no-marker`: the exit code alone decides.
    ExitCodeOnly,
}

impl Default for MarkerPolicy {
    fn default() -> Self {
        Self::Required(Markers::default())
    }
}

/// What the last line of output turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkerFound {
    /// The last line is the success marker.
    Success,
    /// The last line is the failure marker.
    Failure,
    /// The last line is no marker, or there was no output.
    Missing,
    /// Markers were not checked (`--no-marker`).
    NotChecked,
}

impl MarkerFound {
    /// A short lowercase name for reports: `success`, `failure`, `missing`, `not-checked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Missing => "missing",
            Self::NotChecked => "not-checked",
        }
    }
}

impl std::fmt::Display for MarkerFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_line_must_equal_the_marker() {
        let markers = Markers::default();
        assert_eq!(markers.classify("Result: SUCCESS!"), MarkerFound::Success);
        assert_eq!(
            markers.classify("Result: SUCCESS! \t\r"),
            MarkerFound::Success
        );
        assert_eq!(markers.classify("Result: FAILURE!"), MarkerFound::Failure);
        assert_eq!(markers.classify(" Result: SUCCESS!"), MarkerFound::Missing);
        assert_eq!(markers.classify("Result: SUCCESS!!"), MarkerFound::Missing);
        assert_eq!(
            markers.classify("tests done. Result: SUCCESS!"),
            MarkerFound::Missing
        );
        assert_eq!(markers.classify("result: success!"), MarkerFound::Missing);
        assert_eq!(
            markers.classify("50%\rResult: SUCCESS!"),
            MarkerFound::Missing
        );
    }

    #[test]
    fn default_markers_are_valid() {
        assert_eq!(Markers::default().validate(), Ok(()));
    }

    #[test]
    fn unusable_markers_are_rejected() {
        let with = |success: &str, failure: &str| Markers {
            success: success.to_owned(),
            failure: failure.to_owned(),
        };
        assert_eq!(
            with(" ", "F").validate(),
            Err(MarkerError::Empty { which: "success" })
        );
        assert!(matches!(
            with("OK", "FAIL ").validate(),
            Err(MarkerError::NotALine {
                which: "failure",
                ..
            })
        ));
        assert!(matches!(
            with("O\nK", "FAIL").validate(),
            Err(MarkerError::NotALine {
                which: "success",
                ..
            })
        ));
        assert!(matches!(
            with("same", "same").validate(),
            Err(MarkerError::Same { .. })
        ));
    }
}
