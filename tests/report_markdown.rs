//! Issue 8: `exauth scan --format markdown` on every committed sample — the
//! verdict, the failing pairs, the clock table (clock-skew: EX02 +420 s
//! flagged), well-formed tables, byte-identical run to run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn samples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("samples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "one sample per scenario");
    dirs
}

fn markdown(dir: &Path, extra: &[&str]) -> String {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["scan", "--format", "markdown", "-q"])
        .args(["--generated-at", "2026-11-27T10:00:00Z"])
        .args(extra)
        .arg(dir)
        .output()
        .expect("runs");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Cells of a table row, split on `|` that is not escaped.
pub fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cell.push(c);
                if let Some(next) = chars.next() {
                    cell.push(next);
                }
            }
            '|' => out.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    out
}

/// Every row of every table has as many cells as its header.
fn assert_tables_well_formed(name: &str, doc: &str) {
    let mut header: Option<usize> = None;
    for line in doc.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let n = cells(line).len();
        match header {
            None => header = Some(n),
            Some(h) => assert_eq!(
                n, h,
                "{name}: row with {n} cells under a {h}-cell header: {line}"
            ),
        }
        assert!(line.ends_with('|'), "{name}: row not closed: {line}");
    }
}

#[test]
fn every_sample_renders_verdict_pairs_and_clock_table() {
    for dir in samples() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let doc = markdown(&dir, &[]);
        assert_tables_well_formed(&name, &doc);
        assert!(doc.starts_with("# Exchange server authentication report\n"));
        let primary = expected["primary_cause"].as_str().unwrap();
        let marker = match primary {
            "healthy" => "🟢",
            "inconclusive" => "🟡",
            _ => "🔴",
        };
        assert!(
            doc.contains(&format!("## Verdict: {marker} {primary} (confidence ")),
            "{name}: verdict {primary}"
        );
        for pair in expected["failing_pairs"].as_array().unwrap() {
            let row = format!(
                "| {} | {} |",
                pair["sender"].as_str().unwrap(),
                pair["receiver"].as_str().unwrap()
            );
            assert!(doc.contains(&row), "{name}: failing pair {row}");
        }
        for section in [
            "## Failing pairs",
            "## Timeline",
            "## Clocks",
            "## Evidence per cause",
            "## Inputs covered",
            "## Coverage warnings",
        ] {
            assert!(doc.contains(section), "{name}: {section}");
        }
        for cause in [
            "clock-skew",
            "ad-replication",
            "spn-missing",
            "spn-duplicate",
            "kerberos-blocked",
            "connector-auth",
        ] {
            assert!(doc.contains(&format!("### {cause} — ")), "{name}: {cause}");
        }
        if primary == "inconclusive" {
            assert!(doc.contains("## Collect next"), "{name}");
        }
        if !matches!(primary, "healthy" | "inconclusive") {
            assert!(doc.contains("## Fix"), "{name}: a fix");
            assert!(
                doc.contains(&format!("### {primary} — supported")),
                "{name}: its cause is supported"
            );
        }
    }
}

#[test]
fn clock_skew_flags_ex02() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/clock-skew");
    let doc = markdown(&dir, &[]);
    let clocks = doc
        .split("## Clocks")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a clock section");
    let row = clocks
        .lines()
        .find(|l| l.starts_with("| EX02 | Exchange |"))
        .expect("EX02 in the clock table");
    let cells = cells(row);
    assert_eq!(cells[2], "🔴 **+420.0 s**", "{row}");
    let ex01 = clocks
        .lines()
        .find(|l| l.starts_with("| EX01 | Exchange | 🟢"))
        .expect("EX01 within tolerance");
    assert!(ex01.contains("🔴 **-420.0 s**"), "EX01 vs EX02: {ex01}");
    assert!(doc.contains("### EX02\n\n1. Fix the clock of EX02 (+420 s)"));
}

#[test]
fn byte_identical_run_to_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/kerberos-blocked");
    let a = markdown(&dir, &["--threads", "1"]);
    let b = markdown(&dir, &["--threads", "2"]);
    assert_eq!(a, b);
}
