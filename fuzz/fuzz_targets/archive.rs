//! The archive walker: the input is written as a file (named `.zip` or
//! `.gz` by its first byte) in a temporary folder, planned and walked with
//! small limits, and every artifact is read to the end.
#![no_main]

use exauth::discover::{self, Artifact, ArtifactVisitor, Limits, Origin};
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

struct ReadAll {
    bytes: AtomicU64,
}

impl ArtifactVisitor for ReadAll {
    fn visit(&self, artifact: &Artifact<'_>, content: &mut dyn Read) {
        let _ = artifact.origin.to_string();
        let n = std::io::copy(content, &mut std::io::sink()).unwrap_or(0);
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    fn failed(&self, origin: &Origin, _: Option<String>, _: Option<u64>, reason: String) {
        assert!(!reason.is_empty(), "{origin}: a failure without a reason");
    }
}

fuzz_target!(|data: &[u8]| {
    let name = match data.first() {
        Some(b) if b % 4 == 1 => "EX01-1126.gz",
        Some(b) if b % 4 == 2 => "RECV20261126-1.LOG",
        _ => "EX01-1126.zip",
    };
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join(name);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let limits = Limits {
        max_total_bytes: 32 << 20,
        max_entry_bytes: 8 << 20,
        ratio_floor_bytes: 1 << 20,
        max_in_memory_archive: 1 << 20,
        max_entries: 2000,
        ..Limits::default()
    };
    let visitor = ReadAll {
        bytes: AtomicU64::new(0),
    };
    let plan = discover::plan(&[path], &visitor);
    discover::run(&plan, &limits, &visitor);
    assert!(visitor.bytes.load(Ordering::Relaxed) <= limits.max_total_bytes + data.len() as u64);
});
