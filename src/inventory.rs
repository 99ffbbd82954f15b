//! The inventory: one row per artifact found, what it is and whether it is used.
//!
//! This is what an admin checks first ("did it see the Send logs of EX01?"),
//! and what the coverage section of every report is built from.
//!
//! A copy of another artifact (`discover::duplicates`) keeps a row of its
//! own, status `duplicate`, naming the copy that was read.
//!
//! Archive entries that are empty or of no known kind are folded into one
//! counted line per archive once there are more than [`FOLD_OVER`] of them
//! ("199,999 empty entries in c1.zip"): a zip of a million empty files must
//! not cost a million rows. Folding is about the listing only: every such
//! entry was read as before (a text one searched for failure signatures),
//! and one that yielded anything — a failure signature, a read error —
//! keeps its own row.

use crate::discover::duplicates::SetAside;
use crate::discover::{server_hint, Artifact, ArtifactVisitor, Origin};
use exauth_parsers::detect::{self, Disposition, Kind};
use exauth_parsers::problem::thousands;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Mutex;

/// Whether an artifact is read, skipped on purpose, unknown, unreadable, or
/// a copy of another that was read instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Unknown,
    Skipped,
    Error,
    Duplicate,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Unknown,
        Status::Skipped,
        Status::Error,
        Status::Duplicate,
    ];

    pub fn from_id(id: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.id() == id)
    }

    pub fn id(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
            Status::Error => "error",
            Status::Duplicate => "duplicate",
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
    /// Records of this file set aside as copies of records read (earlier in
    /// it, or from another file), in words: `3,012 duplicate events (same
    /// EventRecordID) set aside`. Reading says it; `inventory` reads no
    /// content and never does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_aside: Option<String>,
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
    /// Counted lines among `rows` (each stands for many archive entries of
    /// no known kind, status `unknown`), and the entries they stand for:
    /// the totals count entries, not lines.
    pub counted_lines: u64,
    pub counted_entries: u64,
}

impl Inventory {
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for status in Status::ALL {
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
        // A counted line was counted once above; it stands for its entries.
        let more = self.counted_entries.saturating_sub(self.counted_lines);
        if more > 0 {
            totals.artifacts += more;
            *totals.by_status.entry(Status::Unknown.id()).or_default() += more;
            totals.by_kind.entry(Kind::UNKNOWN.id()).or_default().files += more;
        }
        totals.servers.sort();
        totals.servers.dedup();
        totals
    }

    /// Artifacts listed, a counted line counting for the entries it stands for.
    pub fn artifacts(&self) -> u64 {
        self.rows.len() as u64 + self.counted_entries.saturating_sub(self.counted_lines)
    }

    /// True when at least one artifact is of a kind exauth reads.
    pub fn anything_readable(&self) -> bool {
        self.rows.iter().any(|r| r.status == Status::Ok)
    }
}

/// Archive entries of one kind that keep their own rows up to this many per
/// archive; beyond, they are one counted line.
pub const FOLD_OVER: usize = 100;

/// What folds archive entries into a counted line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fold {
    Empty,
    NoKnownKind,
}

impl Fold {
    /// The fold an inventory row belongs to: an entry inside an archive that
    /// is empty or of no known kind and yielded nothing else (no failure
    /// signature, no read error: its reason is detection's own).
    fn of(row: &Row) -> Option<Fold> {
        if row.origin.depth() == 0 || row.kind != Kind::UNKNOWN || row.status != Status::Unknown {
            return None;
        }
        match row.reason.as_deref()? {
            detect::EMPTY_FILE if row.bytes == 0 => Some(Fold::Empty),
            detect::UNKNOWN_BINARY | detect::UNKNOWN_TEXT => Some(Fold::NoKnownKind),
            _ => None,
        }
    }

    /// `199,999 empty entries in c1.zip`.
    fn line(self, count: u64, archive: &Origin) -> String {
        let what = match self {
            Fold::Empty => "empty entries",
            Fold::NoKnownKind => "entries of no known kind",
        };
        format!("{} {what} in {}", thousands(count), archive.file_name())
    }
}

/// The entries of one fold in one archive: their rows while there are few.
#[derive(Default)]
struct Folding {
    count: u64,
    bytes: u64,
    rows: Vec<Row>,
}

/// Collects inventory rows from discovery (thread-safe).
#[derive(Default)]
pub struct Collector {
    rows: Mutex<Vec<Row>>,
    /// Per (archive, fold): entries that fold once there are many.
    folds: Mutex<BTreeMap<(Origin, Fold), Folding>>,
}

impl Collector {
    pub fn push(&self, row: Row) {
        if let Some((fold, archive)) = Fold::of(&row).zip(row.origin.parent()) {
            let mut folds = self.folds.lock().unwrap_or_else(|e| e.into_inner());
            let folding = folds.entry((archive, fold)).or_default();
            folding.count += 1;
            folding.bytes += row.bytes;
            if folding.count <= FOLD_OVER as u64 {
                folding.rows.push(row);
            } else if !folding.rows.is_empty() {
                folding.rows = Vec::new();
            }
            return;
        }
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
            set_aside: None,
        }
    }

    /// The row of a copy set aside unread: its kind from its first bytes,
    /// the copy read instead as its reason.
    pub fn duplicate_row(artifact: &Artifact<'_>, set_aside: &SetAside) -> Row {
        Row {
            origin: artifact.origin.clone(),
            kind: artifact.detection.kind,
            server: artifact.server_hint.clone(),
            encoding: artifact.detection.encoding.map(|e| e.name()),
            bytes: artifact.size.unwrap_or(0),
            status: Status::Duplicate,
            reason: Some(set_aside.reason()),
            set_aside: None,
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
            set_aside: None,
        }
    }

    pub fn finish(self) -> Inventory {
        let mut rows = self.rows.into_inner().unwrap_or_else(|e| e.into_inner());
        let folds = self.folds.into_inner().unwrap_or_else(|e| e.into_inner());
        let (mut counted_lines, mut counted_entries) = (0, 0);
        for ((archive, fold), folding) in folds {
            if folding.count <= FOLD_OVER as u64 {
                rows.extend(folding.rows);
                continue;
            }
            counted_lines += 1;
            counted_entries += folding.count;
            rows.push(Row {
                server: server_hint::server_hint(&archive),
                reason: Some(fold.line(folding.count, &archive)),
                origin: archive,
                kind: Kind::UNKNOWN,
                encoding: None,
                bytes: folding.bytes,
                status: Status::Unknown,
                set_aside: None,
            });
        }
        rows.sort_by(|a, b| {
            a.origin
                .cmp(&b.origin)
                .then(a.status.cmp(&b.status))
                .then(a.reason.cmp(&b.reason))
        });
        Inventory {
            rows,
            counted_lines,
            counted_entries,
        }
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

    fn duplicate(&self, artifact: &Artifact<'_>, set_aside: &SetAside) {
        self.progress.file_done();
        self.collector
            .push(Collector::duplicate_row(artifact, set_aside));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(origin: Origin, reason: &str, bytes: u64) -> Row {
        Row {
            origin,
            kind: Kind::UNKNOWN,
            server: None,
            encoding: None,
            bytes,
            status: Status::Unknown,
            reason: Some(reason.to_string()),
            set_aside: None,
        }
    }

    /// Issue 18: archive entries that are empty or of no known kind keep
    /// their rows while few, fold into one counted line beyond
    /// [`FOLD_OVER`]; loose files, and entries that yielded something,
    /// never fold; the totals count every entry.
    #[test]
    fn many_empty_or_unknown_entries_fold_into_one_counted_line() {
        let collector = Collector::default();
        let big = Origin::file("x/c1.zip");
        let small = Origin::file("x/c2.zip");
        for i in 0..150_000 {
            collector.push(unknown(big.child(format!("e{i}")), detect::EMPTY_FILE, 0));
        }
        for i in 0..FOLD_OVER + 1 {
            collector.push(unknown(
                big.child(format!("b{i}")),
                detect::UNKNOWN_BINARY,
                3,
            ));
        }
        for i in 0..FOLD_OVER {
            collector.push(unknown(
                small.child(format!("t{i}")),
                detect::UNKNOWN_TEXT,
                1,
            ));
        }
        let signature = format!(
            "{}; 1 line with a failure signature (454 4.7.0, 451 5.7.3, 1035/2017 text) read from it",
            detect::UNKNOWN_TEXT
        );
        collector.push(unknown(big.child("note.txt"), &signature, 9));
        collector.push(unknown(Origin::file("x/empty.txt"), detect::EMPTY_FILE, 0));
        let inventory = collector.finish();

        let of = |origin: &Origin| -> Vec<&str> {
            inventory
                .rows
                .iter()
                .filter(|r| &r.origin == origin)
                .filter_map(|r| r.reason.as_deref())
                .collect()
        };
        assert_eq!(
            of(&big),
            [
                "101 entries of no known kind in c1.zip",
                "150,000 empty entries in c1.zip"
            ]
        );
        assert_eq!(of(&big.child("note.txt")), [signature.as_str()]);
        assert_eq!(of(&Origin::file("x/empty.txt")), [detect::EMPTY_FILE]);
        assert_eq!(
            inventory
                .rows
                .iter()
                .filter(|r| r.origin.parent().as_ref() == Some(&small))
                .count(),
            FOLD_OVER
        );
        assert_eq!(inventory.rows.len(), 2 + 1 + 1 + FOLD_OVER);
        let totals = inventory.totals();
        let all = 150_000 + FOLD_OVER as u64 + 1 + FOLD_OVER as u64 + 2;
        assert_eq!(totals.artifacts, all);
        assert_eq!(inventory.artifacts(), all);
        assert_eq!(totals.by_status["unknown"], all);
        assert_eq!(totals.by_kind["unknown"].files, all);
        let counted = inventory.rows.iter().find(|r| r.origin == big).unwrap();
        assert_eq!(counted.bytes, 3 * (FOLD_OVER as u64 + 1));
    }
}
