//! Issue 13 items 4–5: which server a file belongs to, read from what admins
//! really hand over. A file-name prefix (`EX01_…`, `EX01-…`, `EX01 …`) or a
//! folder word is only a candidate, confirmed by the host names in the
//! collection's content; a tool or folder word never becomes a server, and
//! `unknown` beats a guess.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A generated collection (one folder per machine) in a temporary folder.
fn synth(scenario: &str, seed: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("generated");
    let status = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["synth", "-q", "--scenario", scenario, "--layout", "flat"])
        .args(["--hours", "2", "--seed", seed, "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    (dir, out)
}

fn scan(path: &Path) -> Value {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["scan", "--format", "json", "-q"])
        .arg(path)
        .output()
        .expect("runs");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"))
}

fn extract_rows(path: &Path) -> Vec<Value> {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["extract", "--format", "jsonl", "-q"])
        .arg(path)
        .output()
        .expect("runs");
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn move_to(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
    std::fs::rename(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

fn pairs(list: &Value) -> BTreeSet<(String, String)> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|p| {
            (
                p["sender"].as_str().expect("sender").to_string(),
                p["receiver"].as_str().expect("receiver").to_string(),
            )
        })
        .collect()
}

fn sources(json: &Value, server: &str) -> BTreeSet<String> {
    json["coverage"]["servers"][server]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("source").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The measured case: one flat folder of `EX01_SEND….LOG`, `EX02-RECV….LOG`,
/// `EX01 FE_RECV….LOG` files and nothing else. Each log's prefix is
/// confirmed by the logs' own content (the peer's EHLO and banner names at
/// the log's local IP), so every log is attributed, the sessions of both
/// ends pair, and the +420 s skew is found.
#[test]
fn flat_prefixed_protocol_logs_are_attributed_and_the_skew_is_found() {
    let (dir, generated) = synth("clock-skew", "31");
    let flat = dir.path().join("flat");
    for (server, sep) in [("EX01", "_"), ("EX02", "-")] {
        let base = generated.join(server);
        move_to(
            &base.join("Hub_Send_Protocol_Logs/SEND20261126-1.LOG"),
            &flat.join(format!("{server}{sep}SEND20261126-1.LOG")),
        );
        move_to(
            &base.join("Hub_Receive_Protocol_Logs/RECV20261126-1.LOG"),
            &flat.join(format!("{server}{sep}RECV20261126-1.LOG")),
        );
        move_to(
            &base.join("FE_Receive_Protocol_Logs/RECV20261126-1.LOG"),
            &flat.join(format!("{server} FE_RECV20261126-1.LOG")),
        );
    }
    let json = scan(&flat);
    assert_eq!(json["verdict"]["primary_cause"], "clock-skew", "{json:#}");
    assert_eq!(
        pairs(&json["pairs"]),
        BTreeSet::from([
            ("EX01".to_string(), "EX02".to_string()),
            ("EX02".to_string(), "EX01".to_string()),
        ])
    );
    let clock = json["clock"]["pairs"].as_array().expect("pairs");
    assert!(
        clock.iter().any(|p| {
            let offset = p["offset_s"].as_f64().unwrap_or(0.0).abs();
            (p["a"] == "EX01" && p["b"] == "EX02" || p["a"] == "EX02" && p["b"] == "EX01")
                && (offset - 420.0).abs() < 1.0
        }),
        "{clock:?}"
    );
    assert_eq!(
        json["coverage"]["unattributed"],
        serde_json::json!([]),
        "every protocol log attributed"
    );
    for server in ["EX01", "EX02"] {
        assert_eq!(
            sources(&json, server),
            BTreeSet::from(["send-log".to_string(), "receive-log".to_string()]),
            "{server}"
        );
    }
    assert_eq!(
        names(&json["servers"]),
        BTreeSet::from(["EX01".into(), "EX02".into()])
    );

    // extract: every session row carries its server.
    let rows = extract_rows(&flat);
    let sessions: Vec<&Value> = rows
        .iter()
        .filter(|r| r["kind"] == "smtp-session")
        .collect();
    assert!(!sessions.is_empty());
    for r in sessions {
        let origin = r["origin"].as_str().expect("origin");
        let want = if origin.contains("EX01") {
            "EX01"
        } else {
            "EX02"
        };
        assert_eq!(r["server"], want, "{origin}");
    }
}

/// The whole collection flattened: event logs, queue exports and command
/// outputs too, each under its server's prefix.
#[test]
fn a_whole_flat_collection_is_attributed() {
    let (dir, generated) = synth("clock-skew", "32");
    let flat = dir.path().join("flat");
    for entry in walkdir::WalkDir::new(&generated).sort_by_file_name() {
        let entry = entry.expect("entry");
        if !entry.file_type().is_file() || entry.file_name() == "expected.json" {
            continue;
        }
        let rel = entry.path().strip_prefix(&generated).expect("below");
        let mut parts = rel.iter().map(|p| p.to_string_lossy().into_owned());
        let server = parts.next().expect("server folder");
        let rest: Vec<String> = parts.collect();
        let file = rest.join("_");
        let name = if file.starts_with(&format!("{server}_")) {
            file
        } else {
            format!("{server}_{file}")
        };
        move_to(entry.path(), &flat.join(name));
    }
    let json = scan(&flat);
    assert_eq!(json["verdict"]["primary_cause"], "clock-skew", "{json:#}");
    assert_eq!(json["coverage"]["unattributed"], serde_json::json!([]));
    assert_eq!(
        names(&json["servers"]),
        BTreeSet::from(["DC01".into(), "EX01".into(), "EX02".into()])
    );
    for server in ["EX01", "EX02"] {
        let have = sources(&json, server);
        for source in ["send-log", "receive-log", "queue-export", "application-log"] {
            assert!(have.contains(source), "{server} lacks {source}: {have:?}");
        }
    }
}

/// Tool and folder words never become servers; a file whose content names
/// its host goes to that host; a prefix no content knows stays unknown.
#[test]
fn tool_and_folder_words_never_become_servers() {
    let (dir, generated) = synth("clock-skew", "33");
    let root = dir.path().join("collection");
    // EX01 and EX02 stay in their folders (ExchangeLogCollector's shape).
    for server in ["EX01", "EX02"] {
        move_to(&generated.join(server), &root.join(server));
    }
    let ex01 = root.join("EX01");
    let dc01 = generated.join("DC01");
    move_to(
        &ex01.join("EX01_w32tm-query-status.txt"),
        &root.join("w32tm/w32tm_output.txt"),
    );
    move_to(
        &ex01.join("EX01_w32tm-stripchart-EX02.txt"),
        &root.join("W32TM/W32TM_stripchart.txt"),
    );
    move_to(
        &dc01.join("DC01_repadmin-replsummary.txt"),
        &root.join("repadmin/repadmin_showrepl.txt"),
    );
    move_to(
        &dc01.join("DC01_setspn-L-EX02.txt"),
        &root.join("export/setspn-L.txt"),
    );
    move_to(
        &dc01.join("DC01_setspn-X.txt"),
        &root.join("EXPORT/SETSPN-X.txt"),
    );
    // The DC's event logs in generic folders: their Computer field names DC01.
    move_to(&dc01.join("System.evtx"), &root.join("logs/System.evtx"));
    move_to(
        &dc01.join("Security.evtx"),
        &root.join("LOGS/Security.evtx"),
    );
    // A prefix that is no host anywhere.
    std::fs::create_dir_all(root.join("collected")).expect("mkdir");
    std::fs::copy(
        root.join("EX02/EX02_w32tm-query-status.txt"),
        root.join("collected/SRV99_w32tm-query-status.txt"),
    )
    .expect("copy");

    let json = scan(&root);
    let servers = names(&json["servers"]);
    let covered: BTreeSet<String> = json["coverage"]["servers"]
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    for word in [
        "W32TM",
        "REPADMIN",
        "SETSPN",
        "LOGS",
        "EXPORT",
        "COLLECTED",
        "SRV99",
    ] {
        assert!(!servers.contains(word), "{word} in servers {servers:?}");
        assert!(!covered.contains(word), "{word} in coverage {covered:?}");
    }
    assert_eq!(
        servers,
        BTreeSet::from(["DC01".into(), "EX01".into(), "EX02".into()])
    );
    let dc = sources(&json, "DC01");
    assert!(
        dc.contains("system-log") && dc.contains("security-log"),
        "the .evtx Computer field wins over `logs/`: {dc:?}"
    );
    assert_eq!(
        json["coverage"]["unconfirmed_names"],
        serde_json::json!(["SRV99"])
    );
    assert_eq!(json["verdict"]["primary_cause"], "clock-skew");

    // `inventory` reads no content, but never shows a tool or folder word.
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["inventory", "--format", "json", "-q"])
        .arg(&root)
        .output()
        .expect("runs");
    let inventory: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let shown: BTreeSet<String> = inventory["totals"]["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect();
    assert_eq!(
        shown,
        BTreeSet::from(["EX01".into(), "EX02".into(), "SRV99".into()]),
        "discovery's candidates only"
    );
}

/// A Send log of `server` (10.0.1.11) with one failed ExchangeAuth session
/// towards EX02 at each of `times` (UTC, `2024-07-09T04:55:34`).
fn send_log(times: &[&str]) -> String {
    let mut log = String::from(
        "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n",
    );
    log.push_str(&format!("#Date: {}.000Z\r\n", times[0]));
    log.push_str("#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n");
    for (n, t) in times.iter().enumerate() {
        let id = format!("08DC6D1A2B3C4D{n:02X}");
        let port = 50000 + n;
        let row = |seq: u32, ms: u32, event: &str, data: &str| {
            format!(
                "{t}.{ms:03}Z,Intra-Organization SMTP Send Connector,{id},{seq},10.0.1.11:{port},10.0.1.12:2525,{event},{data},\r\n"
            )
        };
        log.push_str(&row(0, 0, "+", ""));
        log.push_str(&row(
            1,
            4,
            "<",
            "220 EX02.contoso.com Microsoft ESMTP MAIL Service ready",
        ));
        log.push_str(&row(2, 6, ">", "EHLO EX01.contoso.com"));
        log.push_str(&row(3, 9, "<", "250-EX02.contoso.com Hello [10.0.1.11]"));
        log.push_str(&row(4, 9, "<", "250 X-EXPS GSSAPI NTLM"));
        log.push_str(&row(5, 12, ">", "X-EXPS EXCHANGEAUTH SHA256 "));
        log.push_str(&row(
            6,
            20,
            "<",
            "454 4.7.0 Temporary authentication failure",
        ));
        log.push_str(&row(7, 22, ">", "QUIT"));
        log.push_str(&row(8, 23, "-", ""));
    }
    log
}

/// Get-Queue | fl of EX01 with one queue in retry, its times as `times`
/// renders them (LastRetryTime, NextRetryTime, FirstRetryTime).
fn queue_export(last: &str, next: &str, first: &str) -> String {
    format!(
        "\r\nIdentity         : EX01\\3\r\nDeliveryType     : SmtpRelayToMailboxDeliveryGroup\r\n\
NextHopDomain    : site:Default-First-Site-Name; version: 15\r\nStatus           : Retry\r\n\
MessageCount     : 26\r\nLastError        : [{{LRT={last}}};{{LED=451 4.4.0 Primary target IP address responded with: \
\"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed. \
Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was \
10.0.1.12:2525}};{{FQDN=EX02.contoso.com}};{{IP=10.0.1.12}}]\r\nRetryCount       : 7\r\n\
LastRetryTime    : {last}\r\nNextRetryTime    : {next}\r\nFirstRetryTime   : {first}\r\n\r\n"
    )
}

fn run_json(args: &[&str], path: &Path) -> (Value, Vec<Value>, String) {
    let run = |extra: &[&str]| {
        Command::cargo_bin("exauth")
            .expect("binary")
            .args(extra)
            .args(args)
            .arg(path)
            .output()
            .expect("runs")
            .stdout
    };
    let json = run(&["scan", "-q", "--format", "json"]);
    let json: Value = serde_json::from_slice(&json).expect("JSON");
    let rows = String::from_utf8(run(&["extract", "-q", "--format", "jsonl"]))
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let text = String::from_utf8(run(&["scan", "-q", "--color", "never"])).expect("utf-8");
    (json, rows, text)
}

fn last_retry(rows: &[Value]) -> String {
    rows.iter()
        .find(|r| r["kind"] == "queue-last-error")
        .and_then(|r| r["last_retry"].as_str())
        .unwrap_or("none")
        .to_string()
}

/// en-AU `9/07/2024 2:55:34 pm`: no day above 12, and `/` with pm looks
/// en-US; EX01's own Send log (UTC) is in July, so the export is 9 July.
#[test]
fn en_au_dates_are_read_from_the_servers_utc_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ex01 = dir.path().join("EX01");
    std::fs::create_dir_all(&ex01).expect("mkdir");
    std::fs::write(
        ex01.join("SEND2024070904-1.LOG"),
        send_log(&["2024-07-09T03:45:34", "2024-07-09T04:55:34"]),
    )
    .expect("write");
    std::fs::write(
        ex01.join("EX01_InstantQueueInfo.txt"),
        queue_export(
            "9/07/2024 2:55:34 pm",
            "9/07/2024 3:05:34 pm",
            "9/07/2024 1:45:34 pm",
        ),
    )
    .expect("write");
    let zone = ["--server-tz", "EX01=Australia/Sydney"];
    let (json, rows, text) = run_json(&zone, dir.path());
    assert_eq!(last_retry(&rows), "2024-07-09T04:55:34Z");
    let notes = &json["coverage"]["date_orders"];
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{json:#}");
    assert_eq!(notes[0]["order"], "day-first");
    assert_eq!(notes[0]["reason"], "server-utc-evidence");
    assert_eq!(notes[0]["server"], "EX01");
    assert_eq!(notes[0]["instead_of"], "2024-09-07T14:55:34");
    assert!(
        text.contains("read day first (2024-07-09 14:55:34, not 2024-09-07 14:55:34)"),
        "{text}"
    );

    // The culture the user names still wins.
    let forced = ["--server-tz", "EX01=Australia/Sydney", "--locale", "en-US"];
    let (json, rows, _) = run_json(&forced, dir.path());
    assert_eq!(last_retry(&rows), "2024-09-07T04:55:34Z");
    assert!(json["coverage"].get("date_orders").is_none(), "{json:#}");
}

/// A zh-CN server set to a `yy/M/d` short date: `24/7/9 14:55:34` is 24 July
/// 2009 day first, or 9 July 2024 year first; EX01's UTC evidence decides.
#[test]
fn zh_cn_two_digit_year_first_dates_are_read_from_the_collection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ex01 = dir.path().join("EX01");
    std::fs::create_dir_all(&ex01).expect("mkdir");
    std::fs::write(
        ex01.join("SEND2024070906-1.LOG"),
        send_log(&["2024-07-09T05:45:34", "2024-07-09T06:55:34"]),
    )
    .expect("write");
    std::fs::write(
        ex01.join("EX01_InstantQueueInfo.txt"),
        queue_export("24/7/9 14:55:34", "24/7/9 15:05:34", "24/7/9 13:45:34"),
    )
    .expect("write");
    let zone = ["--server-tz", "EX01=Asia/Shanghai"];
    let (json, rows, _) = run_json(&zone, dir.path());
    assert_eq!(last_retry(&rows), "2024-07-09T06:55:34Z");
    let notes = &json["coverage"]["date_orders"];
    assert_eq!(notes[0]["order"], "year-first", "{json:#}");
    assert_eq!(notes[0]["instead_of"], "2009-07-24T14:55:34");

    let forced = ["--server-tz", "EX01=Asia/Shanghai", "--locale", "zh-CN"];
    let (json, rows, _) = run_json(&forced, dir.path());
    assert_eq!(last_retry(&rows), "2024-07-09T06:55:34Z");
    assert!(json["coverage"].get("date_orders").is_none());
}
