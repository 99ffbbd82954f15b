//! Issue 2: the inventory of collections as admins hand them over, built on
//! the fly — nested ExchangeLogCollector zips, UTF-16 exports, a zip bomb,
//! empty and garbage files, a symlink loop — asserting kind, server, status
//! and reason for each artifact.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::io::{Cursor, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;

const RECV_LOG: &str = "\u{FEFF}#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Receive Protocol Log\r\n#Date: 2026-11-26T10:00:00.000Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n2026-11-26T10:00:01.102Z,EX02\\Default EX02,08DC6D1A2B3C4D5E,0,10.1.2.12:2525,10.1.2.11:51000,+,,\r\n";

fn send_log() -> String {
    RECV_LOG.replace("SMTP Receive Protocol Log", "SMTP Send Protocol Log")
}

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

const QUEUE_FL: &str = "\r\nRunspaceId         : 779ae3c8-728b-4078-aa88-1e8b7f3d0b43\r\nDeliveryType       : SmtpRelayToMailboxDeliveryGroup\r\nNextHopDomain      : mailbox database 0123456789\r\nStatus             : Retry\r\nLastError          : [{LRT=26-11-2026 10:40:05};{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n                     Attempted failover to alternate host}]\r\n";

/// Builds a zip in memory from (name, bytes) entries.
fn zip_bytes(entries: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        writer.start_file(*name, options).expect("start entry");
        writer.write_all(bytes).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

fn inventory_json(paths: &[&Path]) -> (Value, i32) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .arg("inventory")
        .arg("--format")
        .arg("json")
        .args(paths)
        .output()
        .expect("runs");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (json, output.status.code().unwrap_or(-1))
}

/// The artifact whose origin ends with `suffix`.
fn artifact<'a>(json: &'a Value, suffix: &str) -> &'a Value {
    json["artifacts"]
        .as_array()
        .expect("artifacts array")
        .iter()
        .find(|a| a["origin"].as_str().is_some_and(|o| o.ends_with(suffix)))
        .unwrap_or_else(|| panic!("no artifact ending with {suffix} in {json:#}"))
}

#[test]
fn elc_collection_three_zips_deep() {
    let dir = tempfile::tempdir().expect("tempdir");
    let send = zip_bytes(
        &[("SEND20261126-1.LOG", send_log().into_bytes())],
        zip::CompressionMethod::Deflated,
    );
    let recv = zip_bytes(
        &[("RECV20261126-1.LOG", RECV_LOG.as_bytes().to_vec())],
        zip::CompressionMethod::Stored,
    );
    let data = zip_bytes(
        &[("EX01_InstantQueueInfo.txt", utf16le_bom(QUEUE_FL))],
        zip::CompressionMethod::Deflated,
    );
    let server = zip_bytes(
        &[
            ("Hub_Send_Protocol_Logs.zip", send),
            ("Hub_Receive_Protocol_Logs.zip", recv),
            ("Exchange_Server_Data.zip", data),
        ],
        zip::CompressionMethod::Deflated,
    );
    let collection = zip_bytes(
        &[("EX01-1126.zip", server)],
        zip::CompressionMethod::Deflated,
    );
    let path = dir.path().join("collection.zip");
    std::fs::write(&path, collection).expect("write");

    let (json, code) = inventory_json(&[&path]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["schema"], "exauth.inventory/1");

    let send = artifact(
        &json,
        "collection.zip!EX01-1126.zip!Hub_Send_Protocol_Logs.zip!SEND20261126-1.LOG",
    );
    assert_eq!(send["kind"], "smtp-send-log");
    assert_eq!(send["server"], "EX01");
    assert_eq!(send["status"], "ok");
    assert_eq!(send["encoding"], "utf-8-bom");
    assert_eq!(send["bytes"], send_log().len() as u64);

    let recv = artifact(&json, "!Hub_Receive_Protocol_Logs.zip!RECV20261126-1.LOG");
    assert_eq!(recv["kind"], "smtp-receive-log");
    assert_eq!(recv["server"], "EX01");

    let queue = artifact(&json, "!Exchange_Server_Data.zip!EX01_InstantQueueInfo.txt");
    assert_eq!(queue["kind"], "queue-export");
    assert_eq!(queue["encoding"], "utf-16le-bom");
    assert_eq!(queue["server"], "EX01");
    assert_eq!(json["totals"]["artifacts"], 3);
    assert_eq!(json["totals"]["servers"], serde_json::json!(["EX01"]));
}

#[test]
fn bad_files_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("EX02");
    std::fs::create_dir(&root).expect("mkdir");
    std::fs::write(root.join("empty.txt"), b"").expect("write");
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(root.join("SEND20261126-9.LOG"), &garbage).expect("write");
    // Not the same bytes: a second copy would be set aside as a duplicate.
    let other: Vec<u8> = garbage.iter().rev().copied().collect();
    std::fs::write(root.join("Application.evtx"), &other).expect("write");
    std::fs::write(root.join("RECV20261126-1.LOG"), RECV_LOG).expect("write");
    std::fs::write(
        root.join("broken.zip"),
        b"PK\x03\x04 this is not really a zip",
    )
    .expect("write");

    let (json, code) = inventory_json(&[dir.path()]);
    assert_eq!(code, 0, "one readable file is enough: {json:#}");

    let empty = artifact(&json, "EX02/empty.txt");
    assert_eq!(
        (empty["kind"].as_str(), empty["status"].as_str()),
        (Some("unknown"), Some("unknown"))
    );
    assert_eq!(empty["reason"], "empty file");
    assert_eq!(empty["server"], "EX02");

    for name in ["EX02/SEND20261126-9.LOG", "EX02/Application.evtx"] {
        let a = artifact(&json, name);
        assert_eq!(
            a["kind"], "unknown",
            "{name}: content, not the name, decides"
        );
        assert_eq!(a["status"], "unknown");
        assert_eq!(a["reason"], "binary content of no known format");
        assert_eq!(a["bytes"], 4096);
    }

    let broken = artifact(&json, "EX02/broken.zip");
    assert_eq!(broken["status"], "error");
    assert!(broken["reason"]
        .as_str()
        .unwrap()
        .starts_with("not a readable zip archive"));

    assert_eq!(artifact(&json, "EX02/RECV20261126-1.LOG")["status"], "ok");
}

/// Sets the uncompressed size an entry declares, in its local header and in
/// the central directory, as a zip bomb (or a lying archive) would.
fn declare_uncompressed_size(zip: &mut [u8], size: u32) {
    let local = zip
        .windows(4)
        .position(|w| w == b"PK\x03\x04")
        .expect("local header");
    zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    let central = zip
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    zip[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn zip_bomb_is_refused_before_inflating() {
    // A few hundred bytes that declare 4 GiB of expansion.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bomb.zip");
    let mut zip = zip_bytes(
        &[("SEND20261126-1.LOG", vec![0u8; 4096])],
        zip::CompressionMethod::Deflated,
    );
    declare_uncompressed_size(&mut zip, 0xFFFF_FFF0);
    assert!(zip.len() < 1024);
    std::fs::write(&path, zip).expect("write");
    let (json, code) = inventory_json(&[&path]);
    let bomb = artifact(&json, "bomb.zip!SEND20261126-1.LOG");
    assert_eq!(bomb["status"], "error");
    let reason = bomb["reason"].as_str().unwrap();
    assert!(reason.contains("zip bomb? refused"), "{reason}");
    assert!(reason.contains("declares 4.0 GiB"), "{reason}");
    assert_eq!(code, 2, "nothing readable");
}

#[test]
fn entry_larger_than_declared_is_stopped() {
    // Declares 100 bytes, inflates to 4096: stopped at the declared size.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("liar.zip");
    let mut body = RECV_LOG.as_bytes().to_vec();
    body.resize(4096, b'x');
    let mut zip = zip_bytes(
        &[("RECV20261126-1.LOG", body)],
        zip::CompressionMethod::Deflated,
    );
    declare_uncompressed_size(&mut zip, 100);
    std::fs::write(&path, zip).expect("write");
    let (json, _) = inventory_json(&[&path]);
    let entry = artifact(&json, "liar.zip!RECV20261126-1.LOG");
    assert_eq!(entry["status"], "error", "{entry}");
}

#[test]
fn per_entry_limit_is_a_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("logs.zip");
    let zip = zip_bytes(
        &[("RECV20261126-1.LOG", RECV_LOG.as_bytes().to_vec())],
        zip::CompressionMethod::Deflated,
    );
    std::fs::write(&path, zip).expect("write");
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["inventory", "--format", "json", "--max-entry-bytes", "100"])
        .arg(&path)
        .output()
        .expect("runs");
    let json: Value = serde_json::from_slice(&output.stdout).expect("json");
    let entry = artifact(&json, "logs.zip!RECV20261126-1.LOG");
    assert_eq!(entry["status"], "error");
    assert!(entry["reason"]
        .as_str()
        .unwrap()
        .contains("over the per-entry limit of 100 B"));
}

#[test]
fn gzip_file_is_read_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("RECV20261126-1.LOG.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(RECV_LOG.as_bytes()).expect("gzip");
    std::fs::write(&path, gz.finish().expect("finish")).expect("write");
    let (json, code) = inventory_json(&[&path]);
    assert_eq!(code, 0);
    let log = artifact(&json, "RECV20261126-1.LOG.gz!RECV20261126-1.LOG");
    assert_eq!(log["kind"], "smtp-receive-log");
    assert_eq!(log["bytes"], RECV_LOG.len() as u64);
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inner = dir.path().join("EX01").join("logs");
    std::fs::create_dir_all(&inner).expect("mkdir");
    std::fs::write(inner.join("RECV20261126-1.LOG"), RECV_LOG).expect("write");
    std::os::unix::fs::symlink(dir.path().join("EX01"), inner.join("again")).expect("symlink");
    let (json, code) = inventory_json(&[dir.path()]);
    assert_eq!(code, 0);
    let looped = artifact(&json, "EX01/logs/again");
    assert_eq!(looped["status"], "error");
    assert!(
        looped["reason"]
            .as_str()
            .unwrap()
            .starts_with("symlink loop back to"),
        "{looped}"
    );
    assert_eq!(
        artifact(&json, "EX01/logs/RECV20261126-1.LOG")["server"],
        "EX01"
    );
}

#[test]
fn missing_path_and_nothing_readable_exit_2() {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["inventory", "/definitely/not/here"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("/definitely/not/here  (no such file or directory)"),
        "{stdout}"
    );
}

#[test]
fn inventory_json_is_byte_identical_run_to_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    for server in ["EX01", "EX02", "EX03"] {
        let d = dir.path().join(server);
        std::fs::create_dir(&d).expect("mkdir");
        for n in 0..20 {
            std::fs::write(d.join(format!("RECV20261126-{n}.LOG")), RECV_LOG).expect("write");
        }
    }
    let run = |threads: &str| {
        Command::cargo_bin("exauth")
            .expect("binary")
            .args(["inventory", "--format", "json", "--threads", threads])
            .arg(dir.path())
            .output()
            .expect("runs")
            .stdout
    };
    let first = run("1");
    assert_eq!(first, run("2"));
    assert_eq!(first, run("2"));
}

#[test]
fn terminal_output_escapes_hostile_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evil.zip");
    let zip = zip_bytes(
        &[("\u{1b}[31mEX01\u{1b}[0m.txt", b"hello".to_vec())],
        zip::CompressionMethod::Stored,
    );
    std::fs::write(&path, zip).expect("write");
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["inventory", "--color", "never"])
        .arg(&path)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains('\u{1b}'),
        "raw escape reached the terminal: {stdout:?}"
    );
    assert!(stdout.contains("\\u{1b}[31mEX01"), "{stdout}");
}

#[test]
fn an_encrypted_zip_entry_is_named_by_its_entry_name() {
    // Issue 18: it was listed as `…!#1`. Mark the stored entry encrypted
    // (bit 0 of the general purpose flags, local and central headers).
    let mut bytes = zip_bytes(
        &[
            ("EX01/QueueInfo.txt", QUEUE_FL.as_bytes().to_vec()),
            ("EX01/secret.LOG", b"hello\n".to_vec()),
        ],
        zip::CompressionMethod::Stored,
    );
    let second_local = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x03\x04")
        .nth(1)
        .map(|(i, _)| i)
        .expect("second local header");
    bytes[second_local + 6] |= 1;
    let second_central = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .nth(1)
        .map(|(i, _)| i)
        .expect("second central header");
    bytes[second_central + 8] |= 1;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("collection.zip");
    std::fs::write(&path, &bytes).expect("write");
    let (json, _) = inventory_json(&[&path]);
    let rows = json["artifacts"].as_array().expect("artifacts");
    let secret = rows
        .iter()
        .find(|r| {
            r["origin"]
                .as_str()
                .is_some_and(|o| o.ends_with("!EX01/secret.LOG"))
        })
        .unwrap_or_else(|| panic!("the entry is named: {rows:?}"));
    assert_eq!(secret["status"], "error");
    assert_eq!(
        secret["reason"],
        "encrypted zip entry (password protected): not read"
    );
    assert!(rows
        .iter()
        .all(|r| !r["origin"].as_str().unwrap_or("").contains("!#")));
}
