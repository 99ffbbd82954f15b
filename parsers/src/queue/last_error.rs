//! The `LastError` of a queue or message: which hop failed, with what, where.
//!
//! Exchange 2013+ wraps it as `[{LRT=<retry time>};{LED=<description>};{FQDN=<host>};{IP=<ip>}]`
//! (any part may be empty); 2007/2010 print the bare description. The
//! description nests SMTP responses: an outer one written by the sending
//! server (`451 4.4.0 Primary target IP address responded with: "…"`), for
//! FrontEnd proxying another level (`450 4.7.0 Proxy session setup failed on
//! Frontend with '451 4.4.0 …: "…"'`), and the innermost one the peer (or the
//! sender itself) produced, e.g. `454 4.7.0 Temporary authentication failure`.
//! Diagnosis needs the innermost response and the peer endpoint, so both are
//! pulled out here — by structure (status code, quotes, `ip:port`), not by
//! enumerating sentences. The Transport Queue Log cuts LastError at 100
//! characters: such values are marked [`LastError::truncated`] and the parts
//! that reach the cut are marked incomplete; nothing is guessed.
//!
//! The grammar reads tokens, not exact spacing: a value rejoined from
//! wrapped lines may have lost a blank (`responded with:"454 4.7.0`) or got
//! one too many (`EX02.conto so.com`), hand-over copies change key case
//! (`{lrt=`, `{LED =`), the part delimiter (`};{`, `},{`, `}; {`) or drop the
//! closing `]`. Sentences are found with blanks ignored, blanks are
//! squeezed out of host names and addresses, and a response whose text is
//! one of Exchange's known ones is given that text's spacing.

use super::local_time::{parse_local_datetime, DateOrder, DateOrderChoice, ExportedTime};
use nom::bytes::complete::take_while_m_n;
use nom::character::complete::{char as ch, space0};
use nom::combinator::{map_res, opt};
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

/// RFC 3463 enhanced status code, e.g. `4.7.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EnhancedStatusCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl fmt::Display for EnhancedStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One SMTP response: `454 4.7.0 Temporary authentication failure`. Either
/// code may be missing (socket errors are plain text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpResponse {
    pub code: Option<u16>,
    pub enhanced_code: Option<EnhancedStatusCode>,
    /// Text after the codes, without the quoted nested response.
    pub text: String,
}

/// What the outermost sentence of a description says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OuterKind {
    /// `Primary target IP address responded with: "…"`.
    PrimaryTargetResponded,
    /// `Primary outbound frontend IP address responded with: "…"`.
    PrimaryFrontendResponded,
    /// `Proxy session setup failed on Frontend with '…'`.
    FrontendProxySetupFailed,
    /// `Error encountered while communicating with primary target IP address: "…"`.
    CommunicationError,
    /// Anything else (the response itself is the error).
    Other,
}

/// `host:port` of the last endpoint attempted; IPv6 hosts are printed
/// without brackets, so the port is whatever follows the last colon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub text: String,
    pub host: String,
    pub port: Option<u16>,
    pub ip: Option<IpAddr>,
}

impl Endpoint {
    /// Splits `ip:port` at the last colon (also accepts `[v6]:port`).
    pub fn parse(text: &str) -> Endpoint {
        let text = text.trim();
        let (host, port) = match text.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b == b'*') => {
                (h, p.parse().ok())
            }
            _ => (text, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Endpoint {
            text: text.to_string(),
            host: host.to_string(),
            port,
            ip: host.parse().ok(),
        }
    }
}

/// A parsed LastError description (the `LED` part, or the whole bare string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryError {
    pub outer: SmtpResponse,
    pub outer_kind: OuterKind,
    /// Responses between outer and inner (the FrontEnd proxy form has one).
    pub intermediate: Vec<SmtpResponse>,
    /// The innermost quoted response, if the description quotes one.
    pub inner: Option<SmtpResponse>,
    /// `The last endpoint attempted was <ip>:<port>` (2013+).
    pub last_endpoint: Option<Endpoint>,
    /// False when a quote never closed (the text was cut).
    pub complete: bool,
}

const MAX_NESTING: usize = 4;

fn digits_u16(n: usize) -> impl Fn(&str) -> IResult<&str, u16> {
    move |i| {
        map_res(
            take_while_m_n(1, n, |c: char| c.is_ascii_digit()),
            str::parse::<u16>,
        )
        .parse(i)
    }
}

fn enhanced_code(i: &str) -> IResult<&str, EnhancedStatusCode> {
    let (i, class) = map_res(
        take_while_m_n(1, 1, |c: char| c.is_ascii_digit()),
        str::parse::<u8>,
    )
    .parse(i)?;
    let dot = || delimited(space0, ch('.'), space0);
    let (i, subject) = preceded(dot(), digits_u16(3)).parse(i)?;
    let (i, detail) = preceded(dot(), digits_u16(3)).parse(i)?;
    Ok((
        i,
        EnhancedStatusCode {
            class,
            subject,
            detail,
        },
    ))
}

/// `NNN[ X.Y.Z] ` at the start of a response (blanks around the codes
/// optional: a rejoined value may have lost or gained them).
fn status_prefix(i: &str) -> IResult<&str, (u16, Option<EnhancedStatusCode>)> {
    let (i, code) = terminated(digits_u16(3), space0).parse(i)?;
    let (i, enhanced) = opt(terminated(enhanced_code, space0)).parse(i)?;
    if !(200..=599).contains(&code) {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((i, (code, enhanced)))
}

/// [`status_prefix`], also across one blank put inside the three digits
/// (`45 4 4.7.0`, a rejoin that guessed a blank where a line was cut).
fn loose_status_prefix(t: &str) -> Option<(&str, (u16, Option<EnhancedStatusCode>))> {
    if let Ok(found) = status_prefix(t) {
        return Some(found);
    }
    let head = t.get(..t.find(char::is_whitespace)?)?;
    if !(1..=2).contains(&head.len()) || !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let tail = t.get(head.len()..)?.trim_start();
    let need = 3 - head.len();
    let more = tail.get(..need)?;
    if !more.bytes().all(|b| b.is_ascii_digit())
        || tail.as_bytes().get(need).is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    let code: u16 = format!("{head}{more}").parse().ok()?;
    if !(200..=599).contains(&code) {
        return None;
    }
    let (rest, enhanced) = preceded(space0, opt(terminated(enhanced_code, space0)))
        .parse(tail.get(need..)?)
        .ok()?;
    Some((rest, (code, enhanced)))
}

/// Response texts Exchange writes (EXSRC `SmtpResponse.cs`,
/// `SmtpOutConnection.cs`), longest first where one begins another.
const KNOWN_TEXTS: &[&str] = &[
    "Temporary authentication failure because negotiated Tls cipher strength is too weak",
    "Temporary authentication failure",
    "Temporary authorization failure",
    "Cannot achieve Exchange Server authentication",
    "Authentication unsuccessful",
    "Unrecognized authentication type",
    "Certificate validation failure",
    "Unable to connect",
    "Connection timed out",
    "Socket error",
    "Connection dropped due to",
    "Connection dropped",
    "Connection failover",
    "Remote server response was not RFC conformant",
    "Timeout waiting for client input",
    "Security status InvalidToken",
    "Primary target IP address responded with:",
    "Primary outbound frontend IP address responded with:",
    "Proxy session setup failed on Frontend with",
    "Error encountered while communicating with primary target IP address:",
];

/// Whitespace runs made one blank.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where `needle` matches `hay` from `start` on, blanks in `hay` skipped
/// (and, with `fold`, ASCII case ignored); the end of the match.
fn match_loose(hay: &str, start: usize, needle: &str, fold: bool) -> Option<usize> {
    let mut want = needle.chars().filter(|c| !c.is_whitespace()).peekable();
    let mut end = start;
    for (i, c) in hay.get(start..)?.char_indices() {
        let Some(&w) = want.peek() else {
            break;
        };
        if c.is_whitespace() {
            continue;
        }
        let same = if fold {
            c.eq_ignore_ascii_case(&w)
        } else {
            c == w
        };
        if !same {
            return None;
        }
        want.next();
        end = start + i + c.len_utf8();
    }
    want.peek().is_none().then_some(end)
}

/// Every match of `needle` in `hay` with blanks ignored, case folded:
/// (start, end) byte ranges.
fn find_loose<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    hay.char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .filter_map(move |(i, _)| match_loose(hay, i, needle, true).map(|e| (i, e)))
}

/// The text with Exchange's spacing when it is (or begins with) one of the
/// known texts up to blanks.
fn canonical_text(text: &str) -> String {
    let text = squash(text);
    for known in KNOWN_TEXTS {
        let Some(end) = match_loose(&text, 0, known, false) else {
            continue;
        };
        let rest = text.get(end..).unwrap_or("");
        // `… due to` goes on with a word; the others end one.
        let boundary = known.ends_with(" to")
            || rest
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || !c.is_alphanumeric());
        if !boundary {
            continue;
        }
        let rest = rest.trim_start();
        return if rest.is_empty() {
            known.to_string()
        } else if rest.starts_with(|c: char| c.is_alphanumeric()) {
            format!("{known} {rest}")
        } else {
            format!("{known}{rest}")
        };
    }
    text
}

/// Splits `NNN X.Y.Z text` into a response (text kept whole, its spacing
/// made Exchange's where the text is a known one).
pub fn parse_smtp_response(text: &str) -> SmtpResponse {
    let t = text.trim();
    match loose_status_prefix(t) {
        Some((rest, (code, enhanced_code))) => SmtpResponse {
            code: Some(code),
            enhanced_code,
            text: canonical_text(rest),
        },
        None => SmtpResponse {
            code: None,
            enhanced_code: None,
            text: canonical_text(t),
        },
    }
}

fn classify_outer(text: &str) -> OuterKind {
    let squeezed: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let has = |phrase: &str| squeezed.contains(&phrase.replace(' ', ""));
    if has("proxy session setup failed") {
        OuterKind::FrontendProxySetupFailed
    } else if has("frontend ip address responded") {
        OuterKind::PrimaryFrontendResponded
    } else if has("primary target ip address responded") {
        OuterKind::PrimaryTargetResponded
    } else if has("error encountered while communicating") {
        OuterKind::CommunicationError
    } else {
        OuterKind::Other
    }
}

/// First quote that opens a nested response: `"` or `'` after a blank or a
/// colon, or glued to the word before it when a rejoin lost the blank
/// (`with"454`, `with'451`; an apostrophe inside a word is not one).
fn opening_quote(s: &str) -> Option<(usize, char)> {
    let mut prev: Option<char> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        if let Some(p) = prev {
            let after_gap = p.is_whitespace() || p == ':' || p == '(';
            let opens = match c {
                '"' => after_gap || p.is_alphanumeric(),
                '\'' => {
                    after_gap || (p.is_alphabetic() && next.is_some_and(|n| n.is_ascii_digit()))
                }
                _ => false,
            };
            if opens {
                return Some((i, c));
            }
        }
        prev = Some(c);
    }
    None
}

/// The response an outer sentence quotes without its quotes
/// (`responded with: 454 4.7.0 … . Attempted failover …`): from the colon's
/// status code to `Attempted failover` (or the end). Returns where it
/// starts, the text, and whether that end was found.
fn unquoted_inner(rest: &str) -> Option<(usize, &str, bool)> {
    let colon = rest
        .char_indices()
        .filter(|(_, c)| *c == ':')
        .map(|(i, _)| i + 1)
        .find(|&i| {
            rest.get(i..)
                .is_some_and(|r| loose_status_prefix(r.trim_start()).is_some())
        })?;
    let after = rest.get(colon..)?;
    let start = colon + (after.len() - after.trim_start().len());
    let after = after.trim_start();
    let (text, found) = match find_loose(after, "attempted failover").next() {
        Some((end, _)) => (after.get(..end).unwrap_or(after), true),
        None => (after, false),
    };
    let text = text.trim_end();
    let text = if found {
        text.strip_suffix('.').unwrap_or(text)
    } else {
        text
    };
    Some((start, text, found))
}

/// Characters of an address or port (`*` masks digits).
fn address_char(c: char) -> bool {
    c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '*' | 'X' | 'x')
}

fn last_endpoint(s: &str, cut: bool) -> Option<Endpoint> {
    let key = "endpoint attempted was";
    let at = match s.to_ascii_lowercase().rfind(key) {
        Some(i) => i + key.len(),
        None => find_loose(s, key).last()?.1,
    };
    let rest = s.get(at..)?.trim_start();
    let stop = |c: char| c.is_whitespace() || c == '\'' || c == '"';
    let end = rest.find(stop).unwrap_or(rest.len());
    if cut && end == rest.len() {
        return None; // may be cut mid-address: never guess
    }
    let mut token = rest.get(..end)?.to_string();
    // A blank a rejoin put inside the address: take the next piece too
    // when only both together read as ip:port.
    let whole = |t: &str| {
        let e = Endpoint::parse(t.trim_end_matches('.'));
        e.ip.is_some() && e.port.is_some()
    };
    let tail = rest.get(end..).unwrap_or("");
    let next = tail.trim_start();
    if !whole(&token) && next.len() < tail.len() {
        let n_end = next.find(stop).unwrap_or(next.len());
        let piece = next.get(..n_end).unwrap_or("");
        let joined = format!("{token}{piece}");
        if !piece.is_empty()
            && piece.chars().all(address_char)
            && !(cut && n_end == next.len())
            && whole(&joined)
        {
            token = joined;
        }
    }
    let token = token.trim_end_matches('.');
    (!token.is_empty()).then(|| Endpoint::parse(token))
}

impl DeliveryError {
    /// Parses a description. `cut` says the text may end early (truncated
    /// export); then an unclosed quote is expected rather than malformed.
    ///
    /// The last description parsed on this thread is remembered: the
    /// messages of a queue (a `Get-Message` 100,000 deep) and the queues
    /// failing to one peer carry the same one, and parsing it was a third of
    /// reading such an export.
    pub fn parse(text: &str, cut: bool) -> DeliveryError {
        thread_local! {
            static LAST: std::cell::RefCell<Option<(String, bool, DeliveryError)>> =
                const { std::cell::RefCell::new(None) };
        }
        let remembered = LAST.with(|last| {
            let last = last.try_borrow().ok()?;
            let (t, c, d) = last.as_ref()?;
            (t == text && *c == cut).then(|| d.clone())
        });
        if let Some(d) = remembered {
            return d;
        }
        let d = Self::parse_afresh(text, cut);
        LAST.with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                *last = Some((text.to_string(), cut, d.clone()));
            }
        });
        d
    }

    fn parse_afresh(text: &str, cut: bool) -> DeliveryError {
        let mut d = Self::parse_level(text, 0);
        d.last_endpoint = last_endpoint(text, cut);
        d
    }

    fn parse_level(text: &str, depth: usize) -> DeliveryError {
        let t = text.trim();
        let (rest, (code, enhanced_code)) = match loose_status_prefix(t) {
            Some((r, v)) => (r, (Some(v.0), v.1)),
            None => (t, (None, None)),
        };
        let mut outer = SmtpResponse {
            code,
            enhanced_code,
            text: canonical_text(rest),
        };
        let mut d = DeliveryError {
            outer_kind: classify_outer(rest),
            outer: outer.clone(),
            intermediate: Vec::new(),
            inner: None,
            last_endpoint: None,
            complete: true,
        };
        if depth >= MAX_NESTING {
            return d;
        }
        let quoted = opening_quote(rest);
        let responds = matches!(
            d.outer_kind,
            OuterKind::PrimaryTargetResponded
                | OuterKind::PrimaryFrontendResponded
                | OuterKind::CommunicationError
        );
        let (open, inner_text, closed) = match quoted {
            Some((open, q)) => {
                let after = rest.get(open + q.len_utf8()..).unwrap_or("");
                match after.rfind(q) {
                    Some(j) => {
                        let inner = after.get(..j).unwrap_or("").trim_end();
                        (open, inner.strip_suffix('.').unwrap_or(inner), true)
                    }
                    None => (open, after, false),
                }
            }
            None if responds => match unquoted_inner(rest) {
                Some(found) => found,
                None => return d,
            },
            None => return d,
        };
        outer.text = canonical_text(rest.get(..open).unwrap_or(""));
        d.outer_kind = classify_outer(rest.get(..open).unwrap_or(rest));
        d.outer = outer;
        let nested = Self::parse_level(inner_text, depth + 1);
        d.complete = closed && nested.complete;
        match nested.inner {
            Some(inner) => {
                d.intermediate.push(nested.outer);
                d.intermediate.extend(nested.intermediate);
                d.inner = Some(inner);
            }
            None => d.inner = Some(nested.outer),
        }
        d
    }
}

/// A LastError value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastError {
    pub raw: String,
    /// `[{LRT=…};{LED=…};…]` (2013+) rather than a bare description.
    pub bracketed: bool,
    /// The `LRT` text as printed (server-local, server culture).
    pub retry_time_text: Option<String>,
    /// `retry_time_text` parsed with the file's day/month order (set by
    /// [`LastError::resolve_retry_time`]; the record readers do it).
    pub retry_time: Option<ExportedTime>,
    /// The `LED` text (or the bare string).
    pub description_text: Option<String>,
    pub description: Option<DeliveryError>,
    pub fqdn: Option<String>,
    /// The `IP` part as printed (may be masked, e.g. `10.**.**.***`).
    pub ip_text: Option<String>,
    pub ip: Option<IpAddr>,
    /// The value was cut (Transport Queue Log: 100 characters); parts that
    /// reach the cut are incomplete or missing, never completed by guess.
    pub truncated: bool,
}

/// The keys of a bracketed LastError.
const KEYS: [&str; 4] = ["LRT", "LED", "FQDN", "IP"];

/// `KEY =` at the start of `s` (blanks around it allowed): the key as
/// written and what follows the `=`.
fn part_key(s: &str) -> Option<(&str, &str)> {
    let t = s.trim_start();
    let len = t.bytes().take_while(u8::is_ascii_alphabetic).count();
    let key = t.get(..len).filter(|k| !k.is_empty())?;
    let rest = t.get(len..)?.trim_start().strip_prefix('=')?;
    Some((key, rest))
}

fn known_key(key: &str) -> bool {
    KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Where the part that `s` starts ends: `}` `;` `{KEY=` with any blanks,
/// `,` for `;`, or one of the braces lost around a known key. Returns the
/// end of the value and the start of the next part's key.
fn part_boundary(s: &str) -> Option<(usize, usize)> {
    for (sep, _) in s.match_indices([';', ',']) {
        let before = s.get(..sep).unwrap_or("").trim_end();
        let after = s.get(sep + 1..).unwrap_or("").trim_start();
        let (end, closed) = match before.strip_suffix('}') {
            Some(b) => (b.len(), true),
            None => (before.len(), false),
        };
        let (key_at, opened) = match after.strip_prefix('{') {
            Some(a) => (a, true),
            None => (after, false),
        };
        let Some((key, _)) = part_key(key_at) else {
            continue;
        };
        let upper = key.bytes().all(|b| b.is_ascii_uppercase());
        let fits = if known_key(key) {
            closed || opened
        } else {
            closed && opened && upper
        };
        if fits {
            return Some((end, s.len() - key_at.len()));
        }
    }
    None
}

/// How the last part ends: the end of its value, whether its `}` is
/// there, and whether the closing `]` is.
fn last_part_end(s: &str) -> (usize, bool, bool) {
    if let Some(close) = s.rfind(']') {
        if let Some(v) = s.get(..close).map(str::trim_end) {
            if let Some(v) = v.strip_suffix('}') {
                return (v.len(), true, true);
            }
        }
    }
    let t = s.trim_end();
    if let Some(v) = t.strip_suffix('}') {
        (v.len(), true, false)
    } else {
        (t.len(), false, false)
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Host names and addresses have no blanks: any are rejoin artifacts.
fn without_blanks(s: &str) -> Option<String> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (!t.is_empty()).then_some(t)
}

impl LastError {
    /// Parses a complete LastError value.
    pub fn parse(text: &str) -> LastError {
        Self::parse_with_limit(text, None)
    }

    /// Parses a value that an exporter may have cut at `limit` characters
    /// (Transport Queue Log: `Some(100)`).
    pub fn parse_with_limit(text: &str, limit: Option<usize>) -> LastError {
        let raw = text.trim();
        let at_limit = limit.is_some_and(|l| raw.chars().count() >= l);
        let mut le = LastError {
            raw: raw.to_string(),
            bracketed: false,
            retry_time_text: None,
            retry_time: None,
            description_text: None,
            description: None,
            fqdn: None,
            ip_text: None,
            ip: None,
            truncated: false,
        };
        // `{[…]}` (message tracking), `[{…}]`, or `{KEY=…` with the `[` lost.
        let body = raw
            .strip_prefix('{')
            .map(str::trim_start)
            .filter(|b| b.starts_with('['))
            .unwrap_or(raw);
        let first = match body.strip_prefix('[') {
            Some(b) => b.trim_start().strip_prefix('{'),
            None => body
                .strip_prefix('{')
                .filter(|b| part_key(b).is_some_and(|(k, _)| known_key(k))),
        };
        let Some(mut rest) = first else {
            le.truncated = at_limit;
            le.description_text = non_empty(raw);
            le.description = le
                .description_text
                .as_deref()
                .map(|d| DeliveryError::parse(d, at_limit));
            return le;
        };
        le.bracketed = true;
        let mut closed = false;
        let mut led_cut = false;
        while let Some((key, after_key)) = part_key(rest) {
            let (value, next, part_closed) = match part_boundary(after_key) {
                Some((end, next)) => (
                    after_key.get(..end).unwrap_or(""),
                    after_key.get(next..),
                    true,
                ),
                None => {
                    let (end, part_closed, all) = last_part_end(after_key);
                    // The `]` lost after a closed part, unless the exporter
                    // cut the value right there.
                    closed = all || (part_closed && !at_limit);
                    (after_key.get(..end).unwrap_or(""), None, part_closed)
                }
            };
            let is_last_unclosed = next.is_none() && !part_closed;
            match key.to_ascii_uppercase().as_str() {
                "LRT" if !is_last_unclosed => {
                    le.retry_time_text = Some(squash(value)).filter(|v| !v.is_empty())
                }
                "LED" => {
                    led_cut = is_last_unclosed;
                    le.description_text = non_empty(value);
                }
                "FQDN" if !is_last_unclosed => le.fqdn = without_blanks(value),
                "IP" if !is_last_unclosed => {
                    le.ip_text = without_blanks(value);
                    le.ip = le.ip_text.as_deref().and_then(|t| t.parse().ok());
                }
                _ => {}
            }
            match next {
                Some(n) => rest = n,
                None => break,
            }
        }
        le.truncated = !closed;
        le.description = le
            .description_text
            .as_deref()
            .map(|d| DeliveryError::parse(d, led_cut));
        le
    }

    /// Parses [`LastError::retry_time_text`] with the file's day/month
    /// order, keeping the other reading when the file could not settle it.
    pub fn read_retry_time(&mut self, choice: &DateOrderChoice) {
        self.retry_time = self.retry_time_text.as_deref().and_then(|t| choice.read(t));
    }

    /// Parses [`LastError::retry_time_text`] with the file's day/month order.
    pub fn resolve_retry_time(&mut self, order: DateOrder) {
        self.retry_time = self
            .retry_time_text
            .as_deref()
            .and_then(|t| parse_local_datetime(t, order));
    }

    /// The innermost SMTP response (what the peer, or the sender on its
    /// behalf, answered).
    pub fn inner_response(&self) -> Option<&SmtpResponse> {
        let d = self.description.as_ref()?;
        d.inner.as_ref().or(Some(&d.outer))
    }

    /// The peer endpoint: the last endpoint attempted if printed, else the
    /// `IP` part.
    pub fn target_ip(&self) -> Option<IpAddr> {
        self.description
            .as_ref()
            .and_then(|d| d.last_endpoint.as_ref())
            .and_then(|e| e.ip)
            .or(self.ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The description remembered answers as a parse afresh: the same text
    /// again, another between, the same text cut or not.
    #[test]
    fn a_description_parsed_again_is_the_same() {
        let texts = [
            ("451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.0.12:25", false),
            ("451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.0.12:25", false),
            ("451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.0.12:25", true),
            ("451 5.7.3 Cannot achieve Exchange Server authentication", false),
            ("451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" The last endpoint attempted was 10.0.0.1", true),
            ("451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" The last endpoint attempted was 10.0.0.1", false),
            ("451 5.7.3 Cannot achieve Exchange Server authentication", false),
        ];
        for (text, cut) in texts {
            assert_eq!(
                DeliveryError::parse(text, cut),
                DeliveryError::parse_afresh(text, cut),
                "{text:?} cut {cut}"
            );
        }
    }

    const QA: &str = r#"[{LRT=15-01-21 23:50:05};{LED=450 4.7.0 Proxy session setup failed on Frontend with '451 4.4.0 Primary target IP address responded with: "451 4.4.0 Security status InvalidToken." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 2a0X:3cXX:XX2:XXX::XX00:25'};{FQDN=MAILSERVER.DOMAIN.LOCAL};{IP=192.168.12.4}]"#;

    #[test]
    fn nested_frontend_proxy_form() {
        let le = LastError::parse(QA);
        assert!(le.bracketed && !le.truncated);
        assert_eq!(le.retry_time_text.as_deref(), Some("15-01-21 23:50:05"));
        assert_eq!(le.fqdn.as_deref(), Some("MAILSERVER.DOMAIN.LOCAL"));
        assert_eq!(le.ip, "192.168.12.4".parse().ok());
        let d = le
            .description
            .clone()
            .unwrap_or_else(|| DeliveryError::parse("", false));
        assert_eq!(d.outer.code, Some(450));
        assert_eq!(d.outer_kind, OuterKind::FrontendProxySetupFailed);
        assert_eq!(d.outer.text, "Proxy session setup failed on Frontend with");
        assert_eq!(d.intermediate.len(), 1);
        assert_eq!(d.intermediate[0].code, Some(451));
        let inner = le.inner_response().cloned();
        assert_eq!(inner.as_ref().and_then(|r| r.code), Some(451));
        assert_eq!(
            inner
                .as_ref()
                .and_then(|r| r.enhanced_code)
                .map(|c| c.to_string())
                .as_deref(),
            Some("4.4.0")
        );
        assert_eq!(
            inner.map(|r| r.text).as_deref(),
            Some("Security status InvalidToken")
        );
        let ep = d.last_endpoint.unwrap_or_else(|| Endpoint::parse(""));
        assert_eq!(ep.host, "2a0X:3cXX:XX2:XXX::XX00");
        assert_eq!(ep.port, Some(25));
    }

    #[test]
    fn bare_kb_string() {
        let le = LastError::parse(
            r#"451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts."#,
        );
        assert!(!le.bracketed);
        let d = le.description.clone();
        assert_eq!(
            d.as_ref().map(|d| d.outer_kind),
            Some(OuterKind::PrimaryTargetResponded)
        );
        assert_eq!(d.and_then(|d| d.last_endpoint), None);
        let inner = le.inner_response();
        assert_eq!(inner.and_then(|r| r.code), Some(454));
        assert_eq!(
            inner.map(|r| r.text.as_str()),
            Some("Temporary authentication failure")
        );
    }

    #[test]
    fn empty_parts_and_ipv4_endpoint() {
        let le = LastError::parse("{[{LRT=};{LED=550 5.7.1 RESOLVER.RST.AuthRequired; authentication required};{FQDN=};{IP=}]}");
        assert!(le.bracketed && !le.truncated);
        assert_eq!(le.retry_time_text, None);
        assert_eq!(le.fqdn, None);
        assert_eq!(le.inner_response().and_then(|r| r.code), Some(550));
        let le = LastError::parse(
            r#"[{LRT=11/26/2026 10:40:05 AM};{LED=441 4.4.1 Error encountered while communicating with primary target IP address: "421 4.4.2 Connection dropped due to SocketError." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.0.12:2525};{FQDN=EX02.contoso.local};{IP=10.0.0.12}]"#,
        );
        let d = le.description.clone();
        assert_eq!(
            d.as_ref().map(|d| d.outer_kind),
            Some(OuterKind::CommunicationError)
        );
        let ep = d.and_then(|d| d.last_endpoint);
        assert_eq!(ep.as_ref().and_then(|e| e.ip), "10.0.0.12".parse().ok());
        assert_eq!(ep.and_then(|e| e.port), Some(2525));
        assert_eq!(le.inner_response().and_then(|r| r.code), Some(421));
    }

    #[test]
    fn truncated_value_is_marked_not_guessed() {
        let full = r#"[{LRT=};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted"#;
        let cut: String = full.chars().take(100).collect();
        let le = LastError::parse_with_limit(&cut, Some(100));
        assert!(le.truncated);
        let d = le.description.clone();
        assert_eq!(d.as_ref().map(|d| d.complete), Some(false));
        let inner = le.inner_response();
        assert_eq!(inner.and_then(|r| r.code), Some(454));
        assert_eq!(
            inner.map(|r| r.text.as_str()),
            Some("Temporary authentication")
        );
        assert_eq!(le.fqdn, None);
    }
    fn inner(le: &LastError) -> (Option<u16>, Option<String>, String) {
        let r = le.inner_response().cloned().unwrap_or(SmtpResponse {
            code: None,
            enhanced_code: None,
            text: String::new(),
        });
        (r.code, r.enhanced_code.map(|c| c.to_string()), r.text)
    }

    fn kb_454() -> (Option<u16>, Option<String>, String) {
        (
            Some(454),
            Some("4.7.0".to_string()),
            "Temporary authentication failure".to_string(),
        )
    }

    #[test]
    fn blank_lost_or_added_at_breaks() {
        let ip = "10.0.1.12".parse().ok();
        for text in [
            // The blank after the colon stripped with a wrap's trailing space.
            r#"[{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary target IP address responded with:"454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. The last endpoint attempted was 10.0.1.12:2525};{FQDN=EX02.contoso.com};{IP=10.0.1.12}]"#,
            // Glued to the word, the colon gone too.
            r#"[{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary target IP address responded with"454 4.7.0 Temporary authentication failure."Attempted failover to alternate host, but that did not succeed. The last endpoint attempted was10.0.1.12:2525};{FQDN=EX02.contoso.com};{IP=10.0.1.12}]"#,
            // Blanks guessed where a character wrap cut words and codes.
            r#"[{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary tar get IP address resp onded with: "45 4 4.7. 0 Temp orary authenti cation failure." Attempted failover to alternate host, but that did not succeed. The last endpoint attem pted was 10.0.1. 12:2525};{FQDN=EX02.conto so.com};{IP=10.0. 1.12}]"#,
            // The quotes lost.
            r#"[{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary target IP address responded with: 454 4.7.0 Temporary authentication failure. Attempted failover to alternate host, but that did not succeed. The last endpoint attempted was 10.0.1.12:2525};{FQDN=EX02.contoso.com};{IP=10.0.1.12}]"#,
        ] {
            let le = LastError::parse(text);
            assert!(le.bracketed && !le.truncated, "{text}");
            assert_eq!(inner(&le), kb_454(), "{text}");
            let d = le.description.clone().expect("LED");
            assert_eq!(d.outer_kind, OuterKind::PrimaryTargetResponded, "{text}");
            assert_eq!(d.outer.code, Some(451));
            assert_eq!(d.last_endpoint.and_then(|e| e.port), Some(2525), "{text}");
            assert_eq!(le.target_ip(), ip, "{text}");
            assert_eq!(le.ip, ip, "{text}");
            assert_eq!(le.fqdn.as_deref(), Some("EX02.contoso.com"), "{text}");
            assert_eq!(le.retry_time_text.as_deref(), Some("11/26/2026 2:56:50 AM"));
        }
    }

    #[test]
    fn key_case_delimiters_and_missing_bracket() {
        for text in [
            r#"[{lrt=11/26/2026 2:56:50 AM};{led=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure."};{fqdn=EX02.contoso.com};{ip=10.0.1.12}]"#,
            r#"[{LRT = 11/26/2026 2:56:50 AM},{LED =451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure."},{FQDN= EX02.contoso.com},{IP =10.0.1.12}]"#,
            r#"[ {LRT=11/26/2026 2:56:50 AM} ; {LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure."}; {FQDN=EX02.contoso.com} ;{IP=10.0.1.12} ]"#,
            r#"[{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure."};{FQDN=EX02.contoso.com};{IP=10.0.1.12}"#,
            r#"{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure."};{FQDN=EX02.contoso.com};{IP=10.0.1.12}]"#,
            r#"[{LRT=11/26/2026 2:56:50 AM};LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure."};{FQDN=EX02.contoso.com};{IP=10.0.1.12}]"#,
        ] {
            let le = LastError::parse(text);
            assert!(le.bracketed, "{text}");
            assert!(!le.truncated, "{text}");
            assert_eq!(
                le.retry_time_text.as_deref(),
                Some("11/26/2026 2:56:50 AM"),
                "{text}"
            );
            assert_eq!(inner(&le), kb_454(), "{text}");
            assert_eq!(le.fqdn.as_deref(), Some("EX02.contoso.com"), "{text}");
            assert_eq!(le.ip, "10.0.1.12".parse().ok(), "{text}");
        }
    }

    #[test]
    fn cut_values_give_what_they_hold() {
        let full = r#"[{lrt=26.11.2026 02:56:50},{LED = 451 4.4.0 Primary target IP address responded with:"454 4.7.0 Temporary authentication failure." Attempted failover"#;
        for n in [60, 75, 90, 100, 110, 130, 149] {
            let cut: String = full.chars().take(n).collect();
            let le = LastError::parse_with_limit(&cut, Some(n));
            assert!(le.truncated, "{n}");
            assert_eq!(le.retry_time_text.as_deref(), Some("26.11.2026 02:56:50"));
            assert_eq!(le.fqdn, None);
            assert_eq!(le.ip, None);
            let d = le.description.clone().expect("LED");
            assert_eq!(d.outer.code, Some(451), "{n}");
            let r = inner(&le);
            if n >= 100 {
                assert_eq!(r.0, Some(454), "{n}");
                assert!(
                    "Temporary authentication failure".starts_with(&r.2),
                    "{n}: {r:?}"
                );
            }
            // The quote opens at character 86 and closes at 130.
            if n >= 130 {
                assert_eq!(r, kb_454());
            }
            assert_eq!(d.complete, !(86..130).contains(&n), "{n}");
        }
        // Cut right after a part's `}`: the part is whole, the value is not.
        let le = LastError::parse_with_limit(
            "[{LRT=};{LED=421 4.4.2 Connection dropped};{FQDN=EX02}",
            Some(54),
        );
        assert!(le.truncated);
        assert_eq!(le.fqdn.as_deref(), Some("EX02"));
        assert_eq!(inner(&le).2, "Connection dropped");
    }

    #[test]
    fn known_texts_get_their_spacing_back() {
        assert_eq!(
            parse_smtp_response("421 4.4.2 Connectiondropped due toSocketError").text,
            "Connection dropped due to SocketError"
        );
        assert_eq!(
            parse_smtp_response("454 4.7.0 Temporary  authentication failure").text,
            "Temporary authentication failure"
        );
        // Case is what the server wrote; only blanks are mended.
        assert_eq!(
            parse_smtp_response("454 4.7.0 temporary authentication failure").text,
            "temporary authentication failure"
        );
        assert_eq!(
            parse_smtp_response("4544.7.0Temporary authentication failure").code,
            Some(454)
        );
    }
}
