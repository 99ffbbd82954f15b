//! Issue 12 (sinks): `read_evtx_reader_each` hands the catalogued events over batch by
//! batch instead of keeping them. Sorted by `event_order`, they are exactly the events
//! `read_evtx_bytes` keeps, and the rest of the report (counts, problems) is the same —
//! at one thread and at two, on a generated DC log and on a log written out of time
//! order (as a busy server writes one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{
    event_order, read_evtx_bytes, read_evtx_reader_each, EventFileReport, EventRecord,
    EvtxReadOptions,
};
use exauth_parsers::evtx_writer::{self, DataValue, EventData, Provider};

#[path = "../examples/evtx_gen.rs"]
#[allow(dead_code)]
mod evtx_gen;

/// The report read with `read_evtx_reader_each`, its events collected and sorted, and
/// how many batches they came in.
fn read_each(bytes: &[u8], threads: usize) -> (EventFileReport, usize) {
    let mut events: Vec<EventRecord> = Vec::new();
    let mut batches = 0;
    let mut report = read_evtx_reader_each(
        std::io::Cursor::new(bytes),
        EvtxReadOptions { threads },
        &mut |batch| {
            batches += 1;
            events.extend(batch);
        },
    );
    assert!(report.events.is_empty(), "the events went to the callback");
    events.sort_by_key(event_order);
    report.events = events;
    (report, batches)
}

#[test]
fn streamed_events_sorted_are_the_report_events() {
    let (log, summary) = evtx_gen::dc_security_log(3_000_000, 7).unwrap();
    for threads in [1, 2] {
        let whole = read_evtx_bytes(&log, EvtxReadOptions { threads });
        let (streamed, batches) = read_each(&log, threads);
        assert_eq!(whole.records_read, summary.records);
        assert!(!whole.events.is_empty());
        assert!(batches > 1, "a 3 MB log comes in more than one batch");
        assert_eq!(streamed, whole, "threads {threads}");
    }
}

#[test]
fn streamed_events_of_a_log_written_out_of_order() {
    let base: jiff::Timestamp = "2026-11-26T07:00:00Z".parse().unwrap();
    let provider = Provider::manifest(
        "Microsoft-Windows-Security-Auditing",
        "{54849625-5478-4994-A5BA-3E3B0328C30D}".parse().unwrap(),
    );
    // 4771 (pre-authentication failed, 0x18) records whose times go back and forth, some
    // sharing a time, over many chunks.
    let records: Vec<evtx_writer::EventRecord> = (0..6000u64)
        .map(|i| {
            let jitter = ((i * 7919) % 13) as i64 - 6;
            evtx_writer::EventRecord {
                provider: provider.clone(),
                event_id: 4771,
                level: 0,
                channel: "Security".into(),
                computer: "DC01.contoso.com".into(),
                time: base
                    .checked_add(jiff::SignedDuration::from_secs((i / 3) as i64 + jitter))
                    .unwrap(),
                data: EventData::named(vec![
                    ("TargetUserName", DataValue::String(format!("user{i}"))),
                    (
                        "ServiceName",
                        DataValue::String("krbtgt/CONTOSO.COM".into()),
                    ),
                    ("Status", DataValue::HexInt32(0x18)),
                    ("IpAddress", DataValue::String("::ffff:10.0.0.12".into())),
                ]),
                ..Default::default()
            }
        })
        .collect();
    let log = evtx_writer::write_evtx(&records).unwrap();
    for threads in [1, 2] {
        let whole = read_evtx_bytes(&log, EvtxReadOptions { threads });
        assert_eq!(whole.events.len(), 6000);
        let (streamed, _) = read_each(&log, threads);
        assert_eq!(streamed, whole, "threads {threads}");
    }
}
