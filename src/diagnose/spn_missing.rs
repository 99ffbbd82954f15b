//! SPN missing: the receiver's computer account lacks SMTPSVC/ (or SMTP/).

use super::{
    conclusion, incident_pairs, involved, line, relevant, signals, status_support, Cause,
    EvidenceLine, Finding, Rule, Strength, Weigher,
};
use crate::correlate::case::Case;
use crate::correlate::incident::UNKNOWN;
use crate::evidence::{listed_by, Fact};
use crate::model::{Role, Source};
use std::collections::BTreeSet;

pub struct SpnMissing;

/// The SMTP SPNs an Exchange server's account should carry.
fn expected_spns(case: &Case, server: &str) -> Vec<String> {
    let mut spns = vec![format!("smtpsvc/{}", server.to_ascii_lowercase())];
    if let Some(id) = case.identities.get(server) {
        for fqdn in &id.fqdns {
            spns.push(format!("smtpsvc/{fqdn}"));
        }
    }
    spns
}

/// True when `target` (`SMTPSVC/ex02.contoso.local`) names one of `servers`.
fn targets(target: &str, servers: &BTreeSet<String>) -> bool {
    crate::model::normalize_host(target).is_some_and(|(short, _)| servers.contains(&short))
}

impl Rule for SpnMissing {
    fn cause(&self) -> Cause {
        Cause::SpnMissing
    }

    fn evaluate(&self, case: &Case) -> Finding {
        let mut w = Weigher::new(Cause::SpnMissing);
        let (_, receivers, dcs) = involved(case);
        // A receiver nothing names could be any account.
        let everyone = receivers.is_empty() || receivers.contains(UNKNOWN);
        // ... any Exchange server's, that is: the collection's own, when it knows any. A
        // `setspn -Q */*` lists every account of the domain, and a workstation's carries
        // no SMTP SPN, nor should it: weighed, each spoke for this cause.
        let exchange = case.identities.servers_of(Role::Exchange);
        let mut listed_for: BTreeSet<String> = BTreeSet::new();
        let weighed = |account: &str| {
            if everyone {
                exchange.is_empty() || exchange.contains(account)
            } else {
                receivers.contains(account)
            }
        };
        for (i, e) in case.items() {
            if let Fact::SpnAccounts(listed) = &e.fact {
                // Accounts `setspn -Q` found with no SMTP SPN at all: weighed
                // when named (a receiver, an Exchange server), never merely for
                // being listed — an unnamed receiver and no Exchange server
                // known would make every workstation of the domain one.
                if everyone && exchange.is_empty() {
                    continue;
                }
                let mut account = String::new();
                for a in &listed.accounts {
                    account.clear();
                    account.push_str(&a.account);
                    account.make_ascii_uppercase();
                    if !weighed(&account) {
                        continue;
                    }
                    listed_for.insert(account.clone());
                    w.support(
                        format!("setspn:{account}"),
                        EvidenceLine {
                            kind: e.fact.kind().to_string(),
                            time: None,
                            server: e.server.clone(),
                            origin: crate::model::origin_at(&e.origin, a.line),
                            detail: format!(
                                "setspn -Q lists {account} with no SMTPSVC/ or SMTP/ SPN ({} SPNs listed)",
                                a.spns
                            ),
                            strength: Strength::Strong,
                        },
                    );
                }
                continue;
            }
            let Fact::SpnListing {
                account,
                spns,
                queried,
            } = &e.fact
            else {
                continue;
            };
            let account = account.to_ascii_uppercase();
            if !weighed(&account) {
                continue;
            }
            let listed = listed_by(&account, *queried);
            listed_for.insert(account.clone());
            let lower: Vec<String> = spns.iter().map(|s| s.to_ascii_lowercase()).collect();
            let missing: Vec<String> = expected_spns(case, &account)
                .into_iter()
                .filter(|spn| !lower.contains(spn))
                .collect();
            let any_smtp = lower.iter().any(|s| crate::model::is_smtp_spn(s));
            if !any_smtp {
                w.support(
                    format!("setspn:{account}"),
                    super::line(
                        case,
                        i,
                        Strength::Strong,
                        format!(
                            "{listed}: no SMTPSVC/ or SMTP/ SPN registered ({} SPNs listed)",
                            spns.len()
                        ),
                    ),
                );
            } else if !missing.is_empty() && !lower.iter().any(|s| s.starts_with("smtpsvc/")) {
                w.support(
                    format!("setspn:{account}"),
                    super::line(
                        case,
                        i,
                        Strength::Strong,
                        format!("{listed}: missing {}", missing.join(", ")),
                    ),
                );
            } else {
                w.refute(super::line(
                    case,
                    i,
                    Strength::Strong,
                    format!(
                        "{listed} lists {}",
                        lower
                            .iter()
                            .filter(|s| crate::model::is_smtp_spn(s))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        for (i, e) in relevant(case) {
            if let Some((signal, line)) = status_support(case, i, Cause::SpnMissing) {
                w.support(signal, line);
                continue;
            }
            match &e.fact {
                Fact::KerberosError {
                    target, code_name, ..
                } => {
                    let about_receiver = target.as_deref().is_some_and(|t| {
                        crate::model::is_smtp_spn(t) && (everyone || targets(t, &receivers))
                    });
                    for (cause, strength) in signals::kerberos_error(&e.fact) {
                        if cause == Cause::SpnMissing && about_receiver {
                            w.support(
                                "krb:0x7",
                                line(
                                    case,
                                    i,
                                    strength,
                                    format!(
                                        "{} for {}",
                                        code_name
                                            .as_deref()
                                            .unwrap_or("KDC_ERR_S_PRINCIPAL_UNKNOWN"),
                                        target.as_deref().unwrap_or("")
                                    ),
                                ),
                            );
                        }
                    }
                }
                Fact::SpnNotRegistered { spn }
                    if everyone || targets(spn, &receivers) || crate::model::is_smtp_spn(spn) =>
                {
                    w.support(
                        "krb:100",
                        line(
                            case,
                            i,
                            Strength::Strong,
                            format!("Kerberos 100: SPN {spn} is not registered"),
                        ),
                    );
                }
                Fact::TransportEvent {
                    event_id: 12011,
                    summary,
                } => {
                    w.support(
                        "transport:12011",
                        line(
                            case,
                            i,
                            Strength::Strong,
                            format!("MSExchangeTransport 12011: {summary}"),
                        ),
                    );
                }
                _ => {}
            }
        }
        if !w.has_support() && listed_for.is_empty() {
            let targets_text = if everyone {
                "the receiving Exchange server".to_string()
            } else {
                receivers.iter().cloned().collect::<Vec<_>>().join(", ")
            };
            w.missing(format!("`setspn -L {targets_text}` output"));
            let all = case.coverage.by_server.keys().cloned().collect();
            let dcs = if dcs.is_empty() { &all } else { &dcs };
            if !case.coverage.any(dcs, Source::SecurityLog) {
                w.missing("Security logs of the DCs (4769 failures with Status 0x7)");
            }
        } else if !w.has_support() && !listed_for.is_empty() {
            // Listed and no KDC complaint: say so.
            w.refute(conclusion(
                "spn-listing",
                None,
                Strength::Medium,
                "no KDC_ERR_S_PRINCIPAL_UNKNOWN for an SMTPSVC SPN in the collected logs".into(),
            ));
        }
        let who = if everyone {
            "<receiver>".to_string()
        } else {
            receivers.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        let remedy = vec![
            format!("Run `setspn -L {who}`: the computer account must list SMTPSVC/<name> and SMTPSVC/<fqdn> (and SMTP/ on older versions)."),
            format!("Restarting MSExchangeTransport on {who} registers them; or add them: `setspn -S SMTPSVC/<fqdn> {who}` and `setspn -S SMTPSVC/<name> {who}`."),
            "Let AD replicate (or `repadmin /syncall /AdePq`), then `klist purge -li 0x3e7` on the sender and retry the queue.".to_string(),
        ];
        w.finish(incident_pairs(case), remedy)
    }
}
