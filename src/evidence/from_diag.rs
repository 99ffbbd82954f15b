//! Diagnostic command outputs (setspn, w32tm, repadmin, Get-ReceiveConnector,
//! port tests, nltest, klist) → facts. These mostly carry no time of their
//! own: they describe the state when the admin ran them.

use super::{Evidence, Fact, TimeBasis};
use crate::evidence::from_events::IdentityHint;
use crate::ingest::Records;
use crate::model::ClockBasis;
use crate::model::{normalize_host, Role};
use exauth_parsers::diag::portqry::{PortState, Transport};
use exauth_parsers::diag::repadmin::{ReplDelta, ReplSummaryTable};
use exauth_parsers::diag::w32tm::ClockSourceKind;

/// `CN=EX02,OU=Servers,DC=contoso,DC=local` → `EX02`; other text unchanged.
fn account_name(dn: &str) -> String {
    dn.strip_prefix("CN=")
        .or_else(|| dn.strip_prefix("cn="))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or(dn)
        .to_string()
}

fn short(host: &str) -> Option<String> {
    normalize_host(host).map(|(s, _)| s)
}

/// The facts in one diagnostic output, run on `server` (if known).
pub fn diag_evidence(
    records: &Records,
    artifact_origin: &str,
    server: Option<&str>,
    out: &mut Vec<Evidence>,
    hints: &mut Vec<IdentityHint>,
) {
    let untimed = |line: Option<u64>, fact: Fact| Evidence {
        server: server.map(str::to_string),
        time: None,
        time_basis: TimeBasis::None,
        origin: match line {
            Some(n) if n > 0 => format!("{artifact_origin}:{n}"),
            _ => artifact_origin.to_string(),
        },
        fact,
        local_time: None,
    };
    let push =
        |line: Option<u64>, fact: Fact, out: &mut Vec<Evidence>| out.push(untimed(line, fact));
    match records {
        Records::Setspn(o) => {
            for listing in &o.listings {
                push(
                    Some(listing.line),
                    Fact::SpnListing {
                        account: account_name(&listing.account_dn),
                        spns: listing.spns.clone(),
                    },
                    out,
                );
            }
            if let Some(d) = &o.duplicates {
                push(
                    d.groups.first().map(|g| g.line),
                    Fact::SpnDuplicates {
                        groups: d
                            .groups
                            .iter()
                            .map(|g| {
                                (
                                    g.spn.clone(),
                                    g.accounts.iter().map(|a| account_name(a)).collect(),
                                )
                            })
                            .collect(),
                    },
                    out,
                );
            }
        }
        Records::W32tm(o) => {
            for m in &o.measurements {
                let Some(offset) = m.offset_seconds else {
                    continue;
                };
                let (local, remote) = match m.kind {
                    // /monitor: each host's offset from the reference (the PDC).
                    ClockSourceKind::Monitor => (
                        m.reference.as_deref().and_then(short),
                        m.target.as_deref().and_then(short),
                    ),
                    _ => (
                        server.map(str::to_string),
                        m.target.as_deref().and_then(short),
                    ),
                };
                let Some(local) = local else { continue };
                if let (Some(target), Some(addr)) = (&m.target, m.target_address.as_deref()) {
                    if let Ok(ip) = addr.split(':').next().unwrap_or(addr).parse() {
                        hints.push(IdentityHint::HostAt {
                            host: target.clone(),
                            ip,
                            role: Role::Unknown,
                        });
                    }
                }
                out.push(Evidence {
                    server: Some(local),
                    time: None,
                    time_basis: TimeBasis::None,
                    origin: format!("{artifact_origin}:{}", m.line),
                    fact: Fact::ClockSample {
                        basis: ClockBasis::W32tm,
                        remote_server: remote,
                        remote_ip: None,
                        offset_s: offset,
                    },
                    local_time: m.sample_time,
                });
            }
            if let Some(status) = &o.status {
                push(
                    None,
                    Fact::TimeSyncStatus {
                        source: status.source.clone(),
                        synchronized: status.synchronized,
                        local_clock: status.local_clock_source,
                    },
                    out,
                );
            }
        }
        Records::ReplicationSummary(o) => {
            for row in &o.rows {
                hints.push(IdentityHint::Computer {
                    name: row.dsa.clone(),
                    role: Role::DomainController,
                });
                push(
                    Some(row.line),
                    Fact::ReplicationStatus {
                        dc: row.dsa.clone(),
                        direction: Some(match row.table {
                            ReplSummaryTable::Source => "source".into(),
                            ReplSummaryTable::Destination => "destination".into(),
                        }),
                        failures: Some(u64::from(row.fails)),
                        total: Some(u64::from(row.total)),
                        largest_delta_s: match row.largest_delta {
                            Some(ReplDelta::Seconds(s)) => Some(s),
                            Some(ReplDelta::MoreThanDays(d)) => Some(u64::from(d) * 86_400),
                            _ => None,
                        },
                        error: row.error_text.clone().map(|t| match row.error_code {
                            Some(code) => format!("({code}) {t}"),
                            None => t,
                        }),
                    },
                    out,
                );
            }
        }
        Records::ReplicationStatus(rows) => {
            for row in rows {
                let dc = row.destination_dsa.clone().unwrap_or_default();
                push(
                    Some(row.line),
                    Fact::ReplicationStatus {
                        dc,
                        direction: row.source_dsa.as_ref().map(|s| format!("inbound from {s}")),
                        failures: row
                            .consecutive_failures
                            .map(u64::from)
                            .or(row.last_attempt_succeeded.map(|ok| u64::from(!ok))),
                        total: None,
                        largest_delta_s: None,
                        error: row.result_text.clone().map(|t| match row.result_code {
                            Some(code) => format!("({code}) {t}"),
                            None => t,
                        }),
                    },
                    out,
                );
            }
        }
        Records::Connectors(connectors) => {
            for c in connectors {
                push(None, Fact::ConnectorAuth(c.clone()), out);
            }
        }
        Records::PortProbes(probes) => {
            for p in probes {
                let Some(port) = p.port else { continue };
                let reachable = match p.state {
                    Some(PortState::Listening) => Some(true),
                    Some(
                        PortState::NotListening | PortState::Filtered | PortState::NotReachable,
                    ) => Some(false),
                    Some(PortState::ListeningOrFiltered) | None => None,
                };
                push(
                    Some(p.line),
                    Fact::PortProbe {
                        target: p
                            .target
                            .clone()
                            .or_else(|| p.remote_address.map(|a| a.to_string()))
                            .unwrap_or_default(),
                        port,
                        protocol: match p.transport {
                            Transport::Tcp => "tcp".into(),
                            Transport::Udp => "udp".into(),
                        },
                        reachable,
                        result: p
                            .state
                            .map(|s| format!("{s:?}"))
                            .unwrap_or_else(|| "unknown".into()),
                    },
                    out,
                );
            }
        }
        Records::DcLocator(d) => push(
            None,
            Fact::DcLocator {
                dc: d.dc.clone(),
                error: d
                    .statuses
                    .iter()
                    .find(|s| s.code != 0)
                    .map(|s| format!("{} {}", s.code, s.name.clone().unwrap_or_default())),
            },
            out,
        ),
        Records::Tickets(t) => push(
            None,
            Fact::TicketCache {
                servers: t
                    .tickets
                    .iter()
                    .filter_map(|k| k.server.as_ref().map(|p| p.text.clone()))
                    .collect(),
            },
            out,
        ),
        Records::Events(_) | Records::Smtp { .. } | Records::Queue(_) => {}
    }
}
