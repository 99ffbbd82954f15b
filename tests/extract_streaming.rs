//! Issue 12 (sinks): `extract` streams. A `.evtx` is read a batch of events at
//! a time and its rows are put back in the report's order by a sorter that
//! holds a few MiB (spilling sorted runs to a temporary file and merging them);
//! an archive entry over 4 MiB is copied to a temporary file, never held
//! whole; the CSV tables are written a batch of rows at a time. Each must give
//! exactly what reading the whole file and building whole tables gave: the
//! rows of `read_evtx_path`'s report, and the CSV of one polars frame per
//! table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use exauth::ingest::events::EventRecords;
use exauth::ingest::{Place, Records, Row};
use exauth_parsers::evtx::{read_evtx_path, EvtxReadOptions};
use exauth_parsers::evtx_writer::{self, DataValue, EventData, Provider};
use std::io::Write;
use std::path::Path;

#[path = "../parsers/examples/evtx_gen.rs"]
#[allow(dead_code)]
mod evtx_gen;

fn exauth(dir: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The JSON lines of the events `read_evtx_path` keeps, in its order.
fn whole_report_rows(path: &Path, origin: &str) -> String {
    let report = read_evtx_path(path, EvtxReadOptions { threads: 2 });
    let mut rows: Vec<Row> = Vec::new();
    EventRecords(report).rows(
        Place {
            origin,
            server: None,
        },
        &mut rows,
    );
    rows.iter().map(|r| format!("{}\n", r.to_json())).collect()
}

/// Kerberos pre-authentication failures (4771, all catalogued) whose times
/// run in two stretches, the second before the first: more rows than the
/// sorter holds, and a second sorted run to merge. Times repeat and jitter.
fn out_of_order_log(records: u64) -> Vec<u8> {
    let base: jiff::Timestamp = "2026-11-26T07:00:00Z".parse().unwrap();
    let provider = Provider::manifest(
        "Microsoft-Windows-Security-Auditing",
        "{54849625-5478-4994-A5BA-3E3B0328C30D}".parse().unwrap(),
    );
    let half = records / 2;
    let events: Vec<evtx_writer::EventRecord> = (0..records)
        .map(|i| {
            let jitter = ((i * 7919) % 13) as i64 - 6;
            let second = if i < half { 100_000 + i } else { i - half } as i64 / 2 + jitter;
            evtx_writer::EventRecord {
                provider: provider.clone(),
                event_id: 4771,
                level: 0,
                channel: "Security".into(),
                computer: "DC01.contoso.com".into(),
                time: base
                    .checked_add(jiff::SignedDuration::from_secs(second))
                    .unwrap(),
                data: EventData::named(vec![
                    ("TargetUserName", DataValue::String(format!("user{i}"))),
                    (
                        "ServiceName",
                        DataValue::String("krbtgt/CONTOSO.COM".into()),
                    ),
                    ("Status", DataValue::HexInt32(0x18)),
                    ("IpAddress", DataValue::String("::ffff:10.0.0.12".into())),
                ]),
                ..Default::default()
            }
        })
        .collect();
    evtx_writer::write_evtx(&events).unwrap()
}

#[test]
fn an_evtx_streamed_gives_the_rows_of_the_whole_report() {
    let dir = tempfile::tempdir().unwrap();
    let (generated, _) = evtx_gen::dc_security_log(6_000_000, 3).unwrap();
    let logs = [
        ("Security.evtx", generated),
        ("Shuffled.evtx", out_of_order_log(12_000)),
    ];
    for (name, bytes) in &logs {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let expected = whole_report_rows(&dir.path().join(name), name);
        if *name == "Shuffled.evtx" {
            assert!(expected.len() > 4 << 20, "more rows than the sorter holds");
        }
        let actual = exauth(dir.path(), &["extract", "-q", "--format", "jsonl", name]);
        assert!(
            String::from_utf8(actual).unwrap() == expected,
            "{name}: rows differ from the whole report's"
        );
        for threads in ["1", "2"] {
            let again = exauth(
                dir.path(),
                &[
                    "--threads",
                    threads,
                    "extract",
                    "-q",
                    "--format",
                    "jsonl",
                    name,
                ],
            );
            assert!(
                String::from_utf8(again).unwrap() == expected,
                "{name}, {threads} threads"
            );
        }
    }
}

#[test]
fn an_evtx_in_a_zip_reads_as_the_same_file_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let log = out_of_order_log(14_000);
    assert!(log.len() > 4 << 20, "over the in-memory limit for an entry");
    std::fs::write(dir.path().join("Security.evtx"), &log).unwrap();
    for method in [
        zip::CompressionMethod::Stored,
        zip::CompressionMethod::Deflated,
    ] {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        writer.start_file("Security.evtx", options).unwrap();
        writer.write_all(&log).unwrap();
        let zip = writer.finish().unwrap().into_inner();
        std::fs::write(dir.path().join("DC01-1126.zip"), zip).unwrap();
        let on_disk = exauth(
            dir.path(),
            &["extract", "-q", "--format", "jsonl", "Security.evtx"],
        );
        let in_zip = exauth(
            dir.path(),
            &["extract", "-q", "--format", "jsonl", "DC01-1126.zip"],
        );
        let in_zip = String::from_utf8(in_zip)
            .unwrap()
            .replace("DC01-1126.zip!Security.evtx", "Security.evtx");
        assert!(
            in_zip == String::from_utf8(on_disk).unwrap(),
            "{method:?}: the entry reads as the file"
        );
        let scan = |path: &str| {
            let output = Command::cargo_bin("exauth")
                .unwrap()
                .current_dir(dir.path())
                .args(["scan", "-q", "--format", "json", "--generated-at"])
                .args(["2026-01-01T00:00:00Z", path])
                .output()
                .unwrap();
            String::from_utf8(output.stdout).unwrap()
        };
        let from_zip =
            scan("DC01-1126.zip").replace("DC01-1126.zip!Security.evtx", "Security.evtx");
        assert!(
            from_zip == scan("Security.evtx"),
            "{method:?}: the same scan"
        );
    }
}

/// The CSV tables as they were built before streaming: one polars frame per
/// kind from all its rows, written whole.
#[cfg(feature = "tables")]
mod whole_tables {
    use polars::prelude::*;
    use polars_io::prelude::CsvWriter;
    use polars_io::SerWriter;
    use serde_json::{Map, Value};
    use std::collections::BTreeMap;

    pub fn csv(rows: &[Map<String, Value>]) -> BTreeMap<String, Vec<u8>> {
        let mut by_kind: BTreeMap<String, Vec<&Map<String, Value>>> = BTreeMap::new();
        for row in rows {
            by_kind
                .entry(row["kind"].as_str().unwrap().to_string())
                .or_default()
                .push(row);
        }
        by_kind
            .into_iter()
            .map(|(kind, rows)| {
                let mut df = frame(&rows);
                let mut out = Vec::new();
                CsvWriter::new(&mut out).finish(&mut df).unwrap();
                (format!("{kind}.csv"), out)
            })
            .collect()
    }

    fn frame(rows: &[&Map<String, Value>]) -> DataFrame {
        let mut rest: Vec<String> = rows
            .iter()
            .flat_map(|r| r.keys().cloned())
            .filter(|k| !matches!(k.as_str(), "kind" | "server" | "origin"))
            .collect();
        rest.sort();
        rest.dedup();
        let mut names = vec!["kind".to_string(), "server".into(), "origin".into()];
        names.extend(rest);
        let cols: Vec<Column> = names
            .iter()
            .map(|name| {
                let values: Vec<&Value> = rows
                    .iter()
                    .map(|r| r.get(name).unwrap_or(&Value::Null))
                    .collect();
                column(name, &values).into()
            })
            .collect();
        DataFrame::new_infer_height(cols).unwrap()
    }

    fn parse_time(v: &Value) -> Option<i64> {
        let text = v.as_str()?;
        if !text.ends_with('Z') {
            return None;
        }
        let t: jiff::Timestamp = text.parse().ok()?;
        i64::try_from(t.as_nanosecond()).ok()
    }

    fn column(name: &str, values: &[&Value]) -> Series {
        let present: Vec<&&Value> = values.iter().filter(|v| !v.is_null()).collect();
        let name = PlSmallStr::from(name);
        if !present.is_empty() && present.iter().all(|v| v.is_boolean()) {
            return Series::new(name, values.iter().map(|v| v.as_bool()).collect::<Vec<_>>());
        }
        if !present.is_empty() && present.iter().all(|v| v.is_i64() || v.is_u64()) {
            return Series::new(name, values.iter().map(|v| v.as_i64()).collect::<Vec<_>>());
        }
        if !present.is_empty() && present.iter().all(|v| v.is_number()) {
            return Series::new(name, values.iter().map(|v| v.as_f64()).collect::<Vec<_>>());
        }
        if !present.is_empty() && present.iter().all(|v| parse_time(v).is_some()) {
            let data: Vec<Option<i64>> = values.iter().map(|v| parse_time(v)).collect();
            return Series::new(name, data)
                .cast(&DataType::Datetime(
                    TimeUnit::Nanoseconds,
                    Some(TimeZone::UTC),
                ))
                .unwrap();
        }
        let data: Vec<Option<String>> = values
            .iter()
            .map(|v| match v {
                Value::Null => None,
                Value::String(s) => Some(defuse(s)),
                other => Some(defuse(&other.to_string())),
            })
            .collect();
        Series::new(name, data)
    }

    fn defuse(cell: &str) -> String {
        match cell.chars().next() {
            Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
            _ => cell.to_string(),
        }
    }
}

#[cfg(feature = "tables")]
#[test]
fn csv_tables_written_a_batch_at_a_time_are_the_whole_tables() {
    let dir = tempfile::tempdir().unwrap();
    // More than one batch (8192 rows) of events, and a sample with every
    // kind of row.
    std::fs::write(dir.path().join("Security.evtx"), out_of_order_log(20_000)).unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for path in [
        dir.path().join("Security.evtx"),
        samples.join("mixed"),
        samples.join("connector-auth"),
    ] {
        let path = path.to_str().unwrap();
        let jsonl = exauth(dir.path(), &["extract", "-q", "--format", "jsonl", path]);
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = String::from_utf8(jsonl)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let expected = whole_tables::csv(&rows);
        let out = dir.path().join("csv");
        let _ = std::fs::remove_dir_all(&out);
        exauth(
            dir.path(),
            &[
                "-o",
                out.to_str().unwrap(),
                "extract",
                "-q",
                "--format",
                "csv",
                path,
            ],
        );
        let mut actual = std::collections::BTreeMap::new();
        for entry in std::fs::read_dir(&out).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            actual.insert(name, std::fs::read(entry.path()).unwrap());
        }
        assert_eq!(
            actual.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &expected {
            assert!(&actual[name] == bytes, "{path}: {name} differs");
        }
    }
}
