//! The protocol-log line reader and session reassembler on arbitrary bytes,
//! with and without a kind hint, twice in a row (state carried across files).
#![no_main]

use exauth_parsers::smtp_log::{LogKind, Reassembler};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reassembler = Reassembler::new();
    let mut sessions = 0usize;
    let hint = match data.first() {
        Some(b) if b % 3 == 0 => None,
        Some(b) if b % 3 == 1 => Some(LogKind::Send),
        _ => Some(LogKind::Receive),
    };
    let report = reassembler.feed(data, hint, |_| sessions += 1);
    assert!(report.rows <= report.lines);
    let _ = reassembler.feed(data, Some(LogKind::Receive), |_| sessions += 1);
    reassembler.finish(|_| sessions += 1);
    assert_eq!(reassembler.open_sessions(), 0);
});
