//! Limits on what discovery will decompress, so a hostile or broken archive
//! can neither fill memory nor keep the run busy forever.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

pub const GIB: u64 = 1 << 30;
pub const MIB: u64 = 1 << 20;

/// Discovery limits; each refusal is reported with the artifact's origin.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Decompressed bytes over the whole run.
    pub max_total_bytes: u64,
    /// Decompressed bytes of one archive entry.
    pub max_entry_bytes: u64,
    /// Largest declared uncompressed:compressed ratio of an entry (zip bombs);
    /// applied to entries declaring more than [`Limits::ratio_floor_bytes`].
    pub max_ratio: u64,
    /// Entries below this size are never refused for their ratio: small
    /// files of repeated text compress very well and harm nobody.
    pub ratio_floor_bytes: u64,
    /// Archives inside archives.
    pub max_depth: usize,
    /// Archive entries over the whole run: every archive's, nested ones
    /// included, count against one [`EntryBudget`].
    pub max_entries: usize,
    /// A nested archive up to this size is read into memory (random access,
    /// robust to odd headers); larger ones are streamed entry by entry.
    pub max_in_memory_archive: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 64 * GIB,
            max_entry_bytes: 8 * GIB,
            max_ratio: 1000,
            ratio_floor_bytes: 64 * MIB,
            max_depth: 8,
            max_entries: 200_000,
            max_in_memory_archive: 64 * MIB,
        }
    }
}

/// The decompressed-byte budget shared by all threads of one run.
#[derive(Debug)]
pub struct Budget {
    remaining: AtomicU64,
    limit: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Self {
        Budget {
            remaining: AtomicU64::new(limit),
            limit,
        }
    }

    /// Takes `n` bytes from the budget; false when it is spent.
    fn take(&self, n: u64) -> bool {
        self.remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }
}

/// The archive entries a run may still open, shared by every archive and
/// thread of the run: three zips of 199,999 entries each do not get 200,000
/// each. Entries are counted as listed (directories too), before any is read.
#[derive(Debug)]
pub struct EntryBudget {
    left: AtomicUsize,
    limit: usize,
}

impl EntryBudget {
    pub fn new(limit: usize) -> Self {
        EntryBudget {
            left: AtomicUsize::new(limit),
            limit,
        }
    }

    /// Takes up to `wanted` entries; returns how many were granted (fewer,
    /// down to none, once the budget runs out).
    pub fn take(&self, wanted: usize) -> usize {
        let mut granted = 0;
        // The closure never refuses, so the update always lands; `granted`
        // holds what the landing attempt took.
        let _ = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                granted = left.min(wanted);
                Some(left - granted)
            });
        granted
    }

    /// True once no entry is left.
    pub fn spent(&self) -> bool {
        self.left.load(Ordering::Relaxed) == 0
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// Counts the bytes decompressed from one entry and fails the read once the
/// entry's cap or the run's budget is exceeded.
pub struct LimitedReader<'b, R> {
    inner: R,
    read: u64,
    cap: u64,
    budget: &'b Budget,
}

impl<'b, R: Read> LimitedReader<'b, R> {
    pub fn new(inner: R, cap: u64, budget: &'b Budget) -> Self {
        LimitedReader {
            inner,
            read: 0,
            cap,
            budget,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.read
    }
}

impl<R: Read> Read for LimitedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.cap {
            return Err(io::Error::other(format!(
                "decompressed size exceeds the per-entry limit of {}",
                human_bytes(self.cap)
            )));
        }
        if !self.budget.take(n as u64) {
            return Err(io::Error::other(format!(
                "the run's decompression budget of {} is spent",
                human_bytes(self.budget.limit())
            )));
        }
        Ok(n)
    }
}

/// `1.5 GiB`, `12 KiB`, `300 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_cap_stops_reading() {
        let budget = Budget::new(GIB);
        let data = vec![0u8; 10_000];
        let mut r = LimitedReader::new(&data[..], 4096, &budget);
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(
            err.to_string().contains("per-entry limit of 4.0 KiB"),
            "{err}"
        );
    }

    #[test]
    fn shared_budget_stops_reading() {
        let budget = Budget::new(5000);
        let data = vec![0u8; 3000];
        let mut a = LimitedReader::new(&data[..], GIB, &budget);
        assert_eq!(io::copy(&mut a, &mut io::sink()).unwrap(), 3000);
        let mut b = LimitedReader::new(&data[..], GIB, &budget);
        assert!(io::copy(&mut b, &mut io::sink()).is_err());
    }

    #[test]
    fn entry_budget_is_shared_and_grants_what_is_left() {
        let entries = EntryBudget::new(10);
        assert_eq!(entries.take(4), 4);
        assert_eq!(entries.take(4), 4);
        assert_eq!(entries.take(4), 2);
        assert_eq!(entries.take(1), 0);
        assert!(entries.spent());
        assert_eq!(entries.limit(), 10);
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(300), "300 B");
        assert_eq!(human_bytes(64 * GIB), "64.0 GiB");
    }
}
