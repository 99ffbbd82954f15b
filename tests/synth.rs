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
        12,
        "one command per scenario and two hand-over samples in samples/README.md"
    );
    out
}

/// The value of `--flag` in `args`.
fn arg<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).map(String::as_str)
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
        let handover = arg(&args, "--layout") == Some("handover");
        if handover {
            check_inventory_lists(&out);
        } else {
            check_inventory(&out);
        }
        let size: usize = tree(&committed).values().map(Vec::len).sum();
        let limit = if handover { 100 << 10 } else { 2 << 20 };
        assert!(size <= limit, "{name} is {size} bytes, over {limit}");
        let expected: Value =
            serde_json::from_slice(&std::fs::read(committed.join("expected.json")).unwrap())
                .unwrap();
        assert_eq!(expected["schema"], "exauth.expected/1");
        assert_eq!(
            expected["scenario"],
            arg(&args, "--scenario").expect("--scenario")
        );
        assert_eq!(
            expected["layout"],
            arg(&args, "--layout").unwrap_or("flat"),
            "{name}"
        );
    }
}

/// A hand-over is listed file by file (which reader takes which form is the
/// inventory's business, tested with the readers).
fn check_inventory_lists(dir: &Path) {
    let json = inventory(dir);
    let origins: Vec<String> = json["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| a["origin"].as_str().expect("origin").replace('\\', "/"))
        .collect();
    for name in tree(dir).keys() {
        assert!(
            origins.iter().any(|o| o.ends_with(&format!("/{name}"))),
            "{name} not listed by inventory: {origins:?}"
        );
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

// ---------------------------------------------------------------------------
// The hand-over layout (issue 13 item 6).

/// A hand-over sample generated afresh: (its folder, its `ticket/` files by name).
fn handover(name: &str) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let (_, args) = sample_commands()
        .into_iter()
        .find(|(n, _)| n == name)
        .expect("hand-over sample in samples/README.md");
    let dir = tempfile::tempdir().expect("tempdir");
    run_synth(&args, dir.path());
    let files = tree(&dir.path().join("ticket"));
    (dir, files)
}

/// Text of a ticket file: UTF-16LE or UTF-8, BOM removed.
fn text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units).expect("UTF-16LE");
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn assert_crlf(name: &str, text: &str) {
    assert!(text.ends_with("\r\n"), "{name} ends with CRLF");
    for (i, _) in text.match_indices('\n') {
        assert!(
            i > 0 && text.as_bytes()[i - 1] == b'\r',
            "{name}: bare LF at byte {i}"
        );
    }
}

/// `d-M-yyyy HH:mm:ss`, the Dutch culture's general date.
fn is_dutch_date(s: &str) -> bool {
    let Some((date, time)) = s.split_once(' ') else {
        return false;
    };
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    d.len() == 3
        && (1..=2).contains(&d[0].len())
        && (1..=2).contains(&d[1].len())
        && d[2].len() == 4
        && t.len() == 3
        && t.iter().all(|p| p.len() == 2)
        && d.iter()
            .chain(t.iter())
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn handover_clock_skew_writes_the_english_ticket() {
    let (dir, files) = handover("handover-clock-skew");
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    for want in [
        "event-1035-EX02.txt",
        "events-system-EX02.txt",
        "ipconfig-EX02.txt",
        "queue-EX01.txt",
        "send-excerpt.txt",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let transcript_name = names
        .iter()
        .find(|n| n.starts_with("PowerShell_transcript.EX02."))
        .expect("a transcript from the skewed server");
    let stamp = transcript_name
        .trim_end_matches(".txt")
        .rsplit('.')
        .next()
        .unwrap();
    assert!(stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()));
    for (name, bytes) in &files {
        assert_crlf(name, &text(bytes));
        assert!(bytes.len() < 16 << 10, "{name}: {} bytes", bytes.len());
    }

    // Get-Queue | fl pasted from an 80-column console: trailing blanks gone,
    // so the word-wrapped LastError has no space at its breaks.
    let queue = text(&files["queue-EX01.txt"]);
    assert!(!files["queue-EX01.txt"].starts_with(b"\xEF\xBB\xBF"));
    assert!(
        queue.starts_with("RunspaceId "),
        "leading blank lines dropped"
    );
    let lines: Vec<&str> = queue.split("\r\n").collect();
    assert!(lines
        .iter()
        .all(|l| !l.ends_with(' ') && l.chars().count() <= 80));
    let at = lines
        .iter()
        .position(|l| l.starts_with("LastError") && l.contains("{LRT="))
        .expect("a LastError");
    let continued: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| l.starts_with("   "))
        .map(|l| l.trim())
        .collect();
    assert!(continued.len() >= 4, "LastError wrapped: {continued:?}");
    let first = lines[at].split_once(" : ").unwrap().1;
    assert!(!first.ends_with(' '));
    let joined = std::iter::once(first)
        .chain(continued.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains("responded with: \"454 4.7.0 Temporary authentication failure.\""),
        "{joined}"
    );
    // Joining without a separator (the word wrap's space was stripped) glues words.
    assert!(!continued
        .concat()
        .contains("Temporary authentication failure"));

    // Event Viewer copies: captions to column 15; the 1035 with its whole XML,
    // the Kerberos error with its XML cut after TimeCreated.
    let e1035 = text(&files["event-1035-EX02.txt"]);
    for line in [
        "Log Name:      Application\r\n",
        "Source:        MSExchangeTransport\r\n",
        "Event ID:      1035\r\n",
        "Task Category: SmtpReceive\r\n",
        "Level:         Warning\r\n",
        "Keywords:      Classic\r\n",
        "Computer:      EX02.contoso.com\r\n",
        "Description:\r\nInbound authentication failed with error TimeSkew for Receive connector Default EX02. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.1.11].\r\nEvent Xml:\r\n<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n  <System>\r\n    <Provider Name=\"MSExchangeTransport\" />\r\n",
        "  <EventData>\r\n    <Data>TimeSkew</Data>\r\n    <Data>Default EX02</Data>\r\n",
    ] {
        assert!(e1035.contains(line), "1035 copy lacks {line:?}:\n{e1035}");
    }
    assert!(e1035.ends_with("</Event>\r\n"));
    let date = e1035
        .lines()
        .find_map(|l| l.strip_prefix("Date:          "))
        .unwrap();
    assert!(date.ends_with(" AM") || date.ends_with(" PM"), "{date}");
    let kerberos = text(&files["events-system-EX02.txt"]);
    assert!(kerberos.contains("Error Code: 0x25 KRB_AP_ERR_SKEW\r\n"));
    assert!(kerberos.contains("Event Xml:\r\n"));
    assert!(
        kerberos.trim_end().ends_with("Z\" />"),
        "cut after TimeCreated"
    );
    assert!(!kerberos.contains("</Event>") && !kerberos.contains("<EventData>"));

    // The transcript on the skewed server: its own clock, CMOS source, the
    // stripchart against the DC 420 s behind it.
    let transcript = &files[*transcript_name];
    assert!(transcript.starts_with(
        b"\xEF\xBB\xBF**********************\r\nWindows PowerShell transcript start\r\n"
    ));
    let transcript = text(transcript);
    assert!(transcript.contains(&format!("Start time: {stamp}\r\n")));
    assert!(transcript.contains("\r\nMachine: EX02 (Microsoft Windows NT 10.0.17763.0)\r\n"));
    for command in [
        "Get-Queue | fl",
        "w32tm /query /status",
        "w32tm /stripchart /computer:DC01.contoso.com /samples:5 /dataonly",
        "setspn -L EX02",
        "Stop-Transcript",
    ] {
        assert!(
            transcript.contains(&format!(
                "**********************\r\n[PS] C:\\Windows\\system32>{command}\r\n"
            )),
            "{command}"
        );
    }
    assert!(transcript.contains("Source: Local CMOS Clock\r\n"));
    assert!(transcript.contains("\tSMTPSVC/EX02.contoso.com\r\n"));
    let offsets: Vec<f64> = transcript
        .lines()
        .filter_map(|l| l.split_once(", ").map(|(_, o)| o))
        .filter_map(|o| o.strip_suffix('s')?.parse().ok())
        .collect();
    assert_eq!(offsets.len(), 5, "five stripchart samples");
    assert!(
        offsets.iter().all(|o| (o + 420.0).abs() < 0.01),
        "{offsets:?}"
    );
    assert!(transcript
        .contains("\r\n**********************\r\nWindows PowerShell transcript end\r\nEnd time: "));
    assert!(transcript.ends_with("\r\n**********************\r\n"));

    // Headerless Send rows of the last failed session, the skewed peer's banner 420 s ahead.
    let excerpt = text(&files["send-excerpt.txt"]);
    let rows: Vec<&str> = excerpt.lines().collect();
    assert!((20..=50).contains(&rows.len()), "{} rows", rows.len());
    assert!(rows
        .iter()
        .all(|r| r.starts_with("2026-11-26T") && r.split(',').count() >= 9));
    assert!(rows.last().unwrap().ends_with(",-,,Remote"));
    assert!(excerpt.contains(",<,454 4.7.0 Temporary authentication failure,"));
    let banner = rows
        .iter()
        .find(|r| r.contains(",<,\"220 EX02"))
        .expect("the receiver's banner");
    let row: jiff::Timestamp = banner[..24].parse().unwrap();
    let skew = banner_time(banner).as_second() - row.as_second();
    assert!((skew - 420).abs() <= 1, "banner − row = {skew}");

    // ipconfig /all saved from PowerShell: UTF-16LE, value column 39.
    assert!(files["ipconfig-EX02.txt"].starts_with(b"\xFF\xFE\r\0\n\0"));
    let ipconfig = text(&files["ipconfig-EX02.txt"]);
    assert!(ipconfig.starts_with(
        "\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : EX02\r\n"
    ));
    assert!(ipconfig.contains("\r\nEthernet adapter Ethernet0:\r\n"));
    assert!(ipconfig.contains("   IPv4 Address. . . . . . . . . . . : 10.0.1.12(Preferred) \r\n"));

    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("expected.json")).unwrap()).unwrap();
    assert_eq!(expected["layout"], "handover");
    assert_eq!(expected["locale"], "en-US");
    assert_eq!(expected["clock_offsets_s"]["EX02"], 420.0);
    assert_eq!(expected["failing_pairs"].as_array().unwrap().len(), 2);
    assert_eq!(
        expected["evidence_counts"]["queue_retry_with_last_error"],
        2
    );
}

#[test]
fn handover_nl_spn_missing_writes_dutch_forms() {
    let (dir, files) = handover("handover-nl-spn-missing");
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "console-EX01.txt",
            "event-1035-EX02.txt",
            "events-system-EX01.txt",
            "ipconfig-EX02.txt",
            "queue-EX01.txt",
            "recv-excerpt-EX02.txt"
        ]
    );
    for (name, bytes) in &files {
        assert!(!bytes.starts_with(b"\xEF\xBB\xBF") && !bytes.starts_with(b"\xFF\xFE"));
        let t = text(bytes);
        assert_crlf(name, &t);
        assert!(
            t.lines().all(|l| !l.ends_with(' ')),
            "{name}: pasted, trailing blanks stripped"
        );
    }

    // Dutch Event Viewer captions and the Dutch 1035 text; the first copy
    // without its XML, the last with it.
    let e1035 = text(&files["event-1035-EX02.txt"]);
    assert_eq!(e1035.matches("Logboeknaam:   Application\r\n").count(), 2);
    assert_eq!(e1035.matches("Gebeurtenis-XML:\r\n").count(), 1);
    for line in [
        "Bron:          MSExchangeTransport\r\n",
        "Gebeurtenis-id:1035\r\n",
        "Taakcategorie: SmtpReceive\r\n",
        "Niveau:        Waarschuwing\r\n",
        "Gebruiker:     N.v.t.\r\n",
        "Computer:      EX02.contoso.com\r\n",
        "Beschrijving:\r\nBinnenkomende verificatie is mislukt met de fout TargetUnknown voor de standaardinstelling connector EX02. Het authenticatiemechanisme is ExchangeAuth. Het bron-IP-adres van de client die heeft geprobeerd om te verifiëren bij Microsoft Exchange is [10.0.1.11].\r\n",
    ] {
        assert!(e1035.contains(line), "lacks {line:?}:\n{e1035}");
    }
    let dates: Vec<&str> = e1035
        .lines()
        .filter_map(|l| l.strip_prefix("Datum:         "))
        .collect();
    assert_eq!(dates.len(), 2);
    assert!(dates.iter().all(|d| is_dutch_date(d)), "{dates:?}");
    assert!(e1035.ends_with("</Event>\r\n"));
    let kerberos = text(&files["events-system-EX01.txt"]);
    assert!(kerberos.starts_with("Logboeknaam:   System\r\n"));
    assert!(kerberos.contains("Error Code: 0x7 KDC_ERR_S_PRINCIPAL_UNKNOWN"));
    assert!(kerberos.contains("<Data Name=\"ServerName\">SMTPSVC/EX02.contoso.com</Data>"));

    // The queue: LRT and retry times in the Dutch culture, cut at 120 columns.
    let queue = text(&files["queue-EX01.txt"]);
    assert!(queue.lines().all(|l| l.chars().count() <= 120));
    let lrt = queue
        .split("{LRT=")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    assert!(is_dutch_date(lrt), "{lrt}");
    assert!(queue.lines().any(
        |l| l.starts_with("LastRetryTime") && l.split(" : ").nth(1).is_some_and(is_dutch_date)
    ));
    assert!(
        queue.contains("\r\nTlsDomain                        :\r\n"),
        "empty values lose the blank after the colon"
    );

    // The console paste: EMS prompts, setspn without SMTPSVC, tabs expanded, Dutch ipconfig.
    let console = text(&files["console-EX01.txt"]);
    assert!(console.starts_with("[PS] C:\\Windows\\system32>setspn -L EX02\r\nRegistered ServicePrincipalNames for CN=EX02,"));
    assert!(console.contains("\r\n        HOST/EX02.contoso.com\r\n"));
    assert!(!console.contains('\t'));
    assert!(!console.contains("SMTPSVC/EX02\r\n"));
    assert!(console.contains("[PS] C:\\Windows\\system32>setspn -Q SMTPSVC/EX02.contoso.com\r\nChecking domain DC=contoso,DC=com\r\n\r\nNo such SPN found.\r\n"));
    assert!(console
        .contains("[PS] C:\\Windows\\system32>ipconfig /all\r\n\r\nWindows IP-configuratie\r\n"));
    assert!(console.ends_with("\r\n[PS] C:\\Windows\\system32>\r\n"));

    let ipconfig = text(&files["ipconfig-EX02.txt"]);
    for line in [
        "Windows IP-configuratie\r\n",
        "\r\nEthernet-adapter voor Ethernet0:\r\n",
        "   Verbindingsspec. DNS-achtervoegsel:\r\n",
        "   IPv4-adres. . . . . . . . . . . . : 10.0.1.12(Voorkeur)\r\n",
        "   Subnetmasker. . . . . . . . . . . : 255.255.255.0\r\n",
        "   Standaardgateway. . . . . . . . . : 10.0.1.1\r\n",
        "   DNS-servers . . . . . . . . . . . : 10.0.0.10\r\n",
    ] {
        assert!(ipconfig.contains(line), "lacks {line:?}:\n{ipconfig}");
    }

    // Headerless Receive rows ending with the receiver's refusal.
    let excerpt = text(&files["recv-excerpt-EX02.txt"]);
    let rows: Vec<&str> = excerpt.lines().collect();
    assert_eq!(rows.len(), 24);
    assert!(!excerpt.contains('#'));
    assert!(excerpt
        .contains(",*,,Inbound ExchangeAuth negotiation failed because of TargetUnknown\r\n"));
    assert!(excerpt.contains(",>,454 4.7.0 Temporary authentication failure,"));

    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("expected.json")).unwrap()).unwrap();
    assert_eq!(expected["layout"], "handover");
    assert_eq!(expected["locale"], "nl-NL");
    assert_eq!(
        expected["failing_pairs"],
        serde_json::json!([{"sender": "EX01", "receiver": "EX02"}])
    );
    assert_eq!(expected["evidence_counts"]["event_1035_exchangeauth"], 2);
}

#[test]
fn handover_is_byte_stable_and_covers_every_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |scenario: &str, locale: &str, seed: &str, out: &Path| {
        let args: Vec<String> = [
            "synth",
            "--scenario",
            scenario,
            "--layout",
            "handover",
            "--locale",
            locale,
            "--hours",
            "1",
            "--seed",
            seed,
            "--out",
            "x",
        ]
        .map(String::from)
        .to_vec();
        run_synth(&args, out);
    };
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    run("kerberos-blocked", "en-US", "5", &a);
    run("kerberos-blocked", "en-US", "5", &b);
    run("kerberos-blocked", "en-US", "6", &c);
    assert_same_tree(&a, &b);
    assert_ne!(tree(&a), tree(&c));
    for scenario in [
        "healthy",
        "clock-skew",
        "ad-replication",
        "spn-missing",
        "spn-duplicate",
        "kerberos-blocked",
        "connector-auth",
        "sender-synthesized",
        "inconclusive",
        "mixed",
    ] {
        for locale in ["en-US", "nl-NL"] {
            let out = dir.path().join(format!("{scenario}-{locale}"));
            run(scenario, locale, "7", &out);
            let expected: Value =
                serde_json::from_slice(&std::fs::read(out.join("expected.json")).unwrap()).unwrap();
            assert_eq!(expected["layout"], "handover");
            let files = tree(&out.join("ticket"));
            assert!(files.contains_key("queue-EX01.txt"), "{scenario}");
            let size: usize = files.values().map(Vec::len).sum();
            assert!(size < 64 << 10, "{scenario} {locale}: {size} bytes");
            assert!(!out.join(".exauth-synth-staging").exists());
            for (name, bytes) in &files {
                assert_crlf(&format!("{scenario}/{name}"), &text(bytes));
            }
            let names = files.keys().cloned().collect::<Vec<_>>().join(" ");
            match scenario {
                "inconclusive" => assert_eq!(names, "event-1035-EX02.txt queue-EX01.txt"),
                "sender-synthesized" => assert!(names.contains("event-2017-EX01.txt"), "{names}"),
                "spn-duplicate" => assert!(names.contains("events-system-DC01.txt"), "{names}"),
                "connector-auth" | "healthy" => assert!(!names.contains("event-1035"), "{names}"),
                _ => assert!(names.contains("event-1035-"), "{names}"),
            }
            if scenario != "healthy" {
                assert!(
                    !expected["failing_pairs"].as_array().unwrap().is_empty(),
                    "{scenario}: the ticket shows a failing pair"
                );
            }
        }
    }
}
