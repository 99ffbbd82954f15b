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

/// Text and attribute values for HTML: `& < > " '` become entities, and
/// control characters and bidi overrides are shown as `\u{..}` as on a
/// terminal (a log line must not reorder what the reader sees).
pub fn html(text: &str) -> Cow<'_, str> {
    let text = terminal(text);
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text for a Markdown table cell or list item: everything Markdown (and the
/// HTML it lets through) would act on is escaped — `|` would end the cell,
/// backticks open code, `*` and `_` emphasis, `[` a link, `<` a tag, `&` an
/// entity, `\` would eat the next escape — and a line break would end the
/// table row, so newlines become `<br>`.
pub fn markdown(text: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(
            c,
            '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '\\' | '\n' | '\r' | '#' | '~'
        )
    };
    let needs_work = text.chars().any(|c| special(c) || needs_escape(c));
    if !needs_work {
        return Cow::Borrowed(text);
    }
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push_str("<br>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '`' | '*' | '_' | '[' | ']' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
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

    #[test]
    fn html_entities_for_text_and_attributes() {
        assert_eq!(
            html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(html("a \"b\" & 'c'"), "a &quot;b&quot; &amp; &#39;c&#39;");
        assert_eq!(html("x\u{202E}y\x1b"), "x\\u{202e}y\\u{1b}");
        assert_eq!(html("组织内 SMTP"), "组织内 SMTP");
    }

    #[test]
    fn markdown_cells_cannot_break_out() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("`rm`"), "\\`rm\\`");
        assert_eq!(markdown("*x* _y_"), "\\*x\\* \\_y\\_");
        assert_eq!(markdown("[a](b)"), "\\[a\\](b)");
        assert_eq!(markdown("</td>"), "&lt;/td&gt;");
        assert_eq!(markdown("l1\r\nl2\nl3"), "l1<br>l2<br>l3");
        assert_eq!(markdown("C:\\x"), "C:\\\\x");
        assert_eq!(markdown("EX01 → EX02"), "EX01 → EX02");
    }
}
