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
    let extreme = aggregate::Limits {
        exemplars: 1,
        shapes: 1,
        // Every minute its own (a span widened for long logs is
        // `evidence::aggregate`'s own tests').
        kept_in_all: usize::MAX,
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

/// EX01's Send protocol log as one file of `sessions` short sessions, one
/// every 144 ms, those to EX02 (three in five) failing with 454 4.7.0 and
/// EX02's banner 7 minutes ahead: a log too big for every session to be
/// kept for pairing (the file keeps one connection in eight past 4,000).
fn one_big_send_log(dir: &Path, sessions: usize) {
    use std::fmt::Write as _;
    let logs = dir.join("EX01").join("Hub_Send_Protocol_Logs");
    std::fs::create_dir_all(&logs).unwrap();
    let stamp = |ms: usize| {
        let s = ms / 1000;
        format!(
            "2026-11-26T{:02}:{:02}:{:02}.{:03}Z",
            6 + s / 3600,
            s / 60 % 60,
            s % 60,
            ms % 1000
        )
    };
    let mut text = String::from(
        "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: 2026-11-26T06:00:00.000Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n",
    );
    for i in 0..sessions {
        let t = i * 144;
        let fail = i % 5 < 3;
        let r = if fail { 2 } else { 3 + i % 3 };
        let name = format!("EX{r:02}.contoso.com");
        let remote = format!("10.0.1.{}:2525", 10 + r);
        let local = format!("10.0.1.11:{}", 49152 + (i * 7) % 16000);
        let banner_s = (t + if fail { 420_000 } else { 0 }) / 1000;
        let banner = format!(
            "\"220 {name} Microsoft ESMTP MAIL Service ready at Thu, 26 Nov 2026 {:02}:{:02}:{:02} +0000\"",
            6 + banner_s / 3600,
            banner_s / 60 % 60,
            banner_s % 60
        );
        let mut rows = vec![
            ("*", String::new(), "attempting to connect"),
            ("+", String::new(), ""),
            ("<", banner, ""),
            (">", "EHLO EX01.contoso.com".into(), ""),
            ("<", format!("250-{name} Hello [10.0.1.11]"), ""),
            ("<", "250-X-EXPS EXCHANGEAUTH GSSAPI NTLM".into(), ""),
            ("<", "250 XRDST".into(), ""),
            (">", "X-EXPS EXCHANGEAUTH SHA256 ".into(), ""),
        ];
        if fail {
            rows.push(("<", "454 4.7.0 Temporary authentication failure".into(), ""));
            rows.push(("-", String::new(), "Remote"));
        } else {
            rows.push(("<", "235 <authentication information>".into(), ""));
            rows.push((">", "QUIT".into(), ""));
            rows.push(("-", String::new(), "Local"));
        }
        for (seq, (event, data, context)) in rows.into_iter().enumerate() {
            let local = if seq < 2 { "" } else { local.as_str() };
            writeln!(
                text,
                "{},Intra-Organization SMTP Send Connector,08DE2F3A{i:08X},{seq},{local},{remote},{event},{data},{context}\r",
                stamp(t + 2 * seq)
            )
            .unwrap();
        }
    }
    std::fs::write(logs.join("SEND20261126-1.LOG"), text).unwrap();
}

/// One protocol log of many sessions hands its facts and its sessions kept
/// for pairing over while it is read (those once the file is known big,
/// thinned as its end thins them): the same report, samples' counts
/// included, as keeping them to its end.
#[test]
fn a_big_protocol_log_hands_over_what_its_end_would_keep() {
    let work = tempfile::tempdir().unwrap();
    one_big_send_log(work.path(), 12_000);
    let read = |hand_over_at: usize| {
        let mut settings = support::settings();
        settings.ingest.hand_over_at = hand_over_at;
        support::scan_with(&[work.path().to_path_buf()], &settings)
    };
    let at_the_end = read(usize::MAX);
    // Its 4,800 healthy sessions: one in eight offered to the run's sample
    // (failing ones are all offered).
    let offered = at_the_end["inputs"]["sampled"]["sessions_for_pairing"]["read"]
        .as_u64()
        .unwrap();
    assert!(
        (300..1200).contains(&offered),
        "one healthy session in eight: {offered} of 4800"
    );
    assert_eq!(at_the_end["verdict"]["primary_cause"], "clock-skew");
    for hand_over_at in [1, 100, 5_000] {
        assert_eq!(
            read(hand_over_at),
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
        },
    );
    assert!(
        report.to_string().contains(
            "(and 30 more like it from this source in the same minute, counted, not listed)"
        ),
        "the aggregate's count is not stated"
    );
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
