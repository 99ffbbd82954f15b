//! exauth: why do Exchange servers fail to authenticate to each other?
//!
//! The pipeline, one module per stage; a stage imports only the stages
//! before it (`tests/architecture.rs` fails otherwise):
//! `model` (the shared vocabulary) → `progress` → `discover` (walk folders
//! and archives, detect each file by content through the parsers' format
//! registry) → `inventory` (what was found) → `evidence` (the facts) →
//! `ingest` (one input module per format, in one registry: read, coverage
//! source, records → facts, extract rows) → `pipeline` (the reading half, in
//! parallel) → `correlate` (identities, attribution, clocks, incidents, the
//! case) → `diagnose` (one rule per cause) → `report` (sinks) → `synth` →
//! `cli` (every flag; nothing below it reads flags).
#![forbid(unsafe_code)]

pub mod cli;
pub mod correlate;
pub mod diagnose;
pub mod discover;
pub mod evidence;
pub mod ingest;
pub mod inventory;
pub mod model;
pub mod pipeline;
pub mod progress;
pub mod report;

/// The process exit code contract (also in `--help` and the README). Only
/// `scan` answers a question with its exit code; every other command exits 0
/// when it did its job, so that `exauth extract … && next` works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success; for `scan`, no authentication-failure evidence found.
    Success = 0,
    /// 1: `scan` only: authentication-failure evidence found.
    Evidence = 1,
    /// 2: error (bad usage, or nothing readable).
    Error = 2,
}
pub mod synth;
