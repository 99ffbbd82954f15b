//! Table-driven tests: each rule supported, refuted and not evaluable, on
//! small hand-built cases (EX01 → EX02 failing, DC01 the domain controller).

use super::{diagnose, Cause, Finding, Status, RULES};
use crate::correlate::case::{assemble, Case, CaseSettings, Coverage};
use crate::correlate::identity::IdentityMap;
use crate::evidence::testing::{at, queue_error, send_auth};
use crate::evidence::{Evidence, Fact, KerberosSource, TimeBasis};
use crate::model::AuthOutcome;
use crate::model::ClockBasis;
use crate::model::Role;
use crate::model::Source;
use exauth_parsers::diag::receive_connector;

fn untimed(server: &str, fact: Fact) -> Evidence {
    Evidence {
        time: None,
        time_basis: TimeBasis::None,
        ..at(server, 0, fact)
    }
}

/// EX01 → EX02 failing with 454 (receiver side, ambiguous IllegalMessage).
fn rejected_pair() -> Vec<Evidence> {
    vec![
        at("EX01", 0, send_auth(AuthOutcome::Rejected, None, true)),
        at("EX01", 600, send_auth(AuthOutcome::Rejected, None, true)),
        at(
            "EX02",
            1,
            Fact::InboundAuthFailed {
                event_id: 1035,
                status: "IllegalMessage".into(),
                connector: "Default EX02".into(),
                mechanism: "ExchangeAuth".into(),
                client_ip: Some("10.1.2.11".parse().unwrap()),
            },
        ),
    ]
}

fn not_offered_pair() -> Vec<Evidence> {
    vec![at(
        "EX01",
        0,
        send_auth(AuthOutcome::NotOffered, None, false),
    )]
}

fn identities() -> IdentityMap {
    let mut ids = IdentityMap::default();
    ids.observe_ip("EX01.contoso.local", "10.1.2.11".parse().unwrap());
    ids.observe_ip("EX02.contoso.local", "10.1.2.12".parse().unwrap());
    ids.observe_ip("DC01.contoso.local", "10.1.2.10".parse().unwrap());
    ids.observe_role("EX01", Role::Exchange);
    ids.observe_role("EX02", Role::Exchange);
    ids.observe_role("DC01", Role::DomainController);
    ids
}

fn coverage(sources: &[(&str, Source)]) -> Coverage {
    let mut c = Coverage::default();
    for (server, source) in sources {
        c.by_server
            .entry(server.to_string())
            .or_default()
            .insert(*source);
    }
    c
}

fn case(evidence: Vec<Evidence>, sources: &[(&str, Source)]) -> Case {
    assemble(
        identities(),
        evidence,
        coverage(sources),
        CaseSettings::default(),
    )
}

fn finding(case: &Case, cause: Cause) -> Finding {
    let rule = RULES.iter().find(|r| r.cause() == cause).expect("rule");
    rule.evaluate(case)
}

fn connectors(text: &str) -> Vec<Evidence> {
    let (list, problems) = receive_connector::parse_format_list(text);
    assert!(problems.is_empty(), "{problems:?}");
    list.into_iter()
        .map(|c| untimed("EX02", Fact::ConnectorAuth(c)))
        .collect()
}

const DEFAULT_EX02: &str = "Identity         : EX02\\Default EX02\r\nBindings         : {0.0.0.0:2525, [::]:2525}\r\nRemoteIPRanges   : {::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255}\r\nAuthMechanism    : Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer\r\nPermissionGroups : ExchangeUsers, ExchangeServers, ExchangeLegacyServers\r\nTransportRole    : HubTransport\r\nEnabled          : True\r\n\r\n";
const RELAY_EX02: &str = "Identity         : EX02\\Internal Relay\r\nBindings         : {0.0.0.0:2525}\r\nRemoteIPRanges   : {10.1.2.0/24}\r\nAuthMechanism    : Tls\r\nPermissionGroups : AnonymousUsers\r\nTransportRole    : HubTransport\r\nEnabled          : True\r\n\r\n";

struct Row {
    name: &'static str,
    cause: Cause,
    evidence: Vec<Evidence>,
    sources: Vec<(&'static str, Source)>,
    status: Status,
    /// A phrase the deciding evidence, refutation or missing source says.
    says: &'static str,
}

fn table() -> Vec<Row> {
    let mut rows = Vec::new();
    let with = |extra: Vec<Evidence>, base: Vec<Evidence>| -> Vec<Evidence> {
        base.into_iter().chain(extra).collect()
    };

    // clock-skew
    rows.push(Row {
        name: "KRB_AP_ERR_SKEW and a banner 7 minutes ahead",
        cause: Cause::ClockSkew,
        evidence: with(
            vec![
                at(
                    "EX01",
                    2,
                    Fact::KerberosError {
                        source: KerberosSource::Client,
                        event_id: 3,
                        code: Some(0x25),
                        code_name: Some("KRB_AP_ERR_SKEW".into()),
                        target: Some("SMTPSVC/EX02.contoso.local".into()),
                        client: Some("EX01$".into()),
                        client_ip: None,
                        skew_s: Some(-420.0),
                    },
                ),
                at(
                    "EX01",
                    3,
                    Fact::ClockSample {
                        basis: ClockBasis::Banner,
                        remote_server: Some("EX02.contoso.local".into()),
                        remote_ip: Some("10.1.2.12".parse().unwrap()),
                        offset_s: 420.0,
                    },
                ),
            ],
            rejected_pair(),
        ),
        sources: vec![("EX01", Source::SendLog), ("EX01", Source::SystemLog)],
        status: Status::Supported,
        says: "EX02 is +420.0 s from EX01",
    });
    rows.push(Row {
        name: "banners agree within a second",
        cause: Cause::ClockSkew,
        evidence: with(
            vec![at(
                "EX01",
                3,
                Fact::ClockSample {
                    basis: ClockBasis::Banner,
                    remote_server: Some("EX02".into()),
                    remote_ip: None,
                    offset_s: 0.4,
                },
            )],
            rejected_pair(),
        ),
        sources: vec![("EX01", Source::SendLog)],
        status: Status::Refuted,
        says: "within 300 s",
    });
    rows.push(Row {
        name: "no clock comparison at all",
        cause: Cause::ClockSkew,
        evidence: rejected_pair(),
        sources: vec![],
        status: Status::NotEvaluable,
        says: "w32tm /stripchart",
    });

    // ad-replication
    let repl = |failures: u64| {
        untimed(
            "DC01",
            Fact::ReplicationStatus {
                dc: "DC02".into(),
                direction: Some("destination".into()),
                failures: Some(failures),
                total: Some(5),
                largest_delta_s: Some(3600),
                error: (failures > 0).then(|| "(8524) The DSA operation is unable to proceed because of a DNS lookup failure.".into()),
            },
        )
    };
    rows.push(Row {
        name: "repadmin shows failing links",
        cause: Cause::AdReplication,
        evidence: with(vec![repl(3)], rejected_pair()),
        sources: vec![("DC01", Source::Repadmin)],
        status: Status::Supported,
        says: "8524",
    });
    rows.push(Row {
        name: "repadmin shows 0 failures",
        cause: Cause::AdReplication,
        evidence: with(vec![repl(0)], rejected_pair()),
        sources: vec![("DC01", Source::Repadmin)],
        status: Status::Refuted,
        says: "0 failures",
    });
    rows.push(Row {
        name: "nothing from the DCs",
        cause: Cause::AdReplication,
        evidence: rejected_pair(),
        sources: vec![],
        status: Status::NotEvaluable,
        says: "repadmin /replsummary",
    });

    // spn-missing
    let listing = |spns: &[&str]| {
        untimed(
            "EX02",
            Fact::SpnListing {
                account: "EX02".into(),
                spns: spns.iter().map(|s| s.to_string()).collect(),
                queried: false,
            },
        )
    };
    rows.push(Row {
        name: "setspn -L without SMTPSVC",
        cause: Cause::SpnMissing,
        evidence: with(
            vec![listing(&["HOST/EX02", "HOST/EX02.contoso.local"])],
            rejected_pair(),
        ),
        sources: vec![("EX02", Source::Setspn)],
        status: Status::Supported,
        says: "no SMTPSVC/ or SMTP/ SPN registered",
    });
    rows.push(Row {
        name: "setspn -L lists SMTPSVC",
        cause: Cause::SpnMissing,
        evidence: with(
            vec![listing(&[
                "SMTPSVC/EX02",
                "SMTPSVC/EX02.contoso.local",
                "HOST/EX02",
            ])],
            rejected_pair(),
        ),
        sources: vec![("EX02", Source::Setspn)],
        status: Status::Refuted,
        says: "lists smtpsvc/ex02",
    });
    rows.push(Row {
        name: "no setspn, no DC Security log",
        cause: Cause::SpnMissing,
        evidence: rejected_pair(),
        sources: vec![],
        status: Status::NotEvaluable,
        says: "setspn -L EX02",
    });

    // spn-duplicate
    rows.push(Row {
        name: "KDC 11 names SMTPSVC of the receiver",
        cause: Cause::SpnDuplicate,
        evidence: with(
            vec![at(
                "DC01",
                5,
                Fact::DuplicateName {
                    name: "SMTPSVC/EX02.contoso.local".into(),
                    name_type: Some("DS_SERVICE_PRINCIPAL_NAME".into()),
                },
            )],
            rejected_pair(),
        ),
        sources: vec![("DC01", Source::SystemLog)],
        status: Status::Supported,
        says: "duplicate name SMTPSVC/EX02.contoso.local",
    });
    rows.push(Row {
        name: "setspn -X found no group",
        cause: Cause::SpnDuplicate,
        evidence: with(
            vec![untimed("DC01", Fact::SpnDuplicates { groups: vec![] })],
            rejected_pair(),
        ),
        sources: vec![("DC01", Source::Setspn)],
        status: Status::Refuted,
        says: "0 duplicate groups",
    });
    rows.push(Row {
        name: "no setspn -X, no DC System log",
        cause: Cause::SpnDuplicate,
        evidence: rejected_pair(),
        sources: vec![],
        status: Status::NotEvaluable,
        says: "setspn -X",
    });

    // kerberos-blocked
    let probe = |reachable: bool| {
        untimed(
            "EX01",
            Fact::PortProbe {
                target: "DC01.contoso.local".into(),
                port: 88,
                protocol: "tcp".into(),
                reachable: Some(reachable),
                result: if reachable {
                    "Listening"
                } else {
                    "NotReachable"
                }
                .into(),
            },
        )
    };
    rows.push(Row {
        name: "Test-NetConnection 88 fails",
        cause: Cause::KerberosBlocked,
        evidence: with(vec![probe(false)], rejected_pair()),
        sources: vec![("EX01", Source::PortTest)],
        status: Status::Supported,
        says: "tcp 88 to DC01.contoso.local",
    });
    rows.push(Row {
        name: "Test-NetConnection 88 succeeds",
        cause: Cause::KerberosBlocked,
        evidence: with(vec![probe(true)], rejected_pair()),
        sources: vec![("EX01", Source::PortTest)],
        status: Status::Refuted,
        says: "Listening",
    });
    rows.push(Row {
        name: "no port test, no System logs",
        cause: Cause::KerberosBlocked,
        evidence: rejected_pair(),
        sources: vec![],
        status: Status::NotEvaluable,
        says: "Test-NetConnection",
    });

    // connector-auth
    rows.push(Row {
        name: "a relay connector with a narrower range takes EX01",
        cause: Cause::ConnectorAuth,
        evidence: with(
            connectors(&format!("{DEFAULT_EX02}{RELAY_EX02}")),
            not_offered_pair(),
        ),
        sources: vec![("EX02", Source::ReceiveConnectors)],
        status: Status::Supported,
        says: "EX02\\Internal Relay takes 10.1.2.11",
    });
    rows.push(Row {
        name: "the default connector has ExchangeServer",
        cause: Cause::ConnectorAuth,
        evidence: with(connectors(DEFAULT_EX02), rejected_pair()),
        sources: vec![("EX02", Source::ReceiveConnectors)],
        status: Status::Refuted,
        says: "has ExchangeServer",
    });
    rows.push(Row {
        name: "no Get-ReceiveConnector of the receiver",
        cause: Cause::ConnectorAuth,
        evidence: rejected_pair(),
        sources: vec![],
        status: Status::Refuted,
        says: "advertised X-EXPS EXCHANGEAUTH",
    });
    rows
}

#[test]
fn each_rule_supported_refuted_and_not_evaluable() {
    for row in table() {
        let case = case(row.evidence, &row.sources);
        let f = finding(&case, row.cause);
        assert_eq!(f.status, row.status, "{}: {:#?}", row.name, f);
        let text: Vec<&str> = f
            .evidence
            .iter()
            .chain(&f.refuting)
            .map(|l| l.detail.as_str())
            .chain(f.missing.iter().map(String::as_str))
            .collect();
        assert!(
            text.iter().any(|t| t.contains(row.says)),
            "{}: expected a line saying {:?}, got {text:#?}",
            row.name,
            row.says
        );
        match row.status {
            Status::Supported => {
                assert!(f.confidence > 0.0, "{}", row.name);
                assert!(
                    !f.remedy.is_empty(),
                    "{}: a supported cause carries its fix",
                    row.name
                );
                assert_eq!(
                    f.pairs,
                    vec![("EX01".to_string(), "EX02".to_string())],
                    "{}",
                    row.name
                );
            }
            _ => assert_eq!(f.confidence, 0.0, "{}", row.name),
        }
        if row.status == Status::NotEvaluable {
            assert!(!f.missing.is_empty(), "{}: names what is missing", row.name);
        }
    }
}

#[test]
fn ambiguous_status_alone_is_inconclusive() {
    let case = case(rejected_pair(), &[]);
    let d = diagnose(&case);
    assert_eq!(d.verdict.primary_cause, "inconclusive");
    assert!(
        d.findings.iter().all(|f| f.status != Status::Supported),
        "{:#?}",
        d.findings
    );
    assert!(
        d.next_steps.iter().any(|s| s.contains("LogLevel=1")),
        "{:?}",
        d.next_steps
    );
}

#[test]
fn no_failure_is_healthy() {
    let case = case(
        vec![at("EX01", 0, send_auth(AuthOutcome::Success, None, true))],
        &[("EX01", Source::SendLog), ("EX02", Source::ApplicationLog)],
    );
    let d = diagnose(&case);
    assert_eq!(d.verdict.primary_cause, "healthy");
    assert!(case.incidents.is_empty());
}

#[test]
fn the_strongest_cause_wins() {
    // TimeSkew from the receiver plus a clock 7 minutes apart beat a weak
    // replication hint.
    let mut evidence = rejected_pair();
    evidence.push(at(
        "EX02",
        2,
        Fact::InboundAuthFailed {
            event_id: 1035,
            status: "TimeSkew".into(),
            connector: "Default EX02".into(),
            mechanism: "ExchangeAuth".into(),
            client_ip: Some("10.1.2.11".parse().unwrap()),
        },
    ));
    evidence.push(at(
        "DC01",
        3,
        Fact::ReplicationEvent {
            event_id: 2088,
            source_dc: Some("DC02".into()),
            error_code: None,
            summary: "NTDS 2088".into(),
        },
    ));
    let d = diagnose(&case(evidence, &[]));
    assert_eq!(d.verdict.primary_cause, "clock-skew", "{:#?}", d.verdict);
}

/// An aggregate's line says the span its records were counted over: the
/// minute, the span long logs widened it to, or the whole run.
#[test]
fn an_aggregate_names_the_span_it_was_counted_over() {
    assert_eq!(super::counted_over(60), "in the same minute");
    assert_eq!(super::counted_over(0), "in the same minute");
    assert_eq!(super::counted_over(60 << 8), "in the same 256-minute span");
    assert_eq!(
        super::counted_over(60 << 17),
        "in the same 131,072-minute span"
    );
    assert_eq!(
        super::counted_over(crate::evidence::aggregate::MAX_SPAN_S),
        "over the whole run"
    );
}

/// A listing's evidence lines name the command that gave it: `setspn -L EX02`
/// when asked for by name, `setspn -Q, account EX02` when a query found it
/// (it said `setspn -L` for both).
#[test]
fn a_listing_says_which_setspn_gave_it() {
    for (queried, says) in [(false, "setspn -L EX02"), (true, "setspn -Q, account EX02")] {
        let mut evidence = rejected_pair();
        evidence.push(untimed(
            "DC01",
            Fact::SpnListing {
                account: "EX02".into(),
                spns: vec!["SMTP/EX02".into(), "HOST/EX02".into()],
                queried,
            },
        ));
        let case = case(evidence, &[("DC01", Source::Setspn)]);
        let finding = finding(&case, Cause::SpnMissing);
        let lines: Vec<&str> = finding
            .evidence
            .iter()
            .chain(&finding.refuting)
            .map(|l| l.detail.as_str())
            .filter(|d| d.starts_with("setspn"))
            .collect();
        assert!(!lines.is_empty(), "{finding:#?}");
        assert!(
            lines
                .iter()
                .all(|d| d.starts_with(&format!("{says}:")) || d.starts_with(&format!("{says} "))),
            "{lines:#?}"
        );
    }
}

/// A probe repeated in one output (portqry run in a loop) is one fact
/// counting them: its line says how many more it stands for, and where —
/// in that output, not in a minute, for it has no time.
#[test]
fn a_repeated_probe_says_how_many_more_it_stands_for() {
    let mut filtered = untimed(
        "EX01",
        Fact::PortProbe {
            target: "DC01.contoso.com".into(),
            port: 88,
            protocol: "tcp".into(),
            reachable: Some(false),
            result: "filtered".into(),
        },
    );
    filtered.represents = 83_887;
    let mut evidence = rejected_pair();
    evidence.push(filtered);
    let case = case(evidence, &[("EX01", Source::PortTest)]);
    let finding = finding(&case, Cause::KerberosBlocked);
    assert_eq!(finding.status, Status::Supported);
    assert!(
        finding.evidence.iter().any(|l| l.detail
            == "tcp 88 to DC01.contoso.com: filtered (and 83,886 more like it later in the same output, counted, not listed)"),
        "{:#?}",
        finding.evidence
    );
}

/// A queue exported in a loop (`Get-Queue | fl` every minute), its run
/// folded into its first and its last: the last's line says how many
/// snapshots it stands for, between the first and itself — not "in the same
/// minute" as an aggregate's.
#[test]
fn a_folded_queue_run_says_how_many_snapshots_its_last_stands_for() {
    let refused = |count| {
        queue_error(
            "EX01\\12",
            "451 5.7.3 Cannot achieve Exchange Server authentication",
            count,
        )
    };
    let mut last = at("EX01", 240, refused(9));
    last.represents = 4;
    let mut evidence = connectors(&format!("{DEFAULT_EX02}{RELAY_EX02}"));
    evidence.push(at("EX01", 0, refused(5)));
    evidence.push(last);
    let case = case(evidence, &[("EX02", Source::ReceiveConnectors)]);
    let finding = finding(&case, Cause::ConnectorAuth);
    let queue_lines: Vec<&str> = finding
        .evidence
        .iter()
        .filter(|l| l.kind == "queue-last-error")
        .map(|l| l.detail.as_str())
        .collect();
    let said = "EX01 → EX02: 451 5.7.3 Cannot achieve Exchange Server authentication (the receiver never offered it)";
    assert_eq!(
        queue_lines,
        [
            said.to_string(),
            format!("{said} (and 3 more snapshots of this queue between the first of its run and this one, folded, not listed)")
        ],
        "{:#?}",
        finding.evidence
    );
}

/// A rule can weigh one signal per account of a `setspn -Q */*` (tens of
/// thousands of accounts, when no receiver is named): each signal counts once,
/// at its strongest; each line said again and again is listed three times,
/// the strongest first. (Both were searched for line by line: a 20 MB
/// listing took 21 s to weigh.)
#[test]
fn tens_of_thousands_of_signals_each_count_once() {
    use super::{EvidenceLine, Strength, Weigher};
    const ACCOUNTS: usize = 20_000;
    let mut w = Weigher::new(Cause::SpnMissing);
    for round in 0..5 {
        for account in 0..ACCOUNTS {
            w.support(
                format!("setspn:WS{account}"),
                EvidenceLine {
                    kind: "spn-listing".into(),
                    time: None,
                    server: Some("DC01".into()),
                    origin: format!("DC01/DC01_setspn-Q.txt:{}", account + 2),
                    detail: format!("setspn -L WS{account}: no SMTPSVC/ or SMTP/ SPN registered"),
                    strength: if round == 4 {
                        Strength::Strong
                    } else {
                        Strength::Weak
                    },
                },
            );
        }
    }
    let f = w.finish(Vec::new(), Vec::new());
    assert_eq!(f.status, Status::Supported);
    assert_eq!(f.confidence, 0.97, "{ACCOUNTS} strong signals");
    assert_eq!(f.evidence.len(), 3 * ACCOUNTS);
    let mut listed = std::collections::HashMap::new();
    for line in &f.evidence {
        *listed.entry(line.detail.as_str()).or_insert(0) += 1;
    }
    assert_eq!(listed.len(), ACCOUNTS);
    assert!(listed.values().all(|&n| n == 3));
    // The strongest come first: each account's strong line, then weak ones.
    assert!(f.evidence[..ACCOUNTS]
        .iter()
        .all(|l| l.strength == Strength::Strong));
    assert!(f.evidence[ACCOUNTS..]
        .iter()
        .all(|l| l.strength == Strength::Weak));
}

/// A DC's 4769 with Status 0x7 (KDC_ERR_S_PRINCIPAL_UNKNOWN) for `target`,
/// asked for by EX01.
fn principal_unknown(target: &str) -> Fact {
    Fact::KerberosError {
        source: KerberosSource::Kdc,
        event_id: 4769,
        code: Some(0x7),
        code_name: Some("KDC_ERR_S_PRINCIPAL_UNKNOWN".into()),
        target: Some(target.into()),
        client: Some("EX01$".into()),
        client_ip: None,
        skew_s: None,
    }
}

/// A KDC_ERR_S_PRINCIPAL_UNKNOWN for an SPN that setspn shows registered
/// (one DC has it, another not) speaks for AD replication — found among the
/// listings of a `setspn -Q */*` however many accounts it lists, whatever
/// the case of either name.
#[test]
fn an_unknown_principal_that_setspn_lists_points_at_replication() {
    let mut evidence = rejected_pair();
    evidence.push(at(
        "DC01",
        2,
        principal_unknown("SMTPSVC/EX02.contoso.local"),
    ));
    for account in 0..5_000 {
        evidence.push(untimed(
            "DC01",
            Fact::SpnListing {
                account: format!("WS{account:05}"),
                spns: vec![
                    format!("HOST/WS{account:05}"),
                    format!("HOST/WS{account:05}.contoso.local"),
                ],
                queried: false,
            },
        ));
    }
    evidence.push(untimed(
        "DC01",
        Fact::SpnListing {
            account: "EX02".into(),
            spns: vec!["HOST/EX02".into(), "smtpsvc/ex02.CONTOSO.local".into()],
            queried: false,
        },
    ));
    let f = finding(
        &case(evidence, &[("DC01", Source::Setspn)]),
        Cause::AdReplication,
    );
    assert!(
        f.evidence.iter().any(|l| l
            .detail
            .contains("although setspn lists it: not on every DC")),
        "{f:#?}"
    );
}

/// EX01's Send log: a 454 from a peer it names neither by address nor name.
fn unnamed_receiver_failure() -> Fact {
    let mut failure = send_auth(AuthOutcome::Rejected, None, true);
    if let Fact::SmtpAuth {
        remote_endpoint,
        remote_host,
        ..
    } = &mut failure
    {
        *remote_endpoint = None;
        *remote_host = None;
    }
    failure
}

/// A failure whose receiver nothing names, beside a `setspn -Q */*` of a
/// thousand workstations (none with an SMTP SPN, as none should): the
/// workstations are nobody's receiver and do not speak for a missing SPN;
/// the collection's Exchange servers' listings are still weighed.
#[test]
fn a_domain_wide_listing_blames_no_workstation_for_an_unnamed_receiver() {
    let failure = unnamed_receiver_failure();
    let listing = |account: &str, spns: &[&str]| {
        untimed(
            "DC01",
            Fact::SpnListing {
                account: account.into(),
                spns: spns.iter().map(|s| s.to_string()).collect(),
                queried: false,
            },
        )
    };
    let with_ex02 = |ex02: &[&str]| {
        let mut evidence = vec![at("EX01", 0, failure.clone())];
        for n in 0..1_000 {
            let host = format!("WS{n:04}");
            evidence.push(listing(
                &host,
                &[&format!("HOST/{host}"), &format!("TERMSRV/{host}")],
            ));
        }
        evidence.push(listing("EX02", ex02));
        case(evidence, &[("DC01", Source::Setspn)])
    };
    let registered = with_ex02(&["HOST/EX02", "SMTPSVC/EX02", "SMTPSVC/EX02.contoso.local"]);
    assert!(
        registered
            .incidents
            .iter()
            .any(|i| i.receiver == crate::correlate::incident::UNKNOWN),
        "the receiver is named: {:?}",
        registered.incidents
    );
    let f = finding(&registered, Cause::SpnMissing);
    assert_ne!(f.status, Status::Supported, "{f:#?}");
    assert!(
        f.evidence.iter().all(|l| !l.detail.contains("WS")),
        "{:#?}",
        f.evidence
    );
    let missing = with_ex02(&["HOST/EX02", "HOST/EX02.contoso.local"]);
    let f = finding(&missing, Cause::SpnMissing);
    assert_eq!(f.status, Status::Supported, "{f:#?}");
    assert!(f
        .evidence
        .iter()
        .any(|l| l.detail.contains("setspn -L EX02")));
    assert!(f.evidence.iter().all(|l| !l.detail.contains("WS")));
}

/// Accounts a `setspn -Q */*` at DC01 found with no SMTP SPN, kept by name as
/// the setspn input keeps them: `(account, SPNs)`, the first DN on line 2.
fn queried_without_smtp(accounts: &[(String, Vec<String>)]) -> Evidence {
    let mut listed = crate::evidence::ListedAccounts::default();
    let mut line = 2;
    for (account, spns) in accounts {
        listed.accounts.push(crate::evidence::ListedAccount {
            account: account.clone(),
            line,
            spns: spns.len() as u32,
            computer: spns.iter().any(|s| s.starts_with("HOST/")),
        });
        listed
            .spn_hashes
            .extend(spns.iter().map(|s| crate::evidence::spn_hash(s)));
        line += 1 + spns.len() as u64;
    }
    listed.spn_hashes.sort_unstable();
    let mut e = untimed("DC01", Fact::SpnAccounts(Box::new(listed)));
    e.origin = "DC01/DC01_setspn-Q.txt".into();
    e.represents = accounts.len() as u64;
    e
}

/// Three thousand workstations, then EX02 with `ex02_spns`.
fn domain_wide(ex02_spns: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut accounts: Vec<(String, Vec<String>)> = (0..3_000)
        .map(|n| {
            let host = format!("WS{n:04}");
            (
                host.clone(),
                vec![format!("HOST/{host}"), format!("HOST/{host}.contoso.local")],
            )
        })
        .collect();
    accounts.push((
        "EX02".into(),
        ex02_spns.iter().map(|s| s.to_string()).collect(),
    ));
    accounts
}

/// The receiver among the accounts a `setspn -Q */*` found with no SMTP SPN
/// (kept by name, not listing by listing): that speaks for a missing SPN,
/// from the line of its DN; the workstations beside it speak for nothing.
#[test]
fn a_receiver_a_domain_wide_query_finds_without_smtp_spns_is_missing_them() {
    let mut evidence = rejected_pair();
    let accounts = domain_wide(&["HOST/EX02", "HOST/EX02.contoso.local", "HTTP/ex02"]);
    evidence.push(queried_without_smtp(&accounts));
    let f = finding(
        &case(evidence, &[("DC01", Source::Setspn)]),
        Cause::SpnMissing,
    );
    assert_eq!(f.status, Status::Supported, "{f:#?}");
    let ex02 = f
        .evidence
        .iter()
        .find(|l| l.detail.contains("EX02"))
        .expect("EX02's listing in the evidence");
    assert_eq!(
        ex02.detail,
        "setspn -Q lists EX02 with no SMTPSVC/ or SMTP/ SPN (3 SPNs listed)"
    );
    // 3,000 workstations of 3 lines each before it, from line 2.
    assert_eq!(ex02.origin, "DC01/DC01_setspn-Q.txt:9002");
    assert!(f.evidence.iter().all(|l| !l.detail.contains("WS")));
}

/// A KDC_ERR_S_PRINCIPAL_UNKNOWN for an SPN of an account a `setspn -Q */*`
/// found with no SMTP SPN (kept by name, its SPNs by hash) still reads
/// "although setspn lists it", whatever the case; one it does not list does
/// not.
#[test]
fn an_unknown_principal_among_accounts_kept_by_name_points_at_replication() {
    let with_0x7 = |target: &str| {
        let mut evidence = rejected_pair();
        evidence.push(at("DC01", 2, principal_unknown(target)));
        evidence.push(queried_without_smtp(&domain_wide(&[
            "HOST/EX02",
            "HTTP/ex02.CONTOSO.local",
        ])));
        finding(
            &case(evidence, &[("DC01", Source::Setspn)]),
            Cause::AdReplication,
        )
    };
    let although = |f: &Finding| {
        f.evidence
            .iter()
            .any(|l| l.detail.contains("although setspn lists it"))
    };
    let listed = with_0x7("http/EX02.contoso.local");
    assert!(although(&listed), "{listed:#?}");
    let unlisted = with_0x7("HTTP/EX03.contoso.local");
    assert!(!although(&unlisted), "{unlisted:#?}");
}

/// A failure whose receiver nothing names, beside the accounts a `setspn -Q
/// */*` found with no SMTP SPN (kept by name): with the collection's Exchange
/// servers known, EX02's account among them speaks for a missing SPN and no
/// workstation does; with no Exchange server known, none of them speaks (a
/// workstation lacks SMTP SPNs, as it should).
#[test]
fn accounts_kept_by_name_speak_for_an_unnamed_receiver_only_when_named_exchange() {
    let failure = unnamed_receiver_failure();
    let evidence = vec![
        at("EX01", 0, failure),
        queried_without_smtp(&domain_wide(&["HOST/EX02", "HOST/EX02.contoso.local"])),
    ];
    let known = case(evidence.clone(), &[("DC01", Source::Setspn)]);
    assert!(
        known
            .incidents
            .iter()
            .any(|i| i.receiver == crate::correlate::incident::UNKNOWN),
        "the receiver is named: {:?}",
        known.incidents
    );
    let f = finding(&known, Cause::SpnMissing);
    assert_eq!(f.status, Status::Supported, "{f:#?}");
    assert!(f.evidence.iter().any(|l| l
        .detail
        .starts_with("setspn -Q lists EX02 with no SMTPSVC/")));
    assert!(f.evidence.iter().all(|l| !l.detail.contains("WS")));

    // Nothing says which hosts are Exchange servers.
    let unknown = assemble(
        IdentityMap::default(),
        evidence,
        coverage(&[("DC01", Source::Setspn)]),
        CaseSettings::default(),
    );
    assert!(
        unknown.identities.servers_of(Role::Exchange).is_empty(),
        "{:?}",
        unknown.identities
    );
    let f = finding(&unknown, Cause::SpnMissing);
    assert_ne!(f.status, Status::Supported, "{f:#?}");
    assert!(
        f.evidence
            .iter()
            .all(|l| !l.detail.starts_with("setspn -Q")),
        "{:#?}",
        f.evidence
    );
}
