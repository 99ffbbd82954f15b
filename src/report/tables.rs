//! CSV and Parquet tables of the exported rows, built as polars DataFrames:
//! one file per row kind in a folder ([`write`]: CSV), or one part per kind,
//! server and date of a Hive-partitioned dataset ([`write_dataset`]:
//! `extract --format parquet`, see `super::dataset`).
//!
//! Schema per table: `kind`, `server`, `origin`, then the kind's fields in
//! name order. Nested values (lists, objects) become JSON text; a column
//! whose every value is an RFC 3339 UTC time becomes `Datetime(ns, UTC)`;
//! all-integer columns `Int64`, other numbers `Float64`, booleans `Boolean`,
//! the rest `String`. CSV cells that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@`, tab, CR at the start) are prefixed with `'`.

use super::dataset::{DatasetWriter, PartFile};
use super::export::CollectionRows;
use crate::ingest::row::read_binary;
use crate::ingest::RowEncoding;
use crate::pipeline::SpooledRows;
use anyhow::{bail, Context, Result};
use polars::prelude::*;
use polars_io::csv::write::{BatchedWriter as CsvBatched, CsvWriter};
use polars_io::parquet::write::{BatchedWriter as ParquetBatched, ParquetWriter};
use polars_io::SerWriter;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
}

/// Rows per batch handed to polars: the most a table holds in memory (a CSV
/// batch, a Parquet row group).
const BATCH_ROWS: usize = 8192;

/// Writes `<dir>/<kind>.csv|.parquet` for every kind present: every
/// artifact's rows (spooled in [`RowEncoding::Binary`] while it was read), in
/// sorted origin order, then the collection's own rows. Two passes over the
/// rows, neither holding them: the first types every column from all its
/// values, the second writes the tables a batch at a time.
pub fn write(
    artifacts: &SpooledRows,
    collection: &CollectionRows<'_>,
    dir: &Path,
    format: TableFormat,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let schemas = schemas(artifacts, collection)?;
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for (kind, schema) in schemas {
        let path = dir.join(format!(
            "{kind}.{}",
            match format {
                TableFormat::Csv => "csv",
                TableFormat::Parquet => "parquet",
            }
        ));
        let table = File::create(&path)
            .map_err(anyhow::Error::from)
            .and_then(|file| Table::create(file, schema.columns(), Writer::Flat(format)))
            .with_context(|| format!("cannot write {}", path.display()))?;
        tables.insert(kind, table);
    }
    let mut failed: Option<anyhow::Error> = None;
    let read = each_row(artifacts, collection, &mut |fields| {
        let kind = kind_of(fields);
        let Some(table) = tables.get_mut(kind) else {
            return Ok(());
        };
        table
            .push(fields)
            .map_err(|e| keep_error(e, kind, &mut failed))
    });
    if let Err(e) = read {
        return Err(match failed {
            Some(failed) => failed,
            None => anyhow::Error::new(e).context("reading the spooled rows"),
        });
    }
    for (kind, table) in tables {
        table
            .finish()
            .with_context(|| format!("writing the {kind} table"))?;
    }
    Ok(())
}

/// Rows buffered over all partitions before every table writes its batch:
/// a collection's many (kind, server, date) partitions stay bounded.
const BUFFERED_ROWS: usize = 65536;

/// Writes the record tables as this run's parts of a Hive-partitioned
/// dataset (`super::dataset`): `<kind>/server=…/date=…/part-<id>.parquet`,
/// without the `kind` and `server` columns (the path holds them). A row's
/// date is the UTC date of its `time` column, else of its first other
/// time column (in name order) that has a value.
pub fn write_dataset(
    artifacts: &SpooledRows,
    collection: &CollectionRows<'_>,
    writer: &mut DatasetWriter,
) -> Result<()> {
    // Per kind: its columns, and the time columns that date a row.
    type Layout = (Vec<(String, ColumnType)>, Vec<String>);
    let mut layouts: BTreeMap<String, Layout> = BTreeMap::new();
    for (kind, schema) in schemas(artifacts, collection)? {
        let columns: Vec<(String, ColumnType)> = schema
            .columns()
            .into_iter()
            .filter(|(name, _)| name != "kind" && name != "server")
            .collect();
        let mut dates: Vec<String> = columns
            .iter()
            .filter(|(_, t)| *t == ColumnType::Time)
            .map(|(name, _)| name.clone())
            .collect();
        dates.sort_by_key(|name| name != "time");
        layouts.insert(kind, (columns, dates));
    }
    type Key = (String, Option<String>, Option<jiff::civil::Date>);
    let mut tables: BTreeMap<Key, (Table, PartFile)> = BTreeMap::new();
    let mut buffered = 0usize;
    let mut failed: Option<anyhow::Error> = None;
    let read = each_row(artifacts, collection, &mut |fields| {
        let kind = kind_of(fields);
        let Some((columns, dates)) = layouts.get(kind) else {
            return Ok(());
        };
        let server = fields.get("server").and_then(Value::as_str);
        let time = dates
            .iter()
            .find_map(|c| fields.get(c).and_then(parse_time));
        let date = super::dataset::date_value(
            time.and_then(|ns| jiff::Timestamp::from_nanosecond(i128::from(ns)).ok()),
        );
        let key: Key = (kind.to_string(), server.map(str::to_string), date);
        let pushed = (|| -> Result<()> {
            if !tables.contains_key(&key) {
                let part = writer.part(kind, server, date)?;
                let file = File::create(part.temp_path())
                    .with_context(|| format!("cannot write {}", part.temp_path().display()))?;
                let table = Table::create(
                    file,
                    columns.clone(),
                    Writer::Part {
                        table: kind,
                        id: writer.id(),
                    },
                )?;
                tables.insert(key.clone(), (table, part));
            }
            if let Some((table, _)) = tables.get_mut(&key) {
                table.push(fields)?;
            }
            buffered += 1;
            if buffered >= BUFFERED_ROWS {
                buffered = 0;
                for (table, _) in tables.values_mut() {
                    table.flush()?;
                }
            }
            Ok(())
        })();
        pushed.map_err(|e| keep_error(e, kind, &mut failed))
    });
    if let Err(e) = read {
        return Err(match failed {
            Some(failed) => failed,
            None => anyhow::Error::new(e).context("reading the spooled rows"),
        });
    }
    for ((kind, _, _), (table, part)) in tables {
        table
            .finish()
            .with_context(|| format!("writing the {kind} table"))?;
        part.commit()?;
    }
    Ok(())
}

/// Keeps a table's error for the caller; the row loop stops on it.
fn keep_error(e: anyhow::Error, kind: &str, failed: &mut Option<anyhow::Error>) -> io::Error {
    let e = e.context(format!("writing the {kind} table"));
    let text = format!("{e:#}");
    *failed = Some(e);
    io::Error::other(text)
}

/// Every table's schema, typed from all its values (the first pass over
/// the rows, holding none of them).
fn schemas(
    artifacts: &SpooledRows,
    collection: &CollectionRows<'_>,
) -> Result<BTreeMap<String, TableSchema>> {
    if artifacts.encoding != RowEncoding::Binary {
        bail!("the rows were not spooled for tables");
    }
    let mut schemas: BTreeMap<String, TableSchema> = BTreeMap::new();
    each_row(artifacts, collection, &mut |fields| {
        let kind = kind_of(fields);
        match schemas.get_mut(kind) {
            Some(schema) => schema.note(fields),
            None => schemas.entry(kind.to_string()).or_default().note(fields),
        }
        Ok(())
    })
    .context("reading the spooled rows")?;
    Ok(schemas)
}

fn kind_of(fields: &Map<String, Value>) -> &str {
    fields.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// Every row's fields, in order: the artifacts' then the collection's.
fn each_row(
    artifacts: &SpooledRows,
    collection: &CollectionRows<'_>,
    each: &mut dyn FnMut(&Map<String, Value>) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    for artifact in &artifacts.artifacts {
        let mut reader = BufReader::with_capacity(64 << 10, artifacts.reader(artifact));
        while let Some(fields) = read_binary(&mut reader, &mut buf)? {
            each(&fields)?;
        }
    }
    collection.each(&mut |row| each(&row.fields))
}

/// What a table's columns hold, over all its rows.
#[derive(Debug, Default)]
struct TableSchema {
    columns: BTreeMap<String, ColumnStats>,
}

/// What the values of one column are, over all rows (nulls and absent
/// fields left out).
#[derive(Debug, Clone, Copy)]
struct ColumnStats {
    present: bool,
    all_bool: bool,
    all_int: bool,
    all_number: bool,
    all_time: bool,
}

impl Default for ColumnStats {
    fn default() -> Self {
        ColumnStats {
            present: false,
            all_bool: true,
            all_int: true,
            all_number: true,
            all_time: true,
        }
    }
}

impl ColumnStats {
    fn note(&mut self, v: &Value) {
        if v.is_null() {
            return;
        }
        self.present = true;
        self.all_bool &= v.is_boolean();
        self.all_int &= v.is_i64() || v.is_u64();
        self.all_number &= v.is_number();
        self.all_time = self.all_time && parse_time(v).is_some();
    }

    /// The column's type: the first of boolean, integer, number and time
    /// that all its values are; text otherwise.
    fn column_type(self) -> ColumnType {
        match self {
            ColumnStats { present: false, .. } => ColumnType::Text,
            ColumnStats { all_bool: true, .. } => ColumnType::Bool,
            ColumnStats { all_int: true, .. } => ColumnType::Int,
            ColumnStats {
                all_number: true, ..
            } => ColumnType::Float,
            ColumnStats { all_time: true, .. } => ColumnType::Time,
            _ => ColumnType::Text,
        }
    }
}

impl TableSchema {
    fn note(&mut self, fields: &Map<String, Value>) {
        for (name, value) in fields {
            match self.columns.get_mut(name) {
                Some(stats) => stats.note(value),
                None => self.columns.entry(name.clone()).or_default().note(value),
            }
        }
    }

    /// The columns: the envelope first, then the rest sorted.
    fn columns(self) -> Vec<(String, ColumnType)> {
        let mut columns = self.columns;
        let mut out: Vec<(String, ColumnType)> = ["kind", "server", "origin"]
            .into_iter()
            .map(|name| {
                let stats = columns.remove(name).unwrap_or_default();
                (name.to_string(), stats.column_type())
            })
            .collect();
        out.extend(
            columns
                .into_iter()
                .map(|(name, stats)| (name, stats.column_type())),
        );
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    Bool,
    Int,
    Float,
    Time,
    Text,
}

impl ColumnType {
    fn dtype(self) -> DataType {
        match self {
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Int => DataType::Int64,
            ColumnType::Float => DataType::Float64,
            ColumnType::Time => DataType::Datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC)),
            ColumnType::Text => DataType::String,
        }
    }
}

/// The values of one column in the current batch.
enum ColumnValues {
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Time(Vec<Option<i64>>),
    Text(Vec<Option<String>>),
}

impl ColumnValues {
    fn new(kind: ColumnType) -> Self {
        match kind {
            ColumnType::Bool => ColumnValues::Bool(Vec::new()),
            ColumnType::Int => ColumnValues::Int(Vec::new()),
            ColumnType::Float => ColumnValues::Float(Vec::new()),
            ColumnType::Time => ColumnValues::Time(Vec::new()),
            ColumnType::Text => ColumnValues::Text(Vec::new()),
        }
    }

    fn push(&mut self, v: &Value, csv: bool) {
        match self {
            ColumnValues::Bool(values) => values.push(v.as_bool()),
            ColumnValues::Int(values) => values.push(v.as_i64()),
            ColumnValues::Float(values) => values.push(v.as_f64()),
            ColumnValues::Time(values) => values.push(parse_time(v)),
            ColumnValues::Text(values) => values.push(match v {
                Value::Null => None,
                Value::String(s) => Some(if csv { defuse(s) } else { s.clone() }),
                other => Some(if csv {
                    defuse(&other.to_string())
                } else {
                    other.to_string()
                }),
            }),
        }
    }

    /// The batch's values as a series; the column is empty after.
    fn take(&mut self, name: &str) -> Result<Series> {
        let name = PlSmallStr::from(name);
        Ok(match self {
            ColumnValues::Bool(values) => Series::new(name, std::mem::take(values)),
            ColumnValues::Int(values) => Series::new(name, std::mem::take(values)),
            ColumnValues::Float(values) => Series::new(name, std::mem::take(values)),
            ColumnValues::Time(values) => {
                Series::new(name, std::mem::take(values)).cast(&ColumnType::Time.dtype())?
            }
            ColumnValues::Text(values) => Series::new(name, std::mem::take(values)),
        })
    }
}

/// One table being written, a batch at a time.
struct Table {
    columns: Vec<(String, ColumnValues)>,
    rows: usize,
    csv: bool,
    writer: TableWriter,
}

/// Where a table goes: a flat file of the format, or a dataset part.
enum Writer<'a> {
    Flat(TableFormat),
    Part { table: &'a str, id: &'a str },
}

enum TableWriter {
    Csv(CsvBatched<File>),
    Parquet(Box<ParquetBatched<File>>),
}

impl Table {
    fn create(file: File, columns: Vec<(String, ColumnType)>, writer: Writer<'_>) -> Result<Table> {
        let schema: Schema = columns
            .iter()
            .map(|(name, kind)| Field::new(PlSmallStr::from(name.as_str()), kind.dtype()))
            .collect();
        let (writer, csv) = match writer {
            Writer::Flat(TableFormat::Csv) => (
                TableWriter::Csv(CsvWriter::new(file).batched(&schema)?),
                true,
            ),
            Writer::Flat(TableFormat::Parquet) => (
                TableWriter::Parquet(Box::new(ParquetWriter::new(file).batched(&schema)?)),
                false,
            ),
            Writer::Part { table, id } => (
                TableWriter::Parquet(Box::new(
                    super::dataset::parquet_writer(file, table, id, super::dataset::RECORDS_SCHEMA)
                        .batched(&schema)?,
                )),
                false,
            ),
        };
        Ok(Table {
            columns: columns
                .into_iter()
                .map(|(name, kind)| (name, ColumnValues::new(kind)))
                .collect(),
            rows: 0,
            csv,
            writer,
        })
    }

    fn push(&mut self, fields: &Map<String, Value>) -> Result<()> {
        for (name, values) in &mut self.columns {
            values.push(fields.get(name).unwrap_or(&Value::Null), self.csv);
        }
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut cols: Vec<Column> = Vec::with_capacity(self.columns.len());
        for (name, values) in &mut self.columns {
            cols.push(values.take(name)?.into());
        }
        self.rows = 0;
        let df = DataFrame::new_infer_height(cols)?;
        match &mut self.writer {
            TableWriter::Csv(w) => w.write_batch(&df)?,
            TableWriter::Parquet(w) => w.write_batch(&df)?,
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.flush()?;
        match &mut self.writer {
            TableWriter::Csv(w) => w.finish()?,
            TableWriter::Parquet(w) => {
                w.finish()?;
            }
        }
        Ok(())
    }
}

fn parse_time(v: &Value) -> Option<i64> {
    let text = v.as_str()?;
    if !text.ends_with('Z') {
        return None;
    }
    let t: jiff::Timestamp = text.parse().ok()?;
    i64::try_from(t.as_nanosecond()).ok()
}

/// Keeps spreadsheets from running a cell as a formula.
fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_for_csv() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-cmd"), "'-cmd");
        assert_eq!(defuse("EX01"), "EX01");
    }
}
