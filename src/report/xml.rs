//! Text and attributes for quick-xml's writer, without the characters XML 1.0 forbids.
//!
//! quick-xml escapes markup (and `\r`, and in attributes `\n` and `\t`, which parsers would
//! otherwise normalise away) but writes every character it is given; a single NUL from a
//! test's output would make the whole report unreadable, so those characters go first.

use std::borrow::Cow;

use quick_xml::escape::escape;
use quick_xml::events::BytesText;
use quick_xml::events::attributes::Attribute;

/// Whether XML 1.0 allows `c` in a document at all.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// `text` without the characters XML forbids (most C0 controls, U+FFFE, U+FFFF).
fn allowed(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

/// Element content: forbidden characters removed, the rest escaped; `>` is always escaped,
/// so `]]>` cannot appear, and `\r` becomes `&#13;` so parsers keep it.
pub fn text(content: &str) -> BytesText<'_> {
    BytesText::from_escaped(escape(allowed(content)))
}

/// A double-quoted attribute: forbidden characters removed, the rest escaped, quotes and line
/// breaks and tabs included.
pub fn attribute<'a>(name: &'a str, value: &'a str) -> Attribute<'a> {
    Attribute::from((name, allowed(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_forbidden_characters_removed() {
        let out = text("a<b>&c ]]> \u{0}\u{8}\u{b}\u{1b}\u{fffe}\u{ffff}ok\r\n\t✓");
        assert_eq!(&*out, "a&lt;b&gt;&amp;c ]]&gt; ok&#13;\n\t✓");
    }

    #[test]
    fn attributes_keep_quotes_and_line_breaks() {
        let out = attribute("value", "say \"hi\"\n\t'x' <&>\u{7}");
        assert_eq!(
            &*out.value,
            "say &quot;hi&quot;&#10;&#9;&apos;x&apos; &lt;&amp;&gt;"
        );
    }
}
