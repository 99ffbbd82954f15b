//! Caption lines of pasted events: `Log Name:      Application`, `Quelle: …`,
//! `Aufgabenkategorie:Integrität`, `Source : …`, `  Event ID: 4096`.
//!
//! A caption is the text before the first colon (blanks before the colon allowed, for
//! French typography), looked up in one table of every known spelling; the value is
//! the rest, trimmed (column 15 is a hint, not a rule: hand edits, Markdown trailing
//! spaces and `&nbsp;` runs move it).

use std::borrow::Cow;

/// What a caption means, whatever its language or form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Cap {
    LogName,
    Source,
    Date,
    EventId,
    TaskCategory,
    Level,
    Keywords,
    User,
    UserName,
    Computer,
    Description,
    EventXml,
    Opcode,
    /// Server 2003 style.
    EventType,
    EventCategory,
    Time,
    Data,
    /// The minimal `Time:/ID:/Level:/Source:/Machine:/Message:` rendering.
    Id,
    Message,
}

/// Every spelling, lower case, `’` as `'`. Verified: English (Event Viewer, 2003,
/// wevtutil), German (real pastes). Dutch from machine-translated docs, French from
/// typography only: accepted, unverified (FORMATS.md §7.1).
const CAPTIONS: &[(&str, Cap)] = &[
    ("log name", Cap::LogName),
    ("logname", Cap::LogName),
    ("protokollname", Cap::LogName),
    ("logboeknaam", Cap::LogName),
    ("logboek naam", Cap::LogName),
    ("nom du journal", Cap::LogName),
    ("source", Cap::Source),
    ("event source", Cap::Source),
    ("quelle", Cap::Source),
    ("bron", Cap::Source),
    ("date", Cap::Date),
    ("datum", Cap::Date),
    ("event id", Cap::EventId),
    ("ereignis-id", Cap::EventId),
    ("gebeurtenis-id", Cap::EventId),
    ("id de l'événement", Cap::EventId),
    ("id de l'evenement", Cap::EventId),
    ("task category", Cap::TaskCategory),
    ("task", Cap::TaskCategory),
    ("aufgabenkategorie", Cap::TaskCategory),
    ("taakcategorie", Cap::TaskCategory),
    ("taak categorie", Cap::TaskCategory),
    ("catégorie de la tâche", Cap::TaskCategory),
    ("catégorie de tâche", Cap::TaskCategory),
    ("event category", Cap::EventCategory),
    ("level", Cap::Level),
    ("ebene", Cap::Level),
    ("stufe", Cap::Level),
    ("niveau", Cap::Level),
    ("keywords", Cap::Keywords),
    ("keyword", Cap::Keywords),
    ("schlüsselwörter", Cap::Keywords),
    ("trefwoorden", Cap::Keywords),
    ("mots clés", Cap::Keywords),
    ("mots-clés", Cap::Keywords),
    ("user", Cap::User),
    ("benutzer", Cap::User),
    ("gebruiker", Cap::User),
    ("utilisateur", Cap::User),
    ("user name", Cap::UserName),
    ("computer", Cap::Computer),
    ("ordinateur", Cap::Computer),
    ("machine", Cap::Computer),
    ("description", Cap::Description),
    ("beschreibung", Cap::Description),
    ("beschrijving", Cap::Description),
    ("event xml", Cap::EventXml),
    ("ereignis-xml", Cap::EventXml),
    ("gebeurtenis-xml", Cap::EventXml),
    ("xml de l'événement", Cap::EventXml),
    ("opcode", Cap::Opcode),
    ("event type", Cap::EventType),
    ("time", Cap::Time),
    ("data", Cap::Data),
    ("id", Cap::Id),
    ("message", Cap::Message),
];

fn lookup(key: &str) -> Option<Cap> {
    if key.is_empty() || key.len() > 40 {
        return None;
    }
    // The key with its blanks made single spaces, lower-cased, `’` and `` ` ``
    // made `'`, written into a buffer on the stack: every line with a colon
    // near its start is looked up, some more than once (three strings a
    // lookup and a walk through the table, before).
    let mut buf = [0u8; 4 * 40];
    let mut len = 0;
    if key.is_ascii() {
        // `char::is_whitespace` of ASCII: `is_ascii_whitespace` and U+000B.
        let blank = |b: &u8| b.is_ascii_whitespace() || *b == 0x0b;
        for (i, word) in key
            .as_bytes()
            .split(blank)
            .filter(|w| !w.is_empty())
            .enumerate()
        {
            if i > 0 {
                *buf.get_mut(len)? = b' ';
                len += 1;
            }
            for &b in word {
                *buf.get_mut(len)? = if b == b'`' {
                    b'\''
                } else {
                    b.to_ascii_lowercase()
                };
                len += 1;
            }
        }
    } else {
        for (i, word) in key.split_whitespace().enumerate() {
            if i > 0 {
                *buf.get_mut(len)? = b' ';
                len += 1;
            }
            for c in word.chars().flat_map(char::to_lowercase) {
                let c = if matches!(c, '’' | '`') { '\'' } else { c };
                let at = buf.get_mut(len..len + c.len_utf8())?;
                c.encode_utf8(at);
                len += c.len_utf8();
            }
        }
    }
    let k = std::str::from_utf8(buf.get(..len)?).ok()?;
    BY_NAME.get(k).copied()
}

/// [`CAPTIONS`] by spelling (the first of a spelling listed twice); Fx-hashed:
/// short keys, from a fixed table.
static BY_NAME: std::sync::LazyLock<rustc_hash::FxHashMap<&'static str, Cap>> =
    std::sync::LazyLock::new(|| {
        let mut by_name = rustc_hash::FxHashMap::default();
        for &(name, cap) in CAPTIONS {
            by_name.entry(name).or_insert(cap);
        }
        by_name
    });

/// A caption line: the caption, its value (trimmed) and its indentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaptionLine<'a> {
    pub cap: Cap,
    pub value: &'a str,
    pub indent: usize,
}

/// `Caption: value`, `Caption : value`, `Caption:value`; `None` for other lines.
pub(crate) fn split_caption(line: &str) -> Option<CaptionLine<'_>> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if indent > 4 {
        return None;
    }
    let colon = trimmed.find(':')?;
    let key = trimmed.get(..colon)?;
    let cap = lookup(key)?;
    // `Time: 6:35` splits at the first colon already; a caption never holds one.
    let value = trimmed.get(colon + 1..)?.trim();
    Some(CaptionLine { cap, value, indent })
}

/// Captions that begin an event in a caption form.
pub(crate) fn starts_event(cap: Cap) -> bool {
    matches!(cap, Cap::LogName | Cap::EventType)
}

/// `Event[0]:` of `wevtutil qe /f:text`.
pub(crate) fn is_wevtutil_header(line: &str) -> bool {
    let t = line.trim();
    t.strip_prefix("Event[")
        .and_then(|r| r.strip_suffix("]:"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Captions written on one line (`Event Type: Error Event Source: MSExchangeTransport
/// Event Category: SmtpReceive Event ID: 1035 Description: Inbound …`, KB979174): the
/// pieces as separate caption lines, or `None` when the line holds fewer than two
/// captions. Everything after a description caption is its value.
pub(crate) fn split_inline(line: &str) -> Option<Vec<String>> {
    let first = split_caption(line)?;
    if !starts_event(first.cap) {
        return None;
    }
    // Two captions are two colons: a caption line of its own (`Log Name:
    // Application`, each event's first) is none, and is not searched for
    // a hundred spellings.
    if line.bytes().filter(|&b| b == b':').take(2).count() < 2 {
        return None;
    }
    let lower = line.to_lowercase();
    if lower.len() != line.len() {
        // Case folding changed byte offsets; such lines are not flattened captions.
        return None;
    }
    // Candidate caption starts: each table spelling followed by optional blanks and
    // `:`, at the start or after a blank.
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (name, _) in CAPTIONS {
        let mut from = 0;
        while let Some(at) = lower.get(from..).and_then(|r| r.find(name)) {
            let start = from + at;
            let end = start + name.len();
            from = end;
            let before_ok = start == 0 || lower.as_bytes().get(start - 1) == Some(&b' ');
            let after = lower.get(end..).unwrap_or("");
            let colon_ok = after.trim_start_matches(' ').starts_with(':');
            if before_ok && colon_ok {
                found.push((start, end));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut starts: Vec<usize> = Vec::new();
    let mut covered = 0;
    for (start, end) in found {
        if start < covered && !starts.is_empty() {
            continue;
        }
        starts.push(start);
        covered = end;
    }
    // Cut at each caption, but nothing after a description caption.
    let mut pieces = Vec::new();
    let mut kept: Vec<usize> = Vec::new();
    for &s in &starts {
        kept.push(s);
        let piece_cap = line.get(s..).and_then(split_caption).map(|c| c.cap);
        if matches!(piece_cap, Some(Cap::Description | Cap::Message)) {
            break;
        }
    }
    if kept.len() < 2 {
        return None;
    }
    for (i, &s) in kept.iter().enumerate() {
        let end = kept.get(i + 1).copied().unwrap_or(line.len());
        pieces.push(line.get(s..end)?.trim().to_string());
    }
    Some(pieces)
}

/// HTML entities that pasted pages leave in the text (`&nbsp;` runs, `&auml;`).
pub(crate) fn decode_entities(line: &str) -> Cow<'_, str> {
    if !line.contains('&') {
        return Cow::Borrowed(line);
    }
    const NAMED: &[(&str, &str)] = &[
        ("nbsp", " "),
        ("amp", "&"),
        ("lt", "<"),
        ("gt", ">"),
        ("quot", "\""),
        ("apos", "'"),
        ("auml", "ä"),
        ("ouml", "ö"),
        ("uuml", "ü"),
        ("Auml", "Ä"),
        ("Ouml", "Ö"),
        ("Uuml", "Ü"),
        ("szlig", "ß"),
        ("eacute", "é"),
        ("egrave", "è"),
        ("ecirc", "ê"),
        ("agrave", "à"),
        ("acirc", "â"),
        ("ccedil", "ç"),
        ("euml", "ë"),
        ("iuml", "ï"),
        ("rsquo", "’"),
        ("lsquo", "‘"),
        ("hellip", "…"),
    ];
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at + 1..).unwrap_or("");
        let semi = after.find(';').filter(|&s| s > 0 && s <= 8);
        let decoded = semi.and_then(|s| {
            let name = after.get(..s)?;
            let text = if let Some(num) = name.strip_prefix('#') {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse().ok()?,
                };
                char::from_u32(code).map(|c| c.to_string())?
            } else {
                NAMED
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_string())?
            };
            Some((text, s))
        });
        match decoded {
            Some((text, s)) => {
                out.push_str(&text);
                rest = after.get(s + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A console prompt (`PS C:\>`, `[PS] C:\Windows\system32>`, `PS>`, `C:\>`), which
/// ends whatever event text came before it (FORMATS.md §7.10).
pub(crate) fn is_prompt(line: &str) -> bool {
    let mut t = line.trim_start();
    if let Some(r) = t.strip_prefix("[PS] ") {
        t = r;
    } else if t.starts_with('[') {
        if let Some(end) = t.find("]: ") {
            t = t.get(end + 3..).unwrap_or("");
        }
    }
    if t.starts_with("PS>") {
        return true;
    }
    let t = t.strip_prefix("PS ").unwrap_or(t);
    let b = t.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' && t.contains('>')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lookup as first written (three strings a key, the table walked):
    /// the stack-buffer one must answer as it does.
    fn lookup_as_written(key: &str) -> Option<Cap> {
        if key.is_empty() || key.len() > 40 {
            return None;
        }
        let mut k = String::with_capacity(key.len());
        for word in key.split_whitespace() {
            if !k.is_empty() {
                k.push(' ');
            }
            k.push_str(word);
        }
        let k = k.to_lowercase().replace(['’', '`'], "'");
        CAPTIONS
            .iter()
            .find(|(name, _)| *name == k)
            .map(|&(_, cap)| cap)
    }

    #[test]
    fn lookup_answers_as_first_written() {
        let mut keys: Vec<String> = Vec::new();
        for (name, _) in CAPTIONS {
            keys.push(name.to_string());
            keys.push(name.to_uppercase());
            keys.push(format!("  {}\t", name.replace(' ', " \u{b}  ")));
            keys.push(name.replace(' ', "\u{a0}"));
            keys.push(name.replace('\'', "’"));
            keys.push(name.replace('\'', "`"));
            keys.push(format!("{name}x"));
            keys.push(name.get(1..).unwrap_or("").to_string());
        }
        for other in [
            "",
            " ",
            "Connector",
            "EVENT  ID",
            "ÉVÉNEMENT",
            "İd",
            "x".repeat(41).as_str(),
            "ID DE L’ÉVÉNEMENT",
            "Σ",
        ] {
            keys.push(other.to_string());
        }
        for key in &keys {
            assert_eq!(lookup(key), lookup_as_written(key), "{key:?}");
        }
        assert_eq!(lookup("Event  ID"), Some(Cap::EventId));
    }

    #[test]
    fn captions_in_every_shape() {
        let c = split_caption("Log Name:      Application  ");
        assert_eq!(
            c.map(|c| (c.cap, c.value)),
            Some((Cap::LogName, "Application"))
        );
        let c = split_caption("Aufgabenkategorie:Integrität");
        assert_eq!(
            c.map(|c| (c.cap, c.value)),
            Some((Cap::TaskCategory, "Integrität"))
        );
        let c = split_caption("Source : MSExchangeTransport");
        assert_eq!(c.map(|c| c.cap), Some(Cap::Source));
        let c = split_caption("ID de l’événement : 1035");
        assert_eq!(c.map(|c| (c.cap, c.value)), Some((Cap::EventId, "1035")));
        let c = split_caption("  Date: 2024-01-25T18:02:54.0220000Z");
        assert_eq!(
            c.map(|c| (c.cap, c.value)),
            Some((Cap::Date, "2024-01-25T18:02:54.0220000Z"))
        );
        assert_eq!(split_caption(" Client Time: "), None);
        assert_eq!(split_caption("Inbound authentication failed"), None);
    }

    #[test]
    fn flattened_kb_line() {
        let p = split_inline("Event Type: Error Event Source: MSExchangeTransport Event Category: SmtpReceive Event ID: 1035 Description: Inbound authentication failed with error IllegalMessage for Receive connector Default <Server>. Time: x")
            .unwrap_or_default();
        assert_eq!(
            p,
            [
                "Event Type: Error",
                "Event Source: MSExchangeTransport",
                "Event Category: SmtpReceive",
                "Event ID: 1035",
                "Description: Inbound authentication failed with error IllegalMessage for Receive connector Default <Server>. Time: x"
            ]
        );
        assert_eq!(split_inline("Event Type: Error"), None);
    }

    #[test]
    fn entities_and_prompts() {
        assert_eq!(
            decode_entities("Date:&nbsp;&nbsp;4/21/2009"),
            "Date:  4/21/2009"
        );
        assert_eq!(
            decode_entities("Integrit&auml;t &#228; &x; &"),
            "Integrität ä &x; &"
        );
        assert!(is_prompt("[PS] C:\\Windows\\system32>Get-EventLog"));
        assert!(is_prompt("PS C:\\Users\\Administrator> Get-WinEvent"));
        assert!(is_prompt(
            "[192.168.0.3]: PS C:\\Users\\Administrator\\Documents>"
        ));
        assert!(!is_prompt("Computer:      EX01"));
    }
}
