//! The evidence catalog: which (provider, EventID) pairs exauth decodes.
//!
//! Why a table: the decision "does this record matter?" must be answerable from the
//! provider name and EventID alone, before anything is decoded, and every input (the
//! `.evtx` fast path, event XML, CliXml) must agree on it. Providers are matched by
//! their modern manifest name and their legacy (classic event source) name, ASCII
//! case-insensitively. Channels are recorded on every event but do not take part in the
//! decision: forwarded and exported logs move events to other channels.

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

/// Every provider name the catalog knows (for allocation-free pre-checks).
pub(crate) fn all_provider_names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().flat_map(|e| e.providers.iter().copied())
}

/// Whether some catalogued family uses this EventID (a cheap pre-filter).
pub(crate) fn any_family_has_id(event_id: u16) -> bool {
    CATALOG.iter().any(|e| e.ids.contains(&event_id))
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

    #[test]
    fn uncatalogued_pairs_are_only_counted() {
        assert_eq!(classify("MSExchangeTransport", 1021), None);
        assert_eq!(classify("Microsoft-Windows-Security-Auditing", 4624), None);
        assert_eq!(classify("Service Control Manager", 7036), None);
    }
}
