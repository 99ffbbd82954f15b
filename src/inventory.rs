//! The inventory: one row per artifact found, what it is and whether it is used.
//!
//! This is what an admin checks first ("did it see the Send logs of EX01?"),
//! and what the coverage section of every report is built from.

use crate::discover::{Artifact, ArtifactVisitor, Origin};
use exauth_parsers::detect::{Disposition, Kind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Mutex;

/// Whether an artifact is read, skipped on purpose, unknown, or unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Unknown,
    Skipped,
    Error,
}

impl Status {
    pub fn from_id(id: &str) -> Option<Status> {
        [Status::Ok, Status::Unknown, Status::Skipped, Status::Error]
            .into_iter()
            .find(|s| s.id() == id)
    }

    pub fn id(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
            Status::Error => "error",
        }
    }
}

/// One artifact of the collection. Field order is the JSON key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub origin: Origin,
    pub kind: Kind,
    pub server: Option<String>,
    pub encoding: Option<&'static str>,
    pub bytes: u64,
    pub status: Status,
    pub reason: Option<String>,
}

/// Per-kind totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindTotal {
    pub files: u64,
    pub bytes: u64,
}

/// Totals over the whole inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub artifacts: u64,
    pub bytes: u64,
    pub servers: Vec<String>,
    pub by_status: BTreeMap<&'static str, u64>,
    pub by_kind: BTreeMap<&'static str, KindTotal>,
}

/// Every artifact, sorted by origin so that output never depends on which
/// thread finished first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub rows: Vec<Row>,
}

impl Inventory {
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for status in [Status::Ok, Status::Unknown, Status::Skipped, Status::Error] {
            totals.by_status.insert(status.id(), 0);
        }
        for row in &self.rows {
            totals.artifacts += 1;
            totals.bytes += row.bytes;
            *totals.by_status.entry(row.status.id()).or_default() += 1;
            let kind = totals.by_kind.entry(row.kind.id()).or_default();
            kind.files += 1;
            kind.bytes += row.bytes;
            if let Some(server) = &row.server {
                totals.servers.push(server.clone());
            }
        }
        totals.servers.sort();
        totals.servers.dedup();
        totals
    }

    /// True when at least one artifact is of a kind exauth reads.
    pub fn anything_readable(&self) -> bool {
        self.rows.iter().any(|r| r.status == Status::Ok)
    }
}

/// Collects inventory rows from discovery (thread-safe).
#[derive(Default)]
pub struct Collector {
    rows: Mutex<Vec<Row>>,
}

impl Collector {
    pub fn push(&self, row: Row) {
        self.rows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(row);
    }

    /// The row for an artifact discovery handed over, before any parsing.
    pub fn row_for(artifact: &Artifact<'_>, content: &mut dyn Read) -> Row {
        let detection = &artifact.detection;
        let (status, mut reason) = match detection.disposition {
            Disposition::Used => (Status::Ok, None),
            Disposition::Skipped => (Status::Skipped, detection.reason.clone()),
            Disposition::Unknown => (Status::Unknown, detection.reason.clone()),
        };
        // Size unknown up front (a gzip stream inside an archive): count it.
        let bytes = match artifact.size {
            Some(size) => size,
            None => match io::copy(content, &mut io::sink()) {
                Ok(n) => n,
                Err(e) => {
                    reason = Some(format!("cannot read to the end: {e}"));
                    0
                }
            },
        };
        let status = if reason.is_some() && status == Status::Ok {
            Status::Error
        } else {
            status
        };
        Row {
            origin: artifact.origin.clone(),
            kind: detection.kind,
            server: artifact.server_hint.clone(),
            encoding: detection.encoding.map(|e| e.name()),
            bytes,
            status,
            reason,
        }
    }

    pub fn failed_row(
        origin: &Origin,
        server_hint: Option<String>,
        size: Option<u64>,
        reason: String,
    ) -> Row {
        Row {
            origin: origin.clone(),
            kind: Kind::UNKNOWN,
            server: server_hint,
            encoding: None,
            bytes: size.unwrap_or(0),
            status: Status::Error,
            reason: Some(reason),
        }
    }

    pub fn finish(self) -> Inventory {
        let mut rows = self.rows.into_inner().unwrap_or_else(|e| e.into_inner());
        rows.sort_by(|a, b| a.origin.cmp(&b.origin).then(a.status.cmp(&b.status)));
        Inventory { rows }
    }
}

/// The visitor `exauth inventory` runs: detection only, headers only.
pub struct InventoryVisitor<'p> {
    pub collector: Collector,
    pub progress: &'p crate::progress::Progress,
}

impl ArtifactVisitor for InventoryVisitor<'_> {
    fn visit(&self, artifact: &Artifact<'_>, content: &mut dyn Read) {
        self.progress.file_done();
        self.collector.push(Collector::row_for(artifact, content));
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
