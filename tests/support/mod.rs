//! What several test files share: a scan through the library, with the
//! pipeline's settings in the test's hands (the binary's are the defaults).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use exauth::correlate::case::{self, CaseSettings};
use exauth::discover::Limits;
use exauth::evidence::aggregate;
use exauth::ingest::IngestOptions;
use exauth::pipeline::{self, Keep, ReadSettings};
use serde_json::Value;
use std::path::PathBuf;

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
