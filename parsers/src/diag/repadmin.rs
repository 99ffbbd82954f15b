//! `repadmin /replsummary`, `repadmin /showrepl` and `repadmin /showrepl * /csv`.
//!
//! Broken AD replication (a stale computer password, a missing SPN on a DC)
//! is one way Kerberos between Exchange servers fails. The summary tables
//! give per-DC largest delta (`15m:30s`, `04h:02m:16s`, `3d.04h:02m:16s`,
//! `>60 days`, `(unknown)`), fails/total and the last error `(code) text`;
//! /showrepl gives per-neighbor status. Parsing keys on structure (table
//! rows `name delta n / m pct [(code) text]`, indentation levels, `@ time`,
//! `result N (0x…)`), so localized labels do no harm. repadmin prints ISO-like
//! local times of the DC it ran on.

use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem};
use crate::queue::local_time::{parse_local_datetime, DateOrder, ExportedTime};
use crate::reread::{each_line, Reread};
use nom::bytes::complete::take_while1;
use nom::character::complete::{char as ch, digit1, space0};
use nom::combinator::{map_res, opt};
use nom::sequence::delimited;
use nom::{IResult, Parser};
use serde::Serialize;
use std::ops::ControlFlow;

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[Kind::REPADMIN],
    describes: "repadmin /replsummary, /showrepl, /showrepl * /csv",
    detect: |head| {
        Format::command_output(Kind::REPADMIN, head, |t| {
            looks_like_showrepl_csv(t) || looks_like_replsummary(t) || looks_like_showrepl(t)
        })
    },
    name_prefix: Some("repadmin"),
};

/// Largest replication delta of a DC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ReplDelta {
    /// Elapsed seconds since the last successful replication.
    Seconds(u64),
    /// `>60 days`.
    MoreThanDays(u32),
    /// `(unknown)`: no successful replication ever.
    Unknown,
}

impl ReplDelta {
    /// Parses `15m:30s`, `04h:02m:16s`, `3d.04h:02m:16s`, `>60 days`, `(unknown)`.
    pub fn parse(text: &str) -> Option<ReplDelta> {
        let t = text.trim();
        if t.starts_with('(') {
            return Some(ReplDelta::Unknown);
        }
        if let Some(rest) = t.strip_prefix('>') {
            return super::leading_int(rest)
                .and_then(|d| u32::try_from(d).ok())
                .map(ReplDelta::MoreThanDays);
        }
        let mut total = 0u64;
        let mut any = false;
        for part in t.split([':', '.']).filter(|p| !p.is_empty()) {
            let unit = part.chars().last()?;
            let n: u64 = part.get(..part.len() - unit.len_utf8())?.parse().ok()?;
            let mult = match unit {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => return None,
            };
            total = total.checked_add(n.checked_mul(mult)?)?;
            any = true;
        }
        any.then_some(ReplDelta::Seconds(total))
    }
}

/// Which table of /replsummary a row is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplSummaryTable {
    Source,
    Destination,
}

/// One row of a /replsummary table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplSummaryRow {
    pub line: u64,
    pub table: ReplSummaryTable,
    pub dsa: String,
    pub largest_delta: Option<ReplDelta>,
    pub largest_delta_text: String,
    pub fails: u32,
    pub total: u32,
    pub percent: Option<u32>,
    pub error_code: Option<i64>,
    pub error_text: Option<String>,
}

/// `repadmin /replsummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicationSummary {
    pub start_time: Option<ExportedTime>,
    pub rows: Vec<ReplSummaryRow>,
    /// `Experienced the following operational errors …`: (code, DC).
    pub operational_errors: Vec<(i64, String)>,
    pub problems: Vec<Problem>,
}

/// One inbound (or outbound) neighbor of /showrepl, or one /csv row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicationStatus {
    pub line: u64,
    pub destination_site: Option<String>,
    pub destination_dsa: Option<String>,
    pub naming_context: Option<String>,
    pub source_site: Option<String>,
    pub source_dsa: Option<String>,
    /// `RPC`, `SMTP`.
    pub transport: Option<String>,
    /// False for an OUTBOUND NEIGHBORS section.
    pub inbound: bool,
    pub last_attempt: Option<ExportedTime>,
    pub last_attempt_succeeded: Option<bool>,
    /// Win32 result of the last attempt (`8418`, `-2146893022`).
    pub result_code: Option<i64>,
    pub result_text: Option<String>,
    pub consecutive_failures: Option<u32>,
    pub last_success: Option<ExportedTime>,
    /// /csv `Last Failure Time`.
    pub last_failure: Option<ExportedTime>,
}

impl ReplicationStatus {
    fn new(line: u64) -> Self {
        ReplicationStatus {
            line,
            destination_site: None,
            destination_dsa: None,
            naming_context: None,
            source_site: None,
            source_dsa: None,
            transport: None,
            inbound: true,
            last_attempt: None,
            last_attempt_succeeded: None,
            result_code: None,
            result_text: None,
            consecutive_failures: None,
            last_success: None,
            last_failure: None,
        }
    }
}

/// Cheap check for /replsummary.
pub fn looks_like_replsummary(text_head: &str) -> bool {
    text_head.contains(SUMMARY_START)
        || (text_head.contains(SUMMARY_DELTA) && text_head.contains(SUMMARY_FAILS))
}

/// What tells a `/replsummary`: its first line's words, or its tables' headers' two
/// (each a phrase of one line, so found by line as in the whole text).
const SUMMARY_START: &str = "Replication Summary Start Time";
const SUMMARY_DELTA: &str = "largest delta";
const SUMMARY_FAILS: &str = "fails/total";

/// Cheap check for /showrepl text.
pub fn looks_like_showrepl(text_head: &str) -> bool {
    text_head.contains("==== INBOUND NEIGHBORS") || text_head.contains("DSA invocationID:")
}

/// Cheap check for /showrepl /csv.
pub fn looks_like_showrepl_csv(text_head: &str) -> bool {
    text_head.contains("showrepl_COLUMNS,") || text_head.contains("showrepl_INFO,")
}

fn uint(i: &str) -> IResult<&str, u32> {
    map_res(digit1, str::parse::<u32>).parse(i)
}

/// `(8524) The DSA operation …` → code, text.
fn error_part(i: &str) -> IResult<&str, i64> {
    delimited(
        ch('('),
        map_res(
            take_while1(|c: char| c == '-' || c.is_ascii_digit()),
            str::parse::<i64>,
        ),
        ch(')'),
    )
    .parse(i)
}

/// ` N /  M   pct  [(code) text]` after the delta.
fn counts(i: &str) -> IResult<&str, (u32, u32, Option<u32>)> {
    let (i, _) = space0(i)?;
    let (i, fails) = uint(i)?;
    let (i, _) = (space0, ch('/'), space0).parse(i)?;
    let (i, total) = uint(i)?;
    let (i, _) = space0(i)?;
    let (i, pct) = opt(uint).parse(i)?;
    Ok((i, (fails, total, pct)))
}

fn summary_row(line: &str, n: u64, table: ReplSummaryTable) -> Option<ReplSummaryRow> {
    let t = line.trim();
    let (dsa, rest) = t.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let (delta, rest) = if rest.starts_with('>') {
        // `>60 days`: two tokens
        let mut it = rest.splitn(3, char::is_whitespace);
        let a = it.next()?;
        let b = it.next()?;
        (format!("{a} {b}"), it.next().unwrap_or(""))
    } else {
        let (a, r) = rest.split_once(char::is_whitespace)?;
        (a.to_string(), r)
    };
    let (rest, (fails, total, pct)) = counts(rest).ok()?;
    let rest = rest.trim();
    let (code, text) = match error_part(rest) {
        Ok((r, c)) => (
            Some(c),
            Some(r.trim().to_string()).filter(|s| !s.is_empty()),
        ),
        Err(_) => (None, None),
    };
    Some(ReplSummaryRow {
        line: n,
        table,
        dsa: dsa.to_string(),
        largest_delta: ReplDelta::parse(&delta),
        largest_delta_text: delta,
        fails,
        total,
        percent: pct,
        error_code: code,
        error_text: text,
    })
}

fn local_time(text: &str) -> Option<ExportedTime> {
    super::find_datetime(text).and_then(|t| parse_local_datetime(t, DateOrder::MonthDayYear))
}

/// Parses `repadmin /replsummary`.
pub fn parse_replsummary(text: &str) -> ReplicationSummary {
    let mut rows = Vec::new();
    let mut out = read_replsummary(&mut text.as_bytes(), &mut |row| rows.push(row));
    out.rows = rows;
    out
}

/// Whether a text is a `/replsummary`, as [`looks_like_replsummary`] says of
/// the whole text, found a line at a time (both marks are phrases of one
/// line).
pub fn is_replsummary(text: &mut dyn Reread) -> std::io::Result<bool> {
    let (mut start_time, mut delta, mut fails) = (false, false, false);
    let mut t = text.read_from_start()?;
    each_line(&mut *t, &mut |_, line| {
        start_time |= line.contains(SUMMARY_START);
        delta |= line.contains(SUMMARY_DELTA);
        fails |= line.contains(SUMMARY_FAILS);
        if start_time || (delta && fails) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(start_time || (delta && fails))
}

/// Reads `repadmin /replsummary` a line at a time as [`parse_replsummary`]
/// does, handing each row to `each` as it is read instead of keeping it: a
/// summary run again and again into one file grows with every run. The
/// summary that comes back holds the rest (its start time, the operational
/// errors, the problems), its rows empty.
pub fn read_replsummary(
    text: &mut dyn Reread,
    each: &mut dyn FnMut(ReplSummaryRow),
) -> ReplicationSummary {
    let mut lines = SummaryLines {
        out: ReplicationSummary {
            start_time: None,
            rows: Vec::new(),
            operational_errors: Vec::new(),
            problems: Vec::new(),
        },
        table: None,
        tables_seen: 0,
        rows_read: 0,
    };
    let read = text.read_from_start().and_then(|mut t| {
        each_line(&mut *t, &mut |n, raw| {
            lines.line(n, raw, each);
            ControlFlow::Continue(())
        })
    });
    if let Err(e) = read {
        lines.out.problems.push(Problem::new(
            Location::File,
            format!("cannot read the text: {e}"),
        ));
    }
    lines.out
}

/// What the lines of a `/replsummary` read so far say about the ones to come.
struct SummaryLines {
    out: ReplicationSummary,
    table: Option<ReplSummaryTable>,
    tables_seen: u32,
    rows_read: u64,
}

impl SummaryLines {
    fn line(&mut self, n: u64, raw: &str, each: &mut dyn FnMut(ReplSummaryRow)) {
        let line = raw.trim_end().trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            return;
        }
        if !line.starts_with(char::is_whitespace) {
            if line.contains("%%") || line.contains(SUMMARY_FAILS) {
                self.tables_seen = self.tables_seen.saturating_add(1);
                // Source, then destination; by their order when the words
                // are not these (a localized repadmin): a summary run again
                // into the same file starts with its source table again.
                self.table = Some(if line.starts_with("Source") {
                    ReplSummaryTable::Source
                } else if line.starts_with("Destination") || self.tables_seen % 2 == 0 {
                    ReplSummaryTable::Destination
                } else {
                    ReplSummaryTable::Source
                });
            } else if self.out.start_time.is_none() && self.rows_read == 0 {
                self.out.start_time = local_time(line);
                self.table = None;
            } else {
                self.table = None;
            }
            return;
        }
        if let Some(tab) = self.table {
            match summary_row(line, n, tab) {
                Some(row) => {
                    self.rows_read += 1;
                    each(row);
                }
                None => self.out.problems.push(Problem::new(
                    Location::Line(n),
                    "row does not match `DSA delta fails / total % [(code) text]`",
                )),
            }
        } else if let Some((code, dc)) = line.trim().split_once(" - ") {
            if let Ok(c) = code.trim().parse() {
                self.out.operational_errors.push((c, dc.trim().to_string()));
            }
        }
    }
}

/// `Site\DSA` → (site, dsa).
fn site_dsa(s: &str) -> (Option<String>, Option<String>) {
    match s.split_once('\\') {
        Some((site, dsa)) => (Some(site.to_string()), Some(dsa.to_string())),
        None => (None, Some(s.to_string())),
    }
}

/// `… result 8418 (0x20e2):` → 8418.
fn result_code(line: &str) -> Option<i64> {
    let at = line.find("(0x")?;
    let before = line.get(..at)?.trim_end();
    let tok = before.rsplit(char::is_whitespace).next()?;
    tok.parse().ok()
}

/// Parses `repadmin /showrepl` text.
pub fn parse_showrepl(text: &str) -> (Vec<ReplicationStatus>, Vec<Problem>) {
    let mut out: Vec<ReplicationStatus> = Vec::new();
    let problems = Vec::new();
    let (mut dest_site, mut dest_dsa) = (None, None);
    let mut nc: Option<String> = None;
    let mut in_neighbors = false;
    let mut inbound = true;
    let mut current: Option<ReplicationStatus> = None;
    let mut ats = 0;
    let mut expect_result_text = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let line = raw.trim_end().trim_start_matches('\u{feff}');
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let indent = super::indent_of(line);
        if t.starts_with("====") {
            out.extend(current.take());
            let upper = t.to_ascii_uppercase();
            in_neighbors = upper.contains("NEIGHBORS");
            inbound = !upper.contains("OUTBOUND");
            nc = None;
            continue;
        }
        if indent == 0 {
            out.extend(current.take());
            if in_neighbors && t.contains('=') && !t.contains(':') {
                nc = Some(t.to_string());
            } else if !in_neighbors && t.contains('\\') && !t.contains(':') {
                (dest_site, dest_dsa) = site_dsa(t.split_whitespace().next().unwrap_or(t));
            } else if t.contains('\\') && !t.contains(':') && !t.contains('=') {
                in_neighbors = false;
                (dest_site, dest_dsa) = site_dsa(t.split_whitespace().next().unwrap_or(t));
            }
            continue;
        }
        if !in_neighbors {
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        if first.contains('\\') && !t.contains('@') && !t.contains(':') {
            out.extend(current.take());
            let mut st = ReplicationStatus::new(n);
            st.destination_site.clone_from(&dest_site);
            st.destination_dsa.clone_from(&dest_dsa);
            st.naming_context.clone_from(&nc);
            (st.source_site, st.source_dsa) = site_dsa(first);
            let words: Vec<&str> = t.split_whitespace().collect();
            if words.len() > 2 {
                st.transport = words.last().map(|s| s.to_string());
            }
            st.inbound = inbound;
            current = Some(st);
            ats = 0;
            expect_result_text = false;
            continue;
        }
        let Some(st) = current.as_mut() else {
            continue;
        };
        if t.contains('@') {
            ats += 1;
            let time = t.split_once('@').and_then(|(_, r)| local_time(r));
            if ats == 1 {
                st.last_attempt = time;
                st.result_code = result_code(t);
                st.last_attempt_succeeded = Some(st.result_code.is_none_or(|c| c == 0));
                expect_result_text = st.result_code.is_some();
            } else {
                st.last_success = time;
                expect_result_text = false;
            }
            continue;
        }
        if expect_result_text && (!t.contains(':') || indent >= 12) {
            st.result_text = Some(t.to_string());
            expect_result_text = false;
            continue;
        }
        expect_result_text = false;
        if let Some(k) = super::leading_int(t).filter(|_| !t.contains(':')) {
            st.consecutive_failures = u32::try_from(k).ok();
        }
    }
    out.extend(current.take());
    for st in &mut out {
        if st.last_attempt_succeeded == Some(true) && st.consecutive_failures.is_none() {
            st.consecutive_failures = Some(0);
        }
    }
    (out, problems)
}

/// Parses `repadmin /showrepl * /csv`.
pub fn parse_showrepl_csv(text: &str) -> (Vec<ReplicationStatus>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut header: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let line = raw.trim_end().trim_start_matches('\u{feff}');
        if !line.starts_with("showrepl_") {
            continue;
        }
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line.as_bytes());
        let Some(Ok(rec)) = r.records().next() else {
            problems.push(Problem::new(Location::Line(n), "row is not valid CSV"));
            continue;
        };
        let cells: Vec<String> = rec.iter().map(|s| s.trim().to_string()).collect();
        if cells.first().is_some_and(|c| c == "showrepl_COLUMNS") {
            header = cells
                .iter()
                .map(|c| crate::queue::normalize_name(c))
                .collect();
            continue;
        }
        if header.is_empty() {
            problems.push(Problem::new(
                Location::Line(n),
                "showrepl_INFO row before showrepl_COLUMNS",
            ));
            continue;
        }
        let get = |name: &str| -> Option<String> {
            let k = header.iter().position(|h| h == name)?;
            cells.get(k).filter(|c| !c.is_empty()).cloned()
        };
        let time = |name: &str| get(name).and_then(|t| local_time(&t));
        let mut st = ReplicationStatus::new(n);
        st.destination_site = get("destinationdsasite");
        st.destination_dsa = get("destinationdsa");
        st.naming_context = get("namingcontext");
        st.source_site = get("sourcedsasite");
        st.source_dsa = get("sourcedsa");
        st.transport = get("transporttype");
        st.consecutive_failures = get("numberoffailures").and_then(|v| v.parse().ok());
        st.last_failure = time("lastfailuretime");
        st.last_success = time("lastsuccesstime");
        st.result_code = get("lastfailurestatus").and_then(|v| v.parse().ok());
        st.last_attempt_succeeded = st.consecutive_failures.map(|f| f == 0);
        st.last_attempt = match (st.last_success, st.last_failure) {
            (Some(s), Some(f)) => Some(if f.local > s.local { f } else { s }),
            (s, f) => s.or(f),
        };
        out.push(st);
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "Replication Summary Start Time: 2026-11-26 08:54:00\r\n\r\nBeginning data collection for replication summary, this may take awhile:\r\n  .....\r\n\r\n\r\nSource DSA          largest delta    fails/total %%   error\r\n DC01               2d.08h:54m:00s    5 /   5  100  (8524) The DSA operation is unable to proceed because of a DNS lookup failure.\r\n DC02                      14m:05s    0 /   5    0\r\n\r\nDestination DSA     largest delta    fails/total %%   error\r\n DC01                      14m:05s    0 /   5    0\r\n DC02               2d.08h:54m:00s    5 /   5  100  (8524) The DSA operation is unable to proceed because of a DNS lookup failure.\r\n\r\nExperienced the following operational errors trying to retrieve replication information:\r\n   58 - dc03.contoso.com\r\n";

    /// A summary run three times into one file, with a row that is none: each
    /// row handed over as read, in order, the same as parse() keeps; the start
    /// time is the first run's, the errors and the problem kept.
    #[test]
    fn a_summary_read_a_row_at_a_time_is_the_summary_parsed() {
        let broken = SUMMARY.replacen(
            "\r\n\r\nDestination",
            "\r\n DC09 garbage\r\n\r\nDestination",
            1,
        );
        let text = format!("{SUMMARY}{broken}{SUMMARY}");
        let mut handed = Vec::new();
        let rest = read_replsummary(&mut text.as_bytes(), &mut |row| handed.push(row));
        let parsed = parse_replsummary(&text);
        assert_eq!(handed, parsed.rows);
        assert_eq!(handed.len(), 12);
        assert!(rest.rows.is_empty());
        assert_eq!(rest.start_time, parsed.start_time);
        assert!(rest.start_time.is_some());
        assert_eq!(rest.operational_errors, parsed.operational_errors);
        assert_eq!(rest.operational_errors.len(), 3);
        assert_eq!(rest.problems, parsed.problems);
        assert_eq!(rest.problems.len(), 1);
        let first = &handed[0];
        assert_eq!(
            (first.line, first.dsa.as_str(), first.fails, first.total),
            (8, "DC01", 5, 5)
        );
        assert_eq!(first.table, ReplSummaryTable::Source);
        assert_eq!(handed[3].table, ReplSummaryTable::Destination);
        // The second run's tables are a source and a destination again.
        let second: Vec<_> = handed[4..8]
            .iter()
            .map(|r| (r.dsa.as_str(), r.table))
            .collect();
        assert_eq!(
            second,
            [
                ("DC01", ReplSummaryTable::Source),
                ("DC02", ReplSummaryTable::Source),
                ("DC01", ReplSummaryTable::Destination),
                ("DC02", ReplSummaryTable::Destination),
            ]
        );
    }

    /// Table headers in other words (a localized repadmin) are told by their
    /// order: source, destination, source again for the next run.
    #[test]
    fn tables_in_other_words_are_told_by_their_order() {
        let german = SUMMARY
            .replace("Source DSA   ", "Quell-DSA    ")
            .replace("Destination DSA", "Ziel-DSA       ");
        let rows = parse_replsummary(&german.repeat(2)).rows;
        let tables: Vec<_> = rows.iter().map(|r| r.table).collect();
        use ReplSummaryTable::{Destination as D, Source as S};
        assert_eq!(tables, [S, S, D, D, S, S, D, D]);
    }

    /// Whether a text is a summary is said of the whole text, as
    /// looks_like_replsummary says it, wherever its marks are.
    #[test]
    fn a_summary_is_told_by_its_marks_anywhere() {
        let late = format!("{}{SUMMARY}", "noise line\n".repeat(2_000));
        let split = "largest delta here\nand fails/total there\n";
        let neither = "==== INBOUND NEIGHBORS ======================================\n";
        let halves = "largest\ndelta fails/total\n";
        for text in [SUMMARY, late.as_str(), split, neither, halves] {
            assert_eq!(
                is_replsummary(&mut text.as_bytes()).unwrap(),
                looks_like_replsummary(text),
                "{text:.60}"
            );
        }
        assert!(is_replsummary(&mut late.as_bytes()).unwrap());
        assert!(!is_replsummary(&mut neither.as_bytes()).unwrap());
    }

    #[test]
    fn deltas() {
        assert_eq!(ReplDelta::parse("15m:30s"), Some(ReplDelta::Seconds(930)));
        assert_eq!(
            ReplDelta::parse("04h:02m:16s"),
            Some(ReplDelta::Seconds(14_536))
        );
        assert_eq!(
            ReplDelta::parse("3d.04h:02m:16s"),
            Some(ReplDelta::Seconds(3 * 86_400 + 14_536))
        );
        assert_eq!(
            ReplDelta::parse(">60 days"),
            Some(ReplDelta::MoreThanDays(60))
        );
        assert_eq!(ReplDelta::parse("(unknown)"), Some(ReplDelta::Unknown));
        assert_eq!(ReplDelta::parse("garbage"), None);
    }
}
