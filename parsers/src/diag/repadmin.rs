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
use crate::problem::{Location, Problem, Problems};
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
    pub problems: Problems,
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

/// Which of its forms a repadmin output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepadminForm {
    /// `/replsummary` (its marks win wherever they are).
    Summary,
    /// `/showrepl * /csv`.
    ShowreplCsv,
    /// `/showrepl` text, and anything else.
    Showrepl,
}

impl RepadminForm {
    /// The form of a whole text: [`looks_like_replsummary`], then
    /// [`looks_like_showrepl_csv`].
    pub fn of_text(text: &str) -> Self {
        if looks_like_replsummary(text) {
            RepadminForm::Summary
        } else if looks_like_showrepl_csv(text) {
            RepadminForm::ShowreplCsv
        } else {
            RepadminForm::Showrepl
        }
    }

    /// [`RepadminForm::of_text`] found in one pass a line at a time (each
    /// mark is a phrase of one line), ending at a summary's marks.
    pub fn of(text: &mut dyn Reread) -> std::io::Result<Self> {
        let (mut start_time, mut delta, mut fails, mut csv) = (false, false, false, false);
        let mut t = text.read_from_start()?;
        each_line(&mut *t, &mut |_, line| {
            start_time |= line.contains(SUMMARY_START);
            delta |= line.contains(SUMMARY_DELTA);
            fails |= line.contains(SUMMARY_FAILS);
            csv = csv || looks_like_showrepl_csv(line);
            if start_time || (delta && fails) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(if start_time || (delta && fails) {
            RepadminForm::Summary
        } else if csv {
            RepadminForm::ShowreplCsv
        } else {
            RepadminForm::Showrepl
        })
    }
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
            problems: Problems::new(),
        },
        table: None,
        tables_seen: 0,
        rows_read: 0,
    };
    let mut problems = Problems::new();
    read_lines(text, &mut problems, &mut |n, raw| lines.line(n, raw, each));
    lines.out.problems.extend(problems);
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

/// Parses `repadmin /showrepl` text ([`read_showrepl`] into a vector).
pub fn parse_showrepl(text: &str) -> (Vec<ReplicationStatus>, Problems) {
    collected(read_showrepl, text)
}

/// A reader of statuses: [`read_showrepl`], [`read_showrepl_csv`].
type ReadStatuses = fn(&mut dyn Reread, &mut dyn FnMut(ReplicationStatus)) -> Problems;

/// What `read` hands over from `text`, in a vector, and its problems.
fn collected(read: ReadStatuses, text: &str) -> (Vec<ReplicationStatus>, Problems) {
    let mut out = Vec::new();
    let problems = read(&mut text.as_bytes(), &mut |st| out.push(st));
    (out, problems)
}

/// Reads `repadmin /showrepl` a line at a time, handing each neighbour's
/// status to `each` once its lines have all been read: `/showrepl` run in a
/// loop (or for every DC of a forest) grows with every run, and a status is
/// complete when the next neighbour, naming context or section begins.
pub fn read_showrepl(text: &mut dyn Reread, each: &mut dyn FnMut(ReplicationStatus)) -> Problems {
    let mut lines = ShowreplLines::default();
    let mut problems = Problems::new();
    read_lines(text, &mut problems, &mut |n, raw| lines.line(n, raw, each));
    lines.hand_over(each);
    problems
}

/// Each line of `text` with its number (as [`each_line`] splits them); a
/// read error ends the text, as a problem.
fn read_lines(text: &mut dyn Reread, problems: &mut Problems, each: &mut dyn FnMut(u64, &str)) {
    let read = text.read_from_start().and_then(|mut t| {
        each_line(&mut *t, &mut |n, raw| {
            each(n, raw);
            ControlFlow::Continue(())
        })
    });
    if let Err(e) = read {
        problems.push(Problem::new(
            Location::File,
            format!("cannot read the text: {e}"),
        ));
    }
}

/// What the lines of a `/showrepl` read so far say about the ones to come.
struct ShowreplLines {
    dest_site: Option<String>,
    dest_dsa: Option<String>,
    nc: Option<String>,
    in_neighbors: bool,
    inbound: bool,
    /// The neighbour whose lines are being read.
    current: Option<ReplicationStatus>,
    /// `@` lines of the current neighbour so far.
    ats: u32,
    expect_result_text: bool,
}

impl Default for ShowreplLines {
    fn default() -> Self {
        ShowreplLines {
            dest_site: None,
            dest_dsa: None,
            nc: None,
            in_neighbors: false,
            inbound: true,
            current: None,
            ats: 0,
            expect_result_text: false,
        }
    }
}

impl ShowreplLines {
    /// The current neighbour, complete, to `each`: a successful last attempt
    /// without a failure count has none.
    fn hand_over(&mut self, each: &mut dyn FnMut(ReplicationStatus)) {
        if let Some(mut st) = self.current.take() {
            if st.last_attempt_succeeded == Some(true) && st.consecutive_failures.is_none() {
                st.consecutive_failures = Some(0);
            }
            each(st);
        }
    }

    fn line(&mut self, n: u64, raw: &str, each: &mut dyn FnMut(ReplicationStatus)) {
        let line = raw.trim_end().trim_start_matches('\u{feff}');
        let t = line.trim();
        if t.is_empty() {
            return;
        }
        let indent = super::indent_of(line);
        if t.starts_with("====") {
            self.hand_over(each);
            let upper = t.to_ascii_uppercase();
            self.in_neighbors = upper.contains("NEIGHBORS");
            self.inbound = !upper.contains("OUTBOUND");
            self.nc = None;
            return;
        }
        if indent == 0 {
            self.hand_over(each);
            if self.in_neighbors && t.contains('=') && !t.contains(':') {
                self.nc = Some(t.to_string());
            } else if !self.in_neighbors && t.contains('\\') && !t.contains(':') {
                (self.dest_site, self.dest_dsa) =
                    site_dsa(t.split_whitespace().next().unwrap_or(t));
            } else if t.contains('\\') && !t.contains(':') && !t.contains('=') {
                self.in_neighbors = false;
                (self.dest_site, self.dest_dsa) =
                    site_dsa(t.split_whitespace().next().unwrap_or(t));
            }
            return;
        }
        if !self.in_neighbors {
            return;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        if first.contains('\\') && !t.contains('@') && !t.contains(':') {
            self.hand_over(each);
            let mut st = ReplicationStatus::new(n);
            st.destination_site.clone_from(&self.dest_site);
            st.destination_dsa.clone_from(&self.dest_dsa);
            st.naming_context.clone_from(&self.nc);
            (st.source_site, st.source_dsa) = site_dsa(first);
            let mut words = t.split_whitespace();
            if words.clone().count() > 2 {
                st.transport = words.next_back().map(str::to_string);
            }
            st.inbound = self.inbound;
            self.current = Some(st);
            self.ats = 0;
            self.expect_result_text = false;
            return;
        }
        let Some(st) = self.current.as_mut() else {
            return;
        };
        if t.contains('@') {
            self.ats = self.ats.saturating_add(1);
            let time = t.split_once('@').and_then(|(_, r)| local_time(r));
            if self.ats == 1 {
                st.last_attempt = time;
                st.result_code = result_code(t);
                st.last_attempt_succeeded = Some(st.result_code.is_none_or(|c| c == 0));
                self.expect_result_text = st.result_code.is_some();
            } else {
                st.last_success = time;
                self.expect_result_text = false;
            }
            return;
        }
        if self.expect_result_text && (!t.contains(':') || indent >= 12) {
            st.result_text = Some(t.to_string());
            self.expect_result_text = false;
            return;
        }
        self.expect_result_text = false;
        if let Some(k) = super::leading_int(t).filter(|_| !t.contains(':')) {
            st.consecutive_failures = u32::try_from(k).ok();
        }
    }
}

/// Parses `repadmin /showrepl * /csv` ([`read_showrepl_csv`] into a vector).
pub fn parse_showrepl_csv(text: &str) -> (Vec<ReplicationStatus>, Problems) {
    collected(read_showrepl_csv, text)
}

/// Reads `repadmin /showrepl * /csv` a line at a time, handing each row's
/// status to `each` as it is read (every row stands alone once the
/// `showrepl_COLUMNS` header before it has named the columns).
pub fn read_showrepl_csv(
    text: &mut dyn Reread,
    each: &mut dyn FnMut(ReplicationStatus),
) -> Problems {
    let mut problems = Problems::new();
    let mut header: Vec<String> = Vec::new();
    let mut read_error = Problems::new();
    read_lines(text, &mut read_error, &mut |n, raw| {
        if let Err(problem) = csv_line(n, raw, &mut header, each) {
            problems.push(problem);
        }
    });
    problems.append(read_error);
    problems
}

/// One line of a `/showrepl * /csv`: the header kept, a row handed to `each`,
/// other lines passed over; a row that cannot be read is the problem.
fn csv_line(
    n: u64,
    raw: &str,
    header: &mut Vec<String>,
    each: &mut dyn FnMut(ReplicationStatus),
) -> Result<(), Problem> {
    let line = raw.trim_end().trim_start_matches('\u{feff}');
    if !line.starts_with("showrepl_") {
        return Ok(());
    }
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let Some(Ok(rec)) = r.records().next() else {
        return Err(Problem::new(Location::Line(n), "row is not valid CSV"));
    };
    let cells: Vec<String> = rec.iter().map(|s| s.trim().to_string()).collect();
    if cells.first().is_some_and(|c| c == "showrepl_COLUMNS") {
        *header = cells
            .iter()
            .map(|c| crate::queue::normalize_name(c))
            .collect();
        return Ok(());
    }
    if header.is_empty() {
        return Err(Problem::new(
            Location::Line(n),
            "showrepl_INFO row before showrepl_COLUMNS",
        ));
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
    each(st);
    Ok(())
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
    /// One `/showrepl` run: a neighbour that replicates, one failing (its
    /// result text on its own line, its failures counted).
    const SHOWREPL: &str = "Repadmin: running command /showrepl against full DC localhost\r\nDefault-First-Site-Name\\DC01\r\nDSA Options: IS_GC\r\nDSA invocationID: 6f0e4e4a-0000-0000-0000-000000000001\r\n\r\n==== INBOUND NEIGHBORS ======================================\r\n\r\nDC=contoso,DC=com\r\n    Default-First-Site-Name\\DC02 via RPC\r\n        DSA object GUID: 1a2b3c4d-0000-0000-0000-000000000000\r\n        Last attempt @ 2026-11-26 07:33:38 was successful.\r\n\r\nCN=Configuration,DC=contoso,DC=com\r\n    Default-First-Site-Name\\DC02 via RPC\r\n        DSA object GUID: 1a2b3c4d-0000-0000-0000-000000000000\r\n        Last attempt @ 2026-11-26 07:33:38 failed, result 8524 (0x214c):\r\n            The DSA operation is unable to proceed because of a DNS lookup failure.\r\n        12 consecutive failure(s).\r\n        Last success @ 2026-11-24 10:00:00.\r\n";

    /// `/showrepl` run three times into one file: each neighbour handed over
    /// once its lines are read, at its own line, complete (the failing one
    /// with its text, count and last success; the other with no failures);
    /// the text read whole gives the same.
    #[test]
    fn showrepl_neighbours_are_handed_over_as_their_lines_end() {
        let text = SHOWREPL.repeat(3);
        let mut handed = Vec::new();
        let problems = read_showrepl(&mut text.as_bytes(), &mut |st| handed.push(st));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(handed, parse_showrepl(&text).0);
        let lines: Vec<u64> = handed.iter().map(|st| st.line).collect();
        assert_eq!(lines, [9, 14, 28, 33, 47, 52]);
        for pair in handed.chunks(2) {
            let [ok, failing] = pair else {
                panic!("{pair:?}");
            };
            assert_eq!(ok.destination_dsa.as_deref(), Some("DC01"));
            assert_eq!(ok.source_dsa.as_deref(), Some("DC02"));
            assert_eq!(ok.naming_context.as_deref(), Some("DC=contoso,DC=com"));
            assert_eq!(ok.consecutive_failures, Some(0));
            assert_eq!(ok.last_attempt_succeeded, Some(true));
            assert_eq!(failing.result_code, Some(8524));
            assert!(failing
                .result_text
                .as_deref()
                .is_some_and(|t| t.contains("DNS lookup failure")));
            assert_eq!(failing.consecutive_failures, Some(12));
            assert!(failing.last_success.is_some());
        }
    }

    /// A `/csv` run again into one file: every row handed over as read (one
    /// cut short too, as CSV reads it), a row before any header a problem at
    /// its line, as the text read whole gives them.
    #[test]
    fn showrepl_csv_rows_are_handed_over_as_read() {
        let header = "showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,Last Failure Status\r\n";
        let row = "showrepl_INFO,Default-First-Site-Name,DC01,\"DC=contoso,DC=com\",Default-First-Site-Name,DC02,RPC,4,2026-11-26 07:33:38,2026-11-24 10:00:00,8524\r\n";
        let text = format!("{row}{header}{row}{row}showrepl_INFO,\"unclosed\r\n{header}{row}");
        let mut handed = Vec::new();
        let problems = read_showrepl_csv(&mut text.as_bytes(), &mut |st| handed.push(st));
        let (parsed, parsed_problems) = parse_showrepl_csv(&text);
        assert_eq!(handed, parsed);
        assert_eq!(problems, parsed_problems);
        assert_eq!(
            handed.iter().map(|st| st.line).collect::<Vec<_>>(),
            [3, 4, 5, 7]
        );
        for st in [&handed[0], &handed[1], &handed[3]] {
            assert_eq!(st.consecutive_failures, Some(4));
            assert_eq!(st.result_code, Some(8524));
        }
        assert_eq!(handed[2].destination_site.as_deref(), Some("unclosed"));
        let at: Vec<_> = problems.iter().map(|p| p.location).collect();
        assert_eq!(at, [Location::Line(1)], "{problems:?}");
    }

    /// A repadmin output's form is told by its marks wherever they are, a
    /// line at a time as in the whole text: a summary's first, then a `/csv`'s.
    #[test]
    fn the_form_is_told_by_its_marks_anywhere() {
        let late = format!("{}{SUMMARY}", "noise line\n".repeat(2_000));
        let split = "largest delta here\nand fails/total there\n";
        let neither = "==== INBOUND NEIGHBORS ======================================\n";
        let halves = "largest\ndelta fails/total\n";
        let csv = "showrepl_COLUMNS,Destination DSA Site,Destination DSA\n";
        let late_csv = format!("{}{csv}", "noise line\n".repeat(2_000));
        let info_only = "x\nshowrepl_INFO,Site,DC01\n";
        let marks_alone = "showrepl_COLUMNS\nshowrepl_INFO\n";
        let csv_then_summary = format!("{csv}{SUMMARY}");
        for (text, form) in [
            (SUMMARY, RepadminForm::Summary),
            (late.as_str(), RepadminForm::Summary),
            (split, RepadminForm::Summary),
            (neither, RepadminForm::Showrepl),
            (halves, RepadminForm::Showrepl),
            (csv, RepadminForm::ShowreplCsv),
            (late_csv.as_str(), RepadminForm::ShowreplCsv),
            (info_only, RepadminForm::ShowreplCsv),
            (marks_alone, RepadminForm::Showrepl),
            (csv_then_summary.as_str(), RepadminForm::Summary),
            (SHOWREPL, RepadminForm::Showrepl),
        ] {
            assert_eq!(RepadminForm::of_text(text), form, "{text:.60}");
            assert_eq!(
                RepadminForm::of(&mut text.as_bytes()).unwrap(),
                form,
                "{text:.60}"
            );
        }
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
