//! CSV and Parquet tables of the exported rows, one file per row kind, built
//! as polars DataFrames.
//!
//! Schema per table: `kind`, `server`, `origin`, then the kind's fields in
//! name order. Nested values (lists, objects) become JSON text; a column
//! whose every value is an RFC 3339 UTC time becomes `Datetime(ns, UTC)`;
//! all-integer columns `Int64`, other numbers `Float64`, booleans `Boolean`,
//! the rest `String`. CSV cells that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@`, tab, CR at the start) are prefixed with `'`.

use super::export::Row;
use anyhow::{Context, Result};
use polars::prelude::*;
use polars_io::parquet::write::ParquetWriter;
use polars_io::prelude::CsvWriter;
use polars_io::SerWriter;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
}

/// Writes `<dir>/<kind>.csv|.parquet` for every kind present.
pub fn write(rows: &[Row], dir: &Path, format: TableFormat) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut by_kind: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        by_kind.entry(row.kind).or_default().push(row);
    }
    for (kind, rows) in by_kind {
        let mut df = frame(&rows, format == TableFormat::Csv)
            .with_context(|| format!("building the {kind} table"))?;
        let path = dir.join(format!(
            "{kind}.{}",
            match format {
                TableFormat::Csv => "csv",
                TableFormat::Parquet => "parquet",
            }
        ));
        let file = std::fs::File::create(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        match format {
            TableFormat::Csv => CsvWriter::new(file).finish(&mut df)?,
            TableFormat::Parquet => {
                ParquetWriter::new(file).finish(&mut df)?;
            }
        }
    }
    Ok(())
}

/// The column names of a table: the envelope first, then the rest sorted.
fn columns(rows: &[&Row]) -> Vec<String> {
    let mut rest: Vec<String> = rows
        .iter()
        .flat_map(|r| r.fields.keys().cloned())
        .filter(|k| !matches!(k.as_str(), "kind" | "server" | "origin"))
        .collect();
    rest.sort();
    rest.dedup();
    let mut out = vec![
        "kind".to_string(),
        "server".to_string(),
        "origin".to_string(),
    ];
    out.extend(rest);
    out
}

fn frame(rows: &[&Row], csv: bool) -> Result<DataFrame> {
    let mut cols: Vec<Column> = Vec::new();
    for name in columns(rows) {
        let values: Vec<&Value> = rows
            .iter()
            .map(|r| r.fields.get(&name).unwrap_or(&Value::Null))
            .collect();
        cols.push(column(&name, &values, csv)?.into());
    }
    Ok(DataFrame::new_infer_height(cols)?)
}

fn parse_time(v: &Value) -> Option<i64> {
    let text = v.as_str()?;
    if !text.ends_with('Z') {
        return None;
    }
    let t: jiff::Timestamp = text.parse().ok()?;
    i64::try_from(t.as_nanosecond()).ok()
}

fn column(name: &str, values: &[&Value], csv: bool) -> Result<Series> {
    let present: Vec<&&Value> = values.iter().filter(|v| !v.is_null()).collect();
    let name = PlSmallStr::from(name);
    if !present.is_empty() && present.iter().all(|v| v.is_boolean()) {
        let data: Vec<Option<bool>> = values.iter().map(|v| v.as_bool()).collect();
        return Ok(Series::new(name, data));
    }
    if !present.is_empty() && present.iter().all(|v| v.is_i64() || v.is_u64()) {
        let data: Vec<Option<i64>> = values.iter().map(|v| v.as_i64()).collect();
        return Ok(Series::new(name, data));
    }
    if !present.is_empty() && present.iter().all(|v| v.is_number()) {
        let data: Vec<Option<f64>> = values.iter().map(|v| v.as_f64()).collect();
        return Ok(Series::new(name, data));
    }
    if !present.is_empty() && present.iter().all(|v| parse_time(v).is_some()) {
        let data: Vec<Option<i64>> = values.iter().map(|v| parse_time(v)).collect();
        let series = Series::new(name, data);
        return Ok(series.cast(&DataType::Datetime(
            TimeUnit::Nanoseconds,
            Some(TimeZone::UTC),
        ))?);
    }
    let data: Vec<Option<String>> = values
        .iter()
        .map(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(if csv { defuse(s) } else { s.clone() }),
            other => Some(if csv {
                defuse(&other.to_string())
            } else {
                other.to_string()
            }),
        })
        .collect();
    Ok(Series::new(name, data))
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
