//! `.evtx` evidence extraction on arbitrary bytes (one and two threads).
#![no_main]

use exauth_parsers::evtx::{read_evtx_bytes, EvtxReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = read_evtx_bytes(data, EvtxReadOptions { threads: 1 });
    assert!(report.events.len() as u64 <= report.records_read);
});
