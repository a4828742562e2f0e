//! Fuzzes the streaming line scanner: any chunking must give what one pass over the whole
//! output gives.
//!
//! Run from `fuzz/` (no nightly needed): `RUSTC_BOOTSTRAP=1 cargo fuzz run line_scanner`.
#![no_main]

use dockhand::verdict::{CUT_NOTE, LineScanner, clean_line};
use libfuzzer_sys::fuzz_target;

// Input layout: `[max_line selector, chunk count, chunk lengths..., output...]`.
fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((&count, rest)) = rest.split_first() else {
        return;
    };
    let count = usize::from(count % 16).min(rest.len());
    let (lengths, output) = rest.split_at(count);
    // Small limits exercise cutting; 4096 is what runs use.
    let max_line = if selector >= 128 {
        4096
    } else {
        usize::from(selector % 40) + 1
    };

    let mut scanner = LineScanner::new(max_line);
    let mut printed = Vec::new();
    let mut remaining = output;
    for &length in lengths {
        let (chunk, tail) = remaining.split_at(usize::from(length).min(remaining.len()));
        scanner.push(chunk, |line| printed.push(line.to_owned()));
        remaining = tail;
    }
    scanner.push(remaining, |line| printed.push(line.to_owned()));
    scanner.finish(|line| printed.push(line.to_owned()));

    let (expected_printed, expected_last) = reference(output, max_line);
    assert_eq!(printed, expected_printed);
    assert_eq!(scanner.last_line(), expected_last.as_deref());
    if let Some(last) = scanner.last_line() {
        assert!(!last.is_empty());
        assert!(!last.contains(['\n', '\x1b']), "{last:?}");
        assert!(!last.ends_with([' ', '\t', '\r']), "{last:?}");
    }
});

/// One pass over the whole output: the printed lines and the last non-empty cleaned line.
fn reference(output: &[u8], max_line: usize) -> (Vec<String>, Option<String>) {
    let mut lines: Vec<&[u8]> = output.split(|&b| b == b'\n').collect();
    // A final `\n` ends the last line; it does not start an empty one.
    if lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    let mut printed = Vec::new();
    let mut last = None;
    for line in lines {
        let kept = &line[..line.len().min(max_line)];
        let cut = line[kept.len()..]
            .iter()
            .any(|b| !matches!(b, b' ' | b'\t' | b'\r'));
        let note = if cut { CUT_NOTE } else { "" };
        let trimmed_len = kept
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
            .map_or(0, |i| i + 1);
        printed.push(format!(
            "{}{note}",
            String::from_utf8_lossy(&kept[..trimmed_len])
        ));
        let text = format!("{}{note}", clean_line(kept));
        if !text.is_empty() {
            last = Some(text);
        }
    }
    (printed, last)
}
