//! Issue 12: what a user sees must not move while the code under it is
//! rebuilt. Every sample's `scan` output (text, JSON, Markdown, HTML) is kept
//! whole under `tests/snapshots/<sample>/`, and its `extract` output (JSONL,
//! and every CSV table) as SHA-256 digests with byte counts — the record
//! tables are large, and a digest says "byte-identical" as surely.
//!
//! A change that means to alter the output regenerates them with
//! `EXAUTH_BLESS=1 cargo test --test snapshots` and shows the diff in review.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const GENERATED_AT: &str = "2026-01-01T00:00:00Z";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The samples as paths relative to the repository root (origins in the
/// reports are shown as given, so the snapshots must not hold this clone's
/// absolute path).
fn samples() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("samples"))
        .expect("samples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("expected.json").is_file())
        .map(|p| Path::new("samples").join(p.file_name().expect("name")))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "one sample per scenario");
    dirs
}

fn run(args: &[&str], sample: &Path) -> Vec<u8> {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .current_dir(root())
        .args(args)
        .arg(sample)
        .output()
        .expect("runs");
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "{args:?} {}: {}",
        sample.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn digest_line(name: &str, bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut hex = String::new();
    for b in hash.iter() {
        let _ = write!(hex, "{b:02x}");
    }
    format!("{hex}  {:>9}  {name}\n", bytes.len())
}

/// Every output of one sample, as (snapshot file name, content).
fn outputs(sample: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for format in ["text", "json", "markdown", "html"] {
        let bytes = run(
            &[
                "scan",
                "-q",
                "--color",
                "never",
                "--generated-at",
                GENERATED_AT,
                "--format",
                format,
            ],
            sample,
        );
        out.push((format!("scan.{format}"), bytes));
    }
    let mut digests = String::new();
    let jsonl = run(&["extract", "-q", "--format", "jsonl"], sample);
    digests.push_str(&digest_line("extract.jsonl", &jsonl));
    if cfg!(feature = "tables") {
        let dir = tempfile::tempdir().expect("temp dir");
        let csv = dir.path().join("csv");
        let csv_arg = csv.to_str().expect("utf-8 path");
        run(&["extract", "-q", "--format", "csv", "-o", csv_arg], sample);
        let mut tables: Vec<PathBuf> = std::fs::read_dir(&csv)
            .expect("csv dir")
            .map(|e| e.expect("entry").path())
            .collect();
        tables.sort();
        for table in tables {
            let name = table.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&table).expect("table");
            digests.push_str(&digest_line(&format!("csv/{name}"), &bytes));
        }
    }
    out.push(("extract.sha256".to_string(), digests.into_bytes()));
    out
}

/// Issue 18: Rust `Debug` output (`AuthMechanisms { tls: true, … }`,
/// `NotReachable`, `Some("…")`) never reaches a report.
fn assert_no_debug_text(sample: &str, file: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let debug_struct =
        regex::Regex::new(r"\b[A-Z][A-Za-z0-9]+ \{ [a-z_][a-z0-9_]*: ").expect("regex");
    let debug_option = regex::Regex::new(r#"\b(Some|None)\((\"|\d)"#).expect("regex");
    for re in [&debug_struct, &debug_option] {
        if let Some(m) = re.find(&text) {
            panic!("{sample}/{file}: Debug text in a report: {:?}", m.as_str());
        }
    }
}

#[test]
fn every_sample_gives_the_same_bytes_as_its_snapshot() {
    let bless = std::env::var_os("EXAUTH_BLESS").is_some();
    let mut differing = Vec::new();
    for sample in samples() {
        let name = sample.file_name().unwrap().to_string_lossy().into_owned();
        let dir = root().join("tests/snapshots").join(&name);
        for (file, bytes) in outputs(&sample) {
            if file.starts_with("scan.") {
                assert_no_debug_text(&name, &file, &bytes);
            }
            let path = dir.join(&file);
            if bless {
                std::fs::create_dir_all(&dir).expect("snapshot dir");
                std::fs::write(&path, &bytes).expect("write snapshot");
                continue;
            }
            let expected = std::fs::read(&path).unwrap_or_default();
            if expected != bytes {
                let actual = Path::new(env!("CARGO_TARGET_TMPDIR"))
                    .join("snapshots")
                    .join(&name);
                std::fs::create_dir_all(&actual).expect("actual dir");
                std::fs::write(actual.join(&file), &bytes).expect("write actual");
                differing.push(format!(
                    "{name}/{file} (actual in {})",
                    actual.join(&file).display()
                ));
            }
        }
    }
    assert!(
        differing.is_empty(),
        "output differs from tests/snapshots for:\n  {}\n(regenerate with EXAUTH_BLESS=1 only if the change is meant)",
        differing.join("\n  ")
    );
}
