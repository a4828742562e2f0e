//! Streaming line scanner for container output: bounded memory, tracks the last non-empty line.

use super::ansi::strip_ansi_into;

/// How many bytes of each line [`LineScanner::default`] keeps: enough for any result marker.
pub const DEFAULT_MAX_LINE: usize = 4096;

/// Appended to a line that was longer than the scanner's `max_line` (after its kept prefix).
///
/// A cut line therefore never equals a result marker.
pub const CUT_NOTE: &str = " [… line cut]";

/// Splits a stream of output chunks into lines and remembers the last non-empty one.
///
/// Feed it the raw bytes as they arrive with [`push`](Self::push); chunks may split lines, UTF-8
/// characters, `\r\n` and escape sequences anywhere. Call [`finish`](Self::finish) at the end of
/// the stream so an unterminated last line is counted.
///
/// # Bounded memory
///
/// Only the first `max_line` bytes of any line are kept (4 KiB by default), however long the
/// line and however large the whole output. A line is judged by that prefix: if the bytes past
/// it hold anything other than spaces, tabs or carriage returns, the line is *cut* and gets
/// [`CUT_NOTE`] appended, so it can never match a result marker. Memory use is
/// `O(max_line)`; a 1 GiB output without a newline costs no more than a short one.
///
/// # Lines
///
/// Lines end at `\n`. Each complete line is handed to the `on_line` callback of `push`/`finish`
/// for live printing: lossy UTF-8, without the line ending and trailing spaces, tabs and `\r`,
/// with escape sequences left in (a terminal renders the colours), plus [`CUT_NOTE`] if cut.
///
/// [`last_line`](Self::last_line) is the last line that is not empty after cleaning: escape
/// sequences removed, invalid UTF-8 replaced by U+FFFD, trailing spaces, tabs and `\r`
/// removed. Leading whitespace is kept.
///
/// ```
/// use dockhand::verdict::LineScanner;
///
/// let mut scanner = LineScanner::default();
/// let mut printed = Vec::new();
/// scanner.push(b"running tests\r\nResult: SUC", |line| printed.push(line.to_owned()));
/// scanner.push(b"CESS!", |line| printed.push(line.to_owned()));
/// scanner.finish(|line| printed.push(line.to_owned()));
/// assert_eq!(printed, ["running tests", "Result: SUCCESS!"]);
/// assert_eq!(scanner.last_line(), Some("Result: SUCCESS!"));
/// ```
#[derive(Debug, Clone)]
pub struct LineScanner {
    max_line: usize,
    /// The kept prefix (at most `max_line` bytes) of the line being read.
    partial: Vec<u8>,
    /// Whether the line being read has any bytes, kept or not.
    in_line: bool,
    /// Whether the line being read has non-blank bytes past `max_line`.
    cut: bool,
    last_line: Option<String>,
    /// Scratch space for escape-stripping, reused between lines.
    stripped: Vec<u8>,
}

impl Default for LineScanner {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINE)
    }
}

impl LineScanner {
    /// A scanner that keeps the first `max_line` bytes of each line (at least 1).
    ///
    /// Use [`DEFAULT_MAX_LINE`] unless markers longer than that are configured: a marker
    /// longer than `max_line` bytes can never match.
    pub fn new(max_line: usize) -> Self {
        let max_line = max_line.max(1);
        Self {
            max_line,
            partial: Vec::with_capacity(max_line.min(DEFAULT_MAX_LINE)),
            in_line: false,
            cut: false,
            last_line: None,
            stripped: Vec::new(),
        }
    }

    /// Feeds the next chunk of output; calls `on_line` for each line it completes.
    pub fn push(&mut self, chunk: &[u8], mut on_line: impl FnMut(&str)) {
        let mut rest = chunk;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            self.take(&rest[..end]);
            self.end_line(&mut on_line);
            rest = &rest[end + 1..];
        }
        self.take(rest);
    }

    /// Ends the stream: an unterminated last line is completed and passed to `on_line`.
    ///
    /// The scanner may be fed again afterwards; the next byte starts a new line.
    pub fn finish(&mut self, mut on_line: impl FnMut(&str)) {
        if self.in_line {
            self.end_line(&mut on_line);
        }
    }

    /// The last non-empty line seen so far (cleaned as described on [`LineScanner`]).
    ///
    /// An unterminated line only counts once [`finish`](Self::finish) has been called.
    pub fn last_line(&self) -> Option<&str> {
        self.last_line.as_deref()
    }

    /// The number of bytes kept of each line.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    fn take(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.in_line = true;
        let room = self.max_line - self.partial.len();
        let (kept, dropped) = bytes.split_at(room.min(bytes.len()));
        self.partial.extend_from_slice(kept);
        if !self.cut {
            self.cut = dropped.iter().any(|b| !matches!(b, b' ' | b'\t' | b'\r'));
        }
    }

    fn end_line(&mut self, on_line: &mut impl FnMut(&str)) {
        let printed = String::from_utf8_lossy(trim_line_end(&self.partial));
        if self.cut {
            on_line(&format!("{printed}{CUT_NOTE}"));
        } else {
            on_line(&printed);
        }

        self.stripped.clear();
        strip_ansi_into(&self.partial, &mut self.stripped);
        let clean = String::from_utf8_lossy(trim_line_end(&self.stripped));
        if !clean.is_empty() || self.cut {
            let last = self.last_line.get_or_insert_with(String::new);
            last.clear();
            last.push_str(&clean);
            if self.cut {
                last.push_str(CUT_NOTE);
            }
        }

        self.partial.clear();
        self.in_line = false;
        self.cut = false;
    }
}

/// Cleans one line (without its `\n`) the way [`LineScanner::last_line`] reports it: escape
/// sequences removed, lossy UTF-8, trailing spaces, tabs and `\r` removed.
pub fn clean_line(raw: &[u8]) -> String {
    let mut stripped = Vec::with_capacity(raw.len());
    strip_ansi_into(raw, &mut stripped);
    String::from_utf8_lossy(trim_line_end(&stripped)).into_owned()
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |i| i + 1);
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: the last non-empty cleaned line of the whole buffer, with the same cut rule.
    fn reference_last_line(output: &[u8], max_line: usize) -> Option<String> {
        let mut last = None;
        for line in output.split(|&b| b == b'\n') {
            let kept = &line[..line.len().min(max_line)];
            let cut = line[kept.len()..]
                .iter()
                .any(|b| !matches!(b, b' ' | b'\t' | b'\r'));
            let mut text = clean_line(kept);
            if cut {
                text.push_str(CUT_NOTE);
            }
            if !text.is_empty() {
                last = Some(text);
            }
        }
        last
    }

    fn scan_chunks(chunks: &[&[u8]], max_line: usize) -> (Vec<String>, Option<String>) {
        let mut scanner = LineScanner::new(max_line);
        let mut lines = Vec::new();
        for chunk in chunks {
            scanner.push(chunk, |line| lines.push(line.to_owned()));
        }
        scanner.finish(|line| lines.push(line.to_owned()));
        (lines, scanner.last_line().map(str::to_owned))
    }

    fn scan(output: &[u8]) -> Option<String> {
        scan_chunks(&[output], DEFAULT_MAX_LINE).1
    }

    #[test]
    fn last_line_is_the_last_non_empty_one() {
        assert_eq!(scan(b"a\nb\n\n  \t\n").as_deref(), Some("b"));
    }

    #[test]
    fn crlf_is_removed() {
        let (lines, last) = scan_chunks(&[b"one\r\nResult: SUCCESS!\r\n\r\n"], 4096);
        assert_eq!(lines, ["one", "Result: SUCCESS!", ""]);
        assert_eq!(last.as_deref(), Some("Result: SUCCESS!"));
    }

    #[test]
    fn missing_final_newline_counts_after_finish() {
        let mut scanner = LineScanner::default();
        scanner.push(b"first\nlast", |_| {});
        assert_eq!(scanner.last_line(), Some("first"));
        let mut tail = Vec::new();
        scanner.finish(|line| tail.push(line.to_owned()));
        assert_eq!(tail, ["last"]);
        assert_eq!(scanner.last_line(), Some("last"));
    }

    #[test]
    fn empty_output_has_no_last_line() {
        let (lines, last) = scan_chunks(&[b"", b""], 4096);
        assert!(lines.is_empty());
        assert_eq!(last, None);
        assert_eq!(scan(b"\n\n \r\n"), None);
    }

    #[test]
    fn ansi_is_removed_from_the_last_line_but_kept_for_printing() {
        let (lines, last) = scan_chunks(&[b"\x1b[32mResult: SUCCESS!\x1b[0m\n"], 4096);
        assert_eq!(lines, ["\x1b[32mResult: SUCCESS!\x1b[0m"]);
        assert_eq!(last.as_deref(), Some("Result: SUCCESS!"));
    }

    #[test]
    fn a_line_of_only_escape_codes_is_empty() {
        assert_eq!(scan(b"real\n\x1b[0m\x1b[K\n").as_deref(), Some("real"));
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(
            scan(b"bad \xff\xfe bytes\n").as_deref(),
            Some("bad \u{fffd}\u{fffd} bytes")
        );
    }

    #[test]
    fn utf8_split_across_chunks_survives() {
        let text = "Ergebnis: grün ✓\n".as_bytes();
        for at in 0..=text.len() {
            let (first, second) = text.split_at(at);
            assert_eq!(
                scan_chunks(&[first, second], 4096).1.as_deref(),
                Some("Ergebnis: grün ✓")
            );
        }
    }

    #[test]
    fn every_split_position_gives_the_same_result() {
        let output: &[u8] =
            b"starting\r\n\x1b[1;31mred\x1b[0m line\n\xf0\x9f\x98\x80 emoji\r\n\n\x1b[32mResult: SUCCESS!\x1b[0m  \r\n\r\n";
        let expected = reference_last_line(output, 4096);
        assert_eq!(expected.as_deref(), Some("Result: SUCCESS!"));
        let (whole_lines, _) = scan_chunks(&[output], 4096);
        for a in 0..=output.len() {
            for b in a..=output.len() {
                let chunks = [&output[..a], &output[a..b], &output[b..]];
                let (lines, last) = scan_chunks(&chunks, 4096);
                assert_eq!(last, expected, "split at {a} and {b}");
                assert_eq!(lines, whole_lines, "split at {a} and {b}");
            }
        }
        // One byte per chunk.
        let bytes: Vec<&[u8]> = output.chunks(1).collect();
        assert_eq!(scan_chunks(&bytes, 4096).1, expected);
    }

    #[test]
    fn long_line_is_cut_and_memory_stays_bounded() {
        let mut scanner = LineScanner::new(64);
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..64 {
            scanner.push(&chunk, |_| panic!("no line is complete yet"));
        }
        assert!(scanner.partial.capacity() <= DEFAULT_MAX_LINE);
        let mut printed = Vec::new();
        scanner.finish(|line| printed.push(line.to_owned()));
        let expected = format!("{}{CUT_NOTE}", "x".repeat(64));
        assert_eq!(printed, std::slice::from_ref(&expected));
        assert_eq!(scanner.last_line(), Some(expected.as_str()));
    }

    #[test]
    fn marker_with_long_trailing_blanks_is_not_cut() {
        let mut output = b"Result: SUCCESS!".to_vec();
        output.extend(std::iter::repeat_n(b' ', 10_000));
        output.extend(b"\r\n");
        assert_eq!(scan(&output).as_deref(), Some("Result: SUCCESS!"));
    }

    #[test]
    fn long_line_with_marker_prefix_is_cut() {
        let mut output = b"Result: SUCCESS!".to_vec();
        output.extend(std::iter::repeat_n(b' ', 5000));
        output.extend(b"trailing words\n");
        let last = scan(&output).unwrap_or_default();
        assert!(last.starts_with("Result: SUCCESS!"));
        assert!(last.ends_with(CUT_NOTE));
    }

    #[test]
    fn cut_lines_match_the_reference_at_small_limits() {
        let output: &[u8] = b"abcdef\nab  \t\r\n\x1b[31mabc\x1b[0m\n\xe2\x9c\x93\xe2\x9c\x93\n";
        for max_line in 1..12 {
            for at in 0..=output.len() {
                let (first, second) = output.split_at(at);
                assert_eq!(
                    scan_chunks(&[first, second], max_line).1,
                    reference_last_line(output, max_line),
                    "max_line {max_line}, split at {at}"
                );
            }
        }
    }

    #[test]
    fn scanner_can_be_reused_after_finish() {
        let mut scanner = LineScanner::default();
        scanner.push(b"one", |_| {});
        scanner.finish(|_| {});
        scanner.push(b"two\n", |_| {});
        assert_eq!(scanner.last_line(), Some("two"));
    }
}
