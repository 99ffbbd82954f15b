//! Failure signatures: the few phrases that mean "Exchange server-to-server
//! authentication failed", found in any text, whatever its form.
//!
//! Admins hand over what they have: a `Get-Queue | fl` pasted into a ticket,
//! an event copied from Event Viewer, twenty rows of a Send log, a console
//! transcript. A parser for each form reads its fields; this module is the
//! net under all of them. It reads line by line and knows only the signatures
//! (FORMATS.md §1.5, §2.2, §3.2, §7.6):
//!
//! * `454 4.7.0` — the receiver's (or the sender's synthesized) reply;
//! * `451 5.7.3` / `Cannot achieve Exchange Server authentication`;
//! * `Inbound ExchangeAuth negotiation failed` (Receive log);
//! * event 1035's text, `Inbound authentication failed with error …` with
//!   mechanism `ExchangeAuth` (English; Dutch `Binnenkomende verificatie is
//!   mislukt …` as the KB prints it);
//! * `Outbound Authentication failed` (Send log) and event 2017's text
//!   `Outbound authentication failed with error … ExchangeAuth`.
//!
//! Event 1035/2017 text naming another mechanism (`Login`, `Ntlm` from an
//! Internet client) is not server-to-server authentication and is not a
//! signature. A caller that parsed the same text into typed failure records
//! does not need the hits; one that found none must not drop them.

use crate::net::endpoint_ip;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::sync::LazyLock;

/// Which failure a line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signature {
    /// `454 4.7.0` sent by the receiver (a Receive-log `>` row).
    #[serde(rename = "reply-454-from-receiver")]
    Reply454FromReceiver,
    /// `454 4.7.0` seen by the sender (queue LastError, Send log, NDR):
    /// the receiver answered it, or the sender made it up.
    #[serde(rename = "reply-454")]
    Reply454,
    /// `451 5.7.3 Cannot achieve Exchange Server authentication`.
    #[serde(rename = "not-offered-451-5.7.3")]
    NotOffered,
    /// The receiver refused ExchangeAuth (Receive log row, event 1035 text).
    InboundRejected,
    /// The sender could not authenticate (Send log row, event 2017 text).
    OutboundFailed,
}

impl Signature {
    /// The stable id used in reports.
    pub fn id(self) -> &'static str {
        match self {
            Signature::Reply454FromReceiver => "reply-454-from-receiver",
            Signature::Reply454 => "reply-454",
            Signature::NotOffered => "not-offered-451-5.7.3",
            Signature::InboundRejected => "inbound-rejected",
            Signature::OutboundFailed => "outbound-failed",
        }
    }

    /// True when the line was written by the receiving server.
    pub fn written_by_receiver(self) -> bool {
        matches!(
            self,
            Signature::Reply454FromReceiver | Signature::InboundRejected
        )
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One line that carries a failure signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureHit {
    /// 1-based line number in the decoded text.
    pub line: u64,
    pub signature: Signature,
    /// The security status, when the line names one (`TimeSkew`,
    /// `IllegalMessage`, `LogonDenied`, …).
    pub status: Option<String>,
    /// The other server's IP, when the line names it unambiguously (the
    /// client IP of a 1035, `{IP=…}` of a LastError, the remote endpoint of
    /// a protocol-log row).
    pub peer_ip: Option<IpAddr>,
    /// The other server's name (`SMTPSVC/<fqdn>` of a 2017, `{FQDN=…}`,
    /// a queue's next hop).
    pub peer_host: Option<String>,
    /// A leading ISO-8601 UTC time (`2024-10-15T12:00:00.000Z`), as written.
    pub utc_time: Option<String>,
    /// The line, trimmed and cut to [`MAX_TEXT`] bytes.
    pub text: String,
}

/// How much of a line a hit keeps.
pub const MAX_TEXT: usize = 400;

/// How many hits one file keeps; a file with more is counted, not stored.
pub const MAX_HITS: usize = 10_000;

/// Longest piece of a line scanned at once. A longer line — a JSON or CliXml
/// export written on one line, where lines mean nothing — is scanned in
/// windows of this size that overlap by [`WINDOW_OVERLAP`] bytes (no phrase is
/// longer), and the line's hit is the first window's that has one: a line is
/// never held whole, however it is handed over.
pub const SCAN_WINDOW: usize = 1 << 20;

/// Bytes a window shares with the next: more than any phrase a signature or
/// its fields are read from.
const WINDOW_OVERLAP: usize = 4 << 10;

/// Reads lines and keeps those with a failure signature.
#[derive(Debug, Default)]
pub struct SignatureScanner {
    /// Lines ended so far.
    line: u64,
    hits: Vec<SignatureHit>,
    /// Hits beyond [`MAX_HITS`], counted only.
    pub dropped: u64,
    /// The current line's text not yet scanned, when it comes in pieces (at
    /// most [`SCAN_WINDOW`] bytes).
    held: String,
    /// The current line had its hit in an earlier window.
    line_hit: bool,
}

impl SignatureScanner {
    pub fn new() -> Self {
        SignatureScanner::default()
    }

    /// Looks at the next line (without its line break).
    pub fn line(&mut self, line: &str) {
        if self.held.is_empty() && !self.line_hit && line.len() <= SCAN_WINDOW {
            // A whole line in one window: as `piece` then `end_line`, uncopied.
            self.line += 1;
            if let Some(hit) = scan_line(line, self.line) {
                self.keep(hit);
            }
        } else {
            self.piece(line);
            self.end_line();
        }
    }

    /// More of the current line (a line handed over in pieces: each
    /// [`str`], so never a character split).
    pub fn piece(&mut self, mut text: &str) {
        loop {
            let room = SCAN_WINDOW - self.held.len();
            if text.len() <= room {
                self.held.push_str(text);
                return;
            }
            let take = floor_char_boundary(text, room);
            self.held.push_str(&text[..take]);
            text = &text[take..];
            self.scan_held();
            let keep_from = ceil_char_boundary(&self.held, self.held.len() - WINDOW_OVERLAP);
            self.held.drain(..keep_from);
        }
    }

    /// Ends the current line (its pieces, if any, are its text).
    pub fn end_line(&mut self) {
        self.scan_held();
        self.held.clear();
        self.line_hit = false;
        self.line += 1;
    }

    /// Ends the last line of a text if it has begun: a text's last line
    /// needs no line break, and nothing after its last break is no line (as
    /// [`str::lines`] splits).
    pub fn end_last_line(&mut self) {
        if !self.held.is_empty() || self.line_hit {
            self.end_line();
        }
    }

    /// Scans what is held of the current line unless it already had its hit.
    fn scan_held(&mut self) {
        if self.line_hit {
            return;
        }
        if let Some(hit) = scan_line(&self.held, self.line + 1) {
            self.line_hit = true;
            self.keep(hit);
        }
    }

    fn keep(&mut self, hit: SignatureHit) {
        if self.hits.len() < MAX_HITS {
            self.hits.push(hit);
        } else {
            self.dropped += 1;
        }
    }

    pub fn finish(self) -> Vec<SignatureHit> {
        self.hits
    }
}

/// Every hit in a text.
pub fn scan_text(text: &str) -> Vec<SignatureHit> {
    let mut scanner = SignatureScanner::new();
    for line in text.lines() {
        scanner.line(line);
    }
    scanner.finish()
}

/// Cheap test before the case-insensitive work, on the line as it is: every
/// signature holds one of these pieces (whatever the case of its first
/// letters). Most lines of a large log fail it without a copy.
fn may_hold_signature(line: &str) -> bool {
    match &*MAY_HOLD {
        Some(words) => words.is_match(line),
        None => MAY_HOLD_WORDS.iter().any(|word| line.contains(word)),
    }
}

/// What a line holding a failure signature holds one of ([`may_hold_signature`]).
const MAY_HOLD_WORDS: [&str; 6] = [
    "454 4.7.0",
    "451 5.7.3",
    "UTHENTICATION",
    "uthentication",
    "xchangeAuth",
    "erificatie",
];

/// [`MAY_HOLD_WORDS`] searched for at once: most lines of a text input hold none, and six
/// `str::contains`, each setting up its own searcher for a line of a few dozen bytes, were a
/// tenth of reading a `w32tm /stripchart` (perf). `None` would be an automaton that could not
/// be built (six short words always build); each word is then searched for.
static MAY_HOLD: LazyLock<Option<aho_corasick::AhoCorasick>> =
    LazyLock::new(|| aho_corasick::AhoCorasick::new(MAY_HOLD_WORDS).ok());

/// The phrases [`scan_line`] decides by (lower case; what each means is in
/// [`scan_line`]), in this order: their bit in [`phrases_in`]'s answer.
const PHRASES: &[&str] = &[
    "mechanism is",
    "authenticatiemechanisme",
    "exchangeauth",
    "inbound exchangeauth negotiation failed",
    "inbound authentication failed with error",
    "binnenkomende verificatie is mislukt",
    "outbound authentication failed",
    "uitgaande verificatie is mislukt",
    "451 5.7.3",
    "cannot achieve exchange server authentication",
    "454 4.7.0",
    ",>,454 4.7.0",
];

// Each phrase has its bit in a `u32`.
const _: () = assert!(PHRASES.len() <= 32);

/// [`PHRASES`] searched for at once, ASCII case ignored (as `contains` on the line lower-cased
/// finds them): a dozen `str::contains`, each setting up its own searcher, were 4 % of reading
/// events copied as text (callgrind). `None` would be an automaton that could not be built
/// (these always build); each phrase is then searched for.
static SIGNATURE_PHRASES: LazyLock<Option<aho_corasick::AhoCorasick>> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(aho_corasick::MatchKind::Standard)
        .build(PHRASES)
        .ok()
});

/// Which of [`PHRASES`] `line` holds, ASCII case ignored: bit `i` for `PHRASES[i]`.
fn phrases_in(line: &str) -> u32 {
    let mut found = 0u32;
    match SIGNATURE_PHRASES.as_ref() {
        Some(automaton) => {
            for m in automaton.find_overlapping_iter(line) {
                found |= 1u32.checked_shl(m.pattern().as_u32()).unwrap_or(0);
            }
        }
        None => {
            let lower = line.to_ascii_lowercase();
            for (i, phrase) in PHRASES.iter().enumerate() {
                if lower.contains(phrase) {
                    found |= u32::try_from(i)
                        .ok()
                        .and_then(|i| 1u32.checked_shl(i))
                        .unwrap_or(0);
                }
            }
        }
    }
    found
}

/// The hit on one line, if any.
pub fn scan_line(line: &str, number: u64) -> Option<SignatureHit> {
    if !may_hold_signature(line) {
        return None;
    }
    let found = phrases_in(line);
    let has = |phrase: &str| {
        PHRASES
            .iter()
            .position(|p| *p == phrase)
            .and_then(|i| u32::try_from(i).ok())
            .and_then(|i| 1u32.checked_shl(i))
            .is_some_and(|bit| found & bit != 0)
    };
    let mechanism_named = has("mechanism is") || has("authenticatiemechanisme");
    let exchange_auth = has("exchangeauth");
    let signature = if has("inbound exchangeauth negotiation failed")
        || ((has("inbound authentication failed with error")
            || has("binnenkomende verificatie is mislukt"))
            && exchange_auth)
    {
        Signature::InboundRejected
    } else if (has("outbound authentication failed") || has("uitgaande verificatie is mislukt"))
        && (exchange_auth || !mechanism_named)
    {
        Signature::OutboundFailed
    } else if has("451 5.7.3") || has("cannot achieve exchange server authentication") {
        Signature::NotOffered
    } else if has("454 4.7.0") {
        if has(",>,454 4.7.0") {
            Signature::Reply454FromReceiver
        } else {
            Signature::Reply454
        }
    } else {
        return None;
    };
    let row = protocol_row(line);
    let peer_ip = bracketed_ip(line, signature)
        .or_else(|| braced(line, "IP=").and_then(|v| v.parse().ok()))
        .or_else(|| row.as_ref().and_then(|r| r.remote_ip));
    let peer_host = target_spn(line)
        .or_else(|| braced(line, "FQDN=").map(str::to_string))
        .filter(|h| !h.is_empty());
    Some(SignatureHit {
        line: number,
        signature,
        status: status_of(line),
        peer_ip,
        peer_host,
        utc_time: leading_utc(line).map(str::to_string),
        text: cut(line.trim(), MAX_TEXT).to_string(),
    })
}

/// The fields of a protocol-log row (`date-time,connector-id,session-id,
/// sequence-number,local-endpoint,remote-endpoint,event,data,context`).
struct ProtocolRow {
    remote_ip: Option<IpAddr>,
}

fn protocol_row(line: &str) -> Option<ProtocolRow> {
    leading_utc(line)?;
    let fields: Vec<&str> = line.splitn(8, ',').collect();
    if fields.len() < 8 {
        return None;
    }
    Some(ProtocolRow {
        remote_ip: endpoint_ip(fields[5]),
    })
}

/// The client IP of event 1035's text: `… is [10.1.2.11].`
fn bracketed_ip(line: &str, signature: Signature) -> Option<IpAddr> {
    if signature != Signature::InboundRejected {
        return None;
    }
    let start = line.rfind('[')?;
    let end = start + line[start..].find(']')?;
    line[start + 1..end].trim().parse().ok()
}

/// `{KEY=value}` in a LastError.
fn braced<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!("{{{key}"))? + key.len() + 1;
    let end = start + line[start..].find('}')?;
    Some(line[start..end].trim())
}

/// `The target is SMTPSVC/ex02.contoso.com.` (event 2017).
fn target_spn(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let at = lower.find("smtpsvc/").or_else(|| lower.find("smtp/"))?;
    let rest = &line[at..];
    let spn = rest.split_once('/')?.1;
    let host: String = spn
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    Some(host.trim_end_matches('.').to_string())
}

/// The security status named by the line, in its usual phrasings.
fn status_of(line: &str) -> Option<String> {
    const MARKERS: [&str; 6] = [
        "failed with error ",
        "because of ",
        "failed with ",
        "Security status ",
        "mislukt met de fout ",
        "to initialize with ",
    ];
    let lower = line.to_ascii_lowercase();
    for marker in MARKERS {
        if let Some(at) = lower.find(&marker.to_ascii_lowercase()) {
            let rest = &line[at + marker.len()..];
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() && word.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                return Some(word);
            }
        }
    }
    None
}

/// `2024-10-15T12:00:00.000Z` at the start of a line.
fn leading_utc(line: &str) -> Option<&str> {
    let token = line.trim_start().split([',', ' ', '\t']).next()?;
    let b = token.as_bytes();
    let shaped = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b.last() == Some(&b'Z')
        && b[..4].iter().all(u8::is_ascii_digit);
    shaped.then_some(token)
}

/// The first `max` bytes of `s`, never inside a character.
fn cut(s: &str, max: usize) -> &str {
    &s[..floor_char_boundary(s, max)]
}

/// The largest character boundary of `s` at or before `at`.
fn floor_char_boundary(s: &str, at: usize) -> usize {
    let mut end = at.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// The smallest character boundary of `s` at or after `at`.
fn ceil_char_boundary(s: &str, at: usize) -> usize {
    let mut start = at.min(s.len());
    while !s.is_char_boundary(start) {
        start += 1;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words searched for at once say what each searched for alone says:
    /// each word anywhere in a line (its start, middle, end, the whole line),
    /// near misses and other case not.
    #[test]
    fn the_words_at_once_say_what_each_alone_says() {
        let alone = |line: &str| MAY_HOLD_WORDS.iter().any(|word| line.contains(word));
        let mut lines = vec![
            String::new(),
            "454 4.7.1 Temporary".into(),
            "451 5.7.4".into(),
            "UTHENTICATIO".into(),
            "uthenticatio n".into(),
            "xchangeauth".into(),
            "Verificati e".into(),
            "09:56:00, +419.9999451s".into(),
        ];
        for word in MAY_HOLD_WORDS {
            lines.push(word.to_string());
            lines.push(format!("{word} at the start"));
            lines.push(format!("in the {word} middle"));
            lines.push(format!("at the end: {word}"));
        }
        for line in &lines {
            assert_eq!(may_hold_signature(line), alone(line), "{line:?}");
        }
        assert!(MAY_HOLD.is_some());
        assert_eq!(lines.iter().filter(|l| may_hold_signature(l)).count(), 24);
    }

    /// The phrases found at once are the ones the line lower-cased contains:
    /// each phrase in any case at the start, middle and end of a line, phrases
    /// inside each other (`,>,454 4.7.0` holds `454 4.7.0`), near misses,
    /// non-ASCII around them (lower-casing ASCII only, as the automaton).
    #[test]
    fn the_phrases_at_once_are_the_ones_contained() {
        let contained = |line: &str| {
            let lower = line.to_ascii_lowercase();
            PHRASES
                .iter()
                .enumerate()
                .filter(|(_, p)| lower.contains(*p))
                .fold(0u32, |found, (i, _)| found | 1 << i)
        };
        let mut lines = vec![
            String::new(),
            "2026-11-26T10:40:05.120Z,Outbound,08DC,4,10.1.2.11:51000,10.1.2.12:25,<,454 4.7.0 Temporary authentication failure,".into(),
            "2026-11-26T10:40:05.120Z,Default EX02,08DC,4,10.1.2.12:25,10.1.2.11:51000,>,454 4.7.0 Temporary authentication failure,".into(),
            "Inbound authentication failed with error TimeSkew for Receive connector Default EX02. The authentication mechanism is ExchangeAuth.".into(),
            "INBOUND AUTHENTICATION FAILED WITH ERROR İllegal for ExchangeAüth".into(),
            "Binnenkomende verificatie is mislukt met de fout … authenticatiemechanisme ExchangeAuth".into(),
            "454 4.7 .0 and 451 5.7 .3, mechanism  is".into(),
        ];
        for phrase in PHRASES {
            lines.push(phrase.to_string());
            lines.push(format!("{} at the start", phrase.to_ascii_uppercase()));
            lines.push(format!("in the {phrase}é middle"));
            lines.push(format!("ünd at the end: {phrase}"));
        }
        for line in &lines {
            assert_eq!(phrases_in(line), contained(line), "{line:?}");
        }
        assert!(SIGNATURE_PHRASES.is_some());
        assert_eq!(phrases_in(&lines[2]) & 0b1100_0000_0000, 0b1100_0000_0000);
    }

    fn one(line: &str) -> SignatureHit {
        scan_line(line, 1).unwrap_or_else(|| panic!("no hit in {line:?}"))
    }

    #[test]
    fn queue_last_error_names_the_target() {
        let hit = one(
            r#"LastError : 451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.1.2.12:25"#,
        );
        assert_eq!(hit.signature, Signature::Reply454);
        assert_eq!(hit.peer_ip, None, "a bare endpoint in prose is not taken");
        let hit = one("LastError: [{LRT=9/7/2024 2:55:34 PM};{LED=454 4.7.0 Temporary authentication failure};{FQDN=ex02.contoso.com};{IP=10.1.2.12}]");
        assert_eq!(hit.peer_ip, Some("10.1.2.12".parse().unwrap()));
        assert_eq!(hit.peer_host.as_deref(), Some("ex02.contoso.com"));
    }

    #[test]
    fn event_1035_text_in_english_and_dutch() {
        let en = one("Inbound authentication failed with error UnexpectedExchangeAuthBlob for Receive connector Default SiteCServer. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.0.5].");
        assert_eq!(en.signature, Signature::InboundRejected);
        assert_eq!(en.status.as_deref(), Some("UnexpectedExchangeAuthBlob"));
        assert_eq!(en.peer_ip, Some("10.0.0.5".parse().unwrap()));
        let nl = one("Binnenkomende verificatie is mislukt met de fout IllegalMessage voor de standaardinstelling connector EX02. Het authenticatiemechanisme is ExchangeAuth. Het bron-IP-adres van de client die heeft geprobeerd om te verifiëren bij Microsoft Exchange is [10.1.2.11].");
        assert_eq!(nl.signature, Signature::InboundRejected);
        assert_eq!(nl.status.as_deref(), Some("IllegalMessage"));
        assert_eq!(nl.peer_ip, Some("10.1.2.11".parse().unwrap()));
    }

    #[test]
    fn internet_logins_are_not_signatures() {
        assert!(scan_line("Inbound authentication failed with error LogonDenied for Receive connector Default DC. The authentication mechanism is Ntlm. The source IP address of the client who tried to authenticate to Microsoft Exchange is [212.48.88.133].", 1).is_none());
        assert!(scan_line("2020-04-02T07:00:16.411Z,SRV-XCH03\\External Authenticated Relay,08D7D4D2EFBC4CC8,9,10.0.0.2:10587,180.20.20.20:61234,*,,Inbound AUTH LOGIN failed because of LogonDenied", 1).is_none());
        assert!(scan_line(">,535 5.7.3 Authentication unsuccessful", 1).is_none());
        assert!(scan_line("Outbound authentication failed with error LogonDenied for Send connector Smart host. The authentication mechanism is Login. The target is mail.example.com.", 1).is_none());
    }

    #[test]
    fn protocol_log_rows() {
        let recv = one("2024-10-15T12:00:01.123Z,EX02\\Default EX02,08DCED3A1B2C3D4E,7,10.1.2.12:25,10.1.2.11:41522,*,,Inbound ExchangeAuth negotiation failed because of TimeSkew");
        assert_eq!(recv.signature, Signature::InboundRejected);
        assert_eq!(recv.status.as_deref(), Some("TimeSkew"));
        assert_eq!(recv.peer_ip, Some("10.1.2.11".parse().unwrap()));
        assert_eq!(recv.utc_time.as_deref(), Some("2024-10-15T12:00:01.123Z"));
        let reply = one("2024-10-15T12:00:01.124Z,EX02\\Default EX02,08DCED3A1B2C3D4E,8,10.1.2.12:25,10.1.2.11:41522,>,454 4.7.0 Temporary authentication failure,");
        assert_eq!(reply.signature, Signature::Reply454FromReceiver);
        let send = one("2019-11-04T06:00:35.496Z,组织内 SMTP 发送连接器,08D760DF231F00BC,45,10.0.0.31:37964,10.0.0.168:25,*,,Outbound Authentication failed with LogonDenied");
        assert_eq!(send.signature, Signature::OutboundFailed);
        assert_eq!(send.status.as_deref(), Some("LogonDenied"));
        assert_eq!(send.peer_ip, Some("10.0.0.168".parse().unwrap()));
    }

    #[test]
    fn event_2017_names_its_target() {
        let hit = one("Outbound authentication failed with error LogonDenied for Send connector 组织内 SMTP 发送连接器. The authentication mechanism is ExchangeAuth. The target is SMTPSVC/M10-SD-MLCH02.sd.cnc.intra.");
        assert_eq!(hit.signature, Signature::OutboundFailed);
        assert_eq!(hit.peer_host.as_deref(), Some("M10-SD-MLCH02.sd.cnc.intra"));
        assert_eq!(hit.status.as_deref(), Some("LogonDenied"));
    }

    #[test]
    fn not_offered_and_case() {
        assert_eq!(
            one("451 5.7.3 Cannot achieve Exchange Server authentication").signature,
            Signature::NotOffered
        );
        assert_eq!(
            one("lasterror : 451 4.4.0 primary target ip address responded with: \"454 4.7.0 temporary authentication failure.\"").signature,
            Signature::Reply454
        );
    }

    #[test]
    fn serialized_names_are_the_ids() {
        for signature in [
            Signature::Reply454FromReceiver,
            Signature::Reply454,
            Signature::NotOffered,
            Signature::InboundRejected,
            Signature::OutboundFailed,
        ] {
            let json = serde_json::to_string(&signature).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", signature.id()));
        }
    }

    #[test]
    fn scanner_counts_lines_and_caps_text() {
        let long = format!("454 4.7.0 {}", "é".repeat(1000));
        let text = format!("nothing\n\n{long}\nmore");
        let hits = scan_text(&text);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 3);
        assert!(hits[0].text.len() <= MAX_TEXT);
    }

    /// The hits of a text whose lines are handed over in pieces of `piece`
    /// bytes (rounded to characters).
    fn in_pieces(text: &str, piece: usize) -> Vec<SignatureHit> {
        let mut scanner = SignatureScanner::new();
        for line in text.split('\n') {
            let mut rest = line;
            while !rest.is_empty() {
                let at = ceil_char_boundary(rest, piece.min(rest.len()));
                scanner.piece(&rest[..at]);
                rest = &rest[at..];
            }
            scanner.end_line();
        }
        scanner.finish()
    }

    /// A one-line export of megabytes (`ConvertTo-Json -Compress`): its
    /// signature is found wherever it lies — past the first window, across
    /// a window's end — in one hit for the line, the same however the line
    /// is handed over; the lines after it are numbered on.
    #[test]
    fn a_line_longer_than_a_window_is_scanned_in_windows() {
        let signature = r#"{IP=10.1.2.12}] "LastError":"454 4.7.0 Temporary authentication failure {IP=10.1.2.12}""#;
        let filler = r#"{"Identity":"EX01\\7","Status":"Ready","MessageCount":0},"#;
        for at in [
            SCAN_WINDOW / 2,
            SCAN_WINDOW - 20,
            SCAN_WINDOW + 5,
            5 * SCAN_WINDOW / 2,
        ] {
            let mut line = String::new();
            while line.len() < at {
                line.push_str(filler);
            }
            line.truncate(at);
            line.push_str(signature);
            line.push('é');
            line.push_str(signature);
            while line.len() < 3 * SCAN_WINDOW {
                line.push_str(filler);
            }
            let text = format!("first\n{line}\n454 4.7.0 last");
            let whole = scan_text(&text);
            assert_eq!(whole.len(), 2, "at {at}");
            assert_eq!(whole[0].line, 2);
            assert_eq!(whole[0].signature, Signature::Reply454);
            assert_eq!(whole[0].peer_ip, Some("10.1.2.12".parse().unwrap()));
            assert_eq!(whole[1].line, 3);
            for piece in [1 << 10, 64 << 10, SCAN_WINDOW, 3 * SCAN_WINDOW] {
                assert_eq!(in_pieces(&text, piece), whole, "at {at}, pieces of {piece}");
            }
        }
    }

    /// Lines within a window: pieces or whole, the same hits.
    #[test]
    fn short_lines_in_pieces_are_lines_whole() {
        let text = "nothing\nLastError: [{LED=454 4.7.0 Temporary authentication failure};{IP=10.1.2.12}]\n\n451 5.7.3 Cannot achieve Exchange Server authentication é";
        for piece in [1, 2, 3, 7, 1000] {
            assert_eq!(in_pieces(text, piece), scan_text(text), "pieces of {piece}");
        }
    }
}
