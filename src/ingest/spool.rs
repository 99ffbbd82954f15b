//! Spools: bytes written while artifacts are read (in parallel, in whatever
//! order threads finish) and read back later in a fixed order — `extract`'s
//! rows per artifact, and the sorted runs of a large `.evtx`.
//!
//! A spool is memory while it is small. A writer appends what it holds to
//! the store's one temporary file every [`SpoolStore::new`] `block` bytes,
//! and a finished spool keeps its last bytes in memory only while all
//! finished spools together stay under the store's `budget`: memory is
//! bounded by the budget plus a block per spool being written, whatever the
//! size of the collection. The file is unnamed (`tempfile::tempfile`): the
//! operating system removes it when the process ends, even on a crash.
//!
//! Writing never fails where it is called (inside a parser's callback): the
//! first error is kept by the store ([`SpoolStore::take_error`]) and the
//! caller of the whole run reports it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Where spools keep what does not stay in memory.
#[derive(Debug)]
pub struct SpoolStore {
    /// Bytes a spool being written holds before they go to the file.
    block: usize,
    /// Bytes all finished spools may keep in memory together.
    budget: usize,
    kept: AtomicUsize,
    backing: Mutex<Backing>,
}

#[derive(Debug, Default)]
struct Backing {
    /// Created on the first bytes that do not stay in memory.
    file: Option<File>,
    len: u64,
    error: Option<io::Error>,
}

/// The bytes of one spool: stretches of the store's file, then bytes in
/// memory.
#[derive(Debug, Default)]
pub struct Spool {
    extents: Vec<(u64, u64)>,
    tail: Vec<u8>,
    len: u64,
}

impl Spool {
    /// Bytes written to it.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl SpoolStore {
    /// A store whose spools append to its file every `block` bytes and keep,
    /// once finished, at most `budget` bytes in memory together.
    pub fn new(block: usize, budget: usize) -> Self {
        SpoolStore {
            block: block.max(1),
            budget,
            kept: AtomicUsize::new(0),
            backing: Mutex::new(Backing::default()),
        }
    }

    /// Appends `bytes` to `spool`.
    pub fn write(&self, spool: &mut Spool, bytes: &[u8]) {
        spool.tail.extend_from_slice(bytes);
        spool.len += bytes.len() as u64;
        if spool.tail.len() >= self.block {
            self.spill(spool);
        }
    }

    /// Ends `spool`: what it holds stays in memory while the finished spools
    /// are under the budget, else it goes to the file.
    pub fn finish(&self, spool: &mut Spool) {
        let held = spool.tail.len();
        if held > 0 {
            let before = self.kept.fetch_add(held, Ordering::Relaxed);
            if before + held > self.budget {
                self.kept.fetch_sub(held, Ordering::Relaxed);
                self.spill(spool);
            }
        }
        spool.tail.shrink_to_fit();
    }

    /// The bytes of `spool`, from its first.
    pub fn reader<'a>(&'a self, spool: &'a Spool) -> SpoolReader<'a> {
        SpoolReader {
            store: self,
            spool,
            extent: 0,
            at: 0,
            tail_at: 0,
        }
    }

    /// The first error writing or reading the file, if there was one (the
    /// bytes concerned were lost).
    pub fn take_error(&self) -> Option<io::Error> {
        self.lock().error.take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Backing> {
        self.backing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves what `spool` holds in memory to the end of the file.
    fn spill(&self, spool: &mut Spool) {
        if spool.tail.is_empty() {
            return;
        }
        let mut backing = self.lock();
        if backing.error.is_none() {
            match append(&mut backing, &spool.tail) {
                Ok(offset) => {
                    let n = spool.tail.len() as u64;
                    match spool.extents.last_mut() {
                        Some((start, len)) if *start + *len == offset => *len += n,
                        _ => spool.extents.push((offset, n)),
                    }
                }
                Err(e) => backing.error = Some(e),
            }
        }
        spool.tail.clear();
    }
}

/// Appends `bytes` to the file (created on first use); where they start.
fn append(backing: &mut Backing, bytes: &[u8]) -> io::Result<u64> {
    let offset = backing.len;
    let file = match &mut backing.file {
        Some(file) => file,
        None => backing.file.insert(tempfile::tempfile()?),
    };
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)?;
    backing.len = offset + bytes.len() as u64;
    Ok(offset)
}

/// Reads a spool back (see [`SpoolStore::reader`]).
#[derive(Debug)]
pub struct SpoolReader<'a> {
    store: &'a SpoolStore,
    spool: &'a Spool,
    extent: usize,
    /// Bytes read of the current extent.
    at: u64,
    tail_at: usize,
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while let Some(&(start, len)) = self.spool.extents.get(self.extent) {
            if self.at >= len {
                self.extent += 1;
                self.at = 0;
                continue;
            }
            let want = buf
                .len()
                .min(usize::try_from(len - self.at).unwrap_or(usize::MAX));
            let mut backing = self.store.lock();
            let Some(file) = backing.file.as_mut() else {
                return Err(io::Error::other("spool file missing"));
            };
            file.seek(SeekFrom::Start(start + self.at))?;
            let n = file.read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.at += n as u64;
            return Ok(n);
        }
        let rest = &self.spool.tail[self.tail_at.min(self.spool.tail.len())..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.tail_at += n;
        Ok(n)
    }
}

/// Sorts records by a byte key (compared as bytes) in bounded memory, for a
/// source that is nearly in order: replacement selection holds up to `limit`
/// bytes and writes sorted runs to a spool (one run when nothing arrives
/// further out of order than the held bytes reach), then the runs are
/// merged. Equal keys come out in the order they were pushed.
#[derive(Debug)]
pub struct Sorter {
    store: SpoolStore,
    key_len: usize,
    limit: usize,
    held: BinaryHeap<Reverse<Held>>,
    held_bytes: usize,
    /// Records pushed: the tie-breaker appended to every key.
    seq: u64,
    /// The run being written, and the key (with its tie-breaker) last written to it.
    run: u64,
    last: Option<Vec<u8>>,
    runs: Vec<Spool>,
    current: Spool,
}

/// A held record: its run, then key + tie-breaker + value in one buffer.
#[derive(Debug)]
struct Held {
    run: u64,
    /// Length of key + tie-breaker at the start of `data`.
    key_len: usize,
    data: Vec<u8>,
}

impl Held {
    fn key(&self) -> &[u8] {
        &self.data[..self.key_len]
    }
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Held {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.run, self.key()).cmp(&(other.run, other.key()))
    }
}

const SEQ_LEN: usize = 8;

impl Sorter {
    /// A sorter of records whose keys are `key_len` bytes, holding up to
    /// `limit` bytes of records in memory.
    pub fn new(key_len: usize, limit: usize) -> Self {
        Sorter {
            store: SpoolStore::new(256 << 10, 0),
            key_len,
            limit,
            held: BinaryHeap::new(),
            held_bytes: 0,
            seq: 0,
            run: 0,
            last: None,
            runs: Vec::new(),
            current: Spool::default(),
        }
    }

    /// Takes a record: `key` (`key_len` bytes; longer is cut, shorter padded
    /// with zeros) and its value.
    pub fn push(&mut self, key: &[u8], value: &[u8]) {
        let mut data = Vec::with_capacity(self.key_len + SEQ_LEN + value.len());
        data.extend_from_slice(&key[..key.len().min(self.key_len)]);
        data.resize(self.key_len, 0);
        data.extend_from_slice(&self.seq.to_be_bytes());
        data.extend_from_slice(value);
        self.seq += 1;
        let key_len = self.key_len + SEQ_LEN;
        // Smaller than what the current run last wrote: it must wait for the next.
        let run = match &self.last {
            Some(last) if data[..key_len] < last[..] => self.run + 1,
            _ => self.run,
        };
        self.held_bytes += data.len();
        self.held.push(Reverse(Held { run, key_len, data }));
        while self.held_bytes > self.limit {
            if !self.write_smallest() {
                break;
            }
        }
    }

    /// Writes the smallest held record to its run; false when none is held.
    fn write_smallest(&mut self) -> bool {
        let Some(Reverse(held)) = self.held.pop() else {
            return false;
        };
        self.held_bytes -= held.data.len();
        if held.run != self.run {
            self.close_run();
            self.run = held.run;
        }
        let len = u32::try_from(held.data.len()).unwrap_or(u32::MAX);
        self.store.write(&mut self.current, &len.to_le_bytes());
        self.store.write(&mut self.current, &held.data);
        self.last = Some(held.data[..held.key_len].to_vec());
        true
    }

    fn close_run(&mut self) {
        let mut run = std::mem::take(&mut self.current);
        if !run.is_empty() {
            self.store.finish(&mut run);
            self.runs.push(run);
        }
    }

    /// Hands every value to `out` in key order.
    pub fn finish(mut self, out: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        if self.runs.is_empty() && self.current.is_empty() {
            // Everything fitted in memory: no run was written.
            let held = std::mem::take(&mut self.held).into_sorted_vec();
            for Reverse(held) in held.into_iter().rev() {
                out(&held.data[held.key_len..]);
            }
            return Ok(());
        }
        while self.write_smallest() {}
        self.close_run();
        if let Some(e) = self.store.take_error() {
            return Err(e);
        }
        let key_len = self.key_len + SEQ_LEN;
        // A buffer per run, 4 KiB to 64 KiB, about 4 MiB in all.
        let capacity = ((4 << 20) / self.runs.len().max(1)).clamp(4 << 10, 64 << 10);
        let mut readers: Vec<BufReader<SpoolReader<'_>>> = self
            .runs
            .iter()
            .map(|run| BufReader::with_capacity(capacity, self.store.reader(run)))
            .collect();
        if let [only] = readers.as_mut_slice() {
            while let Some(record) = next_record(only)? {
                out(&record[key_len..]);
            }
            return Ok(());
        }
        let mut heads = BinaryHeap::new();
        for (i, reader) in readers.iter_mut().enumerate() {
            if let Some(record) = next_record(reader)? {
                heads.push(Reverse((record, i)));
            }
        }
        while let Some(Reverse((record, i))) = heads.pop() {
            out(&record[key_len..]);
            if let Some(next) = readers.get_mut(i).map(next_record).transpose()?.flatten() {
                heads.push(Reverse((next, i)));
            }
        }
        Ok(())
    }
}

/// The next length-prefixed record of a run.
fn next_record(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut record = vec![0; u32::from_le_bytes(len) as usize];
    reader.read_exact(&mut record)?;
    Ok(Some(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(store: &SpoolStore, spool: &Spool) -> Vec<u8> {
        let mut out = Vec::new();
        store.reader(spool).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn spools_read_back_what_was_written_in_memory_or_on_file() {
        // Blocks of 10 bytes; 25 bytes of finished spools may stay in memory.
        let store = SpoolStore::new(10, 25);
        let mut spools: Vec<(Spool, Vec<u8>)> = Vec::new();
        for i in 0..6u8 {
            let mut spool = Spool::default();
            let mut expected = Vec::new();
            for j in 0..=i * 3 {
                let bytes = [i, j, b'\n'];
                store.write(&mut spool, &bytes);
                expected.extend_from_slice(&bytes);
            }
            store.finish(&mut spool);
            spools.push((spool, expected));
        }
        for (spool, expected) in &spools {
            assert_eq!(spool.len(), expected.len() as u64);
            assert_eq!(&read_all(&store, spool), expected);
        }
        assert!(store.take_error().is_none());
        assert!(store.kept.load(Ordering::Relaxed) <= 25);
    }

    fn sorted(records: &[(u32, u32)], limit: usize) -> Vec<(u32, u32)> {
        let mut sorter = Sorter::new(4, limit);
        for (key, value) in records {
            sorter.push(&key.to_be_bytes(), &value.to_le_bytes());
        }
        let mut out = Vec::new();
        sorter
            .finish(&mut |v| {
                let value = u32::from_le_bytes(v.try_into().unwrap());
                out.push(value);
            })
            .unwrap();
        let mut expected: Vec<(u32, u32)> = records.to_vec();
        expected.sort_by_key(|(k, _)| *k);
        assert_eq!(
            out,
            expected.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            "limit {limit}"
        );
        expected
    }

    #[test]
    fn the_sorter_sorts_stably_whatever_the_memory() {
        // Nearly sorted, reversed stretches, many equal keys.
        let records: Vec<(u32, u32)> = (0..5000u32)
            .map(|i| {
                let key = match i % 1000 {
                    n if n < 600 => i / 3 + (i * 7919) % 11,
                    _ => 5000 - i,
                };
                (key, i)
            })
            .collect();
        for limit in [0, 64, 1000, 20_000, 1 << 20] {
            sorted(&records, limit);
        }
        sorted(&[], 0);
        sorted(&[(1, 1)], 0);
    }

    #[test]
    fn a_sorted_source_makes_one_run() {
        let mut sorter = Sorter::new(4, 100);
        for i in 0..1000u32 {
            sorter.push(&(i / 2).to_be_bytes(), b"x");
        }
        while sorter.write_smallest() {}
        sorter.close_run();
        assert_eq!(sorter.runs.len(), 1);
    }
}
