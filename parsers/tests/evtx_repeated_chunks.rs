//! Issue 18 (item 2): a chunk repeated inside one `.evtx` (a log stitched together
//! twice, a chunk written again) is read once. Built from a generated DC log: its
//! first chunk appended twice more, the file header's chunk count and CRC fixed. The
//! records, events and counts are the original's; the report says how many chunks and
//! records were set aside — at one thread and at two, whole and streamed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{read_evtx_bytes, EvtxReadOptions};

#[path = "../examples/evtx_gen.rs"]
#[allow(dead_code)]
mod evtx_gen;

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

/// `log` with chunk `which` appended `times` more times, the header fixed.
fn with_repeated_chunk(log: &[u8], which: usize, times: usize) -> Vec<u8> {
    let chunk = &log[HEADER + which * CHUNK..HEADER + (which + 1) * CHUNK];
    let mut out = log.to_vec();
    for _ in 0..times {
        out.extend_from_slice(chunk);
    }
    let chunks = ((out.len() - HEADER) / CHUNK) as u64;
    out[16..24].copy_from_slice(&(chunks - 1).to_le_bytes());
    out[42..44].copy_from_slice(&(chunks as u16).to_le_bytes());
    let crc = crc32fast::hash(&out[..120]);
    out[124..128].copy_from_slice(&crc.to_le_bytes());
    out
}

#[test]
fn a_chunk_repeated_twice_more_is_read_once() {
    let (log, summary) = evtx_gen::dc_security_log(400_000, 11).unwrap();
    let chunks = (log.len() - HEADER) / CHUNK;
    assert!(chunks >= 3, "{chunks} chunks");
    for threads in [1, 2] {
        let options = EvtxReadOptions { threads };
        let original = read_evtx_bytes(&log, options);
        assert_eq!(original.records_read, summary.records);
        assert_eq!(
            (original.repeated_chunks, original.duplicate_records),
            (0, 0)
        );
        // The records of chunk 1 alone: a log of chunk 1 only is not needed, the
        // count comes from the chunk as read.
        let repeated = read_evtx_bytes(&with_repeated_chunk(&log, 1, 2), options);
        assert_eq!(repeated.repeated_chunks, 2, "threads {threads}");
        assert!(repeated.duplicate_records > 0);
        let mut same = repeated.clone();
        same.repeated_chunks = 0;
        same.duplicate_records = 0;
        assert_eq!(same, original, "threads {threads}: records counted once");
        let per_chunk = repeated.duplicate_records / 2;
        assert!(
            per_chunk > 0 && per_chunk < summary.records,
            "{per_chunk} records in chunk 1"
        );
    }
}

/// Repeats are keyed on the chunk header, then told apart by their bytes: a copy whose
/// header is the same but whose records differ (one byte) is not a repeat — it is read,
/// and its damage reported — while the exact copy beside it is set aside.
#[test]
fn a_chunk_with_the_same_header_but_other_bytes_is_not_a_repeat() {
    let (log, _) = evtx_gen::dc_security_log(400_000, 11).unwrap();
    let mut twice = with_repeated_chunk(&log, 1, 2);
    let last = twice.len() - CHUNK;
    twice[last + 3000] ^= 0xFF;
    for threads in [1, 2] {
        let options = EvtxReadOptions { threads };
        let exact = read_evtx_bytes(&with_repeated_chunk(&log, 1, 1), options);
        let report = read_evtx_bytes(&twice, options);
        assert_eq!(exact.repeated_chunks, 1);
        assert_eq!(report.repeated_chunks, 1, "threads {threads}");
        assert_eq!(report.duplicate_records, exact.duplicate_records);
        assert!(
            report.problems.len() > exact.problems.len(),
            "threads {threads}: the altered copy is read and its damage reported: {:?}",
            report.problems
        );
    }
}
