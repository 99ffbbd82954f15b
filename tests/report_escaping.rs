//! Issue 8: strings from logs cannot break out of the HTML or Markdown
//! report. A committed sample is copied and made hostile — an EHLO name
//! `<script>alert(1)</script>`, a receive connector whose name holds `|`,
//! backticks and `*`, a queue LastError holding `</td>`, file names holding
//! tags — and the reports must show them only escaped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use std::path::{Path, PathBuf};

mod support;

const EHLO: &str = "<script>alert(1)</script>";
const CONNECTOR: &str = "Internal | Relay `rm` *x* [y](z)";
const LAST_ERROR: &str = "Cannot</td><td>achieve";
const QUEUE_FILE: &str = "EX01_InstantQueueInfo<img src=x onerror=alert(1)>.txt";
const NOTE_FILE: &str = "notes<svg onload=alert(2)>.txt";

/// UTF-16LE (± BOM) or UTF-8 (± BOM) text.
fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units).unwrap();
    }
    let text = String::from_utf8(bytes).unwrap();
    text.trim_start_matches('\u{feff}').to_string()
}

/// Writes UTF-8 with a BOM, as PowerShell 7 would.
fn write_text(path: &Path, text: &str) {
    std::fs::write(path, format!("\u{feff}{text}")).unwrap();
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = read_text(path);
    assert!(text.contains(from), "{} holds {from:?}", path.display());
    write_text(path, &text.replace(from, to));
}

/// The connector-auth sample, made hostile.
fn hostile_collection() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("collection");
    support::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/connector-auth"),
        &root,
    );
    std::fs::remove_file(root.join("expected.json")).unwrap();
    replace_in(
        &root.join("EX02/Hub_Receive_Protocol_Logs/RECV20261126-1.LOG"),
        "EHLO EX01.contoso.com",
        &format!("EHLO {EHLO}"),
    );
    let data = root.join("EX02/Exchange_Server_Data");
    replace_in(
        &data.join("EX02_ReceiveConnectors.txt"),
        "Internal Relay",
        CONNECTOR,
    );
    std::fs::remove_file(data.join("EX02_ReceiveConnectors.xml")).unwrap();
    let data = root.join("EX01/Exchange_Server_Data");
    replace_in(
        &data.join("EX01_InstantQueueInfo.txt"),
        "Cannot achieve",
        LAST_ERROR,
    );
    std::fs::rename(
        data.join("EX01_InstantQueueInfo.txt"),
        data.join(QUEUE_FILE),
    )
    .unwrap();
    std::fs::remove_file(data.join("EX01_InstantQueueInfo.xml")).unwrap();
    std::fs::write(root.join(NOTE_FILE), "hello\n").unwrap();
    (tmp, root)
}

fn scan(root: &Path, format: &str) -> String {
    let output = Command::cargo_bin("exauth")
        .unwrap()
        .args(["scan", "-q", "--format", format])
        .args(["--generated-at", "2026-11-27T10:00:00Z"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{format}: failures found");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_hostile_strings_are_read() {
    // Otherwise the escaping checks below would prove nothing.
    let (_tmp, root) = hostile_collection();
    let output = Command::cargo_bin("exauth")
        .unwrap()
        .args(["timeline", "-q", "--format", "jsonl"])
        .arg(&root)
        .output()
        .unwrap();
    let rows = String::from_utf8(output.stdout).unwrap();
    let details: Vec<serde_json::Value> = rows
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let has = |needle: &str| {
        details.iter().any(|r| {
            r["detail"].as_str().unwrap().contains(needle)
                || r["origin"].as_str().unwrap().contains(needle)
        })
    };
    // Successful sessions are not evidence; the session records carry the EHLO.
    let sessions = Command::cargo_bin("exauth")
        .unwrap()
        .args(["extract", "-q", "--format", "jsonl"])
        .arg(&root)
        .output()
        .unwrap();
    let sessions = String::from_utf8(sessions.stdout).unwrap();
    assert!(
        sessions.lines().any(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            row["kind"] == "smtp-session" && row["ehlo"].as_str().is_some_and(|e| e.contains(EHLO))
        }),
        "EHLO name read"
    );
    assert!(has(CONNECTOR), "connector name read");
    assert!(has(LAST_ERROR), "LastError read");
    assert!(has(QUEUE_FILE), "queue file read");
}

#[test]
fn html_shows_log_strings_only_escaped() {
    let (_tmp, root) = hostile_collection();
    let page = scan(&root, "html");
    for raw in [
        EHLO,
        LAST_ERROR,
        QUEUE_FILE,
        NOTE_FILE,
        "<img",
        "<svg onload",
    ] {
        assert!(!page.contains(raw), "raw {raw:?} in the HTML");
    }
    assert!(!page.to_ascii_lowercase().contains("<script"));
    assert_eq!(page.matches("<td").count(), page.matches("</td>").count());
    // What reaches the report is there, escaped.
    // `|`, backticks and `*` mean nothing to HTML: shown as they are.
    assert!(page.contains(CONNECTOR), "connector name shown as text");
    assert!(page.contains("EX01_InstantQueueInfo&lt;img src=x onerror=alert(1)&gt;.txt"));
    assert!(page.contains("notes&lt;svg onload=alert(2)&gt;.txt"));
}

#[test]
fn markdown_shows_log_strings_only_escaped() {
    let (_tmp, root) = hostile_collection();
    let doc = scan(&root, "markdown");
    for raw in [
        EHLO, CONNECTOR, LAST_ERROR, QUEUE_FILE, NOTE_FILE, "<img", "<svg",
    ] {
        assert!(!doc.contains(raw), "raw {raw:?} in the Markdown");
    }
    assert!(
        doc.contains(r"Internal \| Relay \`rm\` \*x\* \[y\](z)"),
        "connector name escaped"
    );
    assert!(doc.contains(r"EX01\_InstantQueueInfo&lt;img src=x onerror=alert(1)&gt;.txt"));
    // No table row gained a cell from the `|` in the connector name.
    let row = doc
        .lines()
        .find(|l| l.starts_with('|') && l.contains(r"Internal \| Relay"))
        .expect("the connector's evidence row");
    let unescaped_pipes = row
        .char_indices()
        .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
        .count();
    assert_eq!(unescaped_pipes, 6, "five cells: {row}");
}
