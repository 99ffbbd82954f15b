//! Throughput of the protocol-log parser per stage over a generated in-memory log.
//!
//! Stages: line split (`LineReader`), field split + column access (`RowReader`), and the full
//! parse with session reassembly (`Reassembler`). Run: `cargo bench -p exauth-parsers --bench smtp_log`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

#[path = "smtp_log_gen/mod.rs"]
mod smtp_log_gen;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use exauth_parsers::smtp_log::{LineReader, Reassembler, RowItem, RowReader};
use smtp_log_gen::{generate_pair, GenConfig};
use std::hint::black_box;
use std::time::Duration;

fn sample_log() -> Vec<u8> {
    // Realistic intra-org traffic: 16 sessions interleaved, 1 in 10 failing ExchangeAuth.
    let cfg = GenConfig {
        sessions: 1500,
        interleave: 16,
        ..GenConfig::default()
    };
    let (mut send, receive) = generate_pair(&cfg);
    send.extend_from_slice(&receive);
    send
}

fn stages(c: &mut Criterion) {
    let log = sample_log();
    let mut group = c.benchmark_group("smtp_log");
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));

    group.bench_function("line_split", |b| {
        b.iter(|| {
            let mut lines = LineReader::new(&log[..]);
            let mut bytes = 0usize;
            while let Ok(Some(line)) = lines.next_line() {
                bytes += line.bytes.len();
            }
            black_box(bytes)
        })
    });

    group.bench_function("field_parse", |b| {
        b.iter(|| {
            let mut rows = RowReader::new(&log[..]);
            let mut acc = 0usize;
            while let Some(item) = rows.next_item() {
                if let RowItem::Row(row) = item {
                    acc += row.session_id().len() + usize::from(row.event()) + row.data().len();
                }
            }
            black_box(acc)
        })
    });

    group.bench_function("reassembly", |b| {
        b.iter(|| {
            let mut r = Reassembler::new();
            let mut attempts = 0usize;
            r.feed(&log[..], None, |s| attempts += s.auth_attempts.len());
            r.finish(|s| attempts += s.auth_attempts.len());
            black_box(attempts)
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
