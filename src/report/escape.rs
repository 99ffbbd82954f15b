//! Escaping of untrusted text (file names, log content) per output format.

use std::borrow::Cow;

/// Text for a terminal: control characters (ANSI escape sequences, carriage
/// returns that overwrite a line, bidi overrides) are shown as `\u{..}`
/// instead of being obeyed.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_are_shown_not_obeyed() {
        assert_eq!(terminal("EX01\x1b[2Jx"), "EX01\\u{1b}[2Jx");
        assert_eq!(terminal("a\rb"), "a\\u{d}b");
        assert_eq!(terminal("组织内 SMTP"), "组织内 SMTP");
        assert_eq!(terminal("x\u{202E}gpj.exe"), "x\\u{202e}gpj.exe");
    }
}
