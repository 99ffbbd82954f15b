//! `.evtx`: the binary Windows event log, read with random access — from
//! disk, or, for an entry of an archive, from memory when it is small and
//! from a temporary file it is copied to when it is not (never held whole).
//!
//! The pipeline reads it streaming ([`Input::read_into`]): each chunk's
//! catalogued events become their facts (and their `extract` rows, encoded)
//! on the thread that decoded the chunk, and are dropped there; the walk
//! takes the prepared chunks in in file order (records read before set aside)
//! and no chunk is kept ([`EventStream`]: the report's order restored, the
//! facts handed over a part at a time with the record ids they claim): a 1 GB
//! log costs the same memory as a small one.

use super::event_stream::{EventStream, Prepared};
use super::events::{event_log_source, EventRecords};
use super::text::Content;
use super::{Extracted, IngestOptions, Input, Place, Records, RowSink};
use crate::discover::Artifact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::evtx::{self, EventFileReport, EventRecord, EvtxReadOptions};
use exauth_parsers::problem::{Location, Problem};
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};

/// An archive entry up to this size is read into memory; a larger one is
/// copied to a temporary file first.
const IN_MEMORY_ENTRY: usize = 4 << 20;

/// The buffer of a file's reader: the reader asks for 64 KiB chunks (read past the
/// buffer) and, before them, for the 512-byte header of every chunk; a larger buffer
/// would read 8 KiB for each of those.
const READ_BUFFER: usize = 512;

/// The piece an entry is copied to its temporary file in.
const COPY_BUFFER: usize = 1 << 20;

pub struct EvtxInput;

impl Input for EvtxInput {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::EVTX]
    }

    fn source(&self, _kind: Kind, file_name: &str) -> Option<Source> {
        Some(event_log_source(file_name))
    }

    /// The whole report, every catalogued event kept.
    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let report = with_reader(artifact, content.raw(), |reader| {
            evtx::read_evtx_reader(reader, read_options(artifact, options))
        });
        Ok(Box::new(EventRecords::new(report)))
    }

    /// Streaming: the records that come back hold no events.
    fn read_into(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        let row_place = rows.as_ref().map(|(sink, at)| (sink.encoding(), *at));
        let prepare = |events: Vec<EventRecord>| Prepared::new(events, place, row_place);
        let mut stream = EventStream::new(rows);
        let report = with_reader(artifact, content.raw(), |reader| {
            evtx::read_evtx_reader_mapped(
                reader,
                read_options(artifact, options),
                &prepare,
                &mut |prepared, ids| {
                    stream.take(prepared, ids);
                    if stream.evidence.len() >= options.hand_over_at && facts.hand_over.is_some() {
                        stream.hand_over(facts);
                    }
                },
            )
        });
        Ok(Box::new(stream.close(report, facts)))
    }
}

fn read_options(artifact: &Artifact<'_>, options: &IngestOptions) -> EvtxReadOptions {
    let size = artifact.size.unwrap_or(0);
    let threads = if size >= options.big_file_bytes {
        options.threads.max(1)
    } else {
        1
    };
    EvtxReadOptions { threads }
}

/// Runs `read` over the file: on disk, or the archive entry in memory or
/// copied to a temporary file.
fn with_reader(
    artifact: &Artifact<'_>,
    content: &mut dyn Read,
    read: impl FnOnce(EntryReader) -> EventFileReport,
) -> EventFileReport {
    let reader = match artifact.path {
        Some(path) => File::open(path)
            .map(|file| EntryReader::File(BufReader::with_capacity(READ_BUFFER, file)))
            .map_err(|e| format!("cannot open file: {e}")),
        None => spool_entry(content, artifact.size).map_err(|e| format!("cannot read: {e}")),
    };
    match reader {
        Ok(reader) => read(reader),
        Err(reason) => {
            let mut report = EventFileReport::default();
            report.problems.push(Problem::new(Location::File, reason));
            report
        }
    }
}

/// An `.evtx` to read with random access.
enum EntryReader {
    Memory(Cursor<Vec<u8>>),
    File(BufReader<File>),
}

impl Read for EntryReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            EntryReader::Memory(r) => r.read(buf),
            EntryReader::File(r) => r.read(buf),
        }
    }
}

impl Seek for EntryReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            EntryReader::Memory(r) => r.seek(pos),
            EntryReader::File(r) => r.seek(pos),
        }
    }
}

/// An archive entry made seekable: read into memory up to
/// [`IN_MEMORY_ENTRY`] bytes; beyond that, what was read and the rest go to
/// a temporary file (unnamed: removed when closed). When no temporary file
/// can be made, the entry is read into memory (bounded by the per-entry
/// limit of the archive walk).
fn spool_entry(content: &mut dyn Read, size: Option<u64>) -> io::Result<EntryReader> {
    let first = size.map_or(IN_MEMORY_ENTRY, |s| {
        usize::try_from(s)
            .unwrap_or(usize::MAX)
            .min(IN_MEMORY_ENTRY)
    });
    let mut bytes = Vec::with_capacity(first);
    (&mut *content)
        .take(IN_MEMORY_ENTRY as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() <= IN_MEMORY_ENTRY {
        return Ok(EntryReader::Memory(Cursor::new(bytes)));
    }
    let mut file = match tempfile::tempfile() {
        Ok(file) => file,
        Err(_) => {
            content.read_to_end(&mut bytes)?;
            return Ok(EntryReader::Memory(Cursor::new(bytes)));
        }
    };
    io::Write::write_all(&mut file, &bytes)?;
    // The rest in large pieces (a write per 8 KiB costs more than the copy).
    bytes.clear();
    bytes.resize(COPY_BUFFER, 0);
    loop {
        let n = match content.read(&mut bytes) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        io::Write::write_all(&mut file, &bytes[..n])?;
    }
    drop(bytes);
    file.seek(SeekFrom::Start(0))?;
    Ok(EntryReader::File(BufReader::with_capacity(
        READ_BUFFER,
        file,
    )))
}
