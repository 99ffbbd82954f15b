//! Issue 13: real artifacts from real outages and real Windows machines
//! (`../shared/realworld`, with their provenance and the facts counted by
//! hand in `PROVENANCE.md`). Every file gets a known kind, its facts are
//! asserted, and its `extract` output is kept as a snapshot under
//! `tests/snapshots/realworld/` (regenerated with `EXAUTH_BLESS=1`).
//!
//! The folder is reached through `EXAUTH_REALWORLD` (CI sets it to
//! `../shared/realworld`); without it the tests say so and pass: a fresh
//! clone has no such folder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn realworld() -> Option<PathBuf> {
    match std::env::var_os("EXAUTH_REALWORLD") {
        Some(dir) if Path::new(&dir).is_dir() => Some(PathBuf::from(dir)),
        _ => {
            eprintln!("EXAUTH_REALWORLD not set: real-artifact checks skipped");
            None
        }
    }
}

/// Runs exauth in the realworld folder on a relative path, so that origins
/// (and so the snapshots) do not hold this machine's paths.
fn run(root: &Path, args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .current_dir(root)
        .args(args)
        .output()
        .expect("runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

fn rows(root: &Path, file: &str) -> Vec<Value> {
    let (text, code) = run(root, &["extract", "-q", "--format", "jsonl", file]);
    assert_eq!(code, 0, "extract {file}");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn of_kind<'a>(rows: &'a [Value], kind: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["kind"] == kind).collect()
}

fn scan(root: &Path, file: &str) -> Value {
    let (text, _) = run(root, &["scan", "-q", "--format", "json", file]);
    serde_json::from_str(&text).expect("scan JSON")
}

#[test]
fn every_real_file_gets_a_known_kind() {
    let Some(root) = realworld() else { return };
    let (text, code) = run(&root, &["inventory", "--format", "json", "."]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&text).expect("inventory JSON");
    let mut kinds = BTreeMap::new();
    for artifact in json["artifacts"].as_array().expect("artifacts") {
        let origin = artifact["origin"].as_str().expect("origin").to_string();
        if origin.ends_with("PROVENANCE.md") {
            continue;
        }
        kinds.insert(origin, artifact["kind"].as_str().expect("kind").to_string());
    }
    assert!(kinds.len() >= 11, "{kinds:?}");
    let unknown: Vec<&String> = kinds
        .iter()
        .filter(|(_, k)| *k == "unknown")
        .map(|(o, _)| o)
        .collect();
    assert!(unknown.is_empty(), "files of no known kind: {unknown:?}");
    let expect = [
        ("GetReceiveConnector", "receive-connector-export"),
        ("GetSendConnector", "send-connector-export"),
        (".evtx", "evtx"),
        ("1035_LogonDenied_Ntlm_event.xml", "event-export"),
        ("MSGTRKMS", "message-tracking-log"),
        ("smtp_auth_successful.log", "smtp-receive-log"),
        ("smtp_auth_unsuccessful.log", "smtp-receive-log"),
        ("RECV2023011116", "smtp-receive-log"),
        ("w32tm_stripchart", "w32tm"),
    ];
    for (part, kind) in expect {
        let matching: Vec<_> = kinds.iter().filter(|(o, _)| o.contains(part)).collect();
        assert!(!matching.is_empty(), "no file with {part}");
        for (origin, got) in matching {
            assert_eq!(got, kind, "{origin}");
        }
    }
}

#[test]
fn receive_logs_give_their_sessions_and_no_server_to_server_failure() {
    let Some(root) = realworld() else { return };
    // One successful AUTH LOGIN session on port 10587.
    let ok = rows(&root, "smtp_receive/IPBan_smtp_auth_successful.log");
    let sessions = of_kind(&ok, "smtp-session");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["session_id"], "08D7D4D2EFBC4CC6");
    assert_eq!(
        sessions[0]["connector"],
        "SRV-XCH03\\External Authenticated Relay"
    );
    let auth = of_kind(&ok, "smtp-auth");
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0]["outcome"], "success");

    // The composite brute-force log: 6 SMTP session ids (the IMAP row is
    // no SMTP session), 3 × 535 5.7.3 — Internet AUTH LOGIN, never a
    // server-to-server failure.
    let bad = rows(&root, "smtp_receive/IPBan_smtp_auth_unsuccessful.log");
    let ids: BTreeSet<&str> = of_kind(&bad, "smtp-session")
        .iter()
        .filter_map(|s| s["session_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    let rejected_535 = of_kind(&bad, "smtp-auth")
        .iter()
        .filter(|a| {
            a["reply"]
                .as_str()
                .is_some_and(|r| r.starts_with("535 5.7.3"))
        })
        .count();
    assert_eq!(rejected_535, 3);
    for file in [
        "smtp_receive/IPBan_smtp_auth_unsuccessful.log",
        "smtp_receive/artefacts.help_RECV2023011116-1_excerpt_anonymized.LOG",
    ] {
        let verdict = scan(&root, file);
        assert_eq!(verdict["verdict"]["primary_cause"], "healthy", "{file}");
        assert!(verdict["pairs"].as_array().is_some_and(|p| p.is_empty()));
    }

    // The artefacts.help excerpt: one session.
    let excerpt = rows(
        &root,
        "smtp_receive/artefacts.help_RECV2023011116-1_excerpt_anonymized.LOG",
    );
    let sessions = of_kind(&excerpt, "smtp-session");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["session_id"], "123453EC62278461");
}

#[test]
fn the_ipban_1035_is_read_and_is_internet_noise() {
    let Some(root) = realworld() else { return };
    let file = "events/IPBan_MSExchangeTransport_1035_LogonDenied_Ntlm_event.xml";
    let events = rows(&root, file);
    let events = of_kind(&events, "event");
    assert_eq!(events.len(), 1);
    let e = events[0];
    assert_eq!(e["event_id"], 1035);
    assert_eq!(e["record_id"], 667364);
    assert_eq!(e["computer"], "DC.sicoir.local");
    let details = e["details"].to_string();
    for needle in ["LogonDenied", "Default DC", "Ntlm", "212.48.88.133"] {
        assert!(details.contains(needle), "{needle} in {details}");
    }
    // Mechanism Ntlm from an Internet address: not server-to-server.
    let verdict = scan(&root, file);
    assert!(verdict["pairs"].as_array().is_some_and(|p| p.is_empty()));
}

#[test]
fn the_real_evtx_files_read_their_records() {
    let Some(root) = realworld() else { return };
    let read = |name: &str| {
        exauth_parsers::evtx::read_evtx_path(
            &root.join("events").join(name),
            exauth_parsers::evtx::EvtxReadOptions { threads: 1 },
        )
    };
    // Counts by header, PROVENANCE.md.
    assert_eq!(
        read("EVTX-to-MITRE-Attack_ID11-Exchange_transport_config_modified.evtx").records_read,
        1
    );
    assert_eq!(
        read("EVTX-to-MITRE-Attack_ID4616-system_time_changed.evtx").records_read,
        8,
        "the 98 slack records are not records"
    );
    assert_eq!(
        read("EVTX-ATTACK-SAMPLES_ACL_ForcePwd_SPNAdd_User_Computer_Accounts.evtx").records_read,
        55
    );
}

#[test]
fn the_real_connector_export_says_which_connector_lacks_exchange_auth() {
    let Some(root) = realworld() else { return };
    let rows = rows(
        &root,
        "connector/CSS-Exchange_E19_GetReceiveConnector.clixml.xml",
    );
    let connectors = of_kind(&rows, "connector-auth");
    assert_eq!(connectors.len(), 5);
    let by_name: BTreeMap<String, &Value> = connectors
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or("").to_string(), *c))
        .collect();
    let exchange_server = |name: &str| {
        by_name
            .iter()
            .find(|(n, _)| n.starts_with(name))
            .map(|(_, c)| c["auth_mechanism"]["exchange_server"] == true)
            .unwrap_or_else(|| panic!("no connector {name}: {:?}", by_name.keys()))
    };
    assert!(
        !exchange_server("Client Frontend"),
        "Client Frontend lacks it"
    );
    for name in [
        "Default WIN",
        "Client Proxy",
        "Default Frontend",
        "Outbound Proxy Frontend",
    ] {
        assert!(exchange_server(name), "{name} has ExchangeServer");
    }
    let default = by_name
        .iter()
        .find(|(n, _)| n.starts_with("Default WIN"))
        .map(|(_, c)| c["bindings"].to_string())
        .unwrap_or_default();
    assert!(default.contains("0.0.0.0:2525"), "{default}");
}

#[test]
fn the_real_tracking_log_and_stripchart_give_their_counts() {
    let Some(root) = realworld() else { return };
    let file =
        root.join("message_tracking/artefacts.help_MSGTRKMS2022091915-1_excerpt_anonymized.LOG");
    let bytes = std::fs::read(&file).expect("tracking log");
    let tracking = exauth_parsers::exchange_logs::read_message_tracking(&bytes[..]);
    assert_eq!(tracking.rows_read, 2);
    assert_eq!(tracking.event_counts.get("NOTIFYMAPI"), Some(&1));
    assert_eq!(tracking.event_counts.get("RECEIVE"), Some(&1));
    assert!(tracking.failures.is_empty());

    let rows = rows(
        &root,
        "w32tm/CRTP-Preparation_w32tm_stripchart_dataonly_5samples.txt",
    );
    let samples = of_kind(&rows, "clock-measurement");
    assert_eq!(samples.len(), 5);
    // The file sits in a folder named `w32tm/`: a tool word, never a server.
    for s in &samples {
        assert_ne!(s["server"], "W32TM", "{s}");
    }
    let offsets: Vec<f64> = samples
        .iter()
        .filter_map(|s| s["offset_s"].as_f64())
        .collect();
    let min = offsets.iter().copied().fold(f64::INFINITY, f64::min);
    let max = offsets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!((min - -0.0001129).abs() < 1e-9, "{offsets:?}");
    assert!((max - 0.0018698).abs() < 1e-9, "{offsets:?}");
}

#[test]
fn extract_of_every_real_file_matches_its_snapshot() {
    let Some(root) = realworld() else { return };
    let bless = std::env::var_os("EXAUTH_BLESS").is_some();
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/realworld");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("realworld") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("folder") {
            let file = file.expect("entry").path();
            let relative = file.strip_prefix(&root).expect("under root").to_path_buf();
            files.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    files.sort();
    let mut differing = Vec::new();
    for file in files {
        let (text, _) = run(&root, &["extract", "-q", "--format", "jsonl", &file]);
        let snapshot = snapshots.join(format!("{}.jsonl", file.replace('/', "__")));
        if bless {
            std::fs::create_dir_all(&snapshots).expect("dir");
            std::fs::write(&snapshot, &text).expect("write");
            continue;
        }
        match std::fs::read_to_string(&snapshot) {
            Ok(expected) if expected == text => {}
            _ => differing.push(file),
        }
    }
    assert!(
        differing.is_empty(),
        "extract differs from tests/snapshots/realworld for {differing:?} (EXAUTH_BLESS=1 regenerates)"
    );
}
