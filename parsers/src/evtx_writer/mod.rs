//! Writes Windows event logs (`.evtx`) from typed events.
//!
//! No public `.evtx` carries the Exchange transport events exauth diagnoses (MSExchangeTransport
//! 1035, 2017, …), so tests, benchmarks and the sample generator synthesize them. This writer
//! produces files that Windows' own format readers accept: a 4 KiB file header, 64 KiB chunks
//! with their string and template hash tables, and records whose BinXML has the shape Windows
//! gives it (an outer `<System>` template and a nested `<EventData>` template; see the
//! `template` module). Every CRC32 is filled in, and the `evtx` crate reads the files with
//! checksum validation on and no warnings.
//!
//! Output is deterministic: the same events give the same bytes on every run (no clock, no
//! random GUIDs, no hash-map order in the output), so generated samples can be committed and
//! compared.
//!
//! ```
//! use exauth_parsers::evtx_writer::{EventData, EventRecord, EvtxWriter, Provider};
//! use std::io::Cursor;
//!
//! let mut writer = EvtxWriter::new(Cursor::new(Vec::new()))?;
//! writer.write_record(&EventRecord {
//!     provider: Provider::classic("MSExchangeTransport"),
//!     event_id: 1035,
//!     qualifiers: Some(32768),
//!     level: 3,
//!     task: 1,
//!     time: "2026-11-26T10:15:30.1234567Z".parse()?,
//!     channel: "Application".into(),
//!     computer: "EX01.contoso.com".into(),
//!     data: EventData::classic(["IllegalMessage", "Default EX02", "ExchangeAuth", "10.1.2.11"]),
//!     ..Default::default()
//! })?;
//! let bytes = writer.finish()?.into_inner();
//! assert_eq!(&bytes[..8], b"ElfFile\0");
//! assert_eq!(bytes.len(), 4096 + 65536);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Not written: `<UserData>` payloads, `<RenderingInfo>`, typed arrays in named data, and logs
//! that have wrapped (the writer only appends, from chunk 0 on).

mod chunk;
mod record;
mod template;

pub use record::{DataValue, EventData, EventRecord, Guid, ParseIdError, Provider, Sid};

use chunk::{AppendError, Chunk, CHUNK_SIZE};
use jiff::Timestamp;
use std::io::{Seek, SeekFrom, Write};

/// Size of the file header block.
const FILE_HEADER_SIZE: usize = 4096;

/// Why an event or the file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("writing the event log: {0}")]
    Io(#[from] std::io::Error),
    /// Record ids must grow: readers stop a chunk at its last id and expect them in order.
    #[error("record id {id} does not follow record id {previous}")]
    RecordIdNotIncreasing { id: u64, previous: u64 },
    #[error("record {id} does not fit in a 64 KiB chunk")]
    RecordTooLarge { id: u64 },
    /// A substitution value (a string, binary data, the event data) over 65,535 bytes.
    #[error("a value of {bytes} bytes is over the 65,535 bytes BinXML allows")]
    ValueTooLarge { bytes: usize },
    /// A time a FILETIME cannot hold (before 1601).
    #[error("time {0} is before 1601 and cannot be a FILETIME")]
    TimeOutOfRange(Timestamp),
    /// Strings are stored NUL-terminated; a NUL inside one would cut it short.
    #[error("{field} contains a NUL character")]
    NulInString { field: String },
    #[error("an event log holds at most 65,535 chunks")]
    TooManyChunks,
}

/// Writes events into an `.evtx` file, one 64 KiB chunk at a time.
///
/// The file header is written as a placeholder at the start and filled in by
/// [`EvtxWriter::finish`], so the output must be seekable. Memory use is one chunk.
pub struct EvtxWriter<W: Write + Seek> {
    out: W,
    /// Where the file starts in `out`.
    base: u64,
    chunk: Chunk,
    /// Chunks written to `out` so far.
    chunks_written: u64,
    /// The id the next record gets unless it names one.
    next_record_id: u64,
}

impl<W: Write + Seek> EvtxWriter<W> {
    /// Start a log at the current position of `out`.
    pub fn new(mut out: W) -> Result<Self, WriteError> {
        let base = out.stream_position()?;
        out.write_all(&[0; FILE_HEADER_SIZE])?;
        Ok(EvtxWriter {
            out,
            base,
            chunk: Chunk::new(),
            chunks_written: 0,
            next_record_id: 1,
        })
    }

    /// Append `record`, starting a new chunk when it does not fit in the current one. Returns
    /// the record's `EventRecordID`. A record that cannot be written leaves the log as it was.
    pub fn write_record(&mut self, record: &EventRecord) -> Result<u64, WriteError> {
        let id = match record.record_id {
            Some(id) if id < self.next_record_id => {
                return Err(WriteError::RecordIdNotIncreasing {
                    id,
                    previous: self.next_record_id - 1,
                })
            }
            Some(id) => id,
            None => self.next_record_id,
        };
        let filetime = filetime(record.time)?;
        check_record(record)?;
        match self.chunk.append(record, id, filetime) {
            Ok(()) => {}
            Err(AppendError::Invalid(error)) => return Err(error),
            Err(AppendError::DoesNotFit) if self.chunk.is_empty() => {
                return Err(WriteError::RecordTooLarge { id })
            }
            Err(AppendError::DoesNotFit) => {
                // Into a chunk of its own, which only replaces the current one if it fits.
                let mut next = Chunk::new();
                match next.append(record, id, filetime) {
                    Ok(()) => {}
                    Err(AppendError::Invalid(error)) => return Err(error),
                    Err(AppendError::DoesNotFit) => return Err(WriteError::RecordTooLarge { id }),
                }
                self.flush_chunk(next)?;
            }
        }
        self.next_record_id = id.saturating_add(1);
        Ok(id)
    }

    /// Write the last chunk and the file header; returns the output, positioned at the end of
    /// the log.
    pub fn finish(mut self) -> Result<W, WriteError> {
        if !self.chunk.is_empty() {
            self.flush_chunk(Chunk::new())?;
        }
        let header = file_header(self.chunks_written, self.next_record_id)?;
        self.out.seek(SeekFrom::Start(self.base))?;
        self.out.write_all(&header)?;
        let end = self.base + FILE_HEADER_SIZE as u64 + self.chunks_written * CHUNK_SIZE as u64;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Write the current chunk out and go on with `next`.
    fn flush_chunk(&mut self, next: Chunk) -> Result<(), WriteError> {
        if self.chunks_written >= u64::from(u16::MAX) {
            return Err(WriteError::TooManyChunks);
        }
        let chunk = std::mem::replace(&mut self.chunk, next);
        self.out.write_all(&chunk.finish())?;
        self.chunks_written += 1;
        Ok(())
    }
}

/// Write `records` into a new log in memory.
pub fn write_evtx<'a>(
    records: impl IntoIterator<Item = &'a EventRecord>,
) -> Result<Vec<u8>, WriteError> {
    let mut writer = EvtxWriter::new(std::io::Cursor::new(Vec::new()))?;
    for record in records {
        writer.write_record(record)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// The 4 KiB file header for a log of `chunks` chunks (numbered from 0).
fn file_header(chunks: u64, next_record_id: u64) -> Result<Vec<u8>, WriteError> {
    let chunk_count = u16::try_from(chunks).map_err(|_| WriteError::TooManyChunks)?;
    let mut header = vec![0u8; FILE_HEADER_SIZE];
    header[0..8].copy_from_slice(b"ElfFile\0");
    // First chunk 0; last chunk number (0 for an empty log, as Windows leaves it).
    header[16..24].copy_from_slice(&chunks.saturating_sub(1).to_le_bytes());
    header[24..32].copy_from_slice(&next_record_id.to_le_bytes());
    header[32..36].copy_from_slice(&128u32.to_le_bytes());
    header[36..38].copy_from_slice(&1u16.to_le_bytes()); // minor version
    header[38..40].copy_from_slice(&3u16.to_le_bytes()); // major version
    header[40..42].copy_from_slice(&(FILE_HEADER_SIZE as u16).to_le_bytes());
    header[42..44].copy_from_slice(&chunk_count.to_le_bytes());
    // 120..124 flags: none (closed cleanly).
    let crc = crc32fast::hash(&header[..120]);
    header[124..128].copy_from_slice(&crc.to_le_bytes());
    Ok(header)
}

/// 100-nanosecond intervals since 1601-01-01 UTC; finer digits are dropped.
fn filetime(time: Timestamp) -> Result<u64, WriteError> {
    const UNIX_EPOCH_AS_FILETIME: i128 = 116_444_736_000_000_000;
    let ticks = time.as_nanosecond().div_euclid(100) + UNIX_EPOCH_AS_FILETIME;
    u64::try_from(ticks).map_err(|_| WriteError::TimeOutOfRange(time))
}

/// Reject what would be stored wrong: NULs inside strings, times before 1601.
fn check_record(record: &EventRecord) -> Result<(), WriteError> {
    let no_nul = |field: &str, text: &str| {
        if text.contains('\0') {
            Err(WriteError::NulInString {
                field: field.to_owned(),
            })
        } else {
            Ok(())
        }
    };
    no_nul("Provider Name", &record.provider.name)?;
    if let Some(name) = &record.provider.event_source_name {
        no_nul("EventSourceName", name)?;
    }
    no_nul("Channel", &record.channel)?;
    no_nul("Computer", &record.computer)?;
    match &record.data {
        EventData::Classic { strings, .. } => {
            for (i, text) in strings.iter().enumerate() {
                no_nul(&format!("insertion string %{}", i + 1), text)?;
            }
        }
        EventData::Named { name, items, .. } => {
            if let Some(name) = name {
                no_nul("EventData Name", name)?;
            }
            for (name, value) in items {
                no_nul("Data Name", name)?;
                match value {
                    DataValue::String(text) => no_nul(&format!("Data {name}"), text)?,
                    DataValue::FileTime(time) => {
                        filetime(*time)?;
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_counts_100ns_since_1601() {
        assert_eq!(
            filetime(Timestamp::UNIX_EPOCH).unwrap(),
            116_444_736_000_000_000
        );
        let t: Timestamp = "2015-08-07T18:10:21.4954623Z".parse().unwrap();
        assert_eq!(filetime(t).unwrap(), 130_834_446_214_954_623);
        let before: Timestamp = "1600-12-31T23:59:59Z".parse().unwrap();
        assert!(matches!(
            filetime(before),
            Err(WriteError::TimeOutOfRange(_))
        ));
    }

    #[test]
    fn empty_log_has_a_valid_header_and_no_chunks() {
        let bytes = write_evtx([]).unwrap();
        assert_eq!(bytes.len(), FILE_HEADER_SIZE);
        assert_eq!(&bytes[..8], b"ElfFile\0");
        assert_eq!(bytes[24], 1, "next record id");
        assert_eq!(
            u32::from_le_bytes(bytes[124..128].try_into().unwrap()),
            crc32fast::hash(&bytes[..120])
        );
    }
}
