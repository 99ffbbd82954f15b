//! Issue 9: what our `.evtx` writer writes, the evidence extraction reads back:
//! arbitrary strings in classic insertion strings and in named data come back
//! equal, in order (and nothing panics on the way).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{read_evtx_bytes, EvtxReadOptions};
use exauth_parsers::evtx_writer::{write_evtx, DataValue, EventData, EventRecord, Provider};
use proptest::prelude::*;

/// Any text the writer accepts: no NUL (strings are stored NUL-terminated).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\u{0}]{0,40}",
        "[ -~]{0,40}",
        // What XML and the BinXML reader care about.
        "[<>&\"' \t\r\n%;=\\\\/a-z0-9\u{e9}\u{4e2d}\u{1F600}]{0,40}",
    ]
}

fn read_back(record: &EventRecord) -> Vec<(Option<String>, String)> {
    let bytes = write_evtx(std::slice::from_ref(record)).expect("writes");
    let report = read_evtx_bytes(&bytes, EvtxReadOptions { threads: 1 });
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.records_read, 1);
    assert_eq!(report.events.len(), 1, "catalogued");
    report.events[0]
        .data
        .iter()
        .map(|d| (d.name.clone(), d.value.clone()))
        .collect()
}

proptest! {
    #[test]
    fn classic_strings_come_back_equal(strings in prop::collection::vec(value(), 0..8)) {
        let record = EventRecord {
            provider: Provider::classic("MSExchangeTransport"),
            event_id: 1035,
            qualifiers: Some(32768),
            computer: "EX01.contoso.com".into(),
            data: EventData::classic(strings.clone()),
            ..Default::default()
        };
        let back = read_back(&record);
        let expected: Vec<(Option<String>, String)> =
            strings.into_iter().map(|s| (None, s)).collect();
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn named_data_comes_back_equal(
        items in prop::collection::vec(("[A-Z][A-Za-z0-9]{0,15}", value()), 0..8)
    ) {
        let record = EventRecord {
            provider: Provider::classic("Microsoft-Windows-Security-Auditing"),
            event_id: 4769,
            level: 0,
            channel: "Security".into(),
            computer: "DC01.contoso.com".into(),
            data: EventData::named(
                items.iter().map(|(n, v)| (n.clone(), DataValue::String(v.clone()))),
            ),
            ..Default::default()
        };
        let back = read_back(&record);
        let expected: Vec<(Option<String>, String)> =
            items.into_iter().map(|(n, v)| (Some(n), v)).collect();
        prop_assert_eq!(back, expected);
    }
}

fn classic(strings: &[&str]) -> EventRecord {
    EventRecord {
        provider: Provider::classic("MSExchangeTransport"),
        event_id: 1035,
        qualifiers: Some(32768),
        computer: "EX01.contoso.com".into(),
        data: EventData::classic(strings.iter().copied()),
        ..Default::default()
    }
}

fn values(record: &EventRecord) -> Vec<String> {
    read_back(record).into_iter().map(|(_, v)| v).collect()
}

#[test]
fn classic_event_without_strings_has_no_data() {
    // The evtx crate renders `<EventData></EventData>`: no <Data> at all.
    assert_eq!(values(&classic(&[])), Vec::<String>::new());
}

#[test]
fn trailing_empty_insertion_strings_are_kept() {
    assert_eq!(values(&classic(&[""])), [""]);
    assert_eq!(values(&classic(&["a", ""])), ["a", ""]);
    assert_eq!(values(&classic(&["", "second", ""])), ["", "second", ""]);
}
