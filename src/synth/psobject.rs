//! PowerShell objects as ExchangeLogCollector saves them: `Format-List * |
//! Out-File` (UTF-16LE with BOM, names padded to a common width, long values
//! word-wrapped onto indented continuation lines) and `Export-Clixml
//! -Encoding UTF8` (deserialized type names, dates with the server's offset).
//! One property model renders both, so the two files always agree.

use jiff::Timestamp;

/// A property value, typed the way CliXml needs it.
#[derive(Debug, Clone)]
pub enum Value {
    Str(String),
    /// An enum value (a string once deserialized).
    Enum(String),
    Int(i64),
    Bool(bool),
    Guid(String),
    /// A local date: FL text in the culture, CliXml `<DT>` with the offset.
    Date {
        text: String,
        iso: String,
    },
    /// A collection: FL `{a, b}`, CliXml a list of strings or ints.
    List {
        items: Vec<String>,
        ints: bool,
        type_name: &'static str,
    },
    /// A complex object shown by its `ToString()`.
    Object {
        text: String,
        type_names: &'static [&'static str],
    },
    Null,
}

/// One object: its deserialized type names (most derived first), its
/// `ToString()` and its properties in `Format-List *` order.
#[derive(Debug, Clone)]
pub struct PsObject {
    pub type_names: &'static [&'static str],
    pub to_string: String,
    pub props: Vec<(&'static str, Value)>,
}

impl Value {
    fn list_text(&self) -> String {
        match self {
            Value::Str(s) | Value::Enum(s) | Value::Guid(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Value::Date { text, .. } => text.clone(),
            Value::List { items, .. } => format!("{{{}}}", items.join(", ")),
            Value::Object { text, .. } => text.clone(),
            Value::Null => String::new(),
        }
    }
}

/// `Format-List *` of `objects` as `Out-File` writes it at `width` columns.
///
/// Windows PowerShell wraps long values word by word for the cultures
/// en, fr, de, it, pt and es — a line breaks *after* the space, which stays at
/// the end of the line — and character by character for every other culture
/// (`StringManipulationHelper.GenerateLines`). The label is the padded name
/// plus ` : `, so an empty value leaves a trailing space too.
pub fn format_list(objects: &[PsObject], width: usize, word_wrap: bool) -> String {
    let mut out = String::from("\r\n");
    for object in objects {
        out.push_str("\r\n");
        let name_width = object.props.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let value_width = width.saturating_sub(name_width + 3).max(20);
        for (name, value) in &object.props {
            let text = value.list_text();
            let lines = if word_wrap {
                wrap_words(&text, value_width)
            } else {
                wrap_chars(&text, value_width)
            };
            for (i, line) in lines.iter().enumerate() {
                if i == 0 {
                    out.push_str(&format!("{name:<name_width$} : "));
                } else {
                    out.push_str(&" ".repeat(name_width + 3));
                }
                out.push_str(line);
                out.push_str("\r\n");
            }
        }
    }
    out.push_str("\r\n\r\n\r\n");
    out
}

/// PowerShell's word wrap: each word keeps its trailing space; a word that
/// does not fit starts the next line; a word longer than a line is cut.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    if text.chars().count() <= width {
        return vec![text.to_string()];
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut left = width;
    let words: Vec<&str> = text.split(' ').collect();
    for (i, word) in words.iter().enumerate() {
        let word = if i + 1 < words.len() {
            format!("{word} ")
        } else {
            word.to_string()
        };
        let len = word.chars().count();
        if len > width {
            for c in word.chars() {
                if left == 0 {
                    lines.push(std::mem::take(&mut line));
                    left = width;
                }
                line.push(c);
                left -= 1;
            }
        } else if len > left {
            lines.push(std::mem::take(&mut line));
            line.push_str(&word);
            left = width - len;
        } else {
            line.push_str(&word);
            left -= len;
        }
    }
    lines.push(line);
    lines
}

/// PowerShell's wrap for other cultures: `width` characters per line.
fn wrap_chars(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// `Export-Clixml` of `objects`.
pub fn clixml(objects: &[PsObject]) -> String {
    let mut out = String::from(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n",
    );
    let mut next_obj = 0usize;
    let mut type_refs: Vec<(&'static [&'static str], usize)> = Vec::new();
    let mut next_tn = 0usize;
    let mut tn = |out: &mut String, names: &'static [&'static str], indent: &str| {
        if let Some((_, id)) = type_refs.iter().find(|(n, _)| *n == names) {
            out.push_str(&format!("{indent}<TNRef RefId=\"{id}\" />\r\n"));
        } else {
            let id = next_tn;
            next_tn += 1;
            type_refs.push((names, id));
            out.push_str(&format!("{indent}<TN RefId=\"{id}\">\r\n"));
            for name in names {
                out.push_str(&format!("{indent}  <T>{}</T>\r\n", xml_escape(name)));
            }
            out.push_str(&format!("{indent}</TN>\r\n"));
        }
    };
    for object in objects {
        out.push_str(&format!("  <Obj RefId=\"{next_obj}\">\r\n"));
        next_obj += 1;
        tn(&mut out, object.type_names, "    ");
        out.push_str(&format!(
            "    <ToString>{}</ToString>\r\n    <Props>\r\n",
            xml_escape(&object.to_string)
        ));
        for (name, value) in &object.props {
            let i = "      ";
            match value {
                Value::Str(s) | Value::Enum(s) => {
                    out.push_str(&format!("{i}<S N=\"{name}\">{}</S>\r\n", xml_escape(s)))
                }
                Value::Int(v) => out.push_str(&format!("{i}<I32 N=\"{name}\">{v}</I32>\r\n")),
                Value::Bool(b) => out.push_str(&format!("{i}<B N=\"{name}\">{b}</B>\r\n")),
                Value::Guid(g) => out.push_str(&format!("{i}<G N=\"{name}\">{g}</G>\r\n")),
                Value::Date { iso, .. } => {
                    out.push_str(&format!("{i}<DT N=\"{name}\">{iso}</DT>\r\n"))
                }
                Value::Null => out.push_str(&format!("{i}<Nil N=\"{name}\" />\r\n")),
                Value::List {
                    items,
                    ints,
                    type_name,
                } => {
                    out.push_str(&format!("{i}<Obj N=\"{name}\" RefId=\"{next_obj}\">\r\n"));
                    next_obj += 1;
                    let names: &'static [&'static str] = match *type_name {
                        "int" => &[
                            "Deserialized.System.Int32[]",
                            "Deserialized.System.Array",
                            "Deserialized.System.Object",
                        ],
                        "string" => &[
                            "Deserialized.System.String[]",
                            "Deserialized.System.Array",
                            "Deserialized.System.Object",
                        ],
                        _ => &[
                            "Deserialized.Microsoft.Exchange.Data.MultiValuedProperty`1[[Microsoft.Exchange.Data.IPBinding, Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]",
                            "Deserialized.Microsoft.Exchange.Data.MultiValuedPropertyBase",
                            "Deserialized.System.Object",
                        ],
                    };
                    tn(&mut out, names, "        ");
                    out.push_str(&format!("{i}  <LST>\r\n"));
                    for item in items {
                        if *ints {
                            out.push_str(&format!("{i}    <I32>{item}</I32>\r\n"));
                        } else {
                            out.push_str(&format!("{i}    <S>{}</S>\r\n", xml_escape(item)));
                        }
                    }
                    out.push_str(&format!("{i}  </LST>\r\n{i}</Obj>\r\n"));
                }
                Value::Object { text, type_names } => {
                    out.push_str(&format!("{i}<Obj N=\"{name}\" RefId=\"{next_obj}\">\r\n"));
                    next_obj += 1;
                    tn(&mut out, type_names, "        ");
                    out.push_str(&format!(
                        "{i}  <ToString>{}</ToString>\r\n{i}</Obj>\r\n",
                        xml_escape(text)
                    ));
                }
            }
        }
        out.push_str("    </Props>\r\n  </Obj>\r\n");
    }
    out.push_str("</Objs>");
    out
}

/// CliXml `<DT>` text: local time with 7 fractional digits and the offset.
pub fn clixml_date(local: jiff::Zoned) -> String {
    let offset = local.offset().seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let dt = local.datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}{sign}{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 100,
        abs / 3600,
        abs % 3600 / 60
    )
}

/// A date value at `t` (a server's clock reading) in `wall`'s zone and culture.
pub fn date(wall: &super::locale::Wall, t: Timestamp) -> Value {
    Value::Date {
        text: wall.locale.general_date(wall.local(t)),
        iso: clixml_date(t.to_zoned(wall.zone.clone())),
    }
}

/// UTF-16LE with BOM, as Windows PowerShell 5.1's `Out-File` writes.
pub fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + text.len() * 2);
    out.extend_from_slice(&[0xFF, 0xFE]);
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// UTF-8 with BOM, as `-Encoding UTF8` writes in Windows PowerShell 5.1.
pub fn utf8_bom(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + text.len());
    out.extend_from_slice(b"\xEF\xBB\xBF");
    out.extend_from_slice(text.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_list_pads_names_and_wraps_values() {
        let object = PsObject {
            type_names: &["Deserialized.System.Object"],
            to_string: "x".into(),
            props: vec![
                ("Status", Value::Enum("Retry".into())),
                (
                    "LastError",
                    Value::Str("word ".repeat(30).trim_end().into()),
                ),
                ("TlsDomain", Value::Null),
            ],
        };
        let text = format_list(&[object], 60, true);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[2], "Status    : Retry");
        assert!(lines[3].starts_with("LastError : word word"));
        assert!(lines[3].len() <= 60);
        assert!(lines[4].starts_with("            word"));
        assert!(lines[3].ends_with("word "), "the space stays at the break");
        assert!(text.contains("\r\nTlsDomain : \r\n"));
        // Joining the continuation lines (indentation removed) gives the value back.
        let joined: String = lines[3]["LastError : ".len()..].to_string()
            + &lines[4..]
                .iter()
                .take_while(|l| l.starts_with("            "))
                .map(|l| &l[12..])
                .collect::<String>();
        assert_eq!(joined, "word ".repeat(30).trim_end());
        let chars = format_list(
            &[PsObject {
                type_names: &["x"],
                to_string: "x".into(),
                props: vec![("LastError", Value::Str("abc ".repeat(40)))],
            }],
            60,
            false,
        );
        let cut: Vec<&str> = chars.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(cut[0].chars().count(), 60, "character wrap fills the line");
    }

    #[test]
    fn clixml_reuses_type_names() {
        let object = PsObject {
            type_names: &["Deserialized.A", "Deserialized.System.Object"],
            to_string: "EX01\\3".into(),
            props: vec![("MessageCount", Value::Int(3))],
        };
        let xml = clixml(&[object.clone(), object]);
        assert!(xml.contains("<TN RefId=\"0\">"));
        assert!(xml.contains("<TNRef RefId=\"0\" />"));
        assert!(xml.contains("<I32 N=\"MessageCount\">3</I32>"));
    }
}
