//! Issue 9: hostile and broken files, through the `exauth` binary. Whatever a
//! collection holds, exauth neither crashes, hangs nor blows up memory; each
//! bad file is named (its origin) with a clear reason in `inventory --format
//! json` or in `scan`'s coverage, and the valid file beside it is still read.
//!
//! The zip bomb is tested once, in `tests/inventory.rs`
//! (`zip_bomb_is_refused_before_inflating`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufWriter, Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;

const HEADER: &str = "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: 2026-11-26T10:00:00.000Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n";

/// One Send-log session that fails with 454 4.7.0 (so a read file shows as evidence).
fn send_session(id: u32) -> String {
    let session = format!("08DC6D1A2B3C{id:04X}");
    [
        format!("2026-11-26T10:40:0{}.102Z,Outbound to EX02,{session},0,10.1.2.11:51000,10.1.2.12:25,+,,\r\n", id % 10),
        format!("2026-11-26T10:40:0{}.105Z,Outbound to EX02,{session},1,10.1.2.11:51000,10.1.2.12:25,<,220 EX02.contoso.com Microsoft ESMTP MAIL Service ready at Thu, 26 Nov 2026 10:40:05 +0000,\r\n", id % 10),
        format!("2026-11-26T10:40:0{}.106Z,Outbound to EX02,{session},2,10.1.2.11:51000,10.1.2.12:25,>,EHLO EX01.contoso.com,\r\n", id % 10),
        format!("2026-11-26T10:40:0{}.110Z,Outbound to EX02,{session},3,10.1.2.11:51000,10.1.2.12:25,>,X-EXPS EXCHANGEAUTH SHA256 <binary data>,\r\n", id % 10),
        format!("2026-11-26T10:40:0{}.120Z,Outbound to EX02,{session},4,10.1.2.11:51000,10.1.2.12:25,<,454 4.7.0 Temporary authentication failure,\r\n", id % 10),
        format!("2026-11-26T10:40:0{}.121Z,Outbound to EX02,{session},5,10.1.2.11:51000,10.1.2.12:25,-,,Local\r\n", id % 10),
    ]
    .concat()
}

fn send_log() -> String {
    format!("{HEADER}{}", send_session(1))
}

/// A folder with a valid Send log of EX01, to check that it is still read.
fn collection() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("EX01");
    std::fs::create_dir(&good).expect("mkdir");
    std::fs::write(good.join("SEND20261126-1.LOG"), send_log()).expect("write");
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).expect("mkdir");
    (dir, bad)
}

fn run(args: &[&str], paths: &[&Path]) -> (Value, i32, String) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(args)
        .args(paths)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (json, output.status.code().unwrap_or(-1), stderr)
}

fn inventory(paths: &[&Path]) -> (Value, i32) {
    let (json, code, _) = run(&["inventory", "--format", "json"], paths);
    (json, code)
}

fn scan(paths: &[&Path]) -> (Value, i32) {
    let (json, code, _) = run(&["--quiet", "scan", "--format", "json"], paths);
    (json, code)
}

/// The inventory row whose origin ends with `suffix`.
fn artifact<'a>(json: &'a Value, suffix: &str) -> &'a Value {
    json["artifacts"]
        .as_array()
        .expect("artifacts array")
        .iter()
        .find(|a| a["origin"].as_str().is_some_and(|o| o.ends_with(suffix)))
        .unwrap_or_else(|| panic!("no artifact ending with {suffix} in {json:#}"))
}

/// The scan coverage line (not read, or read with problems) for `suffix`.
fn coverage_reason(json: &Value, suffix: &str) -> String {
    let coverage = &json["coverage"];
    coverage["not_read"]
        .as_array()
        .into_iter()
        .chain(coverage["read_with_problems"].as_array())
        .flatten()
        .find(|a| a["origin"].as_str().is_some_and(|o| o.ends_with(suffix)))
        .and_then(|a| a["reason"].as_str())
        .unwrap_or_else(|| panic!("{suffix} is not in the coverage of {coverage:#}"))
        .to_string()
}

/// The valid Send log was read: its 454 is evidence and EX01 → EX02 fails.
fn assert_good_log_read(scan: &Value, code: i32) {
    assert_eq!(code, 1, "the 454 in the valid log is evidence");
    assert!(
        scan["inputs"]["evidence"]["smtp-auth-attempt"].as_u64() >= Some(1)
            || scan["pairs"].as_array().is_some_and(|p| !p.is_empty()),
        "the valid log yields evidence: {:#}",
        scan["inputs"]
    );
}

#[cfg(target_os = "linux")]
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(not(target_os = "linux"))]
fn peak_rss_kib(_: u32) -> Option<u64> {
    None
}

/// Runs `exauth --quiet scan --format json` on `paths`, returning the JSON,
/// the exit code, the time taken and the peak RSS seen (Linux: polled).
fn scan_measured(paths: &[&Path]) -> (Value, i32, Duration, u64) {
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let start = Instant::now();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("exauth"))
        .args(["--quiet", "scan", "--format", "json"])
        .args(paths)
        .stdout(out.reopen().expect("reopen"))
        .spawn()
        .expect("spawn");
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "hangs");
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let json = serde_json::from_slice(&std::fs::read(out.path()).expect("read")).expect("JSON");
    (json, status.code().unwrap_or(-1), elapsed, peak)
}

/// Writes `prefix`, then `len` bytes of `fill` with no newline, then `suffix`,
/// streaming (never the whole line in memory).
fn write_long_line(path: &Path, prefix: &[u8], len: usize, suffix: &[u8]) {
    let mut file = BufWriter::new(std::fs::File::create(path).expect("create"));
    file.write_all(prefix).expect("write");
    let block = vec![b'A'; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        file.write_all(&block[..n]).expect("write");
        left -= n;
    }
    file.write_all(suffix).expect("write");
    file.flush().expect("flush");
}

const MB_200: usize = 200 << 20;

#[test]
fn line_of_200_mb_in_a_protocol_log_is_skipped_while_streaming() {
    let (dir, bad) = collection();
    let path = bad.join("SEND20261126-2.LOG");
    let prefix = format!("{HEADER}2026-11-26T10:40:00.000Z,");
    write_long_line(
        &path,
        prefix.as_bytes(),
        MB_200,
        format!("\r\n{}", send_session(2)).as_bytes(),
    );
    let (json, code, elapsed, peak_kib) = scan_measured(&[dir.path()]);
    assert_good_log_read(&json, code);
    let reason = coverage_reason(&json, "bad/SEND20261126-2.LOG");
    assert!(reason.contains("line 6"), "{reason}");
    assert!(reason.contains("exceeds the line limit"), "{reason}");
    // Even a debug build streams 200 MB in seconds; the line is never held
    // whole (the reader's cap is 64 MiB).
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    if peak_kib > 0 {
        assert!(peak_kib < 200 * 1024, "peak RSS {peak_kib} KiB");
    }
}

#[test]
fn queue_export_with_a_200_mb_line_is_cut_not_held() {
    let (dir, bad) = collection();
    let path = bad.join("EX02_InstantQueueInfo.txt");
    let queue = "\r\nRunspaceId         : 779ae3c8-728b-4078-aa88-1e8b7f3d0b43\r\nIdentity           : EX02\\3\r\nDeliveryType       : SmtpDeliveryToMailbox\r\nNextHopDomain      : ex01.contoso.com\r\nStatus             : Retry\r\nLastError          : [{LRT=26-11-2026 10:40:05};{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"}]\r\n";
    let prefix = format!(
        "{}\r\nIdentity           : EX02\\4\r\nLastError          : ",
        queue.repeat(20)
    );
    write_long_line(
        &path,
        prefix.as_bytes(),
        MB_200,
        format!("\r\n{}", queue.replace("EX02\\3", "EX02\\5")).as_bytes(),
    );
    let (json, code, elapsed, peak_kib) = scan_measured(&[dir.path()]);
    assert_good_log_read(&json, code);
    let reason = coverage_reason(&json, "bad/EX02_InstantQueueInfo.txt");
    assert!(reason.contains("cut to its first 1024 KiB"), "{reason}");
    // The queues around the long line are still read; the same queue
    // pasted 20 times is one.
    assert!(
        json["inputs"]["evidence"]["queue-last-error"].as_u64() >= Some(3),
        "{:#}",
        json["inputs"]
    );
    let notes = json["coverage"]["duplicates"]["records"].to_string();
    assert!(
        notes.contains(
            "19 duplicate queue rows (same queue, error and time as earlier in the file) set aside"
        ),
        "{notes}"
    );
    // Before the fix: 1.5 GB peak and 100 s in a debug build.
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    if peak_kib > 0 {
        assert!(peak_kib < 200 * 1024, "peak RSS {peak_kib} KiB");
    }
}

/// portqry run in a loop, its output damaged as files get damaged: a line of
/// 200 MB in the middle (a paste gone wrong), NUL bytes, and the last run cut
/// mid-line. Streamed, the long line is cut (a problem naming it), every
/// probe around it counted, and memory stays bounded.
#[test]
fn a_looped_command_output_with_a_200_mb_line_is_counted_around_it() {
    let (dir, bad) = collection();
    let path = bad.join("EX01_portqry-DC01-88.txt");
    let run = "Querying target system called:\r\n\r\n DC01.contoso.com\r\n\r\nName resolved to 10.0.0.10\r\n\r\nTCP port 88 (kerberos service): FILTERED\r\n\r\nUDP port 88 (kerberos service): LISTENING or FILTERED\r\n\r\n";
    let prefix = format!("{}querying...\0\0", run.repeat(500));
    let suffix = format!("\r\n{}TCP port 88 (kerb", run.repeat(500));
    write_long_line(&path, prefix.as_bytes(), MB_200, suffix.as_bytes());
    let (json, code, elapsed, peak_kib) = scan_measured(&[dir.path()]);
    assert_good_log_read(&json, code);
    let reason = coverage_reason(&json, "bad/EX01_portqry-DC01-88.txt");
    assert!(reason.contains("cut to its first 1024 KiB"), "{reason}");
    // Both runs' thousand probes each, and the good log's none.
    assert_eq!(
        json["inputs"]["evidence"]["port-probe"].as_u64(),
        Some(2_000),
        "{:#}",
        json["inputs"]
    );
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    if peak_kib > 0 {
        assert!(peak_kib < 200 * 1024, "peak RSS {peak_kib} KiB");
    }
}

/// A command output run in a loop and damaged as files get damaged, saved
/// as `bad/<name>`: `run` 500 times, a line of 100 MB with NUL bytes (a paste
/// gone wrong), `run` 500 times more, and `cut` (the last run, cut short).
/// Scanned: the valid log beside it is read, the long line is a problem
/// naming its line (the first line after the first 500 runs), memory stays
/// bounded; the scan document comes back for the caller's checks.
fn scan_a_damaged_loop(name: &str, run: &str, cut: &str) -> Value {
    let (dir, bad) = collection();
    let prefix = format!("{}\0\0", run.repeat(500));
    let suffix = format!("\r\n{}{cut}", run.repeat(500));
    write_long_line(
        &bad.join(name),
        prefix.as_bytes(),
        100 << 20,
        suffix.as_bytes(),
    );
    let (json, code, _, peak_kib) = scan_measured(&[dir.path()]);
    assert_good_log_read(&json, code);
    let reason = coverage_reason(&json, &format!("bad/{name}"));
    let long_line = run.lines().count() * 500 + 1;
    assert!(
        reason.contains(&format!("line {long_line}"))
            && reason.contains("cut to its first 1024 KiB"),
        "{reason}"
    );
    if peak_kib > 0 {
        assert!(peak_kib < 200 * 1024, "peak RSS {peak_kib} KiB");
    }
    json
}

/// klist run in a loop, damaged: every run that listed tickets is counted
/// in the one fact of the output (the cut one too).
#[test]
fn a_looped_klist_with_a_100_mb_line_is_read_around_it() {
    let run = "\r\nCurrent LogonId is 0:0x3e7\r\n\r\nCached Tickets: (1)\r\n\r\n#0>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: SMTPSVC/EX02.contoso.com @ CONTOSO.COM\r\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n\tKdc Called: DC01.contoso.com\r\n";
    let json = scan_a_damaged_loop(
        "EX01_klist.txt",
        run,
        "\r\nCurrent LogonId is 0:0x3e7\r\n\r\nCached Tickets: (1)\r\n\r\n#0>\tClient: EX01$ @ CON",
    );
    assert_eq!(
        json["inputs"]["evidence"]["ticket-cache"].as_u64(),
        Some(1_001),
        "{:#}",
        json["inputs"]
    );
}

/// nltest run in a loop, damaged: the one fact of the output is the
/// failure, standing for every run that said it whole (the cut one said
/// `ERROR_NO_SU`: another failure, not counted as this one).
#[test]
fn a_looped_nltest_with_a_100_mb_line_is_read_around_it() {
    let json = scan_a_damaged_loop(
        "EX01_nltest-dsgetdc.txt",
        "           DC: \\\\DC01.contoso.com\r\n      Address: \\\\10.0.0.10\r\nThe command completed successfully\r\nGetting DC name failed: Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN\r\n",
        "           DC: \\\\DC01.contoso.com\r\nGetting DC name failed: Status = 1355 0x54b ERROR_NO_SU",
    );
    assert_eq!(
        json["inputs"]["evidence"]["dc-locator"].as_u64(),
        Some(1_000),
        "{:#}",
        json["inputs"]
    );
}

/// ipconfig run in a loop, damaged: read around the long line (its
/// problem), the file an ipconfig output read.
#[test]
fn a_looped_ipconfig_with_a_100_mb_line_is_read_around_it() {
    let run = "\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : EX01\r\n   Primary Dns Suffix  . . . . . . . : contoso.com\r\n\r\nEthernet adapter Ethernet0:\r\n\r\n   IPv4 Address. . . . . . . . . . . : 10.1.2.11(Preferred)\r\n   DNS Servers . . . . . . . . . . . : 10.1.2.10\r\n";
    let json = scan_a_damaged_loop(
        "EX01_ipconfig.txt",
        run,
        "\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : EX01\r\n   Primary Dns Suffix  . . . . . . . : contoso.com\r\n\r\nEthernet adapter Ether",
    );
    assert_eq!(json["inputs"]["by_kind"]["ipconfig"]["files"], 1);
}

/// `Get-ReceiveConnector | fl` run in a loop, damaged: every connector
/// around the long line counted (the cut run's too).
#[test]
fn looped_receive_connectors_with_a_100_mb_line_are_read_around_it() {
    let run = "\r\nAuthMechanism    : Tls\r\nBindings         : {0.0.0.0:2525}\r\nPermissionGroups : AnonymousUsers\r\nRemoteIPRanges   : {10.0.1.0/24}\r\nIdentity         : EX02\\Internal Relay\r\n";
    let json = scan_a_damaged_loop(
        "EX02_ReceiveConnectors.txt",
        run,
        "\r\nAuthMechanism    : Tls\r\nBindings         : {0.0.0.0:2",
    );
    assert_eq!(
        json["inputs"]["evidence"]["connector-auth"].as_u64(),
        Some(1_001),
        "{:#}",
        json["inputs"]
    );
}

/// `repadmin /showrepl` run in a loop over a failing link, damaged: every
/// neighbour around the long line counted (its growing count one streak), the
/// cut run's too.
#[test]
fn a_looped_showrepl_with_a_100_mb_line_is_read_around_it() {
    let run = "Default-First-Site-Name\\DC01\r\n==== INBOUND NEIGHBORS ======================================\r\n\r\nDC=contoso,DC=com\r\n    Default-First-Site-Name\\DC02 via RPC\r\n        Last attempt @ 2026-11-26 07:33:38 failed, result 8524 (0x214c):\r\n            The DSA operation is unable to proceed because of a DNS lookup failure.\r\n        3 consecutive failure(s).\r\n";
    let json = scan_a_damaged_loop(
        "DC01_repadmin-showrepl.txt",
        run,
        "Default-First-Site-Name\\DC01\r\n==== INBOUND NEIGHBORS ====\r\n\r\nDC=contoso,DC=com\r\n    Default-First-Site-Name\\DC02 via RPC\r\n        Last attempt @ 2026-11-26 07:3",
    );
    assert_eq!(
        json["inputs"]["evidence"]["replication-status"].as_u64(),
        Some(1_001),
        "{:#}",
        json["inputs"]
    );
}

#[test]
fn nul_bytes_are_reported_and_the_run_goes_on() {
    let (dir, bad) = collection();
    // All NULs: a preallocated file that was never written.
    std::fs::write(bad.join("SEND20261126-3.LOG"), vec![0u8; 70_000]).expect("write");
    // A log whose middle was zeroed (an unclean shutdown), past the head.
    let mut log = HEADER.as_bytes().to_vec();
    for id in 10..40 {
        log.extend_from_slice(send_session(id).as_bytes());
    }
    assert!(log.len() > 4096);
    log.extend_from_slice(&[0u8; 20_000]);
    log.extend_from_slice(b"\r\n");
    log.extend_from_slice(send_session(41).as_bytes());
    std::fs::write(bad.join("SEND20261126-4.LOG"), &log).expect("write");
    // A short log whose tail was zeroed: the NULs are in the head.
    let mut short = send_log().into_bytes();
    short.extend_from_slice(&[0u8; 10_000]);
    std::fs::write(bad.join("SEND20261126-9.LOG"), &short).expect("write");

    let (inv, _) = inventory(&[dir.path()]);
    let zeros = artifact(&inv, "bad/SEND20261126-3.LOG");
    assert_eq!(zeros["status"], "unknown");
    assert_eq!(zeros["reason"], "binary content of no known format");
    assert_eq!(artifact(&inv, "bad/SEND20261126-4.LOG")["status"], "ok");

    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
    assert_eq!(
        coverage_reason(&json, "bad/SEND20261126-3.LOG"),
        "binary content of no known format"
    );
    let reason = coverage_reason(&json, "bad/SEND20261126-4.LOG");
    assert!(reason.contains("line "), "{reason}");
    let reason = coverage_reason(&json, "bad/SEND20261126-9.LOG");
    assert!(
        reason.contains("truncated last line (10000 bytes"),
        "{reason}"
    );
}

#[test]
fn log_with_a_zeroed_tail_is_still_read() {
    let (dir, bad) = collection();
    let mut short = send_log().into_bytes();
    short.extend_from_slice(&[0u8; 10_000]);
    std::fs::write(bad.join("SEND20261126-9.LOG"), &short).expect("write");
    let (inv, _) = inventory(&[dir.path()]);
    let row = artifact(&inv, "bad/SEND20261126-9.LOG");
    assert_eq!(row["kind"], "smtp-send-log", "{row}");
    assert_eq!(row["status"], "ok", "{row}");
}

#[test]
fn invalid_utf8_is_shown_replaced_and_reported() {
    let (dir, bad) = collection();
    // Valid UTF-8 in the head (sniffed as UTF-8), invalid bytes further on.
    let mut log = HEADER.as_bytes().to_vec();
    for id in 10..40 {
        log.extend_from_slice(send_session(id).as_bytes());
    }
    log.extend_from_slice(
        b"2026-11-26T10:41:00.000Z,Outbound to EX02,08DC6D1A2B3CFFFF,0,10.1.2.11:51000,10.1.2.12:25,<,220 EX\xff\xfe02 \xc3\x28 ready,\r\n",
    );
    std::fs::write(bad.join("SEND20261126-5.LOG"), &log).expect("write");
    // A queue export (read whole) with invalid UTF-8.
    let mut queue = b"\r\nIdentity           : EX02\\3\r\nDeliveryType       : SmtpDeliveryToMailbox\r\nNextHopDomain      : ex01.contoso.com\r\nStatus             : Retry\r\n".repeat(60);
    queue.extend_from_slice(b"LastError          : bad \xff\xfe bytes\r\n");
    std::fs::write(bad.join("EX02_InstantQueueInfo.txt"), &queue).expect("write");

    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
    let reason = coverage_reason(&json, "bad/EX02_InstantQueueInfo.txt");
    assert!(reason.contains("invalid UTF-8"), "{reason}");
    // The log's bad bytes are replaced where shown, the file is read.
    let (inv, _) = inventory(&[dir.path()]);
    assert_eq!(artifact(&inv, "bad/SEND20261126-5.LOG")["status"], "ok");
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[test]
fn lone_utf16_surrogates_and_an_odd_byte_count_are_reported() {
    let (dir, bad) = collection();
    let mut log = utf16le(&format!("{HEADER}{}", send_session(7)));
    // A lone high surrogate, a lone low surrogate, then half a code unit.
    log.extend_from_slice(&[0x00, 0xD8, b'A', 0x00, 0x00, 0xDC, b'\r', 0, b'\n', 0, b'x']);
    assert_eq!(log.len() % 2, 1);
    std::fs::write(bad.join("SEND20261126-6.LOG"), &log).expect("write");

    let (inv, _) = inventory(&[dir.path()]);
    let row = artifact(&inv, "bad/SEND20261126-6.LOG");
    assert_eq!(row["kind"], "smtp-send-log");
    assert_eq!(row["encoding"], "utf-16le-bom");

    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
    let reason = coverage_reason(&json, "bad/SEND20261126-6.LOG");
    assert!(
        reason.contains("3 characters could not be decoded as utf-16le-bom"),
        "{reason}"
    );
}

#[test]
fn xml_entity_expansion_is_refused_and_deep_nesting_read_without_recursion() {
    let (dir, bad) = collection();
    // Billion laughs in event XML and in CliXml.
    let mut laughs =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE Events [\n<!ENTITY lol \"lol\">\n");
    laughs.push_str("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..10 {
        let prev = format!("&lol{};", i - 1);
        laughs.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", prev.repeat(10)));
    }
    laughs.push_str("]>\n");
    let event_xml = format!(
        "{laughs}<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchangeTransport'/><EventID Qualifiers='32768'>1035</EventID><TimeCreated SystemTime='2026-11-26T10:40:05.000Z'/><Computer>&lol9;</Computer></System><EventData><Data>&lol9;</Data></EventData></Event></Events>"
    );
    std::fs::write(bad.join("System-laughs.xml"), &event_xml).expect("write");
    let clixml = format!(
        "{laughs}<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj RefId=\"0\"><Props><S N=\"Identity\">&lol9;</S><S N=\"LastError\">&lol9;</S></Props></Obj></Objs>"
    );
    std::fs::write(bad.join("EX02_laughs_InstantQueueInfo.xml"), &clixml).expect("write");
    // 100,000 levels of nesting in both.
    let deep = 100_000;
    let nested_event = format!(
        "<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchangeTransport'/><EventID>1035</EventID></System><EventData>{}{}</EventData></Event></Events>",
        "<Data>".repeat(deep),
        "</Data>".repeat(deep)
    );
    std::fs::write(bad.join("System-deep.xml"), &nested_event).expect("write");
    let nested_clixml = format!(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">{}{}</Objs>",
        "<Obj RefId=\"0\"><Props>".repeat(deep),
        "</Props></Obj>".repeat(deep)
    );
    std::fs::write(bad.join("EX02_deep_InstantQueueInfo.xml"), &nested_clixml).expect("write");

    let (json, code, elapsed, peak_kib) = scan_measured(&[dir.path()]);
    assert_good_log_read(&json, code);
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    if peak_kib > 0 {
        assert!(peak_kib < 200 * 1024, "peak RSS {peak_kib} KiB");
    }
    // No expansion reaches the output.
    let text = json.to_string();
    assert!(!text.contains("lollol"), "an entity was expanded");
    let (inv, _) = inventory(&[dir.path()]);
    for name in [
        "System-laughs.xml",
        "EX02_laughs_InstantQueueInfo.xml",
        "System-deep.xml",
        "EX02_deep_InstantQueueInfo.xml",
    ] {
        let row = artifact(&inv, &format!("bad/{name}"));
        assert!(row["status"].is_string(), "{row}");
    }
    for name in ["System-laughs.xml", "EX02_laughs_InstantQueueInfo.xml"] {
        let reason = coverage_reason(&json, &format!("bad/{name}"));
        assert!(reason.contains("DOCTYPE ignored"), "{name}: {reason}");
    }
}

#[test]
fn json_nested_100000_deep_is_refused() {
    let (dir, bad) = collection();
    let deep = 100_000;
    let json_text = format!(
        "[{{\"Identity\":\"EX02\\\\3\",\"DeliveryType\":\"SmtpDeliveryToMailbox\",\"NextHopDomain\":\"ex01.contoso.com\",\"LastError\":{}{}}}]",
        "[".repeat(deep),
        "]".repeat(deep)
    );
    std::fs::write(bad.join("EX02_InstantQueueInfo.json"), &json_text).expect("write");

    let (inv, _) = inventory(&[dir.path()]);
    assert_eq!(
        artifact(&inv, "bad/EX02_InstantQueueInfo.json")["kind"],
        "queue-export"
    );
    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
    let reason = coverage_reason(&json, "bad/EX02_InstantQueueInfo.json");
    assert!(reason.contains("recursion limit"), "{reason}");
}

/// A zip in memory from (name, bytes) entries, stored (not compressed).
fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        writer.start_file(*name, options).expect("start entry");
        writer.write_all(bytes).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

#[test]
fn zip_whose_local_and_central_headers_disagree_is_reported() {
    let (dir, bad) = collection();
    let log = send_log();
    // The central directory says one name and size, the local header another.
    let mut zip = zip_bytes(&[("SEND20261126-7.LOG", log.as_bytes())]);
    let local = zip
        .windows(4)
        .position(|w| w == b"PK\x03\x04")
        .expect("local");
    let name_at = local + 30;
    zip[name_at..name_at + 4].copy_from_slice(b"EVIL");
    zip[local + 18..local + 22].copy_from_slice(&7u32.to_le_bytes());
    zip[local + 22..local + 26].copy_from_slice(&7u32.to_le_bytes());
    std::fs::write(bad.join("liar.zip"), &zip).expect("write");
    // The same archive inside another (read from memory, not from disk).
    let outer = zip_bytes(&[("inner.zip", &zip)]);
    std::fs::write(bad.join("outer.zip"), &outer).expect("write");

    let (inv, _) = inventory(&[dir.path()]);
    for origin in [
        "bad/liar.zip!SEND20261126-7.LOG",
        "bad/outer.zip!inner.zip!SEND20261126-7.LOG",
    ] {
        let rows: Vec<&Value> = inv["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| {
                a["origin"]
                    .as_str()
                    .is_some_and(|o| o.contains(origin.split('!').next().unwrap()))
            })
            .collect();
        assert!(!rows.is_empty(), "{origin} is listed: {inv:#}");
    }
    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
}

#[test]
fn zip_entry_named_to_climb_out_is_shown_never_written() {
    let (dir, bad) = collection();
    let zip = zip_bytes(&[
        ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n"),
        ("/etc/shadow", b"root:*:19000:0:99999:7:::\n"),
        ("..\\..\\Windows\\evil.LOG", send_log().as_bytes()),
    ]);
    std::fs::write(bad.join("climb.zip"), &zip).expect("write");
    let before = files_under(dir.path());

    let (inv, _) = inventory(&[dir.path()]);
    let passwd = artifact(&inv, "bad/climb.zip!../../etc/passwd");
    assert_eq!(passwd["status"], "unknown");
    artifact(&inv, "bad/climb.zip!/etc/shadow");
    artifact(&inv, "bad/climb.zip!..\\..\\Windows\\evil.LOG");
    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
    // Nothing was extracted anywhere near the collection.
    assert_eq!(files_under(dir.path()), before);
    assert!(!dir.path().join("etc").exists());
    assert!(!bad.parent().unwrap().join("etc/passwd").exists());
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

#[test]
fn ten_thousand_tiny_files_are_all_listed() {
    let (dir, bad) = collection();
    for i in 0..10_000 {
        let sub = bad.join(format!("d{:02}", i % 100));
        if i < 100 {
            std::fs::create_dir(&sub).expect("mkdir");
        }
        std::fs::write(sub.join(format!("f{i:05}.txt")), format!("{i}\n")).expect("write");
    }
    let start = Instant::now();
    let (inv, code) = inventory(&[dir.path()]);
    assert_eq!(code, 0);
    assert_eq!(inv["totals"]["artifacts"], 10_001);
    assert_eq!(inv["totals"]["by_status"]["unknown"], 10_000);
    assert_eq!(inv["totals"]["by_status"]["ok"], 1);
    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
    assert_eq!(json["inputs"]["artifacts"], 10_001);
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_listed_without_blocking_the_run() {
    let (dir, bad) = collection();
    let fifo = bad.join("SEND20261126-8.LOG");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: mkfifo not available; skipped");
        return;
    }
    // Nobody ever writes to the FIFO: reading it would block forever.
    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
    let (inv, _) = inventory(&[dir.path(), &fifo]);
    let row = artifact(&inv, "bad/SEND20261126-8.LOG");
    assert_eq!(row["status"], "error", "{row}");
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{row}"
    );
}

#[test]
fn entry_names_ending_inside_a_multibyte_character_are_listed() {
    // Found by fuzzing the archive walker: the server hint sliced such a name.
    let (dir, bad) = collection();
    let log = send_log();
    let zip = zip_bytes(&[
        ("a\u{2565}\u{2565}/SEND20261126-1.LOG", log.as_bytes()),
        ("b\u{2565}\u{2565}.zip", b"PK\x03\x04"),
    ]);
    std::fs::write(bad.join("names.zip"), &zip).expect("write");
    let (inv, _) = inventory(&[dir.path()]);
    artifact(&inv, "names.zip!a\u{2565}\u{2565}/SEND20261126-1.LOG");
    artifact(&inv, "names.zip!b\u{2565}\u{2565}.zip");
    let (json, code) = scan(&[dir.path()]);
    assert_good_log_read(&json, code);
}

/// A committed sample's text (UTF-16LE with its byte order mark, or UTF-8
/// with or without one).
fn sample_text(path: &str) -> String {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(path),
    )
    .expect("sample");
    match bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(rest) => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).expect("UTF-16")
        }
        None => String::from_utf8(bytes)
            .expect("UTF-8")
            .trim_start_matches('\u{feff}')
            .to_string(),
    }
}

/// Scans a [`collection`] holding junk beside its valid log: the log read,
/// peak RSS under 100 MB (junk held took 3 to 10 times its bytes).
fn scan_bounded(dir: &Path) -> Value {
    let (json, code, _, peak_kib) = scan_measured(&[dir]);
    assert_good_log_read(&json, code);
    if peak_kib > 0 {
        assert!(peak_kib < 100 * 1024, "peak RSS {peak_kib} KiB");
    }
    json
}

/// Junk lines glued after a text: 40 MB of [`junk`].
const JUNK_LINES: usize = 1_000_000;

/// A line of junk.
fn junk(i: usize) -> String {
    format!("this line is junk {i:08} ~~~~ ^^^^ |||\r\n")
}

/// `head` (an export, as read), then [`JUNK_LINES`] lines of [`junk`] (a
/// paste glued to garbage, a file cut and joined to another), saved as
/// `bad/<name>` beside the valid log and scanned; memory stays bounded
/// (kept, a problem or a stray line a junk line took 3 to 10 times the
/// junk's bytes, a description that swallowed it 4 times: 140 to 440 MB
/// here; 35 MB now). The scan document, and
/// that of the same collection without the junk, come back for the
/// caller's checks.
fn scan_glued_to_junk(name: &str, head: &str) -> (Value, Value) {
    scan_glued_to(name, head, junk, JUNK_LINES)
}

/// [`scan_glued_to_junk`] with `lines` lines of `junk`.
fn scan_glued_to(
    name: &str,
    head: &str,
    junk: fn(usize) -> String,
    lines: usize,
) -> (Value, Value) {
    let (dir, bad) = collection();
    let mut file = BufWriter::new(std::fs::File::create(bad.join(name)).expect("create"));
    file.write_all(head.as_bytes()).expect("write");
    if !head.ends_with('\n') {
        file.write_all(b"\r\n").expect("write");
    }
    for i in 0..lines {
        file.write_all(junk(i).as_bytes()).expect("write");
    }
    file.flush().expect("flush");
    drop(file);
    let json = scan_bounded(dir.path());
    let (clean, bad) = collection();
    std::fs::write(bad.join(name), head).expect("write");
    let (alone, _, _, _) = scan_measured(&[clean.path()]);
    // Nothing the export says is lost.
    assert_eq!(json["inputs"]["evidence"], alone["inputs"]["evidence"]);
    assert_eq!(json["verdict"], alone["verdict"]);
    // Problems are listed up to a thousand a file (and a line that says how
    // many more), whatever the junk.
    assert!(
        json["coverage"]["problems_in_files"].as_u64() <= Some(1_001),
        "{:#}",
        json["coverage"]
    );
    (json, alone)
}

/// `Get-Queue | fl` glued to junk: each junk line a problem, counted.
#[test]
fn a_queue_export_glued_to_junk_counts_its_problems_in_bounded_memory() {
    let (json, alone) = scan_glued_to_junk(
        "EX01_queue.txt",
        &sample_text("handover-clock-skew/ticket/queue-EX01.txt"),
    );
    assert_eq!(alone["inputs"]["evidence"]["queue-last-error"], 1);
    let reason = coverage_reason(&json, "bad/EX01_queue.txt");
    assert!(
        reason.contains("neither a property nor a continuation: this line is junk 00000000")
            && reason.contains("(and 999,999 more problems)"),
        "{reason}"
    );
}

/// Test-NetConnection glued to junk: the result read, each junk line a
/// problem, counted.
#[test]
fn a_port_test_glued_to_junk_counts_its_problems_in_bounded_memory() {
    let (json, alone) = scan_glued_to_junk(
        "EX01_Test-NetConnection-DC01-88.txt",
        &sample_text("kerberos-blocked/EX01/EX01_Test-NetConnection-DC01-88.txt"),
    );
    assert_eq!(alone["inputs"]["evidence"]["port-probe"], 1);
    let reason = coverage_reason(&json, "bad/EX01_Test-NetConnection-DC01-88.txt");
    assert!(
        reason.contains("unexpected line: this line is junk 00000000")
            && reason.contains("(and 999,999 more problems)"),
        "{reason}"
    );
}

/// ipconfig whose adapter section runs into junk: each junk line a
/// problem, counted (2 GB for 210 MB when each was kept).
#[test]
fn an_ipconfig_glued_to_junk_counts_its_problems_in_bounded_memory() {
    let head = "\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : EX02\r\n   Primary Dns Suffix  . . . . . . . : contoso.local\r\n\r\n";
    let (json, _) = scan_glued_to_junk("ipconfig-EX02.txt", head);
    assert_eq!(json["inputs"]["by_kind"]["ipconfig"]["files"], 1);
    let reason = coverage_reason(&json, "bad/ipconfig-EX02.txt");
    assert!(
        reason.contains("not an ipconfig caption line: this line is junk 00000000")
            && reason.contains("(and 999,999 more problems)"),
        "{reason}"
    );
}

/// `Get-ReceiveConnector | fl` glued to junk: every connector read, the
/// junk's stray lines not kept (274 MB for 100 MB when they were).
#[test]
fn receive_connectors_glued_to_junk_are_read_in_bounded_memory() {
    let (_, alone) = scan_glued_to_junk(
        "EX01_ReceiveConnectors.txt",
        &sample_text("ad-replication/EX01/Exchange_Server_Data/EX01_ReceiveConnectors.txt"),
    );
    assert_eq!(alone["inputs"]["evidence"]["connector-auth"], 5);
}

/// An Event Viewer copy whose last description runs into junk: the event
/// read, the description cut at 1 MiB and the lines past it counted in a
/// problem (865 MB for 210 MB when the description kept them).
#[test]
fn an_event_copy_glued_to_junk_is_read_and_its_description_cut() {
    let head = "Log Name:      Application\r\nSource:        MSExchangeTransport\r\nDate:          26/11/2026 04:09:12\r\nEvent ID:      1035\r\nTask Category: SmtpReceive\r\nLevel:         Warning\r\nKeywords:      Classic\r\nUser:          N/A\r\nComputer:      EX02.contoso.local\r\nDescription:\r\nInbound authentication failed with error IllegalMessage for Receive connector Default EX02. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.1.11].\r\n";
    let (json, alone) = scan_glued_to_junk("event-1035-EX02.txt", head);
    assert_eq!(alone["inputs"]["evidence"]["inbound-auth-failed"], 1);
    let reason = coverage_reason(&json, "bad/event-1035-EX02.txt");
    assert!(
        reason.contains("an event's text runs past 1 MiB here") && reason.contains("not kept"),
        "{reason}"
    );
}

/// Events copied with their Event Xml, the last one's XML running into
/// junk: the events read (the last from its captions and message), the
/// XML cut at 1 MiB and the lines past it counted in a second problem.
#[test]
fn event_xml_glued_to_junk_is_cut_and_counted() {
    let (json, alone) = scan_glued_to_junk(
        "events-system-EX02.txt",
        &sample_text("handover-clock-skew/ticket/events-system-EX02.txt"),
    );
    assert_eq!(alone["inputs"]["evidence"]["kerberos-error"], 1);
    let reason = coverage_reason(&json, "bad/events-system-EX02.txt");
    assert!(
        reason.contains("Event Xml block incomplete or damaged")
            && reason.ends_with("(and 1 more problem)"),
        "{reason}"
    );
}

/// `Get-Queue | fl` whose last value runs into indented junk (each line a
/// continuation of it: 241 MB for 50 MB when kept): the value keeps 1 MiB,
/// the lines past it are one problem.
#[test]
fn a_queue_value_continued_by_junk_is_cut_in_bounded_memory() {
    let (json, _) = scan_glued_to(
        "EX01_queue.txt",
        &sample_text("handover-clock-skew/ticket/queue-EX01.txt"),
        |i| format!("        continued junk {i:08} ~~~~ ^^^^\r\n"),
        JUNK_LINES,
    );
    let reason = coverage_reason(&json, "bad/EX01_queue.txt");
    assert!(
        reason.contains("runs past 1 MiB here: ") && reason.contains(" lines not kept"),
        "{reason}"
    );
}

/// `Get-Queue | fl` glued to junk shaped `Name : value`, every name new:
/// the last object never ended and each line looked through every
/// property before it (50 MB did not end in 4 minutes). It keeps 512, the
/// rest is one problem, and the run ends.
#[test]
fn a_queue_object_of_junk_properties_is_cut_and_read_to_its_end() {
    let lines = 200_000;
    let (json, _) = scan_glued_to(
        "EX01_queue.txt",
        &sample_text("handover-clock-skew/ticket/queue-EX01.txt"),
        |i| format!("Junk{i:08} : value\r\n"),
        lines,
    );
    let reason = coverage_reason(&json, "bad/EX01_queue.txt");
    assert!(
        reason.contains("an object has more than 512 properties here: "),
        "{reason}"
    );
}

/// A CliXml export (`Get-Queue | Export-Clixml`, `Get-ReceiveConnector |
/// Export-Clixml`, ExchangeLogCollector's `.xml`) with 40 MB of junk inside
/// one of its strings: an XML reader holds a text node whole (327 and 420
/// MB for 48 MB when it did). The run keeps a megabyte of it, says how
/// much it did not read, and reads every object as without the junk.
#[test]
fn a_clixml_string_of_junk_is_cut_in_bounded_memory() {
    for (sample, name) in [
        (
            "ad-replication/EX01/Exchange_Server_Data/EX01_InstantQueueInfo.xml",
            "EX01_InstantQueueInfo.xml",
        ),
        (
            "ad-replication/EX01/Exchange_Server_Data/EX01_ReceiveConnectors.xml",
            "EX01_ReceiveConnectors.xml",
        ),
    ] {
        let text = sample_text(sample);
        let start = text.find("<S N=").expect("a string");
        let (before, after) = text.split_at(text[start..].find('>').expect("its tag") + start + 1);
        let (dir, bad) = collection();
        let mut file = BufWriter::new(std::fs::File::create(bad.join(name)).expect("create"));
        file.write_all(before.as_bytes()).expect("write");
        for i in 0..JUNK_LINES {
            file.write_all(junk(i).as_bytes()).expect("write");
        }
        file.write_all(after.as_bytes()).expect("write");
        file.flush().expect("flush");
        drop(file);
        let json = scan_bounded(dir.path());
        let reason = coverage_reason(&json, &format!("bad/{name}"));
        assert!(
            reason.contains("text without markup runs past 1 MiB here: ")
                && reason.contains(" bytes not read"),
            "{reason}"
        );
        let (clean, bad) = collection();
        std::fs::write(bad.join(name), &text).expect("write");
        let (alone, _, _, _) = scan_measured(&[clean.path()]);
        assert_eq!(
            json["inputs"]["evidence"], alone["inputs"]["evidence"],
            "{name}"
        );
    }
}

/// `Get-Message | ConvertTo-Json -Compress` (one line) whose message's
/// Subject holds 40 MB of junk: a JSON reader holds a string whole (232 MB
/// for 50 MB when it did). The string keeps a megabyte, the run says how
/// much it did not read, and the messages after it are read.
#[test]
fn a_json_string_of_junk_is_cut_in_bounded_memory() {
    let message = |i: usize, subject: &str| {
        format!("{{\"Identity\":\"EX01\\\\3\\\\{i}\",\"Queue\":\"EX01\\\\3\",\"Subject\":\"{subject}\",\"FromAddress\":\"user{i}@contoso.com\",\"Status\":3,\"LastError\":\"451 4.4.0 Primary target IP address responded with: \\\"454 4.7.0 Temporary authentication failure.\\\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.1.2.12:25\",\"RetryCount\":4}}")
    };
    let write = |dir: &Path, junk_lines: usize| {
        let mut file =
            BufWriter::new(std::fs::File::create(dir.join("messages-EX01.json")).expect("create"));
        let head: Vec<String> = (0..20).map(|i| message(i, "Quarterly report")).collect();
        write!(file, "[{},", head.join(",")).expect("write");
        let subject: String = (0..junk_lines)
            .map(|i| junk(i).trim_end().to_string())
            .collect();
        write!(file, "{},{}]", message(20, &subject), message(21, "after")).expect("write");
        file.flush().expect("flush");
    };
    let (dir, bad) = collection();
    write(&bad, JUNK_LINES);
    let json = scan_bounded(dir.path());
    let reason = coverage_reason(&json, "bad/messages-EX01.json");
    assert!(
        reason.contains("a string runs past 1 MiB here: ")
            && reason.contains(" bytes of it not read"),
        "{reason}"
    );
    let (clean, bad) = collection();
    write(&bad, 10);
    let (alone, _, _, _) = scan_measured(&[clean.path()]);
    assert_eq!(json["inputs"]["evidence"], alone["inputs"]["evidence"]);
    assert_eq!(json["pairs"], alone["pairs"]);
}

/// `Get-Queue | Export-Csv` whose last row lost its closing quote and runs
/// into 40 MB of junk: a quoted field runs over lines to its quote, held
/// whole (735 MB for 54 MB when it was). The field keeps a megabyte, the
/// row says how much it did not read, the rows before it read as without
/// the junk, and the row after it is read.
#[test]
fn a_csv_field_whose_quote_never_closes_is_cut_in_bounded_memory() {
    let head = "#TYPE Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo\r\n\"Identity\",\"DeliveryType\",\"NextHopDomain\",\"Status\",\"MessageCount\",\"LastError\",\"RetryCount\"\r\n\"EX01\\3\",\"SmtpRelayToMailboxDeliveryGroup\",\"site:default-first-site-name\",\"Retry\",\"12\",\"451 4.4.0 Primary target IP address responded with: \"\"454 4.7.0 Temporary authentication failure.\"\" Attempted failover to alternate host, but that did not succeed. The last endpoint attempted was 10.1.2.12:25\",\"11\"\r\n";
    let cut_row = "\"EX01\\4\",\"SmtpRelay\",\"contoso.com\",\"Ready\",\"0\",\"";
    let (dir, bad) = collection();
    let mut file =
        BufWriter::new(std::fs::File::create(bad.join("queue-EX01.csv")).expect("create"));
    write!(file, "{head}{cut_row}").expect("write");
    for i in 0..JUNK_LINES {
        file.write_all(junk(i).as_bytes()).expect("write");
    }
    // The quote closes at last; a row follows on its own line.
    write!(file, "\",\"0\"\r\n\"EX01\\5\",\"SmtpRelay\",\"fabrikam.com\",\"Retry\",\"1\",\"451 4.4.0 Primary target IP address responded with: \"\"454 4.7.0 Temporary authentication failure.\"\"\",\"2\"\r\n").expect("write");
    file.flush().expect("flush");
    drop(file);
    let json = scan_bounded(dir.path());
    let reason = coverage_reason(&json, "bad/queue-EX01.csv");
    assert!(
        reason.starts_with("line 4: a quoted field runs past 1 MiB in this row: ")
            && reason.contains(" bytes of it not read"),
        "{reason}"
    );
    // EX01\3, EX01\4 (its LastError the junk, cut) and EX01\5, after it.
    assert_eq!(
        json["inputs"]["evidence"]["queue-last-error"], 3,
        "{:#}",
        json["inputs"]
    );
}
