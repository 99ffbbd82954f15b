//! Reading one `.evtx` file: chunks in parallel, records through the fast BinXML reader,
//! the crate's rendering as the fallback, damage as problems.
//!
//! Why our own chunk scheduling: the crate's record pipeline spawns onto rayon's global
//! pool, whatever `num_threads` says; a caller that budgets threads needs a pool of
//! exactly that size. Chunks are read in the crate's order (oldest first, wrapped logs
//! and understated chunk counts included) on the calling thread, in batches, into
//! buffers that are reused, and parsed on a private pool; results are merged in chunk
//! order and sorted at the end, so the output never depends on thread timing.
//! (Reading the next batch while the pool parses the last one was tried: on two cores
//! the extra thread cost as much as the overlap gained.)

use super::binxml::{self, RecordView, TemplateCache, Unsupported};
use super::catalog::{
    all_provider_names, any_family_has_id, audit_success, classify, AuditOutcome, AuditSuccess,
    Family,
};
use super::records::TimeProvenance;
use super::{outcome_items, DataItem, EventFileReport, RawEvent, ReportBuilder};
use crate::problem::{Location, Problem};
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;
const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0x00, 0x00];
/// Chunks handed to the pool per thread and batch.
const CHUNKS_PER_THREAD_AND_BATCH: usize = 4;

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
pub fn read_evtx_reader<R: Read + Seek>(
    mut reader: R,
    options: EvtxReadOptions,
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
    let mut chunks = ChunkWalk::new(reader, len.saturating_sub(header_block_size) / CHUNK_SIZE);

    let settings = Arc::new(settings);
    let pool = (threads > 1)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .ok()
        })
        .flatten();
    let batch_size = threads * CHUNKS_PER_THREAD_AND_BATCH;
    let mut batch = Vec::with_capacity(batch_size);
    let mut buffers: Vec<Vec<u8>> = Vec::with_capacity(batch_size);
    let mut chunks_past_header = 0u64;
    while let Some(chunk) = chunks.next_chunk(&mut buffers) {
        if chunk
            .as_ref()
            .is_ok_and(|c| c.number.unwrap_or(0) >= header_chunks)
        {
            chunks_past_header += 1;
        }
        batch.push(chunk);
        if batch.len() >= batch_size {
            run_batch(
                &mut batch,
                pool.as_ref(),
                &settings,
                &mut report,
                &mut buffers,
            );
        }
    }
    run_batch(
        &mut batch,
        pool.as_ref(),
        &settings,
        &mut report,
        &mut buffers,
    );
    if chunks_past_header > 0 {
        report.problems.push(Problem::new(
            Location::Offset(0),
            format!(
                "file header understates the chunk count ({header_chunks}); \
                 {chunks_past_header} more chunks with records were read"
            ),
        ));
    }
    report.finish()
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
    let chunk_bytes = len.saturating_sub(FILE_HEADER_SIZE);
    let whole_chunks = chunk_bytes / CHUNK_SIZE;
    let tail = chunk_bytes % CHUNK_SIZE;
    if len < FILE_HEADER_SIZE || tail != 0 {
        report.problems.push(Problem::new(
            Location::Offset(FILE_HEADER_SIZE + whole_chunks * CHUNK_SIZE),
            format!("file truncated: {tail} bytes of an incomplete chunk at the end were skipped"),
        ));
    }
}

/// Walks the chunks in the order the crate's `EvtxParser::chunks` does (and with its
/// errors): from the chunk holding the oldest records to the end of the file, then from
/// the start (a wrapped log), past the header's chunk count while chunks are readable,
/// skipping all-zero chunks.
struct ChunkWalk<R> {
    reader: R,
    /// Whole chunks the file's size allows.
    calculated: u64,
    next: u64,
    oldest: u64,
    wrapped: bool,
}

impl<R: Read + Seek> ChunkWalk<R> {
    fn new(mut reader: R, calculated: u64) -> Self {
        let oldest = oldest_chunk(&mut reader, calculated);
        ChunkWalk {
            reader,
            calculated,
            next: oldest,
            oldest,
            wrapped: false,
        }
    }

    /// The next chunk in record order, read into a buffer from `buffers` when there is one.
    fn next_chunk(
        &mut self,
        buffers: &mut Vec<Vec<u8>>,
    ) -> Option<evtx::err::Result<EvtxChunkData>> {
        loop {
            let end = if self.wrapped { self.oldest } else { u64::MAX };
            while self.next < end {
                let number = self.next;
                self.next = number.checked_add(1)?;
                let mut buffer = buffers.pop().unwrap_or_default();
                match read_chunk_bytes(&mut self.reader, number, &mut buffer) {
                    // Past the chunks the file size allows, a failure is the end.
                    Err(_) if number >= self.calculated => {
                        buffers.push(buffer);
                        break;
                    }
                    Err(e) => {
                        buffers.push(buffer);
                        return Some(Err(EvtxError::FailedToParseChunk {
                            chunk_id: number,
                            source: Box::new(e),
                        }));
                    }
                    // An empty chunk in the middle of a dirty file.
                    Ok(()) if buffer.iter().all(|b| *b == 0) => buffers.push(buffer),
                    Ok(()) => {
                        return Some(match EvtxChunkData::new(buffer, false) {
                            Ok(mut chunk) => {
                                chunk.number = Some(number);
                                Ok(chunk)
                            }
                            Err(e) => Err(EvtxError::FailedToParseChunk {
                                chunk_id: number,
                                source: Box::new(e),
                            }),
                        });
                    }
                }
            }
            if self.wrapped || self.oldest == 0 {
                return None;
            }
            self.wrapped = true;
            self.next = 0;
        }
    }
}

/// Read chunk `number` into `buffer` (64 KiB), as the crate reads it.
fn read_chunk_bytes<R: Read + Seek>(
    reader: &mut R,
    number: u64,
    buffer: &mut Vec<u8>,
) -> Result<(), evtx::err::ChunkError> {
    reader
        .seek(SeekFrom::Start(chunk_offset(number)))
        .map_err(evtx::err::ChunkError::FailedToSeekToChunk)?;
    buffer.clear();
    buffer.reserve_exact(CHUNK_SIZE as usize);
    let read = reader
        .by_ref()
        .take(CHUNK_SIZE)
        .read_to_end(buffer)
        .map_err(|_| evtx::err::ChunkError::IncompleteChunk)?;
    if read as u64 != CHUNK_SIZE {
        return Err(evtx::err::ChunkError::IncompleteChunk);
    }
    Ok(())
}

/// The chunk holding the oldest records (the lowest first record id of a chunk header
/// whose range is not reversed), where the crate starts reading; 0 when none is found.
fn oldest_chunk<R: Read + Seek>(reader: &mut R, calculated: u64) -> u64 {
    let mut oldest = (u64::MAX, 0);
    let mut header = [0; CHUNK_HEADER_SIZE];
    for number in 0..calculated {
        if reader.seek(SeekFrom::Start(chunk_offset(number))).is_err()
            || reader.read_exact(&mut header).is_err()
        {
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

/// Read a batch of chunks (on the pool when there is one); their buffers go back to
/// `buffers`.
fn run_batch(
    batch: &mut Vec<evtx::err::Result<EvtxChunkData>>,
    pool: Option<&rayon::ThreadPool>,
    settings: &Arc<ParserSettings>,
    report: &mut ReportBuilder,
    buffers: &mut Vec<Vec<u8>>,
) {
    let chunks = std::mem::take(batch);
    let results: Vec<(ReportBuilder, Option<Vec<u8>>)> = match pool {
        Some(pool) => pool.install(|| {
            chunks
                .into_par_iter()
                .map(|chunk| read_chunk_guarded(chunk, settings))
                .collect()
        }),
        None => chunks
            .into_iter()
            .map(|chunk| read_chunk_guarded(chunk, settings))
            .collect(),
    };
    for (result, buffer) in results {
        report.merge(result);
        buffers.extend(buffer);
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
    let number = chunk.number.unwrap_or(0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut out = ReportBuilder::default();
        read_chunk(&mut chunk, settings, &mut out);
        out
    }));
    let out = match result {
        Ok(chunk_out) => chunk_out,
        Err(_) => {
            out.problems.push(Problem::new(
                Location::Offset(chunk_offset(number)),
                format!("chunk {number}: reading it failed unexpectedly; its records were skipped"),
            ));
            out
        }
    };
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

fn read_chunk(chunk: &mut EvtxChunkData, settings: &Arc<ParserSettings>, out: &mut ReportBuilder) {
    let number = chunk.number.unwrap_or(0);
    let base = chunk_offset(number);
    if !chunk.validate_checksum() {
        out.problems.push(Problem::new(
            Location::Offset(base),
            format!("chunk {number}: CRC32 mismatch; its records were read anyway"),
        ));
    }
    let Some(spans) = walk_records(chunk) else {
        read_chunk_with_crate(chunk, settings, None, out);
        return;
    };
    let mut scratch = Scratch::default();
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
        if read.is_err() {
            unreadable.insert(span.binxml_offset as u64);
        }
    }
    if !unreadable.is_empty() {
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
    if raw.record_id.is_none() {
        raw.record_id = Some(header.record_id);
    }
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
                format!("chunk {number}: {e}; its records were skipped"),
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
                    continue;
                }
            }
        }
        out.rendered_fallbacks += 1;
        let record_id = record.event_record_id;
        match record.into_json_value() {
            Ok(json) => match raw_event_from_json(&json.data) {
                Some(raw) => add_with_fallbacks(raw, &header, out),
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
