//! Detection and discovery speed: how fast exauth knows what each file is.
//!
//! `detect` runs once per file on its first 4 KiB; `inventory` walks a folder
//! of generated files reading headers only (see benches/inventory_headers.sh
//! for the end-to-end figure on 1 GB).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use exauth::discover::{self, Artifact, ArtifactVisitor, Limits, Origin};
use exauth_parsers::detect::{detect, HEAD_LEN};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

fn heads() -> Vec<(&'static str, Vec<u8>)> {
    let log = "\u{FEFF}#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: 2026-11-26T10:00:00.000Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n".repeat(20);
    let mut fl = vec![0xFF, 0xFE];
    for unit in "RunspaceId   : 779ae3c8\r\nDeliveryType : SmtpRelayToMailboxDeliveryGroup\r\nNextHopDomain : db01\r\nStatus : Retry\r\n".repeat(30).encode_utf16() {
        fl.extend_from_slice(&unit.to_le_bytes());
    }
    let unknown = "just some notes about the outage, nothing to see here\r\n".repeat(80);
    vec![
        ("smtp-log", log.into_bytes()),
        ("format-list-utf16", fl),
        ("unknown-text", unknown.into_bytes()),
    ]
    .into_iter()
    .map(|(name, mut bytes)| {
        bytes.truncate(HEAD_LEN);
        (name, bytes)
    })
    .collect()
}

fn bench_detect(c: &mut Criterion) {
    let mut group = c.benchmark_group("detect");
    for (name, head) in heads() {
        group.throughput(Throughput::Bytes(head.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &head, |b, head| {
            b.iter(|| detect(head, "EX01_InstantQueueInfo.txt"))
        });
    }
    group.finish();
}

struct CountingVisitor(AtomicU64);

impl ArtifactVisitor for CountingVisitor {
    fn visit(&self, _artifact: &Artifact<'_>, _content: &mut dyn Read) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn duplicate(&self, _: &Artifact<'_>, _: &exauth::discover::duplicates::SetAside) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn failed(&self, _: &Origin, _: Option<String>, _: Option<u64>, _: String) {}
}

fn bench_inventory(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = "2026-11-26T10:00:01.102Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,1,10.1.2.11:51000,10.1.2.12:2525,+,,\r\n".repeat(2000);
    let mut total = 0u64;
    for server in 0..10 {
        let d = dir.path().join(format!("EX{server:02}"));
        std::fs::create_dir(&d).expect("mkdir");
        for n in 0..50 {
            let text = format!("#Software: Microsoft Exchange Server\r\n#Log-type: SMTP Send Protocol Log\r\n{body}");
            total += text.len() as u64;
            std::fs::write(d.join(format!("SEND20261126-{n}.LOG")), text).expect("write");
        }
    }
    let mut group = c.benchmark_group("inventory");
    group.throughput(Throughput::Bytes(total));
    group.sample_size(20);
    group.bench_function("500-files-headers-only", |b| {
        b.iter(|| {
            let visitor = CountingVisitor(AtomicU64::new(0));
            let plan = discover::plan(&[dir.path().to_path_buf()], &visitor);
            discover::run(&plan, &Limits::default(), &visitor);
            assert_eq!(visitor.0.load(Ordering::Relaxed), 500);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_detect, bench_inventory);
criterion_main!(benches);
