//! Issue 8: `exauth scan --format html` on every committed sample — the
//! verdict in its colour, the failing pairs, the clock table (clock-skew:
//! EX02 +420 s in red), a self-contained page (no scripts, no links out),
//! byte-identical run to run with `--generated-at`; and, when chromium is
//! installed, a headless render that paints and has no `<script>` element.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const GENERATED_AT: &str = "2026-11-27T10:00:00Z";

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

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn html(dir: &Path, extra: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args([
            "scan",
            "--format",
            "html",
            "-q",
            "--generated-at",
            GENERATED_AT,
        ])
        .args(extra)
        .arg(dir)
        .output()
        .expect("runs");
    (
        String::from_utf8(output.stdout).expect("utf-8"),
        output.status.code().unwrap_or(-1),
    )
}

/// What a self-contained, script-free page must never hold.
fn assert_self_contained(name: &str, page: &str) {
    let lower = page.to_ascii_lowercase();
    for banned in [
        "<script",
        "http://",
        "https://",
        " src=",
        "href=",
        "url(",
        "@import",
        "javascript:",
        " on",
        "<iframe",
        "<object",
        "<embed",
        "<link",
    ] {
        if banned == " on" {
            // Event-handler attributes: ` onload=`, ` onerror=` …
            let handler = lower.match_indices(" on").any(|(at, _)| {
                let rest = &lower[at + 3..];
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                !word.is_empty() && rest[word.len()..].starts_with('=')
            });
            assert!(!handler, "{name}: an on…= attribute in the page");
            continue;
        }
        assert!(!lower.contains(banned), "{name}: page contains {banned:?}");
    }
    assert_eq!(
        page.matches("<td").count(),
        page.matches("</td>").count(),
        "{name}: every table cell is closed once"
    );
    assert!(page.starts_with("<!DOCTYPE html>"), "{name}");
    assert!(page.ends_with("</html>\n"), "{name}");
}

#[test]
fn every_sample_renders_verdict_pairs_and_clock_table() {
    for dir in samples() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let (page, code) = html(&dir, &[]);
        assert_self_contained(&name, &page);
        let primary = expected["primary_cause"].as_str().unwrap();
        let tone = match primary {
            "healthy" => "green",
            "inconclusive" => "yellow",
            _ => "red",
        };
        assert!(
            page.contains(&format!("<div class=\"verdict {tone}\"")),
            "{name}: verdict in {tone}"
        );
        assert!(
            page.contains(&format!("<h2>Verdict: {primary}</h2>")),
            "{name}: verdict {primary}"
        );
        let pairs = expected["failing_pairs"].as_array().unwrap();
        for pair in pairs {
            let row = format!(
                "<tr><td>{}</td><td>{}</td>",
                pair["sender"].as_str().unwrap(),
                pair["receiver"].as_str().unwrap()
            );
            assert!(page.contains(&row), "{name}: failing pair {row}");
        }
        if pairs.is_empty() {
            assert!(
                page.contains("No failing sender → receiver pair."),
                "{name}"
            );
        }
        assert!(page.contains("<h2>Clocks</h2>"), "{name}");
        assert!(page.contains("<h2>Inputs covered</h2>"), "{name}");
        assert!(page.contains("<h2>Evidence per cause</h2>"), "{name}");
        for cause in [
            "clock-skew",
            "ad-replication",
            "spn-missing",
            "spn-duplicate",
            "kerberos-blocked",
            "connector-auth",
        ] {
            assert!(
                page.contains(&format!("<h3>{cause} <span")),
                "{name}: {cause}"
            );
        }
        assert!(page.contains("<svg "), "{name}: timeline picture");
        assert_eq!(
            code,
            if pairs.is_empty() { 0 } else { 1 },
            "{name}: exit code"
        );
    }
}

#[test]
fn clock_skew_flags_ex02_at_420_seconds_in_red() {
    let (page, _) = html(&sample("clock-skew"), &[]);
    assert!(
        page.contains(
            "<tr><td>EX02</td><td>Exchange</td><td class=\"num red\" \
             style=\"background:#f8d7da;color:#842029\">+420.0 s</td>"
        ),
        "EX02's own offset is red: {page}"
    );
    assert!(
        page.contains("<tr><td>EX01</td><td>Exchange</td><td class=\"num green\""),
        "EX01 is within tolerance"
    );
    // EX02 against EX01, measured from paired sessions.
    assert!(
        page.contains("title=\"paired protocol-log sessions\">+420.0 s</td>"),
        "the EX02 vs EX01 cell"
    );
    // The fix names EX02 under its own heading.
    assert!(page.contains("<h3>EX02</h3>\n<ol>\n<li>Fix the clock of EX02"));
    // The timeline shades the window around the failures and marks them.
    assert!(page.contains("window around the failures: 2026-11-26 06:58:17 UTC"));
    assert!(page.contains("EX02 · authentication failure ·"));
    assert!(page.contains("EX02 · Time-Service ·"));
}

#[test]
fn header_has_generated_time_and_version() {
    let (page, _) = html(&sample("healthy"), &[]);
    assert!(page.contains(&format!(
        "Generated 2026-11-27 10:00:00 UTC by exauth {}",
        env!("CARGO_PKG_VERSION")
    )));
    let (amsterdam, _) = html(&sample("healthy"), &["--timezone", "Europe/Amsterdam"]);
    assert!(amsterdam.contains("times in Europe/Amsterdam"));
    assert!(
        amsterdam.contains(" Europe/Amsterdam</td>"),
        "table times in the zone"
    );
}

#[test]
fn byte_identical_run_to_run_and_thread_count() {
    let dir = sample("mixed");
    let (a, _) = html(&dir, &["--threads", "1"]);
    let (b, _) = html(&dir, &["--threads", "2"]);
    let (c, _) = html(&dir, &["--threads", "2"]);
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn output_file_equals_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("report.html");
    let dir = sample("spn-missing");
    let status = Command::cargo_bin("exauth")
        .unwrap()
        .args([
            "scan",
            "--format",
            "html",
            "-q",
            "--generated-at",
            GENERATED_AT,
            "-o",
        ])
        .arg(&file)
        .arg(&dir)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(1));
    let (stdout, _) = html(&dir, &[]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
}

#[test]
fn generated_at_must_be_a_time() {
    Command::cargo_bin("exauth")
        .unwrap()
        .args(["scan", "--format", "html", "--generated-at", "yesterday"])
        .arg(sample("healthy"))
        .assert()
        .code(2);
}

// ------------------------------------------------------------ browser check

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

fn headless(browser: &Path, profile: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stdin(std::process::Stdio::null());
    cmd
}

#[test]
fn chromium_paints_the_page_and_finds_no_script() {
    let Some(browser) = chromium() else {
        eprintln!("note: chromium not installed; browser check skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("clock-skew.html");
    let (text, _) = html(&sample("clock-skew"), &[]);
    std::fs::write(&page, &text).unwrap();
    let url = format!("file://{}", page.display());

    let shot = tmp.path().join("shot.png");
    let status = headless(&browser, &tmp.path().join("profile-1"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,2000")
        .arg(&url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium runs");
    assert!(status.success(), "chromium --screenshot: {status}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    // A blank 1280×2000 page compresses to a few KiB; ours has tables,
    // colours and a picture.
    assert!(png.len() > 50_000, "screenshot is {} bytes", png.len());

    let dom = headless(&browser, &tmp.path().join("profile-2"))
        .arg("--dump-dom")
        .arg(&url)
        .stderr(std::process::Stdio::null())
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Verdict: clock-skew"), "the DOM was dumped");
    assert!(dom.contains("<svg"), "the timeline is in the DOM");
    assert!(
        !dom.to_ascii_lowercase().contains("<script"),
        "no script element"
    );
}
