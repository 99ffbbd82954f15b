//! Issue 8: `exauth timeline` — every evidence item on one clock-corrected
//! axis, sorted by (time, server, origin), with the stamped time and the
//! correction where a clock was off; filters by time, server and kind;
//! text, CSV and JSON lines; display time zone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

fn clock_skew() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/clock-skew")
}

fn timeline(extra: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("exauth")
        .unwrap()
        .args(["timeline", "-q"])
        .args(extra)
        .arg(clock_skew())
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code().unwrap_or(-1),
    )
}

fn rows(extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--format", "jsonl"];
    args.extend_from_slice(extra);
    let (text, code) = timeline(&args);
    assert_eq!(code, 0, "timeline exits 0 after writing, failures or not");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn time(row: &Value) -> Option<jiff::Timestamp> {
    row["time"].as_str().map(|t| t.parse().unwrap())
}

#[test]
fn every_item_once_sorted_by_time_server_origin() {
    let all = rows(&[]);
    // `scan --format json` counts the same evidence.
    let scan = Command::cargo_bin("exauth")
        .unwrap()
        .args(["scan", "-q", "--format", "json"])
        .arg(clock_skew())
        .output()
        .unwrap();
    let scan: Value = serde_json::from_slice(&scan.stdout).unwrap();
    let total: u64 = scan["inputs"]["evidence"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(all.len() as u64, total);
    let keys: Vec<(bool, Option<jiff::Timestamp>, String, String)> = all
        .iter()
        .map(|r| {
            (
                time(r).is_none(),
                time(r),
                r["server"].as_str().unwrap_or("").to_string(),
                r["origin"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "sorted by (time, server, origin), untimed last"
    );
    for r in &all {
        for field in ["server", "kind", "detail", "origin", "time_basis"] {
            assert!(!r[field].is_null() || field == "server", "{field} in {r}");
        }
    }
}

#[test]
fn ex02_rows_carry_the_stamped_time_and_the_420_s_correction() {
    let ex02 = rows(&["--server", "EX02"]);
    assert!(!ex02.is_empty());
    assert!(ex02.iter().all(|r| r["server"] == "EX02"));
    let corrected: Vec<&Value> = ex02.iter().filter(|r| !r["stamped"].is_null()).collect();
    assert!(!corrected.is_empty());
    for r in corrected {
        assert_eq!(r["correction_s"].as_f64(), Some(420.0), "{r}");
        let stamped: jiff::Timestamp = r["stamped"].as_str().unwrap().parse().unwrap();
        let shown = time(r).unwrap();
        assert_eq!(stamped.as_second() - shown.as_second(), 420, "{r}");
    }
    // EX01's clock is the reference: nothing corrected.
    let ex01 = rows(&["--server", "ex01.contoso.com"]);
    assert!(!ex01.is_empty());
    assert!(ex01
        .iter()
        .all(|r| r["server"] == "EX01" && r["stamped"].is_null()));
}

#[test]
fn kind_and_time_filters() {
    let kerberos = rows(&["--kind", "kerberos-error"]);
    assert!(!kerberos.is_empty());
    assert!(kerberos.iter().all(|r| r["kind"] == "kerberos-error"));
    let two = rows(&["--kind", "kerberos-error", "--kind", "time-service-event"]);
    assert!(two.len() > kerberos.len());
    assert!(two
        .iter()
        .all(|r| r["kind"] == "kerberos-error" || r["kind"] == "time-service-event"));

    let from: jiff::Timestamp = "2026-11-26T07:00:00Z".parse().unwrap();
    let to: jiff::Timestamp = "2026-11-26T07:30:00Z".parse().unwrap();
    let window = rows(&[
        "--from",
        "2026-11-26T07:00:00Z",
        "--to",
        "2026-11-26T07:30:00Z",
    ]);
    assert!(!window.is_empty());
    assert!(window
        .iter()
        .all(|r| time(r).is_some_and(|t| t >= from && t <= to)));
    // The same bounds as local times of another zone.
    let local = rows(&[
        "--timezone",
        "Europe/Amsterdam",
        "--from",
        "2026-11-26 08:00",
        "--to",
        "2026-11-26 08:30",
    ]);
    assert_eq!(local.len(), window.len());
    assert!(local[0]["time"].as_str().unwrap().ends_with("+01:00"));
    // A date alone covers the whole day.
    let day = rows(&["--from", "2026-11-26", "--to", "2026-11-26"]);
    assert!(day.len() > window.len());
}

#[test]
fn csv_and_text_hold_the_same_rows() {
    let jsonl = rows(&["--server", "DC01"]);
    let (csv, _) = timeline(&["--format", "csv", "--server", "DC01"]);
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(
        lines.next(),
        Some("time,server,kind,detail,origin,stamped_time,correction_s,time_basis")
    );
    assert_eq!(lines.count(), jsonl.len());
    let (text, _) = timeline(&["--server", "DC01", "--color", "never"]);
    assert_eq!(text.lines().count(), jsonl.len());
    assert!(text.lines().all(|l| l.contains("  DC01  ")));
    let (ex02, _) = timeline(&["--server", "EX02", "--kind", "kerberos-error"]);
    assert!(
        ex02.contains("[stamped 2026-11-26 07:15:17 UTC, clock +420.0 s]"),
        "{ex02}"
    );
}

#[test]
fn to_a_file_and_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("timeline.csv");
    let out = file.to_str().unwrap();
    timeline(&["--format", "csv", "-o", out, "--threads", "1"]);
    let (again, _) = timeline(&["--format", "csv", "--threads", "2"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), again);
}

#[test]
fn bad_filters_are_usage_errors() {
    assert_eq!(timeline(&["--kind", "nonsense"]).1, 2);
    assert_eq!(timeline(&["--from", "soon"]).1, 2);
}
