//! Hand-over parsers (issue 13) against real files published by others.
//!
//! The files are reached only through `EXAUTH_REALWORLD` (the `realworld`
//! folder; CI has it at `../shared/realworld`); each test prints a note and
//! passes when it is unset. The asserted facts are the hand-counted ones of
//! that folder's PROVENANCE.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::diag::w32tm::{self, ClockSourceKind};
use exauth_parsers::exchange_logs::{self, ExchangeLogKind};
use exauth_parsers::queue::DateOrderOption;
use exauth_parsers::smtp_log::excerpt::{detect_excerpt, looks_like_excerpt, read_excerpt};
use exauth_parsers::smtp_log::LogKind;
use exauth_parsers::transcript;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn realworld(rel: &str) -> Option<String> {
    let Some(dir) = std::env::var_os("EXAUTH_REALWORLD") else {
        eprintln!("note: EXAUTH_REALWORLD is not set; skipping {rel}");
        return None;
    };
    let path = PathBuf::from(dir).join(rel);
    match std::fs::read(&path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// The text without its `#` header lines (what an admin pastes from the middle of a log).
fn without_header(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start_matches('\u{feff}').starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn message_tracking_excerpt() {
    let Some(text) =
        realworld("message_tracking/artefacts.help_MSGTRKMS2022091915-1_excerpt_anonymized.LOG")
    else {
        return;
    };
    assert_eq!(text.lines().count(), 7);
    assert_eq!(
        exchange_logs::looks_like(&text),
        Some(ExchangeLogKind::MessageTracking)
    );
    let o = exchange_logs::read_message_tracking(text.as_bytes());
    // 30 fields per row: no field-count problem.
    assert!(o.problems.is_empty(), "{:?}", o.problems);
    assert_eq!(o.header.version.as_deref(), Some("15.01.2375.007"));
    assert_eq!(o.header.fields.len(), 30);
    assert_eq!(o.rows_read, 2);
    let events: Vec<(&str, u64)> = o
        .event_counts
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(events, [("NOTIFYMAPI", 1), ("RECEIVE", 1)]);
    assert!(o.failures.is_empty());
}

/// (file, lines, CSV rows, protocol-log rows, sessions) from PROVENANCE.md.
const RECEIVE_LOGS: &[(&str, usize, u64, u32, usize)] = &[
    ("smtp_receive/IPBan_smtp_auth_successful.log", 27, 22, 22, 1),
    // 81 CSV rows, one of them the IMAP line, which is not a protocol-log row.
    (
        "smtp_receive/IPBan_smtp_auth_unsuccessful.log",
        89,
        81,
        80,
        6,
    ),
    (
        "smtp_receive/artefacts.help_RECV2023011116-1_excerpt_anonymized.LOG",
        21,
        16,
        16,
        1,
    ),
];

#[test]
fn receive_logs_headered_and_headerless_are_receive_excerpts() {
    for &(rel, lines, csv_rows, rows, sessions) in RECEIVE_LOGS {
        let Some(text) = realworld(rel) else { return };
        assert_eq!(text.lines().count(), lines, "{rel}");
        assert_eq!(looks_like_excerpt(&text), Some(LogKind::Receive), "{rel}");
        let bare = without_header(&text);
        assert!(!bare.contains("#Fields"), "{rel}");
        let d = detect_excerpt(&bare).unwrap_or_else(|| panic!("{rel}: not rows"));
        assert_eq!(d.kind, Some(LogKind::Receive), "{rel}: {d:?}");
        assert_eq!(d.rows, rows, "{rel}");
        assert_eq!(d.send_votes, 0, "{rel}");
        let o = read_excerpt(&bare).unwrap_or_else(|| panic!("{rel}"));
        let ids: BTreeSet<&str> = o.sessions.iter().map(|s| s.session_id.as_str()).collect();
        assert_eq!(ids.len(), sessions, "{rel}: {ids:?}");
        assert!(o.sessions.iter().all(|s| s.log == LogKind::Receive));
        assert_eq!(o.report.rows, csv_rows, "{rel}: {:?}", o.report.problems);
        // Only the IMAP line is a problem.
        assert_eq!(
            o.report.problems.len() as u64,
            csv_rows - u64::from(rows),
            "{rel}: {:?}",
            o.report.problems
        );
    }
}

#[test]
fn artefacts_receive_excerpt_is_one_receive_session() {
    let Some(text) =
        realworld("smtp_receive/artefacts.help_RECV2023011116-1_excerpt_anonymized.LOG")
    else {
        return;
    };
    assert_eq!(text.lines().filter(|l| l.contains("X-EXPS")).count(), 2);
    let o = read_excerpt(&without_header(&text)).unwrap_or_else(|| panic!("excerpt"));
    assert_eq!(o.sessions.len(), 1);
    let s = &o.sessions[0];
    assert_eq!(s.session_id, "123453EC62278461");
    assert_eq!(s.log, LogKind::Receive);
    assert_eq!(s.ehlo.as_deref().map(str::is_empty), Some(false));
    // The EHLO reply is logged as ONE row (`250  HOST Hello [ip] SIZE … X-EXPS GSSAPI NTLM …`),
    // not one row per line: `session` reads `advertised` from `250-` rows only, so
    // `s.advertised.exps` is empty here (reported to the lead; session.rs is not ours).
}

#[test]
fn receive_log_facts_survive_header_removal() {
    let Some(text) = realworld("smtp_receive/IPBan_smtp_auth_unsuccessful.log") else {
        return;
    };
    let o = read_excerpt(&without_header(&text)).unwrap_or_else(|| panic!("excerpt"));
    let mut per_connector: Vec<(String, u64)> = Vec::new();
    for s in &o.sessions {
        match per_connector.iter_mut().find(|(c, _)| *c == s.connector) {
            Some((_, n)) => *n += s.rows,
            None => per_connector.push((s.connector.clone(), s.rows)),
        }
    }
    per_connector.sort();
    assert_eq!(
        per_connector,
        [
            ("EXCH\\Default Frontend EXCH".to_string(), 34),
            ("KROGULEC\\Internet Recive Frontend".to_string(), 6),
            ("SRV-XCH03\\External Authenticated Relay".to_string(), 40),
        ]
    );
    // The IMAP line is reported, with its line number, and the rest is read.
    assert!(
        o.report
            .problems
            .iter()
            .any(|p| matches!(p.location, exauth_parsers::problem::Location::Line(_))),
        "{:?}",
        o.report.problems
    );
}

#[test]
fn w32tm_stripchart_real_and_inside_a_console_paste() {
    let Some(text) = realworld("w32tm/CRTP-Preparation_w32tm_stripchart_dataonly_5samples.txt")
    else {
        return;
    };
    let check = |o: &w32tm::W32tmOutput| {
        let samples: Vec<_> = o
            .measurements
            .iter()
            .filter(|m| m.kind == ClockSourceKind::Stripchart)
            .collect();
        assert_eq!(samples.len(), 5);
        assert!(samples.iter().all(|m| m.target.as_deref()
            == Some("dcorp-dc.dollarcorp.moneycorp.local")
            && m.target_address.as_deref() == Some("172.16.2.1:123")));
        let offsets: Vec<f64> = samples.iter().filter_map(|m| m.offset_seconds).collect();
        let min = offsets.iter().copied().fold(f64::INFINITY, f64::min);
        let max = offsets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!((min - -0.0001129).abs() < 1e-9, "{min}");
        assert!((max - 0.0018698).abs() < 1e-9, "{max}");
        assert_eq!(
            samples[0]
                .sample_time
                .map(|t| t.local.to_string())
                .as_deref(),
            Some("2025-02-20T04:17:25")
        );
        assert!(o.status.is_none());
        assert!(!o.is_unsynchronized());
    };
    assert!(w32tm::looks_like(&text));
    check(&w32tm::parse(&text, DateOrderOption::Infer));
    // The same output pasted from a console, with its prompt.
    let pasted = format!(
        "PS C:\\AD\\Tools> w32tm /stripchart /computer:dcorp-dc.dollarcorp.moneycorp.local /samples:5 /dataonly\r\n{}PS C:\\AD\\Tools>\r\n",
        text.replace('\n', "\r\n")
    );
    assert!(transcript::looks_like(&pasted));
    let t = transcript::split(&pasted);
    // The closing empty prompt makes no block.
    assert_eq!(t.blocks.len(), 1);
    let b = &t.blocks[0];
    assert_eq!(
        b.host.as_deref(),
        Some("dcorp-dc.dollarcorp.moneycorp.local")
    );
    assert_eq!(b.text_first_line, 2);
    check(&w32tm::parse(&b.text, DateOrderOption::Infer));
}
