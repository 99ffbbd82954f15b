//! Issue 18, item 1: a `.evtx` cut short (a copy of a live log, an interrupted download)
//! keeps every record that lies wholly before the cut, including those of the partly
//! written last chunk, and says so in one problem.
//!
//! The logs are written by `evtx_writer`, so where each record starts and ends is known:
//! [`record_spans`] walks the written bytes (record magic, size, trailing size copy) to
//! list them, and a cut keeps exactly the records that end at or before it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{read_evtx_bytes, EventFileReport, EvtxReadOptions};
use exauth_parsers::evtx_writer::{write_evtx, DataValue, EventData, EventRecord, Provider};
use exauth_parsers::problem::{Location, Problem};
use proptest::prelude::*;

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;

/// A mix of record shapes (classic catalogued, uncatalogued, manifest with named data), so
/// that templates and names are defined inline all through each chunk.
fn records(n: usize) -> Vec<EventRecord> {
    let start: jiff::Timestamp = "2026-03-01T08:00:00Z".parse().expect("time");
    (0..n)
        .map(|i| {
            let time = start + jiff::SignedDuration::from_secs(i as i64);
            match i % 3 {
                0 => EventRecord {
                    provider: Provider::classic("MSExchangeTransport"),
                    event_id: 1035,
                    qualifiers: Some(32768),
                    level: 3,
                    time,
                    channel: "Application".into(),
                    computer: "EX01.contoso.com".into(),
                    data: EventData::classic([
                        "IllegalMessage".to_string(),
                        format!("Default EX{:02}", i % 7),
                        "ExchangeAuth".to_string(),
                        format!("10.1.2.{}", i % 250),
                    ]),
                    ..Default::default()
                },
                1 => EventRecord {
                    provider: Provider::classic("Service Control Manager"),
                    event_id: 7036,
                    qualifiers: Some(16384),
                    level: 4,
                    time,
                    channel: "System".into(),
                    computer: "EX01.contoso.com".into(),
                    data: EventData::classic([format!("Service {i}"), "running".to_string()]),
                    ..Default::default()
                },
                _ => EventRecord {
                    provider: Provider::classic("Microsoft-Windows-Security-Auditing"),
                    event_id: 4769,
                    level: 0,
                    keywords: 0x8010_0000_0000_0000,
                    time,
                    channel: "Security".into(),
                    computer: "DC01.contoso.com".into(),
                    data: EventData::named([
                        (
                            "TargetUserName".to_string(),
                            DataValue::String(format!("user{i}@CONTOSO.COM")),
                        ),
                        (
                            "ServiceName".to_string(),
                            DataValue::String(format!("HTTP/ex{:02}", i % 5)),
                        ),
                        ("Status".to_string(), DataValue::HexInt32(0x1b)),
                        (
                            "IpAddress".to_string(),
                            DataValue::String("::ffff:10.1.2.3".to_string()),
                        ),
                    ]),
                    ..Default::default()
                },
            }
        })
        .collect()
}

/// A log of three chunks, the last one partly filled; written once per test binary.
fn log() -> &'static (Vec<u8>, Vec<Span>) {
    static LOG: std::sync::OnceLock<(Vec<u8>, Vec<Span>)> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let bytes = write_evtx(&records(410)).expect("writes");
        let spans = record_spans(&bytes);
        (bytes, spans)
    })
}

/// Where one written record lies in the file.
#[derive(Debug, Clone, Copy)]
struct Span {
    chunk: usize,
    start: usize,
    end: usize,
}

fn u32_at(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize
}

/// The records the writer wrote, chunk by chunk, by walking their headers.
fn record_spans(bytes: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    let chunks = (bytes.len() - FILE_HEADER) / CHUNK;
    for chunk in 0..chunks {
        let base = FILE_HEADER + chunk * CHUNK;
        let mut start = base + 512;
        while bytes[start..start + 4] == [0x2a, 0x2a, 0, 0] {
            let size = u32_at(bytes, start + 4);
            assert_eq!(u32_at(bytes, start + size - 4), size, "size copy");
            spans.push(Span {
                chunk,
                start,
                end: start + size,
            });
            start += size;
        }
    }
    spans
}

fn read(bytes: &[u8]) -> EventFileReport {
    read_evtx_bytes(bytes, EvtxReadOptions { threads: 1 })
}

/// The records wholly before `cut`.
fn whole_before(spans: &[Span], cut: usize) -> u64 {
    spans.iter().filter(|s| s.end <= cut).count() as u64
}

/// The last chunk's number and offset.
fn last_chunk(spans: &[Span]) -> (usize, usize) {
    let chunk = spans.last().expect("records").chunk;
    (chunk, FILE_HEADER + chunk * CHUNK)
}

/// The one problem about the cut chunk.
fn cut_problem(report: &EventFileReport, base: usize) -> &Problem {
    let problems: Vec<&Problem> = report
        .problems
        .iter()
        .filter(|p| p.location == Location::Offset(base as u64))
        .collect();
    assert_eq!(problems.len(), 1, "{:?}", report.problems);
    problems[0]
}

#[test]
fn the_log_has_three_chunks_the_last_partly_filled() {
    let (bytes, spans) = log();
    assert_eq!(bytes.len(), FILE_HEADER + 3 * CHUNK);
    let (chunk, _) = last_chunk(spans);
    assert_eq!(chunk, 2);
    let in_last = spans.iter().filter(|s| s.chunk == 2).count();
    assert!(in_last > 20, "{in_last} records in the last chunk");
    assert!(spans.last().expect("records").end < bytes.len() - 1000);
    let whole = read(bytes);
    assert_eq!(whole.records_read, 410);
    assert!(whole.problems.is_empty(), "{:?}", whole.problems);
}

#[test]
fn cut_right_after_the_last_record_keeps_every_record() {
    let (bytes, spans) = log();
    let (chunk, base) = last_chunk(spans);
    let cut = spans.last().expect("records").end;
    let report = read(&bytes[..cut]);
    assert_eq!(report.records_read, 410);
    let in_last = spans.iter().filter(|s| s.chunk == chunk).count();
    assert_eq!(
        cut_problem(&report, base).message,
        format!(
            "file truncated: chunk 2 is incomplete (the file ends {} bytes into it, after its \
             last record); all {in_last} of its records were read",
            group(cut - base)
        )
    );
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    // The same cut a few bytes into the slack.
    let report = read(&bytes[..cut + 7]);
    assert_eq!(report.records_read, 410);
    assert!(cut_problem(&report, base)
        .message
        .ends_with(&format!("all {in_last} of its records were read")));
}

#[test]
fn cut_mid_record_keeps_the_records_before_it() {
    let (bytes, spans) = log();
    let (chunk, base) = last_chunk(spans);
    let last: Vec<&Span> = spans.iter().filter(|s| s.chunk == chunk).collect();
    let half = last.len() / 2;
    let victim = last[half];
    let cut = victim.start + (victim.end - victim.start) / 2;
    let report = read(&bytes[..cut]);
    let before_chunk = spans.iter().filter(|s| s.chunk < chunk).count() as u64;
    assert_eq!(report.records_read, before_chunk + half as u64);
    assert_eq!(report.records_read, whole_before(spans, cut));
    let cut_off = last.len() - half;
    assert_eq!(
        cut_problem(&report, base).message,
        format!(
            "file truncated: chunk 2 is incomplete (the file ends {} bytes into it); {half} \
             records read from it, the {cut_off} after them are cut off",
            group(cut - base)
        )
    );
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    // One byte short of a whole record loses just that record.
    let cut = victim.end - 1;
    assert_eq!(read(&bytes[..cut]).records_read, whole_before(spans, cut));
    let cut = victim.end;
    assert_eq!(read(&bytes[..cut]).records_read, whole_before(spans, cut));
}

#[test]
fn cut_inside_the_chunk_header_keeps_the_earlier_chunks() {
    let (bytes, spans) = log();
    let (_, base) = last_chunk(spans);
    let before_chunk = spans.iter().filter(|s| s.chunk < 2).count() as u64;
    for (cut, into) in [(base + 300, "300 bytes"), (base + 1, "1 byte")] {
        let report = read(&bytes[..cut]);
        assert_eq!(report.records_read, before_chunk);
        assert_eq!(
            cut_problem(&report, base).message,
            format!(
                "file truncated: chunk 2 is incomplete (the file ends {into} into it, \
                 inside its header); no records could be read from it"
            )
        );
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    }
}

#[test]
fn cut_before_the_first_record_reads_none_of_the_chunk() {
    let (bytes, spans) = log();
    let (_, base) = last_chunk(spans);
    let first = spans.iter().find(|s| s.chunk == 2).expect("a record");
    let cut = first.start + 10;
    let report = read(&bytes[..cut]);
    assert_eq!(report.records_read, whole_before(spans, cut));
    assert_eq!(
        cut_problem(&report, base).message,
        format!(
            "file truncated: chunk 2 is incomplete (the file ends 522 bytes into it); no records \
             could be read from it, the {} in it are cut off",
            spans.iter().filter(|s| s.chunk == 2).count()
        )
    );
}

#[test]
fn a_single_chunk_log_cut_after_its_last_record_is_not_unreadable() {
    let bytes = write_evtx(&records(40)).expect("writes");
    let spans = record_spans(&bytes);
    assert_eq!(spans.len(), 40);
    let cut = spans[39].end;
    let report = read(&bytes[..cut]);
    // The caller reports a file as unreadable when no record was read.
    assert_eq!(report.records_read, 40);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0]
        .message
        .ends_with("all 40 of its records were read"));
    assert!(!report.events.is_empty());
}

#[test]
fn a_log_cut_at_a_chunk_boundary_says_chunks_are_missing() {
    let (bytes, _) = log();
    let cut = FILE_HEADER + 2 * CHUNK;
    let report = read(&bytes[..cut]);
    assert_eq!(report.records_read, whole_before(&log().1, cut));
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].location, Location::Offset(cut as u64));
    assert_eq!(
        report.problems[0].message,
        "file truncated: its header counts 3 chunks, the file ends after 2; the last chunk is \
         missing"
    );
}

#[test]
fn a_log_cut_after_its_header_says_all_chunks_are_missing() {
    let (bytes, _) = log();
    let report = read(&bytes[..FILE_HEADER]);
    assert_eq!(report.records_read, 0);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(
        report.problems[0].message,
        "file truncated: its header counts 3 chunks, the file ends after the header; all 3 are \
         missing"
    );
    // Cut in a chunk with more missing after it: both are said.
    let mut bytes = write_evtx(&records(410)).expect("writes");
    bytes[42..44].copy_from_slice(&5u16.to_le_bytes());
    let crc = crc32(&bytes[..120]);
    bytes[124..128].copy_from_slice(&crc.to_le_bytes());
    let cut = FILE_HEADER + 2 * CHUNK + 5000;
    let report = read(&bytes[..cut]);
    assert_eq!(report.records_read, whole_before(&log().1, cut));
    let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("file truncated: chunk 2 is incomplete (the file ends 5,000"));
    assert_eq!(
        messages[1],
        "file truncated: its header counts 5 chunks, the file holds 3 (the last one \
         incomplete); the last 2 chunks are missing"
    );
}

/// CRC-32 (IEEE), as the file header stores it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// Cuts at every record of the last chunk: just after its header, one byte short of its
/// end, at its end. (The chunk is read after the file header alone, made to count one
/// chunk, so that each cut costs one chunk; the proptests cut the whole file.)
#[test]
fn every_record_boundary_of_the_last_chunk() {
    let (bytes, spans) = log();
    let (chunk, base) = last_chunk(spans);
    let mut solo = bytes[..FILE_HEADER].to_vec();
    solo[42..44].copy_from_slice(&1u16.to_le_bytes());
    let crc = crc32(&solo[..120]);
    solo[124..128].copy_from_slice(&crc.to_le_bytes());
    solo.extend_from_slice(&bytes[base..base + CHUNK]);
    let shift = base - FILE_HEADER;
    for span in spans.iter().filter(|s| s.chunk == chunk) {
        // (A record's start is the end of the one before it.)
        for cut in [span.start + 24, span.end - 1, span.end] {
            let report = read(&solo[..cut - shift]);
            let expected = spans
                .iter()
                .filter(|s| s.chunk == chunk && s.end <= cut)
                .count() as u64;
            assert_eq!(report.records_read, expected, "cut at {cut}");
            assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
            assert_eq!(
                report.problems[0].location,
                Location::Offset(FILE_HEADER as u64)
            );
        }
    }
}

#[test]
fn a_cut_unused_chunk_is_said_to_hold_no_records() {
    let mut bytes = write_evtx(&records(40)).expect("writes");
    bytes.resize(bytes.len() + 1000, 0);
    let report = read(&bytes);
    assert_eq!(report.records_read, 40);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(
        report.problems[0].message,
        "file truncated: chunk 1 is incomplete (the file ends 1,000 bytes into it); what there \
         is of it is all zeros, an unused chunk without records"
    );
}

/// Issue 18, item 5: a chunk read despite a CRC32 mismatch says how many records it gave.
#[test]
fn a_crc_mismatch_says_how_many_records_were_read() {
    let bytes = write_evtx(&records(40)).expect("writes");
    let chunk = FILE_HEADER;
    // The records' CRC32 (chunk header bytes 52..56) no longer matches.
    let mut bad_crc = bytes.clone();
    bad_crc[chunk + 52] ^= 0xff;
    let report = read(&bad_crc);
    assert_eq!(report.records_read, 40);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(
        report.problems[0].message,
        "chunk 0: CRC32 mismatch; 40 records read from it anyway"
    );
    // The records blanked out: none read, and the problem says so.
    let mut blank = bytes.clone();
    let free = u32_at(&bytes, chunk + 48);
    blank[chunk + 512..chunk + free].fill(0);
    let report = read(&blank);
    assert_eq!(report.records_read, 0);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(
        report.problems[0].message,
        "chunk 0: CRC32 mismatch; none of its records could be read"
    );
}

/// Real logs (EXAUTH_CORPUS): the last chunk holding records of each file, after the file
/// header alone, cut at every record's end and one byte before it (and in the chunk
/// header and the slack). Every record wholly before the cut is read, when the whole chunk
/// reads without a problem; nothing panics in any case.
#[test]
fn real_chunks_cut_at_every_record_keep_the_records_before_the_cut() {
    let Some(dir) = std::env::var_os("EXAUTH_CORPUS") else {
        eprintln!("skipped: set EXAUTH_CORPUS to the folder of real .evtx files");
        return;
    };
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .expect("EXAUTH_CORPUS is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    files.sort();
    let (mut cuts, mut kept, mut before_cuts, mut rendered) = (0u64, 0u64, 0u64, 0u64);
    for path in &files {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let bytes = std::fs::read(path).expect("corpus file readable");
        let chunks = bytes.len().saturating_sub(FILE_HEADER) / CHUNK;
        // The last chunk with live records, by its header (first..=last id, free space).
        let Some((number, spans)) = (0..chunks).rev().find_map(|number| {
            let chunk = &bytes[FILE_HEADER + number * CHUNK..][..CHUNK];
            let spans = live_records(chunk);
            (!spans.is_empty()).then_some((number, spans))
        }) else {
            continue;
        };
        let chunk = &bytes[FILE_HEADER + number * CHUNK..][..CHUNK];
        let solo = |cut: usize| {
            let mut file = bytes[..FILE_HEADER].to_vec();
            file.extend_from_slice(&chunk[..cut]);
            read(&file)
        };
        let whole = solo(CHUNK);
        let exact = whole.records_read == spans.len() as u64
            && whole
                .problems
                .iter()
                .all(|p| p.location != Location::Offset(FILE_HEADER as u64));
        let mut at: Vec<usize> = vec![1, 300, 512, 600, CHUNK - 1];
        at.extend(spans.iter().flat_map(|&(_, end)| [end - 1, end]));
        for cut in at {
            let report = solo(cut);
            let expected = spans.iter().filter(|&&(_, end)| end <= cut).count() as u64;
            let problem = cut_problem(&report, FILE_HEADER);
            assert!(
                problem
                    .message
                    .starts_with("file truncated: chunk 0 is incomplete"),
                "{name}: {problem}"
            );
            if exact {
                assert_eq!(
                    report.records_read, expected,
                    "{name} cut at {cut}: {problem}"
                );
            } else {
                assert!(report.records_read <= expected, "{name} cut at {cut}");
            }
            cuts += 1;
            kept += report.records_read;
            rendered += report.rendered_fallbacks;
            before_cuts += expected;
        }
        eprintln!(
            "{name}: chunk {number}, {} records, {}",
            spans.len(),
            if exact {
                "exact"
            } else {
                "not read whole without problems"
            }
        );
    }
    eprintln!(
        "{cuts} cuts: {kept} of the {before_cuts} records wholly before them read \
         ({rendered} by the crate's rendering)"
    );
}

/// The live records of a whole chunk, (start, end) in the chunk: walked from the chunk
/// header while the record magic and both size copies hold, within the free space, up to
/// the header's last record.
fn live_records(chunk: &[u8]) -> Vec<(usize, usize)> {
    if &chunk[..8] != b"ElfChnk\0" {
        return Vec::new();
    }
    let last_id = u64::from_le_bytes(chunk[32..40].try_into().expect("8 bytes"));
    let free = u32_at(chunk, 48).min(CHUNK);
    let mut spans = Vec::new();
    let mut start = 512;
    while start + 28 <= free && chunk[start..start + 4] == [0x2a, 0x2a, 0, 0] {
        let size = u32_at(chunk, start + 4);
        if size < 28 || start + size > free || u32_at(chunk, start + size - 4) != size {
            break;
        }
        spans.push((start, start + size));
        let id = u64::from_le_bytes(chunk[start + 8..start + 16].try_into().expect("8 bytes"));
        start += size;
        if id == last_id {
            break;
        }
    }
    spans
}

/// `n` with a comma between thousands, as the problem writes byte counts.
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// A cut anywhere in the last chunk (header, records, slack): no panic, every record
    /// wholly before the cut read, and one problem about the cut chunk.
    #[test]
    fn any_cut_in_the_last_chunk_keeps_the_whole_records(into in 0usize..CHUNK) {
        let (bytes, spans) = log();
        let (_, base) = last_chunk(spans);
        let cut = base + into;
        let report = read(&bytes[..cut]);
        prop_assert_eq!(report.records_read, whole_before(spans, cut));
        if into > 0 {
            let problem = cut_problem(&report, base);
            prop_assert!(problem.message.starts_with("file truncated: chunk 2 is incomplete"));
            prop_assert!(!problem.message.contains('{'), "{}", problem.message);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// A cut in a log of random records (1 to 3 chunks): the same, with two threads.
    #[test]
    fn any_cut_of_a_random_log_keeps_the_whole_records(
        n in 1usize..450,
        at in 0.0f64..1.0,
    ) {
        let bytes = write_evtx(&records(n)).expect("writes");
        let spans = record_spans(&bytes);
        let (_, base) = last_chunk(&spans);
        let cut = base + ((bytes.len() - base) as f64 * at) as usize;
        let report = read_evtx_bytes(&bytes[..cut], EvtxReadOptions { threads: 2 });
        prop_assert_eq!(report.records_read, whole_before(&spans, cut));
    }

    /// A cut last chunk with damaged bytes (in its header, record headers, BinXML): read
    /// as far as it is consistent, without a panic, and never more records than there are.
    #[test]
    fn a_damaged_cut_chunk_never_panics(
        into in 1usize..CHUNK,
        flips in prop::collection::vec((0usize..CHUNK, any::<u8>()), 1..8),
    ) {
        let (bytes, spans) = log();
        let (_, base) = last_chunk(spans);
        let mut cut = bytes[..base + into].to_vec();
        for (at, value) in flips {
            if let Some(byte) = cut.get_mut(base + at % into) {
                *byte = value;
            }
        }
        let report = read(&cut);
        prop_assert!(report.records_read <= spans.len() as u64);
        prop_assert!(report.records_read >= whole_before(spans, base));
    }
}
