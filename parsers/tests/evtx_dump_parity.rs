//! Issue 3: for every real file in the corpus (`EXAUTH_CORPUS`), the count of
//! each catalogued (provider, EventID) exauth reads equals what the
//! `evtx_dump -o jsonl` binary shows for that file — events kept plus
//! successes only counted (see `catalog.rs`). Skips without the corpus or
//! without `evtx_dump` (`cargo install evtx`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{classify, read_evtx_path, EvtxReadOptions};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn evtx_dump() -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from("evtx_dump")];
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cargo/bin/evtx_dump"));
    }
    candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// EventID as evtx_dump prints it: a number, `{"#text": n, "#attributes": …}`, or a string.
fn event_id(v: &Value) -> Option<u16> {
    let raw = match v {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.trim().parse().ok()?,
        Value::Object(o) => return event_id(o.get("#text")?),
        _ => return None,
    };
    Some((raw & 0xFFFF) as u16)
}

#[test]
fn catalogued_counts_equal_evtx_dump() {
    let Some(dir) = std::env::var_os("EXAUTH_CORPUS") else {
        eprintln!("EXAUTH_CORPUS is not set: check skipped");
        return;
    };
    let Some(dump) = evtx_dump() else {
        eprintln!("evtx_dump not installed (cargo install evtx): check skipped");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
        .collect();
    files.sort();
    let mut compared = 0;
    for file in files {
        let output = Command::new(&dump)
            .args(["-o", "jsonl"])
            .arg(&file)
            .output()
            .expect("evtx_dump runs");
        let mut theirs: BTreeMap<(String, u16), u64> = BTreeMap::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(record) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let system = &record["Event"]["System"];
            let provider = system["Provider"]["#attributes"]["Name"]
                .as_str()
                .or_else(|| system["Provider"]["#attributes"]["EventSourceName"].as_str())
                .unwrap_or("")
                .to_string();
            let Some(id) = event_id(&system["EventID"]) else {
                continue;
            };
            if classify(&provider, id).is_some() {
                *theirs
                    .entry((provider.to_ascii_lowercase(), id))
                    .or_default() += 1;
            }
        }
        let report = read_evtx_path(&file, EvtxReadOptions { threads: 1 });
        let mut ours: BTreeMap<(String, u16), u64> = BTreeMap::new();
        for c in report
            .catalogued_counts
            .iter()
            .chain(&report.counted_successes)
        {
            *ours
                .entry((c.provider.to_ascii_lowercase(), c.event_id))
                .or_default() += c.count;
        }
        assert_eq!(ours, theirs, "{}", file.display());
        compared += 1;
    }
    assert!(compared >= 30, "compared {compared} files");
}
