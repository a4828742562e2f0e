//! The pass/fail decision from the exit code and the last line of output.

use super::marker::{MarkerFound, MarkerPolicy};

/// How many characters of the last line a reason quotes.
const QUOTED_LINE_CHARS: usize = 200;

/// The outcome of a test command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Exit code 0 and (unless markers are off) the success marker on the last line.
    pub passed: bool,
    /// What the last line was.
    pub marker: MarkerFound,
    /// The exit code of the test command.
    pub exit_code: i64,
    /// Why, in words, for people: e.g. `exit code 3 (the last line was the success marker)`.
    pub reason: String,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = if self.passed { "passed" } else { "failed" };
        write!(f, "{word}: {}", self.reason)
    }
}

/// Decides whether a test command passed.
///
/// It passes only if `exit_code` is 0 **and** `last_line` equals the success marker (see
/// [`Markers`](super::Markers) for the matching rule). It fails when the last line is the
/// failure marker, when the exit code is not 0, or when the last line is no marker; with
/// [`MarkerPolicy::ExitCodeOnly`] the exit code alone decides. `last_line` is
/// [`LineScanner::last_line`](super::LineScanner::last_line) after `finish`: `None` means the
/// command printed nothing but blank lines.
///
/// ```
/// use dockhand::verdict::{judge, MarkerFound, MarkerPolicy};
///
/// let verdict = judge(3, Some("Result: SUCCESS!"), &MarkerPolicy::default());
/// assert!(!verdict.passed);
/// assert_eq!(verdict.marker, MarkerFound::Success);
/// assert_eq!(verdict.reason, "exit code 3 (the last line was the success marker)");
/// ```
pub fn judge(exit_code: i64, last_line: Option<&str>, policy: &MarkerPolicy) -> Verdict {
    let exit = describe_exit_code(exit_code);
    let (passed, marker, reason) = match policy {
        MarkerPolicy::ExitCodeOnly => (
            exit_code == 0,
            MarkerFound::NotChecked,
            format!("{exit} (result marker not checked)"),
        ),
        MarkerPolicy::Required(markers) => {
            let marker = last_line.map_or(MarkerFound::Missing, |line| markers.classify(line));
            match (exit_code, marker) {
                (0, MarkerFound::Success) => (
                    true,
                    marker,
                    "exit code 0 and the last line is the success marker".to_owned(),
                ),
                (_, MarkerFound::Success) => (
                    false,
                    marker,
                    format!("{exit} (the last line was the success marker)"),
                ),
                (_, MarkerFound::Failure) => (
                    false,
                    marker,
                    format!("the last line is the failure marker ({exit})"),
                ),
                (code, _) => {
                    let missing = match last_line {
                        None => "no output".to_owned(),
                        Some(line) => format!(
                            "no result marker on the last line (last line: {})",
                            quote_line(line)
                        ),
                    };
                    let reason = if code == 0 {
                        missing
                    } else {
                        format!("{exit} and {missing}")
                    };
                    (false, MarkerFound::Missing, reason)
                }
            }
        }
    };
    Verdict {
        passed,
        marker,
        exit_code,
        reason,
    }
}

/// `exit code N`, naming the signal for the shell convention 128 + N.
fn describe_exit_code(code: i64) -> String {
    let signal = match code - 128 {
        2 => Some("SIGINT"),
        6 => Some("SIGABRT"),
        9 => Some("SIGKILL, e.g. out of memory"),
        11 => Some("SIGSEGV"),
        15 => Some("SIGTERM"),
        _ => None,
    };
    match signal {
        Some(name) => format!("exit code {code} (killed by {name})"),
        None => format!("exit code {code}"),
    }
}

/// The line in double quotes with escapes, shortened to [`QUOTED_LINE_CHARS`] characters.
fn quote_line(line: &str) -> String {
    match line.char_indices().nth(QUOTED_LINE_CHARS) {
        Some((end, _)) => format!("{:?}…", &line[..end]),
        None => format!("{line:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{LineScanner, Markers};

    fn required() -> MarkerPolicy {
        MarkerPolicy::default()
    }

    /// Scans `output` in one chunk and judges it with the default markers.
    fn judge_output(exit_code: i64, output: &[u8]) -> Verdict {
        let mut scanner = LineScanner::default();
        scanner.push(output, |_| {});
        scanner.finish(|_| {});
        judge(exit_code, scanner.last_line(), &required())
    }

    #[test]
    fn success_marker_and_exit_zero_pass() {
        let verdict = judge_output(0, b"ran 12 tests\nResult: SUCCESS!\n");
        assert_eq!(
            verdict,
            Verdict {
                passed: true,
                marker: MarkerFound::Success,
                exit_code: 0,
                reason: "exit code 0 and the last line is the success marker".to_owned(),
            }
        );
    }

    #[test]
    fn failure_marker_fails_even_with_exit_zero() {
        let verdict = judge_output(0, b"1 failed\nResult: FAILURE!\n");
        assert!(!verdict.passed);
        assert_eq!(verdict.marker, MarkerFound::Failure);
        assert_eq!(
            verdict.reason,
            "the last line is the failure marker (exit code 0)"
        );
    }

    #[test]
    fn success_marker_followed_by_other_output_fails() {
        let verdict = judge_output(0, b"Result: SUCCESS!\nshutting down\n");
        assert!(!verdict.passed);
        assert_eq!(verdict.marker, MarkerFound::Missing);
        assert_eq!(
            verdict.reason,
            "no result marker on the last line (last line: \"shutting down\")"
        );
    }

    #[test]
    fn non_zero_exit_after_success_marker_fails() {
        let verdict = judge_output(3, b"Result: SUCCESS!\n");
        assert!(!verdict.passed);
        assert_eq!(verdict.marker, MarkerFound::Success);
        assert_eq!(verdict.exit_code, 3);
        assert_eq!(
            verdict.reason,
            "exit code 3 (the last line was the success marker)"
        );
    }

    #[test]
    fn no_marker_fails() {
        let verdict = judge_output(0, b"all good, trust me\n");
        assert!(!verdict.passed);
        assert_eq!(verdict.marker, MarkerFound::Missing);
        assert_eq!(
            verdict.reason,
            "no result marker on the last line (last line: \"all good, trust me\")"
        );
    }

    #[test]
    fn non_zero_exit_without_marker_names_both() {
        let verdict = judge_output(137, b"Killed\n");
        assert!(!verdict.passed);
        assert_eq!(
            verdict.reason,
            "exit code 137 (killed by SIGKILL, e.g. out of memory) and no result marker on the \
             last line (last line: \"Killed\")"
        );
    }

    #[test]
    fn marker_mid_output_only_does_not_count() {
        let verdict = judge_output(0, b"Result: SUCCESS!\nResult: SUCCESS! said the last run\n");
        assert!(!verdict.passed);
        assert_eq!(verdict.marker, MarkerFound::Missing);
    }

    #[test]
    fn crlf_output_passes() {
        let verdict = judge_output(0, b"ok\r\nResult: SUCCESS!\r\n");
        assert!(verdict.passed, "{verdict}");
    }

    #[test]
    fn ansi_colour_around_marker_passes() {
        let verdict = judge_output(0, b"\x1b[1m\x1b[32mResult: SUCCESS!\x1b[0m\x1b[K\n");
        assert!(verdict.passed, "{verdict}");
    }

    #[test]
    fn marker_without_final_newline_passes() {
        let verdict = judge_output(0, b"tests ok\nResult: SUCCESS!");
        assert!(verdict.passed, "{verdict}");
    }

    #[test]
    fn trailing_blank_lines_are_skipped() {
        let verdict = judge_output(0, b"Result: SUCCESS!\n\n   \n\r\n");
        assert!(verdict.passed, "{verdict}");
    }

    #[test]
    fn indented_marker_does_not_count() {
        let verdict = judge_output(0, b"  Result: SUCCESS!\n");
        assert!(!verdict.passed);
        assert_eq!(verdict.marker, MarkerFound::Missing);
    }

    #[test]
    fn invalid_utf8_before_marker_still_passes() {
        let verdict = judge_output(0, b"\xff\xfe\xfd garbage\nResult: SUCCESS!\n");
        assert!(verdict.passed, "{verdict}");
        let verdict = judge_output(0, b"Result: SUCCESS!\xff\n");
        assert!(!verdict.passed);
        assert_eq!(
            verdict.reason,
            "no result marker on the last line (last line: \"Result: SUCCESS!\u{fffd}\")"
        );
    }

    #[test]
    fn empty_output_fails_with_no_output() {
        let verdict = judge_output(0, b"");
        assert!(!verdict.passed);
        assert_eq!(verdict.marker, MarkerFound::Missing);
        assert_eq!(verdict.reason, "no output");
        assert_eq!(judge_output(2, b"\n\n").reason, "exit code 2 and no output");
    }

    #[test]
    fn very_long_last_line_is_quoted_short_and_never_matches() {
        let mut output = b"Result: SUCCESS!".to_vec();
        output.extend(std::iter::repeat_n(b'x', 3 << 20));
        let verdict = judge_output(0, &output);
        assert!(!verdict.passed);
        assert_eq!(verdict.marker, MarkerFound::Missing);
        assert!(verdict.reason.len() < 400, "{}", verdict.reason);
        assert!(verdict.reason.contains("\"Result: SUCCESS!xxx"));
        assert!(verdict.reason.ends_with("…)"), "{}", verdict.reason);
    }

    #[test]
    fn every_chunk_split_gives_the_same_verdict() {
        let output: &[u8] = b"progress \x1b[33m50%\x1b[0m\r\nok \xe2\x9c\x93\r\n\x1b[32mResult: SUCCESS!\x1b[0m\r\n";
        for at in 0..=output.len() {
            let mut scanner = LineScanner::default();
            scanner.push(&output[..at], |_| {});
            scanner.push(&output[at..], |_| {});
            scanner.finish(|_| {});
            let verdict = judge(0, scanner.last_line(), &required());
            assert!(verdict.passed, "split at {at}: {verdict}");
        }
    }

    #[test]
    fn no_marker_mode_judges_by_exit_code_alone() {
        let pass = judge(0, None, &MarkerPolicy::ExitCodeOnly);
        assert!(pass.passed);
        assert_eq!(pass.marker, MarkerFound::NotChecked);
        assert_eq!(pass.reason, "exit code 0 (result marker not checked)");
        let fail = judge(1, Some("Result: SUCCESS!"), &MarkerPolicy::ExitCodeOnly);
        assert!(!fail.passed);
        assert_eq!(fail.reason, "exit code 1 (result marker not checked)");
    }

    #[test]
    fn custom_markers_are_used() {
        let policy = MarkerPolicy::Required(Markers {
            success: "ALL GREEN".to_owned(),
            failure: "RED".to_owned(),
        });
        assert!(judge(0, Some("ALL GREEN"), &policy).passed);
        assert!(!judge(0, Some("Result: SUCCESS!"), &policy).passed);
        assert_eq!(judge(0, Some("RED"), &policy).marker, MarkerFound::Failure);
    }

    #[test]
    fn display_says_passed_or_failed() {
        assert_eq!(
            judge(5, None, &MarkerPolicy::ExitCodeOnly).to_string(),
            "failed: exit code 5 (result marker not checked)"
        );
    }
}
