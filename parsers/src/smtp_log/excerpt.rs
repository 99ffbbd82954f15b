//! Protocol-log excerpts without their `#` header: twenty rows pasted into a
//! ticket, or a file cut from the middle of a log.
//!
//! [`crate::detect`] recognises headerless rows only in files named
//! `RECV*`/`SEND*`; a paste has no such name. Here the rows are recognised by
//! their grammar (`date-time,connector-id,session-id,sequence-number,
//! local-endpoint,remote-endpoint,event,data,context`, event one of
//! `+ - > < *`), and Send vs Receive by what the rows say — independent of
//! any file name:
//!
//! * a **Send** log receives the banner and replies and sends the commands:
//!   `<,220 …`, `<,250 …`, `>,EHLO …`, `>,X-EXPS …`; its information rows
//!   say `Outbound …` and `attempting to connect`;
//! * a **Receive** log sends the banner and replies and receives the
//!   commands: `>,220 …`, `<,EHLO …`; its information rows say `Inbound …`,
//!   and its `Set Session Permissions` rows grant `SMTPSubmit`/`SMTPAccept…`
//!   (a Send log's grant only `Send…` permissions).
//!
//! Each row votes; the side with more votes wins, a tie decides nothing.

use super::row::split_fields;
use super::{FieldSpan, FileReport, LogKind, Reassembler, SessionSummary};
use crate::detect::{Disposition, Form, Format, Kind};
use serde::Serialize;

/// The registry line (`detect::FORMATS`): protocol-log rows without their
/// `#` header, in a file of any name, Send or Receive by the rows.
pub const FORMAT: Format = Format {
    kinds: &[Kind::SMTP_SEND_LOG, Kind::SMTP_RECEIVE_LOG],
    describes: "headerless protocol-log rows (an excerpt), Send or Receive by their events",
    detect: |head| {
        let kind = match looks_like_excerpt(head.text)? {
            LogKind::Send => Kind::SMTP_SEND_LOG,
            LogKind::Receive => Kind::SMTP_RECEIVE_LOG,
        };
        Some((kind, Form::Other, Disposition::Used, None))
    },
    name_prefix: None,
};

/// What the rows of an excerpt say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExcerptDetection {
    /// Lines read that were neither blank nor `#` lines.
    pub lines: u32,
    /// Of those, lines with the protocol-log row grammar.
    pub rows: u32,
    pub send_votes: u32,
    pub receive_votes: u32,
    /// The decided side (`None` on a tie or without evidence).
    pub kind: Option<LogKind>,
}

/// Lines looked at by the detectors.
const HEAD_LINES: usize = 200;

/// Send or Receive when the text starts like protocol-log rows (with or
/// without a header) and the rows tell which side wrote them.
pub fn looks_like_excerpt(text_head: &str) -> Option<LogKind> {
    detect_excerpt(text_head).and_then(|d| d.kind)
}

/// The row grammar and the votes; `None` when the text is not protocol-log
/// rows (fewer than half of the first non-blank lines have the grammar).
pub fn detect_excerpt(text_head: &str) -> Option<ExcerptDetection> {
    let mut d = ExcerptDetection {
        lines: 0,
        rows: 0,
        send_votes: 0,
        receive_votes: 0,
        kind: None,
    };
    let mut spans = Vec::new();
    // The head may end in the middle of a line: only complete lines count when there are any.
    let complete = match text_head.rfind('\n') {
        Some(end) if text_head.len() > end + 1 => text_head.get(..end).unwrap_or(text_head),
        _ => text_head,
    };
    for line in complete.lines().take(HEAD_LINES) {
        let line = line.trim_start_matches('\u{feff}').trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        d.lines += 1;
        let Some(vote) = row_vote(line.as_bytes(), &mut spans) else {
            continue;
        };
        d.rows += 1;
        match vote {
            Some(LogKind::Send) => d.send_votes += 1,
            Some(LogKind::Receive) => d.receive_votes += 1,
            None => {}
        }
    }
    if d.rows == 0 || d.rows * 2 < d.lines {
        return None;
    }
    d.kind = match d.send_votes.cmp(&d.receive_votes) {
        std::cmp::Ordering::Greater => Some(LogKind::Send),
        std::cmp::Ordering::Less => Some(LogKind::Receive),
        std::cmp::Ordering::Equal => None,
    };
    Some(d)
}

/// `None`: not a row. `Some(vote)`: a row, voting for a side or not.
fn row_vote(line: &[u8], spans: &mut Vec<FieldSpan>) -> Option<Option<LogKind>> {
    split_fields(line, spans);
    if spans.len() < 7 {
        return None;
    }
    let field = |i: usize| -> &[u8] {
        spans
            .get(i)
            .and_then(|s| line.get(s.start..s.end))
            .unwrap_or_default()
    };
    if !is_date_time(field(0))
        || !is_session_id(field(2))
        || !is_digits(field(3))
        || !(field(4).is_empty() || is_endpoint(field(4)))
        || !(field(5).is_empty() || is_endpoint(field(5)))
    {
        return None;
    }
    let event = match field(6) {
        [e @ (b'+' | b'-' | b'>' | b'<' | b'*')] => *e,
        _ => return None,
    };
    let data = String::from_utf8_lossy(field(7));
    let context = String::from_utf8_lossy(field(8));
    Some(vote(event, data.trim(), context.trim()))
}

fn vote(event: u8, data: &str, context: &str) -> Option<LogKind> {
    let reply = is_reply(data);
    let command = is_command(data);
    match event {
        b'<' if reply => Some(LogKind::Send),
        b'<' if command => Some(LogKind::Receive),
        b'>' if reply => Some(LogKind::Receive),
        b'>' if command => Some(LogKind::Send),
        b'*' => {
            let text = if context.is_empty() { data } else { context };
            let lower = text.to_ascii_lowercase();
            if lower.starts_with("outbound") || lower == "attempting to connect" {
                Some(LogKind::Send)
            } else if lower.starts_with("inbound") || lower.starts_with("proxying inbound") {
                Some(LogKind::Receive)
            } else if lower == "set session permissions" {
                permissions_vote(data)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Receive connectors grant `SMTPSubmit`/`SMTPAccept…`/`Accept…Headers`;
/// a Send log's own grant is `Send…` only. An empty list says nothing.
fn permissions_vote(data: &str) -> Option<LogKind> {
    let words: Vec<&str> = data.split_whitespace().collect();
    if words.is_empty() {
        // `*,,Set Session Permissions` — the brief form of a Receive log.
        return Some(LogKind::Receive);
    }
    if words.iter().any(|w| {
        w.starts_with("SMTPSubmit") || w.starts_with("SMTPAccept") || w.starts_with("Accept")
    }) {
        Some(LogKind::Receive)
    } else if words
        .iter()
        .all(|w| w.starts_with("Send") || w.starts_with("SMTPSend"))
    {
        Some(LogKind::Send)
    } else {
        None
    }
}

/// `220 …`, `250-…`, `454 4.7.0 …`: three digits then space, dash or end.
fn is_reply(data: &str) -> bool {
    let b = data.as_bytes();
    b.len() >= 3
        && b.iter().take(3).all(u8::is_ascii_digit)
        && matches!(b.get(3), None | Some(b' ' | b'-'))
}

const COMMANDS: &[&str] = &[
    "EHLO",
    "HELO",
    "MAIL FROM",
    "RCPT TO",
    "DATA",
    "BDAT",
    "QUIT",
    "RSET",
    "NOOP",
    "STARTTLS",
    "X-ANONYMOUSTLS",
    "X-EXPS",
    "AUTH",
    "XEXCH50",
    "XPROXY",
    "XSESSIONPARAMS",
];

fn is_command(data: &str) -> bool {
    COMMANDS.iter().any(|c| {
        data.get(..c.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(c))
            && matches!(data.as_bytes().get(c.len()), None | Some(b' ' | b':'))
    })
}

/// `2019-03-21T13:00:45.039Z` (fraction optional).
fn is_date_time(b: &[u8]) -> bool {
    b.len() >= 20
        && b.get(..4).is_some_and(|y| y.iter().all(u8::is_ascii_digit))
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && b.get(13) == Some(&b':')
        && b.last() == Some(&b'Z')
}

fn is_session_id(b: &[u8]) -> bool {
    !b.is_empty() && b.len() <= 16 && b.iter().all(u8::is_ascii_hexdigit)
}

fn is_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.len() <= 10 && b.iter().all(u8::is_ascii_digit)
}

/// `10.0.0.1:25`, `[::1]:25`, `x.x.x.x:25` (masked), `10.**.**.31:37964`.
fn is_endpoint(b: &[u8]) -> bool {
    let Some(colon) = b.iter().rposition(|&c| c == b':') else {
        return false;
    };
    let (host, port) = (
        b.get(..colon).unwrap_or_default(),
        b.get(colon + 1..).unwrap_or_default(),
    );
    !host.is_empty()
        && is_digits(port)
        && !host.iter().any(|c| c.is_ascii_whitespace() || *c == b',')
}

/// An excerpt read into sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct ExcerptOutput {
    pub detection: ExcerptDetection,
    pub sessions: Vec<SessionSummary>,
    /// Rows, lines, problems (with line numbers) of the text.
    pub report: FileReport,
}

/// Detects an excerpt and reads it with the side it was detected as
/// (`None` when the text is not protocol-log rows or the side is undecided).
/// A missing line end after the last row is supplied (a paste is complete).
pub fn read_excerpt(text: &str) -> Option<ExcerptOutput> {
    let head_end = text
        .char_indices()
        .nth(64 * 1024)
        .map_or(text.len(), |(i, _)| i);
    let detection = detect_excerpt(text.get(..head_end).unwrap_or(text))?;
    let kind = detection.kind?;
    let mut sessions = Vec::new();
    let mut reassembler = Reassembler::new();
    // A paste usually lacks the final line end, which the log reader takes for a truncated
    // (half-written) last row and skips: a pasted text is complete, so end it.
    let owned;
    let text = if text.ends_with('\n') {
        text
    } else {
        owned = format!("{text}\n");
        owned.as_str()
    };
    let report = reassembler.feed(text.as_bytes(), Some(kind), |s| sessions.push(s));
    reassembler.finish(|s| sessions.push(s));
    Some(ExcerptOutput {
        detection,
        sessions,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FORMATS.md §1.4, Receive side (Exchange 2010, masked by the author), verbatim.
    const RECV: &str = "2016-12-14T01:17:34.808Z,EX\\Default ,0000000000000000,0,x.x.x.x:25,91.112.61.94:55171,+,,
2016-12-14T01:17:34.808Z,EX\\Default ,0000000000000000,1,x.x.x.x:25,91.112.61.94:55171,*,SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders,Set Session Permissions
2016-12-14T01:17:34.808Z,EX\\Default ,0000000000000000,2,x.x.x.x:25,91.112.61.94:55171,>,\"220 mail.x.x Microsoft ESMTP MAIL Service ready at Tue, 13 Dec 2016 20:17:34 -0500\",
2016-12-14T01:17:36.340Z,EX\\Default ,0000000000000000,3,x.x.x.x:25,91.112.61.94:55171,<,EHLO ylmf-pc,
2016-12-14T01:17:36.340Z,EX\\Default ,0000000000000000,4,x.x.x.x:25,91.112.61.94:55171,>,250-mail.x.x Hello [91.112.61.94],
2016-12-14T01:17:36.496Z,EX\\Default ,0000000000000000,14,x.x.x.x:25,91.112.61.94:55171,<,AUTH LOGIN,
2016-12-14T01:17:36.496Z,EX\\Default ,0000000000000000,15,x.x.x.x:25,91.112.61.94:55171,*,Tarpit for '0.00:00:05',
2016-12-14T01:17:41.496Z,EX\\Default ,0000000000000000,16,x.x.x.x:25,91.112.61.94:55171,>,504 5.7.4 Unrecognized authentication type,
2016-12-14T01:17:42.074Z,EX\\Default ,0000000000000000,17,x.x.x.x:25,91.112.61.94:55171,-,,Remote
";

    /// FORMATS.md §1.4, Send side (pastebin 3PWithi9), verbatim.
    const SEND: &str = "2019-03-21T13:00:45.039Z,Outbound to Office 365,08D6A8D416004F77,0,,x.x.x.x:25,*,SendRoutingHeaders,Set Session Permissions
2019-03-21T13:00:45.039Z,Outbound to Office 365,08D6A8D416004F77,1,,x.x.x.x:25,*,,attempting to connect
2019-03-21T13:00:45.040Z,Outbound to Office 365,08D6A8D416004F77,2,192.168.1.100:44276,x.x.x.x:25,+,,
2019-03-21T13:00:45.157Z,Outbound to Office 365,08D6A8D416004F78,3,192.168.1.100:44277,x.x.x.x:25,<,\"220 VI1EUR04FT012.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Thu, 21 Mar 2019 13:00:44 +0000\",
2019-03-21T13:00:45.157Z,Outbound to Office 365,08D6A8D416004F78,4,192.168.1.100:44277,x.x.x.x:25,>,EHLO mail.domain.com,
";

    /// FORMATS.md §1.5, the real sender-side row with a Chinese connector name, verbatim.
    const CHINESE: &str = "2019-11-04T06:00:35.496Z,组织内 SMTP 发送连接器,08D760DF231F00BC,45,10.**.**.31:37964,10.**.**.168:25,*,,Outbound Authentication failed with LogonDenied";

    #[test]
    fn receive_and_send_verbatim() {
        assert_eq!(looks_like_excerpt(RECV), Some(LogKind::Receive));
        assert_eq!(looks_like_excerpt(SEND), Some(LogKind::Send));
        assert_eq!(looks_like_excerpt(CHINESE), Some(LogKind::Send));
        let d = detect_excerpt(RECV).unwrap_or_else(|| panic!("rows"));
        assert_eq!(d.rows, 9);
        assert_eq!(d.send_votes, 0);
    }

    #[test]
    fn damaged_variants() {
        let crlf = RECV.replace('\n', "\r\n");
        assert_eq!(looks_like_excerpt(&crlf), Some(LogKind::Receive));
        let bom = format!("\u{feff}{SEND}");
        assert_eq!(looks_like_excerpt(&bom), Some(LogKind::Send));
        // Trailing commas stripped (empty context lost) and blank lines between rows.
        let stripped: String = SEND
            .lines()
            .map(|l| format!("{}\n\n", l.trim_end_matches(',')))
            .collect();
        assert_eq!(looks_like_excerpt(&stripped), Some(LogKind::Send));
        // The head cut in the middle of a row.
        let cut = RECV.get(..RECV.len() - 20).unwrap_or(RECV);
        assert_eq!(looks_like_excerpt(cut), Some(LogKind::Receive));
        // Brief forms named in the issue.
        assert_eq!(
            looks_like_excerpt("2024-05-06T10:00:00.000Z,EX02\\Default EX02,08DC6DA1B2C3D4E5,1,10.0.0.12:2525,10.0.0.11:41000,*,,Set Session Permissions"),
            Some(LogKind::Receive)
        );
        assert_eq!(
            looks_like_excerpt("2024-05-06T10:00:00.000Z,EX02\\Default EX02,08DC6DA1B2C3D4E5,9,10.0.0.12:2525,10.0.0.11:41000,*,,Inbound ExchangeAuth negotiation failed because of IllegalMessage"),
            Some(LogKind::Receive)
        );
    }

    #[test]
    fn not_excerpts() {
        assert_eq!(detect_excerpt("Leap Indicator: 0\nStratum: 2\n"), None);
        // A connectivity row: 6 fields.
        assert_eq!(
            detect_excerpt("2013-06-27T21:08:37.536Z,08D03F2DE58E0D71,SMTP,x,>,Established connection to 192.168.0.12"),
            None
        );
        // Rows without any side evidence: rows, but no kind.
        let d = detect_excerpt("2019-01-25T00:03:58.478Z,TAIL-EXCH-1\\Internet Mail,08D675E58CA1DA38,0,10.0.0.6:25,185.234.217.220:61061,+,,");
        assert_eq!(d.map(|d| (d.rows, d.kind)), Some((1, None)));
    }

    #[test]
    fn read_excerpt_sessions() {
        let o = read_excerpt(RECV).unwrap_or_else(|| panic!("excerpt"));
        assert_eq!(o.detection.kind, Some(LogKind::Receive));
        assert_eq!(o.sessions.len(), 1);
        assert_eq!(o.sessions[0].log, LogKind::Receive);
        assert_eq!(o.sessions[0].ehlo.as_deref(), Some("ylmf-pc"));
        let s = read_excerpt(CHINESE).unwrap_or_else(|| panic!("excerpt"));
        assert_eq!(s.sessions.len(), 1);
        assert_eq!(s.sessions[0].connector, "组织内 SMTP 发送连接器");
        assert_eq!(s.sessions[0].log, LogKind::Send);
    }
}
