//! Escaping for XML text and attributes, removing what XML 1.0 forbids.

/// Whether XML 1.0 allows `c` in a document at all.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Appends `text` escaped for element content.
///
/// Characters XML forbids (most C0 controls, U+FFFE, U+FFFF) are removed; `>` is always
/// escaped, so `]]>` cannot appear; `\r` becomes `&#13;` so parsers keep it.
pub fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// Appends `value` escaped for a double-quoted attribute.
///
/// As [`push_text`], and also quotes and the whitespace that attribute normalisation would
/// otherwise turn into spaces.
pub fn push_attr(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c => push_text(out, c.encode_utf8(&mut [0; 4])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_forbidden_characters_removed() {
        let mut out = String::new();
        push_text(
            &mut out,
            "a<b>&c ]]> \u{0}\u{8}\u{b}\u{1b}\u{fffe}\u{ffff}ok\r\n\t✓",
        );
        assert_eq!(out, "a&lt;b&gt;&amp;c ]]&gt; ok&#13;\n\t✓");
    }

    #[test]
    fn attributes_keep_quotes_and_line_breaks() {
        let mut out = String::new();
        push_attr(&mut out, "say \"hi\"\n\t'x' <&>\u{7}");
        assert_eq!(
            out,
            "say &quot;hi&quot;&#10;&#9;&apos;x&apos; &lt;&amp;&gt;"
        );
    }
}
