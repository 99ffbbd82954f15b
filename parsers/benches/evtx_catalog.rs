//! Throughput of the `.evtx` evidence reader over the real files in EXAUTH_CORPUS
//! (skipped with a note when unset). Inputs are read into memory first, so the figure
//! is parsing, not disk.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use exauth_parsers::evtx::{read_evtx_bytes, EvtxReadOptions};

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

fn bench(c: &mut Criterion) {
    let Some(files) = corpus() else {
        eprintln!("evtx_catalog bench skipped: set EXAUTH_CORPUS to a folder of .evtx files");
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

criterion_group!(benches, bench);
criterion_main!(benches);
