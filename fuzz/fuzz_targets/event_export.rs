//! Event exports: event XML (`wevtutil qe /f:xml`) and CliXml of `Get-EventLog`.
#![no_main]

use exauth_parsers::event_export::{read_clixml_event_log, read_event_xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_event_xml(data);
    let _ = read_clixml_event_log(data, Some("System"));
});
