//! `SessionDetail::Failures` (what a scan asks for) leaves out only what it says it leaves out:
//! a session with an attempt that did not succeed comes exactly as `SessionDetail::Full` gives
//! it, and a healthy one differs from the full summary in the documented fields alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::smtp_log::{
    parse_file_name, AuthOutcome, LogKind, Reassembler, SessionDetail, SessionSummary,
};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The summaries of `files` (one log directory, in order) at `detail`.
fn summaries(
    files: &[Vec<u8>],
    hint: Option<LogKind>,
    detail: SessionDetail,
) -> Vec<SessionSummary> {
    let mut r = Reassembler::new().with_detail(detail);
    let mut out = Vec::new();
    for bytes in files {
        let _ = r.feed(bytes.as_slice(), hint, |s| out.push(s));
    }
    r.finish(|s| out.push(s));
    out
}

/// What the documentation of `SessionDetail::Failures` says the full summary becomes.
fn documented_failures_form(full: &SessionSummary) -> SessionSummary {
    if full
        .auth_attempts
        .iter()
        .any(|a| a.outcome != AuthOutcome::Success)
    {
        return full.clone();
    }
    let mut s = full.clone();
    s.auth_attempts.clear();
    s.advertised.auth.clear();
    s.advertised.exps.clear();
    s.advertised.exchange_auth.clear();
    s.permissions_before_auth = None;
    s.permissions_after_auth = None;
    s.tls_command = None;
    s.tls_detail = None;
    s.disconnect_reason = None;
    s.proxy_session_id = None;
    s.ticket_cache_flush = None;
    for sample in &mut s.clock_samples {
        sample.session_id = None;
    }
    s
}

/// Compares both details over one log; returns (sessions, sessions with a failed attempt).
fn check(files: &[Vec<u8>], hint: Option<LogKind>) -> (usize, usize) {
    let full = summaries(files, hint, SessionDetail::Full);
    let failures = summaries(files, hint, SessionDetail::Failures);
    assert_eq!(full.len(), failures.len(), "the same sessions");
    let mut failing = 0;
    for (f, l) in full.iter().zip(&failures) {
        if f.auth_attempts
            .iter()
            .any(|a| a.outcome != AuthOutcome::Success)
        {
            failing += 1;
        }
        assert_eq!(&documented_failures_form(f), l, "session {}", f.session_id);
    }
    (full.len(), failing)
}

fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<PathBuf>>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(parse_file_name)
            .is_some()
        {
            out.entry(dir.to_path_buf()).or_default().push(path);
        }
    }
}

#[test]
fn every_sample_log_gives_the_documented_failures_form() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples");
    let mut dirs = BTreeMap::new();
    walk(&samples, &mut dirs);
    let (mut sessions, mut failing) = (0, 0);
    for (dir, mut files) in dirs {
        files.sort();
        let hint = if dir.to_string_lossy().contains("Send") {
            LogKind::Send
        } else {
            LogKind::Receive
        };
        let bytes: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        let (n, f) = check(&bytes, Some(hint));
        sessions += n;
        failing += f;
    }
    // Both kinds of session were compared, many of each.
    assert!(failing >= 20, "{failing} failing sessions");
    assert!(
        sessions - failing >= 100,
        "{} healthy sessions",
        sessions - failing
    );
}

/// Pieces of rows that make sessions of every shape: successes, 454s, sender-side failures,
/// EXCHANGEAUTH not offered, attempts left open, TLS, permissions, proxying.
const DATA: &[&str] = &[
    "220 EX02.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 6 May 2024 12:09:31 +0200",
    "250-EX02.contoso.com Hello [10.0.0.11]",
    "250-AUTH NTLM LOGIN",
    "250-X-EXPS EXCHANGEAUTH GSSAPI NTLM",
    "250-X-EXCHANGEAUTH SHA256",
    "250 XSHADOW",
    "EHLO EX01.contoso.com",
    "X-EXPS EXCHANGEAUTH SHA256",
    "AUTH NTLM",
    "235 2.7.0 Authentication successful",
    "334 <authentication response>",
    "454 4.7.0 Temporary authentication failure",
    "535 5.7.3 Authentication unsuccessful",
    "500 5.3.3 Unrecognized command",
    "STARTTLS",
    "X-ANONYMOUSTLS",
    "\"TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded using bulk encryption algorithm CALG_AES_256\"",
    "TLS negotiation failed with error IllegalMessage",
    "Set Session Permissions",
    "SMTPSubmit SMTPAcceptAnyRecipient",
    "Outbound Authentication failed with TimeSkew",
    "Inbound ExchangeAuth negotiation failed because of IllegalMessage",
    "Proxying inbound session with session id 08DC6D1A2B3C4D5F",
    "Flushing the Kerberos ticket cache",
    "Local",
    "",
];

fn row(time: u32, id: u8, seq: u32, event: &str, data: &str, context: &str) -> String {
    format!(
        "2024-05-06T10:{:02}:{:02}.{:03}Z,EX01\\Default EX01,08DC6D1A2B3C4D{id:02X},{seq},10.0.0.12:25,10.0.0.11:51000,{event},{data},{context}\r\n",
        time / 60_000 % 60,
        time / 1000 % 60,
        time % 1000
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_sessions_give_the_documented_failures_form(
        rows in proptest::collection::vec(
            (0u8..4, prop_oneof![Just("+"), Just("-"), Just("<"), Just(">"), Just("*")],
             proptest::sample::select(DATA), proptest::sample::select(DATA)),
            0..80),
        receive in any::<bool>(),
    ) {
        let kind = if receive { LogKind::Receive } else { LogKind::Send };
        let mut text = String::from(if receive {
            "#Log-type: SMTP Receive Protocol Log\r\n"
        } else {
            "#Log-type: SMTP Send Protocol Log\r\n"
        });
        text.push_str("#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n");
        let mut seq = [0u32; 4];
        for (i, (id, event, data, context)) in rows.iter().enumerate() {
            let n = &mut seq[usize::from(*id)];
            text.push_str(&row(i as u32 * 37, *id, *n, event, data, context));
            *n += 1;
        }
        check(&[text.into_bytes()], Some(kind));
    }
}
