//! `exauth synth`: the committed samples regenerate byte for byte from the
//! commands in samples/README.md, every generated file is recognised by the
//! inventory (right kind, right server), output is deterministic, the skewed
//! receiver's banners are off by the injected offset, and the `.evtx` files
//! read back with the injected events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(sample name, arguments after "exauth")` for each command in the README.
fn sample_commands() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("samples/README.md")).expect("README");
    let mut out = Vec::new();
    for line in readme.lines() {
        let Some(start) = line.find("`exauth synth ") else {
            continue;
        };
        let rest = &line[start + 1..];
        let command = &rest[..rest.find('`').expect("closing backtick")];
        let args: Vec<String> = command
            .split_whitespace()
            .skip(1)
            .map(String::from)
            .collect();
        let out_at = args.iter().position(|a| a == "--out").expect("--out");
        let name = args[out_at + 1]
            .strip_prefix("samples/")
            .expect("samples/ path")
            .to_string();
        out.push((name, args));
    }
    assert_eq!(
        out.len(),
        10,
        "one command per scenario in samples/README.md"
    );
    out
}

fn run_synth(args: &[String], out: &Path) {
    let mut args = args.to_vec();
    let at = args.iter().position(|a| a == "--out").expect("--out");
    args[at + 1] = out.display().to_string();
    Command::cargo_bin("exauth")
        .expect("binary")
        .arg("-q")
        .args(&args)
        .assert()
        .success();
}

/// Every file below `dir`: relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("prefix");
                out.insert(
                    rel.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&path).expect("read"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same_tree(expected: &Path, actual: &Path) {
    let a = tree(expected);
    let b = tree(actual);
    let names_a: Vec<&String> = a.keys().collect();
    let names_b: Vec<&String> = b.keys().collect();
    assert_eq!(names_a, names_b, "same files in {}", expected.display());
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{name} differs from the committed sample {}",
            expected.display()
        );
    }
}

fn inventory(dir: &Path) -> Value {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["-q", "inventory", "--format", "json"])
        .arg(dir)
        .output()
        .expect("runs");
    serde_json::from_slice(&output.stdout).expect("inventory JSON")
}

/// The kind a generated file must be recognised as, from its name.
fn expected_kind(origin: &str) -> &'static str {
    let name = origin.rsplit(['/', '!']).next().unwrap_or(origin);
    let checks: &[(&str, &str)] = &[
        ("SEND", "smtp-send-log"),
        ("RECV", "smtp-receive-log"),
        (".evtx", "evtx"),
        ("_InstantQueueInfo", "queue-export"),
        ("_ReceiveConnectors", "receive-connector-export"),
        ("_setspn", "setspn"),
        ("_w32tm", "w32tm"),
        ("_repadmin", "repadmin"),
        ("_Test-NetConnection", "test-netconnection"),
        ("_portqry", "portqry"),
    ];
    checks
        .iter()
        .find(|(needle, _)| name.starts_with(needle) || name.contains(needle))
        .map(|&(_, kind)| kind)
        .unwrap_or_else(|| panic!("no expected kind for {origin}"))
}

/// The server a generated file belongs to: the folder or `<SERVER>-<Md>.zip`
/// it sits in.
fn expected_server(origin_below_root: &str) -> String {
    let first = origin_below_root
        .trim_start_matches("collection.zip!")
        .split(['/', '!'])
        .next()
        .unwrap_or("");
    first.split('-').next().unwrap_or(first).to_string()
}

fn check_inventory(dir: &Path) {
    let json = inventory(dir);
    let prefix = format!("{}/", dir.display());
    let artifacts = json["artifacts"].as_array().expect("artifacts");
    assert!(!artifacts.is_empty());
    for a in artifacts {
        let origin = a["origin"].as_str().expect("origin");
        let below = origin.strip_prefix(&prefix).unwrap_or(origin);
        if below == "expected.json" {
            continue;
        }
        assert_eq!(a["status"], "ok", "{origin}: {a}");
        assert_eq!(a["kind"], expected_kind(below), "{origin}");
        assert_eq!(
            a["server"].as_str(),
            Some(expected_server(below).as_str()),
            "{origin}"
        );
    }
}

#[test]
fn committed_samples_regenerate_byte_for_byte_and_are_recognised() {
    for (name, args) in sample_commands() {
        let committed = root().join("samples").join(&name);
        assert!(committed.join("expected.json").exists(), "{name} committed");
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join(&name);
        run_synth(&args, &out);
        assert_same_tree(&committed, &out);
        check_inventory(&out);
        let size: usize = tree(&committed).values().map(Vec::len).sum();
        assert!(size <= 2 << 20, "{name} is {size} bytes, over 2 MB");
        let expected: Value =
            serde_json::from_slice(&std::fs::read(committed.join("expected.json")).unwrap())
                .unwrap();
        assert_eq!(expected["schema"], "exauth.expected/1");
        assert_eq!(expected["scenario"], name.as_str());
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = |seed: &str| -> Vec<String> {
        [
            "synth",
            "--scenario",
            "spn-duplicate",
            "--layout",
            "elc",
            "--hours",
            "1",
            "--seed",
            seed,
            "--out",
            "x",
        ]
        .map(String::from)
        .to_vec()
    };
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    run_synth(&args("5"), &a);
    run_synth(&args("5"), &b);
    run_synth(&args("6"), &c);
    assert_same_tree(&a, &b);
    assert_ne!(tree(&a), tree(&c));
}

/// The RFC 2822 date of a `220 … ready at <date>` banner.
fn banner_time(data: &str) -> jiff::Timestamp {
    let date = data.split(" ready at ").nth(1).expect("banner date");
    jiff::fmt::rfc2822::parse(date.trim_end_matches(',').trim_end_matches('"'))
        .expect("RFC 2822 date")
        .timestamp()
}

#[test]
fn skewed_receivers_banners_are_off_by_the_injected_offset() {
    let (_, args) = sample_commands()
        .into_iter()
        .find(|(name, _)| name == "clock-skew")
        .expect("clock-skew sample");
    let dir = tempfile::tempdir().expect("tempdir");
    // The same world in the flat layout, to read the Send logs directly.
    let mut flat = args.clone();
    let at = flat.iter().position(|a| a == "elc").expect("elc");
    flat[at] = "flat".into();
    run_synth(&flat, dir.path());
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("expected.json")).unwrap()).unwrap();
    let offset = expected["clock_offsets_s"]["EX02"]
        .as_f64()
        .expect("EX02 offset");
    assert_eq!(offset, 420.0);
    let fault: jiff::Timestamp = expected["fault_start"].as_str().unwrap().parse().unwrap();
    let mut before = 0;
    let mut after = 0;
    for (name, bytes) in tree(&dir.path().join("EX01/Hub_Send_Protocol_Logs")) {
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF#Software: Microsoft Exchange Server\r\n"),
            "{name}"
        );
        let text = String::from_utf8(bytes).expect("UTF-8");
        for line in text.split("\r\n").filter(|l| l.contains(",<,\"220 EX02")) {
            let row: jiff::Timestamp = line[..24].parse().expect("row time");
            let skew = banner_time(line).as_second() - row.as_second();
            if row < fault {
                assert!(skew.abs() <= 1, "{line}");
                before += 1;
            } else {
                assert!((skew as f64 - offset).abs() <= 1.0, "{line}");
                after += 1;
            }
        }
    }
    assert!(
        before > 0 && after > 0,
        "banners before {before}, after {after}"
    );
    // The receiver's own rows carry the error too: its Receive log shows the
    // same connection 420 s later than the sender's Send log.
    let recv = tree(&dir.path().join("EX02/Hub_Receive_Protocol_Logs"));
    let text: String = recv
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    let failed = text
        .lines()
        .find(|l| l.contains("negotiation failed because of TimeSkew"))
        .expect("a TimeSkew row");
    let remote = failed
        .split(',')
        .nth(5)
        .expect("remote endpoint")
        .to_string();
    let send: String = tree(&dir.path().join("EX01/Hub_Send_Protocol_Logs"))
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    let sent = send
        .lines()
        .find(|l| l.split(',').nth(4) == Some(remote.as_str()) && l.contains(",>,X-EXPS"))
        .expect("the same connection on the sender");
    let t_recv: jiff::Timestamp = failed[..24].parse().unwrap();
    let t_send: jiff::Timestamp = sent[..24].parse().unwrap();
    let diff = t_recv.as_millisecond() - t_send.as_millisecond();
    assert!(
        (diff - 420_000).abs() < 1_000,
        "receiver rows are {diff} ms after the sender's"
    );
}

#[test]
fn event_logs_read_back_with_the_injected_events() {
    let (_, args) = sample_commands()
        .into_iter()
        .find(|(name, _)| name == "kerberos-blocked")
        .expect("sample");
    let dir = tempfile::tempdir().expect("tempdir");
    run_synth(&args, dir.path());
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("expected.json")).unwrap()).unwrap();
    let counts = &expected["evidence_counts"];
    let read = |path: &str| -> Vec<String> {
        let bytes = std::fs::read(dir.path().join(path)).expect("evtx");
        let mut parser = evtx::EvtxParser::from_buffer(bytes)
            .expect("header")
            .with_configuration(
                evtx::ParserSettings::new()
                    .validate_checksums(true)
                    .num_threads(1),
            );
        parser.records().map(|r| r.expect("record").data).collect()
    };
    let app = read("EX02/Windows_Event_Logs/Windows-Logs/Application.evtx");
    let e1035: Vec<&String> = app
        .iter()
        .filter(|x| x.contains(">1035</EventID>"))
        .collect();
    assert_eq!(
        e1035.len() as u64,
        counts["event_1035_exchangeauth"].as_u64().unwrap()
    );
    assert!(e1035[0].contains("NoAuthenticatingAuthority"));
    assert!(e1035[0].contains("Default EX02"));
    assert!(e1035[0].contains("10.0.1.11"));
    let sys = read("EX01/Windows_Event_Logs/Windows-Logs/System.evtx");
    let lsa = sys
        .iter()
        .filter(|x| x.contains(">40960</EventID>"))
        .count();
    assert_eq!(
        lsa as u64,
        counts["lsasrv_40960_no_logon_servers"].as_u64().unwrap()
    );
    assert!(sys.iter().any(|x| x.contains(">5719</EventID>")));
    assert!(sys
        .iter()
        .any(|x| x.contains(">6013</EventID>") && x.contains("China Standard Time")));
    let mut netconnection = String::new();
    let bytes = std::fs::read(dir.path().join("EX01/EX01_Test-NetConnection-DC01-88.txt")).unwrap();
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    netconnection.push_str(&String::from_utf16(&units).unwrap());
    assert!(netconnection.contains("TcpTestSucceeded : False"));
    let _ = std::io::empty().read(&mut [0u8; 0]);
}
