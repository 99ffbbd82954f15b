//! Archives read in place: zip (on disk, nested in memory, or streamed) and gzip.
//!
//! A zip on disk is opened once per worker thread and its entries are read
//! in parallel. A zip inside a zip cannot be seeked, so a small one is read
//! into memory (random access, robust to odd local headers) and a large one is
//! streamed entry by entry from its local headers. Every entry is checked
//! against the limits before a byte is decompressed, and counted while read.

use super::limits::{human_bytes, LimitedReader};
use super::{Origin, Walker};
use exauth_parsers::problem::thousands;
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use zip::read::ZipFile;
use zip::ZipArchive;

/// Reads the entries of a zip file on disk in parallel. Returns the bytes
/// of the file reported as progress so far.
pub(super) fn zip_on_disk(walker: &Walker<'_>, path: &Path, origin: &Origin) -> u64 {
    if origin.depth() >= walker.limits.max_depth {
        walker.failed(origin, None, nesting_reason(walker));
        return 0;
    }
    if walker.entries.spent() {
        walker.failed(origin, None, entries_spent_reason(walker, origin));
        return 0;
    }
    // Opened and its central directory parsed once: every worker reads
    // entries through a clone that shares both.
    let archive = match SharedFile::open(path)
        .map_err(zip::result::ZipError::Io)
        .and_then(ZipArchive::new)
    {
        Ok(archive) => archive,
        Err(e) => {
            walker.failed(origin, None, format!("not a readable zip archive: {e}"));
            return 0;
        }
    };
    let count = archive.len();
    let Some(granted) = take_entries(walker, origin, count) else {
        return 0;
    };
    entries_in_parallel(walker, &archive, granted, origin, |compressed| {
        walker.visitor.progress(compressed)
    })
}

/// Reads the first `granted` entries of `archive`, each a task of its own on
/// the pool, and calls `done` with each one's compressed size. An entry can
/// be most of the work: an ExchangeLogCollector zip holds a server's Send
/// and Receive logs as two nested zips of ~300 MB inflated each, whose own
/// entries are ~10 MB logs; read one entry after another, a 4-server
/// collection ended with one thread reading the last nested zip alone for
/// ~0.2 s of a 1 s run (perf timestamps, taken by hand). The clones share
/// the reader and the parsed central directory. Returns the compressed
/// bytes of the entries read.
fn entries_in_parallel<R: Read + Seek + Clone + Send + Sync>(
    walker: &Walker<'_>,
    archive: &ZipArchive<R>,
    granted: usize,
    origin: &Origin,
    done: impl Fn(u64) + Sync,
) -> u64 {
    let progressed = std::sync::atomic::AtomicU64::new(0);
    (0..granted).into_par_iter().with_max_len(1).for_each_init(
        || archive.clone(),
        |archive, index| {
            let compressed = match archive.by_index_raw(index) {
                Ok(raw) => raw.compressed_size(),
                Err(_) => 0,
            };
            let failure = match archive.by_index(index) {
                Ok(entry) => {
                    zip_entry(walker, entry, origin);
                    None
                }
                Err(e) => Some(e),
            };
            if let Some(e) = failure {
                let (child, reason) = entry_failure(archive, index, origin, &e);
                walker.failed(&child, None, reason);
            }
            done(compressed);
            progressed.fetch_add(compressed, std::sync::atomic::Ordering::Relaxed);
        },
    );
    progressed.into_inner()
}

/// The origin and the reason for an entry that cannot be opened: named by
/// its entry name (read from the raw entry, which an encrypted entry still
/// gives), by its number only when even that fails.
fn entry_failure<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    origin: &Origin,
    error: &zip::result::ZipError,
) -> (Origin, String) {
    let name = archive
        .by_index_raw(index)
        .ok()
        .and_then(|raw| raw.name().ok().map(|n| n.to_string()))
        .filter(|n| !n.is_empty());
    let child = match name {
        Some(name) => origin.child(name),
        None => origin.child(format!("entry #{index}")),
    };
    let reason = match error {
        zip::result::ZipError::UnsupportedArchive(what) if what.contains("assword") => {
            "encrypted zip entry (password protected): not read".to_string()
        }
        zip::result::ZipError::UnsupportedArchive(what) => {
            format!("zip entry in a form exauth cannot read ({what})")
        }
        other => format!("unreadable zip entry: {other}"),
    };
    (child, reason)
}

/// A file on disk read at explicit positions, so that clones (one per
/// worker) share one open file, and the [`ZipArchive`] built over it shares
/// its parsed central directory with its clones — a zip of 200,000 entries
/// is not parsed again for every piece of work rayon hands out.
#[derive(Clone)]
struct SharedFile {
    file: Arc<File>,
    len: u64,
    pos: u64,
}

impl SharedFile {
    fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(SharedFile {
            file: Arc::new(file),
            len,
            pos: 0,
        })
    }
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match pos {
            Some(pos) => {
                self.pos = pos;
                Ok(pos)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

#[cfg(not(any(unix, windows)))]
fn read_at(mut file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    // No positional reads here: one worker at a time moves the cursor.
    static CURSOR: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = CURSOR.lock().unwrap_or_else(|e| e.into_inner());
    file.seek(SeekFrom::Start(at))?;
    file.read(buf)
}

/// A zip found inside another archive (or a gzip stream).
pub(super) fn zip_nested(
    walker: &Walker<'_>,
    reader: &mut dyn Read,
    origin: &Origin,
    size: Option<u64>,
) {
    if origin.depth() >= walker.limits.max_depth {
        walker.failed(origin, size, nesting_reason(walker));
        return;
    }
    let small = size.is_some_and(|s| s <= walker.limits.max_in_memory_archive);
    if small {
        let mut bytes = Vec::with_capacity(size.unwrap_or(0) as usize);
        if let Err(e) = reader.read_to_end(&mut bytes) {
            walker.failed(origin, size, format!("cannot read nested zip: {e}"));
            return;
        }
        zip_in_memory(walker, bytes, origin);
    } else {
        zip_streamed(walker, reader, origin);
    }
}

fn zip_in_memory(walker: &Walker<'_>, bytes: Vec<u8>, origin: &Origin) {
    if walker.entries.spent() {
        walker.failed(origin, None, entries_spent_reason(walker, origin));
        return;
    }
    let archive = match ZipArchive::new(io::Cursor::new(bytes.as_slice())) {
        Ok(archive) => archive,
        Err(e) => {
            walker.failed(origin, None, format!("not a readable zip archive: {e}"));
            return;
        }
    };
    let Some(granted) = take_entries(walker, origin, archive.len()) else {
        return;
    };
    // Progress is the enclosing entry's, reported when it is done.
    entries_in_parallel(walker, &archive, granted, origin, |_| {});
}

fn zip_streamed(walker: &Walker<'_>, mut reader: &mut dyn Read, origin: &Origin) {
    if walker.entries.spent() {
        walker.failed(origin, None, entries_spent_reason(walker, origin));
        return;
    }
    let mut count = 0usize;
    loop {
        match zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(entry)) => {
                if walker.entries.take(1) == 0 {
                    let reason = entries_reason(walker, origin, count, None);
                    walker.failed(origin, None, reason);
                    return;
                }
                count += 1;
                zip_entry(walker, entry, origin);
            }
            Ok(None) => {
                if count == 0 {
                    walker.failed(origin, None, EMPTY_ARCHIVE.into());
                }
                return;
            }
            Err(e) => {
                walker.failed(
                    origin,
                    None,
                    format!("zip stream unreadable after {count} entries: {e}"),
                );
                return;
            }
        }
    }
}

/// Checks one entry against the limits and dispatches it.
fn zip_entry<R: Read>(walker: &Walker<'_>, mut entry: ZipFile<'_, R>, parent: &Origin) {
    if entry.is_dir() {
        return;
    }
    let name = match entry.name() {
        Ok(name) => name.into_owned(),
        Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
    };
    let origin = parent.child(name);
    let declared = entry.size();
    let compressed = entry.compressed_size();
    if entry.is_symlink() {
        walker.failed(
            &origin,
            Some(declared),
            "symbolic link inside an archive: not followed".into(),
        );
        return;
    }
    if let Some(reason) = refuse_entry(walker, declared, compressed) {
        walker.failed(&origin, Some(declared), reason);
        return;
    }
    if let Some(aside) = walker.duplicates.get(&origin) {
        let mut limited = LimitedReader::new(&mut entry, declared, &walker.budget);
        walker.set_aside(&origin, Some(declared), None, &mut limited, aside);
        return;
    }
    // An entry that inflates past what its header declares is lying: stop it
    // there. (A streamed entry with a data descriptor declares 0: use the cap.)
    let cap = match declared {
        0 => walker.limits.max_entry_bytes,
        n => walker.limits.max_entry_bytes.min(n.saturating_add(1)),
    };
    let mut limited = LimitedReader::new(&mut entry, cap, &walker.budget);
    walker.inner_file(&origin, Some(declared), &mut limited);
}

/// Why an entry is refused before reading it, if it is.
fn refuse_entry(walker: &Walker<'_>, declared: u64, compressed: u64) -> Option<String> {
    let limits = walker.limits;
    if declared > limits.max_entry_bytes {
        return Some(format!(
            "declares {} uncompressed, over the per-entry limit of {} (--max-entry-bytes): refused",
            human_bytes(declared),
            human_bytes(limits.max_entry_bytes)
        ));
    }
    if declared > limits.ratio_floor_bytes {
        let ratio = declared / compressed.max(1);
        if ratio > limits.max_ratio {
            return Some(format!(
                "declares {} from {} compressed (ratio {ratio}:1, limit {}:1): zip bomb? refused",
                human_bytes(declared),
                human_bytes(compressed),
                limits.max_ratio
            ));
        }
    }
    None
}

/// A gzip stream: its content is one file named like the stream without `.gz`.
pub(super) fn gzip<R: Read>(walker: &Walker<'_>, reader: R, origin: &Origin, size: Option<u64>) {
    if origin.depth() >= walker.limits.max_depth {
        walker.failed(origin, size, nesting_reason(walker));
        return;
    }
    let name = origin.file_name();
    let inner_name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".GZ"))
        .unwrap_or(name)
        .to_string();
    let inner = origin.child(inner_name);
    let mut decoder = LimitedReader::new(
        MultiGzDecoder::new(reader),
        walker.limits.max_entry_bytes,
        &walker.budget,
    );
    walker.inner_file(&inner, size, &mut decoder);
}

/// The uncompressed size a gzip file on disk declares in its trailer
/// (modulo 4 GiB, as the format stores it).
pub(super) fn gzip_trailer_size(path: &Path) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::End(-4)).ok()?;
    let mut trailer = [0u8; 4];
    file.read_exact(&mut trailer).ok()?;
    Some(u64::from(u32::from_le_bytes(trailer)))
}

fn nesting_reason(walker: &Walker<'_>) -> String {
    format!(
        "archive nested deeper than {} levels (--max-depth): not opened",
        walker.limits.max_depth
    )
}

const EMPTY_ARCHIVE: &str = "empty archive: no entries";

/// Takes an archive's `count` entries from the run's budget: how many of
/// them to read (the first ones), `None` when there is none to read. An
/// empty archive, and one the budget runs out in, is reported by name.
fn take_entries(walker: &Walker<'_>, origin: &Origin, count: usize) -> Option<usize> {
    if count == 0 {
        walker.failed(origin, None, EMPTY_ARCHIVE.into());
        return None;
    }
    let granted = walker.entries.take(count);
    if granted < count {
        let reason = entries_reason(walker, origin, granted, Some(count));
        walker.failed(origin, None, reason);
    }
    (granted > 0).then_some(granted)
}

/// Why an archive opened after the run-wide entry cap was spent is not read.
fn entries_spent_reason(walker: &Walker<'_>, origin: &Origin) -> String {
    format!(
        "the run's limit of {} archive entries (--max-entries) was reached before {}: not opened",
        thousands(walker.entries.limit() as u64),
        origin.file_name()
    )
}

/// Why the rest of an archive is not read: the run-wide entry cap tripped in
/// it, after `read` of its `count` entries (unknown for a streamed one).
fn entries_reason(
    walker: &Walker<'_>,
    origin: &Origin,
    read: usize,
    count: Option<usize>,
) -> String {
    let limit = thousands(walker.entries.limit() as u64);
    let name = origin.file_name();
    let read_text = thousands(read as u64);
    match count {
        Some(count) if read == 0 => format!(
            "the run's limit of {limit} archive entries (--max-entries) was reached in {name}: none of its {} entries read",
            thousands(count as u64)
        ),
        Some(count) => format!(
            "the run's limit of {limit} archive entries (--max-entries) was reached in {name}: {read_text} of its {} entries read, the other {} not",
            thousands(count as u64),
            thousands((count - read) as u64)
        ),
        None => format!(
            "the run's limit of {limit} archive entries (--max-entries) was reached in {name}: its entries after the first {read_text} not read"
        ),
    }
}
