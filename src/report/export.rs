//! `exauth extract`: the parsed records and evidence as JSON lines, one
//! object per line with a `kind` (`event`, `smtp-session`, `smtp-auth`,
//! `clock-sample`, `queue-last-error`, `spn-listing`, …), the `server` and the
//! `origin` it came from. The same rows feed the CSV and Parquet tables.
//!
//! Order, byte-stable run to run: per artifact in sorted origin order its own
//! rows (written down by the pipeline while the artifact was read, see
//! [`SpooledRows`]), then the collection's rows ([`CollectionRows`]).

use super::Sink;
use crate::correlate::case::Case;
use crate::evidence::{Fact, TimeBasis};
pub use crate::ingest::Row;
use crate::ingest::RowEncoding;
use crate::model::ClockBasis;
use crate::pipeline::SpooledRows;
use serde_json::Value;
use std::io;

/// The rows that belong to the collection, not to one artifact, in a stable
/// order: the clock samples of paired sessions (per server pair), then the
/// rows of the case's evidence (queue LastErrors, w32tm measurements,
/// command outputs) with resolved times. They follow the artifacts' rows.
pub struct CollectionRows<'c> {
    paired: Vec<Row>,
    case: &'c Case,
}

impl<'c> CollectionRows<'c> {
    pub fn new(case: &'c Case) -> Self {
        CollectionRows {
            paired: paired_rows(case),
            case,
        }
    }

    /// Hands every row to `each`, in order, until `each` fails.
    pub fn each(&self, each: &mut dyn FnMut(&Row) -> io::Result<()>) -> io::Result<()> {
        for row in &self.paired {
            each(row)?;
        }
        for e in &self.case.evidence {
            if let Fact::SpnAccounts(listed) = &e.fact {
                for row in listed_account_rows(e, listed) {
                    each(&row)?;
                }
            } else if let Some(row) = evidence_row(e) {
                each(&row)?;
            }
        }
        Ok(())
    }

    /// How many rows [`CollectionRows::each`] gives.
    pub fn count(&self) -> u64 {
        self.paired.len() as u64
            + self
                .case
                .evidence
                .iter()
                .map(|e| match &e.fact {
                    Fact::SpnAccounts(listed) => listed.accounts.len() as u64,
                    _ => u64::from(evidence_row(e).is_some()),
                })
                .sum::<u64>()
    }
}

/// The clock sample rows of paired sessions (the case paired them), with the
/// remote's address from the identity map.
fn paired_rows(case: &Case) -> Vec<Row> {
    case.paired_clocks
        .iter()
        .map(|p| {
            let mut sample = p.sample.clone();
            sample.remote_ip = case
                .identities
                .get(&p.remote)
                .and_then(|id| id.ips.iter().next())
                .map(|ip| ip.to_string());
            let mut row = Row::new(
                "clock-sample",
                Some(&p.server),
                &format!("{}+{} protocol logs", p.server, p.remote),
                &sample,
            );
            row.fields
                .insert("sessions".into(), Value::from(p.sessions));
            row.fields
                .insert("spread_s".into(), Value::from(p.spread_s));
            row
        })
        .collect()
}

/// A row for each account `setspn -Q` listed with no SMTP SPN (kept by name):
/// the account, how many SPNs it lists, whether it is a computer account,
/// and the line of its DN as the origin.
fn listed_account_rows<'e>(
    e: &'e crate::evidence::Evidence,
    listed: &'e crate::evidence::ListedAccounts,
) -> impl Iterator<Item = Row> + 'e {
    listed.accounts.iter().map(move |a| {
        let mut row = Row::new(
            "spn-account",
            e.server.as_deref(),
            &crate::model::origin_at(&e.origin, a.line),
            a,
        );
        row.fields.remove("line");
        row
    })
}

/// The row of one piece of the case's evidence, for the kinds whose rows are
/// their facts.
fn evidence_row(e: &crate::evidence::Evidence) -> Option<Row> {
    let server = e.server.as_deref();
    Some(match &e.fact {
        Fact::QueueLastError { .. } => {
            let mut row = Row::new("queue-last-error", server, &e.origin, &e.fact);
            row.fields.remove("fact");
            // The last snapshot of a folded run: the snapshots it stands for.
            if e.represents > 1 {
                row.fields
                    .insert("represents".into(), Value::from(e.represents));
            }
            row.fields.insert(
                "last_retry".into(),
                e.time
                    .map(|t| Value::from(t.to_string()))
                    .unwrap_or(Value::Null),
            );
            row.fields.insert(
                "time_basis".into(),
                serde_json::to_value(e.time_basis).unwrap_or(Value::Null),
            );
            row
        }
        Fact::ClockSample {
            basis: ClockBasis::W32tm,
            ..
        } => {
            let mut row = Row::new("clock-measurement", server, &e.origin, &e.fact);
            row.fields.remove("fact");
            row.fields.insert(
                "time".into(),
                e.time
                    .map(|t| Value::from(t.to_string()))
                    .unwrap_or(Value::Null),
            );
            row
        }
        Fact::SpnListing { .. } => fact_row(e),
        Fact::SpnDuplicates { .. } => fact_row(e),
        Fact::ReplicationStatus { .. } => fact_row(e),
        Fact::ConnectorAuth(c) => Row::new("connector-auth", server, &e.origin, c),
        Fact::PortProbe { .. } => fact_row(e),
        Fact::DcLocator { .. } => fact_row(e),
        Fact::TicketCache { .. } => fact_row(e),
        Fact::TimeSyncStatus { .. } => fact_row(e),
        Fact::FailureSignature { .. } => fact_row(e),
        _ => return None,
    })
}

fn fact_row(e: &crate::evidence::Evidence) -> Row {
    let mut row = Row::new(e.fact.kind(), e.server.as_deref(), &e.origin, &e.fact);
    row.fields.remove("fact");
    // A fact that counts what its output repeated (a probe run in a loop):
    // the rows it stands for, as the evidence set says it.
    if e.represents > 1 {
        row.fields
            .insert("represents".into(), Value::from(e.represents));
    }
    if e.time_basis != TimeBasis::None {
        row.fields.insert(
            "time".into(),
            e.time
                .map(|t| Value::from(t.to_string()))
                .unwrap_or(Value::Null),
        );
    }
    row
}

/// `extract --format jsonl`, as a [`Sink`]: every artifact's rows (spooled
/// as JSON lines while it was read), artifact by artifact in sorted origin
/// order, then the collection's own rows.
pub struct Jsonl<'a> {
    pub artifacts: &'a SpooledRows,
    pub collection: &'a CollectionRows<'a>,
}

impl Sink for Jsonl<'_> {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        if self.artifacts.encoding != RowEncoding::JsonLine {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the rows were not spooled as JSON lines",
            ));
        }
        for artifact in &self.artifacts.artifacts {
            let mut rows = io::BufReader::with_capacity(64 << 10, self.artifacts.reader(artifact));
            io::copy(&mut rows, out)?;
        }
        let mut line = Vec::new();
        self.collection.each(&mut |row| {
            line.clear();
            RowEncoding::JsonLine.encode(row, &mut line);
            out.write_all(&line)
        })
    }
}
