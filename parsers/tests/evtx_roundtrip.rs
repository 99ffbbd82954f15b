//! Every catalogued event type written with `evtx_writer` the way Windows writes its provider,
//! read back with the evidence reader (`evtx::read_evtx_bytes`), and checked field by field.
//!
//! Why a round trip rather than unit tests of the decoders: the decoders see what the BinXML
//! reader makes of a record (typed values rendered to text, string arrays split into positional
//! items, nested templates, `Qualifiers`), so a field is only proven when it survives the whole
//! path from bytes. Classic providers (MSExchangeTransport, NETLOGON, legacy sources) are
//! written with positional insertion strings and Qualifiers; manifest providers (Kerberos,
//! Security-Auditing, Time-Service, …) with named, sometimes typed, data. Each family is
//! written under its modern name for some events and its legacy name for others.
//!
//! The table in [`cases`] holds one row per event: the record as written and the typed details
//! expected back. Times, record ids, channels and computers are checked for every row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{
    read_evtx_bytes, DataItem, DfsrEvent, DirectoryServiceEvent, EventDetails, EventFileReport,
    EventLogEvent, EvtxReadOptions, ExchangeTransportEvent, Family, KdcEvent, KerberosClientEvent,
    LsaSrvEvent, NetlogonEvent, SchannelEvent, SecurityAuditEvent, TimeProvenance,
    TimeServiceEvent,
};
use exauth_parsers::evtx_writer::{
    write_evtx, DataValue, EventData, EventRecord as Written, Guid, Provider, Sid,
};
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------------------------
// How Windows writes each provider

/// Qualifiers of classic message ids: severity in the top two bits.
const INFORMATIONAL: u16 = 16384;
const WARNING: u16 = 32768;
const ERROR: u16 = 49152;

const EX01: &str = "EX01.contoso.com";
const DC01: &str = "DC01.contoso.com";

fn guid(text: &str) -> Guid {
    text.parse().expect("GUID literal")
}

fn kerberos_provider() -> Provider {
    Provider {
        event_source_name: Some("Kerberos".into()),
        ..Provider::manifest(
            "Microsoft-Windows-Security-Kerberos",
            guid("{98e6cfcb-ee0a-41e0-a57b-622d4e1b30b1}"),
        )
    }
}

fn kdc_provider() -> Provider {
    Provider {
        event_source_name: Some("KDC".into()),
        ..Provider::manifest(
            "Microsoft-Windows-Kerberos-Key-Distribution-Center",
            guid("{3FD9DA1A-5A54-46C5-9A26-9BD7C0685056}"),
        )
    }
}

fn security_provider() -> Provider {
    Provider::manifest(
        "Microsoft-Windows-Security-Auditing",
        guid("{54849625-5478-4994-A5BA-3E3B0328C30D}"),
    )
}

fn lsasrv_provider(name: &str) -> Provider {
    Provider {
        event_source_name: Some("LsaSrv".into()),
        ..Provider::manifest(name, guid("{199fe037-2b82-40a9-82ac-e1d46c792b99}"))
    }
}

fn time_provider() -> Provider {
    Provider {
        event_source_name: Some("W32Time".into()),
        ..Provider::manifest(
            "Microsoft-Windows-Time-Service",
            guid("{06edcfeb-0fd0-4e53-acca-a6f8bbf81bcb}"),
        )
    }
}

/// AD DS on 2008+ writes the manifest provider with the NTDS source name, and positional data.
fn adds_provider(source: &str) -> Provider {
    Provider {
        event_source_name: Some(source.into()),
        ..Provider::manifest(
            "Microsoft-Windows-ActiveDirectory_DomainService",
            guid("{0e8478c5-3605-4e8c-8497-1e730c959516}"),
        )
    }
}

fn schannel_provider() -> Provider {
    Provider::manifest("Schannel", guid("{1f678132-5938-4686-9fdc-c8ff68f15c85}"))
}

/// A classic (`ReportEvent`) event: positional strings, Qualifiers, Keywords "Classic".
fn classic(source: &str, id: u16, qualifiers: u16, level: u8, strings: &[&str]) -> Written {
    Written {
        provider: Provider::classic(source),
        event_id: id,
        qualifiers: Some(qualifiers),
        level,
        data: EventData::classic(strings.iter().copied()),
        ..Default::default()
    }
}

/// A manifest event with named data.
fn named(provider: Provider, id: u16, level: u8, items: Vec<(&str, DataValue)>) -> Written {
    Written {
        provider,
        event_id: id,
        level,
        version: 0,
        data: EventData::named(items),
        ..Default::default()
    }
}

fn s(text: &str) -> DataValue {
    DataValue::String(text.into())
}

/// Builder steps on a written event, so a table row reads as one expression.
trait Shape: Sized {
    fn on(self, channel: &str, computer: &str) -> Self;
    fn qualifiers(self, qualifiers: Option<u16>) -> Self;
    fn task(self, task: u16) -> Self;
    fn binary(self, bytes: &[u8]) -> Self;
    fn keywords(self, keywords: u64) -> Self;
    fn provider(self, provider: Provider) -> Self;
}

impl Shape for Written {
    fn on(mut self, channel: &str, computer: &str) -> Self {
        self.channel = channel.into();
        self.computer = computer.into();
        self
    }
    fn qualifiers(mut self, qualifiers: Option<u16>) -> Self {
        self.qualifiers = qualifiers;
        self
    }
    fn task(mut self, task: u16) -> Self {
        self.task = task;
        self
    }
    fn binary(mut self, bytes: &[u8]) -> Self {
        match &mut self.data {
            EventData::Classic { binary, .. } | EventData::Named { binary, .. } => {
                *binary = Some(bytes.to_vec())
            }
        }
        self
    }
    fn keywords(mut self, keywords: u64) -> Self {
        self.keywords = keywords;
        self
    }
    fn provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }
}

/// Security audit failure, as a DC's Security log holds it.
fn audit_failure(id: u16, task: u16, items: Vec<(&str, DataValue)>) -> Written {
    named(security_provider(), id, 0, items)
        .on("Security", DC01)
        .task(task)
        .keywords(0x8010_0000_0000_0000)
}

// ---------------------------------------------------------------------------------------------
// The table

/// One event as written, and the typed details expected back.
struct Case {
    label: String,
    written: Written,
    family: Family,
    details: EventDetails,
}

fn case(label: &str, written: Written, family: Family, details: EventDetails) -> Case {
    Case {
        label: label.to_string(),
        written,
        family,
        details,
    }
}

const CONNECTOR: &str = "Intra-Organization SMTP Send Connector";
const SKEW_CLIENT: &str = "14:02:10.0000 9/10/2024 Z";
const SKEW_SERVER: &str = "13:55:10.0000 9/10/2024 Z";
const DC02_SETTINGS: &str =
    "CN=NTDS Settings,CN=DC02,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=contoso,DC=com";
const DC02_GUID_NAME: &str = "4a8717eb-1ac9-4e3a-93b8-1b4b6e2f0c11._msdcs.contoso.com";

/// EventID, Qualifiers, Level, category (Task), insertion strings, details expected.
type TransportRow = (u16, u16, u8, u16, Vec<&'static str>, ExchangeTransportEvent);

fn transport_cases() -> Vec<Case> {
    use EventDetails::ExchangeTransport as T;
    type X = ExchangeTransportEvent;
    let rows: Vec<TransportRow> = vec![
        (
            1012,
            WARNING,
            3,
            1,
            vec!["Default EX02", "3", "[10.1.2.11]"],
            X {
                connector: Some("Default EX02".into()),
                max_failures: Some(3),
                source_ip: Some("10.1.2.11".into()),
                ..X::default()
            },
        ),
        (
            1020,
            WARNING,
            3,
            1,
            vec!["CONTOSO\\EX02$"],
            X {
                account: Some("CONTOSO\\EX02$".into()),
                ..X::default()
            },
        ),
        (
            1034,
            ERROR,
            2,
            1,
            vec![
                "Connection is not TLS",
                "Default Frontend EX01",
                "ExchangeAuth",
                "10.1.2.12",
            ],
            X {
                status: Some("Connection is not TLS".into()),
                connector: Some("Default Frontend EX01".into()),
                mechanism: Some("ExchangeAuth".into()),
                source_ip: Some("10.1.2.12".into()),
                ..X::default()
            },
        ),
        (
            1035,
            WARNING,
            3,
            1,
            vec!["TimeSkew", "Default EX02", "ExchangeAuth", "10.1.2.11"],
            X {
                status: Some("TimeSkew".into()),
                connector: Some("Default EX02".into()),
                mechanism: Some("ExchangeAuth".into()),
                source_ip: Some("10.1.2.11".into()),
                ..X::default()
            },
        ),
        (
            2003,
            WARNING,
            3,
            2,
            vec![
                CONNECTOR,
                "10.1.2.12:25",
                "454 4.7.0 Temporary authentication failure",
            ],
            X {
                connector: Some(CONNECTOR.into()),
                remote_endpoint: Some("10.1.2.12:25".into()),
                smtp_response: Some("454 4.7.0 Temporary authentication failure".into()),
                ..X::default()
            },
        ),
        (
            2011,
            ERROR,
            2,
            2,
            vec![CONNECTOR],
            X {
                connector: Some(CONNECTOR.into()),
                ..X::default()
            },
        ),
        (
            2016,
            ERROR,
            2,
            2,
            vec![
                "TargetUnknown",
                CONNECTOR,
                "ExchangeAuth",
                "SMTPSVC/ex02.contoso.com",
                "EX01",
            ],
            X {
                status: Some("TargetUnknown".into()),
                connector: Some(CONNECTOR.into()),
                mechanism: Some("ExchangeAuth".into()),
                target_spn: Some("SMTPSVC/ex02.contoso.com".into()),
                local_name: Some("EX01".into()),
                ..X::default()
            },
        ),
        // The real one (FORMATS §3.2), connector name in Chinese.
        (
            2017,
            ERROR,
            2,
            2,
            vec![
                "LogonDenied",
                "组织内 SMTP 发送连接器",
                "ExchangeAuth",
                "SMTPSVC/M10-SD-MLCH02.sd.cnc.intra",
            ],
            X {
                status: Some("LogonDenied".into()),
                connector: Some("组织内 SMTP 发送连接器".into()),
                mechanism: Some("ExchangeAuth".into()),
                target_spn: Some("SMTPSVC/M10-SD-MLCH02.sd.cnc.intra".into()),
                ..X::default()
            },
        ),
        (12001, ERROR, 2, 12, vec!["0x80090311"], X::default()),
        (
            12011,
            ERROR,
            2,
            12,
            vec!["SMTPSVC", "EX01", "0x2098"],
            X::default(),
        ),
        (12012, ERROR, 2, 12, vec!["EX01"], X::default()),
        (
            12013,
            ERROR,
            2,
            12,
            vec![
                "6D1D9C9A1E3C4F0B8A7E5D4C3B2A19080706F5E4",
                "The certificate was not found.",
            ],
            X::default(),
        ),
        (
            12014,
            ERROR,
            2,
            12,
            vec![
                "mail.contoso.com",
                "Default Frontend EX01",
                "mail.contoso.com",
            ],
            X {
                certificate_domain: Some("mail.contoso.com".into()),
                connector: Some("Default Frontend EX01".into()),
                fqdn: Some("mail.contoso.com".into()),
                ..X::default()
            },
        ),
        (
            12015,
            ERROR,
            2,
            12,
            vec![
                "6D1D9C9A1E3C4F0B8A7E5D4C3B2A19080706F5E4",
                "11/20/2026 00:00:00",
            ],
            X::default(),
        ),
        (
            12016,
            WARNING,
            3,
            12,
            vec![
                "6D1D9C9A1E3C4F0B8A7E5D4C3B2A19080706F5E4",
                "12/20/2026 00:00:00",
                "24",
            ],
            X::default(),
        ),
        (
            12023,
            ERROR,
            2,
            12,
            vec!["EX01.contoso.com", "Default Frontend EX01"],
            X::default(),
        ),
        (
            12024,
            ERROR,
            2,
            12,
            vec![
                "6D1D9C9A1E3C4F0B8A7E5D4C3B2A19080706F5E4",
                "Default Frontend EX01",
            ],
            X::default(),
        ),
    ];
    let mut cases = Vec::new();
    for source in ["MSExchangeTransport", "MSExchangeFrontEndTransport"] {
        for (id, qualifiers, level, category, strings, details) in &rows {
            cases.push(case(
                &format!("{source} {id}"),
                classic(source, *id, *qualifiers, *level, strings)
                    .task(*category)
                    .on("Application", EX01),
                Family::ExchangeTransport,
                T(details.clone()),
            ));
        }
    }
    cases
}

fn kerberos_cases() -> Vec<Case> {
    use EventDetails::KerberosClient as K;
    type X = KerberosClientEvent;
    let time = |t: &str| Some(t.parse::<Timestamp>().expect("time literal"));
    let fam = Family::KerberosClient;
    let skew_target = "SMTPSVC/ex02.contoso.com";
    vec![
        // Modern provider, named data, ClientTime 7 minutes ahead: +420 s.
        case(
            "Kerberos 3 skew +7 min (manifest)",
            named(
                kerberos_provider(),
                3,
                2,
                vec![
                    ("LogonSession", s("0x3e7")),
                    ("ClientTime", s(SKEW_CLIENT)),
                    ("ServerTime", s(SKEW_SERVER)),
                    ("ErrorCode", DataValue::HexInt32(0x25)),
                    ("ErrorMessage", s("KRB_AP_ERR_SKEW")),
                    ("ExtendedError", s("")),
                    ("ClientRealm", s("")),
                    ("ClientName", s("")),
                    ("ServerRealm", s("CONTOSO.COM")),
                    ("ServerName", s(skew_target)),
                    ("TargetName", s("SMTPSVC/ex02.contoso.com@CONTOSO.COM")),
                    ("ErrorText", s("")),
                    ("File", s("9")),
                    ("Line", s("f09")),
                ],
            )
            .qualifiers(Some(ERROR))
            .binary(&[0x30, 0x81, 0x9a])
            .on("System", EX01),
            fam,
            K(X {
                error_code: Some(0x25),
                error_name: Some("KRB_AP_ERR_SKEW".into()),
                client_time: time("2024-09-10T14:02:10Z"),
                server_time: time("2024-09-10T13:55:10Z"),
                skew_seconds: Some(420.0),
                server_realm: Some("CONTOSO.COM".into()),
                server_name: Some(skew_target.into()),
                target_name: Some("SMTPSVC/ex02.contoso.com@CONTOSO.COM".into()),
                ..X::default()
            }),
        ),
        // Legacy source, positional strings, the client 7 minutes behind: −420 s.
        case(
            "Kerberos 3 skew -7 min (legacy positional)",
            classic(
                "Kerberos",
                3,
                ERROR,
                2,
                &[
                    "0x3e7",
                    SKEW_SERVER,
                    SKEW_CLIENT,
                    "0x25",
                    "KRB_AP_ERR_SKEW",
                    "",
                    "CONTOSO.COM",
                    "EX01$",
                    "CONTOSO.COM",
                    skew_target,
                    "",
                    "",
                    "9",
                    "f09",
                ],
            )
            .on("System", EX01),
            fam,
            K(X {
                error_code: Some(0x25),
                error_name: Some("KRB_AP_ERR_SKEW".into()),
                client_time: time("2024-09-10T13:55:10Z"),
                server_time: time("2024-09-10T14:02:10Z"),
                skew_seconds: Some(-420.0),
                client_realm: Some("CONTOSO.COM".into()),
                client_name: Some("EX01$".into()),
                server_realm: Some("CONTOSO.COM".into()),
                server_name: Some(skew_target.into()),
                ..X::default()
            }),
        ),
        // Times typed as FILETIME, with sub-second digits.
        case(
            "Kerberos 3 skew as FILETIMEs",
            named(
                kerberos_provider(),
                3,
                2,
                vec![
                    ("LogonSession", s("0x0")),
                    (
                        "ClientTime",
                        DataValue::FileTime("2024-09-10T14:02:10.5Z".parse().unwrap()),
                    ),
                    (
                        "ServerTime",
                        DataValue::FileTime("2024-09-10T13:55:10Z".parse().unwrap()),
                    ),
                    ("ErrorCode", DataValue::HexInt32(0x25)),
                    ("ErrorMessage", s("KRB_AP_ERR_SKEW")),
                    ("ExtendedError", s("")),
                    ("ClientRealm", s("")),
                    ("ClientName", s("")),
                    ("ServerRealm", s("CONTOSO.COM")),
                    ("ServerName", s(skew_target)),
                    ("TargetName", s("")),
                    ("ErrorText", s("")),
                    ("File", s("9")),
                    ("Line", s("f09")),
                ],
            )
            .qualifiers(Some(ERROR))
            .on("System", EX01),
            fam,
            K(X {
                error_code: Some(0x25),
                error_name: Some("KRB_AP_ERR_SKEW".into()),
                client_time: time("2024-09-10T14:02:10.5Z"),
                server_time: time("2024-09-10T13:55:10Z"),
                skew_seconds: Some(420.5),
                server_realm: Some("CONTOSO.COM".into()),
                server_name: Some(skew_target.into()),
                ..X::default()
            }),
        ),
        // As in Microsoft Q&A 2046303: no Client Time, code and name in one string.
        case(
            "Kerberos 3 principal unknown, no client time",
            classic(
                "Kerberos",
                3,
                ERROR,
                2,
                &[
                    "0x0",
                    "",
                    SKEW_SERVER,
                    "0x7  KDC_ERR_S_PRINCIPAL_UNKNOWN",
                    "",
                    "",
                    "",
                    "",
                    "CONTOSO.COM",
                    "SMTPSVC/ex02.contoso.com",
                    "",
                    "",
                    "onecore\\ds\\security\\protocols\\kerberos\\client2\\kerbtick.cxx",
                    "1286",
                ],
            )
            .on("System", EX01),
            fam,
            K(X {
                error_code: Some(7),
                error_name: Some("KDC_ERR_S_PRINCIPAL_UNKNOWN".into()),
                server_time: time("2024-09-10T13:55:10Z"),
                server_realm: Some("CONTOSO.COM".into()),
                server_name: Some("SMTPSVC/ex02.contoso.com".into()),
                ..X::default()
            }),
        ),
        case(
            "Kerberos 4",
            named(
                kerberos_provider(),
                4,
                2,
                vec![
                    ("Server", s("ex02$")),
                    ("TargetRealm", s("CONTOSO.COM")),
                    ("Targetname", s("SMTPSVC/ex02.contoso.com")),
                    ("ClientRealm", s("CONTOSO.COM")),
                ],
            )
            .qualifiers(Some(ERROR))
            .on("System", EX01),
            fam,
            K(X {
                error_code: Some(0x29),
                error_name: Some("KRB_AP_ERR_MODIFIED".into()),
                server: Some("ex02$".into()),
                target_name: Some("SMTPSVC/ex02.contoso.com".into()),
                ..X::default()
            }),
        ),
        case(
            "Kerberos 5 (legacy)",
            classic("Kerberos", 5, ERROR, 2, &["ex02$", "CONTOSO.COM"]).on("System", EX01),
            fam,
            K(X {
                error_code: Some(0x21),
                error_name: Some("KRB_AP_ERR_TKT_NYV".into()),
                server: Some("ex02$".into()),
                ..X::default()
            }),
        ),
        case(
            "Kerberos 7",
            named(
                kerberos_provider(),
                7,
                2,
                vec![("ClientName", s("EX01$")), ("Realm", s("CONTOSO.COM"))],
            )
            .qualifiers(Some(ERROR))
            .on("System", EX01),
            fam,
            K(X {
                client_name: Some("EX01$".into()),
                client_realm: Some("CONTOSO.COM".into()),
                ..X::default()
            }),
        ),
        case(
            "Kerberos 10 (legacy)",
            classic("Kerberos", 10, WARNING, 3, &[]).on("System", EX01),
            fam,
            K(X::default()),
        ),
        case(
            "Kerberos 100",
            named(
                kerberos_provider(),
                100,
                2,
                vec![
                    ("SPN", s("SMTPSVC/ex02.contoso.com")),
                    (
                        "Status",
                        s("The specified target is unknown or unreachable"),
                    ),
                ],
            )
            .on("System", EX01),
            fam,
            K(X {
                spn: Some("SMTPSVC/ex02.contoso.com".into()),
                reason: Some("The specified target is unknown or unreachable".into()),
                ..X::default()
            }),
        ),
        case(
            "Kerberos 101",
            named(
                kerberos_provider(),
                101,
                2,
                vec![
                    ("SPN", s("SMTPSVC/ex02.contoso.com")),
                    (
                        "Status",
                        s("The specified target is unknown or unreachable"),
                    ),
                ],
            )
            .on("System", EX01),
            fam,
            K(X {
                spn: Some("SMTPSVC/ex02.contoso.com".into()),
                reason: Some("The specified target is unknown or unreachable".into()),
                ..X::default()
            }),
        ),
        case(
            "Kerberos 200 (legacy)",
            classic(
                "Kerberos",
                200,
                ERROR,
                2,
                &[
                    "CONTOSO.COM",
                    "There are currently no logon servers available to service the logon request.",
                ],
            )
            .on("System", EX01),
            fam,
            K(X {
                domain: Some("CONTOSO.COM".into()),
                reason: Some(
                    "There are currently no logon servers available to service the logon request."
                        .into(),
                ),
                ..X::default()
            }),
        ),
    ]
}

fn kdc_cases() -> Vec<Case> {
    use EventDetails::Kdc as K;
    type X = KdcEvent;
    let fam = Family::Kdc;
    let etypes = |target: &str, account: &str| X {
        target_service: Some(target.into()),
        account_name: Some(account.into()),
        requested_etypes: Some("18 17 23".into()),
        available_etypes: Some("23".into()),
        ..X::default()
    };
    vec![
        // The real shape (FORMATS §3.4): a blank AccountName, LookupType, status in Binary.
        case(
            "KDC 7",
            named(
                kdc_provider(),
                7,
                2,
                vec![("AccountName", s(" ")), ("LookupType", s("0x108"))],
            )
            .qualifiers(Some(ERROR))
            .binary(&[0x0d, 0x00, 0x00, 0xc0])
            .on("System", DC01),
            fam,
            K(X {
                lookup_type: Some("0x108".into()),
                ..X::default()
            }),
        ),
        case(
            "KDC 11 (legacy)",
            classic(
                "KDC",
                11,
                ERROR,
                2,
                &["SMTPSVC/ex02.contoso.com", "DS_SERVICE_PRINCIPAL_NAME"],
            )
            .on("System", DC01),
            fam,
            K(X {
                duplicate_name: Some("SMTPSVC/ex02.contoso.com".into()),
                name_type: Some("DS_SERVICE_PRINCIPAL_NAME".into()),
                ..X::default()
            }),
        ),
        case(
            "KDC 14 (legacy)",
            classic(
                "KDC",
                14,
                ERROR,
                2,
                &["krbtgt/CONTOSO.COM", "EX01$", "1", "18 17 23", "23"],
            )
            .on("System", DC01),
            fam,
            K(etypes("krbtgt/CONTOSO.COM", "EX01$")),
        ),
        case(
            "KDC 16 (legacy)",
            classic(
                "KDC",
                16,
                ERROR,
                2,
                &["SMTPSVC/ex02.contoso.com", "EX02$", "2", "18 17 23", "23"],
            )
            .on("System", DC01),
            fam,
            K(etypes("SMTPSVC/ex02.contoso.com", "EX02$")),
        ),
        case(
            "KDC 26",
            named(
                kdc_provider(),
                26,
                2,
                vec![
                    ("TargetService", s("krbtgt/CONTOSO.COM")),
                    ("AccountName", s("EX01$")),
                    ("MissingKeyId", s("1")),
                    ("RequestedEtypes", s("18 17 23")),
                    ("AvailableEtypes", s("23")),
                ],
            )
            .qualifiers(Some(ERROR))
            .on("System", DC01),
            fam,
            K(etypes("krbtgt/CONTOSO.COM", "EX01$")),
        ),
        case(
            "KDC 27",
            named(
                kdc_provider(),
                27,
                2,
                vec![
                    ("TargetServer", s("SMTPSVC/ex02.contoso.com")),
                    ("AccountName", s("EX02$")),
                    ("MissingKeyId", s("2")),
                    ("RequestedEtypes", s("18 17 23")),
                    ("AvailableEtypes", s("23")),
                ],
            )
            .qualifiers(Some(ERROR))
            .on("System", DC01),
            fam,
            K(etypes("SMTPSVC/ex02.contoso.com", "EX02$")),
        ),
    ]
}

fn security_cases() -> Vec<Case> {
    use EventDetails::SecurityAudit as S;
    type X = SecurityAuditEvent;
    let fam = Family::SecurityAudit;
    let ex01_sid: Sid = "S-1-5-21-1004336348-1177238915-682003330-1105"
        .parse()
        .unwrap();
    let krbtgt_sid: Sid = "S-1-5-21-1004336348-1177238915-682003330-502"
        .parse()
        .unwrap();
    let null_sid: Sid = "S-1-0-0".parse().unwrap();
    vec![
        // Logon failure with the clock-skew SubStatus (FORMATS §3.5).
        case(
            "Security 4625",
            audit_failure(
                4625,
                12544,
                vec![
                    ("SubjectUserSid", DataValue::Sid(null_sid.clone())),
                    ("SubjectUserName", s("-")),
                    ("SubjectDomainName", s("-")),
                    ("SubjectLogonId", DataValue::HexInt64(0)),
                    ("TargetUserSid", DataValue::Sid(null_sid)),
                    ("TargetUserName", s("EX01$")),
                    ("TargetDomainName", s("CONTOSO")),
                    ("Status", DataValue::HexInt32(0xC000_006D)),
                    ("FailureReason", s("%%2304")),
                    ("SubStatus", DataValue::HexInt32(0xC000_0133)),
                    ("LogonType", DataValue::UInt32(3)),
                    ("LogonProcessName", s("Kerberos")),
                    ("AuthenticationPackageName", s("Kerberos")),
                    ("WorkstationName", s("-")),
                    ("TransmittedServices", s("-")),
                    ("LmPackageName", s("-")),
                    ("KeyLength", DataValue::UInt32(0)),
                    ("ProcessId", DataValue::HexInt64(0)),
                    ("ProcessName", s("-")),
                    ("IpAddress", s("10.1.2.11")),
                    ("IpPort", s("49730")),
                ],
            ),
            fam,
            S(X {
                target_user: Some("EX01$".into()),
                target_domain: Some("CONTOSO".into()),
                status: Some(0xC000_006D),
                sub_status: Some(0xC000_0133),
                logon_type: Some(3),
                package_name: Some("Kerberos".into()),
                ip_address: Some("10.1.2.11".into()),
                ip_port: Some(49730),
                ..X::default()
            }),
        ),
        case(
            "Security 4768",
            audit_failure(
                4768,
                14339,
                vec![
                    ("TargetUserName", s("EX01$")),
                    ("TargetDomainName", s("CONTOSO.COM")),
                    ("TargetSid", DataValue::Sid(ex01_sid.clone())),
                    ("ServiceName", s("krbtgt")),
                    ("ServiceSid", DataValue::Sid(krbtgt_sid)),
                    ("TicketOptions", DataValue::HexInt32(0x4081_0010)),
                    ("Status", DataValue::HexInt32(0x6)),
                    ("TicketEncryptionType", DataValue::HexInt32(0xFFFF_FFFF)),
                    ("PreAuthType", s("-")),
                    ("IpAddress", s("::ffff:10.1.2.11")),
                    ("IpPort", s("49731")),
                    ("CertIssuerName", s("")),
                    ("CertSerialNumber", s("")),
                    ("CertThumbprint", s("")),
                ],
            ),
            fam,
            S(X {
                target_user: Some("EX01$".into()),
                target_domain: Some("CONTOSO.COM".into()),
                service_name: Some("krbtgt".into()),
                status: Some(0x6),
                ticket_encryption_type: Some(0xFFFF_FFFF),
                ip_address: Some("10.1.2.11".into()),
                ip_port: Some(49731),
                ..X::default()
            }),
        ),
        case(
            "Security 4769",
            audit_failure(
                4769,
                14337,
                vec![
                    ("TargetUserName", s("EX01$@CONTOSO.COM")),
                    ("TargetDomainName", s("CONTOSO.COM")),
                    ("ServiceName", s("SMTPSVC/ex02.contoso.com")),
                    ("ServiceSid", DataValue::Sid("S-1-0-0".parse().unwrap())),
                    ("TicketOptions", DataValue::HexInt32(0x4081_0000)),
                    ("TicketEncryptionType", DataValue::HexInt32(0xFFFF_FFFF)),
                    ("IpAddress", s("::ffff:10.1.2.11")),
                    ("IpPort", s("51234")),
                    ("Status", DataValue::HexInt32(0x7)),
                    ("LogonGuid", DataValue::Guid(Guid(0))),
                    ("TransmittedServices", s("-")),
                ],
            ),
            fam,
            S(X {
                target_user: Some("EX01$@CONTOSO.COM".into()),
                target_domain: Some("CONTOSO.COM".into()),
                service_name: Some("SMTPSVC/ex02.contoso.com".into()),
                status: Some(0x7),
                ticket_encryption_type: Some(0xFFFF_FFFF),
                ip_address: Some("10.1.2.11".into()),
                ip_port: Some(51234),
                ..X::default()
            }),
        ),
        case(
            "Security 4771",
            audit_failure(
                4771,
                14339,
                vec![
                    ("TargetUserName", s("EX01$")),
                    ("TargetSid", DataValue::Sid(ex01_sid)),
                    ("ServiceName", s("krbtgt/CONTOSO.COM")),
                    ("TicketOptions", DataValue::HexInt32(0x4081_0010)),
                    ("Status", DataValue::HexInt32(0x18)),
                    ("PreAuthType", s("2")),
                    ("IpAddress", s("::ffff:10.0.0.12")),
                    ("IpPort", s("49730")),
                    ("CertIssuerName", s("")),
                    ("CertSerialNumber", s("")),
                    ("CertThumbprint", s("")),
                ],
            ),
            fam,
            S(X {
                target_user: Some("EX01$".into()),
                service_name: Some("krbtgt/CONTOSO.COM".into()),
                status: Some(0x18),
                pre_auth_type: Some(2),
                ip_address: Some("10.0.0.12".into()),
                ip_port: Some(49730),
                ..X::default()
            }),
        ),
        case(
            "Security 4776",
            audit_failure(
                4776,
                14336,
                vec![
                    ("PackageName", s("MICROSOFT_AUTHENTICATION_PACKAGE_V1_0")),
                    ("TargetUserName", s("EX01$")),
                    ("Workstation", s("EX01")),
                    ("Status", DataValue::HexInt32(0xC000_006A)),
                ],
            ),
            fam,
            S(X {
                target_user: Some("EX01$".into()),
                status: Some(0xC000_006A),
                workstation: Some("EX01".into()),
                package_name: Some("MICROSOFT_AUTHENTICATION_PACKAGE_V1_0".into()),
                ..X::default()
            }),
        ),
    ]
}

fn lsasrv_cases() -> Vec<Case> {
    use EventDetails::LsaSrv as L;
    type X = LsaSrvEvent;
    let fam = Family::LsaSrv;
    let skew_text = "\"The time at the Primary Domain Controller is different than the time at the \
                     Backup Domain Controller or member server by too large an amount. (0xc0000133)\"";
    vec![
        case(
            "LsaSrv 40960",
            named(
                lsasrv_provider("LsaSrv"),
                40960,
                3,
                vec![
                    ("Target", s("SMTPSVC/ex02.contoso.com")),
                    ("Protocol", s("Kerberos")),
                    ("Error", s(skew_text)),
                ],
            )
            .qualifiers(Some(WARNING))
            .on("System", EX01),
            fam,
            L(X {
                target: Some("SMTPSVC/ex02.contoso.com".into()),
                protocol: Some("Kerberos".into()),
                error_text: Some(skew_text.into()),
                ntstatus: Some(0xC000_0133),
            }),
        ),
        case(
            "LsaSrv 40961 (legacy positional)",
            classic(
                "LsaSrv",
                40961,
                WARNING,
                3,
                &["LDAP/prod-ad.prod.local/prod.local@prod.local"],
            )
            .on("System", EX01),
            fam,
            L(X {
                target: Some("LDAP/prod-ad.prod.local/prod.local@prod.local".into()),
                ..X::default()
            }),
        ),
        // Win2003 style: the status only in the record data (`Data: 0000: c000005e`).
        case(
            "LsaSrv 40962 (legacy, status in binary)",
            classic(
                "LsaSrv",
                40962,
                WARNING,
                3,
                &["SMTPSVC/ex02.contoso.com", "Kerberos"],
            )
            .binary(&[0x5e, 0x00, 0x00, 0xc0])
            .on("System", EX01),
            fam,
            L(X {
                target: Some("SMTPSVC/ex02.contoso.com".into()),
                protocol: Some("Kerberos".into()),
                ntstatus: Some(0xC000_005E),
                ..X::default()
            }),
        ),
        case(
            "Microsoft-Windows-LsaSrv 40970",
            named(
                lsasrv_provider("Microsoft-Windows-LsaSrv"),
                40970,
                3,
                vec![
                    ("Target", s("ldap/dc01.contoso.com/contoso.com")),
                    ("ErrorCode", s("0xc0000388")),
                ],
            )
            .qualifiers(Some(WARNING))
            .on("System", EX01),
            fam,
            L(X {
                target: Some("ldap/dc01.contoso.com/contoso.com".into()),
                error_text: Some("0xc0000388".into()),
                ntstatus: Some(0xC000_0388),
                ..X::default()
            }),
        ),
    ]
}

fn netlogon_cases() -> Vec<Case> {
    use EventDetails::Netlogon as N;
    type X = NetlogonEvent;
    let fam = Family::Netlogon;
    let no_servers = "There are currently no logon servers available to service the logon request.";
    let access_denied = &[0x22, 0x00, 0x00, 0xc0];
    vec![
        case(
            "NETLOGON 5719",
            classic(
                "NETLOGON",
                5719,
                ERROR,
                2,
                &["CONTOSO", &format!("{no_servers} ")],
            )
            .binary(&[0x5e, 0x00, 0x00, 0xc0])
            .on("System", EX01),
            fam,
            N(X {
                domain: Some("CONTOSO".into()),
                reason: Some(no_servers.into()),
                status: Some(0xC000_005E),
                ..X::default()
            }),
        ),
        // A localized reason: a short hex code followed by CJK text.
        case(
            "NETLOGON 5719 (Chinese reason)",
            classic(
                "NETLOGON",
                5719,
                ERROR,
                2,
                &["CONTOSO", "错误 0x52e 无法登录。"],
            )
            .binary(&[0x6d, 0x00, 0x00, 0xc0])
            .on("System", EX01),
            fam,
            N(X {
                domain: Some("CONTOSO".into()),
                reason: Some("错误 0x52e 无法登录。".into()),
                status: Some(0xC000_006D),
                ..X::default()
            }),
        ),
        case(
            "NETLOGON 5721",
            classic(
                "NETLOGON",
                5721,
                ERROR,
                2,
                &["\\\\DC01.contoso.com", "CONTOSO", "EX01", "EX01$"],
            )
            .on("System", EX01),
            fam,
            N(X {
                domain_controller: Some("\\\\DC01.contoso.com".into()),
                domain: Some("CONTOSO".into()),
                account: Some("EX01$".into()),
                ..X::default()
            }),
        ),
        case(
            "NETLOGON 5722",
            classic(
                "NETLOGON",
                5722,
                ERROR,
                2,
                &["EX01", "EX01$", "Access is denied. "],
            )
            .binary(access_denied)
            .on("System", DC01),
            fam,
            N(X {
                peer_computer: Some("EX01".into()),
                account: Some("EX01$".into()),
                reason: Some("Access is denied.".into()),
                status: Some(0xC000_0022),
                ..X::default()
            }),
        ),
        case(
            "NETLOGON 5723",
            classic("NETLOGON", 5723, ERROR, 2, &["EX03", "EX03$"]).on("System", DC01),
            fam,
            N(X {
                peer_computer: Some("EX03".into()),
                account: Some("EX03$".into()),
                ..X::default()
            }),
        ),
        case(
            "NETLOGON 5805",
            classic("NETLOGON", 5805, ERROR, 2, &["EX01", "Access is denied. "])
                .binary(access_denied)
                .on("System", DC01),
            fam,
            N(X {
                peer_computer: Some("EX01".into()),
                reason: Some("Access is denied.".into()),
                status: Some(0xC000_0022),
                ..X::default()
            }),
        ),
        case(
            "NETLOGON 3210",
            classic(
                "NETLOGON",
                3210,
                ERROR,
                2,
                &["CONTOSO", "\\\\DC01.contoso.com"],
            )
            .binary(access_denied)
            .on("System", EX01),
            fam,
            N(X {
                domain: Some("CONTOSO".into()),
                domain_controller: Some("\\\\DC01.contoso.com".into()),
                status: Some(0xC000_0022),
                ..X::default()
            }),
        ),
    ]
}

fn time_service_cases() -> Vec<Case> {
    use EventDetails::TimeService as T;
    type X = TimeServiceEvent;
    let fam = Family::TimeService;
    let peer = "DC01.contoso.com (ntp.d|10.1.2.11:123->10.1.2.2:123)";
    let manual = "time.windows.com,0x9 (ntp.m|0x9|0.0.0.0:123->20.101.57.9:123)";
    let unreachable = "The peer is unreachable.";
    let modern = |id: u16, level: u8, items: Vec<(&str, DataValue)>| {
        named(time_provider(), id, level, items).on("System", EX01)
    };
    let legacy = |id: u16, qualifiers: u16, level: u8, strings: &[&str]| {
        classic("W32Time", id, qualifiers, level, strings).on("System", EX01)
    };
    let source = |name: &str| X {
        time_source: Some(name.into()),
        ..X::default()
    };
    let failed = |name: Option<&str>, error: &str| X {
        time_source: name.map(str::to_string),
        error_text: Some(error.into()),
        ..X::default()
    };
    let discovery_error = "The entry is not found. (0x800706E1)";
    vec![
        case("W32Time 12 (legacy)", legacy(12, WARNING, 3, &[]), fam, T(X::default())),
        case(
            "Time-Service 24",
            modern(24, 3, vec![("DomainPeer", s(peer))]),
            fam,
            T(source(peer)),
        ),
        case(
            "W32Time 29 (legacy)",
            legacy(29, ERROR, 2, &["15"]),
            fam,
            T(X {
                retry_minutes: Some(15),
                ..X::default()
            }),
        ),
        case(
            "Time-Service 34 (+7 min)",
            modern(34, 2, vec![("TimeDifference", s("+420")), ("MaxAllowed", s("54000"))]),
            fam,
            T(X {
                offset_seconds: Some(420.0),
                limit_seconds: Some(54000.0),
                ..X::default()
            }),
        ),
        case(
            "W32Time 34 (legacy, -1 day)",
            legacy(34, ERROR, 2, &["-86400", "54000"]),
            fam,
            T(X {
                offset_seconds: Some(-86400.0),
                limit_seconds: Some(54000.0),
                ..X::default()
            }),
        ),
        case(
            "Time-Service 35",
            modern(35, 4, vec![("TimeSource", s(peer)), ("RefId", s("0x02020A0A"))]),
            fam,
            T(source(peer)),
        ),
        case(
            "W32Time 36 (legacy)",
            legacy(36, WARNING, 3, &["86400"]),
            fam,
            T(X {
                unsynchronized_seconds: Some(86400),
                ..X::default()
            }),
        ),
        case(
            "Time-Service 37",
            modern(37, 4, vec![("TimeSource", s(manual))]),
            fam,
            T(source(manual)),
        ),
        case(
            "W32Time 38 (legacy)",
            legacy(38, INFORMATIONAL, 4, &[manual, unreachable]),
            fam,
            T(failed(Some(manual), unreachable)),
        ),
        case(
            "W32Time 47 (legacy)",
            legacy(47, WARNING, 3, &[manual, unreachable]),
            fam,
            T(failed(Some(manual), unreachable)),
        ),
        case(
            "W32Time 50 (legacy)",
            legacy(50, WARNING, 3, &["5000", "900"]),
            fam,
            T(X {
                threshold_ms: Some(5000.0),
                duration_seconds: Some(900.0),
                ..X::default()
            }),
        ),
        case(
            "Time-Service 129",
            modern(129, 3, vec![("ErrorMessage", s(discovery_error)), ("RetryMinutes", s("15"))]),
            fam,
            T(failed(None, discovery_error)),
        ),
        // The peer first and the error second: found by name, not position.
        case(
            "Time-Service 130",
            modern(130, 3, vec![
                ("DomainPeer", s("DC01.contoso.com")),
                ("ErrorMessage", s("The trust relationship between this workstation and the primary domain failed. (0x800706FD)")),
            ]),
            fam,
            T(failed(
                Some("DC01.contoso.com"),
                "The trust relationship between this workstation and the primary domain failed. (0x800706FD)",
            )),
        ),
        case(
            "W32Time 131 (legacy)",
            legacy(131, WARNING, 3, &["No such host is known. (0x80072AF9)", "15", "time.contoso.com"]),
            fam,
            T(failed(None, "No such host is known. (0x80072AF9)")),
        ),
        case(
            "W32Time 134 (legacy)",
            legacy(134, WARNING, 3, &["No such host is known. (0x80072AF9)", "time.contoso.com"]),
            fam,
            T(failed(None, "No such host is known. (0x80072AF9)")),
        ),
        case(
            "Time-Service 138",
            modern(138, 4, vec![("DomainPeer", s("DC01.contoso.com"))]),
            fam,
            T(source("DC01.contoso.com")),
        ),
        case("Time-Service 142", modern(142, 3, vec![]), fam, T(X::default())),
        case("W32Time 143 (legacy)", legacy(143, INFORMATIONAL, 4, &[]), fam, T(X::default())),
        case("Time-Service 144", modern(144, 3, vec![]), fam, T(X::default())),
    ]
}

fn directory_service_cases() -> Vec<Case> {
    use EventDetails::DirectoryService as D;
    type X = DirectoryServiceEvent;
    let fam = Family::DirectoryService;
    let dir = |w: Written| w.on("Directory Service", DC01);
    let modern = |id: u16, source: &str, qualifiers: u16, level: u8, strings: &[&str]| {
        dir(classic(source, id, qualifiers, level, strings).provider(adds_provider(source)))
    };
    let legacy = |id: u16, source: &str, qualifiers: u16, level: u8, strings: &[&str]| {
        dir(classic(source, id, qualifiers, level, strings))
    };
    let found = |dc: Option<&str>, code: Option<u32>| {
        D(X {
            source_dc: dc.map(str::to_string),
            error_code: code,
        })
    };
    let object = "CN=EX03,OU=Exchange Servers,DC=contoso,DC=com";
    let object_guid = "9b1f3c8e-2d4a-4b6c-8e0f-1a2b3c4d5e6f";
    vec![
        case(
            "NTDS 1083 (legacy)",
            legacy(
                1083,
                "NTDS Replication",
                WARNING,
                3,
                &[object, object_guid, DC02_GUID_NAME, "8451"],
            ),
            fam,
            found(Some(DC02_GUID_NAME), Some(8451)),
        ),
        // "The record data is the status code": the error only in the binary data.
        case(
            "NTDS 1265 (status in binary)",
            modern(
                1265,
                "NTDS KCC",
                WARNING,
                3,
                &[
                    "DC=contoso,DC=com",
                    DC02_SETTINGS,
                    DC02_GUID_NAME,
                    "",
                    "The DSA operation is unable to proceed because of a DNS lookup failure.",
                ],
            )
            .binary(&8524u32.to_le_bytes()),
            fam,
            found(Some("DC02"), Some(8524)),
        ),
        case(
            "NTDS 1311",
            modern(
                1311,
                "NTDS KCC",
                ERROR,
                2,
                &[
                    "CN=Configuration,DC=contoso,DC=com",
                    "Default-First-Site-Name",
                ],
            ),
            fam,
            found(None, None),
        ),
        case(
            "NTDS 1388 (legacy)",
            legacy(
                1388,
                "NTDS Replication",
                ERROR,
                2,
                &[DC02_GUID_NAME, object, object_guid],
            ),
            fam,
            found(Some(DC02_GUID_NAME), None),
        ),
        // Latency hours and server counts are not error codes.
        case(
            "NTDS 1864",
            modern(
                1864,
                "NTDS Replication",
                ERROR,
                2,
                &["DC=contoso,DC=com", "24", "3", "1"],
            ),
            fam,
            found(None, None),
        ),
        case(
            "NTDS 1925",
            modern(
                1925,
                "NTDS KCC",
                WARNING,
                3,
                &[
                    "DC=contoso,DC=com",
                    DC02_SETTINGS,
                    DC02_GUID_NAME,
                    "",
                    "1722",
                    "The RPC server is unavailable.",
                ],
            ),
            fam,
            found(Some("DC02"), Some(1722)),
        ),
        case(
            "NTDS 1955 (legacy)",
            legacy(
                1955,
                "NTDS General",
                WARNING,
                3,
                &[
                    "DC02.contoso.com",
                    "8451",
                    "The replication operation encountered a database error.",
                ],
            ),
            fam,
            found(Some("DC02.contoso.com"), Some(8451)),
        ),
        case(
            "NTDS 1988",
            modern(
                1988,
                "NTDS Replication",
                ERROR,
                2,
                &[DC02_GUID_NAME, object, object_guid],
            ),
            fam,
            found(Some(DC02_GUID_NAME), None),
        ),
        // The tombstone lifetime (180 days) is not an error code.
        case(
            "NTDS 2042",
            modern(
                2042,
                "NTDS Replication",
                ERROR,
                2,
                &[
                    "2024-01-15 10:22:31",
                    "3f5a1b2c-4d5e-6f70-8192-a3b4c5d6e7f8",
                    DC02_GUID_NAME,
                    "180",
                ],
            ),
            fam,
            found(Some(DC02_GUID_NAME), None),
        ),
        case(
            "NTDS 2087",
            modern(
                2087,
                "NTDS Replication",
                ERROR,
                2,
                &[
                    "DC02",
                    DC02_GUID_NAME,
                    "11004",
                    "The requested name is valid, but no data of the requested type was found.",
                ],
            ),
            fam,
            found(Some(DC02_GUID_NAME), Some(11004)),
        ),
        case(
            "NTDS 2088 (legacy)",
            legacy(
                2088,
                "NTDS Replication",
                WARNING,
                3,
                &[
                    "DC02",
                    DC02_GUID_NAME,
                    "DC02.contoso.com",
                    "11004",
                    "The requested name is valid, but no data of the requested type was found.",
                ],
            ),
            fam,
            found(Some(DC02_GUID_NAME), Some(11004)),
        ),
        case(
            "NTDS 2092",
            modern(
                2092,
                "NTDS Replication",
                WARNING,
                3,
                &["CN=RID Manager$,CN=System,DC=contoso,DC=com"],
            ),
            fam,
            found(None, None),
        ),
    ]
}

fn other_family_cases() -> Vec<Case> {
    type A = SchannelEvent;
    type E = EventLogEvent;
    let schannel = |id: u16, name: &str, items: Vec<(&str, DataValue)>| {
        let mut w = named(schannel_provider(), id, 2, items)
            .qualifiers(Some(ERROR))
            .on("System", EX01);
        if let EventData::Named { name: n, .. } = &mut w.data {
            *n = Some(name.into());
        }
        w
    };
    let uptime = |zone: &str| {
        classic(
            "EventLog",
            6013,
            WARNING,
            4,
            &["", "", "", "", "62", "60", zone],
        )
        .on("System", EX01)
    };
    vec![
        case(
            "DFSR 2213",
            classic("DFSR", 2213, WARNING, 3, &[
                "C:",
                "\\\\.\\C:",
                "wmic /namespace:\\\\root\\microsoftdfs path dfsrVolumeConfig where volumeGuid=\"7E2D1C3B-0000-0000-0000-100000000000\" call ResumeReplication",
            ])
            .on("DFS Replication", DC01),
            Family::Dfsr,
            EventDetails::Dfsr(DfsrEvent {}),
        ),
        case(
            "Microsoft-Windows-DFSR 4012",
            classic("Microsoft-Windows-DFSR", 4012, ERROR, 2, &[
                "87",
                "60",
                "C:\\Windows\\SYSVOL\\domain",
                "SYSVOL Share",
                "Domain System Volume",
            ])
            .on("DFS Replication", DC01),
            Family::Dfsr,
            EventDetails::Dfsr(DfsrEvent {}),
        ),
        case(
            "Schannel 36874",
            schannel(36874, "LSA_SCHANNEL_NO_CIPHER_MATCH", vec![("Protocol", s("TLS 1.0"))]),
            Family::Schannel,
            EventDetails::Schannel(A {
                protocol: Some("TLS 1.0".into()),
                ..A::default()
            }),
        ),
        case(
            "Schannel-Events 36882",
            schannel(36882, "LSA_SCHANNEL_UNTRUSTED_CA", vec![])
                .provider(Provider::manifest(
                    "Microsoft-Windows-Schannel-Events",
                    guid("{91cc1150-71aa-47e2-ae18-c96e61736b6f}"),
                )),
            Family::Schannel,
            EventDetails::Schannel(A::default()),
        ),
        case(
            "Schannel 36884",
            schannel(36884, "LSA_SCHANNEL_NAME_MISMATCH", vec![("TargetName", s("ex02.contoso.com"))]),
            Family::Schannel,
            EventDetails::Schannel(A {
                target_name: Some("ex02.contoso.com".into()),
                ..A::default()
            }),
        ),
        case(
            "Schannel 36887",
            schannel(36887, "LSA_SCHANNEL_RECEIVED_ALERT", vec![("AlertDesc", DataValue::UInt32(46))]),
            Family::Schannel,
            EventDetails::Schannel(A {
                alert_code: Some(46),
                ..A::default()
            }),
        ),
        case(
            "Schannel 36888",
            schannel(36888, "LSA_SCHANNEL_GENERATED_ALERT", vec![
                ("AlertDesc", s("40")),
                ("ErrorState", s("1205")),
            ]),
            Family::Schannel,
            EventDetails::Schannel(A {
                alert_code: Some(40),
                ..A::default()
            }),
        ),
        case(
            "EventLog 6013 (W. Europe)",
            uptime("-60 W. Europe Standard Time"),
            Family::EventLog,
            EventDetails::EventLog(E {
                uptime_seconds: Some(62),
                bias_minutes: Some(-60),
                zone_name: Some("W. Europe Standard Time".into()),
                iana_zone: Some("Europe/Berlin"),
            }),
        ),
        case(
            "EventLog 6013 (Eastern, daylight name)",
            uptime("240 Eastern Daylight Time"),
            Family::EventLog,
            EventDetails::EventLog(E {
                uptime_seconds: Some(62),
                bias_minutes: Some(240),
                zone_name: Some("Eastern Daylight Time".into()),
                iana_zone: Some("America/New_York"),
            }),
        ),
    ]
}

fn cases() -> Vec<Case> {
    let mut all = transport_cases();
    all.extend(kerberos_cases());
    all.extend(kdc_cases());
    all.extend(security_cases());
    all.extend(lsasrv_cases());
    all.extend(netlogon_cases());
    all.extend(time_service_cases());
    all.extend(directory_service_cases());
    all.extend(other_family_cases());
    // Distinct times (to the 100 ns) and growing record ids.
    let base: Timestamp = "2026-11-26T10:15:30.1234567Z".parse().unwrap();
    for (i, c) in all.iter_mut().enumerate() {
        c.written.record_id = Some(1000 + 3 * i as u64);
        c.written.time = base + SignedDuration::from_millis(37_001 * i as i64);
    }
    all
}

/// The catalog as the issue lists it.
fn catalog_as_listed() -> Vec<(Family, Vec<u16>)> {
    vec![
        (
            Family::ExchangeTransport,
            vec![
                1012, 1020, 1034, 1035, 2003, 2011, 2016, 2017, 12001, 12011, 12012, 12013, 12014,
                12015, 12016, 12023, 12024,
            ],
        ),
        (Family::KerberosClient, vec![3, 4, 5, 7, 10, 100, 101, 200]),
        (Family::Kdc, vec![7, 11, 14, 16, 26, 27]),
        (Family::SecurityAudit, vec![4625, 4768, 4769, 4771, 4776]),
        (Family::LsaSrv, vec![40960, 40961, 40962, 40970]),
        (Family::Netlogon, vec![3210, 5719, 5721, 5722, 5723, 5805]),
        (
            Family::TimeService,
            vec![
                12, 24, 29, 34, 35, 36, 37, 38, 47, 50, 129, 130, 131, 134, 138, 142, 143, 144,
            ],
        ),
        (
            Family::DirectoryService,
            vec![
                1083, 1265, 1311, 1388, 1864, 1925, 1955, 1988, 2042, 2087, 2088, 2092,
            ],
        ),
        (Family::Dfsr, vec![2213, 4012]),
        (Family::Schannel, vec![36874, 36882, 36884, 36887, 36888]),
        (Family::EventLog, vec![6013]),
    ]
}

/// One event per family provider whose EventID is not catalogued: counted, never decoded.
fn uncatalogued() -> Vec<Written> {
    let at = |w: Written, i: u64| Written {
        time: "2026-11-26T09:00:00Z".parse::<Timestamp>().unwrap()
            + SignedDuration::from_secs(i as i64),
        ..w
    };
    [
        classic(
            "MSExchangeTransport",
            1021,
            WARNING,
            3,
            &["Default EX02", "20", "10.1.2.11"],
        )
        .on("Application", EX01),
        classic(
            "MSExchangeFrontEndTransport",
            7010,
            INFORMATIONAL,
            4,
            &["EX01"],
        )
        .on("Application", EX01),
        named(kerberos_provider(), 14, 3, vec![])
            .qualifiers(Some(WARNING))
            .on("System", EX01),
        named(kdc_provider(), 29, 3, vec![])
            .qualifiers(Some(WARNING))
            .on("System", DC01),
        named(
            security_provider(),
            4624,
            0,
            vec![("TargetUserName", s("EX01$"))],
        )
        .on("Security", DC01),
        classic("LsaSrv", 45058, INFORMATIONAL, 4, &["1"]).on("System", EX01),
        classic(
            "NETLOGON",
            5774,
            ERROR,
            2,
            &["_ldap._tcp.contoso.com.", "10.1.2.2"],
        )
        .on("System", DC01),
        named(
            time_provider(),
            158,
            4,
            vec![("TimeProvider", s("VMICTimeProvider"))],
        )
        .on("System", EX01),
        classic("NTDS General", 1394, INFORMATIONAL, 4, &[]).on("Directory Service", DC01),
        classic(
            "DFSR",
            4602,
            INFORMATIONAL,
            4,
            &["C:\\Windows\\SYSVOL\\domain"],
        )
        .on("DFS Replication", DC01),
        named(
            schannel_provider(),
            36880,
            4,
            vec![("Protocol", s("TLS 1.2"))],
        )
        .on("System", EX01),
        classic("EventLog", 6005, WARNING, 4, &[]).on("System", EX01),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, w)| at(w, i as u64))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Checks

/// How the reader renders a written data value (the subset the table uses).
fn rendered(value: &DataValue) -> String {
    match value {
        DataValue::String(text) => text.clone(),
        DataValue::UInt32(n) => n.to_string(),
        DataValue::HexInt32(n) => format!("0x{n:x}"),
        DataValue::HexInt64(n) => format!("0x{n:x}"),
        DataValue::Sid(sid) => sid.to_string(),
        DataValue::Guid(guid) => guid.to_string(),
        DataValue::FileTime(time) => time.to_string(),
        other => panic!("no rendering for {other:?} in these tests"),
    }
}

fn expected_data(written: &Written) -> Vec<DataItem> {
    match &written.data {
        EventData::Classic { strings, .. } => strings
            .iter()
            .map(|value| DataItem {
                name: None,
                value: value.clone(),
            })
            .collect(),
        EventData::Named { items, .. } => items
            .iter()
            .map(|(name, value)| DataItem {
                name: Some(name.clone()),
                value: rendered(value),
            })
            .collect(),
    }
}

fn read(bytes: &[u8], threads: usize) -> EventFileReport {
    read_evtx_bytes(bytes, EvtxReadOptions { threads })
}

/// Everything that differs between a case and the event read back, one line each.
fn mismatches(c: &Case, report: &EventFileReport) -> Vec<String> {
    let w = &c.written;
    let found: Vec<_> = report
        .events
        .iter()
        .filter(|e| e.record_id == w.record_id)
        .collect();
    let [event] = found.as_slice() else {
        return vec![format!(
            "{}: {} events with record id {:?}",
            c.label,
            found.len(),
            w.record_id
        )];
    };
    let mut out = Vec::new();
    let mut check = |what: &str, same: bool, got: String, want: String| {
        if !same {
            out.push(format!("{}: {what}: got {got}, want {want}", c.label));
        }
    };
    macro_rules! eq {
        ($what:expr, $got:expr, $want:expr) => {
            check(
                $what,
                $got == $want,
                format!("{:?}", $got),
                format!("{:?}", $want),
            )
        };
    }
    eq!("family", event.family, c.family);
    eq!(
        "provider",
        event.provider.as_str(),
        w.provider.name.as_str()
    );
    eq!("event_id", event.event_id, w.event_id);
    eq!("qualifiers", event.qualifiers, w.qualifiers);
    eq!("level", event.level, Some(w.level));
    eq!("computer", event.computer.as_str(), w.computer.as_str());
    eq!("channel", event.channel.as_str(), w.channel.as_str());
    eq!("time", event.time, Some(w.time));
    eq!(
        "time_provenance",
        event.time_provenance,
        TimeProvenance::NativeUtc
    );
    eq!("details", &event.details, &c.details);
    eq!("data", &event.data, &expected_data(w));
    out
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn the_table_covers_every_catalogued_event_type() {
    let cases = cases();
    let covered: BTreeSet<(Family, u16)> = cases
        .iter()
        .map(|c| (c.family, c.written.event_id))
        .collect();
    for (family, ids) in catalog_as_listed() {
        for id in ids {
            assert!(
                covered.contains(&(family, id)),
                "no round-trip case for {family:?} {id}"
            );
            assert!(
                cases.iter().any(|c| c.family == family
                    && c.written.event_id == id
                    && exauth_parsers::evtx::classify(&c.written.provider.name, id)
                        == Some(family)),
                "{family:?} {id} is not catalogued under the provider written"
            );
        }
    }
    // Both transport sources carry every transport id.
    for source in ["MSExchangeTransport", "MSExchangeFrontEndTransport"] {
        let ids = cases
            .iter()
            .filter(|c| c.written.provider.name == source)
            .count();
        assert_eq!(ids, 17, "{source}");
    }
    // Modern and legacy provider names and both data forms occur for the families that have both.
    let providers = |family: Family| -> BTreeSet<&str> {
        cases
            .iter()
            .filter(|c| c.family == family)
            .map(|c| c.written.provider.name.as_str())
            .collect()
    };
    for family in [
        Family::KerberosClient,
        Family::Kdc,
        Family::LsaSrv,
        Family::TimeService,
        Family::DirectoryService,
        Family::Dfsr,
        Family::Schannel,
    ] {
        assert!(
            providers(family).len() >= 2,
            "{family:?}: {:?}",
            providers(family)
        );
    }
    let forms = |family: Family| -> BTreeSet<bool> {
        cases
            .iter()
            .filter(|c| c.family == family)
            .map(|c| matches!(c.written.data, EventData::Named { .. }))
            .collect()
    };
    for family in [
        Family::KerberosClient,
        Family::Kdc,
        Family::LsaSrv,
        Family::TimeService,
    ] {
        assert_eq!(
            forms(family).len(),
            2,
            "{family:?}: named and positional data"
        );
    }
}

#[test]
fn every_catalogued_event_round_trips_with_its_typed_fields() {
    let mut failures = Vec::new();
    for c in cases() {
        let bytes = write_evtx([&c.written]).expect("writer accepts the event");
        let report = read(&bytes, 1);
        if !report.problems.is_empty() || report.rendered_fallbacks != 0 || report.records_read != 1
        {
            failures.push(format!(
                "{}: records_read {}, fallbacks {}, problems {:?}",
                c.label, report.records_read, report.rendered_fallbacks, report.problems
            ));
        }
        let counted: Vec<_> = report
            .catalogued_counts
            .iter()
            .map(|n| (n.provider.as_str(), n.event_id, n.count))
            .collect();
        if counted != [(c.written.provider.name.as_str(), c.written.event_id, 1)] {
            failures.push(format!("{}: catalogued counts {counted:?}", c.label));
        }
        failures.extend(mismatches(&c, &report));
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn kerberos_3_skew_is_client_minus_server_time() {
    let cases = cases();
    let skews: BTreeMap<&str, Option<f64>> = cases
        .iter()
        .filter(|c| c.label.starts_with("Kerberos 3"))
        .map(|c| {
            let report = read(&write_evtx([&c.written]).unwrap(), 1);
            let EventDetails::KerberosClient(k) = &report.events[0].details else {
                panic!("{}: not a Kerberos client event", c.label)
            };
            (c.label.as_str(), k.skew_seconds)
        })
        .collect();
    assert_eq!(skews["Kerberos 3 skew +7 min (manifest)"], Some(420.0));
    assert_eq!(
        skews["Kerberos 3 skew -7 min (legacy positional)"],
        Some(-420.0)
    );
    assert_eq!(skews["Kerberos 3 skew as FILETIMEs"], Some(420.5));
    assert_eq!(skews["Kerberos 3 principal unknown, no client time"], None);
}

#[test]
fn uncatalogued_events_of_family_providers_are_only_counted() {
    let noise = uncatalogued();
    let report = read(&write_evtx(&noise).unwrap(), 1);
    assert!(report.events.is_empty(), "{:?}", report.events);
    assert!(report.catalogued_counts.is_empty());
    assert_eq!(report.records_read, noise.len() as u64);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let mut want: Vec<(String, u16, u64)> = noise
        .iter()
        .map(|w| (w.provider.name.clone(), w.event_id, 1))
        .collect();
    want.sort();
    let got: Vec<(String, u16, u64)> = report
        .other_counts
        .iter()
        .map(|n| (n.provider.clone(), n.event_id, n.count))
        .collect();
    assert_eq!(got, want);
}

/// All cases and the uncatalogued ones in one file, among Security noise spanning chunks, with
/// times out of record order: events come out sorted by (time, record id), whatever the threads.
#[test]
fn mixed_file_is_sorted_by_time_then_record_id_for_any_thread_count() {
    let mut cases = cases();
    // Reverse the times against the record ids, and give two events the same time.
    let n = cases.len();
    let times: Vec<Timestamp> = cases.iter().map(|c| c.written.time).collect();
    for (i, c) in cases.iter_mut().enumerate() {
        c.written.time = times[n - 1 - i];
    }
    let tie = cases[1].written.time;
    cases[0].written.time = tie;

    let mut written: Vec<Written> = Vec::new();
    let mut next_id = 1u64;
    let noise_record = |id: u64| {
        named(
            security_provider(),
            4624,
            0,
            vec![
                (
                    "SubjectUserSid",
                    DataValue::Sid("S-1-5-18".parse().unwrap()),
                ),
                ("TargetUserName", s("EX01$")),
                ("TargetDomainName", s("CONTOSO")),
                ("LogonType", DataValue::UInt32(3)),
                ("IpAddress", s("::ffff:10.1.2.11")),
                ("IpPort", s("50000")),
            ],
        )
        .on("Security", DC01)
        .keywords(0x8020_0000_0000_0000)
        .time_at("2026-11-26T08:00:00Z", id)
    };
    for w in uncatalogued() {
        written.push(Written {
            record_id: Some(next_id),
            ..w
        });
        next_id += 1;
    }
    for c in &cases {
        let id = c.written.record_id.unwrap();
        while next_id < id {
            written.push(Written {
                record_id: Some(next_id),
                ..noise_record(next_id)
            });
            next_id += 1;
        }
        written.push(c.written.clone());
        next_id = id + 1;
    }
    for _ in 0..3000 {
        written.push(Written {
            record_id: Some(next_id),
            ..noise_record(next_id)
        });
        next_id += 1;
    }
    let bytes = write_evtx(&written).unwrap();
    assert!(
        bytes.len() > 4096 + 8 * 65536,
        "several chunks: {} bytes",
        bytes.len()
    );

    let one = read(&bytes, 1);
    let two = read(&bytes, 2);
    assert_eq!(one, two, "threads 1 and 2 give the same report");
    assert!(one.problems.is_empty(), "{:?}", one.problems);
    assert_eq!(one.records_read, written.len() as u64);
    assert_eq!(one.events.len(), cases.len());

    let keys: Vec<(Timestamp, u64)> = one
        .events
        .iter()
        .map(|e| (e.time.unwrap(), e.record_id.unwrap()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by (time, record id)");
    // The first two cases written now share the latest time: record id decides.
    assert_eq!(
        (keys[n - 2].1, keys[n - 1].1),
        (
            cases[0].written.record_id.unwrap(),
            cases[1].written.record_id.unwrap()
        ),
        "equal times ordered by record id"
    );

    let mut failures = Vec::new();
    for c in &cases {
        failures.extend(mismatches(c, &one));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let noise_count = one
        .other_counts
        .iter()
        .find(|n| n.provider == "Microsoft-Windows-Security-Auditing" && n.event_id == 4624)
        .map(|n| n.count);
    let written_4624 = written.iter().filter(|w| w.event_id == 4624).count() as u64;
    assert_eq!(noise_count, Some(written_4624));
}

trait TimeAt {
    fn time_at(self, base: &str, offset_ms: u64) -> Self;
}
impl TimeAt for Written {
    fn time_at(mut self, base: &str, offset_ms: u64) -> Self {
        self.time =
            base.parse::<Timestamp>().unwrap() + SignedDuration::from_millis(offset_ms as i64);
        self
    }
}
