//! Real files written by Windows (`../shared/corpus`, reached through the
//! `EXAUTH_CORPUS` environment variable; skipped when it is unset, since a
//! fresh clone has no corpus).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    match std::env::var_os("EXAUTH_CORPUS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("EXAUTH_CORPUS is not set: real-file checks skipped");
            None
        }
    }
}

#[test]
fn every_corpus_evtx_is_detected_with_its_size() {
    let Some(dir) = corpus() else { return };
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["inventory", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("runs");
    let json: Value = serde_json::from_slice(&output.stdout).expect("json");
    let artifacts = json["artifacts"].as_array().expect("artifacts");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("evtx") {
            continue;
        }
        let shown = path.to_string_lossy().into_owned();
        let row = artifacts
            .iter()
            .find(|a| a["origin"] == shown.as_str())
            .unwrap_or_else(|| panic!("{shown} missing from the inventory"));
        assert_eq!(row["kind"], "evtx", "{shown}");
        assert_eq!(row["status"], "ok", "{shown}");
        let size = std::fs::metadata(&path).expect("metadata").len();
        assert_eq!(row["bytes"], size, "{shown}");
        checked += 1;
    }
    assert!(
        checked >= 30,
        "expected the 31 corpus files, checked {checked}"
    );
}
