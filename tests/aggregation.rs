//! Counting repeated facts instead of keeping them (`evidence::aggregate`)
//! changes nothing a user reads: with aggregation pushed to its extreme (one
//! exemplar per aggregate, one distinct fact per server, kind and minute),
//! every sample — each cause, the multi-server `mixed` one, the hand-over
//! forms — gives the same verdict, causes, failing pairs with their failure
//! counts, first and last failures, statuses and clock offsets, servers and
//! evidence counts as a run that keeps every record.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use exauth::evidence::aggregate;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod support;

fn scan(dir: &Path, aggregate: aggregate::Limits) -> Value {
    let settings = exauth::pipeline::ReadSettings {
        aggregate,
        ..support::settings()
    };
    support::scan_with(&[dir.to_path_buf()], &settings)
}

/// What a user reads, without the evidence listings (an aggregate lists
/// its exemplars) and with the words that say how many records an
/// aggregate stands for set aside.
fn seen(mut report: Value) -> Value {
    for cause in report["causes"].as_array_mut().unwrap() {
        let cause = cause.as_object_mut().unwrap();
        cause.remove("evidence");
        cause.remove("evidence_total");
        for line in cause["refuting"].as_array_mut().unwrap() {
            let detail = line["detail"].as_str().unwrap().to_string();
            let said = detail.split(" (and ").next().unwrap_or(&detail).to_string();
            line["detail"] = Value::String(said);
        }
    }
    report
}

/// Scans `dir` keeping every record and with aggregation at its extreme;
/// asserts the user sees the same.
fn compare(dir: &Path) {
    compare_with(dir, 1);
}

/// [`compare`] with `exemplars` kept per aggregate (two keep a minute's
/// earliest and latest: its records' times spread over it).
fn compare_with(dir: &Path, exemplars: usize) {
    let extreme = aggregate::Limits {
        exemplars,
        shapes: 1,
        // Every minute its own (a span widened for long logs is
        // `evidence::aggregate`'s own tests').
        kept_in_all: usize::MAX,
        // Every queue row counted, none kept as read.
        queue_rows: 0,
    };
    let kept = scan(dir, aggregate::Limits::keep_all());
    let counted = scan(dir, extreme);
    assert_eq!(
        seen(counted.clone()),
        seen(kept.clone()),
        "{}: aggregation changed the report",
        dir.display()
    );
}

#[test]
fn aggregation_changes_nothing_a_user_sees_in_any_sample() {
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&samples).unwrap() {
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            compare(&dir);
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} samples found");
}

/// An input that holds many facts (a DC's Security log during a spray)
/// hands them to the pipeline a part at a time while it reads, with the
/// record ids each part claims, so that memory stays flat: in every sample,
/// each file handing over after every fact gives the report of each file
/// keeping its facts to its end, byte for byte.
#[test]
fn facts_handed_over_as_they_are_read_change_nothing_in_any_sample() {
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let read = |dir: &Path, hand_over_at: usize| {
        let mut settings = support::settings();
        settings.ingest.hand_over_at = hand_over_at;
        support::scan_with(&[dir.to_path_buf()], &settings)
    };
    let mut with_events = 0;
    for entry in std::fs::read_dir(&samples).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let at_the_end = read(&dir, usize::MAX);
        let as_read = read(&dir, 1);
        assert_eq!(as_read, at_the_end, "{}", dir.display());
        with_events += usize::from(at_the_end["inputs"]["by_kind"].get("evtx").is_some());
    }
    assert!(with_events >= 5, "only {with_events} samples with .evtx");
}

/// A collection written by `exauth synth` (clock skew, two servers), and a
/// folder with EX01's Send protocol log joined into one file (how a paste or
/// logs put together arrive): 4,362 sessions, more than a file keeps every
/// session of for pairing (4,000; one connection in eight past that).
fn synth_with_joined_send_log() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let collection = work.path().join("collection");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_exauth"))
        .args(["-q", "synth", "--scenario", "clock-skew", "--servers", "2"])
        .args(["--size", "130M", "--out"])
        .arg(&collection)
        .status()
        .unwrap();
    assert!(status.success(), "synth runs");
    let logs = collection.join("EX01").join("Hub_Send_Protocol_Logs");
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    // SEND20261126-1.LOG, -2, … in their number's order.
    parts.sort_by_key(|p| {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        name.rsplit('-').next().and_then(|n| n.parse::<u32>().ok())
    });
    assert!(parts.len() > 1, "the Send log rolled over: {parts:?}");
    let joined_logs = work
        .path()
        .join("joined")
        .join("EX01")
        .join("Hub_Send_Protocol_Logs");
    std::fs::create_dir_all(&joined_logs).unwrap();
    let mut joined = Vec::new();
    for part in &parts {
        joined.extend(std::fs::read(part).unwrap());
    }
    std::fs::write(joined_logs.join("SEND20261126-1.LOG"), joined).unwrap();
    let split = work.path().join("split").join("EX01");
    std::fs::create_dir_all(&split).unwrap();
    std::fs::rename(&logs, split.join("Hub_Send_Protocol_Logs")).unwrap();
    (
        work,
        split.parent().unwrap().to_path_buf(),
        joined_logs.ancestors().nth(2).unwrap().to_path_buf(),
    )
}

/// One protocol log of many sessions hands its facts and its sessions kept
/// for pairing over while it is read (those once the file is known big,
/// thinned as its end thins them): the same report, samples' counts
/// included, as keeping them to its end.
#[test]
fn a_big_protocol_log_hands_over_what_its_end_would_keep() {
    let (_work, split, joined) = synth_with_joined_send_log();
    let read = |dir: &Path, hand_over_at: usize| {
        let mut settings = support::settings();
        settings.ingest.hand_over_at = hand_over_at;
        support::scan_with(&[dir.to_path_buf()], &settings)
    };
    let at_the_end = read(&joined, usize::MAX);
    // Each rolled-over file keeps every healthy session for pairing: 4,340
    // offered, 2,000 kept (the pair's share), as the report says. The joined
    // file, past 4,000 sessions, offers one connection in eight: all kept,
    // so the report has nothing left out to say.
    let split_offered =
        read(&split, usize::MAX)["inputs"]["sampled"]["sessions_for_pairing"]["read"].as_u64();
    assert!(
        split_offered.is_some_and(|n| n > 4000),
        "every healthy session offered: {split_offered:?}"
    );
    assert!(
        at_the_end["inputs"].get("sampled").is_none(),
        "one in eight offered, all kept: {}",
        at_the_end["inputs"]
    );
    for hand_over_at in [1, 100, 5_000] {
        assert_eq!(
            read(&joined, hand_over_at),
            at_the_end,
            "handing over at {hand_over_at}"
        );
    }
}

/// The hand-over sample with a retry storm: its failing Send-log session
/// sent again 30 times in the same minute (new session ids and source
/// ports), as a queue retrying every two seconds writes it.
fn storm() -> tempfile::TempDir {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/handover-clock-skew");
    let work = tempfile::tempdir().unwrap();
    let ticket = work.path().join("ticket");
    std::fs::create_dir_all(&ticket).unwrap();
    for entry in std::fs::read_dir(sample.join("ticket")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, ticket.join(path.file_name().unwrap())).unwrap();
    }
    let excerpt = std::fs::read_to_string(ticket.join("send-excerpt.txt")).unwrap();
    assert!(excerpt.contains("08DF3EBC2B9D4D2A") && excerpt.contains(":54144,"));
    let mut storm = excerpt.clone();
    if !storm.ends_with('\n') {
        storm.push('\n');
    }
    for i in 1..=30u32 {
        storm.push_str(
            &excerpt
                .replace("08DF3EBC2B9D4D2A", &format!("08DF3EBC2B9D{:04X}", i))
                .replace(":54144,", &format!(":{},", 54144 + i)),
        );
        if !storm.ends_with('\n') {
            storm.push('\n');
        }
    }
    std::fs::write(ticket.join("send-excerpt.txt"), storm).unwrap();
    work
}

/// A retry storm ([`storm`]) is counted and reads the same.
#[test]
fn a_retry_storm_is_counted_and_reads_the_same() {
    let work = storm();
    compare(work.path());
    // The report says what the carrier stands for.
    let report = scan(
        work.path(),
        aggregate::Limits {
            exemplars: 1,
            shapes: 1,
            kept_in_all: usize::MAX,
            queue_rows: usize::MAX,
        },
    );
    assert!(
        report.to_string().contains(
            "(and 30 more like it from this source in the same minute, counted, not listed)"
        ),
        "the aggregate's count is not stated"
    );
}

/// The hand-over sample with an Event Viewer CSV of EX02's Application log
/// beside it: 30 event 1035s in one minute, a second apart, their dates
/// local wall-clock times with no zone.
fn local_storm() -> tempfile::TempDir {
    let work = storm();
    let mut csv = String::from("Level,Date and Time,Source,Event ID,Task Category\r\n");
    for second in 0..30 {
        csv.push_str(&format!(
            "Warning,11/26/2026 3:53:{second:02} AM,MSExchangeTransport,1035,SmtpReceive,\"Inbound authentication failed with error TimeSkew for Receive connector Default EX02. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.1.11].\"\r\n"
        ));
    }
    std::fs::write(work.path().join("ticket/Application-EX02.csv"), csv).unwrap();
    work
}

/// Facts whose time is a local wall clock (events copied as text, placed in
/// their server's zone only once the run is read) are counted like the
/// others — a text export of a storm kept them one by one — and the user
/// reads the same (the minute's earliest and latest kept: the pair's first
/// and last failure).
#[test]
fn a_storm_in_local_time_is_counted_and_reads_the_same() {
    let work = local_storm();
    compare_with(work.path(), 2);
    let report = scan(
        work.path(),
        aggregate::Limits {
            exemplars: 2,
            shapes: 1,
            kept_in_all: usize::MAX,
            queue_rows: usize::MAX,
        },
    );
    let text = report.to_string();
    assert!(
        text.contains("Application-EX02.csv")
            && text.contains(
                "(and 28 more like it from this source in the same minute, counted, not listed)"
            ),
        "the local-time aggregate's count is not stated: {text}"
    );
}

/// The hand-over sample with a copy of EX02's System log beside it: 2,500
/// Kerberos KRB_AP_ERR_SKEW errors a second apart, their message only (no
/// Event Xml), each measuring EX02 seven minutes ahead of the KDC.
fn skew_storm() -> tempfile::TempDir {
    let work = storm();
    let mut text = String::new();
    for i in 0..2_500u32 {
        let (local, client, server) = (3 * 3600 + i, 8 * 3600 + i, 8 * 3600 - 420 + i);
        let hms = |t: u32| format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
        text.push_str(&format!(
            "Log Name:      System\r\nSource:        Microsoft-Windows-Security-Kerberos\r\nDate:          11/26/2026 {} AM\r\nEvent ID:      3\r\nTask Category: None\r\nLevel:         Error\r\nKeywords:      Classic\r\nUser:          N/A\r\nComputer:      EX02.contoso.com\r\nDescription:\r\nA Kerberos error message was received:\r\n on logon session\r\n Client Time: {}.2250 11/26/2026 Z\r\n Server Time: {}.2250 11/26/2026 Z\r\n Error Code: 0x25 KRB_AP_ERR_SKEW\r\n Extended Error:\r\n Client Realm:\r\n Client Name:\r\n Server Realm: CONTOSO.COM\r\n Server Name: krbtgt/CONTOSO.COM\r\n Target Name: krbtgt/CONTOSO.COM@CONTOSO.COM\r\n Error Text:\r\n File: 9\r\n Line: f09\r\n Error Data is in record data.\r\n",
            hms(local).trim_start_matches('0'),
            hms(client),
            hms(server)
        ));
    }
    std::fs::write(work.path().join("ticket/System-EX02-copy.txt"), text).unwrap();
    work
}

/// A clock-skew storm in a System log (a KRB_AP_ERR_SKEW error, and its
/// clock sample, at every failed attempt) no longer keeps every record:
/// the errors are counted per minute and measured skew (to the second), the
/// clock samples sampled per server pair as banner samples are (2,000 kept),
/// and the report says so; every record is still counted, and EX02's clock
/// reads as it does from the sample alone.
#[test]
fn a_kerberos_skew_storm_is_counted_and_its_clock_samples_sampled() {
    let work = skew_storm();
    let report = scan(work.path(), aggregate::Limits::default());
    let alone = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/handover-clock-skew");
    let sample = scan(&alone, aggregate::Limits::default());
    let sampled = &report["inputs"]["sampled"]["event_clock_samples"];
    assert_eq!(sampled["kept"], 2_000, "{sampled}");
    assert!(sampled["read"].as_u64().unwrap() >= 2_500, "{sampled}");
    let count = |r: &Value, kind: &str| r["inputs"]["evidence"][kind].as_u64().unwrap_or(0);
    for kind in ["clock-sample", "kerberos-error"] {
        assert_eq!(count(&report, kind), count(&sample, kind) + 2_500, "{kind}");
    }
    assert!(
        report
            .to_string()
            .contains("like it from this source in the same minute"),
        "the skew errors are not counted"
    );
    let ex02 = |r: &Value| {
        r["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "EX02")
            .map(|s| (s["clock_offset_s"].clone(), s["offset_basis"].clone()))
    };
    assert_eq!(ex02(&report), ex02(&sample));
    assert_eq!(report["verdict"]["primary_cause"], "clock-skew");
}

/// A run whose aggregates do not fit even at the widest span (a budget of
/// one record kept, with one exemplar each) counts them over the whole run
/// and says so on the carrier's line; the user still reads the same report.
#[test]
fn a_widened_span_is_said_and_reads_the_same() {
    let work = storm();
    let narrowest = aggregate::Limits {
        exemplars: 1,
        shapes: 1,
        kept_in_all: 1,
        queue_rows: usize::MAX,
    };
    let counted = scan(work.path(), narrowest);
    assert!(
        counted.to_string().contains(
            "(and 30 more like it from this source over the whole run, counted, not listed)"
        ),
        "the widened span is not stated: {counted}"
    );
    assert_eq!(
        seen(counted),
        seen(scan(work.path(), aggregate::Limits::keep_all())),
        "a widened span changed the report"
    );
}

/// The hand-over sample with a `w32tm /stripchart` EX02 left running
/// against DC01 for most of a day (in EX02's folder): 12,000 offsets of the seven minutes the
/// sample's own five measure. They are sampled per server pair as banner
/// and event clock samples are (2,000 kept; each kept one by one grew a
/// 20 MB stripchart's scan to 398 MB), the report says how many were read,
/// and the clock reads as from the sample alone.
#[test]
fn a_stripchart_left_running_is_sampled_and_reads_the_same() {
    const LINES: u32 = 12_000;
    let work = storm();
    let mut text = String::from(
        "Tracking DC01.contoso.com [10.0.0.10:123].\r\nThe current time is 11/26/2026 4:11:00 AM.\r\n",
    );
    for i in 0..LINES {
        let t = 4 * 3600 + 11 * 60 + 2 * i;
        text.push_str(&format!(
            "{:02}:{:02}:{:02}, -{}.{:07}s\r\n",
            t / 3600 % 24,
            t / 60 % 60,
            t % 60,
            419 + i % 2,
            if i % 2 == 0 { 9_999_752 } else { 31 }
        ));
    }
    let ex02 = work.path().join("EX02");
    std::fs::create_dir_all(&ex02).unwrap();
    std::fs::write(ex02.join("EX02_w32tm-stripchart-DC01.txt"), text).unwrap();
    let report = scan(work.path(), aggregate::Limits::default());
    let alone = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/handover-clock-skew");
    let sample = scan(&alone, aggregate::Limits::default());
    let sampled = &report["inputs"]["sampled"]["w32tm_clock_samples"];
    assert_eq!(sampled["kept"], 2_000, "{sampled}");
    // The transcript's five are its ticket's, which names no server: kept.
    assert_eq!(sampled["read"], u64::from(LINES), "{sampled}");
    let count = |r: &Value| {
        r["inputs"]["evidence"]["clock-sample"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(count(&report), count(&sample) + u64::from(LINES));
    let pairs = |r: &Value| {
        r["clock"]["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["a"].clone(),
                    p["b"].clone(),
                    p["offset_s"].clone(),
                    p["basis"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(&report), pairs(&sample));
    assert_eq!(report["verdict"]["primary_cause"], "clock-skew");
}

/// A command run in a loop beside a sample: `file` of the sample, repeated
/// `runs` times into one file of the same server's folder of another root.
/// Scanned with the sample, then the sample alone: every line counted (the
/// kind's evidence count grows by `per_run` a run), the cause reads as
/// alone, and the cause's evidence says, at the line of the first, how many
/// more each repeated fact stands for.
///
/// Both roots are built in one temporary folder, the loop's (`0-loop`)
/// sorting before the sample's copy: a fact the sample and the loop both
/// say is listed at the first read in path order, so where the temporary
/// folder and the checkout lie must not decide which file the evidence names.
fn looped_beside_sample(
    sample: &str,
    file: &str,
    once: Option<&str>,
    runs: usize,
    per_run: u64,
    kind: &str,
    cause: &str,
) -> Vec<String> {
    let once = match once {
        Some(text) => text.to_string(),
        None => std::fs::read_to_string(committed(sample).join(file)).unwrap(),
    };
    let (_root, extra, sample) = beside_sample(sample, file, &once.repeat(runs));
    let name = file.rsplit('/').next().unwrap();
    let settings = support::settings();
    let report = support::scan_with(&[extra.clone(), sample.clone()], &settings);
    let alone = support::scan_with(std::slice::from_ref(&sample), &settings);
    let count = |r: &Value| r["inputs"]["evidence"][kind].as_u64().unwrap_or(0);
    assert_eq!(count(&report), count(&alone) + per_run * runs as u64);
    let of = |r: &Value| {
        r["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["cause"] == cause)
            .cloned()
            .unwrap()
    };
    assert_eq!(of(&report)["status"], of(&alone)["status"]);
    assert_eq!(of(&report)["status"], "supported");
    assert_eq!(seen(report.clone())["verdict"], seen(alone)["verdict"]);
    of(&report)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            l["origin"]
                .as_str()
                .unwrap()
                .contains(&format!("loop-{name}"))
        })
        .map(|l| format!("{} {}", l["origin"], l["detail"]))
        .collect()
}

/// The committed sample `sample`.
fn committed(sample: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(sample)
}

/// `sample` copied, and `looped` written beside it as `loop-<name>` of
/// `file`'s folder in another root (`0-loop`), both in one temporary folder
/// (see [`looped_beside_sample`]): the folder, the loop's root, the copy.
fn beside_sample(sample: &str, file: &str, looped: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let copy = root.path().join(sample);
    support::copy_tree(&committed(sample), &copy);
    let extra = root.path().join("0-loop");
    let (folder, name) = file.rsplit_once('/').unwrap();
    std::fs::create_dir_all(extra.join(folder)).unwrap();
    std::fs::write(extra.join(folder).join(format!("loop-{name}")), looped).unwrap();
    (root, extra, copy)
}

/// `lines` (from [`looped_beside_sample`]) hold the looped file's fact at `line`
/// saying exactly `detail`.
fn assert_counted(lines: &[String], file: &str, line: u64, detail: &str) {
    let name = file.rsplit('/').next().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(&format!("loop-{name}:{line}\" \"{detail}\""))),
        "{lines:#?}"
    );
}

/// `lines` (from [`looped_beside_sample`]) are one: the fact of the output
/// whose path ends with `path_end` (at the file, no line: as one run's),
/// saying exactly `detail`.
fn assert_one_fact_of_the_output(lines: &[String], path_end: &str, detail: &str) {
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].ends_with(&format!("{path_end}\" \"{detail}\"")),
        "{lines:#?}"
    );
}

/// A sample's UTF-16 text (a byte order mark, then little-endian units), as
/// text.
fn utf16_sample(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let units: Vec<u16> = bytes
        .get(2..)
        .unwrap()
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

/// portqry run in a loop beside the kerberos-blocked sample (EX01 probing
/// DC01 3,000 times, a probe of each protocol each time): each probe read is
/// counted, repeated ones as one fact at the line of the first (each kept
/// one by one grew a 20 MB output's scan to 307 MB), its line says how many
/// more it stands for, and the sample reads as alone.
#[test]
fn a_probe_run_in_a_loop_is_counted_and_reads_the_same() {
    let lines = looped_beside_sample(
        "kerberos-blocked",
        "EX01/EX01_portqry-DC01-88.txt",
        None,
        3_000,
        2,
        "port-probe",
        "kerberos-blocked",
    );
    assert_counted(
        &lines,
        "EX01/EX01_portqry-DC01-88.txt",
        13,
        "tcp 88 to DC01.contoso.com: filtered (and 2,999 more like it later in the same output, counted, not listed)",
    );
}

/// `repadmin /replsummary` run 2,000 times into one file beside the
/// ad-replication sample (a script's every run): each row counted, a row
/// said again one fact at the line of the first (each kept one by one grew
/// a 20 MB summary's scan to 223 MB), and the sample reads as alone.
#[test]
fn a_summary_run_again_and_again_is_counted_and_reads_the_same() {
    let lines = looped_beside_sample(
        "ad-replication",
        "DC01/DC01_repadmin-replsummary.txt",
        None,
        2_000,
        4,
        "replication-status",
        "ad-replication",
    );
    assert_counted(
        &lines,
        "DC01/DC01_repadmin-replsummary.txt",
        8,
        "repadmin: DC01 5/5 replications failing: (8524) The DSA operation is unable to proceed because of a DNS lookup failure. (and 1,999 more like it later in the same output, counted, not listed)",
    );
}

/// `Test-NetConnection DC01 -Port 88` in a loop (`while ($true) { …; sleep 5
/// }`) beside the kerberos-blocked sample, each run printing its warning and
/// its result: each result counted, the one said again one fact at the line
/// of the first (each kept one by one grew a 20 MB output's scan to 110 MB).
#[test]
fn a_connection_test_run_in_a_loop_is_counted_and_reads_the_same() {
    let once = "WARNING: TCP connect to (10.0.0.10 : 88) failed\r\n\r\n\r\nComputerName           : DC01.contoso.com\r\nRemoteAddress          : 10.0.0.10\r\nRemotePort             : 88\r\nInterfaceAlias         : Ethernet0\r\nSourceAddress          : 10.0.1.11\r\nTcpTestSucceeded       : False\r\n\r\n\r\n\r\n";
    let lines = looped_beside_sample(
        "kerberos-blocked",
        "EX01/EX01_Test-NetConnection-DC01-88.txt",
        Some(once),
        2_500,
        1,
        "port-probe",
        "kerberos-blocked",
    );
    assert_counted(
        &lines,
        "EX01/EX01_Test-NetConnection-DC01-88.txt",
        4,
        "tcp 88 to DC01.contoso.com: not reachable (and 2,499 more like it later in the same output, counted, not listed)",
    );
}

/// `klist -li 0x3e7` on EX01: its TGT and its SMTPSVC ticket for EX02.
const KLIST_RUN: &str = "\r\nCurrent LogonId is 0:0x3e7\r\nTargeted LogonId is 0:0x3e7\r\n\r\nCached Tickets: (2)\r\n\r\n#0>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: krbtgt/CONTOSO.COM @ CONTOSO.COM\r\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n\tTicket Flags 0x40e10000 -> forwardable renewable initial pre_authent name_canonicalize\r\n\tStart Time: 11/26/2026 9:53:54 (local)\r\n\tEnd Time:   11/26/2026 19:53:54 (local)\r\n\tRenew Time: 12/3/2026 9:53:54 (local)\r\n\tSession Key Type: AES-256-CTS-HMAC-SHA1-96\r\n\tCache Flags: 0x1 -> PRIMARY\r\n\tKdc Called: DC01.contoso.com\r\n\r\n#1>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: SMTPSVC/EX02.contoso.com @ CONTOSO.COM\r\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n\tTicket Flags 0x40a50000 -> forwardable renewable pre_authent ok_as_delegate name_canonicalize\r\n\tStart Time: 11/26/2026 9:54:10 (local)\r\n\tEnd Time:   11/26/2026 19:53:54 (local)\r\n\tRenew Time: 12/3/2026 9:53:54 (local)\r\n\tSession Key Type: AES-256-CTS-HMAC-SHA1-96\r\n\tCache Flags: 0\r\n\tKdc Called: DC01.contoso.com\r\n";

/// The facts of `kind` read from `text` saved as `EX01/<name>`, and the
/// problems of the file.
fn facts_of(name: &str, text: &str, kind: &str) -> (Vec<exauth::evidence::Evidence>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("EX01")).unwrap();
    std::fs::write(dir.path().join("EX01").join(name), text).unwrap();
    let collected = exauth::pipeline::read(&[dir.path().to_path_buf()], &support::settings());
    let problems = collected
        .problems
        .iter()
        .map(|(_, p)| p.to_string())
        .collect();
    let facts = collected
        .evidence
        .into_iter()
        .filter(|e| e.fact.kind() == kind)
        .collect();
    (facts, problems)
}

/// klist run every minute into one file (10,000 runs, the last naming a
/// ticket for EX03 too): one fact, as one run reads — every ticket's server
/// of the first run — plus the server the last one named anew, standing for
/// each run; a single run reads as it always did.
#[test]
fn a_ticket_cache_listed_again_and_again_is_one_fact() {
    let servers = |facts: &[exauth::evidence::Evidence]| -> Vec<(Vec<String>, u64)> {
        facts
            .iter()
            .map(|e| match &e.fact {
                exauth::evidence::Fact::TicketCache { servers } => (servers.clone(), e.represents),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let (once, problems) = facts_of("EX01_klist.txt", KLIST_RUN, "ticket-cache");
    assert!(problems.is_empty(), "{problems:?}");
    let two = vec![
        "krbtgt/CONTOSO.COM @ CONTOSO.COM".to_string(),
        "SMTPSVC/EX02.contoso.com @ CONTOSO.COM".to_string(),
    ];
    assert_eq!(servers(&once), [(two.clone(), 1)]);
    assert!(once.iter().all(|e| e.origin.ends_with("EX01_klist.txt")));
    let last = KLIST_RUN.replace("(2)", "(3)")
        + &KLIST_RUN
            .split("#1>")
            .nth(1)
            .map(|t| format!("#2>{}", t.replace("EX02", "EX03")))
            .unwrap();
    let looped = KLIST_RUN.repeat(9_999) + &last;
    let (facts, problems) = facts_of("EX01_klist.txt", &looped, "ticket-cache");
    assert!(problems.is_empty(), "{problems:?}");
    let mut three = two;
    three.push("SMTPSVC/EX03.contoso.com @ CONTOSO.COM".to_string());
    assert_eq!(servers(&facts), [(three, 10_000)]);
}

/// `nltest /dsgetdc:contoso.com` run every minute beside the
/// kerberos-blocked sample, finding DC01 and failing by turns (3,000 runs of
/// each): one fact, as one run reads — the DC named last and the failure —
/// standing for every line that said the failure, and the sample reads as
/// alone.
#[test]
fn a_dc_locator_run_in_a_loop_is_one_fact_and_reads_the_same() {
    let once = "           DC: \\\\DC01.contoso.com\r\n      Address: \\\\10.0.0.10\r\n     Dom Name: contoso.com\r\n        Flags: PDC GC DS LDAP KDC TIMESERV WRITABLE\r\nThe command completed successfully\r\nGetting DC name failed: Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN\r\n";
    let lines = looped_beside_sample(
        "kerberos-blocked",
        "EX01/EX01_nltest-dsgetdc.txt",
        Some(once),
        3_000,
        1,
        "dc-locator",
        "kerberos-blocked",
    );
    assert_one_fact_of_the_output(
        &lines,
        "/EX01/loop-EX01_nltest-dsgetdc.txt",
        "nltest /dsgetdc failed: 1355 ERROR_NO_SUCH_DOMAIN (and 2,999 more like it later in the same output, counted, not listed)",
    );
}

/// `ipconfig /all` of EX02 run every minute into one file (10,000 runs)
/// beside the hand-over sample that holds it once: the servers (names,
/// FQDNs, addresses), verdict, causes, pairs and clocks read as with the
/// sample alone.
#[test]
fn an_ipconfig_run_in_a_loop_reads_as_the_sample_alone() {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/handover-clock-skew");
    let once = utf16_sample(&sample.join("ticket/ipconfig-EX02.txt"));
    assert!(once.contains("Host Name"), "{once}");
    let extra = tempfile::tempdir().unwrap();
    std::fs::create_dir(extra.path().join("ticket")).unwrap();
    std::fs::write(
        extra.path().join("ticket/loop-ipconfig-EX02.txt"),
        once.repeat(10_000),
    )
    .unwrap();
    let settings = support::settings();
    let read = |report: Value| {
        let mut report = seen(report);
        let report = report.as_object_mut().unwrap();
        report.remove("coverage");
        report.remove("inputs");
        Value::Object(report.clone())
    };
    let looped = support::scan_with(&[sample.clone(), extra.path().to_path_buf()], &settings);
    let alone = support::scan_with(&[sample], &settings);
    // Read, and read whole: neither left unread nor read with problems.
    assert_eq!(looped["inputs"]["by_kind"]["ipconfig"]["files"], 2);
    for list in ["not_read", "read_with_problems"] {
        let origins = looped["coverage"][list].to_string();
        assert!(!origins.contains("loop-ipconfig"), "{origins}");
    }
    assert_eq!(read(looped), read(alone));
}

/// `Get-ReceiveConnector | fl` of EX02 run again and again into one file
/// (2,000 runs of its six connectors) beside the connector-auth sample: each
/// connector counted, one said again one fact (of the output, as read whole)
/// standing for every run, and the sample reads as alone.
#[test]
fn receive_connectors_listed_again_and_again_are_counted_and_read_the_same() {
    let file = "EX02/Exchange_Server_Data/EX02_ReceiveConnectors.txt";
    let once = utf16_sample(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("samples/connector-auth")
            .join(file),
    );
    assert_eq!(once.matches("\nIdentity ").count(), 6);
    let lines = looped_beside_sample(
        "connector-auth",
        file,
        Some(&once),
        2_000,
        6,
        "connector-auth",
        "connector-auth",
    );
    assert_one_fact_of_the_output(
        &lines,
        "/EX02/Exchange_Server_Data/loop-EX02_ReceiveConnectors.txt",
        "EX02\\\\Internal Relay takes 10.0.1.11 → 10.0.1.12:2525 (binding and most specific RemoteIPRanges) and lacks ExchangeServer (Tls) (and 1,999 more like it later in the same output, counted, not listed)",
    );
}

/// The item of the report's `list` that `matches`.
fn find(list: &Value, matches: impl Fn(&Value) -> bool) -> &Value {
    let found = list.as_array().unwrap().iter().find(|item| matches(item));
    found.unwrap_or_else(|| panic!("none matches in {list:#}"))
}

/// A local time as `Get-Queue | fl` writes it on an en-US server
/// (`11/26/2026 3:56:25 AM`).
fn us_time(t: jiff::civil::DateTime) -> String {
    let hour = t.hour();
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        t.month(),
        t.day(),
        t.year(),
        if hour % 12 == 0 { 12 } else { hour % 12 },
        t.minute(),
        t.second(),
        if hour < 12 { "AM" } else { "PM" }
    )
}

/// `Get-Queue | fl` of EX01 run every minute into one file after the
/// hand-over sample's export (2,000 runs of it: the same queues, the 454
/// queue's RetryCount one more, its LastRetryTime — the LastError's LRT too
/// — and NextRetryTime a minute later each run), beside the sample: every
/// snapshot counted, the loop kept as its first and its last (kept one by
/// one, a 200 MB loop's scan peaked at 73 MB), EX01 → EX02 failing as often
/// as keeping every snapshot counts it (each retry once: the last run's
/// RetryCount) until the last snapshot's time, and the sample reads as alone.
#[test]
fn a_queue_exported_in_a_loop_is_folded_and_reads_the_same() {
    const RUNS: u64 = 2_000;
    let (sample, file) = ("handover-clock-skew", "ticket/queue-EX01.txt");
    let once = std::fs::read_to_string(committed(sample).join(file)).unwrap();
    // The sample's failing queue: 11 retries, the last at 3:56:25 AM.
    let count = "RetryCount                       : 11\r\n";
    let last_retry = jiff::civil::date(2026, 11, 26).at(3, 56, 25, 0);
    let next_retry = jiff::civil::date(2026, 11, 26).at(4, 6, 25, 0);
    assert_eq!(once.matches(count).count(), 1);
    assert_eq!(
        once.matches(&us_time(last_retry)).count(),
        2,
        "LRT, LastRetryTime"
    );
    assert_eq!(once.matches(&us_time(next_retry)).count(), 1);
    let later = |t: jiff::civil::DateTime, k: u64| {
        us_time(t.checked_add(jiff::Span::new().minutes(k as i64)).unwrap())
    };
    let looped: String = (1..=RUNS)
        .map(|k| {
            // The next retry first: a last retry moved on never reads as it.
            once.replace(
                count,
                &format!("RetryCount                       : {}\r\n", 11 + k),
            )
            .replace(&us_time(next_retry), &later(next_retry, k))
            .replace(&us_time(last_retry), &later(last_retry, k))
        })
        .collect();
    let (_root, extra, copy) = beside_sample(sample, file, &looped);
    let settings = support::settings();
    let report = support::scan_with(&[extra.clone(), copy.clone()], &settings);
    let alone = support::scan_with(std::slice::from_ref(&copy), &settings);

    let evidence = |r: &Value| {
        r["inputs"]["evidence"]["queue-last-error"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        evidence(&report),
        evidence(&alone) + RUNS,
        "every snapshot counted"
    );
    let cause = |r: &Value| find(&r["causes"], |c| c["cause"] == "clock-skew")["status"].clone();
    assert_eq!(cause(&report), cause(&alone));
    assert_eq!(cause(&report), "supported");
    assert_eq!(
        seen(report.clone())["verdict"],
        seen(alone.clone())["verdict"]
    );
    let pair = |r: &Value| {
        find(&r["pairs"], |p| {
            p["sender"] == "EX01" && p["receiver"] == "EX02"
        })
        .clone()
    };
    let (looped_pair, alone_pair) = (pair(&report), pair(&alone));
    assert_eq!(alone_pair["failures"], 11, "{alone_pair}");
    assert_eq!(looped_pair["failures"], 11 + RUNS, "{looped_pair}");
    assert_eq!(looped_pair["first"], alone_pair["first"]);
    // The sample's queue is the pair's first failure; the loop's last
    // snapshot, RUNS minutes on, its last.
    let first: jiff::Timestamp = alone_pair["first"].as_str().unwrap().parse().unwrap();
    let last = first
        .checked_add(jiff::Span::new().minutes(RUNS as i64))
        .unwrap();
    assert_eq!(looped_pair["last"], last.to_string(), "{looped_pair}");

    // The loop's facts: the run's first, at the line of the first run's
    // failing queue (where the sample's own is), and its last, at the last
    // run's, standing for the rest.
    let queue_facts = |paths: &[PathBuf], file: &str| -> Vec<(u64, Option<u64>, u64)> {
        let collected = exauth::pipeline::read(paths, &settings);
        collected
            .evidence
            .iter()
            .filter_map(|e| match &e.fact {
                exauth::evidence::Fact::QueueLastError { retry_count, .. } => {
                    let (origin, line) = e.origin.rsplit_once(':')?;
                    origin
                        .ends_with(file)
                        .then(|| (line.parse().unwrap(), *retry_count, e.represents))
                }
                _ => None,
            })
            .collect()
    };
    let sample_queue = queue_facts(std::slice::from_ref(&copy), "/ticket/queue-EX01.txt");
    let [(line, Some(11), 1)] = sample_queue[..] else {
        panic!("the sample's failing queue: {sample_queue:?}");
    };
    let lines_a_run = once.matches('\n').count() as u64;
    let mut kept = queue_facts(&[extra, copy], "/loop-queue-EX01.txt");
    kept.sort_unstable();
    assert_eq!(
        kept,
        [
            (line, Some(12), 1),
            (line + (RUNS - 1) * lines_a_run, Some(11 + RUNS), RUNS - 1)
        ]
    );
}

/// The handover-clock-skew sample's failing queue (`EX01\3`, RetryCount 11,
/// last retry at 3:56:25 AM), as `Get-Queue | fl` writes it.
fn failing_queue_block() -> String {
    let text = std::fs::read_to_string(committed("handover-clock-skew/ticket/queue-EX01.txt"))
        .unwrap()
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n");
    let block = text
        .split("\n\n")
        .find(|b| b.contains("Identity                         : EX01\\3"))
        .unwrap()
        .to_string();
    assert!(
        block.contains("RetryCount                       : 11"),
        "{block}"
    );
    assert!(block.contains("3:56:25 AM"), "{block}");
    block
}

/// `queues` of the sample's failing queue, each its identity (`EX01\n`), its
/// RetryCount and its last retry at `hour`:`minute`:25 AM.
fn distinct_queues(queues: impl Iterator<Item = (u64, u64, u32, u32)>) -> String {
    let block = failing_queue_block();
    let mut text = String::new();
    for (n, retries, hour, minute) in queues {
        text.push_str(
            &block
                .replace("EX01\\3\n", &format!("EX01\\{n}\n"))
                .replace(
                    "RetryCount                       : 11",
                    &format!("RetryCount                       : {retries}"),
                )
                .replace("3:56:25 AM", &format!("{hour}:{minute:02}:25 AM")),
        );
        text.push_str("\n\n");
    }
    text
}

/// Issue 14: queue rows of distinct queues past the cap (`Limits::queue_rows`)
/// are counted, not kept one by one, and the report is the one every row kept
/// gives: the same verdict, causes, pairs — the failures, the retries of every
/// queue counted once, whether a queue's rows were kept or counted —, first
/// and last failures, clocks, coverage (the copies set aside) and the queue
/// rows the evidence counts. Beside the handover-clock-skew sample: 1,500
/// distinct failing queues at EX01 at 3 AM, a later export at 4 AM of a third
/// of them and of the sample's own `EX01\3` (RetryCount grown), and that
/// export saved again (its rows identical copies).
#[test]
fn distinct_queues_past_the_cap_count_as_every_row_kept() {
    const QUEUES: u64 = 1_500;
    const CAP: usize = 200;
    let root = tempfile::tempdir().unwrap();
    let sample = root.path().join("handover-clock-skew");
    support::copy_tree(&committed("handover-clock-skew"), &sample);
    let ticket = sample.join("ticket");
    let first = distinct_queues((0..QUEUES).map(|i| (100 + i, 2 + i % 5, 3, (i % 60) as u32)));
    let later = distinct_queues(
        (0..QUEUES / 3)
            .map(|i| (100 + 3 * i, 9 + i % 5, 4, (i % 60) as u32))
            .chain(std::iter::once((3, 14, 4, 26))),
    );
    std::fs::write(ticket.join("queue-EX01-0300.txt"), &first).unwrap();
    std::fs::write(ticket.join("queue-EX01-0400.txt"), &later).unwrap();
    std::fs::write(ticket.join("queue-EX01-0400-saved-again.txt"), &later).unwrap();
    let paths = [sample.clone()];
    let scan = |aggregate| {
        let settings = exauth::pipeline::ReadSettings {
            aggregate,
            ..support::settings()
        };
        support::scan_with(&paths, &settings)
    };
    let counted_limits = aggregate::Limits {
        queue_rows: CAP,
        ..aggregate::Limits::default()
    };
    let kept = scan(aggregate::Limits::keep_all());
    let counted = scan(counted_limits);
    assert_eq!(seen(counted.clone()), seen(kept.clone()));

    // What every row kept counts: the sample's pair fails 11 + 3 times at
    // `EX01\3` (11 at 3:56, 14 at 4:26), every other queue its last count.
    let pair = |r: &Value| {
        find(&r["pairs"], |p| {
            p["sender"] == "EX01" && p["receiver"] == "EX02"
        })
        .clone()
    };
    let retries: u64 = (0..QUEUES)
        .map(|i| {
            if i % 3 == 0 {
                9 + (i / 3) % 5
            } else {
                2 + i % 5
            }
        })
        .sum();
    assert_eq!(pair(&kept)["failures"], 14 + retries, "{}", pair(&kept));
    assert_eq!(pair(&counted)["failures"], pair(&kept)["failures"]);
    let rows = |r: &Value| {
        r["inputs"]["evidence"]["queue-last-error"]
            .as_u64()
            .unwrap()
    };
    let alone = support::scan_with(&[committed("handover-clock-skew")], &support::settings());
    assert_eq!(rows(&kept), rows(&alone) + QUEUES + QUEUES / 3 + 1);
    assert_eq!(rows(&counted), rows(&kept));
    assert_eq!(counted["verdict"], kept["verdict"]);

    // The rows were counted: at most the cap kept as read, a few exemplars.
    let collected = exauth::pipeline::read(
        &paths,
        &exauth::pipeline::ReadSettings {
            aggregate: counted_limits,
            ..support::settings()
        },
    );
    let queue_facts: Vec<&exauth::evidence::Evidence> = collected
        .evidence
        .iter()
        .filter(|e| matches!(e.fact, exauth::evidence::Fact::QueueLastError { .. }))
        .collect();
    assert!(
        queue_facts.len() <= CAP + 2 * aggregate::EXEMPLARS,
        "{} queue facts",
        queue_facts.len()
    );
    let represented: u64 = queue_facts.iter().map(|e| e.represents).sum();
    assert_eq!(represented, rows(&kept));
}
