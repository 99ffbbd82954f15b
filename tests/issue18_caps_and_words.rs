//! Issue 18 (items 4 and 5): every run bounded, and the words a user should
//! see. Zips of many empty entries are one counted line each and the entry
//! cap is run-wide; an empty zip is named; a protocol-log row with thousands
//! of surplus fields, a CliXml export nested 100,000 deep and a recognised
//! file that yields nothing are problem lines in `scan`'s coverage, with the
//! exact words. The malformed inputs are built here from the committed
//! samples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufWriter, Cursor, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;

fn sample(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(path)
}

/// A readable companion, so that a scan of a folder whose other files yield
/// nothing still weighs something (a scan document, not "nothing readable").
fn companion(dir: &Path) {
    std::fs::copy(
        sample("healthy/DC01/DC01_setspn-L-EX02.txt"),
        dir.join("DC01_setspn-L-EX02.txt"),
    )
    .expect("copy companion");
}

fn exauth(args: &[&str], paths: &[&Path]) -> (Vec<u8>, String, i32) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(args)
        .args(paths)
        .output()
        .expect("runs");
    (
        output.stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

fn json(args: &[&str], path: &Path) -> Value {
    let (stdout, stderr, _) = exauth(args, &[path]);
    serde_json::from_slice(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&stdout)
        )
    })
}

fn scan_json(path: &Path) -> Value {
    json(&["scan", "-q", "--format", "json"], path)
}

fn scan_text(path: &Path) -> String {
    let (stdout, _, _) = exauth(&["scan", "-q", "--color", "never"], &[path]);
    String::from_utf8_lossy(&stdout).into_owned()
}

/// (list, status, reason) of every coverage line whose origin ends with
/// `suffix`, from `not_read` and `read_with_problems`.
fn coverage_lines(scan: &Value, suffix: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for list in ["not_read", "read_with_problems"] {
        for row in scan["coverage"][list].as_array().expect("coverage list") {
            if row["origin"].as_str().is_some_and(|o| o.ends_with(suffix)) {
                out.push((
                    list.to_string(),
                    row["status"].as_str().unwrap_or_default().to_string(),
                    row["reason"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    out
}

/// The one coverage line of the file ending with `suffix`.
fn coverage_line(scan: &Value, suffix: &str) -> (String, String, String) {
    let lines = coverage_lines(scan, suffix);
    assert_eq!(lines.len(), 1, "{suffix}: {:#}", scan["coverage"]);
    lines.into_iter().next().unwrap()
}

/// A zip on disk of `empty` empty entries, then `entries` (name, bytes).
fn write_zip(path: &Path, empty: usize, entries: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).expect("create zip");
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    // Entries named after the zip: zips of the same bytes would be copies of
    // one another, and a copy is set aside unread.
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("e");
    for i in 0..empty {
        zip.start_file(format!("{stem}-e{i:05}.txt"), options)
            .expect("entry");
    }
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(bytes).expect("write entry");
    }
    zip.finish().expect("finish zip");
}

fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(bytes).expect("write entry");
    }
    zip.finish().expect("finish zip").into_inner()
}

/// The inventory rows (`artifacts`) whose origin ends with `suffix`.
fn rows_ending<'a>(inventory: &'a Value, suffix: &str) -> Vec<&'a Value> {
    inventory["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter(|a| a["origin"].as_str().is_some_and(|o| o.ends_with(suffix)))
        .collect()
}

fn reasons(rows: &[&Value]) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

const PER_ZIP: usize = 50_000;

/// Three zips of 50,000 empty entries (c1 also with 150 binary entries of no
/// known kind and one text holding a failure signature): three counted lines
/// of empty entries and one of unknown ones, not 150,151 rows; the text with
/// the signature keeps its own row in scan and its failure; the totals still
/// count every entry.
#[test]
fn many_empty_and_unknown_entries_fold_into_counted_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let binary: Vec<(String, Vec<u8>)> = (0..150)
        .map(|i| (format!("blob{i:03}.bin"), vec![0u8, 1, 2, 3, i as u8]))
        .collect();
    let mut c1: Vec<(&str, &[u8])> = binary
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let note = b"copied from the queue viewer:\r\n451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n";
    c1.push(("note.txt", note));
    write_zip(&dir.path().join("c1.zip"), PER_ZIP, &c1);
    write_zip(&dir.path().join("c2.zip"), PER_ZIP, &[]);
    write_zip(&dir.path().join("c3.zip"), PER_ZIP, &[]);

    let inventory = json(&["inventory", "-q", "--format", "json"], dir.path());
    let rows = inventory["artifacts"].as_array().expect("artifacts");
    // The cheap proxy for memory: a handful of rows, not one per entry.
    assert_eq!(rows.len(), 4, "{inventory:#}");
    assert_eq!(
        reasons(&rows_ending(&inventory, "c1.zip")),
        [
            "151 entries of no known kind in c1.zip",
            "50,000 empty entries in c1.zip"
        ]
    );
    for name in ["c2.zip", "c3.zip"] {
        let lines = rows_ending(&inventory, name);
        assert_eq!(reasons(&lines), [format!("50,000 empty entries in {name}")]);
        assert_eq!(lines[0]["status"], "unknown");
        assert_eq!(lines[0]["kind"], "unknown");
    }
    assert_eq!(inventory["totals"]["artifacts"], 3 * PER_ZIP + 151);
    assert_eq!(
        inventory["totals"]["by_status"]["unknown"],
        3 * PER_ZIP + 151
    );

    let scan = scan_json(dir.path());
    assert_eq!(
        coverage_lines(&scan, "c1.zip")
            .into_iter()
            .map(|(_, _, reason)| reason)
            .collect::<Vec<_>>(),
        [
            "150 entries of no known kind in c1.zip",
            "50,000 empty entries in c1.zip"
        ]
    );
    // The failure no parser reads is still a failure, and its file named.
    let (_, status, reason) = coverage_line(&scan, "c1.zip!note.txt");
    assert_eq!(status, "unknown");
    assert!(
        reason.contains("1 line with a failure signature"),
        "{reason}"
    );
    assert_ne!(scan["verdict"]["primary_cause"], "healthy");
    assert_eq!(scan["inputs"]["artifacts"], 3 * PER_ZIP + 151);
}

/// `--max-entries` counts over the whole run: three zips of 50,000 entries
/// with a cap of 120,000 read 120,000 entries in all, and the archive the cap
/// tripped in is named, with what was read of it.
#[test]
fn the_entry_cap_is_run_wide_and_names_the_archive_it_trips_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["c1.zip", "c2.zip", "c3.zip"] {
        write_zip(&dir.path().join(name), PER_ZIP, &[]);
    }
    let inventory = json(
        &[
            "inventory",
            "-q",
            "--format",
            "json",
            "--max-entries",
            "120000",
        ],
        dir.path(),
    );
    let rows = inventory["artifacts"].as_array().expect("artifacts");
    let tripped: Vec<&Value> = rows.iter().filter(|r| r["status"] == "error").collect();
    assert_eq!(tripped.len(), 1, "{inventory:#}");
    let origin = tripped[0]["origin"].as_str().unwrap();
    let name = Path::new(origin).file_name().unwrap().to_str().unwrap();
    assert_eq!(
        tripped[0]["reason"],
        format!(
            "the run's limit of 120,000 archive entries (--max-entries) was reached in {name}: 20,000 of its 50,000 entries read, the other 30,000 not"
        )
    );
    let mut counted: Vec<String> = reasons(
        &rows
            .iter()
            .filter(|r| r["status"] == "unknown")
            .collect::<Vec<_>>(),
    );
    counted.sort_by_key(|r| r.len());
    assert_eq!(counted.len(), 3, "{counted:?}");
    assert!(
        counted.contains(&format!("20,000 empty entries in {name}")),
        "{counted:?}"
    );
    assert_eq!(
        counted
            .iter()
            .filter(|r| r.starts_with("50,000 empty entries in "))
            .count(),
        2
    );
    // The entries read, and the archive row that says why the rest were not.
    assert_eq!(inventory["totals"]["artifacts"], 120_000 + 1);

    // Once the cap is spent, a further archive is not even opened.
    let (stdout, _, _) = exauth(
        &[
            "inventory",
            "-q",
            "--format",
            "json",
            "--max-entries",
            "50000",
            "--threads",
            "1",
        ],
        &[dir.path()],
    );
    let inventory: Value = serde_json::from_slice(&stdout).expect("JSON");
    let errors: Vec<String> = inventory["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "error")
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for error in errors {
        assert!(
            error.starts_with(
                "the run's limit of 50,000 archive entries (--max-entries) was reached before c"
            ) && error.ends_with(".zip: not opened"),
            "{error}"
        );
    }
}

/// An empty zip, on disk or inside another, is named.
#[test]
fn an_empty_zip_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    companion(dir.path());
    let empty = zip_bytes(&[]);
    // With a comment: not the same bytes as the empty zip inside outer.zip
    // (a copy would be set aside unread).
    let mut commented = zip::ZipWriter::new(Cursor::new(Vec::new()));
    commented.set_comment("c").expect("comment");
    let commented = commented.finish().expect("finish zip").into_inner();
    std::fs::write(dir.path().join("c.zip"), &commented).expect("write");
    let outer = zip_bytes(&[
        ("inner.zip", &empty),
        (
            "DC01_setspn-L-EX02.txt",
            &std::fs::read(sample("healthy/DC01/DC01_setspn-L-EX02.txt")).unwrap(),
        ),
    ]);
    std::fs::write(dir.path().join("outer.zip"), &outer).expect("write");

    let inventory = json(&["inventory", "-q", "--format", "json"], dir.path());
    for name in ["/c.zip", "outer.zip!inner.zip"] {
        let rows = rows_ending(&inventory, name);
        assert_eq!(reasons(&rows), ["empty archive: no entries"], "{name}");
        assert_eq!(rows[0]["status"], "error");
    }
    let scan = scan_json(dir.path());
    for name in ["/c.zip", "outer.zip!inner.zip"] {
        assert_eq!(
            coverage_line(&scan, name),
            (
                "not_read".to_string(),
                "error".to_string(),
                "empty archive: no entries".to_string()
            )
        );
    }
    let text = scan_text(dir.path());
    assert!(text.contains("c.zip: empty archive: no entries"), "{text}");
}

/// The committed Send log with its line 12 replaced by a row of 3,004
/// fields: that row is one problem line naming its line, and the rest of
/// the file is still read. A log whose every row is like it is recognised
/// but yields nothing, and says both.
#[test]
fn a_protocol_log_row_with_thousands_of_fields_is_a_problem_line() {
    let log = std::fs::read_to_string(sample(
        "healthy/EX01/Hub_Send_Protocol_Logs/SEND20261126-1.LOG",
    ))
    .expect("sample Send log");
    let widen = |line: &str| {
        let head: Vec<&str> = line.split(',').take(7).collect();
        format!("{},{}", head.join(","), vec!["x"; 2997].join(","))
    };
    let lines: Vec<&str> = log.split("\r\n").collect();
    let mut one_bad = lines.clone();
    let wide = widen(lines[11]);
    one_bad[11] = &wide;

    let dir = tempfile::tempdir().expect("temp dir");
    let clean = dir.path().join("clean");
    let bad = dir.path().join("bad");
    for d in [&clean, &bad] {
        std::fs::create_dir(d).unwrap();
        companion(d);
    }
    std::fs::write(clean.join("SEND20261126-1.LOG"), &log).unwrap();
    std::fs::write(bad.join("SEND20261126-1.LOG"), one_bad.join("\r\n")).unwrap();

    let scan = scan_json(&bad);
    assert_eq!(
        coverage_line(&scan, "SEND20261126-1.LOG"),
        (
            "read_with_problems".to_string(),
            "ok".to_string(),
            "line 12: 3,004 fields where the header names 9; row skipped".to_string()
        )
    );
    assert_eq!(scan["coverage"]["problems_in_files"], 1);
    // The rest of the file is read: the same clock samples as the clean log
    // (the row skipped is a reply, not a banner).
    let clean_scan = scan_json(&clean);
    assert_eq!(
        scan["inputs"]["evidence"], clean_scan["inputs"]["evidence"],
        "evidence of the clean log: {}",
        clean_scan["inputs"]["evidence"]
    );
    let text = scan_text(&bad);
    assert!(
        text.contains(
            "SEND20261126-1.LOG: line 12: 3,004 fields where the header names 9; row skipped"
        ),
        "{text}"
    );

    // Every row like it: nothing read, and why.
    let all_bad: Vec<String> = lines
        .iter()
        .map(|l| {
            if l.starts_with("2026-") {
                widen(l)
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(bad.join("SEND20261126-1.LOG"), all_bad.join("\r\n")).unwrap();
    let scan = scan_json(&bad);
    // Over 2,000 rows, each a problem: the file keeps its first 1,000 and
    // counts every one (the reason says how many), and one line more says
    // how many were counted, not listed.
    let rows = lines.iter().filter(|l| l.starts_with("2026-")).count();
    assert!(rows > 2000, "{rows}");
    assert_eq!(
        coverage_line(&scan, "SEND20261126-1.LOG"),
        (
            "not_read".to_string(),
            "error".to_string(),
            format!(
                "recognised as an SMTP Send protocol log but no protocol-log rows were read: line 6: 3,004 fields where the header names 9; row skipped (and {} more problems)",
                exauth_parsers::problem::thousands(rows as u64 - 1)
            )
        )
    );
    assert_eq!(scan["coverage"]["problems_in_files"], 1000 + 1);
}

/// The committed Get-Queue CliXml with a 100,000-deep `<Obj>` added: the
/// queues are read, the nesting is one problem line naming its line; alone,
/// such a document yields no queue and says so.
#[test]
fn a_clixml_export_nested_100000_deep_is_a_problem_line() {
    let export = std::fs::read_to_string(sample(
        "healthy/EX01/Exchange_Server_Data/EX01_InstantQueueInfo.xml",
    ))
    .expect("sample CliXml");
    let deep = format!(
        "{}{}\r\n",
        "<Obj RefId=\"999\">".repeat(100_000),
        "</Obj>".repeat(100_000)
    );
    let end = export.rfind("</Objs>").expect("</Objs>");
    let nested = format!("{}{deep}{}", &export[..end], &export[end..]);
    let line = export[..end].matches('\n').count() + 1;

    let dir = tempfile::tempdir().expect("temp dir");
    companion(dir.path());
    std::fs::write(dir.path().join("EX01_InstantQueueInfo.xml"), &nested).unwrap();
    std::fs::write(
        dir.path().join("EX02_InstantQueueInfo.xml"),
        format!(
            "\u{FEFF}<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n{deep}</Objs>\r\n"
        ),
    )
    .unwrap();

    let scan = scan_json(dir.path());
    assert_eq!(
        coverage_line(&scan, "EX01_InstantQueueInfo.xml"),
        (
            "read_with_problems".to_string(),
            "ok".to_string(),
            format!("line {line}: nesting deeper than 64 levels: not read")
        )
    );
    assert_eq!(
        coverage_line(&scan, "EX02_InstantQueueInfo.xml"),
        (
            "not_read".to_string(),
            "error".to_string(),
            "recognised as a Get-Queue export but no queue rows were read: line 2: nesting deeper than 64 levels: not read".to_string()
        )
    );
    assert_eq!(scan["coverage"]["problems_in_files"], 3);
}

/// One rule for every format: a recognised file that yields nothing is a
/// problem line saying what it was recognised as and what it lacked.
#[test]
fn a_recognised_file_that_yields_nothing_is_a_problem_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    companion(dir.path());
    // A Directory Service log with no record (a DC's quiet log, committed).
    std::fs::copy(
        sample("ad-replication/DC01/Directory Service.evtx"),
        dir.path().join("Directory Service.evtx"),
    )
    .unwrap();
    // A Get-Queue CliXml export with no object.
    let export = std::fs::read_to_string(sample(
        "healthy/EX01/Exchange_Server_Data/EX01_InstantQueueInfo.xml",
    ))
    .unwrap();
    let first = export.find("\n").unwrap() + 1;
    std::fs::write(
        dir.path().join("EX02_InstantQueueInfo.xml"),
        format!("{}</Objs>\r\n", &export[..first]),
    )
    .unwrap();

    let scan = scan_json(dir.path());
    assert_eq!(
        coverage_line(&scan, "Directory Service.evtx"),
        (
            "read_with_problems".to_string(),
            "ok".to_string(),
            "recognised as a Directory Service log but no events were read".to_string()
        )
    );
    assert_eq!(
        coverage_line(&scan, "EX02_InstantQueueInfo.xml"),
        (
            "read_with_problems".to_string(),
            "ok".to_string(),
            "recognised as a Get-Queue export but no queue rows were read".to_string()
        )
    );
    assert_eq!(scan["coverage"]["problems_in_files"], 2);
}
