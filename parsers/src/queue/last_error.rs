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

use super::local_time::{parse_local_datetime, DateOrder, DateOrderChoice, ExportedTime};
use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::char as ch;
use nom::combinator::{map_res, opt};
use nom::sequence::{preceded, terminated};
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
    let (i, subject) = preceded(ch('.'), digits_u16(3)).parse(i)?;
    let (i, detail) = preceded(ch('.'), digits_u16(3)).parse(i)?;
    Ok((
        i,
        EnhancedStatusCode {
            class,
            subject,
            detail,
        },
    ))
}

/// `NNN[ X.Y.Z] ` at the start of a response.
fn status_prefix(i: &str) -> IResult<&str, (u16, Option<EnhancedStatusCode>)> {
    let (i, code) = terminated(digits_u16(3), opt(ch(' '))).parse(i)?;
    let (i, enhanced) = opt(terminated(enhanced_code, opt(ch(' ')))).parse(i)?;
    if !(200..=599).contains(&code) {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((i, (code, enhanced)))
}

/// Splits `NNN X.Y.Z text` into a response (text kept whole).
pub fn parse_smtp_response(text: &str) -> SmtpResponse {
    let t = text.trim();
    match status_prefix(t) {
        Ok((rest, (code, enhanced_code))) => SmtpResponse {
            code: Some(code),
            enhanced_code,
            text: rest.trim().to_string(),
        },
        Err(_) => SmtpResponse {
            code: None,
            enhanced_code: None,
            text: t.to_string(),
        },
    }
}

fn classify_outer(text: &str) -> OuterKind {
    let l = text.to_ascii_lowercase();
    if l.contains("proxy session setup failed") {
        OuterKind::FrontendProxySetupFailed
    } else if l.contains("frontend ip address responded") {
        OuterKind::PrimaryFrontendResponded
    } else if l.contains("primary target ip address responded") {
        OuterKind::PrimaryTargetResponded
    } else if l.contains("error encountered while communicating") {
        OuterKind::CommunicationError
    } else {
        OuterKind::Other
    }
}

/// First quote that opens a nested response: `"` or `'` right after a space.
fn opening_quote(s: &str) -> Option<(usize, char)> {
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        if (c == '"' || c == '\'') && prev == ' ' && i > 0 {
            return Some((i, c));
        }
        prev = c;
    }
    None
}

fn last_endpoint(s: &str, cut: bool) -> Option<Endpoint> {
    let lower = s.to_ascii_lowercase();
    let key = "endpoint attempted was ";
    let at = lower.rfind(key)? + key.len();
    let rest = s.get(at..)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '\'' || c == '"')
        .unwrap_or(rest.len());
    if cut && end == rest.len() {
        return None; // may be cut mid-address: never guess
    }
    let token = rest.get(..end)?.trim_end_matches('.');
    (!token.is_empty()).then(|| Endpoint::parse(token))
}

impl DeliveryError {
    /// Parses a description. `cut` says the text may end early (truncated
    /// export); then an unclosed quote is expected rather than malformed.
    pub fn parse(text: &str, cut: bool) -> DeliveryError {
        let mut d = Self::parse_level(text, 0);
        d.last_endpoint = last_endpoint(text, cut);
        d
    }

    fn parse_level(text: &str, depth: usize) -> DeliveryError {
        let t = text.trim();
        let (rest, (code, enhanced_code)) = match status_prefix(t) {
            Ok((r, v)) => (r, (Some(v.0), v.1)),
            Err(_) => (t, (None, None)),
        };
        let mut outer = SmtpResponse {
            code,
            enhanced_code,
            text: rest.trim().to_string(),
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
        let Some((open, q)) = opening_quote(rest) else {
            return d;
        };
        outer.text = rest.get(..open).unwrap_or("").trim().to_string();
        d.outer = outer;
        let after = rest.get(open + 1..).unwrap_or("");
        let (inner_text, closed) = match after.rfind(q) {
            Some(j) => (after.get(..j).unwrap_or(""), true),
            None => (after, false),
        };
        let inner_text = if closed {
            inner_text.strip_suffix('.').unwrap_or(inner_text)
        } else {
            inner_text
        };
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

fn part_boundary(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(off) = s.get(from..).and_then(|r| r.find("};{")) {
        let at = from + off;
        let tail = s.get(at + 3..).unwrap_or("");
        let key_len = tail.bytes().take_while(|b| b.is_ascii_uppercase()).count();
        if key_len > 0 && tail.as_bytes().get(key_len) == Some(&b'=') {
            return Some(at);
        }
        from = at + 3;
    }
    None
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
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
        let body = raw
            .strip_prefix('{')
            .filter(|b| b.starts_with('['))
            .unwrap_or(raw);
        let parts: IResult<&str, &str> = tag("[{").parse(body);
        let Ok((mut rest, _)) = parts else {
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
        loop {
            let key_len = rest.bytes().take_while(|b| b.is_ascii_uppercase()).count();
            let key = rest.get(..key_len).unwrap_or("");
            let Some(after_key) = rest.get(key_len..).and_then(|r| r.strip_prefix('=')) else {
                break;
            };
            let (value, next) = match part_boundary(after_key) {
                Some(b) => (after_key.get(..b).unwrap_or(""), after_key.get(b + 3..)),
                None => match after_key.rfind("}]") {
                    Some(e) => {
                        closed = true;
                        (after_key.get(..e).unwrap_or(""), None)
                    }
                    None => (after_key, None),
                },
            };
            let is_last_unclosed = next.is_none() && !closed;
            match key {
                "LRT" if !is_last_unclosed => le.retry_time_text = non_empty(value),
                "LED" => {
                    led_cut = is_last_unclosed;
                    le.description_text = non_empty(value);
                }
                "FQDN" if !is_last_unclosed => le.fqdn = non_empty(value),
                "IP" if !is_last_unclosed => {
                    le.ip_text = non_empty(value);
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
}
