//! Exchange SMTP Send/Receive protocol logs (`SEND…`/`RECV…`, Exchange 2007–2019).
//!
//! These are the largest inputs exauth reads (gigabytes per server per week), so this module is
//! built for throughput: a reusable byte buffer, `memchr` line and field splitting over borrowed
//! bytes, no allocation for rows that say nothing about authentication, and per-session state that
//! is released as soon as the session's `-` (disconnect) row arrives, so memory stays flat.
//!
//! Layers, bottom-up:
//! * [`row`]: lines (BOM, CRLF/LF, megabyte lines, truncated last line) and quote-aware CSV fields.
//! * [`header`]: the `#Software`/`#Version`/`#Log-type`/`#Date`/`#Fields` block, which can reappear
//!   anywhere in a file, and the column map it defines.
//! * [`file_name`]: `RECVyyyyMMdd[HH]-n.LOG` names, to order roll-over files of one server.
//! * [`session`]: reassembly of interleaved rows into one compact [`SessionSummary`] per session,
//!   with its [`AuthAttempt`]s and banner [`ClockSample`]s; sessions may span several files.
//! * [`banner`]: the `220 … ready at <RFC 2822 date>` greeting, the only in-log clock of a peer.
//! * [`pairing`]: matches sessions that two servers logged for the same TCP connection, giving the
//!   offset between their clocks to the millisecond even when they differ by hours.
//!
//! The module knows nothing about causes: it reports what the logs say, keeping apart the cases
//! the diagnosis needs to tell apart (a 454 answered by the receiver vs. one synthesized by a
//! sender that could not get a Kerberos ticket).

pub mod banner;
pub mod excerpt;
pub mod file_name;
pub mod header;
pub mod pairing;
pub mod row;
pub mod session;

pub use banner::{parse_banner, Banner};
pub use file_name::{parse_file_name, LogFileName};
pub use header::{ColumnMap, FileHeader};
pub use pairing::{
    pair_all_sessions, pair_all_sessions_where, pair_sessions, PairedSession, PairingOptions,
    ServerPairOffset,
};
pub use row::{
    same_short_bytes, split_fields, FieldSpan, Line, LineReader, RawRow, RowItem, RowReader,
};
pub use session::{
    FileReport, GlancedSample, GlancedTimes, Reassembler, SessionDetail, SessionGlance, SessionSink,
};

use jiff::Timestamp;
use serde::{Deserialize, Serialize, Serializer};

/// Which side of SMTP the logging server was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// Send protocol log: the logging server is the SMTP client (`>` rows are its commands).
    Send,
    /// Receive protocol log: the logging server is the SMTP server (`>` rows are its replies).
    Receive,
}

impl LogKind {
    /// The event character of rows the SMTP *client* wrote (commands).
    pub(crate) fn client_event(self) -> u8 {
        match self {
            LogKind::Send => b'>',
            LogKind::Receive => b'<',
        }
    }

    /// The event character of rows the SMTP *server* wrote (replies).
    pub(crate) fn server_event(self) -> u8 {
        match self {
            LogKind::Send => b'<',
            LogKind::Receive => b'>',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Send => "send",
            LogKind::Receive => "receive",
        }
    }
}

/// How an authentication attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthOutcome {
    /// `235`: authenticated.
    Success,
    /// The receiver answered `454` or `535`.
    Rejected,
    /// The sender could not build its token (`Outbound Authentication failed with <Status>` /
    /// `… failed to initialize with …`) and synthesized the 454 itself; nothing reached the receiver.
    SenderFailed,
    /// `451 5.7.3 Cannot achieve Exchange Server authentication`: Exchange auth was never advertised.
    NotOffered,
    /// Anything else (e.g. `504 5.7.4 Unrecognized authentication type`, or no reply before the end).
    Other,
}

/// One AUTH / X-EXPS attempt inside a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthAttempt {
    pub log: LogKind,
    /// 16 upper-case hex digits, as in the log.
    pub session_id: String,
    #[serde(serialize_with = "ser_opt_ts")]
    pub time: Option<Timestamp>,
    /// Verb and mechanism words as sent, blob excluded: `X-EXPS EXCHANGEAUTH SHA256`, `AUTH LOGIN`.
    /// Inferred (`X-EXPS EXCHANGEAUTH`) when only a failure row names it; empty when unknown.
    pub mechanism: String,
    pub outcome: AuthOutcome,
    /// SecurityStatus name (`TimeSkew`, `LogonDenied`, …) from the information rows, or the reason
    /// text when the row gives no status (`connection is not TLS`).
    pub status: Option<String>,
    /// The SMTP reply line that ended the attempt.
    pub reply: Option<String>,
    /// 1-based line of the row that started the attempt, in file [`AuthAttempt::file`].
    pub line: u64,
    /// Ordinal of the file (in feeding order of the [`Reassembler`]) that holds `line`.
    pub file: u32,
}

pub use crate::clock::ClockBasis;

/// One observation of a peer's clock: `offset_s` = remote clock − local clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockSample {
    pub basis: ClockBasis,
    /// Host name the peer gave (banner host), if known.
    pub remote_server: Option<String>,
    pub remote_ip: Option<String>,
    /// Local (logging server's) UTC time of the observation.
    #[serde(serialize_with = "ser_ts")]
    pub time: Timestamp,
    pub offset_s: f64,
    pub session_id: Option<String>,
    pub line: Option<u64>,
}

/// What the server advertised in its EHLO replies (union over the session).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Advertised {
    pub starttls: bool,
    pub anonymous_tls: bool,
    /// Mechanisms after `AUTH` (`NTLM`, `LOGIN`, `GSSAPI`).
    pub auth: Vec<String>,
    /// Mechanisms after `X-EXPS` (`GSSAPI`, `NTLM`, `EXCHANGEAUTH`).
    pub exps: Vec<String>,
    /// Hash algorithms after `X-EXCHANGEAUTH` (`SHA256`).
    pub exchange_auth: Vec<String>,
}

/// Result of the TLS step of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsOutcome {
    Succeeded,
    Failed,
}

/// One SMTP session, reassembled from its rows: what the diagnosis needs, not every row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    pub log: LogKind,
    pub session_id: String,
    #[serde(serialize_with = "ser_opt_ts")]
    pub start: Option<Timestamp>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub end: Option<Timestamp>,
    pub local_endpoint: Option<String>,
    pub remote_endpoint: Option<String>,
    pub connector: String,
    /// True when the session was cut at a collection edge: no start (`+` or sequence 0) or no `-`.
    pub partial: bool,
    pub has_start: bool,
    pub has_end: bool,
    /// Time of the `+` row (TCP connection established).
    #[serde(serialize_with = "ser_opt_ts")]
    pub connect_time: Option<Timestamp>,
    /// Time of the first `220` greeting row.
    #[serde(serialize_with = "ser_opt_ts")]
    pub banner_time: Option<Timestamp>,
    /// Host named in the `220` greeting.
    pub banner_host: Option<String>,
    /// Time of the first EHLO/HELO row.
    #[serde(serialize_with = "ser_opt_ts")]
    pub ehlo_time: Option<Timestamp>,
    /// Receive: the domain the remote gave in EHLO/HELO. Send: the EHLO domain we sent.
    pub ehlo: Option<String>,
    /// Host in the `250-<host> Hello [ip]` reply.
    pub hello_reply_host: Option<String>,
    pub advertised: Advertised,
    /// `STARTTLS` or `X-ANONYMOUSTLS`, as issued by the client.
    pub tls_command: Option<String>,
    pub tls_outcome: Option<TlsOutcome>,
    /// Protocol on success (`SP_PROT_TLS1_2_CLIENT`), error status on failure (`UnknownCredentials`).
    pub tls_detail: Option<String>,
    /// Last `Set Session Permissions` set before a successful authentication.
    pub permissions_before_auth: Option<String>,
    /// Last `Set Session Permissions` set after a successful authentication.
    pub permissions_after_auth: Option<String>,
    /// FrontEnd→Hub link: the session id in `Proxying inbound session with session id …`.
    pub proxy_session_id: Option<String>,
    /// `Flushed Kerberos ticket cache` / `Failed to flushed Kerberos ticket cache; ErrorCode=…`.
    pub ticket_cache_flush: Option<String>,
    /// Context of the `-` row (`Remote`, `Local`, `QuitVerb`, …).
    pub disconnect_reason: Option<String>,
    pub auth_attempts: Vec<AuthAttempt>,
    /// Banner clock samples (Send logs only).
    pub clock_samples: Vec<ClockSample>,
    pub rows: u64,
    pub first_line: u64,
    pub last_line: u64,
    /// Ordinals of the files (feeding order) holding `first_line` / `last_line`.
    pub first_file: u32,
    pub last_file: u32,
}

fn ser_ts<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn ser_opt_ts<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}
