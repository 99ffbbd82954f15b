//! The evidence catalog: which (provider, EventID) pairs exauth decodes.
//!
//! Why a table: the decision "does this record matter?" must be answerable from the
//! provider name and EventID alone, before anything is decoded, and every input (the
//! `.evtx` fast path, event XML, CliXml) must agree on it. Providers are matched by
//! their modern manifest name and their legacy (classic event source) name, ASCII
//! case-insensitively. Channels are recorded on every event but do not take part in the
//! decision: forwarded and exported logs move events to other channels.
//!
//! One refinement, because a domain controller's Security log is mostly successful
//! Kerberos and NTLM audits: a *successful* 4768, 4769 or 4776 (`Status` 0) is only
//! counted ([`is_counted_success`]), unless it is one of the two kinds a diagnosis uses:
//! a 4769 service ticket for an `SMTPSVC/` or `SMTP/` SPN (Exchange servers do get
//! tickets for each other), or a 4768/4769 for a computer account (`TargetUserName`
//! `EX01$`, `EX01$@CONTOSO.COM`) with an `IpAddress` (which computer uses which
//! address). Everything a success would tell beyond that is noise; deciding it reads four
//! data items (`Status`, `ServiceName`, `TargetUserName`, `IpAddress`), so most of a DC's
//! log is never decoded. A computer-account success is kept with just those four items as
//! its data (all the identity map reads; a busy DC has one per machine and renewal), an
//! SMTP service ticket in full. Failures and events without a readable `Status` are
//! always kept in full.

use serde::Serialize;

/// The families of catalogued events; each has its own decoded record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// MSExchangeTransport / MSExchangeFrontEndTransport (Application log, classic).
    ExchangeTransport,
    /// Kerberos client (Microsoft-Windows-Security-Kerberos / Kerberos).
    KerberosClient,
    /// Key Distribution Center on DCs (Microsoft-Windows-Kerberos-Key-Distribution-Center / KDC).
    Kdc,
    /// Security audit (Microsoft-Windows-Security-Auditing), DC Kerberos/NTLM events.
    SecurityAudit,
    /// LsaSrv SPNEGO negotiator.
    LsaSrv,
    /// NETLOGON secure channel (classic).
    Netlogon,
    /// Windows Time (Microsoft-Windows-Time-Service / W32Time).
    TimeService,
    /// AD DS replication (Directory Service log; NTDS legacy sources).
    DirectoryService,
    /// DFS Replication (SYSVOL).
    Dfsr,
    /// Schannel TLS.
    Schannel,
    /// EventLog service (6013: uptime and time zone).
    EventLog,
}

struct Entry {
    family: Family,
    providers: &'static [&'static str],
    ids: &'static [u16],
}

const CATALOG: &[Entry] = &[
    Entry {
        family: Family::ExchangeTransport,
        providers: &["MSExchangeTransport", "MSExchangeFrontEndTransport"],
        ids: &[
            1012, 1020, 1034, 1035, 2003, 2011, 2016, 2017, 12001, 12011, 12012, 12013, 12014,
            12015, 12016, 12023, 12024,
        ],
    },
    Entry {
        family: Family::KerberosClient,
        providers: &["Microsoft-Windows-Security-Kerberos", "Kerberos"],
        ids: &[3, 4, 5, 7, 10, 100, 101, 200],
    },
    Entry {
        family: Family::Kdc,
        providers: &["Microsoft-Windows-Kerberos-Key-Distribution-Center", "KDC"],
        ids: &[7, 11, 14, 16, 26, 27],
    },
    Entry {
        family: Family::SecurityAudit,
        providers: &["Microsoft-Windows-Security-Auditing"],
        ids: &[4625, 4768, 4769, 4771, 4776],
    },
    Entry {
        family: Family::LsaSrv,
        providers: &["LsaSrv", "Microsoft-Windows-LsaSrv"],
        ids: &[40960, 40961, 40962, 40970],
    },
    Entry {
        family: Family::Netlogon,
        providers: &["NETLOGON", "Microsoft-Windows-Security-Netlogon"],
        ids: &[3210, 5719, 5721, 5722, 5723, 5805],
    },
    Entry {
        family: Family::TimeService,
        providers: &["Microsoft-Windows-Time-Service", "W32Time"],
        ids: &[
            12, 24, 29, 34, 35, 36, 37, 38, 47, 50, 129, 130, 131, 134, 138, 142, 143, 144,
        ],
    },
    Entry {
        family: Family::DirectoryService,
        providers: &[
            "Microsoft-Windows-ActiveDirectory_DomainService",
            "NTDS Replication",
            "NTDS KCC",
            "NTDS General",
            "NTDS Database",
            "NTDS ISAM",
        ],
        ids: &[
            1083, 1265, 1311, 1388, 1864, 1925, 1955, 1988, 2042, 2087, 2088, 2092,
        ],
    },
    Entry {
        family: Family::Dfsr,
        providers: &["DFSR", "Microsoft-Windows-DFSR"],
        ids: &[2213, 4012],
    },
    Entry {
        family: Family::Schannel,
        providers: &["Schannel", "Microsoft-Windows-Schannel-Events"],
        ids: &[36874, 36882, 36884, 36887, 36888],
    },
    Entry {
        family: Family::EventLog,
        providers: &["EventLog", "Microsoft-Windows-EventLog"],
        ids: &[6013],
    },
];

/// The family of a catalogued event, or `None` when the event is only counted.
/// `event_id` is the low 16 bits (classic events carry Qualifiers separately).
pub fn classify(provider: &str, event_id: u16) -> Option<Family> {
    CATALOG
        .iter()
        .find(|e| {
            e.ids.contains(&event_id)
                && e.providers.iter().any(|p| p.eq_ignore_ascii_case(provider))
        })
        .map(|e| e.family)
}

/// The data items [`is_counted_success`] reads, by name (matched ASCII case-insensitively,
/// first item of each name), in the order of [`AuditOutcome`]'s fields.
pub const AUDIT_OUTCOME_ITEMS: [&str; 4] = ["Status", "ServiceName", "TargetUserName", "IpAddress"];

/// The data items of a Security audit event that decide whether a success is kept, as
/// found (untrimmed); `None` when the event has no such item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditOutcome<'a> {
    pub status: Option<&'a str>,
    pub service_name: Option<&'a str>,
    pub target_user_name: Option<&'a str>,
    pub ip_address: Option<&'a str>,
}

impl<'a> AuditOutcome<'a> {
    /// From texts in the order of [`AUDIT_OUTCOME_ITEMS`].
    pub fn from_items(items: [Option<&'a str>; 4]) -> Self {
        let [status, service_name, target_user_name, ip_address] = items;
        AuditOutcome {
            status,
            service_name,
            target_user_name,
            ip_address,
        }
    }
}

/// What the catalog does with a successful authentication audit (see the module notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditSuccess {
    /// Only counted.
    Counted,
    /// A 4768/4769 for a computer account with an address: kept with only the
    /// [`AUDIT_OUTCOME_ITEMS`] as its data.
    ComputerAccount,
    /// A 4769 for an `SMTPSVC/` or `SMTP/` service: kept in full.
    SmtpService,
}

/// What kind of success a catalogued event is: `None` when it is not a successful
/// Security-Auditing 4768, 4769 or 4776 (`Status` 0), and so is kept in full. Item texts
/// are read as decoding reads them: trimmed, with empty and `-` meaning absent; a
/// computer account is a `TargetUserName` ending in `$` before any `@realm`.
pub fn audit_success(
    provider: &str,
    event_id: u16,
    items: &AuditOutcome<'_>,
) -> Option<AuditSuccess> {
    fn text(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|t| !t.is_empty() && *t != "-")
    }
    if !matches!(event_id, 4768 | 4769 | 4776)
        || classify(provider, event_id) != Some(Family::SecurityAudit)
        || text(items.status).and_then(super::parse_number) != Some(0)
    {
        return None;
    }
    let smtp_service = text(items.service_name).is_some_and(|s| {
        let lower = s.to_ascii_lowercase();
        lower.starts_with("smtpsvc/") || lower.starts_with("smtp/")
    });
    if event_id == 4769 && smtp_service {
        return Some(AuditSuccess::SmtpService);
    }
    let computer_account = text(items.target_user_name)
        .and_then(|user| user.split('@').next())
        .is_some_and(|account| account.ends_with('$'));
    let at_address = text(items.ip_address).is_some();
    Some(if event_id != 4776 && computer_account && at_address {
        AuditSuccess::ComputerAccount
    } else {
        AuditSuccess::Counted
    })
}

/// Whether a catalogued event is a successful authentication audit that is only counted,
/// not kept: `audit_success` says [`AuditSuccess::Counted`].
pub fn is_counted_success(provider: &str, event_id: u16, items: &AuditOutcome<'_>) -> bool {
    audit_success(provider, event_id, items) == Some(AuditSuccess::Counted)
}

/// Every provider name the catalog knows (for allocation-free pre-checks).
pub(crate) fn all_provider_names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().flat_map(|e| e.providers.iter().copied())
}

/// Whether some catalogued family uses this EventID (a cheap pre-filter, asked for every
/// record: one bit test).
pub(crate) fn any_family_has_id(event_id: u16) -> bool {
    let bit = usize::from(event_id);
    CATALOGUED_IDS
        .get(bit / 64)
        .is_some_and(|word| word & (1 << (bit % 64)) != 0)
}

/// One bit per EventID that some family uses.
static CATALOGUED_IDS: [u64; 1024] = catalogued_id_bits();

const fn catalogued_id_bits() -> [u64; 1024] {
    let mut bits = [0u64; 1024];
    let mut e = 0;
    while e < CATALOG.len() {
        let ids = CATALOG[e].ids;
        let mut i = 0;
        while i < ids.len() {
            let id = ids[i] as usize;
            bits[id / 64] |= 1 << (id % 64);
            i += 1;
        }
        e += 1;
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_and_legacy_provider_names_are_both_catalogued() {
        assert_eq!(
            classify("Microsoft-Windows-Security-Kerberos", 3),
            Some(Family::KerberosClient)
        );
        assert_eq!(classify("Kerberos", 3), Some(Family::KerberosClient));
        assert_eq!(classify("W32Time", 34), Some(Family::TimeService));
        assert_eq!(
            classify("msexchangetransport", 1035),
            Some(Family::ExchangeTransport)
        );
        assert_eq!(classify("KDC", 7), Some(Family::Kdc));
    }

    const AUDITING: &str = "Microsoft-Windows-Security-Auditing";

    fn outcome<'a>(
        status: &'a str,
        service: &'a str,
        user: &'a str,
        ip: &'a str,
    ) -> AuditOutcome<'a> {
        AuditOutcome::from_items([Some(status), Some(service), Some(user), Some(ip)])
    }

    #[test]
    fn successful_tickets_for_ordinary_services_and_users_are_only_counted() {
        let plain = outcome("0x0", "krbtgt", "user0042@CONTOSO.COM", "::ffff:10.1.2.3");
        assert!(is_counted_success(AUDITING, 4769, &plain));
        assert!(is_counted_success(AUDITING, 4768, &plain));
        assert!(is_counted_success(
            AUDITING,
            4776,
            &outcome("0x0", "", "EX01$", "")
        ));
        // The same success from another provider is not an audit success.
        assert!(!is_counted_success("Kerberos", 4769, &plain));
    }

    #[test]
    fn successes_a_diagnosis_uses_are_kept() {
        let smtp = outcome("0x0", " SMTPSVC/ex02.contoso.com", "user1@CONTOSO.COM", "-");
        assert!(!is_counted_success(AUDITING, 4769, &smtp));
        let smtp_short = outcome("0", "smtp/EX02", "user1", "");
        assert!(!is_counted_success(AUDITING, 4769, &smtp_short));
        // A 4768 is a TGT: its service is krbtgt, an SMTP name there means nothing.
        assert!(is_counted_success(AUDITING, 4768, &smtp_short));
        let computer = outcome("0x0", "krbtgt", "EX01$@CONTOSO.COM", "::ffff:10.0.0.12");
        assert_eq!(
            audit_success(AUDITING, 4768, &computer),
            Some(AuditSuccess::ComputerAccount)
        );
        assert_eq!(
            audit_success(AUDITING, 4769, &computer),
            Some(AuditSuccess::ComputerAccount)
        );
        assert_eq!(
            audit_success(AUDITING, 4769, &smtp),
            Some(AuditSuccess::SmtpService)
        );
        // The NTLM validation of a computer account names no address: only counted.
        assert!(is_counted_success(AUDITING, 4776, &computer));
        // Without an address the computer account tells nothing.
        let no_ip = outcome("0x0", "krbtgt", "EX01$@CONTOSO.COM", "-");
        assert!(is_counted_success(AUDITING, 4769, &no_ip));
    }

    #[test]
    fn failures_and_unknown_outcomes_are_kept() {
        let failed = outcome("0x7", "krbtgt", "user1", "10.0.0.1");
        assert!(!is_counted_success(AUDITING, 4769, &failed));
        let unknown = outcome("-", "krbtgt", "user1", "10.0.0.1");
        assert!(!is_counted_success(AUDITING, 4769, &unknown));
        assert!(!is_counted_success(
            AUDITING,
            4769,
            &AuditOutcome::default()
        ));
        // 4771 and 4625 are failures by definition, whatever their Status says.
        let zero = outcome("0x0", "krbtgt", "user1", "10.0.0.1");
        assert!(!is_counted_success(AUDITING, 4771, &zero));
        assert!(!is_counted_success(AUDITING, 4625, &zero));
    }

    #[test]
    fn the_id_prefilter_knows_exactly_the_catalogued_ids() {
        for id in 0..=u16::MAX {
            let listed = CATALOG.iter().any(|e| e.ids.contains(&id));
            assert_eq!(any_family_has_id(id), listed, "EventID {id}");
        }
    }

    #[test]
    fn uncatalogued_pairs_are_only_counted() {
        assert_eq!(classify("MSExchangeTransport", 1021), None);
        assert_eq!(classify("Microsoft-Windows-Security-Auditing", 4624), None);
        assert_eq!(classify("Service Control Manager", 7036), None);
    }
}
