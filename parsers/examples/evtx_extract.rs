//! Print the catalogued events of `.evtx` files as JSON lines (one event per line),
//! and a per-file summary on stderr. Used by `benches/evtx_vs_evtx_dump.sh`.
//!
//! Usage: `evtx_extract [-t THREADS] FILE...`
//!
//! Each event is serialized into one reused buffer and written to a large buffered
//! stdout; the last file's report is not freed (the process ends right after, and
//! freeing tens of thousands of small strings costs more than the exit does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx::{read_evtx_path, EvtxReadOptions};
use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut threads = 1;
    let mut files = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-t" | "--threads" => {
                threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(1);
            }
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: evtx_extract [-t THREADS] FILE...");
        std::process::exit(2);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut line = Vec::with_capacity(4096);
    let mut failed = false;
    let mut last = None;
    for file in &files {
        let report = read_evtx_path(std::path::Path::new(file), EvtxReadOptions { threads });
        for event in &report.events {
            line.clear();
            match serde_json::to_writer(&mut line, event) {
                Ok(()) => {
                    line.push(b'\n');
                    if let Err(e) = out.write_all(&line) {
                        eprintln!("{file}: {e}");
                        failed = true;
                    }
                }
                Err(e) => {
                    eprintln!("{file}: {e}");
                    failed = true;
                }
            }
        }
        eprintln!(
            "{file}: {} records, {} catalogued, {} rendered by the crate, {} problems",
            report.records_read,
            report.events.len(),
            report.rendered_fallbacks,
            report.problems.len()
        );
        for problem in &report.problems {
            eprintln!("  {problem}");
        }
        last = Some(report);
    }
    std::mem::forget(last);
    if out.flush().is_err() || failed {
        std::process::exit(1);
    }
}
