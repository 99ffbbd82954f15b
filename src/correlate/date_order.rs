//! Day/month order of local times a file could not settle by itself.
//!
//! Culture-formatted local times (queue exports, w32tm, klist) are read with
//! one day/month order per file, decided from the file's own values
//! (`exauth_parsers::queue::DateOrderInference`). When every day in a file is
//! 12 or less, the file cannot tell `9/07/2024` (9 July, en-AU) from 7
//! September (en-US), nor `24/7/9` (a `yy/M/d` short date: 9 July 2024) from
//! 24 July 2009; the parser then guesses and keeps the other reading.
//! Here the collection decides: the reading that puts the file's times
//! nearest the native-UTC evidence (protocol logs, `.evtx`) of the same
//! server — or of the whole collection when that server has none — wins. A
//! culture the user named (`--locale`) settles the order in the parser, so it
//! always wins. Each such file gets a [`DateOrderNote`] saying what was chosen
//! and why.

use crate::evidence::{Evidence, TimeBasis};
use exauth_parsers::queue::{DateOrder, ExportedTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Why a file's day/month order was chosen as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOrderReason {
    /// Nearest the UTC logs and events of the file's own server.
    ServerUtcEvidence,
    /// Nearest the UTC logs and events of the collection (the file's server
    /// has none, or is unknown).
    CollectionUtcEvidence,
    /// Both readings lie as near the UTC evidence: the file's guess stays.
    UtcEvidenceUndecided,
    /// No UTC evidence to compare with: the file's guess stays.
    NoUtcEvidence,
}

/// One file whose day/month order its own dates could not settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateOrderNote {
    /// The file (its origin).
    pub file: String,
    pub server: Option<String>,
    /// `day-first`, `month-first` or `year-first`.
    pub order: String,
    pub reason: DateOrderReason,
    /// Its first time as read, and as the other order would have read it
    /// (local wall clock, ISO 8601).
    pub example: String,
    pub instead_of: String,
    /// How many of its values were ambiguous.
    pub values: usize,
}

fn order_name(order: DateOrder) -> &'static str {
    match order {
        DateOrder::MonthDayYear => "month-first",
        DateOrder::DayMonthYear => "day-first",
        DateOrder::YearMonthDay => "year-first",
    }
}

/// The artifact an evidence origin points into (`a.txt:12`, `a.xml#object 3`
/// → the file).
fn artifact_of(origin: &str) -> &str {
    let file = origin.split('#').next().unwrap_or(origin);
    match file.rsplit_once(':') {
        Some((head, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => file,
    }
}

/// Sorted UTC instants of one server's (or the collection's) native-UTC
/// evidence.
#[derive(Default)]
struct Reference {
    times: Vec<Timestamp>,
}

impl Reference {
    /// Seconds from `t` to the nearest reference instant.
    fn distance(&self, t: Timestamp) -> Option<i64> {
        let i = self.times.partition_point(|r| *r < t);
        let after = self
            .times
            .get(i)
            .map(|r| (r.as_second() - t.as_second()).abs());
        let before = i
            .checked_sub(1)
            .and_then(|j| self.times.get(j))
            .map(|r| (t.as_second() - r.as_second()).abs());
        match (before, after) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Total distance of `values` (each with its server's zone and the
    /// records it stands for, read with `read`) to the reference.
    fn cost(
        &self,
        values: &[(ExportedTime, TimeZone, u64)],
        read: impl Fn(&ExportedTime) -> Option<ExportedTime>,
    ) -> Option<i128> {
        let mut total: i128 = 0;
        for (v, zone, represents) in values {
            let t = read(v)?.to_timestamp(zone)?;
            total += i128::from(self.distance(t)?) * i128::from(*represents);
        }
        Some(total)
    }
}

/// Decides the order of every file with open values in `evidence` (values
/// still in `local_time`, with their server's `zones`), switching a file's
/// values to their other reading where the collection says so. The order
/// is the file's (one console rendered it), even when its rows name
/// several servers (a Get-Queue run across servers).
pub fn choose(evidence: &mut [Evidence], zones: &BTreeMap<String, TimeZone>) -> Vec<DateOrderNote> {
    let mut files: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in evidence.iter().enumerate() {
        if e.local_time.is_some_and(|t| t.open_order.is_some()) {
            files
                .entry(artifact_of(&e.origin).to_string())
                .or_default()
                .push(i);
        }
    }
    if files.is_empty() {
        return Vec::new();
    }
    let mut by_server: BTreeMap<String, Vec<Timestamp>> = BTreeMap::new();
    let mut collection = Reference::default();
    for e in evidence.iter() {
        let (Some(t), TimeBasis::NativeUtc, None) = (e.time, e.time_basis, e.local_time) else {
            continue;
        };
        if let Some(server) = &e.server {
            by_server.entry(server.clone()).or_default().push(t);
        }
        collection.times.push(t);
    }
    collection.times.sort();

    let mut notes = Vec::new();
    for (file, indices) in files {
        let mut servers: BTreeSet<String> = BTreeSet::new();
        // Each value weighs the records it stands for (`evidence::aggregate`).
        let mut values: Vec<(ExportedTime, TimeZone, u64)> = Vec::new();
        for e in indices.iter().filter_map(|&i| evidence.get(i)) {
            let Some(local) = e.local_time else { continue };
            let zone = e.server.as_deref().and_then(|s| zones.get(s));
            values.push((
                local,
                zone.cloned().unwrap_or(TimeZone::UTC),
                e.represents.max(1),
            ));
            servers.extend(e.server.clone());
        }
        let Some(first) = values.first().map(|(v, _, _)| *v) else {
            continue;
        };
        // The UTC evidence of the file's own server(s), else the collection's.
        let mut own = Reference::default();
        for server in &servers {
            own.times
                .extend(by_server.get(server).into_iter().flatten().copied());
        }
        own.times.sort();
        let (reference, reason) = if own.times.is_empty() {
            (&collection, DateOrderReason::CollectionUtcEvidence)
        } else {
            (&own, DateOrderReason::ServerUtcEvidence)
        };
        let as_read = reference.cost(&values, |v| Some(*v));
        let other = reference.cost(&values, ExportedTime::other_reading);
        let (switch, reason) = match (as_read, other) {
            (Some(a), Some(b)) if b < a => (true, reason),
            (Some(a), Some(b)) if a < b => (false, reason),
            (Some(_), Some(_)) => (false, DateOrderReason::UtcEvidenceUndecided),
            _ => (false, DateOrderReason::NoUtcEvidence),
        };
        let other_reading = first.other_reading().unwrap_or(first);
        let (chosen, instead) = if switch {
            (other_reading, first)
        } else {
            (first, other_reading)
        };
        if switch {
            for &i in &indices {
                if let Some(e) = evidence.get_mut(i) {
                    e.local_time = e.local_time.map(|t| t.other_reading().unwrap_or(t));
                }
            }
        }
        notes.push(DateOrderNote {
            file,
            server: (servers.len() == 1)
                .then(|| servers.into_iter().next())
                .flatten(),
            order: chosen
                .open_order
                .map(|o| order_name(o.read_as))
                .unwrap_or("month-first")
                .to_string(),
            reason,
            example: chosen.local.to_string(),
            instead_of: instead.local.to_string(),
            values: values.iter().map(|(_, _, n)| *n as usize).sum(),
        });
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Fact;
    use exauth_parsers::queue::local_time::DateOrderInference;
    use exauth_parsers::queue::DateOrderOption;

    fn utc(server: &str, time: &str) -> Evidence {
        Evidence {
            server: Some(server.into()),
            time: time.parse().ok(),
            time_basis: TimeBasis::NativeUtc,
            origin: format!("{server}/SEND20240709-1.LOG:1"),
            fact: Fact::TimeZone {
                bias_minutes: None,
                name: String::new(),
            },
            local_time: None,
            corrected: None,
            represents: 1,
        }
    }

    fn local(server: Option<&str>, file: &str, line: u32, text: &str) -> Evidence {
        let mut inference = DateOrderInference::new();
        inference.observe(text);
        let choice = inference.decide(DateOrderOption::Infer);
        Evidence {
            server: server.map(str::to_string),
            time: None,
            time_basis: TimeBasis::ServerLocal,
            origin: format!("{file}:{line}"),
            fact: Fact::TimeZone {
                bias_minutes: None,
                name: String::new(),
            },
            local_time: choice.read(text),
            corrected: None,
            represents: 1,
        }
    }

    #[test]
    fn en_au_dates_follow_the_servers_utc_evidence() {
        let mut evidence = vec![
            utc("EX01", "2024-07-09T04:00:00Z"),
            utc("EX01", "2024-07-09T05:10:00Z"),
            local(Some("EX01"), "EX01/q.txt", 3, "9/07/2024 2:55:34 pm"),
            local(Some("EX01"), "EX01/q.txt", 9, "9/07/2024 3:05:34 pm"),
        ];
        let notes = choose(&mut evidence, &BTreeMap::new());
        let got = evidence[2].local_time.map(|t| t.local.to_string());
        assert_eq!(got.as_deref(), Some("2024-07-09T14:55:34"));
        let got = evidence[3].local_time.map(|t| t.local.to_string());
        assert_eq!(got.as_deref(), Some("2024-07-09T15:05:34"));
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].order, "day-first");
        assert_eq!(notes[0].reason, DateOrderReason::ServerUtcEvidence);
        assert_eq!(notes[0].instead_of, "2024-09-07T14:55:34");
        assert_eq!(notes[0].values, 2);
    }

    #[test]
    fn the_collection_decides_for_an_unknown_server_and_a_guess_stays_without_evidence() {
        let mut evidence = vec![
            utc("EX02", "2024-09-07T06:00:00Z"),
            local(None, "flat/q.txt", 3, "7/9/2024 14:55:34"),
        ];
        let notes = choose(&mut evidence, &BTreeMap::new());
        // `/` without AM/PM: no hint, month first assumed — 9 July; the
        // collection is in September.
        let got = evidence[1].local_time.map(|t| t.local.to_string());
        assert_eq!(got.as_deref(), Some("2024-09-07T14:55:34"));
        assert_eq!(notes[0].reason, DateOrderReason::CollectionUtcEvidence);
        assert_eq!(notes[0].order, "day-first");

        let mut alone = vec![local(None, "flat/q.txt", 3, "7/9/2024 14:55:34")];
        let notes = choose(&mut alone, &BTreeMap::new());
        let got = alone[0].local_time.map(|t| t.local.to_string());
        assert_eq!(got.as_deref(), Some("2024-07-09T14:55:34"));
        assert_eq!(notes[0].reason, DateOrderReason::NoUtcEvidence);
        assert_eq!(notes[0].order, "month-first");
    }

    #[test]
    fn a_two_digit_year_first_follows_the_collection() {
        let mut evidence = vec![
            utc("EX01", "2024-07-09T06:40:00Z"),
            local(Some("EX01"), "EX01/w32tm.txt", 3, "24/7/9 14:55:34"),
        ];
        let zones = BTreeMap::from([(
            "EX01".to_string(),
            TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC),
        )]);
        let notes = choose(&mut evidence, &zones);
        let got = evidence[1].local_time.map(|t| t.local.to_string());
        assert_eq!(got.as_deref(), Some("2024-07-09T14:55:34"));
        assert_eq!(notes[0].order, "year-first");
        assert_eq!(notes[0].instead_of, "2009-07-24T14:55:34");
    }

    #[test]
    fn one_file_one_order_whatever_servers_its_rows_name() {
        let mut evidence = vec![
            utc("EX01", "2024-07-09T04:00:00Z"),
            local(Some("EX01"), "all/q.txt", 3, "9/07/2024 2:55:34 pm"),
            local(Some("EX02"), "all/q.txt", 9, "10/07/2024 3:05:34 pm"),
        ];
        let notes = choose(&mut evidence, &BTreeMap::new());
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].server, None);
        let got: Vec<String> = evidence[1..]
            .iter()
            .filter_map(|e| e.local_time.map(|t| t.local.date().to_string()))
            .collect();
        assert_eq!(got, vec!["2024-07-09", "2024-07-10"]);
    }

    /// A value that stands for the records an aggregate counted
    /// (`evidence::aggregate`) weighs them all: ten records nearest the UTC
    /// evidence one way outweigh one nearest it the other way (alike, the
    /// two readings would tie), and the note counts eleven values.
    #[test]
    fn a_value_weighs_the_records_it_stands_for() {
        let mut many = local(Some("EX01"), "EX01/q.txt", 3, "9/07/2024 4:00:00 am");
        many.represents = 10;
        let mut evidence = vec![
            utc("EX01", "2024-07-09T04:00:00Z"),
            utc("EX01", "2024-09-07T06:00:00Z"),
            many,
            local(Some("EX01"), "EX01/q.txt", 9, "9/07/2024 6:00:00 am"),
        ];
        let notes = choose(&mut evidence, &BTreeMap::new());
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].order, "day-first");
        assert_eq!(notes[0].reason, DateOrderReason::ServerUtcEvidence);
        assert_eq!(notes[0].values, 11);
        let got = evidence[2].local_time.map(|t| t.local.to_string());
        assert_eq!(got.as_deref(), Some("2024-07-09T04:00:00"));
    }

    #[test]
    fn origins_point_to_their_file() {
        assert_eq!(artifact_of("a/b.txt:12"), "a/b.txt");
        assert_eq!(artifact_of("a/b.xml#object 3"), "a/b.xml");
        assert_eq!(artifact_of("C:\\x\\b.txt"), "C:\\x\\b.txt");
        assert_eq!(artifact_of("b.txt"), "b.txt");
    }
}
