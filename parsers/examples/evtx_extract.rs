//! Print the catalogued events of `.evtx` files as JSON lines (one event per line),
//! and a per-file summary on stderr. Used by `benches/evtx_vs_evtx_dump.sh`.
//!
//! Usage: `evtx_extract [-t THREADS] FILE...`

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
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for file in &files {
        let report = read_evtx_path(std::path::Path::new(file), EvtxReadOptions { threads });
        for event in &report.events {
            match serde_json::to_writer(&mut out, event) {
                Ok(()) => {}
                Err(e) => {
                    eprintln!("{file}: {e}");
                    failed = true;
                }
            }
            let _ = out.write_all(b"\n");
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
    }
    if out.flush().is_err() || failed {
        std::process::exit(1);
    }
}
