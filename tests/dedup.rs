//! Issue 18 (item 2): nothing counted twice. Collections built here from the
//! committed samples — every file also as `name (2).ext` (how Windows names a
//! second copy), every sample zip unzipped beside itself, an `.evtx` whose
//! chunk is repeated — give the same failing pairs, the same evidence counts
//! and the same verdict as the sample alone, and the coverage names what was
//! set aside.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod support;

fn samples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("samples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "one sample per scenario");
    dirs
}

fn scan_json(path: &Path) -> Value {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["scan", "-q", "--format", "json"])
        .arg(path)
        .output()
        .expect("runs");
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("scan JSON")
}

/// Every file below `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// What must not move when copies are added: the verdict, every cause's
/// status, confidence and evidence count, the failing pairs with their
/// failures, and the evidence counted per kind.
fn decision(scan: &Value) -> Value {
    let causes: Vec<Value> = scan["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .map(|c| {
            serde_json::json!({
                "cause": c["cause"],
                "status": c["status"],
                "confidence": c["confidence"],
                "evidence_total": c["evidence_total"],
            })
        })
        .collect();
    serde_json::json!({
        "verdict": scan["verdict"],
        "causes": causes,
        "pairs": scan["pairs"],
        "evidence": scan["inputs"]["evidence"],
        "servers": scan["servers"].as_array().expect("servers").iter()
            .map(|s| serde_json::json!([s["name"], s["clock_offset_s"], s["sources"], s["evidence_items"]]))
            .collect::<Vec<_>>(),
    })
}

/// The copies each duplicate group of the scan's coverage names, as
/// (copy read, copy set aside) file names relative to `root`.
fn duplicate_pairs(scan: &Value, root: &Path) -> Vec<(String, String)> {
    let root = root.to_string_lossy().into_owned();
    let rel = |o: &str| {
        o.strip_prefix(&root)
            .unwrap_or(o)
            .trim_start_matches('/')
            .to_string()
    };
    let mut pairs = Vec::new();
    for group in scan["coverage"]["duplicates"]["groups"]
        .as_array()
        .expect("duplicate groups")
    {
        for copy in group["copies"].as_array().expect("copies") {
            pairs.push((
                rel(group["kept"].as_str().unwrap()),
                rel(copy.as_str().unwrap()),
            ));
        }
    }
    pairs.sort();
    pairs
}

/// Every file of every sample also as `name (2).ext`: the same decision,
/// and the coverage names each copy with the file read instead.
#[test]
fn every_file_copied_as_name_2_changes_nothing_but_the_coverage() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for sample in samples() {
        let name = sample.file_name().unwrap().to_string_lossy().into_owned();
        let alone = tmp.path().join(&name).join("alone");
        let doubled = tmp.path().join(&name).join("doubled");
        support::copy_tree(&sample, &alone);
        support::copy_tree(&sample, &doubled);
        let mut expected = Vec::new();
        for file in files(&doubled) {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            let copy = match file.extension() {
                Some(ext) => format!("{stem} (2).{}", ext.to_string_lossy()),
                None => format!("{stem} (2)"),
            };
            let copy = file.with_file_name(copy);
            std::fs::copy(&file, &copy).expect("copy");
            let rel = |p: &Path| {
                p.strip_prefix(&doubled)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            };
            expected.push((rel(&file), rel(&copy)));
        }
        expected.sort();

        let one = scan_json(&alone);
        let two = scan_json(&doubled);
        assert_eq!(
            decision(&two),
            decision(&one),
            "{name}: copies counted again"
        );
        assert_eq!(
            two["coverage"]["duplicates"]["files"],
            expected.len(),
            "{name}"
        );
        assert_eq!(duplicate_pairs(&two, &doubled), expected, "{name}");
        assert_eq!(
            one["coverage"]["duplicates"]["files"].as_u64().unwrap_or(0),
            0,
            "{name}: no copies of files alone"
        );
    }
}

/// Every sample zip also unzipped beside itself (`EX01-1126.zip` next to the
/// folder `EX01-1126/` with its entries): the same decision; the entries of
/// the zip are the copies set aside (the loose files are read: no inflating).
#[test]
fn a_sample_zip_unzipped_beside_itself_changes_nothing_but_the_coverage() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut zipped_samples = 0;
    for sample in samples() {
        let zips: Vec<PathBuf> = files(&sample)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "zip"))
            .collect();
        if zips.is_empty() {
            continue;
        }
        zipped_samples += 1;
        let name = sample.file_name().unwrap().to_string_lossy().into_owned();
        let alone = tmp.path().join(&name).join("alone");
        let beside = tmp.path().join(&name).join("beside");
        support::copy_tree(&sample, &alone);
        support::copy_tree(&sample, &beside);
        let mut entries = 0;
        for zip_path in zips {
            let rel = zip_path.strip_prefix(&sample).unwrap();
            let folder = beside.join(rel).with_extension("");
            let mut archive =
                zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
            for i in 0..archive.len() {
                let mut entry = archive.by_index(i).unwrap();
                if entry.is_dir() {
                    continue;
                }
                let target = folder.join(entry.name().unwrap().as_ref());
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                let mut out = std::fs::File::create(&target).unwrap();
                std::io::copy(&mut entry, &mut out).unwrap();
                entries += 1;
            }
        }

        let one = scan_json(&alone);
        let two = scan_json(&beside);
        assert_eq!(
            decision(&two),
            decision(&one),
            "{name}: unzipped copies counted again"
        );
        assert_eq!(two["coverage"]["duplicates"]["files"], entries, "{name}");
        for (kept, copy) in duplicate_pairs(&two, &beside) {
            assert!(
                !kept.contains('!'),
                "{name}: the loose file is read: {kept}"
            );
            assert!(
                copy.contains(".zip!"),
                "{name}: the entry is set aside: {copy}"
            );
        }
    }
    assert!(zipped_samples >= 3, "samples with zips: {zipped_samples}");
}

const EVTX_HEADER: usize = 4096;
const EVTX_CHUNK: usize = 65536;

/// `log` with its chunk `which` appended again until it is there `copies`
/// times, the file header's last chunk, chunk count and CRC fixed.
fn with_chunk_repeated(log: &[u8], which: usize, copies: usize) -> Vec<u8> {
    let start = EVTX_HEADER + which * EVTX_CHUNK;
    let chunk = log[start..start + EVTX_CHUNK].to_vec();
    let mut out = log.to_vec();
    for _ in 1..copies {
        out.extend_from_slice(&chunk);
    }
    let chunks = ((out.len() - EVTX_HEADER) / EVTX_CHUNK) as u64;
    out[16..24].copy_from_slice(&(chunks - 1).to_le_bytes());
    out[42..44].copy_from_slice(&(chunks as u16).to_le_bytes());
    let crc = crc32fast::hash(&out[..120]);
    out[124..128].copy_from_slice(&crc.to_le_bytes());
    out
}

/// The records a chunk's header lists (first to last EventRecordID).
fn chunk_records(log: &[u8], which: usize) -> u64 {
    let chunk = &log[EVTX_HEADER + which * EVTX_CHUNK..];
    let first = u64::from_le_bytes(chunk[24..32].try_into().unwrap());
    let last = u64::from_le_bytes(chunk[32..40].try_into().unwrap());
    last - first + 1
}

/// The extract rows of a collection, as (kind, server, origin without the
/// collection's folder) — what a repeated chunk must not add to.
fn extract_rows(path: &Path) -> Vec<(String, String, String)> {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["extract", "-q", "--format", "jsonl"])
        .arg(path)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let root = path.to_string_lossy().into_owned();
    let mut rows: Vec<(String, String, String)> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).unwrap();
            let origin = row["origin"].as_str().unwrap_or("");
            (
                row["kind"].as_str().unwrap_or("").to_string(),
                row["server"].as_str().unwrap_or("").to_string(),
                origin.strip_prefix(&root).unwrap_or(origin).to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// A sample's `.evtx` whose chunk is there three times (the file header
/// copied, the same chunk appended twice more, the header's chunk count and
/// CRC fixed): its records are counted once, in the scan and in extract's
/// rows, and the coverage says how many were set aside in it.
#[test]
fn a_chunk_repeated_three_times_in_an_evtx_is_counted_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = samples()
        .into_iter()
        .find(|s| s.ends_with("kerberos-blocked"))
        .expect("kerberos-blocked sample");
    let alone = tmp.path().join("alone");
    let repeated = tmp.path().join("repeated");
    support::copy_tree(&sample, &alone);
    support::copy_tree(&sample, &repeated);
    let rel = Path::new("EX02/Windows_Event_Logs/Windows-Logs/System.evtx");
    let log = std::fs::read(alone.join(rel)).expect("sample .evtx");
    assert_eq!((log.len() - EVTX_HEADER) % EVTX_CHUNK, 0, "whole chunks");
    std::fs::write(repeated.join(rel), with_chunk_repeated(&log, 0, 3)).expect("write");
    let records = chunk_records(&log, 0);

    let one = scan_json(&alone);
    let three = scan_json(&repeated);
    assert_eq!(decision(&three), decision(&one), "records counted again");
    assert!(
        one["inputs"]["evidence"].as_object().unwrap().len() > 1,
        "the sample has evidence to count"
    );
    // (The sample's Get-Queue, saved as text and as XML, has its rows set
    // aside too: only the event log's note is of interest here.)
    let notes: Vec<&Value> = three["coverage"]["duplicates"]["records"]
        .as_array()
        .expect("records set aside")
        .iter()
        .filter(|n| n["origin"].as_str().unwrap().ends_with(".evtx"))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(notes[0]["origin"]
        .as_str()
        .unwrap()
        .ends_with("System.evtx"));
    assert_eq!(
        notes[0]["note"],
        format!(
            "{} duplicate events (same EventRecordID) set aside: 2 chunks repeating earlier ones",
            2 * records
        )
    );
    assert_eq!(three["coverage"]["duplicates"]["files"], 0);
    assert_eq!(extract_rows(&repeated), extract_rows(&alone));
}

/// The timeline's lines without the origin each ends with: what a copy
/// must not add to (which file a line names may change).
fn timeline_lines(path: &Path) -> Vec<String> {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["timeline", "-q"])
        .arg(path)
        .output()
        .expect("runs");
    assert!(output.status.code().is_some_and(|c| c <= 1));
    let mut lines: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once("  (").map_or(l, |(line, _)| line).to_string())
        .collect();
    lines.sort();
    lines
}

/// The coverage notes of records set aside, as (file name, note) with the
/// collection's folder taken out of both.
fn record_notes(scan: &Value, root: &Path) -> Vec<(String, String)> {
    let root = format!("{}/", root.to_string_lossy());
    let mut notes: Vec<(String, String)> = scan["coverage"]["duplicates"]["records"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|n| {
            (
                n["origin"].as_str().unwrap().replace(&root, ""),
                n["note"].as_str().unwrap().replace(&root, ""),
            )
        })
        .collect();
    notes.sort();
    notes
}

/// `log` cut to its chunks `range`, the file header's chunk count, last
/// chunk and CRC fixed: what an export of part of the log looks like.
fn with_chunks(log: &[u8], range: std::ops::Range<usize>) -> Vec<u8> {
    with_chunk_list(log, &range.collect::<Vec<_>>())
}

/// `log` with only its chunks `which`, in that order (see [`with_chunks`]).
fn with_chunk_list(log: &[u8], which: &[usize]) -> Vec<u8> {
    let mut out = log[..EVTX_HEADER].to_vec();
    for c in which {
        out.extend_from_slice(
            &log[EVTX_HEADER + c * EVTX_CHUNK..EVTX_HEADER + (c + 1) * EVTX_CHUNK],
        );
    }
    let chunks = which.len() as u64;
    out[16..24].copy_from_slice(&(chunks - 1).to_le_bytes());
    out[42..44].copy_from_slice(&(chunks as u16).to_le_bytes());
    let crc = crc32fast::hash(&out[..120]);
    out[124..128].copy_from_slice(&crc.to_le_bytes());
    out
}

/// Two exports of one event log that overlap — its first chunks as one
/// file, its chunks from the third on as another — give the decision and
/// the timeline of the whole log; the coverage names the records of the
/// second file set aside and the file that gave them.
#[test]
fn two_overlapping_exports_of_an_event_log_count_each_record_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = tmp.path().join("whole");
    let status = Command::cargo_bin("exauth")
        .expect("binary")
        .args([
            "synth",
            "-q",
            "--scenario",
            "kerberos-blocked",
            "--hours",
            "48",
            "--out",
        ])
        .arg(&whole)
        .output()
        .expect("synth runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let _ = std::fs::remove_file(whole.join("expected.json"));
    let logs = Path::new("EX01/Windows_Event_Logs/Windows-Logs");
    let log = std::fs::read(whole.join(logs).join("System.evtx")).expect("the .evtx");
    let chunks = (log.len() - EVTX_HEADER) / EVTX_CHUNK;
    assert!(chunks >= 4, "a log of several chunks: {chunks}");

    let parts = tmp.path().join("parts");
    support::copy_tree(&whole, &parts);
    std::fs::remove_file(parts.join(logs).join("System.evtx")).expect("rm");
    let (first, second) = (0..chunks - 1, 2..chunks);
    std::fs::write(
        parts.join(logs).join("System-1.evtx"),
        with_chunks(&log, first.clone()),
    )
    .unwrap();
    std::fs::write(
        parts.join(logs).join("System-2.evtx"),
        with_chunks(&log, second),
    )
    .unwrap();
    let shared: u64 = (2..first.end).map(|c| chunk_records(&log, c)).sum();

    let one = scan_json(&whole);
    let two = scan_json(&parts);
    // Each file handing its facts over after every one, as a large log does
    // while it is read (each part with the record ids it claims): the same.
    let mut settings = support::settings();
    settings.ingest.hand_over_at = 1;
    let two_as_read = support::scan_with(std::slice::from_ref(&parts), &settings);
    settings.ingest.hand_over_at = usize::MAX;
    assert_eq!(
        two_as_read,
        support::scan_with(std::slice::from_ref(&parts), &settings),
        "facts handed over as read"
    );
    assert_eq!(
        decision(&two_as_read),
        decision(&one),
        "counted again as read"
    );
    assert_eq!(decision(&two), decision(&one), "records counted again");
    assert!(
        one["pairs"].as_array().is_some_and(|p| !p.is_empty()),
        "the log's scenario has a failing pair"
    );
    assert_eq!(timeline_lines(&parts), timeline_lines(&whole));
    let first_name = logs.join("System-1.evtx").to_string_lossy().into_owned();
    let notes: Vec<(String, String)> = record_notes(&two, &parts)
        .into_iter()
        .filter(|(file, _)| file.ends_with(".evtx"))
        .collect();
    assert_eq!(
        notes,
        [(
            logs.join("System-2.evtx").to_string_lossy().into_owned(),
            format!("{shared} duplicate events (same EventRecordID as in {first_name}) set aside")
        )]
    );

    // An export with a gap (its second chunk left out: its records are not
    // every id from its first to its last) beside one from that chunk on:
    // each run of chunks claims its ids, so the records both hold count once.
    let gapped = tmp.path().join("gapped");
    support::copy_tree(&parts, &gapped);
    let with_gap: Vec<usize> = std::iter::once(0).chain(2..chunks).collect();
    std::fs::write(
        gapped.join(logs).join("System-1.evtx"),
        with_chunk_list(&log, &with_gap),
    )
    .unwrap();
    std::fs::write(
        gapped.join(logs).join("System-2.evtx"),
        with_chunks(&log, 1..chunks),
    )
    .unwrap();
    let three = scan_json(&gapped);
    assert_eq!(
        decision(&three),
        decision(&one),
        "a gapped export's records counted again"
    );
}

/// The sample's Get-Queue of EX01 as text alone, as text and XML (how
/// ExchangeLogCollector saves it), and as text pasted twice into one file:
/// its LastError rows are counted once, and the coverage says which rows
/// were set aside and where they were read.
#[test]
fn a_get_queue_export_twice_counts_its_rows_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = samples()
        .into_iter()
        .find(|s| s.ends_with("kerberos-blocked"))
        .expect("kerberos-blocked sample");
    let data = Path::new("EX01/Exchange_Server_Data");
    let text = data.join("EX01_InstantQueueInfo.txt");
    let xml = data.join("EX01_InstantQueueInfo.xml");
    let both = tmp.path().join("both");
    support::copy_tree(&sample, &both);
    let alone = tmp.path().join("alone");
    support::copy_tree(&sample, &alone);
    std::fs::remove_file(alone.join(&xml)).unwrap();
    let pasted = tmp.path().join("pasted");
    support::copy_tree(&alone, &pasted);
    // UTF-16 with a BOM, as PowerShell writes it: decoded, doubled, written back.
    let bytes = std::fs::read(alone.join(&text)).unwrap();
    assert_eq!(&bytes[..2], b"\xff\xfe");
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    let mut twice = b"\xff\xfe".to_vec();
    for unit in units.iter().chain(&units) {
        twice.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(pasted.join(&text), twice).unwrap();

    let one = scan_json(&alone);
    assert!(
        one["inputs"]["evidence"]["queue-last-error"].as_u64() >= Some(1),
        "the queue export has a LastError: {:#}",
        one["inputs"]
    );
    let rows = |scan: &Value, root: &Path| -> Vec<(String, String)> {
        record_notes(scan, root)
            .into_iter()
            .filter(|(file, _)| file.contains("InstantQueueInfo"))
            .collect()
    };
    assert!(rows(&one, &alone).is_empty(), "{:#?}", rows(&one, &alone));
    for (name, copy, note) in [
        (
            "both",
            &both,
            format!(
                "1 duplicate queue row (same queue, error and time as in {}) set aside",
                text.display()
            ),
        ),
        (
            "pasted",
            &pasted,
            "1 duplicate queue row (same queue, error and time as earlier in the file) set aside"
                .to_string(),
        ),
    ] {
        let scan = scan_json(copy);
        assert_eq!(
            decision(&scan),
            decision(&one),
            "{name}: rows counted again"
        );
        assert_eq!(timeline_lines(copy), timeline_lines(&alone), "{name}");
        let file = if name == "both" { &xml } else { &text };
        assert_eq!(
            rows(&scan, copy),
            [(file.to_string_lossy().into_owned(), note)],
            "{name}"
        );
    }
}

/// The rows of the sample Send log's sessions that failed, as an admin
/// pastes them into a ticket (no header, LF line ends).
fn failing_sessions_excerpt(log: &str) -> String {
    let rows: Vec<&str> = log.lines().filter(|l| !l.starts_with('#')).collect();
    let id = |row: &str| row.split(',').nth(2).unwrap_or("").to_string();
    let failing: std::collections::BTreeSet<String> = rows
        .iter()
        .filter(|r| r.contains(",454 4.7.0"))
        .map(|r| id(r))
        .collect();
    assert!(!failing.is_empty(), "the sample log has failed sessions");
    let mut out = String::new();
    for row in rows.iter().filter(|r| failing.contains(&id(r))) {
        out.push_str(row.trim_start_matches('\u{feff}'));
        out.push('\n');
    }
    out
}

/// A Send log also saved with other line ends (LF for CRLF: other bytes,
/// the same rows), and the rows of its failed sessions pasted into a
/// `.txt`: the SMTP authentication failures are counted once, and the
/// coverage names the sessions set aside and the file that gave them.
#[test]
fn a_protocol_log_saved_twice_or_pasted_counts_each_session_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = samples()
        .into_iter()
        .find(|s| s.ends_with("kerberos-blocked"))
        .expect("kerberos-blocked sample");
    let logs = Path::new("EX01/Hub_Send_Protocol_Logs");
    let alone = tmp.path().join("alone");
    support::copy_tree(&sample, &alone);
    let log_bytes = std::fs::read(alone.join(logs).join("SEND20261126-1.LOG")).unwrap();
    let log = String::from_utf8(log_bytes.clone()).unwrap();
    assert!(log.contains("\r\n"), "the sample log has CRLF line ends");
    let sessions = |log: &str| -> usize {
        let ids: std::collections::BTreeSet<&str> = log
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('\u{feff}'))
            .filter_map(|l| l.split(',').nth(2))
            .collect();
        ids.len()
    };

    let saved = tmp.path().join("saved");
    support::copy_tree(&alone, &saved);
    std::fs::write(
        saved.join(logs).join("SEND20261126-1 - LF.LOG"),
        log.replace("\r\n", "\n"),
    )
    .unwrap();
    let pasted = tmp.path().join("pasted");
    support::copy_tree(&alone, &pasted);
    let excerpt = failing_sessions_excerpt(&log);
    std::fs::write(pasted.join("EX01/send-log-rows.txt"), &excerpt).unwrap();

    let one = scan_json(&alone);
    assert!(
        one["inputs"]["evidence"]["smtp-auth"].as_u64() >= Some(1),
        "the sample has SMTP authentication failures: {:#}",
        one["inputs"]
    );
    let log_name = logs
        .join("SEND20261126-1.LOG")
        .to_string_lossy()
        .into_owned();
    for (name, copy, expected) in [
        (
            "saved",
            &saved,
            (
                logs.join("SEND20261126-1 - LF.LOG")
                    .to_string_lossy()
                    .into_owned(),
                format!(
                    "{} duplicate sessions (same session id and start as in {log_name}) set aside",
                    sessions(&log),
                ),
            ),
        ),
        (
            "pasted",
            &pasted,
            (
                log_name.clone(),
                format!(
                    "{} duplicate sessions (same session id and start as in EX01/send-log-rows.txt) set aside",
                    sessions(&excerpt)
                ),
            ),
        ),
    ] {
        let scan = scan_json(copy);
        let mut expected_decision = decision(&one);
        let mut got = decision(&scan);
        if name == "pasted" {
            // Banner clock samples are thinned per file (one per peer,
            // offset and 10 minutes): an excerpt adds the one of its own
            // sessions where the whole log had kept another's. Not a
            // record counted twice; the clock offsets compared below stay.
            for d in [&mut expected_decision, &mut got] {
                d["evidence"].as_object_mut().unwrap().remove("clock-sample");
                for server in d["servers"].as_array_mut().unwrap() {
                    server[3] = Value::Null;
                }
            }
        }
        assert_eq!(got, expected_decision, "{name}: sessions counted again");
        let no_clock = |lines: Vec<String>| -> Vec<String> {
            lines
                .into_iter()
                .filter(|l| name != "pasted" || !l.contains(" clock-sample "))
                .collect()
        };
        assert_eq!(
            no_clock(timeline_lines(copy)),
            no_clock(timeline_lines(&alone)),
            "{name}"
        );
        let notes: Vec<(String, String)> = record_notes(&scan, copy)
            .into_iter()
            .filter(|(file, _)| file.contains("SEND") || file.ends_with(".txt") && !file.contains("Queue"))
            .collect();
        assert_eq!(notes, [expected], "{name}");
    }
}

/// A coverage note names the copy read, a file name from the collection:
/// it is escaped like every origin (here in HTML).
#[test]
fn the_copy_a_note_names_is_escaped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = samples()
        .into_iter()
        .find(|s| s.ends_with("kerberos-blocked"))
        .expect("kerberos-blocked sample");
    let root = tmp.path().join("c");
    support::copy_tree(&sample, &root);
    let logs = root.join("EX01/Hub_Send_Protocol_Logs");
    let log = std::fs::read_to_string(logs.join("SEND20261126-1.LOG")).unwrap();
    // Shorter than the log's name: the copy read, named in the log's note.
    std::fs::write(logs.join("<i>x.LOG"), log.replace("\r\n", "\n")).unwrap();
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args([
            "scan",
            "-q",
            "--format",
            "html",
            "--generated-at",
            "2026-12-01T00:00:00Z",
        ])
        .arg(&root)
        .output()
        .expect("runs");
    let html = String::from_utf8(output.stdout).unwrap();
    assert!(html.contains("as in "), "a note names the copy read");
    assert!(!html.contains("<i>x"), "unescaped file name in the HTML");
    assert!(html.contains("&lt;i&gt;x.LOG"));
}

/// `Get-Queue | fl` run again and again into one file (a loop watching the
/// queue a minute apart): the same queue's RetryCount grows 11, 12, 13, 14
/// from export to export. Each retry counts once: EX01 → EX02 fails 14
/// times, as the last export says, not 50 (11 + 12 + 13 + 14); the first
/// export, the sample's own queue as it is, is a copy set aside.
#[test]
fn a_queue_exported_again_and_again_counts_each_retry_once() {
    let sample = samples()
        .into_iter()
        .find(|s| s.ends_with("handover-clock-skew"))
        .expect("handover-clock-skew sample");
    let tmp = tempfile::tempdir().expect("tempdir");
    let looped = tmp.path().join("looped");
    support::copy_tree(&sample, &looped);
    std::fs::write(
        looped.join("ticket/queue-EX01-loop.txt"),
        support::looped_queue_exports(4),
    )
    .unwrap();
    let failures = |scan: &Value| {
        scan["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["sender"] == "EX01" && p["receiver"] == "EX02")
            .map(|p| p["failures"].as_u64().unwrap())
    };
    let alone = scan_json(&sample);
    assert_eq!(failures(&alone), Some(11));
    let scan = scan_json(&looped);
    assert_eq!(failures(&scan), Some(14), "{:#}", scan["pairs"]);
    assert_eq!(scan["verdict"], alone["verdict"]);
}
