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

/// Sorts records by a byte key (compared as bytes) in bounded memory: records are
/// held, one after another in one buffer, up to `limit` bytes; then sorted and written
/// to a spool as a run, or appended to the last run when they all come after it (a
/// source in order makes one run); the runs are merged at the end. Equal keys come out
/// in the order they were pushed.
#[derive(Debug)]
pub struct Sorter {
    store: SpoolStore,
    key_len: usize,
    limit: usize,
    /// Held records: key + tie-breaker + value, one after another.
    held: Vec<u8>,
    /// Where each held record starts and ends in `held`.
    spans: Vec<(usize, usize)>,
    /// Records pushed: the tie-breaker appended to every key.
    seq: u64,
    /// The key (with its tie-breaker) last written to the last run.
    last: Option<Vec<u8>>,
    runs: Vec<Spool>,
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
            held: Vec::new(),
            spans: Vec::new(),
            seq: 0,
            last: None,
            runs: Vec::new(),
        }
    }

    /// Takes a record: `key` (`key_len` bytes; longer is cut, shorter padded
    /// with zeros) and its value.
    pub fn push(&mut self, key: &[u8], value: &[u8]) {
        let start = self.held.len();
        let key = &key[..key.len().min(self.key_len)];
        self.held.extend_from_slice(key);
        self.held.resize(start + self.key_len, 0);
        self.held.extend_from_slice(&self.seq.to_be_bytes());
        self.held.extend_from_slice(value);
        self.seq += 1;
        self.spans.push((start, self.held.len()));
        if self.held.len() > self.limit {
            self.write_run();
        }
    }

    /// Puts the held records in key order.
    fn sort_held(&mut self) {
        let key_len = self.key_len + SEQ_LEN;
        let held = &self.held;
        // Keys are unique (the tie-breaker): unstable is stable here.
        self.spans
            .sort_unstable_by(|a, b| held[a.0..a.0 + key_len].cmp(&held[b.0..b.0 + key_len]));
    }

    /// Writes the held records, sorted, as a run (or at the end of the last one).
    fn write_run(&mut self) {
        if self.spans.is_empty() {
            return;
        }
        self.sort_held();
        let key_len = self.key_len + SEQ_LEN;
        let first = self
            .spans
            .first()
            .map(|(start, _)| &self.held[*start..*start + key_len]);
        let mut run = match (self.runs.pop(), &self.last) {
            (Some(run), Some(last)) if first.is_some_and(|first| first > last.as_slice()) => run,
            (Some(run), _) => {
                self.runs.push(run);
                Spool::default()
            }
            (None, _) => Spool::default(),
        };
        for &(start, end) in &self.spans {
            let len = u32::try_from(end - start).unwrap_or(u32::MAX);
            self.store.write(&mut run, &len.to_le_bytes());
            self.store.write(&mut run, &self.held[start..end]);
        }
        if let Some(&(start, _)) = self.spans.last() {
            self.last = Some(self.held[start..start + key_len].to_vec());
        }
        // Everything goes to the file (the store keeps nothing in memory).
        self.store.finish(&mut run);
        self.runs.push(run);
        self.held.clear();
        self.spans.clear();
    }

    /// Hands every value to `out` in key order.
    pub fn finish(mut self, out: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        let key_len = self.key_len + SEQ_LEN;
        if self.runs.is_empty() {
            // Everything fitted in memory: no run was written.
            self.sort_held();
            for &(start, end) in &self.spans {
                out(&self.held[start + key_len..end]);
            }
            return Ok(());
        }
        self.write_run();
        if let Some(e) = self.store.take_error() {
            return Err(e);
        }
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
        sorter.write_run();
        assert_eq!(sorter.runs.len(), 1);
    }
}
