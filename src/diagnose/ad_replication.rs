//! AD replication: domain controllers that do not agree (a new SPN, a
//! machine password or a computer account not yet on the DC the sender asks).

use super::{
    conclusion, incident_pairs, involved, line, relevant, signals, Cause, Finding, Rule, Strength,
    Weigher,
};
use crate::correlate::case::Case;
use crate::evidence::Fact;
use crate::model::Source;
use std::collections::HashSet;

pub struct AdReplication;

impl Rule for AdReplication {
    fn cause(&self) -> Cause {
        Cause::AdReplication
    }

    fn evaluate(&self, case: &Case) -> Finding {
        let mut w = Weigher::new(Cause::AdReplication);
        let (_, receivers, dcs) = involved(case);
        let mut summary_rows = 0;
        let mut failing_rows = 0;
        // The SPNs a KDC_ERR_S_PRINCIPAL_UNKNOWN names that setspn shows registered ("0x7
        // although present"): looked for among the listings only for those few targets, as
        // a `setspn -Q */*` lists millions of SPNs.
        let mut unknown_targets: HashSet<String> = HashSet::new();
        for (_, e) in relevant(case) {
            if let Fact::KerberosError {
                target: Some(target),
                code: Some(0x7),
                ..
            } = &e.fact
            {
                unknown_targets.insert(target.to_ascii_lowercase());
            }
        }
        let mut listed_spns: HashSet<String> = HashSet::new();
        if !unknown_targets.is_empty() {
            let mut lower = String::new();
            for e in case.all() {
                match &e.fact {
                    Fact::SpnListing { spns, .. } => {
                        for spn in spns {
                            lower.clear();
                            lower.extend(spn.chars().map(|c| c.to_ascii_lowercase()));
                            if unknown_targets.contains(&lower) {
                                listed_spns.insert(lower.clone());
                            }
                        }
                    }
                    // Accounts kept by name: their SPNs by hash.
                    Fact::SpnAccounts(listed) => {
                        for target in &unknown_targets {
                            if listed.lists_spn(target) {
                                listed_spns.insert(target.clone());
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        for (i, e) in relevant(case) {
            match &e.fact {
                Fact::ReplicationStatus {
                    dc,
                    failures,
                    total,
                    error,
                    largest_delta_s,
                    ..
                } => {
                    summary_rows += 1;
                    if failures.unwrap_or(0) > 0 {
                        failing_rows += 1;
                        w.support(
                            format!("repadmin:{dc}"),
                            line(
                                case,
                                i,
                                Strength::Strong,
                                format!(
                                    "repadmin: {dc} {}/{} replications failing{}",
                                    failures.unwrap_or(0),
                                    total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()),
                                    error
                                        .as_deref()
                                        .map(|e| format!(": {e}"))
                                        .unwrap_or_default()
                                ),
                            ),
                        );
                    } else if largest_delta_s.is_some_and(|d| d > 86_400) {
                        w.support(
                            format!("repadmin-delta:{dc}"),
                            line(
                                case,
                                i,
                                Strength::Medium,
                                format!(
                                    "repadmin: {dc} last replicated {} h ago",
                                    largest_delta_s.unwrap_or(0) / 3600
                                ),
                            ),
                        );
                    }
                }
                Fact::ReplicationEvent {
                    event_id,
                    source_dc,
                    error_code,
                    summary,
                } if let Some(strength) = signals::replication_event(*event_id) => {
                    let mut detail = summary.clone();
                    if let Some(dc) = source_dc {
                        detail.push_str(&format!(", source DC {dc}"));
                    }
                    if let Some(code) = error_code {
                        detail.push_str(&format!(", error {code}"));
                    }
                    w.support(format!("ntds:{event_id}"), line(case, i, strength, detail));
                }
                Fact::NetlogonEvent { event_id, summary } => {
                    for (cause, strength) in signals::netlogon_event(*event_id) {
                        if cause == Cause::AdReplication {
                            w.support(
                                format!("netlogon:{event_id}"),
                                line(case, i, strength, format!("NETLOGON {event_id}: {summary}")),
                            );
                        }
                    }
                }
                Fact::KerberosError {
                    target,
                    code_name,
                    code,
                    ..
                } => {
                    // 0x7 for an SPN that setspn shows registered: one DC has it, another not.
                    let present = target
                        .as_deref()
                        .is_some_and(|t| listed_spns.contains(&t.to_ascii_lowercase()));
                    if *code == Some(0x7) && present {
                        w.support(
                            "krb:0x7-present",
                            line(
                                case,
                                i,
                                Strength::Strong,
                                format!("KDC_ERR_S_PRINCIPAL_UNKNOWN for {} although setspn lists it: not on every DC", target.as_deref().unwrap_or("?")),
                            ),
                        );
                        continue;
                    }
                    for (cause, strength) in signals::kerberos_error(&e.fact) {
                        if cause == Cause::AdReplication {
                            w.support(
                                format!("krb:{}", code.unwrap_or(0)),
                                line(
                                    case,
                                    i,
                                    strength,
                                    format!(
                                        "{} {}",
                                        code_name.as_deref().unwrap_or("Kerberos error"),
                                        target.as_deref().unwrap_or("")
                                    )
                                    .trim()
                                    .to_string(),
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        if summary_rows > 0 && failing_rows == 0 {
            w.refute(conclusion(
                "replication-status",
                None,
                Strength::Strong,
                format!("repadmin shows {summary_rows} replication links with 0 failures"),
            ));
        }
        let all_servers = case.coverage.by_server.keys().cloned().collect();
        let dcs_or_all = if dcs.is_empty() { &all_servers } else { &dcs };
        if summary_rows == 0 && !w.has_support() {
            if !case.coverage.any(dcs_or_all, Source::Repadmin) {
                w.missing("`repadmin /replsummary` (and `repadmin /showrepl * /csv`) from a DC");
            }
            if !case.coverage.any(dcs_or_all, Source::DirectoryServiceLog) {
                w.missing("Directory Service logs of the DCs");
            }
        }
        let _ = receivers;
        let remedy = vec![
            "On a DC: `repadmin /replsummary` and `repadmin /showrepl * /csv`; fix the errors they name (DNS 8524, RPC 1722, 'target principal name is incorrect' -2146893022, tombstone 8614).".to_string(),
            "Force replication once the links work: `repadmin /syncall /AdePq`; then confirm each DC returns the same SPNs: `setspn -L <exchange server>` against each DC.".to_string(),
            "If a machine password is out of sync on one DC, reset the secure channel: `Test-ComputerSecureChannel -Repair` on the Exchange server.".to_string(),
        ];
        w.finish(incident_pairs(case), remedy)
    }
}
