//! What several test files share: a scan through the library, with the
//! pipeline's settings in the test's hands (the binary's are the defaults).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use exauth::correlate::case::{self, CaseSettings};
use exauth::discover::Limits;
use exauth::evidence::aggregate;
use exauth::ingest::IngestOptions;
use exauth::pipeline::{self, Keep, ReadSettings};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The pipeline's settings a scan of the binary uses, on one thread.
pub fn settings() -> ReadSettings {
    ReadSettings {
        limits: Limits::default(),
        aggregate: aggregate::Limits::default(),
        ingest: IngestOptions::default(),
        keep: Keep::Evidence,
        progress: false,
    }
}

/// The scan document (JSON) of `paths` read with `settings`.
pub fn scan_with(paths: &[PathBuf], settings: &ReadSettings) -> Value {
    let mut collected = pipeline::read(paths, settings);
    case::attribute(&mut collected);
    let inventory = collected.inventory.clone();
    let problems = collected.problems.len();
    let case = case::build(collected, CaseSettings::default());
    let diagnosis = exauth::diagnose::diagnose(&case);
    let report = exauth::report::scan::build(&case, &diagnosis, &inventory, problems);
    serde_json::from_str(&exauth::report::scan::json(&report)).expect("scan JSON")
}

/// The handover-clock-skew sample's failing queue (`EX01\3`, RetryCount 11
/// at 3:56:25 AM) exported `exports` times a minute apart, its RetryCount
/// growing by one each time: `Get-Queue | fl` run in a loop into one file.
/// The first export is the sample's queue as it is.
pub fn looped_queue_exports(exports: u64) -> String {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples/handover-clock-skew/ticket/queue-EX01.txt");
    let text = std::fs::read_to_string(sample).expect("the sample's queue export");
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let queue = text
        .split("\n\n")
        .find(|b| b.contains("Identity                         : EX01\\3"))
        .expect("the sample's failing queue");
    assert!(
        queue.contains("RetryCount                       : 11"),
        "{queue}"
    );
    assert!(exports <= 4, "a minute apart within the hour");
    let runs: Vec<String> = (0..exports)
        .map(|k| {
            queue
                .replace(
                    "RetryCount                       : 11",
                    &format!("RetryCount                       : {}", 11 + k),
                )
                .replace("3:56:25 AM", &format!("3:{}:25 AM", 56 + k))
        })
        .collect();
    runs.join("\n\n") + "\n"
}

/// Copies the folder `from` to `to`, recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
