//! The LastError grammar (`[{LRT=…};{LED=…};{FQDN=…};{IP=…}]`, nested SMTP
//! responses, cut text) on arbitrary text, with and without a length limit.
#![no_main]

use exauth_parsers::queue::LastError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = LastError::parse(&text);
    let _ = parsed.inner_response();
    let _ = parsed.target_ip();
    let limit = data.first().map(|b| *b as usize);
    let _ = LastError::parse_with_limit(&text, limit);
});
