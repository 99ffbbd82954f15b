//! Issue 12 (sinks): `read_evtx_reader_each` hands the catalogued events over batch by
//! batch instead of keeping them. Sorted by `event_order`, they are exactly the events
//! `read_evtx_bytes` keeps, and the rest of the report (counts, problems) is the same —
//! at one thread and at two, on a generated DC log and on a log written out of time
//! order (as a busy server writes one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{
    event_order, read_evtx_bytes, read_evtx_reader_each, read_evtx_reader_mapped, EventFileReport,
    EventRecord, EvtxReadOptions,
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

/// One file's chunks are decoded a batch (64 chunks) ahead on the pool at two threads,
/// templates carried over runs of 8: the report is the one-thread report, over several
/// batches, with a damaged chunk and a repeated one among them.
#[test]
fn two_threads_read_what_one_thread_reads() {
    const HEADER: usize = 4096;
    const CHUNK: usize = 65536;
    let (mut log, summary) = evtx_gen::dc_security_log(10_000_000, 11).unwrap();
    let chunks = (log.len() - HEADER) / CHUNK;
    assert!(chunks > 2 * 64, "{chunks} chunks: more than two batches");
    let clean_1 = read_evtx_bytes(&log, EvtxReadOptions { threads: 1 });
    let clean_2 = read_evtx_bytes(&log, EvtxReadOptions { threads: 2 });
    assert_eq!(clean_1.records_read, summary.records);
    assert!(clean_1.events.len() > 10, "{} events", clean_1.events.len());
    assert_eq!(clean_2, clean_1);

    // Chunk 70 (second batch) damaged inside its records; chunk 140 (third batch) a copy
    // of chunk 3.
    let at = HEADER + 70 * CHUNK + 4000;
    log[at] ^= 0xFF;
    let copy = log[HEADER + 3 * CHUNK..HEADER + 4 * CHUNK].to_vec();
    log[HEADER + 140 * CHUNK..HEADER + 141 * CHUNK].copy_from_slice(&copy);
    let damaged_1 = read_evtx_bytes(&log, EvtxReadOptions { threads: 1 });
    let damaged_2 = read_evtx_bytes(&log, EvtxReadOptions { threads: 2 });
    assert!(
        !damaged_1.problems.is_empty(),
        "the damaged chunk is reported"
    );
    assert!(damaged_1.records_read < clean_1.records_read);
    assert_eq!(damaged_2, damaged_1);
}

/// Issue 14: `read_evtx_reader_mapped` makes each chunk's events into what the caller
/// keeps on the thread that decoded them, and hands those over in the order
/// `read_evtx_reader_each` hands the events over — at two threads as at one, a damaged
/// chunk and a repeated one (which hands nothing over) among several batches — with the
/// same report.
#[test]
fn mapped_events_come_in_walk_order_at_any_threads() {
    const HEADER: usize = 4096;
    const CHUNK: usize = 65536;
    let (mut log, _) = evtx_gen::dc_security_log(10_000_000, 11).unwrap();
    let at = HEADER + 70 * CHUNK + 4000;
    log[at] ^= 0xFF;
    let copy = log[HEADER + 3 * CHUNK..HEADER + 4 * CHUNK].to_vec();
    log[HEADER + 140 * CHUNK..HEADER + 141 * CHUNK].copy_from_slice(&copy);
    type Ids = Vec<(Option<u64>, u16)>;
    let ids = |events: Vec<EventRecord>| -> Ids {
        events.iter().map(|e| (e.record_id, e.event_id)).collect()
    };
    let mut each_order: Ids = Vec::new();
    let each_report = read_evtx_reader_each(
        std::io::Cursor::new(&log),
        EvtxReadOptions { threads: 1 },
        &mut |events| each_order.extend(ids(events)),
    );
    assert!(each_order.len() > 10, "{} events", each_order.len());
    // The events the report keeps, no more (the repeat's are not handed over).
    let whole = read_evtx_bytes(&log, EvtxReadOptions { threads: 1 });
    assert!(whole.repeated_chunks > 0, "chunk 140 repeats chunk 3");
    let mut kept: Ids = whole
        .events
        .iter()
        .map(|e| (e.record_id, e.event_id))
        .collect();
    let mut handed = each_order.clone();
    kept.sort_unstable();
    handed.sort_unstable();
    assert_eq!(handed, kept);
    for threads in [1, 2] {
        let mut batches: Vec<Ids> = Vec::new();
        let report = read_evtx_reader_mapped(
            std::io::Cursor::new(&log),
            EvtxReadOptions { threads },
            &ids,
            &mut |batch, _| batches.extend(batch),
        );
        assert!(batches.iter().all(|b| !b.is_empty()), "no empty batch");
        assert_eq!(batches.concat(), each_order, "threads {threads}");
        assert_eq!(report, each_report, "threads {threads}");
    }
}

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

/// A generated DC Security log of 10 MB and its number of chunks.
fn generated_log(seed: u64) -> (Vec<u8>, usize) {
    let (log, _) = evtx_gen::dc_security_log(10_000_000, seed).unwrap();
    let chunks = (log.len() - HEADER) / CHUNK;
    (log, chunks)
}

/// Issue 14: at two threads the first batch of a walk from chunk 0 is decoded while the
/// oldest chunk is looked for. A wrapped log (its oldest chunk in the middle of the
/// file) drops that batch and reads from the oldest chunk on: the report of one thread,
/// and the events of the log written in order.
#[test]
fn a_wrapped_log_reads_alike_at_two_threads() {
    let (log, chunks) = generated_log(5);
    assert!(chunks > 2 * 64, "{chunks} chunks: more than two batches");
    // The oldest chunk at 100: the file's chunks rotated.
    let oldest_at = 100;
    let mut wrapped = log[..HEADER].to_vec();
    for i in 0..chunks {
        let from = (i + chunks - oldest_at) % chunks;
        wrapped.extend_from_slice(&log[HEADER + from * CHUNK..HEADER + (from + 1) * CHUNK]);
    }
    wrapped.extend_from_slice(&log[HEADER + chunks * CHUNK..]);
    let in_order = read_evtx_bytes(&log, EvtxReadOptions { threads: 1 });
    let one = read_evtx_bytes(&wrapped, EvtxReadOptions { threads: 1 });
    let two = read_evtx_bytes(&wrapped, EvtxReadOptions { threads: 2 });
    assert!(one.events.len() > 10, "{} events", one.events.len());
    assert_eq!(two, one);
    assert_eq!(one.events, in_order.events);
    assert_eq!(one.records_read, in_order.records_read);
    // Handed over in walk order: from the oldest chunk on, as written.
    let mut walked: Vec<Option<u64>> = Vec::new();
    read_evtx_reader_each(
        std::io::Cursor::new(&wrapped),
        EvtxReadOptions { threads: 2 },
        &mut |events| walked.extend(events.iter().map(|e| e.record_id)),
    );
    let mut written: Vec<Option<u64>> = Vec::new();
    read_evtx_reader_each(
        std::io::Cursor::new(&log),
        EvtxReadOptions { threads: 1 },
        &mut |events| written.extend(events.iter().map(|e| e.record_id)),
    );
    assert_eq!(walked, written);
}

/// Issue 14: every chunk taken in comes to `read_evtx_reader_mapped`'s `each` with the
/// record ids it holds — those without a catalogued event too — so that a reader can
/// claim what it has read a part at a time: on a clean log, at one thread and two, the
/// chunks' ranges follow one another and together are the file's own claim; a chunk
/// read twice (a repeat) is not handed over, and the file's claim is then the same.
#[test]
fn every_chunk_comes_with_the_record_ids_it_holds() {
    let (log, chunks) = generated_log(13);
    for threads in [1, 2] {
        let mut ids: Vec<Vec<(u64, u64)>> = Vec::new();
        let mut with_events = 0;
        let report = read_evtx_reader_mapped(
            std::io::Cursor::new(&log),
            EvtxReadOptions { threads },
            &|events| events.len(),
            &mut |events, chunk| {
                with_events += usize::from(events.is_some());
                ids.push(chunk);
            },
        );
        assert_eq!(ids.len(), chunks, "threads {threads}: every chunk");
        assert!(with_events < chunks, "some chunks hold no catalogued event");
        let ranges: Vec<(u64, u64)> = ids
            .iter()
            .map(|r| match r.as_slice() {
                [one] => *one,
                other => panic!("a clean chunk fills one range: {other:?}"),
            })
            .collect();
        assert!(
            ranges.windows(2).all(|w| w[1].0 == w[0].1 + 1),
            "threads {threads}: one after another"
        );
        let (first, last) = report.record_ids.expect("a clean log claims its ids");
        assert_eq!(ranges.first().map(|r| r.0), Some(first));
        assert_eq!(ranges.last().map(|r| r.1), Some(last));
    }
    // Chunk 40 copied over chunk 41: the copy is set aside, not handed over.
    let mut repeated = log.clone();
    let copy = log[HEADER + 40 * CHUNK..HEADER + 41 * CHUNK].to_vec();
    repeated[HEADER + 41 * CHUNK..HEADER + 42 * CHUNK].copy_from_slice(&copy);
    let mut ids = Vec::new();
    read_evtx_reader_mapped(
        std::io::Cursor::new(&repeated),
        EvtxReadOptions { threads: 1 },
        &|events| events.len(),
        &mut |_, chunk| ids.push(chunk),
    );
    assert_eq!(ids.len(), chunks - 1, "the repeat is not handed over");
    let mut seen = std::collections::BTreeSet::new();
    for (a, b) in ids.iter().flatten() {
        assert!((*a..=*b).all(|id| seen.insert(id)), "no id claimed twice");
    }
}
