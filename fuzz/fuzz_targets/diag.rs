//! Every diagnostic-output parser (setspn, w32tm, repadmin ×3, Get-ReceiveConnector,
//! Test-NetConnection, portqry, nltest, klist) on the same arbitrary text.
#![no_main]

use exauth_parsers::diag::{
    self, klist, nltest, portqry, receive_connector, repadmin, setspn, test_netconnection, w32tm,
};
use exauth_parsers::queue::DateOrderOption;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let _ = diag::detect(text);
    let _ = setspn::parse(text);
    let _ = w32tm::parse(text, DateOrderOption::default());
    let _ = repadmin::parse_replsummary(text);
    let _ = repadmin::parse_showrepl(text);
    let _ = repadmin::parse_showrepl_csv(text);
    let _ = receive_connector::parse(text);
    let _ = test_netconnection::parse(text);
    let _ = portqry::parse(text);
    let _ = nltest::parse(text);
    let _ = klist::parse(text, DateOrderOption::default());
});
