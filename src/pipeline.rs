//! The reading half of the pipeline: discover → detect → ingest → evidence.
//!
//! Runs discovery with a visitor that parses every artifact, and gathers
//! per-artifact results behind a mutex. Everything is sorted afterwards, so
//! output never depends on which thread finished first.

use crate::discover::{self, Artifact, ArtifactVisitor, Limits, Origin};
use crate::evidence::from_diag::diag_evidence;
use crate::evidence::from_events::{event_evidence, IdentityHint};
use crate::evidence::from_queue::queue_evidence;
use crate::evidence::from_smtp::{
    keep_for_pairing, pairing_copy, session_evidence, BannerThinning,
};
use crate::evidence::Evidence;
use crate::ingest::{ingest, IngestOptions, Records};
use crate::inventory::{Collector, Inventory};
use crate::progress::Progress;
use exauth_parsers::problem::Problem;
use exauth_parsers::smtp_log::SessionSummary;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;

/// What to keep of each artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Evidence only (scan): records are dropped as soon as they are reduced.
    Evidence,
    /// Records as well (extract).
    Records,
}

/// Everything read from a collection.
#[derive(Debug, Default)]
pub struct Collected {
    pub inventory: Inventory,
    /// Sorted by (time, origin, fact kind).
    pub evidence: Vec<Evidence>,
    /// Identity hints with the server hint of the artifact they came from.
    pub identity_hints: Vec<(Option<String>, IdentityHint)>,
    /// Records per artifact (only with [`Keep::Records`]), sorted by origin.
    pub records: Vec<ArtifactRecords>,
    /// Problems inside files that were read (bad chunks, bad lines).
    pub problems: Vec<(Origin, Problem)>,
    /// Protocol-log sessions per server, kept for clock pairing.
    pub sessions: BTreeMap<String, Vec<SessionSummary>>,
}

/// The records of one artifact, for extract.
#[derive(Debug)]
pub struct ArtifactRecords {
    pub origin: Origin,
    pub server: Option<String>,
    pub records: Records,
}

/// Settings for one reading run.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    pub limits: Limits,
    pub ingest: IngestOptions,
    pub keep: Keep,
    pub progress: bool,
}

struct PipelineVisitor<'p> {
    settings: &'p ReadSettings,
    progress: &'p Progress,
    collector: Collector,
    out: Mutex<Collected>,
}

impl ArtifactVisitor for PipelineVisitor<'_> {
    fn visit(&self, artifact: &Artifact<'_>, content: &mut dyn Read) {
        let ingested = ingest(artifact, content, &self.settings.ingest);
        self.progress.file_done();
        let origin_text = artifact.origin.to_string();
        let mut evidence = Vec::new();
        let mut hints = Vec::new();
        let mut unique_hints = std::collections::BTreeSet::new();
        let server = artifact.server_hint.as_deref();
        let mut pairing = Vec::new();
        match &ingested.records {
            Some(Records::Events(report)) => {
                for event in &report.events {
                    event_evidence(event, &origin_text, server, &mut evidence, &mut hints);
                }
            }
            Some(Records::Smtp { sessions, .. }) => {
                // Big logs keep one connection in 8 for clock pairing; both
                // ends choose the same connections.
                let keep_one_in = if sessions.len() > 4000 { 8 } else { 1 };
                let mut thinning = BannerThinning::default();
                for session in sessions {
                    session_evidence(
                        session,
                        &origin_text,
                        server,
                        &mut thinning,
                        &mut evidence,
                        &mut hints,
                    );
                    if server.is_some() && keep_for_pairing(session, keep_one_in) {
                        pairing.push(pairing_copy(session));
                    }
                }
            }
            Some(Records::Queue(export)) => {
                queue_evidence(export, &origin_text, server, &mut evidence, &mut hints);
            }
            Some(other) => diag_evidence(other, &origin_text, server, &mut evidence, &mut hints),
            None => {}
        }
        unique_hints.extend(hints);
        self.collector.push(ingested.row);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.evidence.extend(evidence);
        if let (Some(server), false) = (server, pairing.is_empty()) {
            out.sessions
                .entry(server.to_string())
                .or_default()
                .extend(pairing);
        }
        out.identity_hints.extend(
            unique_hints
                .into_iter()
                .map(|h| (artifact.server_hint.clone(), h)),
        );
        out.problems.extend(
            ingested
                .problems
                .into_iter()
                .map(|p| (artifact.origin.clone(), p)),
        );
        if let (Keep::Records, Some(records)) = (self.settings.keep, ingested.records) {
            out.records.push(ArtifactRecords {
                origin: artifact.origin.clone(),
                server: artifact.server_hint.clone(),
                records,
            });
        }
    }

    fn failed(
        &self,
        origin: &Origin,
        server_hint: Option<String>,
        size: Option<u64>,
        reason: String,
    ) {
        self.progress.file_done();
        self.collector
            .push(Collector::failed_row(origin, server_hint, size, reason));
    }

    fn progress(&self, bytes: u64) {
        self.progress.bytes_done(bytes);
    }
}

/// Reads everything under `paths`.
pub fn read(paths: &[PathBuf], settings: &ReadSettings) -> Collected {
    let hidden = Progress::hidden();
    let mut visitor = PipelineVisitor {
        settings,
        progress: &hidden,
        collector: Collector::default(),
        out: Mutex::new(Collected::default()),
    };
    let plan = discover::plan(paths, &visitor);
    let progress = Progress::new(plan.total_bytes, settings.progress);
    visitor.progress = &progress;
    discover::run(&plan, &settings.limits, &visitor);
    progress.finish();
    let PipelineVisitor { collector, out, .. } = visitor;
    let mut collected = out.into_inner().unwrap_or_else(|e| e.into_inner());
    collected.inventory = collector.finish();
    // Stable sorts: ties only ever come from one artifact, whose own order
    // is deterministic.
    collected
        .evidence
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    collected.identity_hints.sort();
    collected.identity_hints.dedup();
    collected.records.sort_by(|a, b| a.origin.cmp(&b.origin));
    for sessions in collected.sessions.values_mut() {
        sessions
            .sort_by(|a, b| (a.start, &a.session_id, a.log).cmp(&(b.start, &b.session_id, b.log)));
    }
    collected
        .problems
        .sort_by(|a, b| a.0.cmp(&b.0).then(a.1.location.cmp(&b.1.location)));
    collected
}
