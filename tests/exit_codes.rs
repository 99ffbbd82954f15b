//! Issue 12, the CLI contract: only `scan` answers with its exit code (0 no
//! failure evidence, 1 failure evidence); every other command exits 0 when it
//! did its job, so that `exauth extract … && next` works; 2 is an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn code(args: &[&std::ffi::OsStr]) -> i32 {
    Command::cargo_bin("exauth")
        .expect("binary")
        .args(args)
        .output()
        .expect("runs")
        .status
        .code()
        .unwrap_or(-1)
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

#[test]
fn every_command_keeps_its_exit_code() {
    let failing = sample("clock-skew");
    let healthy = sample("healthy");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let synth_out = dir.path().join("synth");

    assert_eq!(
        code(&[os("scan"), os("-q"), healthy.as_os_str()]),
        0,
        "scan, healthy"
    );
    assert_eq!(
        code(&[os("scan"), os("-q"), failing.as_os_str()]),
        1,
        "scan, failing"
    );
    assert_eq!(
        code(&[os("scan"), os("-q"), dir.path().join("missing").as_os_str()]),
        2,
        "scan, nothing readable"
    );
    for format in ["jsonl", "csv"] {
        if format == "csv" && cfg!(not(feature = "tables")) {
            continue;
        }
        let mut args = vec![os("extract"), os("-q"), os("--format"), os(format)];
        let target = dir.path().join(format!("extract-{format}"));
        args.extend([os("-o"), target.as_os_str(), failing.as_os_str()]);
        assert_eq!(code(&args), 0, "extract {format} of a failing collection");
    }
    assert_eq!(
        code(&[
            os("timeline"),
            os("-q"),
            os("-o"),
            out.as_os_str(),
            failing.as_os_str()
        ]),
        0,
        "timeline of a failing collection"
    );
    assert_eq!(
        code(&[
            os("inventory"),
            os("-q"),
            os("-o"),
            out.as_os_str(),
            failing.as_os_str()
        ]),
        0,
        "inventory"
    );
    assert_eq!(
        code(&[
            os("synth"),
            os("-q"),
            os("--scenario"),
            os("clock-skew"),
            os("--hours"),
            os("1"),
            os("--out"),
            synth_out.as_os_str()
        ]),
        0,
        "synth"
    );
    assert_eq!(code(&[os("scan"), os("--no-such-flag")]), 2, "bad usage");
    assert_eq!(code(&[os("--version")]), 0, "--version");
    assert_eq!(code(&[os("--help")]), 0, "--help");
}

#[test]
fn absurd_thread_counts_are_refused_at_once() {
    // Issue 18: `--threads 100000` used to hang with no output.
    for (n, says) in [("100000", "at most 1024"), ("0", "at least 1")] {
        let started = std::time::Instant::now();
        let output = Command::cargo_bin("exauth")
            .expect("binary")
            .args(["--threads", n, "scan", "-q"])
            .arg(sample("healthy"))
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "--threads {n}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "--threads {n}: {stderr}");
        assert!(
            started.elapsed().as_secs() < 30,
            "--threads {n} answered at once"
        );
    }
}

#[test]
fn nothing_readable_keeps_every_format_itself() {
    // Issue 18: with every input unreadable, JSON was an inventory document
    // and HTML/Markdown plain text.
    let dir = tempfile::tempdir().expect("temp dir");
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(dir.path().join("garbage.bin"), garbage).expect("write");
    let run = |format: &str| {
        let output = Command::cargo_bin("exauth")
            .expect("binary")
            .args(["scan", "-q", "--format", format])
            .arg(dir.path())
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{format}: nothing readable");
        String::from_utf8(output.stdout).expect("utf-8")
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON");
    assert_eq!(json["schema"], "exauth.scan/1");
    assert_eq!(json["verdict"]["primary_cause"], "inconclusive");
    assert!(
        json["causes"].as_array().is_some_and(|c| c.is_empty()),
        "no causes"
    );
    let not_read = json["coverage"]["not_read"].to_string();
    assert!(not_read.contains("garbage.bin"), "{not_read}");
    let html = run("html");
    assert!(html.starts_with("<!DOCTYPE html>"), "an HTML page");
    assert!(html.contains("Nothing could be read"), "says why");
    let markdown = run("markdown");
    assert!(markdown.starts_with("# "), "a Markdown document");
    assert!(markdown.contains("Nothing could be read"));
    assert!(markdown.contains("garbage.bin"));
}

/// Output that cannot be written is an error (2), said on stderr; when
/// stderr cannot be written either (both sent to a full disk) the exit code
/// still says so, and nothing panics (`eprintln!` did: exit 101). With
/// stderr writable, the error is said there.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_for_output_and_errors_is_an_error_not_a_panic() {
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(probe) = full() else {
        return; // no /dev/full here: nothing to test with
    };
    drop(probe);
    let failing = sample("clock-skew");
    for args in [
        vec!["scan", "--format", "json"],
        vec!["scan"],
        vec!["extract", "--format", "jsonl"],
    ] {
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("exauth"))
            .args(&args)
            .arg(&failing)
            .stdout(full().expect("/dev/full"))
            .stderr(full().expect("/dev/full"))
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?} into /dev/full");
        // With stderr writable, the error is said there.
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("exauth"))
            .args(&args)
            .arg(&failing)
            .stdout(full().expect("/dev/full"))
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?} into /dev/full");
        // ENOSPC's number, not its words: those follow the locale.
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("(os error 28)"), "{args:?}: {stderr}");
    }
}
