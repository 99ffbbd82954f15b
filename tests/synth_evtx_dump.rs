//! Issue 7: every `.evtx` the generator wrote into `samples/` (as plain files
//! and inside the ExchangeLogCollector zips) reads back with `evtx_dump`
//! (the evtx crate's own CLI, `cargo install evtx`) without errors or
//! warnings. Skipped with a note when `evtx_dump` is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use std::io::{Cursor, Read};
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

/// Every `.evtx` under `dir`, as (name, bytes), looking inside zips at any depth.
fn collect(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "evtx") {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
            ));
        } else if path.extension().is_some_and(|e| e == "zip") {
            from_zip(
                &path.display().to_string(),
                std::fs::read(&path).expect("read"),
                out,
            );
        }
    }
}

fn from_zip(name: &str, bytes: Vec<u8>, out: &mut Vec<(String, Vec<u8>)>) {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let inner = format!("{name}!{}", entry.name().expect("entry name"));
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("inflate");
        if inner.ends_with(".evtx") {
            out.push((inner, data));
        } else if inner.ends_with(".zip") {
            from_zip(&inner, data, out);
        }
    }
}

#[test]
fn generated_evtx_reads_back_with_evtx_dump_cleanly() {
    let Some(dump) = evtx_dump() else {
        eprintln!("evtx_dump not installed (cargo install evtx): check skipped");
        return;
    };
    let mut files = Vec::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"),
        &mut files,
    );
    assert!(
        files.len() >= 30,
        "found {} .evtx files in samples/",
        files.len()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut total = 0;
    for (i, (name, bytes)) in files.iter().enumerate() {
        let path = dir.path().join(format!("{i}.evtx"));
        std::fs::write(&path, bytes).expect("write");
        let output = Command::new(&dump)
            .args(["-o", "jsonl"])
            .arg(&path)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{name}: evtx_dump failed");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.trim().is_empty(),
            "{name}: evtx_dump warned: {stderr}"
        );
        total += output.stdout.iter().filter(|&&b| b == b'\n').count();
    }
    assert!(total > 1000, "only {total} records in all");
}
