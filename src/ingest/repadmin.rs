//! `repadmin /replsummary`, `/showrepl` and `/showrepl * /csv` output:
//! replication status per DC and link.

use super::diag::{CommandOutput, RepeatedFacts, Streamed};
use super::{Extracted, IngestOptions, Place, Records};
use crate::evidence::Fact;
use crate::evidence::IdentityHint;
use crate::model::Role;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::repadmin::{
    self, RepadminForm, ReplDelta, ReplSummaryRow, ReplSummaryTable, ReplicationStatus,
    ReplicationSummary,
};
use exauth_parsers::problem::{Location, Problem, Problems};
use exauth_parsers::reread::Reread;
use std::collections::BTreeSet;

/// The input of repadmin outputs (one line in `ingest::INPUTS`): parsed when
/// held whole, otherwise streamed ([`CommandOutput`]) — each row counted
/// as it is read (an output run again and again into one file grows with
/// every run): a `/replsummary` row, a `/showrepl` neighbour once its lines
/// are read, a `/csv` row.
pub static INPUT: CommandOutput<RepadminRecords> = CommandOutput {
    kinds: &[Kind::REPADMIN],
    source: Source::Repadmin,
    parse: |_, text, _| parse(text),
    stream: Some(stream),
};

/// A repadmin output read whole, in the shape its text says.
fn parse(text: &str) -> RepadminRecords {
    let (rows, problems) = match RepadminForm::of_text(text) {
        RepadminForm::Summary => {
            return RepadminRecords::Summary(repadmin::parse_replsummary(text))
        }
        RepadminForm::ShowreplCsv => repadmin::parse_showrepl_csv(text),
        RepadminForm::Showrepl => repadmin::parse_showrepl(text),
    };
    RepadminRecords::Status { rows, problems }
}

/// A repadmin output a line at a time, in the shape its text says.
fn stream(
    _: Kind,
    text: &mut dyn Reread,
    _: &IngestOptions,
    place: Place<'_>,
    facts: &mut Extracted,
) -> Streamed {
    let mut read = 0u64;
    let form = match RepadminForm::of(text) {
        Ok(form) => form,
        Err(e) => {
            return Streamed {
                read,
                problems: vec![Problem::new(
                    Location::File,
                    format!("cannot read the spooled text: {e}"),
                )]
                .into(),
            }
        }
    };
    if form != RepadminForm::Summary {
        let mut statuses = RepeatedFacts::default();
        let mut each = |status: ReplicationStatus| {
            read += 1;
            add_status(&mut statuses, &status, place, facts);
        };
        let problems = if form == RepadminForm::ShowreplCsv {
            repadmin::read_showrepl_csv(text, &mut each)
        } else {
            repadmin::read_showrepl(text, &mut each)
        };
        statuses.finish(place, facts);
        return Streamed { read, problems };
    }
    let mut rows = SummaryRows::default();
    let summary = repadmin::read_replsummary(text, &mut |row| {
        read += 1;
        rows.add(&row, place, facts);
    });
    rows.finish(place, facts);
    Streamed {
        read,
        problems: summary.problems,
    }
}

/// A day in seconds: a summary row's largest delta is told by the days it
/// spans, up to a day being the first (see [`SummaryRows::add`]).
const DAY_S: u64 = 86_400;

/// The rows of one `/replsummary` made facts: a row said again counted, each
/// DC hinted once. A DC that does not replicate shows a largest delta that
/// grows at every run (`2d.08h:54m:00s`, then `2d.08h:55m:00s`): the rows of
/// one DC, table, counts and error whose deltas span the same days (a day
/// or less; more than one up to two; …) are one fact, the first's, counting
/// them — a fact a run before.
#[derive(Default)]
struct SummaryRows {
    facts: RepeatedFacts,
    hinted: BTreeSet<String>,
}

impl SummaryRows {
    fn add(&mut self, row: &ReplSummaryRow, place: Place<'_>, out: &mut Extracted) {
        if !self.hinted.contains(&row.dsa) {
            self.hinted.insert(row.dsa.clone());
            out.hints.push(IdentityHint::Computer {
                name: row.dsa.clone(),
                role: Role::DomainController,
            });
        }
        let fact = summary_fact(row);
        let mut alike = fact.clone();
        if let Fact::ReplicationStatus {
            largest_delta_s: Some(delta),
            ..
        } = &mut alike
        {
            *delta = delta.saturating_sub(1) / DAY_S;
        }
        let key = serde_json::to_string(&alike).unwrap_or_default();
        self.facts.add_keyed(fact, key, Some(row.line), place, out);
    }

    fn finish(&mut self, place: Place<'_>, out: &mut Extracted) {
        self.facts.finish(place, out);
    }
}

/// A `/replsummary` row's fact.
fn summary_fact(row: &ReplSummaryRow) -> Fact {
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
    }
}

/// One repadmin output, in either of its shapes.
#[derive(Debug)]
pub enum RepadminRecords {
    Summary(ReplicationSummary),
    Status {
        rows: Vec<ReplicationStatus>,
        problems: Problems,
    },
}

impl Records for RepadminRecords {
    fn problems(&self) -> &Problems {
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
        match self {
            RepadminRecords::Summary(o) => {
                let mut rows = SummaryRows::default();
                for row in &o.rows {
                    rows.add(row, place, out);
                }
                rows.finish(place, out);
            }
            RepadminRecords::Status { rows, .. } => {
                let mut statuses = RepeatedFacts::default();
                for row in rows {
                    add_status(&mut statuses, row, place, out);
                }
                statuses.finish(place, out);
            }
        }
    }
}

/// Counts a `/showrepl` neighbour's (or a `/csv` row's) fact: a neighbour
/// said again in the same state is counted, its first kept. Its failures
/// are consecutive ones, which a loop over a failing link sees grow by one
/// at every run (`12 consecutive failure(s)`, then 13): one streak, one
/// fact, whatever its count (a fact a run, a 50 MB loop of one failing link
/// held 76,924 and peaked at 134 MB); failing or not, and its error, stay
/// apart.
fn add_status(
    statuses: &mut RepeatedFacts,
    row: &ReplicationStatus,
    place: Place<'_>,
    out: &mut Extracted,
) {
    let fact = status_fact(row);
    let mut alike = fact.clone();
    if let Fact::ReplicationStatus {
        failures: Some(n), ..
    } = &mut alike
    {
        *n = (*n).min(1);
    }
    let key = serde_json::to_string(&alike).unwrap_or_default();
    statuses.add_keyed(fact, key, Some(row.line), place, out);
}

/// A `/showrepl` neighbour's (or a `/csv` row's) fact.
fn status_fact(row: &ReplicationStatus) -> Fact {
    Fact::ReplicationStatus {
        dc: row.destination_dsa.clone().unwrap_or_default(),
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The evidence DC01's output `file` makes, with the hints it gives.
    fn evidence_of(
        records: &RepadminRecords,
        file: &str,
    ) -> (Vec<crate::evidence::Evidence>, Vec<IdentityHint>) {
        let origin = format!("DC01/{file}");
        let place = Place {
            origin: &origin,
            server: Some("DC01"),
        };
        let (parts, rest, hints) = crate::ingest::extract_in_parts(records, place);
        (parts.into_iter().flatten().chain(rest).collect(), hints)
    }

    /// A summary run again and again while DC01 does not replicate: its
    /// largest delta grows at every run, yet its rows are a fact a day of
    /// delta (a day or less, then more than one day, …), counting them; DC02's
    /// deltas of minutes are one fact.
    #[test]
    fn a_delta_that_grows_is_a_fact_a_day() {
        let delta = |s: u64| {
            let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
            if d > 0 {
                format!("{d}d.{h:02}h:{m:02}m:{sec:02}s")
            } else {
                format!("{h:02}h:{m:02}m:{sec:02}s")
            }
        };
        // DC01's delta from 23:58 to 3 days 00:02, a minute a run; DC02's a few minutes.
        let text: String = (0..2885u64)
            .map(|i| {
                format!(
                    "Source DSA          largest delta    fails/total %%   error\n DC01          {}    5 /   5  100  (8524) DNS lookup failure.\n DC02          {}    0 /   5    0\n\n",
                    delta(86_400 - 120 + i * 60),
                    delta(60 + i % 7 * 60),
                )
            })
            .collect();
        let records = RepadminRecords::Summary(repadmin::parse_replsummary(&text));
        let (evidence, _) = evidence_of(&records, "DC01_repadmin-replsummary.txt");
        let seen: Vec<_> = evidence
            .iter()
            .map(|e| match &e.fact {
                Fact::ReplicationStatus {
                    dc,
                    largest_delta_s,
                    ..
                } => (dc.clone(), *largest_delta_s, e.represents),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            seen,
            [
                // 23:58, 23:59 and 24:00 (a day, not more); then each day's 1,440 runs.
                ("DC01".to_string(), Some(86_400 - 120), 3),
                ("DC02".to_string(), Some(60), 2885),
                ("DC01".to_string(), Some(86_400 + 60), 1440),
                ("DC01".to_string(), Some(2 * 86_400 + 60), 1440),
                ("DC01".to_string(), Some(3 * 86_400 + 60), 2),
            ]
        );
    }

    /// `/showrepl` of one failing link run again and again: its consecutive
    /// failures grow by one at every run, yet a streak is one fact (the
    /// first's count and line) counting its runs; a run that replicates, and
    /// one that fails with another error, are facts of their own.
    #[test]
    fn a_failing_neighbour_whose_count_grows_is_one_fact() {
        let run = |failures: u32, error: &str| {
            let result = if failures == 0 {
                "was successful.\n".to_string()
            } else {
                format!("failed, result {error}:\n            The DSA operation failed.\n        {failures} consecutive failure(s).\n")
            };
            format!("Default-First-Site-Name\\DC01\n==== INBOUND NEIGHBORS ====\n\nDC=contoso,DC=com\n    Default-First-Site-Name\\DC02 via RPC\n        Last attempt @ 2026-11-26 07:33:38 {result}")
        };
        let mut text: String = (1..=300).map(|n| run(n, "8524 (0x214c)")).collect();
        text.push_str(&run(0, ""));
        text.extend((1..=5).map(|n| run(n, "8524 (0x214c)")));
        text.extend((6..=7).map(|n| run(n, "1722 (0x6ba)")));
        let (rows, problems) = repadmin::parse_showrepl(&text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 308);
        let records = RepadminRecords::Status { rows, problems };
        let (evidence, _) = evidence_of(&records, "DC01_repadmin-showrepl.txt");
        let seen: Vec<_> = evidence
            .iter()
            .map(|e| match &e.fact {
                Fact::ReplicationStatus {
                    failures, error, ..
                } => (
                    e.origin.rsplit(':').next().unwrap_or_default().to_string(),
                    *failures,
                    error
                        .as_deref()
                        .map(|t| t.get(..6).unwrap_or(t).to_string()),
                    e.represents,
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        // A failing run is 8 lines, one that replicates 6; the neighbour is a run's 5th.
        assert_eq!(
            seen,
            [
                ("5".to_string(), Some(1), Some("(8524)".to_string()), 305),
                ((300 * 8 + 5).to_string(), Some(0), None, 1),
                (
                    (300 * 8 + 6 + 5 * 8 + 5).to_string(),
                    Some(6),
                    Some("(1722)".to_string()),
                    2
                ),
            ]
        );
    }

    /// A summary run 500 times into one file: a fact per distinct row at the
    /// line of its first, counting the runs; each DC hinted once.
    #[test]
    fn a_summary_run_again_and_again_is_counted_and_hinted_once() {
        let once = "Replication Summary Start Time: 2026-11-26 08:54:00\n\nSource DSA          largest delta    fails/total %%   error\n DC01               2d.08h:54m:00s    5 /   5  100  (8524) The DSA operation is unable to proceed because of a DNS lookup failure.\n DC02                      14m:05s    0 /   5    0\n\nDestination DSA     largest delta    fails/total %%   error\n DC01                      14m:05s    0 /   5    0\n DC02               2d.08h:54m:00s    5 /   5  100  (8524) The DSA operation is unable to proceed because of a DNS lookup failure.\n";
        let records = RepadminRecords::Summary(repadmin::parse_replsummary(&once.repeat(500)));
        let (all, hints) = evidence_of(&records, "DC01_repadmin-replsummary.txt");
        let seen: Vec<_> = all
            .iter()
            .map(|e| match &e.fact {
                Fact::ReplicationStatus {
                    dc,
                    direction,
                    failures,
                    ..
                } => (
                    e.origin.rsplit(':').next().unwrap_or_default().to_string(),
                    dc.as_str(),
                    direction.as_deref(),
                    *failures,
                    e.represents,
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("4".to_string(), "DC01", Some("source"), Some(5), 500),
                ("5".to_string(), "DC02", Some("source"), Some(0), 500),
                ("8".to_string(), "DC01", Some("destination"), Some(0), 500),
                ("9".to_string(), "DC02", Some("destination"), Some(5), 500),
            ]
        );
        assert_eq!(hints.len(), 2, "{hints:?}");
    }
}
