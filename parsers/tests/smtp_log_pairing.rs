//! Two servers, one connection each time, the receiver's clock 7 minutes ahead: banner samples
//! and paired sessions must both find +420 s, despite interleaved rows and reused ports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

#[path = "../benches/smtp_log_gen/mod.rs"]
mod smtp_log_gen;

use exauth_parsers::smtp_log::pairing::PairDirection;
use exauth_parsers::smtp_log::{
    pair_all_sessions, pair_all_sessions_where, pair_sessions, ClockBasis, LogKind, PairingOptions,
    Reassembler, SessionSummary,
};
use smtp_log_gen::{generate_pair, GenConfig};

const SKEW_MS: i64 = 7 * 60 * 1000;

fn summaries(files: &[&[u8]]) -> Vec<SessionSummary> {
    let mut r = Reassembler::new();
    let mut out = Vec::new();
    for f in files {
        let report = r.feed(*f, None, |s| out.push(s));
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
    r.finish(|s| out.push(s));
    out
}

fn a_to_b() -> GenConfig {
    GenConfig {
        sessions: 600,
        receiver_skew_ms: SKEW_MS,
        session_gap_ms: 1000,
        // 60 ports for 600 sessions: every port is reused ten times, once a minute.
        port_range: 60,
        interleave: 16,
        latency_ms: 3,
        ..GenConfig::default()
    }
}

fn b_to_a() -> GenConfig {
    GenConfig {
        sessions: 100,
        sender_name: "EX02.contoso.com".into(),
        sender_ip: "10.0.0.12".into(),
        receiver_name: "EX01.contoso.com".into(),
        receiver_ip: "10.0.0.11".into(),
        // B sends; A's clock is 7 minutes behind B's.
        receiver_skew_ms: -SKEW_MS,
        session_gap_ms: 2000,
        port_range: 10,
        id_base: 0x08DC_7000_0000_0000,
        ..GenConfig::default()
    }
}

#[test]
fn banner_samples_see_the_receiver_seven_minutes_ahead() {
    let (send, _) = generate_pair(&a_to_b());
    let sessions = summaries(&[&send]);
    assert_eq!(sessions.len(), 600);
    let samples: Vec<_> = sessions.iter().flat_map(|s| &s.clock_samples).collect();
    assert_eq!(samples.len(), 600);
    for c in samples {
        assert_eq!(c.basis, ClockBasis::Banner);
        assert_eq!(c.remote_server.as_deref(), Some("EX02.contoso.com"));
        assert_eq!(c.remote_ip.as_deref(), Some("10.0.0.12"));
        assert!((c.offset_s - 420.0).abs() <= 1.0, "{}", c.offset_s);
    }
}

#[test]
fn paired_sessions_give_the_offset_to_the_millisecond() {
    let (a_send, b_receive) = generate_pair(&a_to_b());
    let (b_send, a_receive) = generate_pair(&b_to_a());
    let a = summaries(&[&a_send, &a_receive]);
    let b = summaries(&[&b_receive, &b_send]);
    assert!(a.iter().all(|s| !s.partial) && b.iter().all(|s| !s.partial));

    let offset = pair_sessions(&a, &b, &PairingOptions::default()).expect("pairs");
    assert!(
        (offset.offset_s - 420.0).abs() <= 0.1,
        "{}",
        offset.offset_s
    );
    assert_eq!(offset.sessions, 700);
    assert!(offset.spread_s < 0.1, "{}", offset.spread_s);
    // Port reuse made many more endpoint matches than connections.
    assert!(
        offset.candidates > 5 * offset.sessions,
        "{}",
        offset.candidates
    );
    // Every pair is the right one: the generator derives both ids from the session number.
    for p in &offset.pairs {
        let send = u64::from_str_radix(&p.send_session_id, 16).unwrap();
        let receive = u64::from_str_radix(&p.receive_session_id, 16).unwrap();
        let base = match p.direction {
            PairDirection::AToB => a_to_b().id_base,
            PairDirection::BToA => b_to_a().id_base,
        };
        assert_eq!((receive - (base ^ 0x1_0000_0000)) / 3, send - base);
    }
    let sample = offset.clock_sample(Some("EX02".into())).unwrap();
    assert_eq!(sample.basis, ClockBasis::PairedSession);
    assert!((sample.offset_s - 420.0).abs() <= 0.1);

    // Seen from B, the same pairing is −420 s.
    let reverse = pair_sessions(&b, &a, &PairingOptions::default()).unwrap();
    assert!(
        (reverse.offset_s + 420.0).abs() <= 0.1,
        "{}",
        reverse.offset_s
    );
}

#[test]
fn hours_of_skew_and_a_session_cut_by_a_file_boundary() {
    let cfg = GenConfig {
        sessions: 50,
        receiver_skew_ms: 3 * 3600 * 1000 + 1234,
        port_range: 5,
        ..GenConfig::default()
    };
    let (send, receive) = generate_pair(&cfg);
    // Cut the Send log in two files in the middle of a row block: sessions straddle the files.
    let text = String::from_utf8(send).unwrap();
    let lines: Vec<&str> = text.split_inclusive("\r\n").collect();
    let (head, tail) = lines.split_at(lines.len() / 2);
    let second = smtp_log_gen::header(true) + &tail.concat();
    let a = summaries(&[head.concat().as_bytes(), second.as_bytes()]);
    assert_eq!(a.len(), 50);
    assert!(a.iter().any(|s| s.first_file == 0 && s.last_file == 1));
    assert!(a.iter().all(|s| s.log == LogKind::Send && !s.partial));
    let b = summaries(&[&receive]);
    let offset = pair_sessions(&a, &b, &PairingOptions::default()).unwrap();
    assert_eq!(offset.sessions, 50);
    assert!(
        (offset.offset_s - 10_801.234).abs() <= 0.01,
        "{}",
        offset.offset_s
    );
}

/// Three servers paired at once (one endpoint index for all) pair exactly as
/// each pair of them alone: the same pairs, candidates, sessions and offsets.
#[test]
fn all_pairs_at_once_pair_as_each_pair_alone() {
    let config = |from: (&str, &str), to: (&str, &str), skew_ms: i64, id_base: u64| GenConfig {
        sessions: 120,
        sender_name: from.0.into(),
        sender_ip: from.1.into(),
        receiver_name: to.0.into(),
        receiver_ip: to.1.into(),
        receiver_skew_ms: skew_ms,
        port_range: 20,
        interleave: 4,
        id_base,
        ..GenConfig::default()
    };
    let ex01 = ("EX01.contoso.com", "10.0.0.11");
    let ex02 = ("EX02.contoso.com", "10.0.0.12");
    let ex03 = ("EX03.contoso.com", "10.0.0.13");
    let (ab_send, ab_receive) = generate_pair(&config(ex01, ex02, SKEW_MS, 0x08DC_1000_0000_0000));
    let (ba_send, ba_receive) = generate_pair(&config(ex02, ex01, -SKEW_MS, 0x08DC_2000_0000_0000));
    let (ac_send, ac_receive) = generate_pair(&config(ex01, ex03, -90_000, 0x08DC_3000_0000_0000));
    let (cb_send, cb_receive) = generate_pair(&config(ex03, ex02, 510_000, 0x08DC_4000_0000_0000));
    let a = summaries(&[&ab_send, &ba_receive, &ac_send]);
    let b = summaries(&[&ab_receive, &ba_send, &cb_receive]);
    let c = summaries(&[&ac_receive, &cb_send]);
    let servers = [&a[..], &b[..], &c[..]];
    let options = PairingOptions::default();
    let mut alone = Vec::new();
    for i in 0..servers.len() {
        for j in i + 1..servers.len() {
            if let Some(offset) = pair_sessions(servers[i], servers[j], &options) {
                alone.push(((i, j), offset));
            }
        }
    }
    let all = pair_all_sessions(&servers, &options);
    // B − A for each pair: EX02 +420 s on EX01, EX03 −90 s on EX01, EX03 −510 s on EX02.
    let offsets: Vec<((usize, usize), f64)> =
        all.iter().map(|(pair, o)| (*pair, o.offset_s)).collect();
    assert_eq!(
        offsets.len(),
        3,
        "every pair of servers talked: {offsets:?}"
    );
    for ((pair, offset), (want_pair, want)) in
        offsets
            .iter()
            .zip([((0, 1), 420.0), ((0, 2), -90.0), ((1, 2), -510.0)])
    {
        assert_eq!(*pair, want_pair);
        assert!(
            (offset - want).abs() < 0.005,
            "{pair:?}: {offset} s, not {want} s"
        );
    }
    assert_eq!(all, alone);
    // Pairing the sessions a filter keeps, in place, is pairing copies of them alone: for
    // filters on the connection's source port (both ends keep or drop it alike), and one that
    // keeps a connection's Send end only.
    fn port(s: &SessionSummary) -> u32 {
        let end = match s.log {
            LogKind::Send => &s.local_endpoint,
            LogKind::Receive => &s.remote_endpoint,
        };
        end.as_deref()
            .and_then(|e| e.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }
    let filters: [&dyn Fn(&SessionSummary) -> bool; 3] =
        [&|s| port(s) % 2 == 0, &|s| port(s) % 3 != 1, &|s| {
            port(s) % 2 == 0 || s.log == LogKind::Send
        }];
    for keep in filters {
        let kept: Vec<Vec<SessionSummary>> = servers
            .iter()
            .map(|list| list.iter().filter(|s| keep(s)).cloned().collect())
            .collect();
        let kept: Vec<&[SessionSummary]> = kept.iter().map(Vec::as_slice).collect();
        let copies = pair_all_sessions(&kept, &options);
        assert!(!copies.is_empty());
        assert_eq!(pair_all_sessions_where(&servers, &options, keep), copies);
    }
    assert_ne!(
        pair_all_sessions_where(&servers, &options, filters[0]),
        all,
        "a filter that changes nothing proves nothing"
    );
}
