//! The evidence set and the record tables as one Hive-partitioned Parquet
//! dataset (issue 15), so that many `extract` runs — one per server, on as
//! many machines — can write into one folder at once and `scan --evidence`,
//! DuckDB, polars or Spark read it back as one.
//!
//! Layout: `ROOT/<table>/server=<SERVER>/date=<YYYY-MM-DD>/part-<ID>.parquet`.
//! * `<table>`: `evidence`, `identities`, `coverage`, `inventory`,
//!   `problems` (the evidence set, schema [`SCHEMA`]) and one per record
//!   kind (`event`, `smtp-session`, …).
//! * `server` and `date` live in the path only, not in the files (the Hive
//!   convention; DuckDB's `hive_partitioning`, polars and Spark add them as
//!   columns). No server, or no time: [`NULL_PARTITION`], which all three
//!   read as NULL. Values are percent-encoded as Hive does (everything but
//!   ASCII letters, digits, `-`, `_` and `.`), so a server name from a log
//!   never makes a path of its own (`/`, `..`, NUL).
//! * `date` is the UTC date of the row's time as stamped (not clock-corrected).
//! * `<ID>` is [`part_id`]: a hash of the run's input paths. A run writes
//!   only files named with its own id — each to a temporary name in the
//!   target folder, renamed into place — and then removes its own older
//!   parts that it did not write again. No shared index: runs with other
//!   inputs never touch each other's files.
//!
//! Paired-session clock samples need both servers' protocol logs in one run;
//! `scan --evidence` says which pairs could not be paired.

use super::evidence_set::{
    encoding_name, from_text, integers, required, strings as strings_of, EvidenceSet,
};
use crate::correlate::case::{Case, ItemId};
use crate::discover::Origin;
use crate::evidence::{Evidence, Fact, FailureSignal, TimeBasis};
use crate::ingest::smtp_log::{fnv1a, fnv1a_continue};
use crate::inventory::{Inventory, Row, Status};
use crate::model::{ClockBasis, Role, Source};
use anyhow::{anyhow, bail, Context, Result};
use exauth_parsers::detect::Kind;
use exauth_parsers::problem::{Location, Problem};
use jiff::civil::Date;
use jiff::Timestamp;
use polars::prelude::*;
use polars_io::parquet::read::ParquetReader;
use polars_io::parquet::write::{KeyValueMetadata, ParquetWriter};
use polars_io::SerReader;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The schema of the evidence set's five tables, in every file's key-value
/// metadata under [`SCHEMA_KEY`].
pub const SCHEMA: &str = "exauth.evidence/2";
/// The schema of the record tables.
pub const RECORDS_SCHEMA: &str = "exauth.records/1";
pub const SCHEMA_KEY: &str = "exauth.schema";
/// The partition value of a row with no server or no time (Hive's, polars'
/// and Spark's NULL; DuckDB reads it as NULL too).
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";
/// The evidence set's tables.
pub const EVIDENCE_TABLES: [&str; 5] = [
    "evidence",
    "identities",
    "coverage",
    "inventory",
    "problems",
];
/// Rows per row group: what `scan --evidence` holds of a file at once.
pub const ROW_GROUP: usize = 8192;

/// A partition value as it appears in a path: `None` is
/// [`NULL_PARTITION`]; everything but ASCII letters, digits, `-`, `_` and
/// `.` is percent-encoded (so `/`, `\`, `=`, NUL and `..` alone never
/// reach the path); a literal [`NULL_PARTITION`] gets its first `_` encoded.
pub fn encode_value(value: Option<&str>) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return NULL_PARTITION.to_string();
    };
    let mut out = String::with_capacity(value.len());
    for (i, b) in value.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || b == b'-'
            || (b == b'_' && !(i == 0 && value == NULL_PARTITION))
            || (b == b'.' && value.bytes().any(|c| c != b'.'));
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value [`encode_value`] encoded; `Err` for a malformed encoding.
pub fn decode_value(text: &str) -> Result<Option<String>> {
    if text == NULL_PARTITION {
        return Ok(None);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| anyhow!("bad percent-encoding in {text:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let value = String::from_utf8(out).map_err(|_| anyhow!("not UTF-8: {text:?}"))?;
    if value.contains('\0') {
        bail!("NUL in {text:?}");
    }
    Ok(Some(value))
}

/// The `date=` value of a time: its UTC date, or [`NULL_PARTITION`].
pub fn date_value(time: Option<Timestamp>) -> Option<Date> {
    time.map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
}

fn date_text(date: Option<Date>) -> String {
    date.map_or_else(|| NULL_PARTITION.to_string(), |d| d.to_string())
}

/// The id of a run's parts: 16 hex digits of a hash of its input paths
/// (absolute, sorted). The same inputs give the same id, so a re-run
/// replaces its own parts; other inputs give another.
pub fn part_id(inputs: &[PathBuf]) -> String {
    let mut paths: Vec<String> = inputs
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    paths.sort();
    paths.dedup();
    let mut hash = fnv1a(b"exauth.parts");
    for p in &paths {
        hash = fnv1a_continue(hash, p.as_bytes());
        hash = fnv1a_continue(hash, b"\0");
    }
    format!("{hash:016x}")
}

/// One run writing into a dataset: hands out part files, keeps what it
/// wrote, and removes its own older parts at the end.
#[derive(Debug)]
pub struct DatasetWriter {
    root: PathBuf,
    id: String,
    written: BTreeSet<PathBuf>,
}

/// A part being written under a temporary name; [`PartFile::commit`]
/// renames it into place.
#[derive(Debug)]
pub struct PartFile {
    temp: PathBuf,
    path: PathBuf,
}

impl PartFile {
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Renames the finished file into place (atomic within the folder: a
    /// reader sees the old part or the new one, never half of one).
    pub fn commit(self) -> Result<()> {
        std::fs::rename(&self.temp, &self.path)
            .with_context(|| format!("cannot rename into {}", self.path.display()))
    }
}

impl DatasetWriter {
    /// A run writing into `root`, its parts named by `id` (checked: ASCII
    /// letters, digits, `-`, `_`, at most 64) or else by [`part_id`].
    pub fn new(root: &Path, inputs: &[PathBuf], id: Option<&str>) -> Result<Self> {
        let id = match id {
            Some(id) => {
                let fits = !id.is_empty()
                    && id.len() <= 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !fits {
                    bail!("--part-id {id:?}: use 1 to 64 ASCII letters, digits, `-` or `_`");
                }
                id.to_string()
            }
            None => part_id(inputs),
        };
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        Ok(DatasetWriter {
            root: root.to_path_buf(),
            id,
            written: BTreeSet::new(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn file_name(&self) -> String {
        format!("part-{}.parquet", self.id)
    }

    /// A new part of `table` in partition (`server`, `date`).
    pub fn part(
        &mut self,
        table: &str,
        server: Option<&str>,
        date: Option<Date>,
    ) -> Result<PartFile> {
        let dir = self
            .root
            .join(encode_value(Some(table)))
            .join(format!("server={}", encode_value(server)))
            .join(format!("date={}", date_text(date)));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(self.file_name());
        let temp = dir.join(format!(".{}.tmp-{}", self.file_name(), std::process::id()));
        self.written.insert(path.clone());
        Ok(PartFile { temp, path })
    }

    /// Removes this run's parts that it did not write again (a date or a
    /// table that vanished), and its own leftover temporary files. Other
    /// runs' files are never looked at twice. Empty folders stay (another
    /// run may be writing into them).
    pub fn finish(self) -> Result<()> {
        let name = self.file_name();
        let temp_prefix = format!(".{name}.tmp-");
        for part in walk_parts(&self.root, true) {
            let Some(file) = part.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            let stale =
                (file == name && !self.written.contains(&part)) || file.starts_with(&temp_prefix);
            if stale {
                std::fs::remove_file(&part)
                    .with_context(|| format!("cannot remove {}", part.display()))?;
            }
        }
        Ok(())
    }
}

/// Every file at `ROOT/<table>/server=*/date=*/`, sorted; hidden and
/// temporary files (`.`, `_` first) only with `hidden`.
fn walk_parts(root: &Path, hidden: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let list = |dir: &Path| -> Vec<PathBuf> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        entries
    };
    for table in list(root).into_iter().filter(|p| p.is_dir()) {
        for server in list(&table)
            .into_iter()
            .filter(|p| is_partition(p, "server="))
        {
            for date in list(&server)
                .into_iter()
                .filter(|p| is_partition(p, "date="))
            {
                for file in list(&date) {
                    let name = file.file_name().and_then(|f| f.to_str()).unwrap_or("");
                    if hidden || !(name.starts_with('.') || name.starts_with('_')) {
                        out.push(file);
                    }
                }
            }
        }
    }
    out
}

fn is_partition(path: &Path, prefix: &str) -> bool {
    path.is_dir()
        && path
            .file_name()
            .and_then(|f| f.to_str())
            .is_some_and(|f| f.starts_with(prefix))
}

fn metadata(table: &str, id: &str, schema: &str) -> KeyValueMetadata {
    KeyValueMetadata::from_static(vec![
        (SCHEMA_KEY.to_string(), schema.to_string()),
        ("exauth.table".to_string(), table.to_string()),
        ("exauth.part".to_string(), id.to_string()),
    ])
}

/// A Parquet writer for a part, with the schema in its metadata and the
/// row groups [`scan --evidence`] streams.
pub fn parquet_writer(file: File, table: &str, id: &str, schema: &str) -> ParquetWriter<File> {
    ParquetWriter::new(file)
        .with_row_group_size(Some(ROW_GROUP))
        .with_key_value_metadata(Some(metadata(table, id, schema)))
}

fn write_part(
    writer: &mut DatasetWriter,
    table: &str,
    server: Option<&str>,
    date: Option<Date>,
    columns: Vec<Column>,
) -> Result<()> {
    let mut part = BatchedPart::new(writer, table, server, date)?;
    part.write(columns)?;
    part.commit()
}

/// Fact JSON a batch of the evidence table holds before it is written, about.
const EVIDENCE_BATCH_BYTES: usize = 1 << 20;

/// The evidence table's columns for `items` (one partition's, in order),
/// `facts` their facts as JSON.
fn evidence_columns(
    case: &Case,
    pair_of: &BTreeMap<ItemId, (&str, &str)>,
    queue_counts: &BTreeMap<ItemId, u64>,
    items: &[ItemId],
    facts: &[String],
) -> Result<Vec<Column>> {
    let ev: Vec<&Evidence> = items.iter().map(|&i| case.item(i)).collect();
    let times: Vec<Option<i64>> = ev
        .iter()
        .map(|e| e.time.and_then(|t| i64::try_from(t.as_nanosecond()).ok()))
        .collect();
    let time = Series::new("time".into(), times).cast(&DataType::Datetime(
        TimeUnit::Nanoseconds,
        Some(TimeZone::UTC),
    ))?;
    let signals: Vec<Option<(&str, &str)>> = ev
        .iter()
        .map(|e| e.fact.failure_signal().map(failure_names))
        .collect();
    let pairs: Vec<Option<(&str, &str)>> = items.iter().map(|i| pair_of.get(i).copied()).collect();
    let basis: Vec<String> = ev.iter().map(|e| text(&e.time_basis)).collect();
    Ok(vec![
        time.into(),
        strings("time_basis", basis.iter().map(|s| Some(s.as_str()))),
        strings("origin", ev.iter().map(|e| Some(e.origin.as_str()))),
        strings("kind", ev.iter().map(|e| Some(e.fact.kind()))),
        Series::new(
            "represents".into(),
            ev.iter()
                .map(|e| i64::try_from(e.represents.max(1)).unwrap_or(i64::MAX))
                .collect::<Vec<_>>(),
        )
        .into(),
        strings("failure_source", signals.iter().map(|s| s.map(|s| s.0))),
        strings("failure_signal", signals.iter().map(|s| s.map(|s| s.1))),
        Series::new(
            "failures".into(),
            ev.iter()
                .zip(items)
                .zip(&signals)
                .map(|((e, id), s)| {
                    let queue = queue_counts.get(id).copied();
                    s.map(|_| i64::try_from(failure_count(e, queue)).unwrap_or(i64::MAX))
                })
                .collect::<Vec<_>>(),
        )
        .into(),
        strings("sender", pairs.iter().map(|p| p.map(|p| p.0))),
        strings("receiver", pairs.iter().map(|p| p.map(|p| p.1))),
        strings("fact", facts.iter().map(|s| Some(s.as_str()))),
    ])
}

/// A part written a batch of rows at a time (each batch a row group or
/// more), renamed into place by [`BatchedPart::commit`].
struct BatchedPart {
    part: PartFile,
    table: String,
    id: String,
    file: Option<File>,
    writer: Option<polars::io::parquet::write::BatchedWriter<File>>,
}

impl BatchedPart {
    fn new(
        writer: &mut DatasetWriter,
        table: &str,
        server: Option<&str>,
        date: Option<Date>,
    ) -> Result<Self> {
        let part = writer.part(table, server, date)?;
        let file = File::create(part.temp_path())
            .with_context(|| format!("cannot write {}", part.temp_path().display()))?;
        Ok(BatchedPart {
            part,
            table: table.to_string(),
            id: writer.id().to_string(),
            file: Some(file),
            writer: None,
        })
    }

    /// Writes `columns` (of one height) as row groups of at most [`ROW_GROUP`] rows.
    fn write(&mut self, columns: Vec<Column>) -> Result<()> {
        let df = DataFrame::new_infer_height(columns)?;
        let temp = self.part.temp_path().display().to_string();
        if self.writer.is_none() {
            if let Some(file) = self.file.take() {
                self.writer = Some(
                    parquet_writer(file, &self.table, &self.id, SCHEMA)
                        .batched(df.schema())
                        .map_err(anyhow::Error::from)
                        .with_context(|| format!("cannot write {temp}"))?,
                );
            }
        }
        let Some(w) = self.writer.as_mut() else {
            bail!("cannot write {temp}: no writer");
        };
        let height = df.height();
        let mut offset = 0;
        while offset < height || height == 0 {
            let rows = df.slice(i64::try_from(offset).unwrap_or(i64::MAX), ROW_GROUP);
            w.write_batch(&rows)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot write {temp}"))?;
            offset += ROW_GROUP;
            if height == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Finishes the part and renames it into place; a part no batch was
    /// written to is removed instead.
    fn commit(self) -> Result<()> {
        let Some(w) = &self.writer else {
            drop(self.file);
            let _ = std::fs::remove_file(self.part.temp_path());
            return Ok(());
        };
        {
            w.finish()
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot write {}", self.part.temp_path().display()))?;
        }
        self.part.commit()
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn strings<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    Series::new(name.into(), values.collect::<Vec<_>>()).into()
}

/// Which of the five failure sources a signal counts for (a pair's
/// failures are the most any one source saw) and its own name.
pub fn failure_names(signal: FailureSignal) -> (&'static str, &'static str) {
    match signal {
        FailureSignal::SendLogRejected => ("send-log", "send-log-rejected"),
        FailureSignal::SendLogSenderFailed => ("send-log", "send-log-sender-failed"),
        FailureSignal::SendLogNotOffered => ("send-log", "send-log-not-offered"),
        FailureSignal::ReceiveLogRejected => ("receive-log", "receive-log-rejected"),
        FailureSignal::Event1035 => ("event-1035", "event-1035"),
        FailureSignal::Event2017 => ("event-2017", "event-2017"),
        FailureSignal::Queue454 => ("queue", "queue-454"),
        FailureSignal::Queue451NotOffered => ("queue", "queue-451-not-offered"),
        FailureSignal::QueueOther => ("queue", "queue-other"),
    }
}

/// How many failures one item stands for, as the run counted it for its pair
/// (an aggregate's count; a queue's retry count, or for a queue exported
/// more than once what its count grew by since the export before: `queue`,
/// from [`incident::queue_retries`]; queue rows counted together past a cap,
/// what the run counted for them). A queue's count is a running total,
/// never multiplied by what a folded run's last snapshot stands for.
fn failure_count(e: &Evidence, queue: Option<u64>) -> u64 {
    if let Some(count) = queue {
        return count;
    }
    match &e.fact {
        Fact::QueueLastError {
            retry_count,
            counted,
            ..
        } => counted.unwrap_or_else(|| retry_count.unwrap_or(1).max(1)),
        _ => e.represents.max(1),
    }
}

/// Writes the evidence set of `case` as this run's parts.
pub fn write_evidence_set(
    case: &Case,
    inventory: &Inventory,
    problems: &[(Origin, Problem)],
    writer: &mut DatasetWriter,
) -> Result<()> {
    // Which pair each failure counts for, as this run resolved it.
    let mut pair_of: BTreeMap<ItemId, (&str, &str)> = BTreeMap::new();
    for incident in &case.incidents {
        for id in &incident.failure_evidence {
            pair_of.insert(*id, (&incident.sender, &incident.receiver));
        }
    }
    // What each export of a queue exported more than once adds, as scan counts it.
    let queue_counts = crate::correlate::incident::queue_retries(&case.evidence);
    let mut partitions: BTreeMap<(Option<&str>, Option<Date>), Vec<ItemId>> = BTreeMap::new();
    for (id, e) in case.items() {
        partitions
            .entry((e.server.as_deref(), date_value(e.time)))
            .or_default()
            .push(id);
    }
    for ((server, date), items) in &partitions {
        // Written a batch at a time: a fact's JSON can be megabytes (a
        // `setspn -Q` of a domain keeps 16,384 accounts to a fact), and a
        // partition built whole took 210 MB for a 50 MB listing.
        let mut part = BatchedPart::new(writer, "evidence", *server, *date)?;
        let mut start = 0;
        let mut bytes = 0;
        let mut facts: Vec<String> = Vec::new();
        for (n, &id) in items.iter().enumerate() {
            let fact = json(&case.item(id).fact);
            bytes += fact.len();
            facts.push(fact);
            let end = n + 1;
            if bytes >= EVIDENCE_BATCH_BYTES || end - start >= ROW_GROUP || end == items.len() {
                let batch = items.get(start..end).unwrap_or_default();
                part.write(evidence_columns(
                    case,
                    &pair_of,
                    &queue_counts,
                    batch,
                    &facts,
                )?)?;
                facts.clear();
                start = end;
                bytes = 0;
            }
        }
        part.commit()?;
    }
    for id in case.identities.servers() {
        let (fqdns, ips, role) = (json(&id.fqdns), json(&id.ips), text(&id.role));
        write_part(
            writer,
            "identities",
            Some(&id.name),
            None,
            vec![
                strings("fqdns", std::iter::once(Some(fqdns.as_str()))),
                strings("ips", std::iter::once(Some(ips.as_str()))),
                strings("role", std::iter::once(Some(role.as_str()))),
            ],
        )?;
    }
    let mut coverage: BTreeMap<Option<&str>, Vec<String>> = BTreeMap::new();
    for (server, sources) in &case.coverage.by_server {
        coverage
            .entry(Some(server.as_str()))
            .or_default()
            .extend(sources.iter().map(text));
    }
    if !case.coverage.unattributed.is_empty() {
        coverage
            .entry(None)
            .or_default()
            .extend(case.coverage.unattributed.iter().map(text));
    }
    for (server, sources) in &coverage {
        write_part(
            writer,
            "coverage",
            *server,
            None,
            vec![strings("source", sources.iter().map(|s| Some(s.as_str())))],
        )?;
    }
    let mut rows: BTreeMap<Option<&str>, Vec<&Row>> = BTreeMap::new();
    let mut server_of: BTreeMap<String, Option<&str>> = BTreeMap::new();
    for row in &inventory.rows {
        rows.entry(row.server.as_deref()).or_default().push(row);
        server_of.insert(row.origin.to_string(), row.server.as_deref());
    }
    for (server, rows) in &rows {
        let origins: Vec<String> = rows.iter().map(|r| r.origin.to_string()).collect();
        write_part(
            writer,
            "inventory",
            *server,
            None,
            vec![
                strings("origin", origins.iter().map(|s| Some(s.as_str()))),
                strings("kind", rows.iter().map(|r| Some(r.kind.id()))),
                strings("encoding", rows.iter().map(|r| r.encoding)),
                Series::new(
                    "bytes".into(),
                    rows.iter()
                        .map(|r| i64::try_from(r.bytes).unwrap_or(i64::MAX))
                        .collect::<Vec<_>>(),
                )
                .into(),
                strings("status", rows.iter().map(|r| Some(r.status.id()))),
                strings("reason", rows.iter().map(|r| r.reason.as_deref())),
                strings("set_aside", rows.iter().map(|r| r.set_aside.as_deref())),
            ],
        )?;
    }
    let mut by_server: BTreeMap<Option<&str>, Vec<&(Origin, Problem)>> = BTreeMap::new();
    for p in problems {
        let server = server_of.get(&p.0.to_string()).copied().flatten();
        by_server.entry(server).or_default().push(p);
    }
    for (server, problems) in &by_server {
        let origins: Vec<String> = problems.iter().map(|p| p.0.to_string()).collect();
        let locations: Vec<String> = problems.iter().map(|p| json(&p.1.location)).collect();
        write_part(
            writer,
            "problems",
            *server,
            None,
            vec![
                strings("origin", origins.iter().map(|s| Some(s.as_str()))),
                strings("location", locations.iter().map(|s| Some(s.as_str()))),
                strings(
                    "message",
                    problems.iter().map(|p| Some(p.1.message.as_str())),
                ),
            ],
        )?;
    }
    Ok(())
}

/// Which partitions `scan --evidence` reads.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these servers (upper case short names) and the unattributed
    /// partition; empty: all.
    pub servers: BTreeSet<String>,
    /// Only dates from, to (UTC, inclusive); untimed rows always.
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl Filter {
    fn keeps_server(&self, server: Option<&str>) -> bool {
        match server {
            None => true,
            Some(s) => self.servers.is_empty() || self.servers.contains(&s.to_ascii_uppercase()),
        }
    }

    fn keeps_date(&self, date: Option<Date>) -> bool {
        let Some(date) = date else { return true };
        self.from.is_none_or(|f| date >= f) && self.to.is_none_or(|t| date <= t)
    }
}

/// One part file found under a root, with its partition.
struct Part {
    path: PathBuf,
    table: String,
    server: Option<String>,
    date: Option<Date>,
    run: String,
}

/// True when `dir` holds a dataset in this layout (an `evidence` table).
pub fn is_dataset(dir: &Path) -> bool {
    dir.join("evidence").is_dir()
}

fn parse_part(path: &Path) -> Result<Part> {
    let component = |p: Option<&Path>| -> Result<String> {
        p.and_then(|p| p.file_name())
            .and_then(|f| f.to_str())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("not a partition path"))
    };
    let date_dir = path.parent();
    let server_dir = date_dir.and_then(Path::parent);
    let table_dir = server_dir.and_then(Path::parent);
    let date = component(date_dir)?;
    let server = component(server_dir)?;
    let table = decode_value(&component(table_dir)?)?.unwrap_or_default();
    let server = decode_value(server.strip_prefix("server=").unwrap_or(&server))?;
    let date = match date.strip_prefix("date=").unwrap_or(&date) {
        NULL_PARTITION => None,
        other => Some(
            other
                .parse::<Date>()
                .map_err(|_| anyhow!("date={other}: not a date"))?,
        ),
    };
    let file = component(Some(path))?;
    let run = file
        .strip_prefix("part-")
        .and_then(|f| f.strip_suffix(".parquet"))
        .unwrap_or(&file)
        .to_string();
    Ok(Part {
        path: path.to_path_buf(),
        table,
        server,
        date,
        run,
    })
}

/// A problem with one file of the dataset: an inventory row (status
/// error), so the report's coverage names it; the rest is read.
fn unreadable(path: &Path, reason: String) -> Row {
    Row {
        origin: Origin::parse(&path.to_string_lossy()),
        kind: Kind::UNKNOWN,
        server: None,
        encoding: None,
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        status: Status::Error,
        reason: Some(reason),
        set_aside: None,
    }
}

/// Reads `path` a row group at a time, handing each frame to `each`.
/// Checks the file's schema key first.
fn each_row_group(
    path: &Path,
    columns: &[&str],
    each: &mut dyn FnMut(&DataFrame) -> Result<()>,
) -> Result<()> {
    let file = File::open(path).context("cannot open")?;
    let mut reader = ParquetReader::new(file);
    let meta = reader.get_metadata()?.clone();
    let schema = meta
        .key_value_metadata
        .as_ref()
        .and_then(|kv| kv.iter().find(|k| k.key == SCHEMA_KEY))
        .and_then(|k| k.value.clone());
    if schema.as_deref() != Some(SCHEMA) {
        bail!(
            "not an exauth evidence set file: {SCHEMA_KEY} is {}, {SCHEMA} expected",
            schema.as_deref().unwrap_or("absent")
        );
    }
    let mut offset = 0usize;
    let wanted: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    for group in &meta.row_groups {
        let rows = group.num_rows();
        let file = File::open(path).context("cannot open")?;
        let mut reader = ParquetReader::new(file)
            .with_columns(Some(wanted.clone()))
            .with_slice(Some((offset, rows)));
        reader.set_metadata(meta.clone());
        let df = reader.finish()?;
        each(&df)?;
        offset += rows;
    }
    Ok(())
}

/// Reads the datasets under `roots`, the partitions `filter` keeps, into
/// one evidence set. A file that cannot be read is an inventory row with
/// status error naming it; the rest is read.
pub fn read(roots: &[PathBuf], filter: &Filter) -> Result<EvidenceSet> {
    let mut set = EvidenceSet::default();
    let mut reader = SetReader::default();
    let mut bad: Vec<Row> = Vec::new();
    for root in roots {
        for path in walk_parts(root, false) {
            let part = match parse_part(&path) {
                Ok(part) => part,
                Err(e) => {
                    bad.push(unreadable(&path, format!("{e:#}")));
                    continue;
                }
            };
            if !EVIDENCE_TABLES.contains(&part.table.as_str()) {
                continue;
            }
            // Identities are read whole: a peer's addresses name it.
            let keep = part.table == "identities"
                || (filter.keeps_server(part.server.as_deref()) && filter.keeps_date(part.date));
            if !keep {
                continue;
            }
            // polars decodes untrusted bytes: should it ever panic on a
            // damaged file, that file is not read and the rest still is.
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                reader.read_part(&part, &mut set)
            }));
            match read {
                Ok(Ok(())) => {}
                Ok(Err(e)) => bad.push(unreadable(&path, format!("{e:#}"))),
                Err(_) => bad.push(unreadable(&path, "the Parquet reader failed on it".into())),
            }
        }
    }
    let mut rows = std::mem::take(&mut reader.rows);
    rows.extend(bad);
    reader.finish(&mut set);
    if rows.is_empty() && set.evidence.is_empty() {
        bail!(
            "the datasets hold nothing (written by `exauth extract --format parquet -o ROOT`: \
             ROOT/evidence/server=…/date=…/part-….parquet)"
        );
    }
    set.put_in_order(rows);
    Ok(set)
}

/// What reading the parts gathers besides the set itself.
#[derive(Default)]
struct SetReader {
    rows: Vec<Row>,
    banners: BannerSample,
    /// Per run (part id), the servers whose protocol logs it read.
    protocol_logs: BTreeMap<String, BTreeSet<String>>,
}

impl SetReader {
    fn read_part(&mut self, part: &Part, set: &mut EvidenceSet) -> Result<()> {
        let server = part.server.clone();
        match part.table.as_str() {
            "evidence" => {
                let columns = ["time", "time_basis", "origin", "represents", "fact"];
                each_row_group(&part.path, &columns, &mut |df| {
                    let times = integers(df, "time")?;
                    let bases = required(strings_of(df, "time_basis")?, "time_basis")?;
                    let origins = required(strings_of(df, "origin")?, "origin")?;
                    let represents = integers(df, "represents")?;
                    let facts = required(strings_of(df, "fact")?, "fact")?;
                    for i in 0..df.height() {
                        let fact: Fact = serde_json::from_str(&facts[i])
                            .with_context(|| format!("row {i}: fact"))?;
                        let time = match times[i] {
                            Some(ns) => Some(Timestamp::from_nanosecond(i128::from(ns))?),
                            None => None,
                        };
                        let e = Evidence {
                            server: server.clone(),
                            time,
                            time_basis: from_text::<TimeBasis>(&bases[i])?,
                            origin: origins[i].clone(),
                            fact,
                            local_time: None,
                            corrected: None,
                            represents: represents[i].unwrap_or(1).max(1) as u64,
                        };
                        if let Some(e) = self.banners.offer(e) {
                            set.evidence.push(e);
                        }
                    }
                    Ok(())
                })
            }
            "identities" => {
                let name = server.ok_or_else(|| anyhow!("an identity without a name"))?;
                each_row_group(&part.path, &["fqdns", "ips", "role"], &mut |df| {
                    let fqdns = required(strings_of(df, "fqdns")?, "fqdns")?;
                    let ips = required(strings_of(df, "ips")?, "ips")?;
                    let roles = required(strings_of(df, "role")?, "role")?;
                    for i in 0..df.height() {
                        set.identities.observe_host(&name);
                        for fqdn in serde_json::from_str::<Vec<String>>(&fqdns[i])? {
                            set.identities.observe_host(&fqdn);
                        }
                        for ip in serde_json::from_str::<Vec<std::net::IpAddr>>(&ips[i])? {
                            set.identities.observe_ip(&name, ip);
                        }
                        set.identities
                            .observe_role(&name, from_text::<Role>(&roles[i])?);
                    }
                    Ok(())
                })
            }
            "coverage" => each_row_group(&part.path, &["source"], &mut |df| {
                for source in required(strings_of(df, "source")?, "source")? {
                    let source: Source = from_text(&source)?;
                    match &server {
                        Some(server) => {
                            if matches!(source, Source::SendLog | Source::ReceiveLog) {
                                self.protocol_logs
                                    .entry(part.run.clone())
                                    .or_default()
                                    .insert(server.clone());
                            }
                            set.coverage
                                .by_server
                                .entry(server.clone())
                                .or_default()
                                .insert(source);
                        }
                        None => {
                            set.coverage.unattributed.insert(source);
                        }
                    }
                }
                Ok(())
            }),
            "inventory" => {
                let columns = [
                    "origin",
                    "kind",
                    "encoding",
                    "bytes",
                    "status",
                    "reason",
                    "set_aside",
                ];
                each_row_group(&part.path, &columns, &mut |df| {
                    let origins = required(strings_of(df, "origin")?, "origin")?;
                    let kinds = required(strings_of(df, "kind")?, "kind")?;
                    let encodings = strings_of(df, "encoding")?;
                    let bytes = integers(df, "bytes")?;
                    let statuses = required(strings_of(df, "status")?, "status")?;
                    let reasons = strings_of(df, "reason")?;
                    let set_aside = strings_of(df, "set_aside")?;
                    for i in 0..df.height() {
                        self.rows.push(Row {
                            origin: Origin::parse(&origins[i]),
                            kind: Kind::from_id(&kinds[i])
                                .ok_or_else(|| anyhow!("unknown kind {}", kinds[i]))?,
                            server: server.clone(),
                            encoding: encodings[i].as_deref().and_then(encoding_name),
                            bytes: bytes[i].unwrap_or(0).max(0) as u64,
                            status: Status::from_id(&statuses[i])
                                .ok_or_else(|| anyhow!("unknown status {}", statuses[i]))?,
                            reason: reasons[i].clone(),
                            set_aside: set_aside[i].clone(),
                        });
                    }
                    Ok(())
                })
            }
            "problems" => {
                each_row_group(&part.path, &["origin", "location", "message"], &mut |df| {
                    let origins = required(strings_of(df, "origin")?, "origin")?;
                    let locations = required(strings_of(df, "location")?, "location")?;
                    let messages = required(strings_of(df, "message")?, "message")?;
                    for i in 0..df.height() {
                        let location: Location = serde_json::from_str(&locations[i])?;
                        set.problems.push((
                            Origin::parse(&origins[i]),
                            Problem::new(location, messages[i].clone()),
                        ));
                    }
                    Ok(())
                })
            }
            _ => Ok(()),
        }
    }

    /// The banner sample joins the evidence; servers whose protocol logs
    /// were read by different runs get a coverage note (their sessions
    /// were never paired for clock offsets).
    fn finish(&mut self, set: &mut EvidenceSet) {
        std::mem::take(&mut self.banners).drain_into(&mut set.evidence, &mut set.sampled);
        if self.protocol_logs.len() > 1 {
            let mut runs: Vec<String> = self
                .protocol_logs
                .values()
                .map(|servers| servers.iter().cloned().collect::<Vec<_>>().join(", "))
                .collect();
            runs.sort();
            let total = runs.len();
            let shown = if total > NAMED_RUNS {
                let more = total - NAMED_RUNS;
                runs.truncate(NAMED_RUNS);
                format!("{} | … and {more} more", runs.join(" | "))
            } else {
                runs.join(" | ")
            };
            set.notes.push(format!(
                "protocol-log sessions were not paired for clock offsets between servers \
                 extracted in different runs ({total} runs: {shown}); extract their protocol \
                 logs together to pair them"
            ));
        }
    }
}

/// Runs the unpaired-sessions note names before it counts the rest.
const NAMED_RUNS: usize = 8;

/// Per (server, peer), the banner clock samples with the smallest hash of
/// their origin, under one budget for the whole dataset — the same rule
/// and the same keys as scan's sample of a raw collection
/// (`pipeline::Bounded`), so memory stays flat however many servers the
/// dataset holds, and a dataset of one run keeps what that run kept.
struct BannerSample {
    by_pair: BTreeMap<(String, String), std::collections::BinaryHeap<Keyed>>,
    per_pair: usize,
    total: usize,
    offered: u64,
}

const KEPT_PER_PEER: usize = 2000;
const KEPT_PER_PEER_AT_LEAST: usize = 2;
const KEPT_IN_ALL: usize = 1 << 15;

impl Default for BannerSample {
    fn default() -> Self {
        BannerSample {
            by_pair: BTreeMap::new(),
            per_pair: KEPT_PER_PEER,
            total: 0,
            offered: 0,
        }
    }
}

struct Keyed {
    key: (u64, u64),
    item: Evidence,
}

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Keyed {}
impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl BannerSample {
    /// Takes a banner clock sample of a server; anything else comes back.
    fn offer(&mut self, e: Evidence) -> Option<Evidence> {
        let (
            Some(server),
            Fact::ClockSample {
                basis: ClockBasis::Banner,
                remote_server,
                remote_ip,
                ..
            },
        ) = (&e.server, &e.fact)
        else {
            return Some(e);
        };
        self.offered += 1;
        let key = (
            fnv1a(e.origin.as_bytes()),
            fnv1a_continue(0x9E37_79B9_7F4A_7C15, e.origin.as_bytes()),
        );
        let pair = (server.clone(), format!("{remote_ip:?}/{remote_server:?}"));
        let heap = self.by_pair.entry(pair).or_default();
        let before = heap.len();
        if heap.len() < self.per_pair {
            heap.push(Keyed { key, item: e });
        } else if heap.peek().is_some_and(|top| key < top.key) {
            heap.pop();
            heap.push(Keyed { key, item: e });
        }
        self.total += heap.len() - before;
        while self.total > KEPT_IN_ALL && self.per_pair > KEPT_PER_PEER_AT_LEAST {
            self.per_pair = (self.per_pair / 2).max(KEPT_PER_PEER_AT_LEAST);
            self.total = 0;
            for heap in self.by_pair.values_mut() {
                while heap.len() > self.per_pair {
                    heap.pop();
                }
                heap.shrink_to_fit();
                self.total += heap.len();
            }
        }
        None
    }

    fn drain_into(self, out: &mut Vec<Evidence>, sampled: &mut crate::pipeline::Sampled) {
        sampled.banner_samples_kept = self.total as u64;
        sampled.banner_samples_read = self.offered;
        for (_, heap) in self.by_pair {
            out.extend(heap.into_iter().map(|k| k.item));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `failures` column of a queue exported in a loop sums as scan
    /// counts its pair, folded (`ingest::queue::QueueFold`: a run's first,
    /// and its last standing for the rest) or not.
    #[test]
    fn a_folded_queue_run_sums_as_every_snapshot_kept() {
        use crate::correlate::incident::queue_retries;
        use crate::evidence::testing::{at, queue_error};
        let snapshot = |k: u64| {
            let fact = queue_error(
                "EX01\\3",
                "454 4.7.0 Temporary authentication failure",
                11 + k,
            );
            at("EX01", 60 * k as i64, fact)
        };
        // Every snapshot of a queue seen more than once has its count.
        let sum = |evidence: &[Evidence]| -> u64 {
            let counts = queue_retries(evidence);
            assert_eq!(counts.len(), evidence.len());
            counts
                .values()
                .map(|&count| failure_count(&evidence[0], Some(count)))
                .sum()
        };
        let every: Vec<Evidence> = (0..100).map(snapshot).collect();
        let mut last = snapshot(99);
        last.represents = 99;
        let folded = vec![snapshot(0), last.clone()];
        assert_eq!(sum(&folded), sum(&every));
        assert_eq!(sum(&every), 11 + 99);
        // Alone, the last says its RetryCount.
        assert_eq!(failure_count(&last, None), 11 + 99);
    }

    /// The `failures` column of queue rows counted past the cap
    /// (`ingest::queue_rows`: exemplars carrying what they count) sums as
    /// with every row kept: 600 distinct queues, one of them exported three
    /// times, at caps that keep that queue's rows and caps that count them.
    #[test]
    fn queue_rows_counted_past_the_cap_sum_as_every_row_kept() {
        use crate::correlate::incident::queue_retries;
        use crate::evidence::aggregate::Limits;
        use crate::evidence::testing::{at, queue_error};
        use crate::ingest::queue_rows::QueueRows;
        let row = |queue: &str, second: i64, count: u64| {
            let fact = queue_error(queue, "454 4.7.0 Temporary authentication failure", count);
            let mut e = at("EX01", second, fact);
            e.origin = format!("EX01/{queue}.txt:{second}");
            e
        };
        let mut rows: Vec<Evidence> = (0..600)
            .map(|q| row(&format!("EX01\\{q}"), q, 1 + (q % 9) as u64))
            .collect();
        rows.extend([row("EX01\\7", 700, 20), row("EX01\\7", 800, 3)]);
        // The column's sum: the rows `queue_retries` counts (a queue seen
        // more than once and kept as read: here `EX01\7`'s) with its count,
        // every other row on its own.
        let column = |evidence: &[Evidence]| -> u64 {
            let counts = queue_retries(evidence);
            let reconciled = |e: &&Evidence| matches!(&e.fact, Fact::QueueLastError { queue, counted: None, .. } if queue == "EX01\\7");
            assert_eq!(counts.len(), evidence.iter().filter(reconciled).count());
            let alone: u64 = evidence
                .iter()
                .filter(|e| !reconciled(e))
                .map(|e| failure_count(e, None))
                .sum();
            let again: u64 = counts
                .values()
                .map(|&count| failure_count(&evidence[0], Some(count)))
                .sum();
            alone + again
        };
        let every = column(&rows);
        assert_eq!(every, (0..600).map(|q| 1 + q % 9).sum::<u64>() - 8 + 20 + 3);
        for cap in [1, 50, 300, 599, 601] {
            let mut queue_rows = QueueRows::new(Limits {
                queue_rows: cap,
                ..Limits::default()
            });
            for e in rows.iter().cloned() {
                assert!(queue_rows.offer(e).is_none());
            }
            let mut out = Vec::new();
            let _ = queue_rows.finish(&mut out);
            assert!(
                out.iter().any(|e| matches!(
                    e.fact,
                    Fact::QueueLastError {
                        counted: Some(_),
                        ..
                    }
                )),
                "cap {cap}: rows counted"
            );
            assert_eq!(column(&out), every, "cap {cap}");
        }
    }

    #[test]
    fn partition_values_never_make_paths() {
        for hostile in [
            "../../etc",
            "a/b",
            "..",
            ".",
            "x\0y",
            "a\\b",
            "s=1",
            "EX 01",
            "ü",
        ] {
            let encoded = encode_value(Some(hostile));
            assert!(!encoded.contains(['/', '\\', '\0', '=']), "{encoded}");
            assert!(encoded != ".." && encoded != ".", "{encoded}");
            if !hostile.contains('\0') {
                assert_eq!(decode_value(&encoded).unwrap().as_deref(), Some(hostile));
            }
        }
        assert_eq!(encode_value(Some("EX01")), "EX01");
        assert_eq!(encode_value(None), NULL_PARTITION);
        assert_eq!(decode_value(NULL_PARTITION).unwrap(), None);
        let literal = encode_value(Some(NULL_PARTITION));
        assert_ne!(literal, NULL_PARTITION);
        assert_eq!(
            decode_value(&literal).unwrap().as_deref(),
            Some(NULL_PARTITION)
        );
        assert!(decode_value("%zz").is_err());
        assert!(decode_value("a%00b").is_err());
    }

    #[test]
    fn part_ids_follow_the_inputs() {
        let a = part_id(&[PathBuf::from("/nonexistent/EX01")]);
        let b = part_id(&[PathBuf::from("/nonexistent/EX02")]);
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert_eq!(
            part_id(&[PathBuf::from("/x/a"), PathBuf::from("/x/b")]),
            part_id(&[PathBuf::from("/x/b"), PathBuf::from("/x/a")])
        );
    }
}
