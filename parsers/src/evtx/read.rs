//! Reading one `.evtx` file: chunks in parallel, records through the fast BinXML reader,
//! the crate's rendering as the fallback, damage as problems.
//!
//! Why our own chunk scheduling: the crate's record pipeline spawns onto rayon's global
//! pool, whatever `num_threads` says; a caller that budgets threads needs the pool it
//! runs in (or one of exactly that size). Chunks are read in the crate's order (oldest
//! first, wrapped logs and understated chunk counts included), into buffers that are
//! reused. With several threads, a batch of chunks is read and decoded on the pool
//! while the calling thread takes in the batch before it, in walk order (events handed
//! over, repeated chunks set aside, counts merged): one file keeps every thread busy,
//! and the output never depends on thread timing.

use super::binxml::{self, RecordView, TemplateCache, Unsupported};
use super::catalog::{
    all_provider_names, any_family_has_id, audit_success, classify, AuditOutcome, AuditSuccess,
    Family,
};
use super::records::{EventRecord, TimeProvenance};
use super::{outcome_items, DataItem, EventFileReport, RawEvent, ReportBuilder};
use crate::problem::{thousands as group, Location, Problem};
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex};

const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;
const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0x00, 0x00];

/// How to read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvtxReadOptions {
    /// Worker threads for this file (0 = one per available core). Capped at the
    /// available cores. Pass 1 when the caller already reads several files in parallel.
    pub threads: usize,
}

impl Default for EvtxReadOptions {
    fn default() -> Self {
        EvtxReadOptions { threads: 1 }
    }
}

/// Read the `.evtx` file at `path`. An unreadable file is a problem in the report.
pub fn read_evtx_path(path: &Path, options: EvtxReadOptions) -> EventFileReport {
    match std::fs::File::open(path) {
        Ok(file) => read_evtx_reader(std::io::BufReader::new(file), options),
        Err(e) => {
            let mut report = ReportBuilder::default();
            report.problems.push(Problem::new(
                Location::File,
                format!("cannot open file: {e}"),
            ));
            report.finish()
        }
    }
}

/// Read a `.evtx` held in memory (e.g. taken out of a zip archive).
pub fn read_evtx_bytes(bytes: &[u8], options: EvtxReadOptions) -> EventFileReport {
    read_evtx_reader(std::io::Cursor::new(bytes), options)
}

/// Read a `.evtx` from any seekable reader.
pub fn read_evtx_reader<R: Read + Seek + Send>(
    reader: R,
    options: EvtxReadOptions,
) -> EventFileReport {
    read_with::<R, Vec<EventRecord>>(reader, options, None, None)
}

/// Read a `.evtx` from any seekable reader, handing the catalogued events to `each` a
/// batch at a time as they are read, in the file's record order (chunk by chunk,
/// unsorted), instead of keeping them: memory stays flat however large the file. The
/// report that comes back holds everything else (counts, problems) and no events. To
/// put the events in the order [`read_evtx_reader`] gives them, sort them (stably) by
/// [`super::event_order`].
pub fn read_evtx_reader_each<R: Read + Seek + Send>(
    reader: R,
    options: EvtxReadOptions,
    each: &mut dyn FnMut(Vec<EventRecord>),
) -> EventFileReport {
    read_evtx_reader_mapped(reader, options, &|events| events, &mut |events, _| {
        if let Some(events) = events {
            each(events)
        }
    })
}

/// The record ids of the records read of a chunk, as the sorted, disjoint ranges they
/// fill (one, unless a record was unreadable or the ids skip): what the chunk claims of
/// its log, for telling overlapping copies of a log apart a chunk at a time (a file read
/// whole or a part at a time claims the same runs; [`EventFileReport::record_ids`] is the
/// whole file's range, when it has no gap). Empty when no record was read.
pub type ChunkIds = Vec<(u64, u64)>;

/// What [`read_evtx_reader_mapped`] makes of one chunk's catalogued events.
pub type MapEvents<'m, T> = dyn Fn(Vec<EventRecord>) -> T + Sync + 'm;

/// [`read_evtx_reader_each`], with each chunk's catalogued events first made into a `T`
/// by `map` on the thread that decoded the chunk (with several threads, on the pool, a
/// batch ahead of the walk, in any order), and the `T`s handed to `each` on the calling
/// thread in the order `read_evtx_reader_each` hands the events over (a chunk set aside
/// as a repeat hands nothing over). The events are dropped on the thread that made
/// them; only what `map` keeps crosses threads, and the work of `map` is spread over
/// the threads with the decoding. `each` is called for every chunk taken in, with its
/// `T` when it has catalogued events, and its [`ChunkIds`].
pub fn read_evtx_reader_mapped<R: Read + Seek + Send, T: Send>(
    reader: R,
    options: EvtxReadOptions,
    map: &MapEvents<'_, T>,
    each: &mut dyn FnMut(Option<T>, ChunkIds),
) -> EventFileReport {
    read_with(reader, options, Some(map), Some(each))
}

fn read_with<R: Read + Seek + Send, T: Send>(
    mut reader: R,
    options: EvtxReadOptions,
    map: Option<&MapEvents<'_, T>>,
    mut each: Option<&mut dyn FnMut(Option<T>, ChunkIds)>,
) -> EventFileReport {
    let mut report = ReportBuilder::default();
    let len = match reader.seek(SeekFrom::End(0)).and_then(|len| {
        reader.seek(SeekFrom::Start(0))?;
        Ok(len)
    }) {
        Ok(len) => len,
        Err(e) => {
            report.problems.push(Problem::new(
                Location::File,
                format!("cannot read file: {e}"),
            ));
            return report.finish();
        }
    };
    if len == 0 {
        report.problems.push(Problem::new(
            Location::File,
            "empty file (0 bytes): no event log header",
        ));
        return report.finish();
    }
    let threads = effective_threads(options.threads);
    let settings = ParserSettings::new()
        .num_threads(threads)
        .validate_checksums(false);
    // The crate reads and checks the file header; the chunks we read ourselves, into
    // buffers that are reused (a fresh 64 KiB buffer per chunk costs page faults and
    // allocator work comparable to reading the records).
    let (header_chunks, header_block_size) = match EvtxParser::from_read_seek(&mut reader) {
        Ok(parser) => {
            check_file_header(parser.header(), len, &mut report);
            (
                u64::from(parser.header().chunk_count),
                u64::from(parser.header().header_block_size),
            )
        }
        Err(e) => {
            report.problems.push(Problem::new(
                Location::File,
                format!(
                    "not a readable .evtx file ({len} bytes): {}",
                    error_chain(&e)
                ),
            ));
            return report.finish();
        }
    };
    let calculated = len.saturating_sub(header_block_size) / CHUNK_SIZE;
    let first_pass_end = ChunkWalk::first_pass_end(len, calculated);
    let reading = Reading {
        source: Mutex::new(reader),
        settings: Arc::new(settings),
        calculated,
        buffers: Mutex::new(Vec::new()),
    };
    let mut walked = Walked {
        report,
        repeats: Repeats::default(),
        header_chunks,
        past_header: 0,
        oldest: 0,
        first_pass_over: false,
    };
    // Inside a pool (the CLI runs in one of `--threads` workers), its other workers
    // help; outside, a pool of `threads`.
    let pool = (threads > 1 && rayon::current_thread_index().is_none())
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .ok()
        })
        .flatten();
    if threads > 1 && (pool.is_some() || rayon::current_num_threads() > 1) {
        let pool = pool.as_ref();
        read_pipelined(first_pass_end, &reading, &mut walked, pool, map, &mut each);
    } else {
        let walk = ChunkWalk {
            first_pass_end,
            oldest: reading.oldest_chunk(),
        };
        walked.oldest = walk.oldest;
        let mut templates = TemplateCache::default();
        for number in walk {
            if walked.skips(number) {
                continue;
            }
            let decoded = reading.decode(number, &mut templates, map);
            walked.take(decoded, &reading, &mut each);
        }
    }
    walked.finish()
}

/// Chunks read and decoded per batch when reading on several threads, and per task.
const CHUNKS_PER_BATCH: usize = 64;
const CHUNKS_PER_RUN: usize = 8;

/// Reading on several threads: each batch of chunks is read and decoded on the pool
/// (and its events mapped) while the calling thread takes in the batch before it (in
/// walk order: events handed over, repeats set aside, counts merged), then helps with
/// what is left of the batch. Two batches are in memory at most; the result is the
/// one-thread result. The first batch of a walk from chunk 0 (a log that has not
/// wrapped) is decoded while the calling thread looks for the oldest chunk; it is
/// dropped if the walk starts elsewhere.
fn read_pipelined<R: Read + Seek + Send, T: Send>(
    first_pass_end: u64,
    reading: &Reading<R>,
    walked: &mut Walked,
    pool: Option<&rayon::ThreadPool>,
    map: Option<&MapEvents<'_, T>>,
    each: &mut Option<&mut dyn FnMut(Option<T>, ChunkIds)>,
) {
    let decode_batch = |numbers: Vec<u64>| -> Vec<Decoded<T>> {
        // A run of chunks per task, for its templates to carry over; every run can be
        // taken by an idle thread (without the bound, rayon splits a batch into
        // pieces of several runs, and one thread finishes a piece alone while the
        // other waits at the end of the batch).
        let runs: Vec<Vec<Decoded<T>>> = numbers
            .par_chunks(CHUNKS_PER_RUN)
            .with_max_len(1)
            .map(|run| {
                let mut templates = TemplateCache::default();
                run.iter()
                    .map(|number| reading.decode(*number, &mut templates, map))
                    .collect()
            })
            .collect();
        runs.into_iter().flatten().collect()
    };
    let guess: Vec<u64> = (0..first_pass_end).take(CHUNKS_PER_BATCH).collect();
    let mut first: Vec<Decoded<T>> = Vec::new();
    let oldest = in_scope(pool, |scope| {
        let first = &mut first;
        let guess = guess.clone();
        scope.spawn(move |_| *first = decode_batch(guess));
        reading.oldest_chunk()
    });
    walked.oldest = oldest;
    let walk = ChunkWalk {
        first_pass_end,
        oldest,
    };
    let mut numbers = walk.into_iter();
    let mut pending: Vec<Decoded<T>> = Vec::new();
    if oldest == 0 {
        // The walk's first batch: the one decoded.
        numbers.by_ref().take(guess.len()).for_each(drop);
        pending = first;
    } else {
        first.into_iter().for_each(|d| reading.give_back(d.buffer));
    }
    loop {
        let next: Vec<u64> = numbers.by_ref().take(CHUNKS_PER_BATCH).collect();
        if next.is_empty() && pending.is_empty() {
            return;
        }
        let mut decoded: Vec<Decoded<T>> = Vec::new();
        let done = std::mem::take(&mut pending);
        in_scope(pool, |scope| {
            if !next.is_empty() {
                let decoded = &mut decoded;
                scope.spawn(move |_| *decoded = decode_batch(next));
            }
            for d in done {
                walked.take(d, reading, each);
            }
        });
        pending = decoded;
    }
}

fn effective_threads(requested: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        0 => cores,
        n => n.min(cores),
    }
}

fn check_file_header(header: &evtx::EvtxFileHeader, len: u64, report: &mut ReportBuilder) {
    if !header.validate_checksum() {
        report.problems.push(Problem::new(
            Location::Offset(0),
            format!(
                "file header CRC32 invalid (stored {:#010x}, computed {:#010x}); chunks read anyway",
                header.checksum, header.computed_checksum
            ),
        ));
    }
    if len < FILE_HEADER_SIZE {
        report.problems.push(Problem::new(
            Location::Offset(len),
            format!(
                "file truncated: it ends {} bytes into its {}-byte header, before any chunk",
                group(len),
                group(FILE_HEADER_SIZE)
            ),
        ));
        return;
    }
    // A file cut short inside a chunk: that chunk reports it (see `read_cut_chunk`). Cut
    // at a chunk boundary, only the header's chunk count tells.
    let chunk_bytes = len - FILE_HEADER_SIZE;
    let present = chunk_bytes.div_ceil(CHUNK_SIZE);
    let counted = u64::from(header.chunk_count);
    if counted > present {
        let missing = counted - present;
        let held = if present == 0 {
            "the file ends after the header".to_string()
        } else if chunk_bytes % CHUNK_SIZE == 0 {
            format!("the file ends after {present}")
        } else {
            format!("the file holds {present} (the last one incomplete)")
        };
        let missing = match (present, missing) {
            (0, 1) => "it is missing".to_string(),
            (0, n) => format!("all {n} are missing"),
            (_, 1) => "the last chunk is missing".to_string(),
            (_, n) => format!("the last {n} chunks are missing"),
        };
        report.problems.push(Problem::new(
            Location::Offset(len),
            format!("file truncated: its header counts {counted} chunks, {held}; {missing}"),
        ));
    }
}

/// `n` and the noun, singular or plural ("1 record", "2 records").
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A scope on `pool`, else on the pool the calling thread is in (or the global one),
/// whose closure runs on the calling thread.
fn in_scope<'s, T>(pool: Option<&rayon::ThreadPool>, op: impl FnOnce(&rayon::Scope<'s>) -> T) -> T {
    match pool {
        Some(pool) => pool.in_place_scope(op),
        None => rayon::in_place_scope(op),
    }
}

/// The chunk numbers in the order the crate's `EvtxParser::chunks` reads them: from the
/// chunk holding the oldest records to the end of the file, past the header's chunk
/// count while chunks are readable (the first pass, which ends at the first chunk at or
/// past that count that cannot be read whole, see [`Walked::take`]), then from the start
/// to the oldest (a wrapped log). All-zero chunks are skipped; when the file ends inside
/// a chunk, what it has of that chunk is read by [`read_cut_chunk`].
struct ChunkWalk {
    /// Where the first pass stops at the latest: the first chunk wholly past the end of
    /// the file (none past it can be read), or the one after the calculated chunks.
    first_pass_end: u64,
    oldest: u64,
}

impl ChunkWalk {
    /// The field of that name, for a file of `len` bytes.
    fn first_pass_end(len: u64, calculated: u64) -> u64 {
        let present = len.saturating_sub(FILE_HEADER_SIZE).div_ceil(CHUNK_SIZE);
        present.max(calculated.saturating_add(1))
    }
}

impl IntoIterator for ChunkWalk {
    type Item = u64;
    type IntoIter = std::iter::Chain<std::ops::Range<u64>, std::ops::Range<u64>>;

    fn into_iter(self) -> Self::IntoIter {
        (self.oldest..self.first_pass_end).chain(0..self.oldest)
    }
}

/// What the threads share to read chunks: the file (read a chunk at a time), the
/// crate's settings, and buffers to reuse.
struct Reading<R> {
    source: Mutex<R>,
    settings: Arc<ParserSettings>,
    /// Whole chunks the file's size allows.
    calculated: u64,
    buffers: Mutex<Vec<Vec<u8>>>,
}

/// One chunk read and decoded, with its buffer for reuse.
struct Decoded<T> {
    number: u64,
    outcome: Outcome,
    buffer: Option<Vec<u8>>,
    /// Its catalogued events made into a `T`, when they go to a map (none: no events).
    mapped: Option<T>,
}

enum Outcome {
    /// A whole chunk, read: to set aside if it repeats one read before it.
    Whole(ReportBuilder),
    /// A chunk that could not be read (the problem says why).
    Failed(ReportBuilder),
    /// The chunk the file ends in: the walk's first pass ends after it.
    Cut(ReportBuilder),
    /// An all-zero chunk (unused, in the middle of a dirty file): skipped.
    Empty,
    /// No chunk there: the walk's first pass ends.
    End,
}

impl Outcome {
    fn report_mut(&mut self) -> Option<&mut ReportBuilder> {
        match self {
            Outcome::Whole(out) | Outcome::Failed(out) | Outcome::Cut(out) => Some(out),
            Outcome::Empty | Outcome::End => None,
        }
    }
}

impl<R: Read + Seek> Reading<R> {
    /// Read chunk `number` into `buffer` (see [`read_chunk_bytes`]).
    fn read(&self, number: u64, buffer: &mut Vec<u8>) -> Result<(), evtx::err::ChunkError> {
        let mut source = self.source.lock().unwrap_or_else(|e| e.into_inner());
        read_chunk_bytes(&mut *source, number, buffer)
    }

    /// Read chunk `number` and its records (with the templates of the chunks before it
    /// in the run); its events, if any, go through `map` when there is one.
    fn decode<T>(
        &self,
        number: u64,
        templates: &mut TemplateCache,
        map: Option<&MapEvents<'_, T>>,
    ) -> Decoded<T> {
        let mut buffer = self
            .buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        let read = self.read(number, &mut buffer);
        // A chunk that could not be read: the problem, as the crate says it.
        let failed = |e: evtx::err::ChunkError, templates: &mut TemplateCache| {
            let error = EvtxError::FailedToParseChunk {
                chunk_id: number,
                source: Box::new(e),
            };
            Outcome::Failed(read_chunk_guarded(Err(error), &self.settings, templates).0)
        };
        let (outcome, buffer) = match read {
            // The file ends inside this chunk: what there is of it.
            Err(_) if number == self.calculated && !buffer.is_empty() => {
                let (out, buffer) = read_cut_chunk(number, buffer, &self.settings, templates);
                (Outcome::Cut(out), buffer)
            }
            // Past the chunks the file size allows, a failure is the end.
            Err(_) if number >= self.calculated => (Outcome::End, Some(buffer)),
            Err(e) => (failed(e, templates), Some(buffer)),
            Ok(()) if buffer.iter().all(|b| *b == 0) => (Outcome::Empty, Some(buffer)),
            Ok(()) => match EvtxChunkData::new(buffer, false) {
                Ok(mut chunk) => {
                    chunk.number = Some(number);
                    let (out, buffer) = read_chunk_guarded(Ok(chunk), &self.settings, templates);
                    (Outcome::Whole(out), buffer)
                }
                Err(e) => (failed(e, templates), None),
            },
        };
        let mut outcome = outcome;
        let mapped = match (map, outcome.report_mut()) {
            (Some(map), Some(out)) if !out.events.is_empty() => {
                Some(map(std::mem::take(&mut out.events)))
            }
            _ => None,
        };
        Decoded {
            number,
            outcome,
            buffer,
            mapped,
        }
    }

    /// The chunk holding the oldest records (the lowest first record id of a chunk
    /// header whose range is not reversed), where the crate starts reading; 0 when none
    /// is found. The file is locked a header at a time (chunks may be read meanwhile).
    fn oldest_chunk(&self) -> u64 {
        let mut oldest = (u64::MAX, 0);
        let mut header = [0; CHUNK_HEADER_SIZE];
        for number in 0..self.calculated {
            let read = {
                let mut source = self.source.lock().unwrap_or_else(|e| e.into_inner());
                source.seek(SeekFrom::Start(chunk_offset(number))).is_ok()
                    && source.read_exact(&mut header).is_ok()
            };
            if !read {
                break;
            }
            if let Ok(chunk) = evtx::EvtxChunkHeader::from_bytes(&header) {
                if chunk.first_event_record_id <= chunk.last_event_record_id
                    && chunk.first_event_record_id < oldest.0
                {
                    oldest = (chunk.first_event_record_id, number);
                }
            }
        }
        oldest.1
    }

    fn give_back(&self, buffer: Option<Vec<u8>>) {
        if let Some(buffer) = buffer {
            self.buffers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(buffer);
        }
    }
}

/// What the walk has taken in so far, in walk order.
struct Walked {
    report: ReportBuilder,
    repeats: Repeats,
    header_chunks: u64,
    /// Chunks with records past the header's chunk count.
    past_header: u64,
    oldest: u64,
    first_pass_over: bool,
}

impl Walked {
    /// True for a chunk of the first pass after its end: not to be read.
    fn skips(&self, number: u64) -> bool {
        self.first_pass_over && number >= self.oldest
    }

    /// Take in the next chunk of the walk: its mapped events, when it is taken in, go to
    /// `each` (there are none without a map).
    fn take<R: Read + Seek, T>(
        &mut self,
        decoded: Decoded<T>,
        reading: &Reading<R>,
        each: &mut Option<&mut dyn FnMut(Option<T>, ChunkIds)>,
    ) {
        let Decoded {
            number,
            outcome,
            buffer,
            mapped,
        } = decoded;
        let mut ids = Vec::new();
        let taken = !self.skips(number)
            && match outcome {
                Outcome::Whole(mut out) => {
                    let repeat = buffer
                        .as_deref()
                        .is_some_and(|data| self.repeats.is_repeat(number, data, reading));
                    if !repeat {
                        if number >= self.header_chunks {
                            self.past_header += 1;
                        }
                        self.repeats.read(number, out.records_read);
                        ids = out.chunk_ranges();
                        self.report.merge(out);
                    }
                    !repeat
                }
                Outcome::Failed(mut out) => {
                    ids = out.chunk_ranges();
                    self.report.merge(out);
                    true
                }
                Outcome::Cut(mut out) => {
                    ids = out.chunk_ranges();
                    self.report.merge(out);
                    self.first_pass_over = true;
                    true
                }
                Outcome::Empty => false,
                Outcome::End => {
                    self.first_pass_over = true;
                    false
                }
            };
        if let (true, Some(each)) = (taken, each) {
            each(mapped, ids);
        }
        reading.give_back(buffer);
    }

    fn finish(self) -> EventFileReport {
        let Walked {
            mut report,
            repeats,
            header_chunks,
            past_header,
            ..
        } = self;
        report.repeated_chunks = repeats.of.len() as u64;
        report.duplicate_records = repeats.records();
        if past_header > 0 {
            report.problems.push(Problem::new(
                Location::Offset(0),
                format!(
                    "file header understates the chunk count ({header_chunks}); \
                     {past_header} more chunks with records were read"
                ),
            ));
        }
        report.finish()
    }
}

/// Read chunk `number` into `buffer` (64 KiB), as the crate reads it. On an incomplete
/// chunk, `buffer` holds what the file has of it.
fn read_chunk_bytes<R: Read + Seek>(
    reader: &mut R,
    number: u64,
    buffer: &mut Vec<u8>,
) -> Result<(), evtx::err::ChunkError> {
    if let Err(e) = reader.seek(SeekFrom::Start(chunk_offset(number))) {
        buffer.clear();
        return Err(evtx::err::ChunkError::FailedToSeekToChunk(e));
    }
    // Read over what the buffer held: a reused buffer is not zeroed again (reading to
    // the end of a cleared buffer zeroes its 64 KiB first, 2.7 % of `extract`'s CPU
    // on a 1 GB log).
    buffer.resize(CHUNK_SIZE as usize, 0);
    let mut read = 0;
    while read < buffer.len() {
        match reader.read(&mut buffer[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => {
                // A read error is not an end of file: nothing of the chunk is kept.
                buffer.clear();
                return Err(evtx::err::ChunkError::IncompleteChunk);
            }
        }
    }
    buffer.truncate(read);
    if read as u64 != CHUNK_SIZE {
        return Err(evtx::err::ChunkError::IncompleteChunk);
    }
    Ok(())
}

/// Chunks that repeat an earlier chunk of the file byte for byte (a copy of a log
/// stitched together twice, a chunk written again): set aside unread, in walk order.
/// Two chunks can be the same only when their headers are: the header's record
/// numbers, ids, offsets and both CRC32s (of the header and of the records) are the
/// key, and only chunks with the same key are told apart by their xxh3-128 (an earlier
/// chunk is read again for it). What each whole chunk yielded is kept (4 bytes per
/// chunk) to count the records a repeat would have counted again.
#[derive(Default)]
struct Repeats {
    /// Header bytes 8..128 → the chunks walked with them, and their hash once needed.
    seen: std::collections::HashMap<[u8; 120], Vec<(u64, Option<u128>)>>,
    /// Per repeat, the chunk it repeats.
    of: Vec<u64>,
    /// Records read per chunk number.
    records: Vec<u32>,
}

impl Repeats {
    /// True when chunk `number` (`data`) repeats a chunk walked before it.
    fn is_repeat<R: Read + Seek>(
        &mut self,
        number: u64,
        data: &[u8],
        reading: &Reading<R>,
    ) -> bool {
        let Some(key) = data.get(8..128).and_then(|k| <[u8; 120]>::try_from(k).ok()) else {
            return false;
        };
        let same = self.seen.entry(key).or_default();
        if same.is_empty() {
            same.push((number, None));
            return false;
        }
        let hash = xxhash_rust::xxh3::xxh3_128(data);
        for (first, first_hash) in same.iter_mut() {
            let first_hash = *first_hash.get_or_insert_with(|| {
                let mut bytes = Vec::new();
                // A chunk that cannot be read again hashes as what was read of it.
                let _ = reading.read(*first, &mut bytes);
                xxhash_rust::xxh3::xxh3_128(&bytes)
            });
            if first_hash == hash && *first != number {
                self.of.push(*first);
                return true;
            }
        }
        same.push((number, Some(hash)));
        false
    }

    fn read(&mut self, number: u64, records: u64) {
        let Ok(at) = usize::try_from(number) else {
            return;
        };
        if self.records.len() <= at {
            self.records.resize(at + 1, 0);
        }
        self.records[at] = u32::try_from(records).unwrap_or(u32::MAX);
    }

    /// The records the repeats hold, as read from the chunks they repeat.
    fn records(&self) -> u64 {
        self.of
            .iter()
            .map(|n| {
                usize::try_from(*n)
                    .ok()
                    .and_then(|at| self.records.get(at))
                    .map_or(0, |r| u64::from(*r))
            })
            .sum()
    }
}

fn chunk_offset(number: u64) -> u64 {
    FILE_HEADER_SIZE.saturating_add(number.saturating_mul(CHUNK_SIZE))
}

/// Read one chunk; a chunk the crate refused becomes a problem, a panic too. Gives back
/// the chunk's buffer for reuse.
fn read_chunk_guarded(
    chunk: evtx::err::Result<EvtxChunkData>,
    settings: &Arc<ParserSettings>,
    templates: &mut TemplateCache,
) -> (ReportBuilder, Option<Vec<u8>>) {
    let mut out = ReportBuilder::default();
    let mut chunk = match chunk {
        Ok(chunk) => chunk,
        Err(e) => {
            let location = match &e {
                EvtxError::FailedToParseChunk { chunk_id, .. } => {
                    Location::Offset(chunk_offset(*chunk_id))
                }
                _ => Location::File,
            };
            out.problems.push(Problem::new(
                location,
                format!("chunk skipped: {}", error_chain(&e)),
            ));
            return (out, None);
        }
    };
    let out = read_chunk_caught(&mut chunk, settings, true, templates);
    (out, Some(chunk.data))
}

/// [`read_chunk`], with a panic caught and reported (what was read before it is dropped).
fn read_chunk_caught(
    chunk: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    check_crc: bool,
    templates: &mut TemplateCache,
) -> ReportBuilder {
    let number = chunk.number.unwrap_or(0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut out = ReportBuilder::default();
        read_chunk(chunk, settings, check_crc, templates, &mut out);
        out
    }));
    result.unwrap_or_else(|_| {
        // The templates may be half made: not kept.
        *templates = TemplateCache::default();
        let mut out = ReportBuilder::default();
        out.problems.push(Problem::new(
            Location::Offset(chunk_offset(number)),
            format!("chunk {number}: reading it failed unexpectedly; its records were skipped"),
        ));
        out
    })
}

/// What a cut chunk's header says and where its whole records are.
struct CutWalk {
    /// Records wholly before the cut, each consistent, in walking order.
    records: u64,
    /// Where the last of them ends, and its offset and id.
    end: usize,
    last_offset: usize,
    first_id: u64,
    last_id: u64,
}

/// Walk the records of a chunk cut after `data.len()` bytes from the chunk header on, while
/// each has the record magic, a size that fits before the cut, the copy of its size at its
/// end, and an id above the one before it. The chunk header's free space and last record
/// are not trusted: the copy of a live log can have a header older than its records.
fn walk_cut_records(data: &[u8]) -> CutWalk {
    let mut walk = CutWalk {
        records: 0,
        end: CHUNK_HEADER_SIZE,
        last_offset: 0,
        first_id: 0,
        last_id: 0,
    };
    let mut offset = CHUNK_HEADER_SIZE;
    while let Some(header) = data.get(offset..offset + 24) {
        if header[..4] != RECORD_MAGIC {
            break;
        }
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let id = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
        let Some(end) = offset.checked_add(size) else {
            break;
        };
        let copy = data
            .get(end.wrapping_sub(4)..end)
            .filter(|_| size >= 28)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        if copy != Some(size) || (walk.records > 0 && id <= walk.last_id) {
            break;
        }
        if walk.records == 0 {
            walk.first_id = id;
        }
        walk.records += 1;
        walk.last_id = id;
        walk.last_offset = offset;
        walk.end = end;
        offset = end;
    }
    walk
}

/// The records `walk` found in `data` (a cut chunk) as a chunk of just those records: its
/// header rewritten to end them (first and last record, free space), its string table
/// emptied (it may point past the cut; names are then read where records point), and the
/// bytes after them dropped, so that nothing a record refers to can lie past the cut
/// unnoticed.
fn chunk_of_whole_records(
    mut data: Vec<u8>,
    walk: &CutWalk,
) -> Result<EvtxChunkData, evtx::err::ChunkError> {
    data.truncate(walk.end);
    data[24..32].copy_from_slice(&walk.first_id.to_le_bytes());
    data[32..40].copy_from_slice(&walk.last_id.to_le_bytes());
    data[44..48].copy_from_slice(&(walk.last_offset as u32).to_le_bytes());
    data[48..52].copy_from_slice(&(walk.end as u32).to_le_bytes());
    data[128..384].fill(0);
    EvtxChunkData::new(data, false)
}

/// Read the chunk the file ends in (`data`: what the file has of it): its records wholly
/// before the cut, decoded as in a whole chunk (see [`chunk_of_whole_records`]), and one
/// problem saying how many.
fn read_cut_chunk(
    number: u64,
    data: Vec<u8>,
    settings: &Arc<ParserSettings>,
    templates: &mut TemplateCache,
) -> (ReportBuilder, Option<Vec<u8>>) {
    let base = chunk_offset(number);
    let available = data.len();
    let mut out = ReportBuilder::default();
    let into = if available == 1 {
        "1 byte".to_string()
    } else {
        format!("{} bytes", group(available as u64))
    };
    let problem = |out: &mut ReportBuilder, message: String| {
        out.problems.push(Problem::new(
            Location::Offset(base),
            format!(
                "file truncated: chunk {number} is incomplete (the file ends {into} into it{message}"
            ),
        ));
    };
    if data.iter().all(|b| *b == 0) {
        // As an all-zero whole chunk, which the walk skips.
        problem(
            &mut out,
            "); what there is of it is all zeros, an unused chunk without records".into(),
        );
        return (out, Some(data));
    }
    if available < CHUNK_HEADER_SIZE {
        problem(
            &mut out,
            ", inside its header); no records could be read from it".into(),
        );
        return (out, Some(data));
    }
    let header = match evtx::EvtxChunkHeader::from_bytes(&data) {
        Ok(header) => header,
        Err(_) => {
            problem(
                &mut out,
                "); it has no valid chunk header, no records could be read from it".into(),
            );
            return (out, Some(data));
        }
    };
    // How many records the header lists, when it lists a plausible range.
    let listed = (header.first_event_record_id <= header.last_event_record_id
        && header.last_event_record_id - header.first_event_record_id < CHUNK_SIZE)
        .then_some((header.first_event_record_id, header.last_event_record_id));
    let walk = walk_cut_records(&data);
    if walk.records == 0 {
        let cut_off = match listed {
            Some((first, last)) => format!(
                ", the {} in it {} cut off",
                last - first + 1,
                if first == last { "is" } else { "are" }
            ),
            None => String::new(),
        };
        problem(
            &mut out,
            format!("); no records could be read from it{cut_off}"),
        );
        return (out, Some(data));
    }
    let all = listed.is_some_and(|(_, last)| last == walk.last_id);
    let mut chunk = match chunk_of_whole_records(data, &walk) {
        Ok(chunk) => chunk,
        // Not expected: the header was read above.
        Err(e) => {
            problem(
                &mut out,
                format!("); it could not be read: {}", error_chain(&e)),
            );
            return (out, None);
        }
    };
    chunk.number = Some(number);
    let read_out = read_chunk_caught(&mut chunk, settings, false, templates);
    let read = read_out.records_read;
    out.merge(read_out);
    let message = if all {
        let of_them = if read == walk.records {
            match read {
                1 => "its only record was read".to_string(),
                n => format!("all {n} of its records were read"),
            }
        } else {
            format!("{read} of its {} were read", count(walk.records, "record"))
        };
        format!(", after its last record); {of_them}")
    } else {
        let read_part = match read {
            0 => "no records could be read from it".to_string(),
            n => format!("{} read from it", count(n, "record")),
        };
        let cut_off = match listed {
            Some((_, last)) if last > walk.last_id => {
                let n = last - walk.last_id;
                let verb = if n == 1 { "is" } else { "are" };
                let after = if walk.records == 1 { "it" } else { "them" };
                format!("the {n} after {after} {verb} cut off")
            }
            _ => "the rest is cut off".to_string(),
        };
        format!("); {read_part}, {cut_off}")
    };
    problem(&mut out, message);
    (out, Some(chunk.data))
}

/// A record found by walking the chunk's record headers.
struct RecordSpan {
    record_id: u64,
    filetime: u64,
    binxml_offset: usize,
    binxml_len: usize,
}

/// Walk record headers from the chunk header to the free space. `None` when the walk
/// meets something irregular (bad magic, bad size, zero-size record): the crate's
/// record iterator, which resyncs past damage, then reads the chunk.
fn walk_records(chunk: &EvtxChunkData) -> Option<Vec<RecordSpan>> {
    let data = chunk.data.as_slice();
    let live_end = (chunk.header.free_space_offset as usize).min(data.len());
    let mut offset = CHUNK_HEADER_SIZE;
    let mut spans = Vec::with_capacity(128);
    while offset + 24 <= live_end {
        let header = data.get(offset..offset + 24)?;
        if header[..4] != RECORD_MAGIC {
            // Zeroes: the free space starts early (the header overstates it).
            return header[..4].iter().all(|b| *b == 0).then_some(spans);
        }
        let size = u32::from_le_bytes(header[4..8].try_into().ok()?) as usize;
        let record_id = u64::from_le_bytes(header[8..16].try_into().ok()?);
        let filetime = u64::from_le_bytes(header[16..24].try_into().ok()?);
        let end = offset.checked_add(size)?;
        if size < 28 || end > live_end {
            return None;
        }
        let copy = data.get(end - 4..end)?;
        if u32::from_le_bytes(copy.try_into().ok()?) as usize != size {
            return None;
        }
        spans.push(RecordSpan {
            record_id,
            filetime,
            binxml_offset: offset + 24,
            binxml_len: size - 28,
        });
        offset = end;
        if record_id == chunk.header.last_event_record_id {
            break;
        }
    }
    Some(spans)
}

/// Read the records of a chunk; with `check_crc`, a chunk whose CRC32 does not match is
/// read anyway and reported with the number of records read.
fn read_chunk(
    chunk: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    check_crc: bool,
    templates: &mut TemplateCache,
    out: &mut ReportBuilder,
) {
    let crc_mismatch = check_crc && !chunk.validate_checksum();
    let before = out.records_read;
    read_chunk_records(chunk, settings, templates, out);
    if crc_mismatch {
        let number = chunk.number.unwrap_or(0);
        let read = match out.records_read - before {
            0 => "none of its records could be read".to_string(),
            n => format!("{} read from it anyway", count(n, "record")),
        };
        out.problems.push(Problem::new(
            Location::Offset(chunk_offset(number)),
            format!("chunk {number}: CRC32 mismatch; {read}"),
        ));
    }
}

fn read_chunk_records(
    chunk: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    templates: &mut TemplateCache,
    out: &mut ReportBuilder,
) {
    let Some(spans) = walk_records(chunk) else {
        out.ids.unknown = true;
        read_chunk_with_crate(chunk, settings, None, out);
        return;
    };
    templates.next_chunk();
    let mut scratch = Scratch {
        cache: std::mem::take(templates),
        ..Scratch::default()
    };
    let mut unreadable = HashSet::new();
    for span in &spans {
        let header = HeaderFallback {
            record_id: span.record_id,
            filetime: span.filetime,
            time: None,
        };
        let read = read_record_fast(
            &chunk.data,
            span.binxml_offset,
            span.binxml_len,
            &header,
            &mut scratch,
            out,
        );
        match read {
            Ok(()) => {
                out.ids.see(span.record_id);
                out.chunk_ids.push(span.record_id);
            }
            Err(_) => {
                unreadable.insert(span.binxml_offset as u64);
            }
        }
    }
    *templates = scratch.cache;
    if !unreadable.is_empty() {
        out.ids.unknown = true;
        read_chunk_with_crate(chunk, settings, Some(&unreadable), out);
    }
}

/// The record header's id and time, used only when the event lacks its own.
struct HeaderFallback {
    record_id: u64,
    /// The time, else the FILETIME to convert when needed.
    time: Option<jiff::Timestamp>,
    filetime: u64,
}

/// What reading the records of one chunk reuses from record to record, so that a record
/// that is only counted costs no allocation.
#[derive(Default)]
struct Scratch<'a> {
    cache: TemplateCache,
    values: Vec<binxml::Value<'a>>,
    /// The provider name of the record at hand, and its UTF-16 bytes when it came from
    /// a string substitution (consecutive records mostly share their provider).
    provider: String,
    provider_bytes: Option<&'a [u8]>,
    /// The items of [`AUDIT_OUTCOME_ITEMS`], and whether each was found.
    items: [String; 4],
    found: [bool; 4],
    /// Values of a nested fragment.
    fragment_values: Vec<binxml::Value<'a>>,
}

/// Read one record through the template map. On `Err`, nothing was counted.
fn read_record_fast<'a>(
    data: &'a [u8],
    offset: usize,
    len: usize,
    header: &HeaderFallback,
    scratch: &mut Scratch<'a>,
    out: &mut ReportBuilder,
) -> Result<(), Unsupported> {
    let values = std::mem::take(&mut scratch.values);
    let view = binxml::open_record(data, offset, len, &mut scratch.cache, values)?;
    let read = read_view(&view, header, scratch, out);
    scratch.values = view.into_values();
    read
}

fn read_view<'a>(
    view: &RecordView<'a>,
    header: &HeaderFallback,
    scratch: &mut Scratch<'a>,
    out: &mut ReportBuilder,
) -> Result<(), Unsupported> {
    if let Some(event_id) = view.event_id() {
        let event_id = (event_id & 0xFFFF) as u16;
        // Most records: an EventID no family uses, or a provider outside the catalog.
        let maybe = any_family_has_id(event_id)
            && view.provider_is_any(all_provider_names()).unwrap_or(true);
        if !maybe {
            if set_provider(view, scratch) {
                out.count_other(&scratch.provider, event_id);
                return Ok(());
            }
        } else if matches!(event_id, 4768 | 4769 | 4776) {
            match success_kind(view, event_id, scratch) {
                Some(AuditSuccess::Counted) => {
                    out.count_success(&scratch.provider, event_id);
                    return Ok(());
                }
                Some(AuditSuccess::ComputerAccount) => {
                    // Kept with the System fields and the items already read.
                    let mut raw = RawEvent::default();
                    view.decode_system(&mut raw);
                    if raw.provider == scratch.provider && raw.event_id == event_id {
                        raw.data = outcome_items(&scratch.outcome());
                        add_with_fallbacks(raw, header, out);
                        return Ok(());
                    }
                }
                Some(AuditSuccess::SmtpService) | None => {}
            }
        }
    }
    let mut raw = RawEvent::default();
    view.decode(&mut scratch.cache, &mut raw, 0)?;
    if raw.provider.is_empty() {
        return Err(Unsupported("no provider name"));
    }
    add_with_fallbacks(raw, header, out);
    Ok(())
}

/// What kind of success the record is, read from the four items that decide it (the
/// provider and the items are left in `scratch`). `None` when in doubt too: the record
/// is then decoded, and [`ReportBuilder::add`] applies the same rule.
fn success_kind<'a>(
    view: &RecordView<'a>,
    event_id: u16,
    scratch: &mut Scratch<'a>,
) -> Option<AuditSuccess> {
    if !set_provider(view, scratch)
        || classify(&scratch.provider, event_id) != Some(Family::SecurityAudit)
    {
        return None;
    }
    let Scratch {
        cache,
        items,
        found,
        fragment_values,
        ..
    } = scratch;
    view.find_audit_outcome(cache, items, found, fragment_values)
        .ok()?;
    audit_success(&scratch.provider, event_id, &scratch.outcome())
}

impl Scratch<'_> {
    /// The items [`RecordView::find_audit_outcome`] found.
    fn outcome(&self) -> AuditOutcome<'_> {
        AuditOutcome::from_items(std::array::from_fn(|i| {
            self.found[i].then_some(self.items[i].as_str())
        }))
    }
}

/// Put the record's provider name in `scratch.provider`, decoding it only when it differs
/// from the last record's; false when the template names no provider.
fn set_provider<'a>(view: &RecordView<'a>, scratch: &mut Scratch<'a>) -> bool {
    let bytes = view.provider_bytes();
    if bytes.is_some() && bytes == scratch.provider_bytes {
        return true;
    }
    scratch.provider.clear();
    scratch.provider_bytes = bytes;
    view.write_provider(&mut scratch.provider)
}

fn add_with_fallbacks(mut raw: RawEvent, header: &HeaderFallback, out: &mut ReportBuilder) {
    // The record header's id, as the crate's path and `evtx_dump` give it: the chunk's
    // first/last ids and the file's next id count in it, and duplicate records are told
    // apart by it (`EventRecordID` in the XML is the same number in what Windows writes).
    raw.record_id = Some(header.record_id);
    let provenance = if raw.time.is_some() {
        TimeProvenance::NativeUtc
    } else {
        raw.time = header
            .time
            .or_else(|| binxml::filetime_to_timestamp(header.filetime));
        TimeProvenance::RecordHeader
    };
    if classify(&raw.provider, raw.event_id).is_some() {
        out.add(raw, provenance);
    } else {
        out.count_other(&raw.provider, raw.event_id);
    }
}

/// Read a chunk with the crate's record iterator: all of it (`only` = None) when our
/// What the `evtx` crate said of a chunk it could not parse, in words for
/// people: its messages name internal fields and print raw byte lists.
fn chunk_error_words(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    if text.contains("ElfChnk") {
        return "it has no ElfChnk signature (not a chunk, or overwritten)".into();
    }
    // `… found [41, 41, 0, …]`: the bytes say nothing to a reader.
    match text.find(", found [").or_else(|| text.find(" found [")) {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// header walk failed, or just the records at `only` (BinXML offsets) that the fast
/// reader could not read. Records are read fast when possible, else rendered to JSON.
fn read_chunk_with_crate(
    chunk_data: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    only: Option<&HashSet<u64>>,
    out: &mut ReportBuilder,
) {
    let number = chunk_data.number.unwrap_or(0);
    let base = chunk_offset(number);
    let mut chunk = match chunk_data.parse(Arc::clone(settings)) {
        Ok(chunk) => chunk,
        Err(e) => {
            out.problems.push(Problem::new(
                Location::Offset(base),
                format!(
                    "chunk {number}: {}; its records were skipped",
                    chunk_error_words(&e)
                ),
            ));
            return;
        }
    };
    let mut scratch = Scratch::default();
    for record in chunk.iter() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let location = match &e {
                    EvtxError::FailedToReadRecordAt { offset, .. } => {
                        Location::Offset(base.saturating_add(*offset))
                    }
                    EvtxError::FailedToParseRecord { record_id, .. } => {
                        Location::Record(*record_id)
                    }
                    _ => Location::Offset(base),
                };
                out.problems.push(Problem::new(
                    location,
                    format!("chunk {number}: record skipped: {}", error_chain(&e)),
                ));
                continue;
            }
        };
        let header = HeaderFallback {
            record_id: record.event_record_id,
            time: Some(record.timestamp),
            filetime: 0,
        };
        match only {
            Some(only) if !only.contains(&record.binxml_offset) => continue,
            Some(_) => {}
            None => {
                let fast = read_record_fast(
                    record.chunk.data,
                    record.binxml_offset as usize,
                    record.binxml_size as usize,
                    &header,
                    &mut scratch,
                    out,
                );
                if fast.is_ok() {
                    out.chunk_ids.push(record.event_record_id);
                    continue;
                }
            }
        }
        out.rendered_fallbacks += 1;
        let record_id = record.event_record_id;
        match record.into_json_value() {
            Ok(json) => match raw_event_from_json(&json.data) {
                Some(raw) => {
                    add_with_fallbacks(raw, &header, out);
                    out.chunk_ids.push(record_id);
                }
                None => out.problems.push(Problem::new(
                    Location::Record(record_id),
                    "record has no System Provider/EventID; skipped",
                )),
            },
            Err(e) => out.problems.push(Problem::new(
                Location::Record(record_id),
                format!("record could not be rendered: {}", error_chain(&e)),
            )),
        }
    }
}

/// An error with its sources, on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn json_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(json_text).collect::<Vec<_>>().join(","),
        Value::Object(map) => map.get("#text").map(json_text).unwrap_or_default(),
        other => other.to_string(),
    }
}

fn json_number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_i64().map(|i| i as u64)),
        Value::String(s) => binxml::parse_number(s),
        Value::Object(map) => map.get("#text").and_then(json_number),
        _ => None,
    }
}

/// The crate's JSON rendering of a record → our raw event (the fallback path).
pub(crate) fn raw_event_from_json(v: &Value) -> Option<RawEvent> {
    let event = v.get("Event")?;
    let system = event.get("System")?;
    let provider_attrs = system.get("Provider")?.get("#attributes")?;
    let mut raw = RawEvent {
        provider: provider_attrs.get("Name").map(json_text)?,
        event_source_name: provider_attrs.get("EventSourceName").map(json_text),
        ..Default::default()
    };
    let event_id = system.get("EventID")?;
    raw.qualifiers = event_id
        .get("#attributes")
        .and_then(|a| a.get("Qualifiers"))
        .and_then(json_number)
        .and_then(|n| u16::try_from(n).ok());
    raw.set_event_id(json_number(event_id)?);
    raw.level = system
        .get("Level")
        .and_then(json_number)
        .and_then(|n| u8::try_from(n).ok());
    raw.time = system
        .get("TimeCreated")
        .and_then(|t| t.get("#attributes"))
        .and_then(|a| a.get("SystemTime"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok());
    raw.record_id = system.get("EventRecordID").and_then(json_number);
    raw.channel = system.get("Channel").map(json_text).unwrap_or_default();
    raw.computer = system.get("Computer").map(json_text).unwrap_or_default();
    if let Some(Value::Object(data)) = event.get("EventData") {
        for (key, value) in data {
            match key.as_str() {
                "#attributes" => {}
                "Binary" => raw.binary = Some(json_text(value)),
                "Data" => push_positional(value, &mut raw.data),
                name => raw.data.push(DataItem {
                    name: Some(name.to_string()),
                    value: json_text(value),
                }),
            }
        }
    }
    if let Some(user_data) = event.get("UserData") {
        push_leaves(user_data, None, &mut raw.data);
    }
    Some(raw)
}

fn push_positional(value: &Value, out: &mut Vec<DataItem>) {
    match value {
        Value::Array(items) => items.iter().for_each(|i| push_positional(i, out)),
        Value::Object(map) => {
            let name = map
                .get("#attributes")
                .and_then(|a| a.get("Name"))
                .map(json_text);
            match map.get("#text") {
                Some(Value::Array(items)) if name.is_none() => {
                    items.iter().for_each(|i| push_positional(i, out))
                }
                text => out.push(DataItem {
                    name,
                    value: text.map(json_text).unwrap_or_default(),
                }),
            }
        }
        other => out.push(DataItem {
            name: None,
            value: json_text(other),
        }),
    }
}

fn push_leaves(value: &Value, name: Option<&str>, out: &mut Vec<DataItem>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key != "#attributes" {
                    push_leaves(child, Some(key), out);
                }
            }
        }
        leaf => out.push(DataItem {
            name: name.map(str::to_string),
            value: json_text(leaf),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evtx_writer::{write_evtx, EventData, EventRecord, Provider};

    /// The crate's record iterator (the fallback for records the fast reader cannot read)
    /// reads a cut chunk as rewritten: every whole record, none past them.
    #[test]
    fn the_crate_reads_every_record_of_a_cut_chunk() {
        let records: Vec<EventRecord> = (0..60)
            .map(|i| EventRecord {
                provider: Provider::classic(if i % 2 == 0 { "EventLog" } else { "Netlogon" }),
                event_id: 6000 + i,
                qualifiers: Some(16384),
                level: 4,
                channel: "System".into(),
                computer: format!("host{i}.contoso.com"),
                data: EventData::classic([format!("value {i}")]),
                ..Default::default()
            })
            .collect();
        let bytes = write_evtx(&records).expect("writes");
        let chunk = &bytes[FILE_HEADER_SIZE as usize..];
        let free = u32::from_le_bytes(chunk[48..52].try_into().unwrap()) as usize;
        let settings = Arc::new(ParserSettings::new().num_threads(1));
        for cut in [
            CHUNK_HEADER_SIZE + 100,
            free / 3,
            free / 2,
            free - 1,
            free,
            free + 9,
        ] {
            let data = chunk[..cut].to_vec();
            let walk = walk_cut_records(&data);
            assert!(walk.records < 60 || cut >= free, "cut at {cut}");
            if walk.records == 0 {
                continue;
            }
            let mut cut_chunk = chunk_of_whole_records(data, &walk).expect("a chunk");
            assert_eq!(cut_chunk.data.len(), walk.end);
            let mut out = ReportBuilder::default();
            read_chunk_with_crate(&mut cut_chunk, &settings, None, &mut out);
            assert!(out.problems.is_empty(), "cut at {cut}: {:?}", out.problems);
            assert_eq!(out.records_read, walk.records, "cut at {cut}");
            // Each record rendered by the crate (as for a record the fast reader refuses).
            let mut binxml = HashSet::new();
            let mut at = CHUNK_HEADER_SIZE;
            while at < walk.end {
                binxml.insert(at as u64 + 24);
                at +=
                    u32::from_le_bytes(cut_chunk.data[at + 4..at + 8].try_into().unwrap()) as usize;
            }
            let mut rendered = ReportBuilder::default();
            read_chunk_with_crate(&mut cut_chunk, &settings, Some(&binxml), &mut rendered);
            assert!(rendered.problems.is_empty(), "{:?}", rendered.problems);
            assert_eq!(rendered.records_read, walk.records, "cut at {cut}");
            assert_eq!(rendered.rendered_fallbacks, walk.records);
            let mut fast = ReportBuilder::default();
            read_chunk(
                &mut cut_chunk,
                &settings,
                false,
                &mut TemplateCache::default(),
                &mut fast,
            );
            assert_eq!(fast.records_read, walk.records, "cut at {cut}");
            assert_eq!(fast.rendered_fallbacks, 0);
        }
    }

    #[test]
    fn records_are_counted_in_words() {
        assert_eq!(count(1, "record"), "1 record");
        assert_eq!(count(0, "record"), "0 records");
    }
}
