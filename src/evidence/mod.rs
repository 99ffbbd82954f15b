//! Evidence: what the parsers found, reduced to the facts the diagnosis
//! reasons about, each with its server, UTC time, time provenance and origin.
//!
//! The parsers' records describe files (a protocol-log session, an event
//! record, a Format-List object); evidence describes the world ("EX02 refused
//! ExchangeAuth from 10.1.2.11 with TimeSkew"). One record may yield several
//! facts or none. Facts never render themselves: reports do.

pub mod aggregate;
#[cfg(test)]
pub mod testing;

use crate::model::Role;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What a record says about who is who (for the identity map): events,
/// protocol-log endpoints, queue errors, command outputs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdentityHint {
    /// The computer that wrote the event, with the role its events show.
    Computer { name: String, role: Role },
    /// A computer account seen at an IP (Security 4768/4769 `EX01$`).
    AccountAt { account: String, ip: IpAddr },
    /// A host name seen at an IP (protocol-log endpoints, EHLO, banners,
    /// queue FQDN/IP parts), with the role that shows.
    HostAt {
        host: String,
        ip: IpAddr,
        role: Role,
    },
}

/// How far a timestamp can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeBasis {
    /// Written in UTC by the producing server (`.evtx` SystemTime, protocol
    /// logs) — still subject to that server's own clock error.
    NativeUtc,
    /// A local time converted to UTC with the server's known time zone.
    ServerLocal,
    /// A local time converted with an assumed time zone.
    ServerLocalAssumed,
    /// No time (diagnostic outputs saved without one).
    None,
}

pub use crate::model::{AuthOutcome, LogKind};

/// Who wrote the Kerberos evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KerberosSource {
    /// Microsoft-Windows-Security-Kerberos (client side, System log).
    Client,
    /// The KDC's own events (System log of a DC).
    Kdc,
    /// Security audit 4768/4769/4771/4625 on a DC.
    SecurityAudit,
    /// LsaSrv / SPNEGO 40960–40970.
    LsaSrv,
}

/// One fact the diagnosis can use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "kebab-case")]
pub enum Fact {
    /// MSExchangeTransport 1035/1034/1012 on the receiver.
    InboundAuthFailed {
        event_id: u16,
        status: String,
        connector: String,
        mechanism: String,
        client_ip: Option<IpAddr>,
    },
    /// MSExchangeTransport 2016/2017/2003 on the sender.
    OutboundAuthFailed {
        event_id: u16,
        status: String,
        connector: String,
        mechanism: String,
        /// `SMTPSVC/<fqdn>` the sender tried to get a ticket for.
        target: Option<String>,
    },
    /// Other transport events that bear on the causes (12011 SPN
    /// registration failure, 2011 hash mismatch, certificate events).
    TransportEvent { event_id: u16, summary: String },
    /// A Kerberos error from any of its sources.
    KerberosError {
        source: KerberosSource,
        event_id: u16,
        /// KRB error code or NTSTATUS.
        code: Option<u32>,
        code_name: Option<String>,
        target: Option<String>,
        client: Option<String>,
        client_ip: Option<IpAddr>,
        /// ClientTime − ServerTime of Kerberos event 3, when both present.
        skew_s: Option<f64>,
    },
    /// A successful service ticket for an SMTPSVC/SMTP SPN (4769 status 0).
    KerberosTicketIssued {
        service: String,
        client: Option<String>,
        client_ip: Option<IpAddr>,
    },
    /// KDC 11 / Kerberos 101: one name on several accounts.
    DuplicateName {
        name: String,
        name_type: Option<String>,
    },
    /// Kerberos 100: an SPN that is not registered.
    SpnNotRegistered { spn: String },
    /// Time-Service events (34, 36, 29, 50, 142, …).
    TimeServiceEvent {
        event_id: u16,
        /// Offset the service saw or refused (time source − local), seconds.
        offset_s: Option<f64>,
        summary: String,
    },
    /// AD replication trouble (NTDS events, DFSR events).
    ReplicationEvent {
        event_id: u16,
        source_dc: Option<String>,
        error_code: Option<i64>,
        summary: String,
    },
    /// Netlogon secure-channel trouble (5719, 5721, 5722, 5723, 5805, 3210).
    NetlogonEvent { event_id: u16, summary: String },
    /// EventLog 6013: the server's time zone.
    TimeZone {
        bias_minutes: Option<i32>,
        name: String,
    },
    /// A queue's last error (Get-Queue, TRANSPORTQUEUE log).
    QueueLastError {
        queue: String,
        next_hop: Option<String>,
        target_ip: Option<IpAddr>,
        target_fqdn: Option<String>,
        outer: Option<String>,
        inner: Option<String>,
        truncated: bool,
        retry_count: Option<u64>,
        /// On the exemplars of queue rows counted together past
        /// [`aggregate::QUEUE_ROWS`] (`aggregate::queue_rows`): the failures
        /// they stand for between them, all on the first (the others 0), as
        /// the run counted every row of the aggregate; `None` on a row kept
        /// as read, which counts its RetryCount.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        counted: Option<u64>,
    },
    /// One authentication attempt in a protocol-log session.
    SmtpAuth {
        log: LogKind,
        session_id: String,
        local_endpoint: Option<String>,
        remote_endpoint: Option<String>,
        /// The peer's EHLO name (receive) or the banner/EHLO-reply host (send).
        remote_host: Option<String>,
        connector: Option<String>,
        mechanism: Option<String>,
        outcome: AuthOutcome,
        status: Option<String>,
        reply: Option<String>,
        /// What the receiver advertised in its last EHLO reply.
        advertised_exchange_auth: Option<bool>,
    },
    /// A measurement of another server's clock against this one's.
    ClockSample {
        basis: crate::model::ClockBasis,
        remote_server: Option<String>,
        remote_ip: Option<IpAddr>,
        offset_s: f64,
    },
    /// `w32tm /query /status`: where the server takes its time from.
    TimeSyncStatus {
        source: Option<String>,
        synchronized: Option<bool>,
        /// Free-running or local CMOS clock: nobody corrects this clock.
        local_clock: bool,
    },
    /// `setspn -L <account>`, or an account `setspn -Q` found with an SMTP SPN.
    SpnListing {
        account: String,
        spns: Vec<String>,
        /// Found by `setspn -Q` (its evidence lines say so), not asked for
        /// by name with `-L`. Written only when true.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        queried: bool,
    },
    /// Accounts `setspn -Q` found with no SMTP SPN, by name ([`ListedAccounts`]).
    SpnAccounts(Box<ListedAccounts>),
    /// `setspn -X`: duplicate groups (SPN, accounts).
    SpnDuplicates { groups: Vec<(String, Vec<String>)> },
    /// `repadmin` per-DC replication status.
    ReplicationStatus {
        dc: String,
        direction: Option<String>,
        failures: Option<u64>,
        total: Option<u64>,
        largest_delta_s: Option<u64>,
        error: Option<String>,
    },
    /// `Get-ReceiveConnector`: one connector's authentication setup.
    ConnectorAuth(exauth_parsers::diag::receive_connector::ConnectorAuth),
    /// A port test (Test-NetConnection, portqry).
    PortProbe {
        target: String,
        port: u16,
        protocol: String,
        reachable: Option<bool>,
        result: String,
    },
    /// `nltest /dsgetdc`.
    DcLocator {
        dc: Option<String>,
        error: Option<String>,
    },
    /// `klist`: tickets held for SMTPSVC peers.
    TicketCache { servers: Vec<String> },
    /// A line with a failure signature (`454 4.7.0`, `451 5.7.3`, event
    /// 1035/2017 text, …) in a file that no parser turned into a failure
    /// fact: the net that keeps a failure from being lost in a form exauth
    /// does not read field by field yet.
    FailureSignature {
        signature: exauth_parsers::signature::Signature,
        status: Option<String>,
        peer_ip: Option<IpAddr>,
        peer_host: Option<String>,
        /// The line as found (cut to 400 bytes).
        text: String,
    },
}

/// How a listing of `account` was asked for, as its evidence lines name it:
/// `setspn -L EX02`, or `setspn -Q, account EX02` for an account a query found.
pub fn listed_by(account: &str, queried: bool) -> String {
    if queried {
        format!("setspn -Q, account {account}")
    } else {
        format!("setspn -L {account}")
    }
}

/// Accounts a `setspn -Q` listed with no SMTP SPN, kept by name: a
/// domain-wide `setspn -Q */*` lists every account of the domain (hundreds
/// of thousands, each SPN list a few hundred bytes as a fact), and all the
/// diagnosis asks of an account without an SMTP SPN is whether it is listed
/// (where, with how many SPNs), whether it is a computer account, and
/// whether an SPN a KDC called unknown is among its SPNs ([`spn_hash`]).
/// The evidence holding them [`represents`](Evidence::represents) as many.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListedAccounts {
    pub accounts: Vec<ListedAccount>,
    /// [`spn_hash`] of every SPN of these accounts, sorted.
    pub spn_hashes: Vec<u64>,
}

/// One account of [`ListedAccounts`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedAccount {
    /// `EX02` (the DN's first RDN, as setspn printed it).
    pub account: String,
    /// The line of its DN in the setspn output.
    pub line: u64,
    /// How many SPNs it lists.
    pub spns: u32,
    /// It carries a `HOST/` SPN: a computer account.
    pub computer: bool,
}

impl ListedAccounts {
    /// True when one of these accounts lists `spn` (compared ignoring ASCII case).
    pub fn lists_spn(&self, spn: &str) -> bool {
        self.spn_hashes.binary_search(&spn_hash(spn)).is_ok()
    }
}

/// An SPN's [`fnv1a`](crate::model::fnv1a) hash, ASCII-lower-cased: SPNs are
/// compared without case. Two SPNs of a domain share one with a chance of
/// about n²/2⁶⁵ (a million SPNs: 3 in 100 million).
pub fn spn_hash(spn: &str) -> u64 {
    spn.bytes().fold(crate::model::FNV_BASIS, |h, b| {
        crate::model::fnv1a_continue(h, &[b.to_ascii_lowercase()])
    })
}

/// Which failure a fact shows, when it shows one (FORMATS.md §1.5, §2.2,
/// §3.2): the one place that says what counts as a server-to-server
/// authentication failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureSignal {
    SendLogRejected,
    SendLogSenderFailed,
    SendLogNotOffered,
    ReceiveLogRejected,
    Event1035,
    Event2017,
    Queue454,
    Queue451NotOffered,
    QueueOther,
}

/// True when a queue's last error is an authentication failure, and which.
fn queue_signal(inner: Option<&str>, outer: Option<&str>) -> Option<FailureSignal> {
    let inner = inner.unwrap_or("");
    let outer = outer.unwrap_or("");
    let text = format!("{inner} {outer}");
    if text.contains("451 5.7.3") || text.contains("Cannot achieve Exchange Server authentication")
    {
        Some(FailureSignal::Queue451NotOffered)
    } else if text.contains("454 4.7.0") || text.contains("535 5.7.3") {
        Some(FailureSignal::Queue454)
    } else if text.contains("Security status") {
        Some(FailureSignal::QueueOther)
    } else {
        None
    }
}

/// Server-to-server authentication (X-EXPS: ExchangeAuth, or GSSAPI/NTLM
/// between Exchange servers), as opposed to clients and Internet scanners
/// trying `AUTH LOGIN` on port 25.
fn is_server_auth(mechanism: Option<&str>, reply: Option<&str>) -> bool {
    match mechanism {
        Some(m) if !m.is_empty() => {
            let m = m.to_ascii_uppercase();
            m.contains("X-EXPS") || m.contains("EXCHANGEAUTH")
        }
        _ => reply.is_some_and(|r| r.starts_with("454")),
    }
}

/// Every fact kind id ([`Fact::kind`]), in declaration order: what
/// `timeline --kind` takes. A test ties it to `kind()`.
pub const FACT_KINDS: &[&str] = &[
    "inbound-auth-failed",
    "outbound-auth-failed",
    "transport-event",
    "kerberos-error",
    "kerberos-ticket-issued",
    "duplicate-name",
    "spn-not-registered",
    "time-service-event",
    "replication-event",
    "netlogon-event",
    "time-zone",
    "queue-last-error",
    "smtp-auth",
    "clock-sample",
    "time-sync-status",
    "spn-listing",
    "spn-accounts",
    "spn-duplicates",
    "replication-status",
    "connector-auth",
    "port-probe",
    "dc-locator",
    "ticket-cache",
    "failure-signature",
];

impl Fact {
    /// Stable id of the fact type (used in JSON and counts).
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::InboundAuthFailed { .. } => "inbound-auth-failed",
            Fact::OutboundAuthFailed { .. } => "outbound-auth-failed",
            Fact::TransportEvent { .. } => "transport-event",
            Fact::KerberosError { .. } => "kerberos-error",
            Fact::KerberosTicketIssued { .. } => "kerberos-ticket-issued",
            Fact::DuplicateName { .. } => "duplicate-name",
            Fact::SpnNotRegistered { .. } => "spn-not-registered",
            Fact::TimeServiceEvent { .. } => "time-service-event",
            Fact::ReplicationEvent { .. } => "replication-event",
            Fact::NetlogonEvent { .. } => "netlogon-event",
            Fact::TimeZone { .. } => "time-zone",
            Fact::QueueLastError { .. } => "queue-last-error",
            Fact::SmtpAuth { .. } => "smtp-auth",
            Fact::ClockSample { .. } => "clock-sample",
            Fact::TimeSyncStatus { .. } => "time-sync-status",
            Fact::SpnListing { .. } => "spn-listing",
            Fact::SpnAccounts(_) => "spn-accounts",
            Fact::SpnDuplicates { .. } => "spn-duplicates",
            Fact::ReplicationStatus { .. } => "replication-status",
            Fact::ConnectorAuth(_) => "connector-auth",
            Fact::PortProbe { .. } => "port-probe",
            Fact::DcLocator { .. } => "dc-locator",
            Fact::TicketCache { .. } => "ticket-cache",
            Fact::FailureSignature { .. } => "failure-signature",
        }
    }

    /// The server-to-server authentication failure this fact shows, if any.
    /// Internet `AUTH LOGIN` failures and 1035s for other mechanisms are not.
    pub fn failure_signal(&self) -> Option<FailureSignal> {
        use exauth_parsers::signature::Signature;
        match self {
            Fact::SmtpAuth {
                log,
                outcome,
                mechanism,
                reply,
                ..
            } => {
                if *outcome == AuthOutcome::Rejected
                    && !is_server_auth(mechanism.as_deref(), reply.as_deref())
                {
                    return None;
                }
                match (log, outcome) {
                    (LogKind::Send, AuthOutcome::Rejected) => Some(FailureSignal::SendLogRejected),
                    (LogKind::Send, AuthOutcome::SenderFailed) => {
                        Some(FailureSignal::SendLogSenderFailed)
                    }
                    (LogKind::Send, AuthOutcome::NotOffered) => {
                        Some(FailureSignal::SendLogNotOffered)
                    }
                    (LogKind::Receive, AuthOutcome::Rejected) => {
                        Some(FailureSignal::ReceiveLogRejected)
                    }
                    _ => None,
                }
            }
            Fact::InboundAuthFailed {
                event_id: 1034 | 1035,
                mechanism,
                ..
            } if mechanism.is_empty() || mechanism.eq_ignore_ascii_case("ExchangeAuth") => {
                Some(FailureSignal::Event1035)
            }
            Fact::OutboundAuthFailed {
                event_id: 2016 | 2017,
                ..
            } => Some(FailureSignal::Event2017),
            Fact::QueueLastError { outer, inner, .. } => {
                queue_signal(inner.as_deref(), outer.as_deref())
            }
            Fact::FailureSignature { signature, .. } => Some(match signature {
                Signature::Reply454FromReceiver => FailureSignal::ReceiveLogRejected,
                Signature::InboundRejected => FailureSignal::Event1035,
                Signature::OutboundFailed => FailureSignal::Event2017,
                Signature::NotOffered => FailureSignal::Queue451NotOffered,
                Signature::Reply454 => FailureSignal::Queue454,
            }),
            _ => None,
        }
    }
}

/// What a queue's snapshot adds to its pair's failures after a snapshot of
/// the same queue whose count was `before` (0 for the first): RetryCount is
/// a running total, so what it grew by; a lower count is a new round of
/// retries (the queue emptied, the server restarted), all of which counts
/// (`correlate::incident::queue_retries`).
pub fn queue_retries_added(before: u64, count: u64) -> u64 {
    if count >= before {
        count - before
    } else {
        count
    }
}

/// One piece of evidence: a fact, where it was found, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The server whose artifact this came from (short, upper case).
    pub server: Option<String>,
    /// UTC as stamped by the producing server (not clock-corrected).
    pub time: Option<Timestamp>,
    pub time_basis: TimeBasis,
    /// File chain plus line or record: `EX01-1126.zip!…!SEND20261126-1.LOG:1234`.
    pub origin: String,
    pub fact: Fact,
    /// A server-local time still to be placed in the server's time zone
    /// (queue exports, w32tm, repadmin); correlation resolves it into `time`.
    #[serde(skip)]
    pub local_time: Option<exauth_parsers::queue::ExportedTime>,
    /// `time` corrected by the writing server's clock error: set by
    /// correlation, the time every join and window uses.
    #[serde(skip)]
    pub corrected: Option<Timestamp>,
    /// How many records this item stands for: 1, or on the one item that
    /// carries an aggregate ([`aggregate`]) the records of the same
    /// server, fact and minute that were counted rather than kept, or on
    /// the last snapshot of a queue's folded run (`ingest::queue::QueueFold`)
    /// itself and the snapshots folded between it and the run's first.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub represents: u64,
}

fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

impl Evidence {
    /// Sort key that does not depend on thread timing.
    pub fn sort_key(&self) -> (Option<Timestamp>, &str, &str) {
        (self.time, self.origin.as_str(), self.fact.kind())
    }
}

#[cfg(test)]
mod fact_kind_tests {
    use super::*;

    /// One fact of every variant, in declaration order. The match below has
    /// no wildcard: a new variant does not compile until it is added here,
    /// and then the test ties it to [`FACT_KINDS`].
    fn one_of_each() -> Vec<Fact> {
        let facts = vec![
            Fact::InboundAuthFailed {
                event_id: 1035,
                status: String::new(),
                connector: String::new(),
                mechanism: String::new(),
                client_ip: None,
            },
            Fact::OutboundAuthFailed {
                event_id: 2017,
                status: String::new(),
                connector: String::new(),
                mechanism: String::new(),
                target: None,
            },
            Fact::TransportEvent {
                event_id: 12011,
                summary: String::new(),
            },
            Fact::KerberosError {
                source: KerberosSource::Client,
                event_id: 3,
                code: None,
                code_name: None,
                target: None,
                client: None,
                client_ip: None,
                skew_s: None,
            },
            Fact::KerberosTicketIssued {
                service: String::new(),
                client: None,
                client_ip: None,
            },
            Fact::DuplicateName {
                name: String::new(),
                name_type: None,
            },
            Fact::SpnNotRegistered { spn: String::new() },
            Fact::TimeServiceEvent {
                event_id: 36,
                offset_s: None,
                summary: String::new(),
            },
            Fact::ReplicationEvent {
                event_id: 1311,
                source_dc: None,
                error_code: None,
                summary: String::new(),
            },
            Fact::NetlogonEvent {
                event_id: 5719,
                summary: String::new(),
            },
            Fact::TimeZone {
                bias_minutes: None,
                name: String::new(),
            },
            Fact::QueueLastError {
                queue: String::new(),
                next_hop: None,
                target_ip: None,
                target_fqdn: None,
                outer: None,
                inner: None,
                truncated: false,
                retry_count: None,
                counted: None,
            },
            Fact::SmtpAuth {
                log: LogKind::Send,
                session_id: String::new(),
                local_endpoint: None,
                remote_endpoint: None,
                remote_host: None,
                connector: None,
                mechanism: None,
                outcome: AuthOutcome::Other,
                status: None,
                reply: None,
                advertised_exchange_auth: None,
            },
            Fact::ClockSample {
                basis: crate::model::ClockBasis::Banner,
                remote_server: None,
                remote_ip: None,
                offset_s: 0.0,
            },
            Fact::TimeSyncStatus {
                source: None,
                synchronized: None,
                local_clock: false,
            },
            Fact::SpnListing {
                account: String::new(),
                spns: Vec::new(),
                queried: false,
            },
            Fact::SpnAccounts(Box::default()),
            Fact::SpnDuplicates { groups: Vec::new() },
            Fact::ReplicationStatus {
                dc: String::new(),
                direction: None,
                failures: None,
                total: None,
                largest_delta_s: None,
                error: None,
            },
            Fact::ConnectorAuth(
                exauth_parsers::diag::receive_connector::parse(
                    "Identity      : EX01\\Default EX01\nAuthMechanism : Tls\nBindings      : {0.0.0.0:2525}\n",
                )
                .0
                .into_iter()
                .next()
                .expect("one connector"),
            ),
            Fact::PortProbe {
                target: String::new(),
                port: 88,
                protocol: String::new(),
                reachable: None,
                result: String::new(),
            },
            Fact::DcLocator {
                dc: None,
                error: None,
            },
            Fact::TicketCache {
                servers: Vec::new(),
            },
            Fact::FailureSignature {
                signature: exauth_parsers::signature::Signature::Reply454,
                status: None,
                peer_ip: None,
                peer_host: None,
                text: String::new(),
            },
        ];
        for fact in &facts {
            match fact {
                Fact::InboundAuthFailed { .. }
                | Fact::OutboundAuthFailed { .. }
                | Fact::TransportEvent { .. }
                | Fact::KerberosError { .. }
                | Fact::KerberosTicketIssued { .. }
                | Fact::DuplicateName { .. }
                | Fact::SpnNotRegistered { .. }
                | Fact::TimeServiceEvent { .. }
                | Fact::ReplicationEvent { .. }
                | Fact::NetlogonEvent { .. }
                | Fact::TimeZone { .. }
                | Fact::QueueLastError { .. }
                | Fact::SmtpAuth { .. }
                | Fact::ClockSample { .. }
                | Fact::TimeSyncStatus { .. }
                | Fact::SpnListing { .. }
                | Fact::SpnAccounts(_)
                | Fact::SpnDuplicates { .. }
                | Fact::ReplicationStatus { .. }
                | Fact::ConnectorAuth(_)
                | Fact::PortProbe { .. }
                | Fact::DcLocator { .. }
                | Fact::TicketCache { .. }
                | Fact::FailureSignature { .. } => {}
            }
        }
        facts
    }

    #[test]
    fn fact_kinds_list_every_fact_once_and_match_serde() {
        let facts = one_of_each();
        let kinds: Vec<&str> = facts.iter().map(Fact::kind).collect();
        assert_eq!(
            kinds, FACT_KINDS,
            "FACT_KINDS is every Fact::kind, in order"
        );
        for fact in &facts {
            let json = serde_json::to_value(fact).expect("serializes");
            assert_eq!(json["fact"], fact.kind(), "the serde tag is the kind id");
        }
    }
}
