//! `exauth extract`: the parsed records and evidence as JSON lines, one
//! object per line with a `kind` (`event`, `smtp-session`, `smtp-auth`,
//! `clock-sample`, `queue-last-error`, `spn-listing`, …), the `server` and the
//! `origin` it came from. The same rows feed the CSV and Parquet tables.

use crate::correlate::case::Case;
use crate::evidence::{Fact, TimeBasis};
use crate::ingest::Place;
pub use crate::ingest::Row;
use crate::model::ClockBasis;
use crate::pipeline::ArtifactRecords;
use exauth_parsers::smtp_log::{pair_sessions, PairingOptions, SessionSummary};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every row of the collection, in a stable order: per artifact (sorted by
/// origin) its records, then the collection-wide rows (paired-session clock
/// samples, queue and diagnostic evidence with resolved times).
pub fn rows(
    records: &[ArtifactRecords],
    case: &Case,
    sessions: &BTreeMap<String, Vec<SessionSummary>>,
) -> Vec<Row> {
    let mut out = Vec::new();
    for artifact in records {
        let origin = artifact.origin.to_string();
        artifact.records.rows(
            Place {
                origin: &origin,
                server: artifact.server.as_deref(),
            },
            &mut out,
        );
    }
    // Paired sessions: the same connection in two servers' logs.
    let servers: Vec<&String> = sessions.keys().collect();
    for (i, a) in servers.iter().enumerate() {
        for b in &servers[i + 1..] {
            if let Some(paired) =
                pair_sessions(&sessions[*a], &sessions[*b], &PairingOptions::default())
            {
                if let Some(mut sample) = paired.clock_sample(Some((*b).clone())) {
                    sample.remote_ip = case
                        .identities
                        .get(b)
                        .and_then(|id| id.ips.iter().next())
                        .map(|ip| ip.to_string());
                    let mut row = Row::new(
                        "clock-sample",
                        Some(a),
                        &format!("{a}+{b} protocol logs"),
                        &sample,
                    );
                    row.fields
                        .insert("sessions".into(), Value::from(paired.sessions as u64));
                    row.fields
                        .insert("spread_s".into(), Value::from(paired.spread_s));
                    out.push(row);
                }
            }
        }
    }
    for (i, e) in case.items() {
        let server = e.server.as_deref();
        let row = match &e.fact {
            Fact::QueueLastError { .. } => {
                let mut row = Row::new("queue-last-error", server, &e.origin, &e.fact);
                row.fields.remove("fact");
                row.fields.insert(
                    "last_retry".into(),
                    case.item(i)
                        .time
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
            _ => continue,
        };
        out.push(row);
    }
    out
}

fn fact_row(e: &crate::evidence::Evidence) -> Row {
    let mut row = Row::new(e.fact.kind(), e.server.as_deref(), &e.origin, &e.fact);
    row.fields.remove("fact");
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

/// All rows as JSON lines.
pub fn jsonl(rows: &[Row]) -> String {
    let mut out = String::new();
    for row in rows {
        out.push_str(&row.to_json());
        out.push('\n');
    }
    out
}
