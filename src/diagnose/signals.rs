//! What codes and statuses point to, per FORMATS.md §1.5, §3.5, §3.6, §3.11.
//!
//! The SEC_E → KRB mapping is the usual SSPI behaviour, not one documented
//! table: statuses are hints (medium) unless they name the cause outright
//! (`TimeSkew`, `NoAuthenticatingAuthority`). Ambiguous statuses count for
//! nothing.

use super::{Cause, Strength};
use crate::evidence::{Fact, KerberosSource};

/// SecurityStatus names that say nothing about the cause on their own.
pub const AMBIGUOUS_STATUSES: &[&str] = &["IllegalMessage", "LogonDenied", "InvalidToken"];

/// What an SSPI SecurityStatus name (1035 %1, 2017 %1, protocol-log
/// contexts) points to.
pub fn security_status(status: &str) -> Vec<(Cause, Strength)> {
    let status = status.trim().trim_end_matches('.');
    match status {
        "TimeSkew" => vec![(Cause::ClockSkew, Strength::Strong)],
        "TargetUnknown" => vec![(Cause::SpnMissing, Strength::Medium)],
        "WrongPrincipal" => vec![
            (Cause::SpnDuplicate, Strength::Medium),
            (Cause::AdReplication, Strength::Weak),
        ],
        "NoAuthenticatingAuthority" => vec![(Cause::KerberosBlocked, Strength::Strong)],
        _ => Vec::new(),
    }
}

/// What a Kerberos protocol error code (KRB_ERROR, Security 4768/4769/4771
/// Status) points to.
pub fn kerberos_code(code: u32) -> Vec<(Cause, Strength)> {
    match code {
        0x25 | 0x21 | 0x0A | 0x0B => vec![(Cause::ClockSkew, Strength::Strong)],
        0x07 => vec![(Cause::SpnMissing, Strength::Strong)],
        0x08 => vec![(Cause::SpnDuplicate, Strength::Strong)],
        0x29 => vec![
            (Cause::SpnDuplicate, Strength::Medium),
            (Cause::AdReplication, Strength::Medium),
        ],
        0x06 | 0x09 | 0x2C | 0x2D => vec![(Cause::AdReplication, Strength::Medium)],
        0x1F => vec![(Cause::AdReplication, Strength::Weak)],
        _ => Vec::new(),
    }
}

/// What an NTSTATUS (LsaSrv 40960, Security 4625 SubStatus, Netlogon) points to.
pub fn ntstatus(code: u32) -> Vec<(Cause, Strength)> {
    match code {
        0xC000_0133 => vec![(Cause::ClockSkew, Strength::Strong)],
        0xC000_005E => vec![(Cause::KerberosBlocked, Strength::Strong)],
        0xC000_0192 => vec![(Cause::KerberosBlocked, Strength::Weak)],
        0xC000_018B | 0xC000_018D => vec![(Cause::AdReplication, Strength::Medium)],
        _ => Vec::new(),
    }
}

/// What a Kerberos error fact points to, reading its code as a KRB code or
/// an NTSTATUS depending on who wrote it.
pub fn kerberos_error(fact: &Fact) -> Vec<(Cause, Strength)> {
    let Fact::KerberosError {
        source,
        event_id,
        code,
        ..
    } = fact
    else {
        return Vec::new();
    };
    let mut out = match (source, event_id, code) {
        (KerberosSource::LsaSrv, 40961, _) => vec![(Cause::KerberosBlocked, Strength::Medium)],
        (KerberosSource::LsaSrv, _, Some(code)) => ntstatus(*code),
        (KerberosSource::SecurityAudit, 4625 | 4776, Some(code)) => ntstatus(*code),
        (_, _, Some(code)) if *code > 0xFFFF => ntstatus(*code),
        (_, _, Some(code)) => kerberos_code(*code),
        _ => Vec::new(),
    };
    if *source == KerberosSource::Client {
        match event_id {
            10 => out.push((Cause::KerberosBlocked, Strength::Strong)),
            200 => out.push((Cause::KerberosBlocked, Strength::Medium)),
            7 => out.push((Cause::AdReplication, Strength::Weak)),
            _ => {}
        }
    }
    if *source == KerberosSource::Kdc && matches!(event_id, 14 | 16 | 26 | 27) {
        out.push((Cause::AdReplication, Strength::Medium));
    }
    out
}

/// What a Time-Service event points to (all for clock skew).
pub fn time_service(event_id: u16, offset_s: Option<f64>) -> Option<Strength> {
    match event_id {
        34 => Some(match offset_s {
            Some(o) if o.abs() <= crate::model::KERBEROS_TOLERANCE_S => Strength::Medium,
            _ => Strength::Strong,
        }),
        36 | 29 | 142 => Some(Strength::Medium),
        24 | 47 | 129 | 131 | 12 | 50 => Some(Strength::Weak),
        _ => None,
    }
}

/// What a Directory Service / DFSR event points to (replication).
pub fn replication_event(event_id: u16) -> Option<Strength> {
    match event_id {
        1925 | 2042 | 1864 | 1988 | 2087 => Some(Strength::Strong),
        1311 | 2092 | 1265 | 4012 | 2213 | 1388 => Some(Strength::Medium),
        2088 | 1083 | 1955 => Some(Strength::Weak),
        _ => None,
    }
}

/// What a Netlogon event points to.
pub fn netlogon_event(event_id: u16) -> Vec<(Cause, Strength)> {
    match event_id {
        5722 | 5805 | 5721 | 5723 => vec![(Cause::AdReplication, Strength::Strong)],
        5719 => vec![(Cause::KerberosBlocked, Strength::Medium)],
        3210 => vec![(Cause::AdReplication, Strength::Medium)],
        _ => Vec::new(),
    }
}

/// An SPN whose duplication breaks ExchangeAuth: SMTPSVC/, SMTP/, HOST/.
pub fn is_transport_spn(spn: &str) -> bool {
    let lower = spn.to_ascii_lowercase();
    crate::model::is_smtp_spn(spn) || lower.starts_with("host/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_statuses_point_nowhere() {
        for status in AMBIGUOUS_STATUSES {
            assert!(security_status(status).is_empty(), "{status}");
        }
        assert_eq!(
            security_status("TimeSkew"),
            vec![(Cause::ClockSkew, Strength::Strong)]
        );
    }

    #[test]
    fn codes() {
        assert_eq!(kerberos_code(0x25)[0].0, Cause::ClockSkew);
        assert_eq!(kerberos_code(0x7)[0].0, Cause::SpnMissing);
        assert_eq!(kerberos_code(0x8)[0].0, Cause::SpnDuplicate);
        assert_eq!(ntstatus(0xC000_0133)[0].0, Cause::ClockSkew);
        assert_eq!(ntstatus(0xC000_005E)[0].0, Cause::KerberosBlocked);
        assert!(kerberos_code(0x20).is_empty(), "expired tickets are benign");
    }

    #[test]
    fn security_audit_4625_reads_ntstatus() {
        let fact = Fact::KerberosError {
            source: KerberosSource::SecurityAudit,
            event_id: 4625,
            code: Some(0xC000_0133),
            code_name: None,
            target: None,
            client: None,
            client_ip: None,
            skew_s: None,
        };
        assert_eq!(
            kerberos_error(&fact),
            vec![(Cause::ClockSkew, Strength::Strong)]
        );
    }
}
