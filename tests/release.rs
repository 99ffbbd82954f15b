//! Issue 17: what a user installs — `--version` that names the version, the
//! commit and the features; shell completions a shell accepts; a man page
//! that renders.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use std::io::Write;
use std::process::Stdio;

fn exauth(args: &[&str]) -> Vec<u8> {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{args:?}");
    output.stdout
}

fn have(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn version_names_the_version_and_the_features() {
    let text = String::from_utf8(exauth(&["--version"])).expect("utf-8");
    assert!(
        text.starts_with(&format!("exauth {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    let features = if cfg!(feature = "tables") {
        "+tables"
    } else {
        "-tables"
    };
    assert!(text.contains(&format!("features: {features}")), "{text}");
}

#[test]
fn completions_are_accepted_by_the_shell_and_name_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = String::from_utf8(exauth(&["completions", shell])).expect("utf-8");
        for command in ["scan", "extract", "inventory", "timeline", "synth"] {
            assert!(script.contains(command), "{shell}: {command}");
        }
    }
    if !have("bash") {
        eprintln!("bash not installed: syntax check skipped");
        return;
    }
    let script = exauth(&["completions", "bash"]);
    let mut check = std::process::Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .spawn()
        .expect("bash");
    check
        .stdin
        .take()
        .expect("stdin")
        .write_all(&script)
        .expect("write");
    assert!(
        check.wait().expect("bash -n").success(),
        "bash -n rejects the completions"
    );
}

#[test]
fn the_man_page_renders_without_warnings() {
    let page = exauth(&["man"]);
    let text = String::from_utf8_lossy(&page);
    assert!(text.contains(".TH exauth"), "roff title");
    assert!(text.contains("scan"), "commands listed");
    if !have("groff") {
        eprintln!("groff not installed: rendering check skipped");
        return;
    }
    let mut groff = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff");
    groff
        .stdin
        .take()
        .expect("stdin")
        .write_all(&page)
        .expect("write");
    let output = groff.wait_with_output().expect("groff");
    assert!(output.status.success());
    let warnings = String::from_utf8_lossy(&output.stderr);
    assert!(warnings.trim().is_empty(), "groff warnings: {warnings}");
}
