//! Issue 15: the DuckDB queries of `docs/duckdb.md` run on a dataset
//! extracted from a sample and agree with `scan --format json`. The queries
//! are read from the page itself (every ```sql block, named by its first
//! line `-- query: NAME`), so the documentation and the test cannot drift.
//! Skips with a note when `python3 -c 'import duckdb'` fails (CI installs it).
#![cfg(feature = "tables")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod support;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn duckdb_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs every query of the page on `root`; the answers by query name, each
/// a list of rows (column name → value).
const RUNNER: &str = r#"
import json, re, sys
import duckdb
page, root = sys.argv[1], sys.argv[2]
text = open(page, encoding="utf-8").read()
con = duckdb.connect()
out = {}
for block in re.findall(r"```sql\n(.*?)```", text, re.S):
    first = block.splitlines()[0]
    m = re.match(r"--\s*query:\s*(\S+)", first)
    if not m:
        continue
    sql = block.replace("'ROOT/", "'" + root.replace("'", "''") + "/")
    rel = con.execute(sql)
    if rel.description is None:
        out[m.group(1)] = []
        continue
    names = [d[0] for d in rel.description]
    out[m.group(1)] = [dict(zip(names, row)) for row in rel.fetchall()]
print(json.dumps(out, default=str))
"#;

fn run_queries(root: &Path) -> Value {
    let output = std::process::Command::new("python3")
        .args(["-c", RUNNER])
        .arg(manifest().join("docs/duckdb.md"))
        .arg(root)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the queries failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// `extract --format parquet` of `inputs` into `root`, and the scan of the
/// same inputs (JSON).
fn extract_and_scan(inputs: &Path, root: &Path) -> Value {
    Command::cargo_bin("exauth")
        .expect("binary")
        .args(["extract", "--format", "parquet", "-q", "-o"])
        .arg(root)
        .arg(inputs)
        .assert()
        .code(0);
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["scan", "--format", "json", "-q"])
        .arg(inputs)
        .output()
        .expect("runs");
    serde_json::from_slice(&output.stdout).expect("scan JSON")
}

/// (sender, receiver, failures) of rows with those fields: scan's pairs or
/// a query's answer.
fn pairs_of(rows: &Value) -> Vec<(String, String, u64)> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["sender"].as_str().unwrap().to_string(),
                r["receiver"].as_str().unwrap().to_string(),
                r["failures"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_documented_queries_agree_with_the_scan() {
    if !duckdb_available() {
        eprintln!("note: python3 with duckdb not available (pip install duckdb): the DuckDB check is skipped");
        return;
    }
    let sample = manifest().join("samples/clock-skew");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("dataset");
    let scan = extract_and_scan(&sample, &root);
    let answers = run_queries(&root);

    // Failing pairs: the same pairs with the same counts.
    let mut expected = pairs_of(&scan["pairs"]);
    expected.sort();
    let pairs = |name: &str| -> Vec<(String, String, u64)> {
        pairs_of(
            answers
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing")),
        )
    };
    assert!(!expected.is_empty());
    assert_eq!(pairs("failing_pairs"), expected, "failing pairs and counts");

    // Per hour: the same pairs, every hour within the pair's span, and no
    // hour above the pair's total.
    let hourly = pairs("failing_pairs_per_hour");
    for (sender, receiver, total) in &expected {
        let hours: Vec<u64> = hourly
            .iter()
            .filter(|(s, r, _)| s == sender && r == receiver)
            .map(|(_, _, n)| *n)
            .collect();
        assert!(!hours.is_empty(), "{sender} → {receiver} has hours");
        assert!(hours.iter().all(|n| n <= total));
        assert!(hours.iter().sum::<u64>() >= *total);
    }

    // 1035s: as many as the sample injected (expected.json), all from
    // the failing pairs' senders' addresses.
    let injected: Value = serde_json::from_str(
        &std::fs::read_to_string(sample.join("expected.json")).expect("expected.json"),
    )
    .unwrap();
    let events: u64 = answers["events_1035"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["events"].as_u64().unwrap())
        .sum();
    assert_eq!(
        events,
        injected["evidence_counts"]["event_1035_exchangeauth"]
            .as_u64()
            .unwrap()
    );
    for row in answers["events_1035"].as_array().unwrap() {
        assert!(
            row["source_ip"].is_string() && row["connector"].is_string(),
            "{row}"
        );
    }

    // Clock offsets: the paired-session medians give scan's offset between
    // the two Exchange servers.
    let offset_of = |name: &str| {
        scan["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .and_then(|s| s["clock_offset_s"].as_f64())
            .unwrap_or(0.0)
    };
    let skew = (offset_of("EX02") - offset_of("EX01")).abs();
    assert!(skew > 300.0, "the sample's skew: {skew}");
    let clock = answers["clock_offsets"].as_array().unwrap();
    assert!(
        clock.iter().any(|r| r["basis"] == "paired-session"
            && (r["offset_s"].as_f64().unwrap().abs() - skew).abs() <= 1.0),
        "a paired-session median of about {skew} s: {clock:?}"
    );

    // The timeline of EX01 → EX02: each sender failure, some with the
    // receiver's evidence beside it.
    let timeline = answers["pair_timeline"].as_array().unwrap();
    assert!(!timeline.is_empty());
    assert!(timeline.iter().any(|r| !r["receiver_kind"].is_null()));
}

/// A queue exported four times a minute apart beside the handover sample
/// (RetryCount 11 to 14): the dataset's `failures` of its rows add up, as
/// scan counts them, to what the last export says — the documented failing
/// pairs query gives scan's pairs and counts.
#[test]
fn a_queue_exported_again_and_again_sums_as_the_scan_counts() {
    if !duckdb_available() {
        eprintln!("note: python3 with duckdb not available (pip install duckdb): the DuckDB check is skipped");
        return;
    }
    let sample = manifest().join("samples/handover-clock-skew");
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = dir.path().join("inputs");
    std::fs::create_dir_all(inputs.join("ticket")).unwrap();
    for entry in std::fs::read_dir(sample.join("ticket")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, inputs.join("ticket").join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        inputs.join("ticket/queue-EX01-loop.txt"),
        support::looped_queue_exports(4),
    )
    .unwrap();
    let root = dir.path().join("dataset");
    let scan = extract_and_scan(&inputs, &root);
    let mut expected = pairs_of(&scan["pairs"]);
    expected.sort();
    assert!(
        expected.contains(&("EX01".into(), "EX02".into(), 14)),
        "{expected:?}"
    );
    let answers = run_queries(&root);
    assert_eq!(pairs_of(&answers["failing_pairs"]), expected);
}
