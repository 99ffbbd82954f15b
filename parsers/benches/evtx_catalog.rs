//! Throughput of the `.evtx` evidence reader: over a generated domain controller Security
//! log (always), and over the real files in EXAUTH_CORPUS (skipped with a note when unset).
//! Inputs are in memory first, so the figure is parsing, not disk.
//!
//! The generated log is what the reader meets most on a DC: Security noise (4624, 4634,
//! 4672, successful 4769) with a few catalogued failures; see `examples/evtx_gen.rs`. The
//! ≥ 200 MB comparison with `evtx_dump` is `benches/evtx_vs_evtx_dump.sh --generate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use exauth_parsers::evtx::{read_evtx_bytes, EvtxReadOptions};
use std::time::Duration;

#[path = "../examples/evtx_gen.rs"]
#[allow(dead_code)]
mod evtx_gen;

/// Size of the generated log: large enough to spread over threads, small enough for memory
/// and a bench run of about a minute.
const GENERATED_MB: u64 = 64;

fn corpus() -> Option<Vec<Vec<u8>>> {
    let dir = std::env::var_os("EXAUTH_CORPUS")?;
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    paths.sort();
    Some(paths.iter().filter_map(|p| std::fs::read(p).ok()).collect())
}

fn generated(c: &mut Criterion) {
    let (log, summary) = match evtx_gen::dc_security_log(GENERATED_MB * 1_000_000, 1) {
        Ok(generated) => generated,
        Err(e) => {
            eprintln!("evtx_catalog generated bench skipped: {e}");
            return;
        }
    };
    let mut group = c.benchmark_group("evtx_catalog");
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for threads in [1, 2] {
        group.bench_function(
            format!("dc_security_{GENERATED_MB}MB_threads_{threads}"),
            |b| {
                b.iter(|| {
                    let report = read_evtx_bytes(&log, EvtxReadOptions { threads });
                    assert_eq!(report.records_read, summary.records);
                    report.events.len()
                })
            },
        );
    }
    group.finish();
}

fn real_corpus(c: &mut Criterion) {
    let Some(files) = corpus() else {
        eprintln!(
            "evtx_catalog corpus bench skipped: set EXAUTH_CORPUS to a folder of .evtx files"
        );
        return;
    };
    let bytes: usize = files.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("evtx_catalog");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    for threads in [1, 2] {
        group.bench_function(format!("corpus_threads_{threads}"), |b| {
            b.iter(|| {
                files
                    .iter()
                    .map(|f| read_evtx_bytes(f, EvtxReadOptions { threads }).events.len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, generated, real_corpus);
criterion_main!(benches);
