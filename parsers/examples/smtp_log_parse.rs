//! Full parse + session reassembly of protocol-log directories, for throughput measurements.
//!
//! Files are grouped by directory (one server's Send or Receive log), ordered by their names, and
//! each group is fed to one `Reassembler`; groups run on `--threads N` threads (default 1).
//! Usage: `smtp_log_parse [--threads N] <dir>...`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::smtp_log::{parse_file_name, AuthOutcome, Reassembler};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Default, Debug)]
struct Totals {
    files: u64,
    bytes: u64,
    rows: u64,
    sessions: u64,
    partial: u64,
    attempts: u64,
    rejected: u64,
    clock_samples: u64,
    problems: u64,
}

fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<PathBuf>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(parse_file_name)
            .is_some()
        {
            out.entry(dir.to_path_buf()).or_default().push(path);
        }
    }
}

fn run_group(files: &[PathBuf]) -> Totals {
    let mut t = Totals::default();
    let mut r = Reassembler::new();
    // Sessions are counted as they stream out, not collected per file.
    let on_session = |s: exauth_parsers::smtp_log::SessionSummary, t: &mut Totals| {
        t.sessions += 1;
        t.partial += u64::from(s.partial);
        t.attempts += s.auth_attempts.len() as u64;
        t.rejected += s
            .auth_attempts
            .iter()
            .filter(|a| a.outcome == AuthOutcome::Rejected)
            .count() as u64;
        t.clock_samples += s.clock_samples.len() as u64;
    };
    for path in files {
        let Ok(file) = File::open(path) else { continue };
        t.files += 1;
        t.bytes += file.metadata().map(|m| m.len()).unwrap_or(0);
        let hint = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(parse_file_name)
            .map(|n| n.kind);
        let mut sessions = Totals::default();
        let report = r.feed(file, hint, |s| on_session(s, &mut sessions));
        t.add(&sessions);
        t.rows += report.rows;
        t.problems += report.problems.found();
    }
    r.finish(|s| on_session(s, &mut t));
    t
}

impl Totals {
    fn add(&mut self, t: &Totals) {
        self.files += t.files;
        self.bytes += t.bytes;
        self.rows += t.rows;
        self.sessions += t.sessions;
        self.partial += t.partial;
        self.attempts += t.attempts;
        self.rejected += t.rejected;
        self.clock_samples += t.clock_samples;
        self.problems += t.problems;
    }
}

fn main() {
    let mut threads = 1usize;
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--threads" {
            threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(1).max(1);
        } else {
            dirs.push(PathBuf::from(a));
        }
    }
    let mut groups = BTreeMap::new();
    for d in &dirs {
        walk(d, &mut groups);
    }
    let mut queue: Vec<Vec<PathBuf>> = groups
        .into_values()
        .map(|mut files| {
            files.sort_by_key(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(parse_file_name)
            });
            files
        })
        .collect();
    queue.reverse();
    let queue = Mutex::new(queue);
    let total = Mutex::new(Totals::default());
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            // The guard is moved into the closure and dropped there: the lock is not held while a
            // group is parsed.
            scope.spawn(|| {
                while let Some(group) = queue.lock().ok().and_then(|mut q| q.pop()) {
                    let t = run_group(&group);
                    if let Ok(mut all) = total.lock() {
                        all.add(&t);
                    }
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let t = total.into_inner().unwrap_or_default();
    println!(
        "threads={threads} files={} bytes={} rows={} sessions={} partial={} auth_attempts={} rejected={} clock_samples={} problems={} secs={secs:.3} MB/s={:.1}",
        t.files, t.bytes, t.rows, t.sessions, t.partial, t.attempts, t.rejected, t.clock_samples, t.problems,
        t.bytes as f64 / 1e6 / secs
    );
}
