//! The base model: the vocabulary every stage shares — how a clock offset
//! was measured, which side of SMTP a log is from, how an authentication
//! attempt ended, what a server does, and how hosts and endpoints are named.
//!
//! It sits below every stage (discover → ingest → evidence → pipeline →
//! correlate → diagnose → report → cli) and imports none of them, so that
//! each concept has one definition: before it, the clock basis, the
//! authentication outcome and the endpoint reader each existed twice or three
//! times, and host shortening twice with different case rules. The types the
//! parsers already define are re-exported, not copied.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

pub use exauth_parsers::clock::ClockBasis;
pub use exauth_parsers::net::{canonical_ip, endpoint_host, endpoint_ip};
pub use exauth_parsers::smtp_log::{AuthOutcome, LogKind};

/// Kerberos' default maximum tolerance for computer clock synchronization.
pub const KERBEROS_TOLERANCE_S: f64 = 300.0;

/// What a server does, as far as the collection shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Unknown,
    Exchange,
    DomainController,
}

/// A kind of source a server's collection may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    ApplicationLog,
    SystemLog,
    SecurityLog,
    DirectoryServiceLog,
    OtherEventLog,
    SendLog,
    ReceiveLog,
    QueueExport,
    ReceiveConnectors,
    Setspn,
    W32tm,
    Repadmin,
    PortTest,
    Nltest,
    Klist,
    Ipconfig,
    ConnectivityLog,
    MessageTrackingLog,
    Transcript,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::ApplicationLog => "Application log",
            Source::SystemLog => "System log",
            Source::SecurityLog => "Security log",
            Source::DirectoryServiceLog => "Directory Service log",
            Source::OtherEventLog => "other event log",
            Source::SendLog => "SMTP Send protocol log",
            Source::ReceiveLog => "SMTP Receive protocol log",
            Source::QueueExport => "Get-Queue export",
            Source::ReceiveConnectors => "Get-ReceiveConnector output",
            Source::Setspn => "setspn output",
            Source::W32tm => "w32tm output",
            Source::Repadmin => "repadmin output",
            Source::PortTest => "port test (Test-NetConnection/portqry)",
            Source::Nltest => "nltest output",
            Source::Klist => "klist output",
            Source::Ipconfig => "ipconfig output",
            Source::ConnectivityLog => "connectivity log",
            Source::MessageTrackingLog => "message tracking log",
            Source::Transcript => "console transcript",
        }
    }
}

/// The short host name in upper case: `ex01.contoso.local` → `EX01`.
pub fn short_name(host: &str) -> String {
    host.split('.').next().unwrap_or(host).to_uppercase()
}

/// Where a fact was read: its artifact's origin and the line in it,
/// `origin:line`; every input that names a line writes it here. Written
/// without the formatter: a scan writes one for each banner sample it makes
/// (the formatter took ~860 instructions a time, cachegrind by hand,
/// 2026-12-08).
pub fn origin_at(origin: &str, line: u64) -> String {
    let mut at = String::with_capacity(origin.len() + 21);
    at.push_str(origin);
    at.push(':');
    at.push_str(itoa::Buffer::new().format(line));
    at
}

/// The FNV-1a offset basis (64 bit).
pub const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bit: a stable hash (the same in every run and build) for
/// deterministic sampling and keys kept in place of texts.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_continue(FNV_BASIS, bytes)
}

/// FNV-1a of `bytes` following what gave `hash`: the hash of a text made
/// of pieces, without joining them.
pub fn fnv1a_continue(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// True when `spn` begins with `class` (`SMTPSVC/`), ignoring ASCII case.
fn spn_of_class(spn: &str, class: &str) -> bool {
    spn.as_bytes()
        .get(..class.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(class.as_bytes()))
}

/// `SMTPSVC/…`, `SMTP/…` (case-insensitive).
pub fn is_smtp_spn(spn: &str) -> bool {
    spn_of_class(spn, "SMTPSVC/") || spn_of_class(spn, "SMTP/")
}

/// `HOST/…` (case-insensitive): carried by computer accounts, not service accounts.
pub fn is_host_spn(spn: &str) -> bool {
    spn_of_class(spn, "HOST/")
}

/// `EX02`, `ex02.contoso.local`, `EX02$`, `SMTPSVC/ex02.contoso.local`,
/// `EX02$@CONTOSO.LOCAL`, `\\DC01.contoso.local` → (`EX02`, FQDN if given).
/// An IP address or anything that is no host name gives `None`.
pub fn normalize_host(raw: &str) -> Option<(String, Option<String>)> {
    let mut host = raw.trim().trim_start_matches('\\');
    if let Some((_, rest)) = host.split_once('/') {
        // An SPN: service/host[:port][/name]
        host = rest.split('/').next().unwrap_or(rest);
        host = host.split(':').next().unwrap_or(host);
    }
    host = host.split('@').next().unwrap_or(host);
    host = host.trim_end_matches('$').trim_end_matches('.');
    if host.is_empty() || host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let valid = host
        .split('.')
        .all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'));
    if !valid {
        return None;
    }
    let fqdn = host.contains('.').then(|| host.to_lowercase());
    Some((short_name(host), fqdn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_at_a_line_is_origin_colon_line() {
        for (origin, line) in [("EX01/SEND20261126-1.LOG", 0), ("a:b", u64::MAX), ("", 42)] {
            assert_eq!(origin_at(origin, line), format!("{origin}:{line}"));
        }
    }

    /// SPN classes in any case; a shorter text, a class only begun, another
    /// class or text that is no ASCII is none of them.
    #[test]
    fn spn_classes_ignore_case_and_nothing_else() {
        for smtp in [
            "SMTPSVC/EX02",
            "smtpsvc/ex02.contoso.local",
            "SMTP/EX02",
            "Smtp/x",
        ] {
            assert!(is_smtp_spn(smtp), "{smtp}");
        }
        for other in [
            "SMTPSVC",
            "SMTP",
            "SMTPSV/EX02",
            "HOST/EX02",
            "",
            "smtp\u{e9}/x",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
        ] {
            assert!(!is_smtp_spn(other), "{other}");
        }
        assert!(is_host_spn("host/ws0001.contoso.local"));
        assert!(is_host_spn("HOST/WS0001"));
        for other in ["HOST", "HOSTS/x", "TERMSRV/WS0001", "h\u{f6}st/x", ""] {
            assert!(!is_host_spn(other), "{other}");
        }
    }

    #[test]
    fn every_spelling_of_a_host_shortens_alike() {
        for raw in [
            "EX02",
            "ex02.contoso.local",
            "SMTPSVC/EX02.contoso.local",
            "SMTPSVC/ex02.contoso.local:25",
            "EX02$",
            "EX02$@CONTOSO.LOCAL",
            "\\\\ex02.contoso.local",
        ] {
            assert_eq!(
                normalize_host(raw).map(|(s, _)| s).as_deref(),
                Some("EX02"),
                "{raw}"
            );
        }
        assert_eq!(normalize_host("10.1.2.12"), None);
        assert_eq!(normalize_host("not a host"), None);
        assert_eq!(short_name("ex01.contoso.local"), "EX01");
    }
}
