//! Issue 15: the evidence set as a Hive-partitioned Parquet dataset. Many
//! `extract` processes write into one ROOT at once, each only its own
//! files; `scan --evidence ROOT` decides as a scan of the raw collection.
#![cfg(feature = "tables")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// The clock-skew sample's three servers, each as its own inputs (EX01 and
/// EX02 have a folder and an ExchangeLogCollector zip each).
fn servers() -> Vec<(&'static str, Vec<PathBuf>)> {
    let s = sample("clock-skew");
    vec![
        ("DC01", vec![s.join("DC01")]),
        ("EX01", vec![s.join("EX01"), s.join("EX01-1126.zip")]),
        ("EX02", vec![s.join("EX02"), s.join("EX02-1126.zip")]),
    ]
}

fn extract_command(root: &Path, inputs: &[PathBuf]) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("exauth"));
    command
        .args(["extract", "--format", "parquet", "-q", "-o"])
        .arg(root)
        .args(inputs);
    command
}

fn extract(root: &Path, inputs: &[PathBuf]) {
    let status = extract_command(root, inputs).status().expect("runs");
    assert_eq!(status.code(), Some(0), "extract {inputs:?}");
}

fn scan(args: &[&std::ffi::OsStr]) -> (Value, Option<i32>) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["scan", "--format", "json", "-q"])
        .args(args)
        .output()
        .expect("runs");
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "scan output is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (json, output.status.code())
}

/// Every file under `root` with its bytes and modification time.
fn files(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let meta = std::fs::metadata(&path).expect("metadata");
                let bytes = std::fs::read(&path).expect("read");
                out.insert(path, (bytes, meta.modified().expect("mtime")));
            }
        }
    }
    out
}

fn pairs(scan: &Value) -> Vec<(String, String, String, u64, Value)> {
    let mut out: Vec<_> = scan["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| {
            (
                p["sender"].as_str().unwrap().to_string(),
                p["receiver"].as_str().unwrap().to_string(),
                p["side"].as_str().unwrap().to_string(),
                p["failures"].as_u64().unwrap(),
                p["statuses"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

fn offsets(scan: &Value) -> BTreeMap<String, Option<f64>> {
    scan["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["clock_offset_s"].as_f64(),
            )
        })
        .collect()
}

/// Banner clock samples are whole seconds: offsets from a per-server
/// dataset (no paired sessions) agree with the raw scan's within this.
const CLOCK_TOLERANCE_S: f64 = 2.0;

#[test]
fn three_concurrent_extracts_scan_like_the_raw_collection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("dataset");
    let mut children: Vec<_> = servers()
        .iter()
        .map(|(_, inputs)| extract_command(&root, inputs).spawn().expect("spawns"))
        .collect();
    for child in &mut children {
        assert_eq!(child.wait().expect("waits").code(), Some(0));
    }
    // The layout: table/server=…/date=…/part-….parquet, no temporary left.
    let all = files(&root);
    assert!(!all.is_empty());
    for path in all.keys() {
        let rel = path.strip_prefix(&root).unwrap();
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        assert_eq!(parts.len(), 4, "{}", rel.display());
        assert!(parts[1].starts_with("server="), "{}", rel.display());
        assert!(parts[2].starts_with("date="), "{}", rel.display());
        assert!(
            parts[3].starts_with("part-") && parts[3].ends_with(".parquet"),
            "{}",
            rel.display()
        );
    }
    for table in ["evidence", "identities", "coverage", "inventory"] {
        assert!(root.join(table).is_dir(), "{table} missing");
    }
    assert!(root
        .join("evidence/server=EX02/date=2026-11-26")
        .read_dir()
        .is_ok_and(|mut d| d.next().is_some()));

    let (raw, raw_code) = scan(&[sample("clock-skew").as_os_str()]);
    let (set, set_code) = scan(&["--evidence".as_ref(), root.as_os_str()]);
    assert_eq!(set_code, raw_code);
    assert_eq!(
        set["verdict"]["primary_cause"], raw["verdict"]["primary_cause"],
        "verdict"
    );
    assert_eq!(pairs(&set), pairs(&raw), "pairs, sides, failures, statuses");
    let (raw_offsets, set_offsets) = (offsets(&raw), offsets(&set));
    assert_eq!(
        raw_offsets.keys().collect::<Vec<_>>(),
        set_offsets.keys().collect::<Vec<_>>()
    );
    for (server, raw_offset) in &raw_offsets {
        let set_offset = set_offsets[server];
        match (raw_offset, set_offset) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() <= CLOCK_TOLERANCE_S,
                "{server}: {a} s raw, {b} s from the dataset"
            ),
            (a, b) => assert_eq!(*a, b, "{server}"),
        }
    }
    // Sessions of servers extracted apart were not paired: the coverage says so.
    let notes = set["coverage"]["notes"].to_string();
    assert!(notes.contains("not paired"), "{notes}");
    assert!(raw["coverage"].get("notes").is_none());

    // Re-running EX01's extract replaces its own parts, byte for byte, and
    // touches nothing else.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let before = files(&root);
    extract(&root, &servers()[1].1);
    let after = files(&root);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the same files"
    );
    let mut rewritten = std::collections::BTreeSet::new();
    for (path, (bytes, mtime)) in &before {
        let (new_bytes, new_mtime) = &after[path];
        assert!(bytes == new_bytes, "{} changed", path.display());
        if mtime != new_mtime {
            rewritten.insert(path.file_name().unwrap().to_owned());
        }
    }
    assert_eq!(
        rewritten.len(),
        1,
        "one run's parts rewritten: {rewritten:?}"
    );
    let name = rewritten.into_iter().next().unwrap();
    for (path, (_, mtime)) in &before {
        if path.file_name() == Some(name.as_os_str()) {
            assert_ne!(*mtime, after[path].1, "{} not rewritten", path.display());
        }
    }
    // EX01's parts sit under EX01's partitions (and its peers' identities).
    assert!(before
        .keys()
        .any(|p| p.file_name() == Some(name.as_os_str())
            && p.to_string_lossy().contains("evidence/server=EX01/")));
}

#[test]
fn a_rerun_removes_its_own_stale_parts_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("dataset");
    let inputs = &servers()[1].1;
    extract(&root, inputs);
    let own = files(&root)
        .into_keys()
        .find(|p| p.to_string_lossy().contains("evidence/server=EX01/"))
        .expect("an EX01 evidence part");
    let name = own.file_name().unwrap().to_owned();
    // A date that vanished from this run's input, and another run's part.
    let stale = root
        .join("evidence/server=EX01/date=2020-01-01")
        .join(&name);
    let foreign = root
        .join("evidence/server=EX01/date=2020-01-01")
        .join("part-0000000000000000.parquet");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::copy(&own, &stale).unwrap();
    std::fs::copy(&own, &foreign).unwrap();
    let leftover = own.with_file_name(format!(".{}.tmp-1", name.to_string_lossy()));
    std::fs::write(&leftover, b"half a file").unwrap();
    extract(&root, inputs);
    assert!(!stale.exists(), "the run's own stale part is removed");
    assert!(
        !leftover.exists(),
        "the run's own leftover temporary is removed"
    );
    assert!(foreign.exists(), "another run's part stays");
}

#[test]
fn a_corrupt_part_is_named_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("dataset");
    extract(&root, &[sample("clock-skew")]);
    let (good, good_code) = scan(&["--evidence".as_ref(), root.as_os_str()]);
    let bad = root.join("evidence/server=EX09/date=2026-11-26/part-bad.parquet");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, b"PAR1 this is not parquet").unwrap();
    let foreign = root.join("evidence/server=EX09/date=2026-11-27/part-foreign.parquet");
    std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
    let some_table = files(&root)
        .into_keys()
        .find(|p| p.to_string_lossy().contains("/smtp-session/"))
        .expect("a record table part");
    std::fs::copy(some_table, &foreign).unwrap();
    let (set, code) = scan(&["--evidence".as_ref(), root.as_os_str()]);
    assert_eq!(code, good_code);
    assert_eq!(set["verdict"], good["verdict"]);
    assert_eq!(pairs(&set), pairs(&good));
    let not_read = set["coverage"]["not_read"].to_string();
    assert!(not_read.contains("part-bad.parquet"), "{not_read}");
    assert!(not_read.contains("part-foreign.parquet"), "{not_read}");
    assert!(not_read.contains("exauth.evidence/2"), "{not_read}");
}

#[test]
fn partitions_are_pruned_by_server_and_date() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("dataset");
    extract(&root, &[sample("clock-skew")]);
    let (all, _) = scan(&["--evidence".as_ref(), root.as_os_str()]);
    let evidence = |scan: &Value| -> u64 {
        scan["inputs"]["evidence"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    };
    let (none, code) = scan(&[
        "--evidence".as_ref(),
        root.as_os_str(),
        "--to".as_ref(),
        "2000-01-01".as_ref(),
    ]);
    assert_eq!(code, Some(0), "no timed evidence left: no failures");
    assert!(evidence(&none) < evidence(&all));
    let (same, _) = scan(&[
        "--evidence".as_ref(),
        root.as_os_str(),
        "--from".as_ref(),
        "2026-11-26".as_ref(),
        "--to".as_ref(),
        "2026-11-26T23:00:00Z".as_ref(),
    ]);
    assert_eq!(pairs(&same), pairs(&all));
    let (ex01, _) = scan(&[
        "--evidence".as_ref(),
        root.as_os_str(),
        "--server".as_ref(),
        "ex01".as_ref(),
    ]);
    assert!(evidence(&ex01) < evidence(&all));
    assert!(ex01["coverage"]["servers"].get("EX02").is_none());
}

#[test]
fn a_part_id_names_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("dataset");
    let inputs = &servers()[0].1;
    let status = extract_command(&root, inputs)
        .args(["--part-id", "dc01-2026-11"])
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(0));
    let names: std::collections::BTreeSet<_> = files(&root)
        .into_keys()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec!["part-dc01-2026-11.parquet".to_string()]
    );
    for bad in ["../x", "a/b", "", "x.y"] {
        let status = extract_command(&root, inputs)
            .args(["--part-id", bad])
            .status()
            .expect("runs");
        assert_eq!(status.code(), Some(2), "--part-id {bad:?}");
    }
}

/// Bytes flipped inside a real part: never a panic; the file is named.
#[test]
fn damaged_parts_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("dataset");
    extract(&root, &[sample("clock-skew")]);
    let parts: Vec<PathBuf> = files(&root)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains("/evidence/"))
        .collect();
    let victim = parts
        .iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let original = std::fs::read(victim).unwrap();
    for (i, step) in [(0usize, 7usize), (1, 13), (2, 31), (3, 61)] {
        let mut bytes = original.clone();
        let len = bytes.len();
        // Flip a stretch in the middle (pages), or cut the file short.
        if i == 3 {
            bytes.truncate(len / 2);
        } else {
            for b in bytes.iter_mut().skip(len / 4).step_by(step).take(200) {
                *b ^= 0x5A;
            }
        }
        std::fs::write(victim, &bytes).unwrap();
        let output = Command::cargo_bin("exauth")
            .expect("binary")
            .args(["scan", "--format", "json", "-q", "--evidence"])
            .arg(&root)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "case {i}: {stderr}");
        assert!(matches!(output.status.code(), Some(0..=2)), "case {i}");
    }
}

/// A domain's `setspn -Q */*` beside the spn-missing sample: its accounts
/// kept by name are a few facts of megabytes of JSON each, which the
/// evidence table writes a batch at a time (several row groups in DC01's
/// part; built whole, a 50 MB listing's partition took 210 MB). The set
/// scans exactly as the raw inputs do.
#[test]
fn a_domain_listing_is_written_in_batches_and_scans_like_the_raw_inputs() {
    let listing = tempfile::tempdir().unwrap();
    let dc01 = listing.path().join("DC01");
    std::fs::create_dir_all(&dc01).unwrap();
    let mut text = String::from("Checking domain DC=contoso,DC=com\r\n");
    for i in 0..40_000 {
        text.push_str(&format!(
            "CN=WS{i:05},OU=Workstations,DC=contoso,DC=com\r\n\tHOST/WS{i:05}.contoso.com\r\n\tHOST/WS{i:05}\r\n\tTERMSRV/WS{i:05}\r\n"
        ));
    }
    text.push_str("\r\nExisting SPN found!\r\n");
    std::fs::write(dc01.join("DC01_setspn-Q.txt"), text).unwrap();
    let inputs = [sample("spn-missing"), listing.path().to_path_buf()];
    let root = tempfile::tempdir().unwrap();
    extract(root.path(), &inputs);
    let part = std::fs::read_dir(
        root.path()
            .join("evidence/server=DC01/date=__HIVE_DEFAULT_PARTITION__"),
    )
    .unwrap()
    .map(|e| e.unwrap().path())
    .find(|p| p.extension().is_some_and(|x| x == "parquet"))
    .expect("DC01's undated evidence part");
    use polars_io::SerReader;
    let mut reader =
        polars_io::parquet::read::ParquetReader::new(std::fs::File::open(&part).unwrap());
    let metadata = reader.get_metadata().unwrap();
    assert!(
        metadata.row_groups.len() >= 3,
        "{} row groups",
        metadata.row_groups.len()
    );
    let raw = scan(&inputs.iter().map(|p| p.as_os_str()).collect::<Vec<_>>());
    let from_set = scan(&["--evidence".as_ref(), root.path().as_os_str()]);
    assert_eq!(from_set, raw);
    assert_eq!(raw.0["inputs"]["evidence"]["spn-accounts"], 40_000);
}
