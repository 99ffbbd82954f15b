//! `SessionDetail::Failures` (what a scan asks for) leaves out only what it says it leaves out:
//! a session with an attempt that did not succeed comes exactly as `SessionDetail::Full` gives
//! it, and a healthy one differs from the full summary in the documented fields alone. And the
//! glance a sink gets of a healthy session before its summary is built (`SessionGlance`, and its
//! `times`) says what that summary says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::smtp_log::{
    parse_file_name, AuthOutcome, ClockBasis, GlancedTimes, LogKind, Reassembler, SessionDetail,
    SessionGlance, SessionSink, SessionSummary,
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

/// `summary` with the fields a glance gives written over from `glance` (an owned copy of one):
/// equal to the summary exactly when the glance says what it says.
fn with_glanced_fields(summary: &SessionSummary, glance: &GlanceCopy) -> SessionSummary {
    let mut s = summary.clone();
    s.log = glance.log;
    s.session_id = glance.session_id.clone();
    s.start = glance.start;
    s.rows = glance.rows;
    s.connector = glance.connector.clone();
    s.local_endpoint = glance.local_endpoint.clone();
    s.remote_endpoint = glance.remote_endpoint.clone();
    // A Receive log's greeting is its own server's, not glanced.
    if s.log == LogKind::Send {
        s.banner_host = glance.banner_host.clone();
    }
    s.ehlo = glance.ehlo.clone();
    s.hello_reply_host = glance.hello_reply_host.clone();
    s.clock_samples = glance.clock_samples.clone();
    let t = glance.times;
    s.end = t.end;
    s.has_start = t.has_start;
    s.has_end = t.has_end;
    s.partial = t.partial;
    s.connect_time = t.connect_time;
    s.banner_time = t.banner_time;
    s.ehlo_time = t.ehlo_time;
    s.first_line = t.first_line;
    s.last_line = t.last_line;
    s.first_file = t.first_file;
    s.last_file = t.last_file;
    s
}

/// A [`SessionGlance`], owned, its clock sample as the summary's.
#[derive(Debug)]
struct GlanceCopy {
    log: LogKind,
    session_id: String,
    start: Option<jiff::Timestamp>,
    rows: u64,
    connector: String,
    local_endpoint: Option<String>,
    remote_endpoint: Option<String>,
    banner_host: Option<String>,
    ehlo: Option<String>,
    hello_reply_host: Option<String>,
    clock_samples: Vec<exauth_parsers::smtp_log::ClockSample>,
    times: GlancedTimes,
}

impl GlanceCopy {
    fn of(g: &SessionGlance<'_>) -> Self {
        let owned = |t: Option<&str>| t.map(str::to_owned);
        GlanceCopy {
            log: g.log,
            session_id: g.session_id.to_owned(),
            start: g.start,
            rows: g.rows,
            connector: g.connector.to_owned(),
            local_endpoint: owned(g.local_endpoint),
            remote_endpoint: owned(g.remote_endpoint),
            banner_host: owned(g.banner_host),
            ehlo: owned(g.ehlo),
            hello_reply_host: owned(g.hello_reply_host),
            clock_samples: g
                .clock_sample
                .iter()
                .map(|c| exauth_parsers::smtp_log::ClockSample {
                    basis: ClockBasis::Banner,
                    remote_server: Some(c.remote_server.to_owned()),
                    remote_ip: owned(c.remote_ip),
                    time: c.time,
                    offset_s: c.offset_s,
                    session_id: None,
                    line: Some(c.line),
                })
                .collect(),
            times: g.times(),
        }
    }
}

/// A sink that keeps each glance, then asks for the summary anyway (`decline`: or not), and
/// holds the glance against the summary that follows it.
#[derive(Default)]
struct Glancing {
    decline: bool,
    glance: Option<GlanceCopy>,
    taken: Vec<SessionSummary>,
    glanced: usize,
    compared: usize,
}

impl SessionSink for Glancing {
    fn wants_summary(&mut self, glance: &SessionGlance<'_>) -> bool {
        self.glanced += 1;
        self.glance = Some(GlanceCopy::of(glance));
        !self.decline
    }

    fn take(&mut self, session: SessionSummary) {
        if let Some(glance) = self.glance.take().filter(|_| !self.decline) {
            assert!(
                session.auth_attempts.is_empty(),
                "a glanced session is healthy: {session:?}"
            );
            assert_eq!(
                with_glanced_fields(&session, &glance),
                session,
                "{glance:?}"
            );
            self.compared += 1;
        }
        self.taken.push(session);
    }
}

/// Every glance equals its summary; a sink that declines them gets every other summary, the
/// same. Returns the sessions glanced.
fn check_glances(files: &[Vec<u8>], hint: Option<LogKind>, failures: &[SessionSummary]) -> usize {
    let run = |decline: bool| {
        let mut r = Reassembler::new().with_detail(SessionDetail::Failures);
        let mut sink = Glancing {
            decline,
            ..Glancing::default()
        };
        for bytes in files {
            let _ = r.feed_into(bytes.as_slice(), hint, &mut sink);
        }
        r.finish_into(&mut sink);
        sink
    };
    let asking = run(false);
    assert_eq!(
        asking.taken, failures,
        "asking for every summary changes none"
    );
    assert_eq!(asking.compared, asking.glanced);
    let declining = run(true);
    assert_eq!(declining.glanced, asking.glanced);
    assert_eq!(declining.taken.len() + declining.glanced, failures.len());
    // The summaries still built are the sessions that were not glanced, in order.
    let mut rest = failures.iter();
    for taken in &declining.taken {
        assert!(rest.any(|s| s == taken), "{}", taken.session_id);
    }
    asking.glanced
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

/// Compares both details over one log; returns (sessions, sessions with a failed attempt,
/// sessions glanced).
fn check(files: &[Vec<u8>], hint: Option<LogKind>) -> (usize, usize, usize) {
    let full = summaries(files, hint, SessionDetail::Full);
    let failures = summaries(files, hint, SessionDetail::Failures);
    assert_eq!(full.len(), failures.len(), "the same sessions");
    let glanced = check_glances(files, hint, &failures);
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
    (full.len(), failing, glanced)
}

fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<PathBuf>>) {
    for entry in std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
    {
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
    let (mut sessions, mut failing, mut glanced) = (0, 0, 0);
    for (dir, mut files) in dirs {
        files.sort();
        let hint = if dir.to_string_lossy().contains("Send") {
            LogKind::Send
        } else {
            LogKind::Receive
        };
        let bytes: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        let (n, f, g) = check(&bytes, Some(hint));
        sessions += n;
        failing += f;
        glanced += g;
    }
    // Both kinds of session were compared, many of each.
    assert!(failing >= 20, "{failing} failing sessions");
    assert!(
        sessions - failing >= 100,
        "{} healthy sessions",
        sessions - failing
    );
    // Most healthy sessions are glanced, dated greetings among them.
    assert!(
        glanced * 10 >= (sessions - failing) * 8,
        "{glanced} of {} healthy sessions glanced",
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

/// A healthy Send session greeted twice (a second greeting after STARTTLS, another host and
/// date) and saying EHLO twice: the glance, like the summary, takes the first greeting's host
/// and clock sample, the first EHLO and the first Hello reply.
#[test]
fn a_second_greeting_is_passed_over_in_the_glance_as_in_the_summary() {
    let rows = [
        (0, "+", "", ""),
        (1, "<", "\"220 EX02.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 6 May 2024 12:09:31 +0200\"", ""),
        (2, ">", "EHLO EX01.contoso.com", ""),
        (3, "<", "250-EX02.contoso.com Hello [10.0.0.11]", ""),
        (4, "<", "\"220 EX03.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 6 May 2024 12:19:31 +0200\"", ""),
        (5, ">", "EHLO EX09.contoso.com", ""),
        (6, "<", "250-EX03.contoso.com Hello [10.0.0.11]", ""),
        (7, ">", "X-EXPS EXCHANGEAUTH SHA256", ""),
        (8, "<", "235 <authentication information>", ""),
        (9, "-", "", "Local"),
    ];
    let mut text = String::from("#Log-type: SMTP Send Protocol Log\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n");
    for (seq, event, data, context) in rows {
        text.push_str(&row(seq * 1000, 1, seq, event, data, context));
    }
    let files = [text.into_bytes()];
    let (sessions, failing, glanced) = check(&files, Some(LogKind::Send));
    assert_eq!((sessions, failing, glanced), (1, 0, 1));
    let failures = summaries(&files, Some(LogKind::Send), SessionDetail::Failures);
    assert_eq!(failures[0].banner_host.as_deref(), Some("EX02.contoso.com"));
    assert_eq!(failures[0].ehlo.as_deref(), Some("EX01.contoso.com"));
    assert_eq!(
        failures[0].hello_reply_host.as_deref(),
        Some("EX02.contoso.com")
    );
    assert_eq!(failures[0].clock_samples.len(), 1);
}

/// Bytes that are not UTF-8 in a text the glance does not read (a capability's names) leave the
/// session glanced, its glance equal to its summary; in one it reads (the Hello reply's host),
/// the session is not glanced and its summary is built.
#[test]
fn bytes_that_are_not_utf8_stop_only_the_glance_that_reads_them() {
    let rows: [(u8, u32, &str, &[u8]); 10] = [
        (1, 0, "+", b""),
        (1, 1, ">", b"EHLO EX01.contoso.com"),
        (1, 2, "<", b"250-EX02.contoso.com Hello [10.0.0.11]"),
        (1, 3, "<", b"250-AUTH NTLM \xff\xfeLOGIN"),
        (1, 4, "-", b""),
        (2, 0, "+", b""),
        (2, 1, ">", b"EHLO EX01.contoso.com"),
        (2, 2, "<", b"250-EX0\xff.contoso.com Hello [10.0.0.11]"),
        (2, 3, "<", b"250-AUTH NTLM LOGIN"),
        (2, 4, "-", b""),
    ];
    let mut bytes = b"#Log-type: SMTP Send Protocol Log\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n".to_vec();
    for (i, (id, seq, event, data)) in rows.into_iter().enumerate() {
        let line = row(i as u32 * 1000, id, seq, event, "DATA", "");
        let (before, after) = line.split_once("DATA").unwrap();
        bytes.extend_from_slice(before.as_bytes());
        bytes.extend_from_slice(data);
        bytes.extend_from_slice(after.as_bytes());
    }
    let (sessions, failing, glanced) = check(&[bytes], Some(LogKind::Send));
    assert_eq!((sessions, failing, glanced), (2, 0, 1));
}
