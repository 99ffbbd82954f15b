//! `repadmin /replsummary`, `/showrepl` and `/showrepl * /csv` output:
//! replication status per DC and link.

use super::diag::CommandOutput;
use super::{untimed, Extracted, Place, Records};
use crate::evidence::Fact;
use crate::evidence::IdentityHint;
use crate::model::Role;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::repadmin::{
    self, ReplDelta, ReplSummaryTable, ReplicationStatus, ReplicationSummary,
};
use exauth_parsers::problem::Problem;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<RepadminRecords> = CommandOutput {
    kinds: &[Kind::REPADMIN],
    source: Source::Repadmin,
    parse: |_, text, _| {
        if repadmin::looks_like_replsummary(text) {
            RepadminRecords::Summary(repadmin::parse_replsummary(text))
        } else {
            let (rows, problems) = if repadmin::looks_like_showrepl_csv(text) {
                repadmin::parse_showrepl_csv(text)
            } else {
                repadmin::parse_showrepl(text)
            };
            RepadminRecords::Status { rows, problems }
        }
    },
};

/// One repadmin output, in either of its shapes.
#[derive(Debug)]
pub enum RepadminRecords {
    Summary(ReplicationSummary),
    Status {
        rows: Vec<ReplicationStatus>,
        problems: Vec<Problem>,
    },
}

impl Records for RepadminRecords {
    fn problems(&self) -> &[Problem] {
        match self {
            RepadminRecords::Summary(o) => &o.problems,
            RepadminRecords::Status { problems, .. } => problems,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            RepadminRecords::Summary(o) => o.rows.is_empty(),
            RepadminRecords::Status { rows, .. } => rows.is_empty(),
        }
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let push = |line: Option<u64>, fact: Fact, out: &mut Extracted| {
            out.evidence.push(untimed(place, line, fact))
        };
        let _ = &push;
        match self {
            RepadminRecords::Summary(o) => {
                for row in &o.rows {
                    out.hints.push(IdentityHint::Computer {
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
            RepadminRecords::Status { rows, .. } => {
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
        }
    }
}
