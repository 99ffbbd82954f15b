//! Builds a large `.evtx` out of the real 64 KiB chunks of `.evtx` files written by Windows,
//! for benchmarks (`benches/collection.sh`): the reader's speed on what Windows writes —
//! its string and template tables, its BinXml — not on what our own writer makes.
//!
//! The chunks of the inputs are repeated round-robin until the file reaches the size. Every
//! copy is a distinct record set: the event record ids are renumbered from 1 across the whole
//! file (each record's id, the chunk header's first/last record number and id), both CRC32s of
//! the chunk are recomputed (the event records', stored at header offset 52, over bytes
//! 512..free-space offset; the header's over bytes 0..120 and 128..512), and a clean file
//! header is written (chunk count, next record id, CRC32 of its first 120 bytes). Chunks that
//! are not `ElfChnk`, fail either CRC32, or whose records do not walk cleanly up to the
//! free-space offset are left out (the `odd_*` files of the corpus have such chunks), as are
//! empty ones.
//!
//! Usage: `evtx_from_chunks <out.evtx> <size-mb> <in.evtx>...` (MB = 1,000,000 bytes; the
//! file holds at most 65,535 chunks, about 4.29 GB: the file header counts them in a u16).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use std::io::Write;

const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65536;
const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0x00, 0x00];
/// Smallest record: magic, size, id, time (24 bytes) and the trailing size copy.
const MIN_RECORD: usize = 28;

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn header_crc(chunk: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&chunk[..120]);
    hasher.update(&chunk[128..CHUNK_HEADER_SIZE]);
    hasher.finalize()
}

/// A chunk worth copying: its bytes and the offsets of its records.
struct Chunk {
    bytes: Vec<u8>,
    records: Vec<usize>,
}

/// Why `chunk` is left out, or the offsets of its records.
fn check_chunk(chunk: &[u8]) -> Result<Vec<usize>, &'static str> {
    if &chunk[..8] != b"ElfChnk\0" {
        return Err("no ElfChnk signature");
    }
    if header_crc(chunk) != u32_at(chunk, 124) {
        return Err("header CRC32 mismatch");
    }
    let free = u32_at(chunk, 48) as usize;
    if !(CHUNK_HEADER_SIZE..=CHUNK_SIZE).contains(&free) {
        return Err("free-space offset out of the chunk");
    }
    if crc32fast::hash(&chunk[CHUNK_HEADER_SIZE..free]) != u32_at(chunk, 52) {
        return Err("event records CRC32 mismatch");
    }
    let mut records = Vec::new();
    let mut at = CHUNK_HEADER_SIZE;
    while at + MIN_RECORD <= free {
        if chunk[at..at + 4] != RECORD_MAGIC {
            return Err("a record without its magic before the free-space offset");
        }
        let size = u32_at(chunk, at + 4) as usize;
        if size < MIN_RECORD || at + size > free || u32_at(chunk, at + size - 4) as usize != size {
            return Err("a record whose size does not hold");
        }
        records.push(at);
        at += size;
    }
    if at != free {
        return Err("records do not end at the free-space offset");
    }
    if records.is_empty() {
        return Err("no records");
    }
    Ok(records)
}

/// The usable chunks of `path`, in file order.
fn read_chunks(path: &str) -> Vec<Chunk> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if data.len() < FILE_HEADER_SIZE || &data[..8] != b"ElfFile\0" {
        eprintln!("{path}: not an .evtx (no ElfFile signature), skipped");
        return Vec::new();
    }
    let mut chunks = Vec::new();
    let mut skipped = 0;
    for (i, chunk) in data[FILE_HEADER_SIZE..]
        .chunks_exact(CHUNK_SIZE)
        .enumerate()
    {
        match check_chunk(chunk) {
            Ok(records) => chunks.push(Chunk {
                bytes: chunk.to_vec(),
                records,
            }),
            Err(why) => {
                skipped += 1;
                // An all-zero chunk is free space Windows has not written yet: not worth a line.
                if chunk.iter().any(|&b| b != 0) {
                    eprintln!("{path}: chunk {i} skipped: {why}");
                }
            }
        }
    }
    let records: usize = chunks.iter().map(|c| c.records.len()).sum();
    eprintln!(
        "{path}: {} chunks used ({records} records), {skipped} skipped",
        chunks.len()
    );
    chunks
}

/// A copy of `chunk` whose records are numbered from `first_id`; returns the next id.
fn renumber(chunk: &Chunk, out: &mut [u8], first_id: u64) -> u64 {
    out.copy_from_slice(&chunk.bytes);
    let mut id = first_id;
    for &at in &chunk.records {
        put_u64(out, at + 8, id);
        id += 1;
    }
    let last = id - 1;
    put_u64(out, 8, first_id);
    put_u64(out, 16, last);
    put_u64(out, 24, first_id);
    put_u64(out, 32, last);
    let free = u32_at(out, 48) as usize;
    let events_crc = crc32fast::hash(&out[CHUNK_HEADER_SIZE..free]);
    put_u32(out, 52, events_crc);
    let crc = header_crc(out);
    put_u32(out, 124, crc);
    id
}

fn file_header(chunks: u16, next_record_id: u64) -> Vec<u8> {
    let mut header = vec![0u8; FILE_HEADER_SIZE];
    header[0..8].copy_from_slice(b"ElfFile\0");
    // First chunk number 0 (bytes 8..16 stay zero), last chunk number, next record id.
    put_u64(&mut header, 16, u64::from(chunks.saturating_sub(1)));
    put_u64(&mut header, 24, next_record_id);
    put_u32(&mut header, 32, 128);
    header[36..38].copy_from_slice(&1u16.to_le_bytes()); // minor version
    header[38..40].copy_from_slice(&3u16.to_le_bytes()); // major version
    header[40..42].copy_from_slice(&(FILE_HEADER_SIZE as u16).to_le_bytes());
    header[42..44].copy_from_slice(&chunks.to_le_bytes());
    // 120..124 flags: none (closed cleanly, not full).
    let crc = crc32fast::hash(&header[..120]);
    put_u32(&mut header, 124, crc);
    header
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: evtx_from_chunks <out.evtx> <size-mb> <in.evtx>...");
        std::process::exit(2);
    }
    let out_path = &args[0];
    let mb: u64 = args[1]
        .parse()
        .unwrap_or_else(|_| panic!("size-mb `{}` is not a number", args[1]));
    let sources: Vec<Chunk> = args[2..].iter().flat_map(|p| read_chunks(p)).collect();
    if sources.is_empty() {
        eprintln!("no usable chunk in the inputs");
        std::process::exit(1);
    }
    let wanted = (mb * 1_000_000).saturating_sub(FILE_HEADER_SIZE as u64);
    let count = wanted.div_ceil(CHUNK_SIZE as u64).max(1);
    let count = u16::try_from(count).unwrap_or_else(|_| {
        eprintln!("{mb} MB needs {count} chunks; an .evtx holds at most 65535 (about 4294 MB)");
        std::process::exit(2);
    });

    let file = std::fs::File::create(out_path).unwrap_or_else(|e| panic!("{out_path}: {e}"));
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    // The header needs the next record id: count the records first (cheap, no copying).
    let records: u64 = (0..usize::from(count))
        .map(|i| sources[i % sources.len()].records.len() as u64)
        .sum();
    out.write_all(&file_header(count, records + 1)).unwrap();
    let mut buf = vec![0u8; CHUNK_SIZE];
    let mut next_id = 1;
    for i in 0..usize::from(count) {
        next_id = renumber(&sources[i % sources.len()], &mut buf, next_id);
        out.write_all(&buf).unwrap();
    }
    out.flush().unwrap();
    assert_eq!(next_id, records + 1);
    let bytes = FILE_HEADER_SIZE as u64 + u64::from(count) * CHUNK_SIZE as u64;
    eprintln!(
        "{out_path}: {bytes} bytes, {count} chunks ({} distinct source chunks), {records} records",
        sources.len()
    );
}
