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

/// Copies the folder `from` to `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
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
        copy_tree(&sample, &alone);
        copy_tree(&sample, &doubled);
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
        assert!(
            one["coverage"].get("duplicates").is_none(),
            "{name}: no copies, no duplicates section"
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
        copy_tree(&sample, &alone);
        copy_tree(&sample, &beside);
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
    copy_tree(&sample, &alone);
    copy_tree(&sample, &repeated);
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
    let notes = three["coverage"]["duplicates"]["records"]
        .as_array()
        .expect("records set aside");
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
