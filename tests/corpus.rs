//! Real files written by Windows (`../shared/corpus`, reached through the
//! `EXAUTH_CORPUS` environment variable; skipped when it is unset, since a
//! fresh clone has no corpus).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

mod support;

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

/// Issue 14: the real logs (broken ones among them) read handing their facts
/// over after every fact, each part with the record ids of its chunks, give
/// the report of reading each to its end, byte for byte — and the corpus
/// with a copy of every log beside it (each record then held twice) too,
/// every record counted once.
#[test]
fn corpus_read_as_it_hands_over_reads_as_whole() {
    let Some(dir) = corpus() else { return };
    let read = |paths: &[PathBuf], hand_over_at: usize| {
        let mut settings = support::settings();
        settings.ingest.hand_over_at = hand_over_at;
        support::scan_with(paths, &settings)
    };
    let whole = read(std::slice::from_ref(&dir), usize::MAX);
    let kerberos = whole["inputs"]["evidence"]["kerberos-error"]
        .as_u64()
        .unwrap_or(0);
    assert!(kerberos > 100, "the corpus's 4771s and 4768s: {kerberos}");
    assert_eq!(read(std::slice::from_ref(&dir), 1), whole);
    // Every log twice, the copy differing in its header's unused bytes (a
    // byte-identical file is set aside whole, before it is read): its
    // records are set aside by their ids, either way.
    let copies = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) == Some("evtx") {
            let mut bytes = std::fs::read(&path).expect("read");
            if let Some(unused) = bytes.get_mut(4000) {
                *unused ^= 0x5A;
            }
            let name = path.file_name().expect("name");
            std::fs::write(copies.path().join(name), bytes).expect("copy");
        }
    }
    let both = [dir.clone(), copies.path().to_path_buf()];
    let twice_whole = read(&both, usize::MAX);
    assert_eq!(
        twice_whole["inputs"]["evidence"], whole["inputs"]["evidence"],
        "copies counted again (the System log of a machine renamed twice, of three Computers, too)"
    );
    assert_eq!(read(&both, 1), twice_whole);
}
