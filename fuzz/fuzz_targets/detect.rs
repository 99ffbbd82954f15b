//! Format detection on arbitrary first bytes and file names: never panics,
//! and the decoded head it reports is valid for any input.
#![no_main]

use exauth_parsers::detect::detect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks a file-name hint, so extension hints are fuzzed too.
    let names = [
        "x.log",
        "RECV20261126-1.LOG",
        "System.evtx",
        "EX01_InstantQueueInfo.txt",
        "q.xml",
        "q.csv",
        "q.json",
        "a.zip",
        "a.gz",
        "DC01_setspn-X.txt",
        "",
    ];
    let (name, head) = match data.split_first() {
        Some((first, rest)) => (names[*first as usize % names.len()], rest),
        None => ("", data),
    };
    let _ = detect(head, name);
});
