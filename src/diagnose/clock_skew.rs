//! Clock skew: any two of sender, receiver and DC more than 5 minutes apart.

use super::{
    conclusion, incident_pairs, involved, line, relevant, signals, status_support, Cause, Finding,
    Rule, Strength, Weigher,
};
use crate::correlate::case::Case;
use crate::correlate::incident::UNKNOWN;
use crate::evidence::Fact;
use crate::model::Source;
use crate::model::{ClockBasis, KERBEROS_TOLERANCE_S};
use std::collections::BTreeSet;

pub struct ClockSkew;

impl Rule for ClockSkew {
    fn cause(&self) -> Cause {
        Cause::ClockSkew
    }

    fn evaluate(&self, case: &Case) -> Finding {
        let mut w = Weigher::new(Cause::ClockSkew);
        let (senders, receivers, dcs) = involved(case);
        let mut parties: BTreeSet<String> = senders.union(&receivers).cloned().collect();
        parties.extend(dcs.iter().cloned());
        // A party nothing names could be any server: every clock counts.
        let everyone = case.incidents.is_empty() || parties.contains(UNKNOWN);

        // The clock table: measured offsets between the parties. Pairs within
        // tolerance speak against the cause only if no pair is skewed.
        let mut compared_pairs = 0;
        let mut within = Vec::new();
        for pair in &case.clocks.pairs {
            if !(everyone || parties.contains(&pair.a) && parties.contains(&pair.b)) {
                continue;
            }
            compared_pairs += 1;
            let detail = format!(
                "{} is {:+.1} s from {} ({}, {} samples, spread {:.1} s)",
                pair.b,
                pair.offset_s,
                pair.a,
                pair.basis.label(),
                pair.samples,
                pair.spread_s
            );
            let strength = match pair.basis {
                ClockBasis::PairedSession | ClockBasis::Banner | ClockBasis::W32tm => {
                    Strength::Strong
                }
                ClockBasis::KerberosEvent | ClockBasis::TimeServiceEvent => Strength::Medium,
            };
            if pair.offset_s.abs() > KERBEROS_TOLERANCE_S {
                w.support(
                    format!("clock:{}-{}", pair.a, pair.b),
                    conclusion("clock-offset", Some(&pair.b), strength, detail),
                );
            } else if strength == Strength::Strong {
                within.push(conclusion(
                    "clock-offset",
                    Some(&pair.b),
                    Strength::Strong,
                    format!("{detail}: within 300 s"),
                ));
            }
        }
        for server in &case.clocks.servers {
            if let (Some(offset), Some(reference)) = (server.offset_s, &server.reference) {
                if offset.abs() > KERBEROS_TOLERANCE_S
                    && (everyone || parties.contains(&server.server))
                {
                    w.support(
                        format!("clock-server:{}", server.server),
                        conclusion(
                            "clock-offset",
                            Some(&server.server),
                            Strength::Strong,
                            format!(
                                "{}'s clock is {:+.1} s off (against {reference})",
                                server.server, offset
                            ),
                        ),
                    );
                }
            }
        }

        let any_skewed_pair = case.clocks.pairs.iter().any(|p| {
            p.offset_s.abs() > KERBEROS_TOLERANCE_S
                && (everyone || parties.contains(&p.a) && parties.contains(&p.b))
        });
        if !any_skewed_pair {
            for line in within {
                w.refute(line);
            }
        }
        for (i, e) in relevant(case) {
            if let Some((signal, line)) = status_support(case, i, Cause::ClockSkew) {
                w.support(signal, line);
                continue;
            }
            match &e.fact {
                Fact::KerberosError {
                    code_name,
                    target,
                    skew_s,
                    ..
                } => {
                    for (cause, strength) in signals::kerberos_error(&e.fact) {
                        if cause == Cause::ClockSkew {
                            let mut detail = format!(
                                "{} {}",
                                code_name.as_deref().unwrap_or("Kerberos error"),
                                target
                                    .as_deref()
                                    .map(|t| format!("for {t}"))
                                    .unwrap_or_default()
                            );
                            if let Some(skew) = skew_s {
                                detail.push_str(&format!(" (client − server time {skew:+.0} s)"));
                            }
                            w.support(
                                format!("krb:{}", e.fact.kind()),
                                line(case, i, strength, detail.trim().to_string()),
                            );
                        }
                    }
                }
                Fact::TimeServiceEvent {
                    event_id,
                    offset_s,
                    summary,
                } if let Some(strength) = signals::time_service(*event_id, *offset_s) => {
                    let detail = match offset_s {
                        Some(o) => format!(
                            "Time-Service {event_id}: time needs to change by {o:+.0} s {summary}"
                        ),
                        None => format!("Time-Service {event_id} {summary}"),
                    };
                    w.support(
                        format!("w32time:{event_id}"),
                        line(case, i, strength, detail.trim().to_string()),
                    );
                }
                Fact::TimeSyncStatus {
                    source,
                    synchronized,
                    local_clock,
                } if *local_clock || *synchronized == Some(false) => {
                    w.support(
                        "w32tm-status",
                        line(
                            case,
                            i,
                            Strength::Medium,
                            format!(
                                "w32tm /query /status: {} (source {})",
                                if *local_clock {
                                    "free-running local clock"
                                } else {
                                    "not synchronized"
                                },
                                source.as_deref().unwrap_or("unknown")
                            ),
                        ),
                    );
                }
                _ => {}
            }
        }

        if compared_pairs == 0 && !w.has_support() {
            let servers: BTreeSet<String> = if everyone {
                case.coverage.by_server.keys().cloned().collect()
            } else {
                parties.clone()
            };
            if !case.coverage.any(&servers, Source::SendLog) {
                w.missing("Send protocol logs of the sending server (their 220 banners carry the receiver's clock)");
            }
            if !case.coverage.any(&servers, Source::W32tm) {
                w.missing("`w32tm /stripchart /computer:<peer or DC> /dataonly /samples:5` from each Exchange server");
            }
            if !case.coverage.any(&servers, Source::SystemLog) {
                w.missing(
                    "System logs of the Exchange servers and DCs (Time-Service, Kerberos events)",
                );
            }
        }

        let skewed: Vec<String> = case
            .clocks
            .servers
            .iter()
            .filter(|s| s.offset_s.is_some_and(|o| o.abs() > KERBEROS_TOLERANCE_S))
            .map(|s| format!("{} ({:+.0} s)", s.server, s.offset_s.unwrap_or(0.0)))
            .collect();
        let mut remedy = Vec::new();
        if !skewed.is_empty() {
            remedy.push(format!("Fix the clock of {}: it must be within 5 minutes of the DCs and the other Exchange servers.", skewed.join(", ")));
        }
        remedy.extend([
            "Compare clocks on each Exchange server: `w32tm /stripchart /computer:<DC> /dataonly /samples:5`; check `w32tm /query /status` (Source must be a DC, not Local CMOS Clock).".to_string(),
            "Members follow the domain hierarchy: `w32tm /config /syncfromflags:domhier /update`, then `w32tm /resync /rediscover`; the forest-root PDC emulator needs a reliable external source (`w32tm /config /manualpeerlist:<ntp> /syncfromflags:manual /reliable:yes /update`).".to_string(),
            "Virtual machines: turn off host time synchronization for DCs. Then restart MSExchangeTransport and retry the queue (`Retry-Queue`).".to_string(),
        ]);
        w.finish(incident_pairs(case), remedy)
    }
}
