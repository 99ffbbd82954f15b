//! `.evtx` reading against real files (EXAUTH_CORPUS) and against broken input.
//!
//! The reference for the catalogued counts is the evtx crate's own full JSON
//! rendering of each file with a plain provider/EventID lookup: the fast
//! template-instance path must find exactly the events the renderer shows, and apply
//! the catalog's rule for successful authentication audits (`is_counted_success`) to the
//! same events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{
    classify, is_counted_success, read_evtx_bytes, read_evtx_path, AuditOutcome, EvtxReadOptions,
    AUDIT_OUTCOME_ITEMS,
};
use exauth_parsers::problem::Location;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus_files() -> Option<Vec<PathBuf>> {
    let Some(dir) = std::env::var_os("EXAUTH_CORPUS") else {
        eprintln!("skipped: set EXAUTH_CORPUS to the folder of real .evtx files");
        return None;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("EXAUTH_CORPUS is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    files.sort();
    Some(files)
}

type PairCounts = BTreeMap<(String, u16), u64>;

/// A rendered data value as text (strings as they are, numbers written out).
fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Object(map) => map.get("#text").and_then(json_text),
        _ => None,
    }
}

/// The items the success rule reads, from the rendered `EventData`.
fn outcome_items(event_data: &serde_json::Value) -> [Option<String>; 4] {
    AUDIT_OUTCOME_ITEMS.map(|name| {
        event_data.as_object().and_then(|map| {
            map.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| json_text(v))
        })
    })
}

/// (provider, EventID) counts in the crate's JSON rendering of catalogued events kept and
/// of successes only counted, and how many records it rendered.
fn reference_counts(path: &PathBuf) -> (PairCounts, PairCounts, u64) {
    let mut parser = evtx::EvtxParser::from_path(path)
        .expect("reference parser opens the file")
        .with_configuration(evtx::ParserSettings::new().num_threads(1));
    let mut counts = BTreeMap::new();
    let mut successes = BTreeMap::new();
    let mut rendered = 0;
    for record in parser.records_json_value().flatten() {
        rendered += 1;
        let system = &record.data["Event"]["System"];
        let Some(provider) = system["Provider"]["#attributes"]["Name"].as_str() else {
            continue;
        };
        let id = &system["EventID"];
        let raw = id
            .as_u64()
            .or_else(|| id["#text"].as_u64())
            .or_else(|| id.as_str().and_then(|s| s.trim().parse().ok()))
            .or_else(|| id["#text"].as_str().and_then(|s| s.trim().parse().ok()));
        let Some(raw) = raw else { continue };
        let event_id = (raw & 0xFFFF) as u16;
        if classify(provider, event_id).is_none() {
            continue;
        }
        let items = outcome_items(&record.data["Event"]["EventData"]);
        let outcome = AuditOutcome::from_items([0, 1, 2, 3].map(|i| items[i].as_deref()));
        let bucket = if is_counted_success(provider, event_id, &outcome) {
            &mut successes
        } else {
            &mut counts
        };
        *bucket.entry((provider.to_string(), event_id)).or_default() += 1;
    }
    (counts, successes, rendered)
}

fn pair_counts(counts: &[exauth_parsers::evtx::EventCount]) -> PairCounts {
    counts
        .iter()
        .map(|c| ((c.provider.clone(), c.event_id), c.count))
        .collect()
}

#[test]
fn catalogued_counts_equal_the_crate_rendering() {
    let Some(files) = corpus_files() else { return };
    assert!(!files.is_empty(), "EXAUTH_CORPUS holds no .evtx files");
    let mut total_catalogued = 0;
    let mut total_successes = 0;
    for path in &files {
        let report = read_evtx_path(path, EvtxReadOptions { threads: 2 });
        let ours = pair_counts(&report.catalogued_counts);
        let (reference, reference_successes, rendered) = reference_counts(path);
        assert_eq!(ours, reference, "{}", path.display());
        assert_eq!(
            pair_counts(&report.counted_successes),
            reference_successes,
            "{}: successes only counted",
            path.display()
        );
        total_successes += reference_successes.values().sum::<u64>();
        assert!(
            report.records_read >= rendered,
            "{}: read {} records, the crate rendered {rendered}",
            path.display(),
            report.records_read
        );
        assert_eq!(report.events.len() as u64, ours.values().sum::<u64>());
        total_catalogued += report.events.len();
    }
    assert!(total_catalogued > 0, "the corpus has catalogued events");
    eprintln!("{total_catalogued} catalogued events kept, {total_successes} successes counted");
}

#[test]
fn broken_files_finish_with_recovery_reports() {
    let Some(files) = corpus_files() else { return };
    for path in &files {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !(name.starts_with("odd_") || name == "security_dirty_header.evtx") {
            continue;
        }
        let report = read_evtx_path(path, EvtxReadOptions { threads: 2 });
        assert!(report.records_read > 0, "{name}: nothing recovered");
        eprintln!(
            "{name}: {} records, {} problems",
            report.records_read,
            report.problems.len()
        );
        for problem in &report.problems {
            eprintln!("  {problem}");
        }
    }
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let Some(files) = corpus_files() else { return };
    for path in &files {
        let one = read_evtx_path(path, EvtxReadOptions { threads: 1 });
        let many = read_evtx_path(path, EvtxReadOptions { threads: 0 });
        assert_eq!(one, many, "{}", path.display());
        let sorted = one
            .events
            .windows(2)
            .all(|w| (w[0].time, w[0].record_id) <= (w[1].time, w[1].record_id));
        assert!(sorted, "{}: events not sorted by time", path.display());
    }
}

#[test]
fn in_memory_buffer_reads_like_the_file() {
    let Some(files) = corpus_files() else { return };
    let Some(path) = files
        .iter()
        .find(|p| p.ends_with("system_vss7_w32time_lsasrv.evtx"))
    else {
        return;
    };
    let bytes = std::fs::read(path).expect("corpus file readable");
    let from_bytes = read_evtx_bytes(&bytes, EvtxReadOptions { threads: 2 });
    let from_file = read_evtx_path(path, EvtxReadOptions { threads: 2 });
    assert_eq!(from_bytes, from_file);
    // A truncated copy is read up to the cut, with the cut reported.
    let cut = &bytes[..bytes.len() - 30_000];
    let truncated = read_evtx_bytes(cut, EvtxReadOptions::default());
    assert!(truncated.records_read > 0);
    assert!(truncated
        .problems
        .iter()
        .any(|p| p.message.contains("truncated")));
}

#[test]
fn empty_file_is_a_problem_not_a_crash() {
    let report = read_evtx_bytes(&[], EvtxReadOptions::default());
    assert_eq!(report.records_read, 0);
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].location, Location::File);
    assert!(report.problems[0].message.contains("0 bytes"));
}

#[test]
fn garbage_is_a_problem_not_a_crash() {
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let report = read_evtx_bytes(&garbage, EvtxReadOptions { threads: 2 });
    assert_eq!(report.records_read, 0);
    assert!(!report.problems.is_empty());
    // A valid-looking file header followed by garbage chunks.
    let mut fake = b"ElfFile\0".to_vec();
    fake.resize(4096, 0);
    fake.extend_from_slice(b"ElfChnk\0");
    fake.extend_from_slice(&garbage[..65536 - 8]);
    let report = read_evtx_bytes(&fake, EvtxReadOptions::default());
    assert_eq!(report.events.len(), 0);
}

#[test]
fn missing_file_is_a_problem() {
    let report = read_evtx_path(
        std::path::Path::new("/nonexistent/exauth/none.evtx"),
        EvtxReadOptions::default(),
    );
    assert_eq!(report.problems.len(), 1);
}
