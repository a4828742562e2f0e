//! Removal of terminal escape sequences (colours, cursor moves, titles) from output bytes.

/// Appends `input` to `out` without ANSI/VT escape sequences.
///
/// Removed: CSI sequences (`ESC [` … final byte, e.g. colours `ESC[31m`), OSC sequences
/// (`ESC ]` … terminated by BEL or `ESC \`, e.g. window titles and hyperlinks), DCS/SOS/PM/APC
/// strings (terminated by `ESC \`), and two-byte escapes (`ESC` + one byte). A sequence cut off
/// by the end of `input` is dropped. Works on bytes, so it never splits a UTF-8 character: every
/// byte of an escape sequence is ASCII.
pub fn strip_ansi_into(input: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b != 0x1b {
            out.push(b);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&kind) = input.get(i) else { break };
        i += 1;
        match kind {
            b'[' => {
                // Parameter and intermediate bytes are 0x20..=0x3f; the final byte is 0x40..=0x7e.
                // Anything else ends the sequence too, so a malformed one cannot swallow the line.
                while let Some(&c) = input.get(i) {
                    i += 1;
                    if !(0x20..=0x3f).contains(&c) {
                        break;
                    }
                }
            }
            b']' | b'P' | b'X' | b'^' | b'_' => {
                // String sequences end at BEL (OSC only, but harmless elsewhere) or ST (`ESC \`).
                while let Some(&c) = input.get(i) {
                    i += 1;
                    if c == 0x07 {
                        break;
                    }
                    if c == 0x1b && input.get(i) == Some(&b'\\') {
                        i += 1;
                        break;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Returns `input` without ANSI/VT escape sequences; see [`strip_ansi_into`].
pub fn strip_ansi(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    strip_ansi_into(input, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::strip_ansi;

    #[test]
    fn removes_colours_around_text() {
        assert_eq!(
            strip_ansi(b"\x1b[1;32mResult: SUCCESS!\x1b[0m"),
            b"Result: SUCCESS!"
        );
    }

    #[test]
    fn removes_titles_and_hyperlinks() {
        assert_eq!(strip_ansi(b"\x1b]0;title\x07ok"), b"ok");
        assert_eq!(
            strip_ansi(b"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"),
            b"link"
        );
    }

    #[test]
    fn drops_a_sequence_cut_at_the_end() {
        assert_eq!(strip_ansi(b"done\x1b[3"), b"done");
        assert_eq!(strip_ansi(b"done\x1b"), b"done");
    }

    #[test]
    fn keeps_plain_text_and_utf8() {
        let text = "plain ünïcode [brackets]".as_bytes();
        assert_eq!(strip_ansi(text), text);
    }

    #[test]
    fn removes_two_byte_escapes() {
        assert_eq!(strip_ansi(b"a\x1b7b\x1b8c"), b"abc");
    }
}
