//! Issue 9: `--strict` turns any unreadable input (inventory status `error`)
//! into exit 2, after the usual output; without it nothing changes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const SEND_LOG: &str = "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: 2026-11-26T10:00:00.000Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n2026-11-26T10:40:05.102Z,Outbound to EX02,08DC6D1A2B3C0001,0,10.1.2.11:51000,10.1.2.12:25,+,,\r\n2026-11-26T10:40:05.110Z,Outbound to EX02,08DC6D1A2B3C0001,1,10.1.2.11:51000,10.1.2.12:25,>,X-EXPS EXCHANGEAUTH SHA256 <binary data>,\r\n2026-11-26T10:40:05.120Z,Outbound to EX02,08DC6D1A2B3C0001,2,10.1.2.11:51000,10.1.2.12:25,<,454 4.7.0 Temporary authentication failure,\r\n2026-11-26T10:40:05.121Z,Outbound to EX02,08DC6D1A2B3C0001,3,10.1.2.11:51000,10.1.2.12:25,-,,Local\r\n";

fn collection(with_broken_zip: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let ex01 = dir.path().join("EX01");
    std::fs::create_dir(&ex01).expect("mkdir");
    std::fs::write(ex01.join("SEND20261126-1.LOG"), SEND_LOG).expect("write");
    if with_broken_zip {
        // A zip signature and nothing after it: status `error`.
        std::fs::write(dir.path().join("EX02-1126.zip"), b"PK\x03\x04broken").expect("write");
    }
    dir
}

fn exauth(args: &[&str], path: &Path) -> (i32, Value, String) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(args)
        .arg(path)
        .output()
        .expect("runs");
    let json = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    (
        output.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn strict_scan_exits_2_after_reporting_an_unreadable_input() {
    let dir = collection(true);
    let (code, json, _) = exauth(&["-q", "scan", "--format", "json"], dir.path());
    assert_eq!(code, 1, "without --strict: evidence found");
    let (strict_code, strict_json, stderr) =
        exauth(&["-q", "--strict", "scan", "--format", "json"], dir.path());
    assert_eq!(strict_code, 2);
    // The report is the same; only the exit code and a note differ.
    assert_eq!(strict_json, json);
    assert_eq!(strict_json["coverage"]["not_read"][0]["status"], "error");
    assert!(
        stderr.contains("--strict: 1 of 2 artifacts could not be read"),
        "{stderr}"
    );
}

#[test]
fn strict_inventory_exits_2_on_an_unreadable_input() {
    let dir = collection(true);
    let (code, _, _) = exauth(&["inventory", "--format", "json"], dir.path());
    assert_eq!(code, 0);
    let (code, json, _) = exauth(&["inventory", "--format", "json", "--strict"], dir.path());
    assert_eq!(code, 2);
    assert_eq!(json["totals"]["by_status"]["error"], 1);
}

#[test]
fn strict_changes_nothing_when_everything_is_readable() {
    let dir = collection(false);
    let (code, json, _) = exauth(&["-q", "scan", "--format", "json"], dir.path());
    let (strict_code, strict_json, stderr) =
        exauth(&["-q", "--strict", "scan", "--format", "json"], dir.path());
    assert_eq!((code, strict_code), (1, 1));
    assert_eq!(strict_json, json);
    assert!(!stderr.contains("--strict"), "{stderr}");
    let (code, _, _) = exauth(&["--strict", "inventory", "--format", "json"], dir.path());
    assert_eq!(code, 0);
}

#[test]
fn scan_json_stays_json_when_nothing_is_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("EX02-1126.zip"), b"PK\x03\x04broken").expect("write");
    let (code, json, _) = exauth(&["-q", "scan", "--format", "json"], dir.path());
    assert_eq!(code, 2);
    // A scan document (issue 18): verdict inconclusive, the file in coverage.
    assert_eq!(json["schema"], "exauth.scan/1");
    assert_eq!(json["verdict"]["primary_cause"], "inconclusive");
    assert_eq!(json["coverage"]["not_read"][0]["status"], "error");
}
