//! Discovery: from the paths a user names to the artifacts inside them.
//!
//! A collection arrives as folders, zips, zips inside zips (ExchangeLogCollector
//! writes a zip per log folder inside a zip per server) and `.gz` files.
//! Discovery walks all of it in place — nothing is ever extracted to disk —
//! recognises each leaf file by content ([`exauth_parsers::detect`]) and hands
//! it, with its [`Origin`] and a server hint, to an [`ArtifactVisitor`]. Files
//! on disk, and entries of a zip on disk, are visited in parallel (rayon).
//!
//! Nothing here aborts the run: an unreadable file, a corrupt archive or a
//! refused zip bomb is reported to the visitor and the walk goes on.

mod archive;
pub mod duplicates;
pub mod limits;
pub mod origin;
pub mod server_hint;

pub use limits::Limits;
pub use origin::Origin;

use exauth_parsers::detect::{self, Detection, Kind, HEAD_LEN};
use limits::{Budget, EntryBudget};
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One leaf file found in the collection, with what detection made of it.
#[derive(Debug)]
pub struct Artifact<'a> {
    pub origin: &'a Origin,
    /// The most specific server name where the file sits suggests
    /// ([`server_hint::server_hint`]): what `inventory` shows. Unless
    /// ExchangeLogCollector's shape names it, it is only a candidate, which
    /// correlation confirms against the collection's content
    /// ([`server_hint::candidates`]).
    pub server_hint: Option<String>,
    /// Decompressed size, when known before reading (not for `.gz`).
    pub size: Option<u64>,
    /// The first bytes of the content (up to [`HEAD_LEN`]).
    pub head: &'a [u8],
    pub detection: Detection,
    /// The file on disk, when the artifact is one (not inside an archive):
    /// parsers that need random access (`.evtx`) open it themselves.
    pub path: Option<&'a Path>,
}

/// Receives what discovery finds. Called from several threads at once.
pub trait ArtifactVisitor: Sync {
    /// An artifact to read. `content` yields the whole file from its first
    /// byte (the head included); a visitor reads as much as it needs.
    fn visit(&self, artifact: &Artifact<'_>, content: &mut dyn Read);

    /// A copy of another artifact, set aside unread
    /// ([`duplicates`]): `artifact` has its first bytes and their detection
    /// (for the inventory), nothing more is read of it.
    fn duplicate(&self, artifact: &Artifact<'_>, set_aside: &duplicates::SetAside);

    /// Something that could not be read or was refused, and why.
    fn failed(
        &self,
        origin: &Origin,
        server_hint: Option<String>,
        size: Option<u64>,
        reason: String,
    );

    /// `bytes` more of the on-disk input have been dealt with.
    fn progress(&self, _bytes: u64) {}
}

/// The files on disk a run will read, found before reading starts so that
/// progress can show a total.
#[derive(Debug, Default)]
pub struct Plan {
    files: Vec<DiskFile>,
    /// Bytes on disk over all files (compressed sizes for archives).
    pub total_bytes: u64,
}

impl Plan {
    pub fn file_count(&self) -> usize {
        self.files.len()
    }
}

#[derive(Debug)]
struct DiskFile {
    path: PathBuf,
    shown: String,
    size: u64,
}

const NOT_REGULAR: &str = "not a regular file (a FIFO, socket or device): not read";

/// Lists the files below `roots` (following symlinks, refusing loops).
/// Problems (missing paths, loops, permissions) go to the visitor.
pub fn plan(roots: &[PathBuf], visitor: &dyn ArtifactVisitor) -> Plan {
    let mut files = Vec::new();
    for root in roots {
        let meta = match std::fs::metadata(root) {
            Ok(meta) => meta,
            Err(e) => {
                visitor.failed(&Origin::file(show(root)), None, None, io_reason(&e));
                continue;
            }
        };
        if meta.is_file() {
            files.push(DiskFile {
                path: root.clone(),
                shown: show(root),
                size: meta.len(),
            });
            continue;
        }
        if !meta.is_dir() {
            visitor.failed(&Origin::file(show(root)), None, None, NOT_REGULAR.into());
            continue;
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(entry) if entry.file_type().is_file() => {
                    let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                    files.push(DiskFile {
                        shown: show(entry.path()),
                        path: entry.into_path(),
                        size,
                    });
                }
                // A FIFO would block the run forever; a device could be endless.
                Ok(entry) if !entry.file_type().is_dir() => {
                    visitor.failed(
                        &Origin::file(show(entry.path())),
                        None,
                        None,
                        NOT_REGULAR.into(),
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    let path = e.path().map(show).unwrap_or_else(|| show(root));
                    let reason = if let Some(ancestor) = e.loop_ancestor() {
                        format!("symlink loop back to {}: not followed", show(ancestor))
                    } else if let Some(io) = e.io_error() {
                        io_reason(io)
                    } else {
                        e.to_string()
                    };
                    visitor.failed(&Origin::file(path), None, None, reason);
                }
            }
        }
    }
    files.sort_by(|a, b| a.shown.cmp(&b.shown));
    files.dedup_by(|a, b| a.path == b.path);
    let total_bytes = files.iter().map(|f| f.size).sum();
    Plan { files, total_bytes }
}

/// Reads every planned file (in parallel on the current rayon pool) and
/// hands each artifact to `visitor`; copies of artifacts read elsewhere in
/// the run ([`duplicates`]) are handed over as such, unread.
pub fn run(plan: &Plan, limits: &Limits, visitor: &dyn ArtifactVisitor) {
    let duplicates = duplicates::Duplicates::find(&plan.files, limits);
    let walker = Walker {
        limits,
        budget: Budget::new(limits.max_total_bytes),
        entries: EntryBudget::new(limits.max_entries),
        visitor,
        duplicates: &duplicates,
    };
    // Largest first, each file a task of its own: a thread free takes the
    // next file, so the threads end on the small files and neither waits
    // long for the other's last one (a zip of a server's logs can hold
    // hundreds of MB). Rayon's default split hands each thread runs of
    // files it reads in turn: four zips listed first could go three to one
    // thread. Files are independent; the run sorts everything it gathers.
    let mut order: Vec<&DiskFile> = plan.files.iter().collect();
    order.sort_by_key(|file| std::cmp::Reverse(file.size));
    order.into_par_iter().with_max_len(1).for_each(|file| {
        walker.disk_file(file);
    });
}

struct Walker<'a> {
    limits: &'a Limits,
    budget: Budget,
    /// Archive entries left for the run (`--max-entries`).
    entries: EntryBudget,
    visitor: &'a dyn ArtifactVisitor,
    /// Artifacts not to read: copies of others.
    duplicates: &'a duplicates::Duplicates,
}

impl Walker<'_> {
    fn disk_file(&self, file: &DiskFile) {
        let origin = Origin::file(file.shown.clone());
        let hint = server_hint::server_hint(&origin);
        if let Some(aside) = self.duplicates.get(&origin) {
            let mut reader: Box<dyn Read> = match File::open(&file.path) {
                Ok(f) => Box::new(f),
                Err(_) => Box::new(io::empty()),
            };
            self.set_aside(
                &origin,
                Some(file.size),
                Some(&file.path),
                &mut reader,
                aside,
            );
            self.visitor.progress(file.size);
            return;
        }
        let mut reader = match File::open(&file.path) {
            Ok(f) => f,
            Err(e) => {
                self.visitor
                    .failed(&origin, hint, Some(file.size), io_reason(&e));
                self.visitor.progress(file.size);
                return;
            }
        };
        let head = match read_head(&mut reader) {
            Ok(head) => head,
            Err(e) => {
                self.visitor
                    .failed(&origin, hint, Some(file.size), io_reason(&e));
                self.visitor.progress(file.size);
                return;
            }
        };
        let detection = detect::detect(&head, origin.file_name());
        match detection.kind {
            Kind::ZIP => {
                let done = archive::zip_on_disk(self, &file.path, &origin);
                self.visitor.progress(file.size.saturating_sub(done));
                return;
            }
            Kind::GZIP => {
                let size = archive::gzip_trailer_size(&file.path);
                let content = io::Cursor::new(head).chain(reader);
                archive::gzip(self, content, &origin, size);
            }
            _ => {
                let artifact = Artifact {
                    origin: &origin,
                    server_hint: hint,
                    size: Some(file.size),
                    head: &head,
                    detection,
                    path: Some(&file.path),
                };
                let mut content = io::Cursor::new(&head[..]).chain(reader);
                self.visitor.visit(&artifact, &mut content);
            }
        }
        self.visitor.progress(file.size);
    }

    /// Detects and dispatches one file that came out of an archive or a gzip
    /// stream. `reader` is positioned at the file's first byte.
    fn inner_file(&self, origin: &Origin, size: Option<u64>, reader: &mut dyn Read) {
        let hint = server_hint::server_hint(origin);
        let head = match read_head(reader) {
            Ok(head) => head,
            Err(e) => {
                self.visitor
                    .failed(origin, hint, size, format!("cannot read: {e}"));
                return;
            }
        };
        let detection = detect::detect(&head, origin.file_name());
        let mut content = io::Cursor::new(&head[..]).chain(reader);
        match detection.kind {
            Kind::ZIP => archive::zip_nested(self, &mut content, origin, size),
            Kind::GZIP => archive::gzip(self, content, origin, None),
            _ => {
                let artifact = Artifact {
                    origin,
                    server_hint: hint,
                    size,
                    head: &head,
                    detection,
                    path: None,
                };
                self.visitor.visit(&artifact, &mut content);
            }
        }
    }

    fn failed(&self, origin: &Origin, size: Option<u64>, reason: String) {
        self.visitor
            .failed(origin, server_hint::server_hint(origin), size, reason);
    }

    /// Hands over a copy set aside: only its first bytes are read, to name
    /// its kind in the inventory.
    fn set_aside(
        &self,
        origin: &Origin,
        size: Option<u64>,
        path: Option<&Path>,
        reader: &mut dyn Read,
        aside: &duplicates::SetAside,
    ) {
        let head = read_head(reader).unwrap_or_default();
        let artifact = Artifact {
            origin,
            server_hint: server_hint::server_hint(origin),
            size,
            head: &head,
            detection: detect::detect(&head, origin.file_name()),
            path,
        };
        self.visitor.duplicate(&artifact, aside);
    }
}

/// Reads up to [`HEAD_LEN`] bytes (fewer only at end of file).
fn read_head(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_LEN);
    reader.take(HEAD_LEN as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn show(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A short reason for an I/O error, without the OS error number noise.
fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
