//! Issue 6/7: `exauth scan --format json` on every committed sample gives the
//! cause, failing pairs, side and clock offsets its `expected.json` names, and
//! the verdict does not depend on argument order or thread count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn samples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("samples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "one sample per scenario, found {}",
        dirs.len()
    );
    dirs
}

fn scan(args: &[&Path], extra: &[&str]) -> (Value, String, i32) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["scan", "--format", "json", "-q"])
        .args(extra)
        .args(args)
        .output()
        .expect("runs");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"));
    (json, text, output.status.code().unwrap_or(-1))
}

fn pairs(list: &Value) -> BTreeSet<(String, String)> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|p| {
            (
                p["sender"].as_str().expect("sender").to_string(),
                p["receiver"].as_str().expect("receiver").to_string(),
            )
        })
        .collect()
}

#[test]
fn every_sample_gets_its_expected_verdict() {
    for dir in samples() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
        )
        .expect("expected.json is JSON");
        let (got, _, code) = scan(&[&dir], &[]);
        assert_eq!(got["schema"], "exauth.scan/1");
        assert_eq!(
            got["verdict"]["primary_cause"], expected["primary_cause"],
            "{name}: verdict {}",
            got["verdict"]
        );
        assert_eq!(
            pairs(&got["pairs"]),
            pairs(&expected["failing_pairs"]),
            "{name}: failing pairs"
        );
        if let Some(side) = expected["side"].as_str() {
            for pair in got["pairs"].as_array().unwrap() {
                // A pair's own side when the collection can show no other
                // (a hand-over pair only a queue shows: `unknown`).
                let own = expected["failing_pairs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["sender"] == pair["sender"] && p["receiver"] == pair["receiver"])
                    .and_then(|p| p["side"].as_str());
                assert_eq!(pair["side"], own.unwrap_or(side), "{name}: side of {pair}");
            }
        }
        let failing = !expected["failing_pairs"].as_array().unwrap().is_empty();
        assert_eq!(code, if failing { 1 } else { 0 }, "{name}: exit code");
        if let Some(offsets) = expected["clock_offsets_s"].as_object() {
            for (server, offset) in offsets {
                let want = offset.as_f64().unwrap();
                let reported = got["servers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["name"] == server.as_str())
                    .and_then(|s| s["clock_offset_s"].as_f64())
                    .unwrap_or_else(|| panic!("{name}: no clock offset for {server}"));
                assert!(
                    (reported - want).abs() <= 2.0,
                    "{name}: {server} offset {reported}, injected {want}"
                );
            }
        }
        // Causes the verdict names are supported, with evidence and a remedy.
        let primary = expected["primary_cause"].as_str().unwrap();
        if !matches!(primary, "healthy" | "inconclusive") {
            let cause = got["causes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["cause"] == primary)
                .unwrap_or_else(|| panic!("{name}: {primary} missing from causes"));
            assert_eq!(cause["status"], "supported", "{name}");
            assert!(
                !cause["evidence"].as_array().unwrap().is_empty(),
                "{name}: no evidence lines"
            );
            assert!(
                !cause["remedy"].as_array().unwrap().is_empty(),
                "{name}: no remedy"
            );
        }
        if primary == "inconclusive" {
            assert!(
                !got["next_steps"].as_array().unwrap().is_empty(),
                "{name}: says what to collect next"
            );
        }
    }
}

#[test]
fn verdict_does_not_depend_on_argument_order_or_threads() {
    // clock-skew: ExchangeLogCollector zips of nested zips, whose entries
    // are read in parallel at every level; mixed, spn-missing: one zip of a
    // whole collection.
    for sample in [
        "clock-skew",
        "ad-replication",
        "kerberos-blocked",
        "mixed",
        "spn-missing",
    ] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(sample);
        let mut parts: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n != "expected.json"))
            .collect();
        parts.sort();
        let forward: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
        let backward: Vec<&Path> = parts.iter().rev().map(PathBuf::as_path).collect();
        let (_, a, _) = scan(&forward, &["--threads", "1"]);
        let (_, b, _) = scan(&backward, &["--threads", "2"]);
        let (_, c, _) = scan(&forward, &["--threads", "2"]);
        let (_, d, _) = scan(&forward, &["--threads", "4"]);
        assert_eq!(a, b, "{sample}: order/threads changed the output");
        assert_eq!(a, c, "{sample}: run to run");
        assert_eq!(a, d, "{sample}: four threads changed the output");
    }
}

#[test]
fn text_verdict_comes_first_with_evidence_and_fix() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join("clock-skew");
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["scan", "--color", "never", "-q"])
        .arg(&dir)
        .output()
        .expect("runs");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("Verdict: clock-skew"), "{text}");
    assert!(text.contains("EX01 → EX02"), "{text}");
    assert!(text.contains("Strongest evidence"), "{text}");
    assert!(text.contains("Fix"), "{text}");
    assert!(
        text.contains("EX02") && text.contains("+420"),
        "the skewed clock is named: {text}"
    );
    assert_eq!(output.status.code(), Some(1));
}
