//! Builders for hand-made evidence in unit tests (EX01 10.1.2.11 → EX02
//! 10.1.2.12 over the hub port 2525).

use super::{Evidence, Fact, LogKind, TimeBasis};
use crate::model::AuthOutcome;
use jiff::Timestamp;

/// An arbitrary fixed instant the test evidence is stamped relative to.
pub const T0: i64 = 1_795_000_000;

/// Evidence from `server`, `secs` after [`T0`].
pub fn at(server: &str, secs: i64, fact: Fact) -> Evidence {
    Evidence {
        server: Some(server.into()),
        time: Some(Timestamp::from_second(T0 + secs).expect("valid test time")),
        time_basis: TimeBasis::NativeUtc,
        origin: format!("{server}/test.log:{secs}"),
        fact,
        local_time: None,
        corrected: None,
        represents: 1,
    }
}

/// A queue towards EX02 (10.1.2.12) whose LastError is `451 4.4.0` with
/// `inner` (the receiver's answer), after `retry_count` retries.
pub fn queue_error(queue: &str, inner: &str, retry_count: u64) -> Fact {
    Fact::QueueLastError {
        queue: queue.into(),
        next_hop: None,
        target_ip: Some("10.1.2.12".parse().expect("an IP")),
        target_fqdn: Some("EX02.contoso.local".into()),
        outer: Some("451 4.4.0".into()),
        inner: Some(inner.into()),
        truncated: false,
        retry_count: Some(retry_count),
        counted: None,
    }
}

/// An ExchangeAuth attempt in EX01's Send log towards EX02.
pub fn send_auth(outcome: AuthOutcome, status: Option<&str>, advertised: bool) -> Fact {
    Fact::SmtpAuth {
        log: LogKind::Send,
        session_id: "08DC6D1A2B3C4D5E".into(),
        local_endpoint: Some("10.1.2.11:51000".into()),
        remote_endpoint: Some("10.1.2.12:2525".into()),
        remote_host: Some("EX02.contoso.local".into()),
        connector: Some("Intra-Organization SMTP Send Connector".into()),
        mechanism: Some("X-EXPS EXCHANGEAUTH SHA256".into()),
        outcome,
        status: status.map(str::to_string),
        reply: (outcome == AuthOutcome::Rejected)
            .then(|| "454 4.7.0 Temporary authentication failure".into()),
        advertised_exchange_auth: Some(advertised),
    }
}
