//! Duplicate SPN: SMTPSVC/, SMTP/ or HOST/ of an Exchange server on two accounts.

use super::{
    conclusion, incident_pairs, involved, line, relevant, signals, status_support, Cause, Finding,
    Rule, Strength, Weigher,
};
use crate::correlate::case::Case;
use crate::evidence::Fact;
use crate::model::Source;

pub struct SpnDuplicate;

impl Rule for SpnDuplicate {
    fn cause(&self) -> Cause {
        Cause::SpnDuplicate
    }

    fn evaluate(&self, case: &Case) -> Finding {
        let mut w = Weigher::new(Cause::SpnDuplicate);
        let (_, _, dcs) = involved(case);
        let mut checked_duplicates = false;
        for (i, e) in case.items() {
            if let Fact::SpnDuplicates { groups } = &e.fact {
                checked_duplicates = true;
                let relevant_groups: Vec<&(String, Vec<String>)> = groups
                    .iter()
                    .filter(|(spn, _)| signals::is_transport_spn(spn))
                    .collect();
                if relevant_groups.is_empty() {
                    w.refute(line(
                        case,
                        i,
                        Strength::Strong,
                        format!(
                            "setspn -X: {} duplicate groups, none for SMTPSVC/SMTP/HOST",
                            groups.len()
                        ),
                    ));
                }
                for (spn, accounts) in relevant_groups {
                    w.support(
                        format!("setspn-x:{spn}"),
                        line(
                            case,
                            i,
                            Strength::Strong,
                            format!(
                                "setspn -X: {spn} is registered on {}",
                                accounts.join(" and ")
                            ),
                        ),
                    );
                }
            }
        }
        for (i, e) in relevant(case) {
            if let Some((signal, line)) = status_support(case, i, Cause::SpnDuplicate) {
                w.support(signal, line);
                continue;
            }
            match &e.fact {
                Fact::DuplicateName { name, name_type } => {
                    let strength = if signals::is_transport_spn(name) {
                        Strength::Strong
                    } else {
                        Strength::Medium
                    };
                    w.support(
                        format!("kdc11:{}", name.to_ascii_lowercase()),
                        line(
                            case,
                            i,
                            strength,
                            format!(
                                "duplicate name {name}{}",
                                name_type
                                    .as_deref()
                                    .map(|t| format!(" ({t})"))
                                    .unwrap_or_default()
                            ),
                        ),
                    );
                }
                Fact::KerberosError {
                    target, code_name, ..
                } => {
                    let smtp = target.as_deref().is_some_and(signals::is_transport_spn);
                    for (cause, strength) in signals::kerberos_error(&e.fact) {
                        if cause == Cause::SpnDuplicate && (smtp || strength == Strength::Strong) {
                            w.support(
                                format!("krb:{}", code_name.as_deref().unwrap_or("")),
                                line(
                                    case,
                                    i,
                                    strength,
                                    format!(
                                        "{} for {}",
                                        code_name.as_deref().unwrap_or("Kerberos error"),
                                        target.as_deref().unwrap_or("?")
                                    ),
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        let all = case.coverage.by_server.keys().cloned().collect();
        let dcs = if dcs.is_empty() { &all } else { &dcs };
        let dc_system_logs =
            case.coverage.any(dcs, Source::SystemLog) && !case.domain_controllers().is_empty();
        if !w.has_support() && !checked_duplicates {
            if dc_system_logs {
                w.refute(conclusion(
                    "absence",
                    None,
                    Strength::Weak,
                    "no KDC event 11 (duplicate name) in the DCs' System logs".into(),
                ));
            }
            w.missing("`setspn -X` (forest-wide: `setspn -F -X`) output");
            if !dc_system_logs {
                w.missing("System logs of the DCs (KDC event 11)");
            }
        }
        let remedy = vec![
            "Run `setspn -X` (and `setspn -Q SMTPSVC/<fqdn>`) to see every account holding the SPN.".to_string(),
            "Remove it from the account that is not the Exchange server's computer account: `setspn -D SMTPSVC/<fqdn> <wrong account>` (likewise SMTP/ and HOST/).".to_string(),
            "Replicate AD (`repadmin /syncall /AdePq`), purge the sender's tickets (`klist purge -li 0x3e7`) and retry the queue.".to_string(),
        ];
        w.finish(incident_pairs(case), remedy)
    }
}
