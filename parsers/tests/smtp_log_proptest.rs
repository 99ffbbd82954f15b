//! Whatever the bytes, the protocol-log parser returns (problems, partial sessions), never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::smtp_log::{LogKind, Reassembler};
use proptest::prelude::*;

fn run(input: &[u8], hint: Option<LogKind>) -> usize {
    let mut r = Reassembler::new();
    let mut n = 0;
    let _ = r.feed(input, hint, |_| n += 1);
    r.finish(|_| n += 1);
    n
}

const TOKENS: &[&str] = &[
    "2024-05-06T10:00:01.100Z",
    "2024-13-99T99:99:99.999Z",
    "EX\\Default ",
    "\"a,b\"",
    "\"",
    "\"\"",
    ",",
    "08DC6D1A2B3C4D5E",
    "0",
    "1",
    "99999999999",
    "10.0.0.11:51000",
    "[::1]:25",
    "+",
    "-",
    "<",
    ">",
    "*",
    "220 EX02 Microsoft ESMTP MAIL Service ready at Mon, 6 May 2024 12:09:31 +0200",
    "220 x ready at",
    "250-X-EXPS EXCHANGEAUTH",
    "250-h Hello [1]",
    "X-EXPS EXCHANGEAUTH SHA256 ",
    "AUTH",
    "235",
    "334 x",
    "454 4.7.0 Temporary authentication failure",
    "Outbound Authentication failed with",
    "Inbound ExchangeAuth negotiation failed because of",
    "Set Session Permissions",
    "451 5.7.3",
    "TLS protocol",
    "TLS negotiation failed with error ",
    "Proxying inbound session with session id ",
    "#Fields: event,session-id",
    "#Log-type: SMTP Send Protocol Log",
    "#Fields:",
    "\u{feff}",
    "\r",
    "\n",
    "组织内",
    "\u{FFFD}",
];

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        run(&bytes, Some(LogKind::Send));
        run(&bytes, None);
    }

    #[test]
    fn random_lines_of_log_tokens_never_panic(
        lines in proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(TOKENS), 0..12), 0..40),
        receive in any::<bool>(),
    ) {
        let mut text = String::from("#Log-type: SMTP Receive Protocol Log\r\n");
        for line in &lines {
            text.push_str(&line.join(","));
            text.push_str("\r\n");
        }
        let hint = if receive { Some(LogKind::Receive) } else { Some(LogKind::Send) };
        let sessions = run(text.as_bytes(), hint);
        prop_assert!(sessions <= lines.len());
    }
}
