//! Queue rows past a cap, counted, not kept one by one.
//!
//! A queue row (`Fact::QueueLastError`) is not counted with the others of
//! its minute: its RetryCount is a running total, and a queue seen in
//! several snapshots adds only what its count grew by since the one before
//! (`correlate::incident::queue_retries`), which needs every snapshot of the
//! queue. A loop over one queue is folded as read (`ingest::queue::QueueFold`),
//! but an export of distinct queues kept a fact a queue, about 1.3 KB each
//! with its text: `benches/collection.sh queue-text` (a `Get-Queue | fl` of
//! 133,602 queues, 44,534 with a LastError, at 200 MB) peaked at 74 MB,
//! 239 MB at 800 MB (scan, one thread); counted past the cap, 37 and 50 MB,
//! the scan report byte-identical.
//!
//! Below [`QUEUE_ROWS`] rows nothing changes: every row is kept as read.
//! Past it, the rows of the queues whose identity — a 64-bit hash of
//! (server, queue), or of the whole row for a queue without one — is among
//! the smallest keep theirs, up to the cap; the rows of every other queue are
//! counted into one aggregate per thing they say (server, next hop, target,
//! error; their clock and time basis), bounded exemplars — the earliest and
//! latest — and [`Evidence::represents`], as other repeated facts are. Which
//! queues are kept depends only on their identities, never on which thread
//! read which file first: the set kept at the end is the queues of smallest
//! identity whose rows fit, whatever the order they came in.
//!
//! The counts stay exact. Each row counted into an aggregate also leaves a
//! compact record — its queue's identity, times, origin, RetryCount, the
//! hash that tells an identical copy (`ingest::dedup`'s key) — with a
//! [`Sorter`] that holds 1 MiB and spills sorted runs to a temporary file.
//! At the end of the run the records come back a queue at a time: copies
//! are set aside (the one of the smallest origin stays) and each row adds
//! what `queue_retries` would have it add, in the same order, to its
//! aggregate's failures — carried by the first exemplar (`counted`), never
//! by multiplying a RetryCount. A queue's rows are all kept or all counted,
//! so no queue is reconciled on both sides, and no row counts twice.
//!
//! Bounded: [`QUEUE_ROWS`] rows kept, at most `16 ×`[`SHAPES`] aggregates of
//! their own (those of the smallest hash; the rest share one), the sorter's
//! buffer, and at the end the rows of one queue at one time (the sorter
//! gives them in the order of their queue, time and local time).
//!
//! [`Sorter`]: crate::ingest::spool::Sorter
//! [`SHAPES`]: crate::evidence::aggregate::SHAPES
//! [`QUEUE_ROWS`]: crate::evidence::aggregate::QUEUE_ROWS

use crate::evidence::aggregate::{grouping_time, Aggregate, Clock, Limits};
use crate::evidence::{queue_retries_added, Evidence, Fact};
use crate::ingest::dedup::queue_row_file;
use crate::ingest::queue::hash_what_it_says;
use crate::ingest::spool::Sorter;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

/// Bytes of a record's key ([`Seen::key`]).
const KEY_LEN: usize = 8 + 1 + 16 + 1 + 2 + 5 + 4;

/// Bytes of records the sorter holds before it writes a sorted run.
const SORTER_BYTES: usize = 1 << 20;

/// Rows counted into aggregates, set aside as identical copies of others at
/// the end of the run: the file they were read in, the file of the rows
/// kept, how many (`ingest::dedup` says them with the copies it sets aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCopy {
    pub file: String,
    pub from: String,
    pub rows: u64,
}

#[derive(Debug)]
pub struct QueueRows {
    /// Rows kept as read, at most.
    cap: usize,
    exemplars: usize,
    /// Aggregates of their own, at most.
    shapes: usize,
    /// The rows of each queue kept as read, by identity.
    kept: BTreeMap<u64, Vec<Evidence>>,
    kept_rows: usize,
    /// The smallest identity whose rows are counted: every row of a queue of
    /// this identity or a larger one is.
    threshold: Option<u64>,
    /// By shape: at most `shapes`, the smallest.
    aggregates: BTreeMap<u64, Counted>,
    others: Option<Counted>,
    /// One record per row counted, by identity ([`Seen`]).
    seen: Option<Sorter>,
    /// What a record holds, encoded.
    scratch: Vec<u8>,
}

impl QueueRows {
    pub fn new(limits: Limits) -> Self {
        QueueRows {
            cap: limits.queue_rows,
            exemplars: limits.exemplars.max(2),
            shapes: limits.shapes.saturating_mul(16).max(1),
            kept: BTreeMap::new(),
            kept_rows: 0,
            threshold: None,
            aggregates: BTreeMap::new(),
            others: None,
            seen: None,
            scratch: Vec::new(),
        }
    }

    /// Takes a queue row (any other fact comes back): kept while its
    /// queue's identity is below the threshold and the rows kept fit, else
    /// counted.
    pub fn offer(&mut self, e: Evidence) -> Option<Evidence> {
        if !matches!(e.fact, Fact::QueueLastError { .. }) {
            return Some(e);
        }
        let identity = identity(&e);
        if self.threshold.is_some_and(|t| identity >= t) {
            self.count(identity, e);
            return None;
        }
        // Room for one: most queues are read once (a vector's first push
        // makes room for four, 1 KB of it empty).
        self.kept
            .entry(identity)
            .or_insert_with(|| Vec::with_capacity(1))
            .push(e);
        self.kept_rows += 1;
        while self.kept_rows > self.cap {
            let Some((largest, rows)) = self.kept.pop_last() else {
                break;
            };
            self.threshold = Some(largest);
            self.kept_rows -= rows.len();
            for row in rows {
                self.count(largest, row);
            }
        }
        None
    }

    /// Counts `e` (of queue `identity`) into the aggregate of its shape, and
    /// leaves its record.
    fn count(&mut self, identity: u64, mut e: Evidence) {
        let shape = shape(&e);
        let weight = e.represents.max(1);
        e.represents = 1;
        let seen = Seen::of(&e, shape, weight);
        seen.encode(identity, &mut self.scratch);
        let key = seen.key(identity);
        self.seen
            .get_or_insert_with(|| Sorter::new(KEY_LEN, SORTER_BYTES))
            .push(&key, &self.scratch);
        let exemplars = self.exemplars;
        let retries = if seen.failing { seen.count } else { 0 };
        if let Some(aggregate) = self.aggregates.get_mut(&shape) {
            aggregate.add(e, weight, retries, exemplars);
            return;
        }
        let largest = self.aggregates.keys().next_back().copied();
        if self.aggregates.len() >= self.shapes {
            match largest {
                Some(largest) if shape < largest => {
                    if let Some(evicted) = self.aggregates.remove(&largest) {
                        self.others
                            .get_or_insert_with(Counted::default)
                            .merge(evicted, exemplars);
                    }
                }
                _ => {
                    self.others
                        .get_or_insert_with(Counted::default)
                        .add(e, weight, retries, exemplars);
                    return;
                }
            }
        }
        self.aggregates
            .entry(shape)
            .or_default()
            .add(e, weight, retries, exemplars);
    }

    /// Every row kept, then the exemplars of every aggregate with what they
    /// stand for and the failures they count, to `out`; the copies set aside
    /// among the rows counted.
    pub fn finish(mut self, out: &mut Vec<Evidence>) -> Vec<QueueCopy> {
        for rows in std::mem::take(&mut self.kept).into_values() {
            out.extend(rows);
        }
        let Some(seen) = self.seen.take() else {
            return Vec::new();
        };
        // The exemplars' origins: a copy set aside that is one leaves them.
        let exemplars: BTreeSet<String> = self
            .aggregates
            .values()
            .chain(&self.others)
            .flat_map(|a| a.rows.exemplars.iter().map(|e| e.origin.clone()))
            .collect();
        let mut reconcile = Reconcile {
            exemplars,
            ..Reconcile::default()
        };
        let mut unreadable = false;
        let read = seen.finish(&mut |record: &[u8]| match Seen::decode(record) {
            Some((identity, row)) => reconcile.push(identity, row),
            None => unreadable = true,
        });
        reconcile.flush();
        let Reconcile {
            failures,
            copies,
            dropped,
            copies_set_aside,
            ..
        } = reconcile;
        if read.is_err() || unreadable {
            // The temporary file failed: each failing row counts its
            // RetryCount, as a queue seen once does (copies and later
            // snapshots of a queue may then count again).
            for aggregate in self.aggregates.values_mut().chain(self.others.as_mut()) {
                aggregate.failures = aggregate.retries;
            }
            return self.into_evidence(out, Vec::new());
        }
        let mut others_copies = 0;
        for (shape, weight) in copies_set_aside {
            match self.aggregates.get_mut(&shape) {
                Some(aggregate) => aggregate.remove(&dropped, weight),
                None => others_copies += weight,
            }
        }
        let mut others_failures = 0;
        for (shape, n) in failures {
            match self.aggregates.get_mut(&shape) {
                Some(aggregate) => aggregate.failures += n,
                None => others_failures += n,
            }
        }
        if let Some(others) = &mut self.others {
            others.remove(&dropped, others_copies);
            others.failures += others_failures;
        }
        let copies = copies
            .into_iter()
            .map(|((file, from), rows)| QueueCopy { file, from, rows })
            .collect();
        self.into_evidence(out, copies)
    }

    /// The exemplars of every aggregate to `out`, the first carrying what
    /// they stand for and the failures they count.
    fn into_evidence(self, out: &mut Vec<Evidence>, copies: Vec<QueueCopy>) -> Vec<QueueCopy> {
        for aggregate in self.aggregates.into_values().chain(self.others) {
            let failures = aggregate.failures;
            let from = out.len();
            aggregate.rows.into_evidence(out);
            for (i, e) in out[from..].iter_mut().enumerate() {
                if let Fact::QueueLastError { counted, .. } = &mut e.fact {
                    *counted = Some(if i == 0 { failures } else { 0 });
                }
            }
        }
        copies
    }
}

/// An aggregate of queue rows, and the failures it counts.
#[derive(Debug, Default)]
struct Counted {
    rows: Aggregate,
    /// Counted at the end of the run ([`Reconcile`]).
    failures: u64,
    /// Each failing row's RetryCount: what is counted if the records are
    /// lost (the temporary file failed).
    retries: u64,
}

impl Counted {
    fn add(&mut self, e: Evidence, weight: u64, retries: u64, exemplars: usize) {
        self.retries += retries;
        self.rows.add_weighted(e, weight, exemplars);
    }

    fn merge(&mut self, other: Counted, exemplars: usize) {
        self.retries += other.retries;
        self.failures += other.failures;
        self.rows.merge(other.rows, exemplars);
    }

    /// Sets aside the exemplars whose origins are in `dropped` and the
    /// weight of the copies set aside.
    fn remove(&mut self, dropped: &BTreeSet<String>, weight: u64) {
        if !dropped.is_empty() {
            self.rows.exemplars.retain(|e| !dropped.contains(&e.origin));
        }
        self.rows.count = self.rows.count.saturating_sub(weight);
    }
}

/// The identity a queue row is kept or counted by: its server and queue,
/// or for a queue without an identity (each its own) its whole row — so an
/// identical copy of a row is always on the same side as the row.
fn identity(e: &Evidence) -> u64 {
    match &e.fact {
        Fact::QueueLastError { queue, .. } if !queue.is_empty() => {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            (&e.server, queue).hash(&mut hasher);
            hasher.finish()
        }
        _ => copy_key(e),
    }
}

/// What makes two rows identical copies (`ingest::dedup`'s key for queue
/// rows: server, times, basis and fact), hashed.
fn copy_key(e: &Evidence) -> u64 {
    let key = serde_json::to_string(&(&e.server, &e.time, &e.time_basis, &e.local_time, &e.fact))
        .unwrap_or_default();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// What makes two queue rows say the same thing: the row without its
/// queue's identity, RetryCount and times, with its server, time basis and
/// clock (an aggregate keeps its earliest and latest on one clock).
fn shape(e: &Evidence) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    hash_what_it_says(e, &mut hasher);
    let clock = grouping_time(e).map(|(_, clock)| clock);
    (e.time_basis, clock_key(clock)).hash(&mut hasher);
    hasher.finish()
}

fn clock_key(clock: Option<Clock>) -> (u8, Option<i32>) {
    match clock {
        None => (0, None),
        Some(Clock::Utc) => (1, None),
        Some(Clock::Local(offset)) => (2, offset),
    }
}

/// A civil date-time, in its order.
type Civil = (i16, i8, i8, i8, i8, i8, i32);

/// The record of a row counted: what reconciling its queue needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    time: Option<i128>,
    local: Option<Civil>,
    origin: String,
    shape: u64,
    /// What the row stands for ([`Evidence::represents`]).
    weight: u64,
    /// RetryCount as a failure count: at least 1.
    count: u64,
    failing: bool,
    /// The row names its queue (else it is its own queue each time).
    named: bool,
    copy: u64,
}

impl Seen {
    fn of(e: &Evidence, shape: u64, weight: u64) -> Seen {
        let (count, named) = match &e.fact {
            Fact::QueueLastError {
                retry_count, queue, ..
            } => (retry_count.unwrap_or(1).max(1), !queue.is_empty()),
            _ => (1, false),
        };
        Seen {
            time: e.time.map(|t| t.as_nanosecond()),
            local: e.local_time.map(|t| {
                let d = t.local;
                (
                    d.year(),
                    d.month(),
                    d.day(),
                    d.hour(),
                    d.minute(),
                    d.second(),
                    d.subsec_nanosecond(),
                )
            }),
            origin: e.origin.clone(),
            shape,
            weight,
            count,
            failing: e.fact.failure_signal().is_some(),
            named,
            copy: copy_key(e),
        }
    }

    /// The sorter's key of the row of queue `identity`: the identity, then
    /// the order `queue_retries` takes a queue's snapshots in — time, local
    /// time (then the evidence's order, its origin: [`Reconcile::flush`]) —
    /// as bytes that compare as those do.
    fn key(&self, identity: u64) -> [u8; KEY_LEN] {
        let mut key = [0u8; KEY_LEN];
        let mut out = Vec::with_capacity(KEY_LEN);
        out.extend_from_slice(&identity.to_be_bytes());
        out.push(u8::from(self.time.is_some()));
        out.extend_from_slice(&(self.time.unwrap_or(0) ^ i128::MIN).to_be_bytes());
        out.push(u8::from(self.local.is_some()));
        let (y, mo, d, h, mi, s, ns) = self.local.unwrap_or_default();
        out.extend_from_slice(&(y ^ i16::MIN).to_be_bytes());
        for b in [mo, d, h, mi, s] {
            out.extend_from_slice(&(b ^ i8::MIN).to_be_bytes());
        }
        out.extend_from_slice(&(ns ^ i32::MIN).to_be_bytes());
        key.copy_from_slice(&out);
        key
    }

    /// The record of a row of queue `identity`: the identity again (the
    /// sorter gives back values, not keys), then the rest.
    fn encode(&self, identity: u64, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&identity.to_be_bytes());
        out.extend_from_slice(&self.shape.to_le_bytes());
        out.extend_from_slice(&self.weight.to_le_bytes());
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.copy.to_le_bytes());
        let flags = u8::from(self.failing)
            | u8::from(self.named) << 1
            | u8::from(self.time.is_some()) << 2
            | u8::from(self.local.is_some()) << 3;
        out.push(flags);
        out.extend_from_slice(&self.time.unwrap_or(0).to_le_bytes());
        let (y, mo, d, h, mi, s, ns) = self.local.unwrap_or_default();
        out.extend_from_slice(&y.to_le_bytes());
        for b in [mo, d, h, mi, s] {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&ns.to_le_bytes());
        out.extend_from_slice(self.origin.as_bytes());
    }

    /// A record as [`Seen::encode`] wrote it.
    fn decode(record: &[u8]) -> Option<(u64, Seen)> {
        let mut at = 0;
        let mut take = |n: usize| {
            let bytes = record.get(at..at + n);
            at += n;
            bytes
        };
        let u64_at = |b: Option<&[u8]>| Some(u64::from_le_bytes(b?.try_into().ok()?));
        let identity = u64::from_be_bytes(take(8)?.try_into().ok()?);
        let shape = u64_at(take(8))?;
        let weight = u64_at(take(8))?;
        let count = u64_at(take(8))?;
        let copy = u64_at(take(8))?;
        let flags = *take(1)?.first()?;
        let time = i128::from_le_bytes(take(16)?.try_into().ok()?);
        let year = i16::from_le_bytes(take(2)?.try_into().ok()?);
        let mut small = [0i8; 5];
        for b in &mut small {
            *b = i8::from_le_bytes(take(1)?.try_into().ok()?);
        }
        let ns = i32::from_le_bytes(take(4)?.try_into().ok()?);
        let origin = String::from_utf8_lossy(record.get(at..)?).into_owned();
        let [mo, d, h, mi, s] = small;
        Some((
            identity,
            Seen {
                time: (flags & 4 != 0).then_some(time),
                local: (flags & 8 != 0).then_some((year, mo, d, h, mi, s, ns)),
                origin,
                shape,
                weight,
                count,
                failing: flags & 1 != 0,
                named: flags & 2 != 0,
                copy,
            },
        ))
    }
}

/// The end of the run's pass over the records, a queue at a time.
#[derive(Debug, Default)]
struct Reconcile {
    /// Failures counted, by shape.
    failures: BTreeMap<u64, u64>,
    /// Weight of the copies set aside, by shape.
    copies_set_aside: BTreeMap<u64, u64>,
    /// By file and the file of the row kept.
    copies: BTreeMap<(String, String), u64>,
    /// The exemplars' origins, and those of them set aside as copies.
    exemplars: BTreeSet<String>,
    dropped: BTreeSet<String>,
    /// The queue being reconciled, its count so far, and its rows of the
    /// time being read.
    identity: Option<u64>,
    before: u64,
    tie: Vec<Seen>,
}

impl Reconcile {
    /// Takes the next record in the sorter's order (queue, time, local
    /// time): the rows of one queue at one time are gathered, then taken in
    /// their origin's order ([`Reconcile::flush`]).
    fn push(&mut self, identity: u64, row: Seen) {
        let same_time = |tie: &Seen| (tie.time, tie.local) == (row.time, row.local);
        if self.identity != Some(identity) {
            self.flush();
            self.identity = Some(identity);
            self.before = 0;
        } else if !self.tie.first().is_some_and(same_time) {
            self.flush();
        }
        self.tie.push(row);
    }

    /// Reconciles the rows of a queue at one time, as `queue_retries` and
    /// `ingest::dedup` would have with every row kept: in their origin's
    /// order, identical copies set aside (the one of the smallest origin
    /// stays), each other failing row adding what its count grew by since
    /// the snapshot before.
    fn flush(&mut self) {
        let mut tie = std::mem::take(&mut self.tie);
        tie.sort_by(|a, b| a.origin.cmp(&b.origin));
        let mut kept_copy: HashMap<u64, String> = HashMap::new();
        for row in tie.drain(..) {
            if let Some(kept) = kept_copy.get(&row.copy) {
                *self.copies_set_aside.entry(row.shape).or_default() += row.weight;
                if self.exemplars.contains(&row.origin) {
                    self.dropped.insert(row.origin.clone());
                }
                *self
                    .copies
                    .entry((queue_row_file(&row.origin), queue_row_file(kept)))
                    .or_default() += 1;
                continue;
            }
            kept_copy.insert(row.copy, row.origin.clone());
            if !row.failing {
                continue;
            }
            let added = if row.named {
                let added = queue_retries_added(self.before, row.count);
                self.before = row.count;
                added
            } else {
                row.count
            };
            *self.failures.entry(row.shape).or_default() += added;
        }
        // Its room, for the next time's rows.
        self.tie = tie;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{at, queue_error};

    const AUTH_454: &str = "454 4.7.0 Temporary authentication failure";

    /// A row of `queue` (each queue its own file), `second`s after T0.
    fn row(queue: &str, second: i64, retries: u64) -> Evidence {
        let mut e = at("EX01", second, queue_error(queue, AUTH_454, retries));
        e.origin = format!("EX01/queue {queue}.txt:{}", second + 1);
        e
    }

    /// (total represents, failures) of `evidence`, as the pair counts them:
    /// a counted row what it carries, the rows of each queue kept as read
    /// in time order what their count grew by (`queue_retries`), a row
    /// without an identity its count.
    fn counted(evidence: &[Evidence]) -> (u64, u64) {
        let represents = evidence.iter().map(|e| e.represents).sum();
        let mut failures = 0;
        let mut queues: BTreeMap<&str, Vec<&Evidence>> = BTreeMap::new();
        for e in evidence {
            let Fact::QueueLastError {
                queue,
                retry_count,
                counted,
                ..
            } = &e.fact
            else {
                continue;
            };
            match counted {
                Some(n) => failures += n,
                None if queue.is_empty() => failures += retry_count.unwrap_or(1).max(1),
                None => queues.entry(queue).or_default().push(e),
            }
        }
        for rows in queues.values_mut() {
            rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            let mut before = 0;
            for e in rows.iter() {
                let Fact::QueueLastError { retry_count, .. } = &e.fact else {
                    continue;
                };
                let count = retry_count.unwrap_or(1).max(1);
                failures += queue_retries_added(before, count);
                before = count;
            }
        }
        (represents, failures)
    }

    fn run(limits: Limits, rows: impl Iterator<Item = Evidence>) -> (Vec<Evidence>, usize) {
        let mut queues = QueueRows::new(limits);
        for e in rows {
            assert!(queues.offer(e).is_none());
        }
        let mut out = Vec::new();
        let copies = queues.finish(&mut out);
        out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        (out, copies.iter().map(|c| c.rows as usize).sum())
    }

    fn capped(cap: usize) -> Limits {
        Limits {
            queue_rows: cap,
            ..Limits::default()
        }
    }

    /// Below the cap every row is kept as read.
    #[test]
    fn below_the_cap_every_row_is_kept_as_read() {
        let rows: Vec<Evidence> = (0..100).map(|q| row(&format!("EX01\\{q}"), q, 5)).collect();
        let (out, _) = run(capped(100), rows.iter().cloned());
        let mut expected = rows.clone();
        expected.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        assert_eq!(out, expected);
    }

    /// 5,000 distinct queues past a cap of 100: at most the cap kept and a
    /// few exemplars, every row and every retry counted, the same
    /// whatever the order the rows come in.
    #[test]
    fn distinct_queues_past_the_cap_are_counted_exactly_whatever_the_order() {
        let rows: Vec<Evidence> = (0..5_000)
            .map(|q| row(&format!("EX01\\{q}"), q % 600, 3 + (q % 7) as u64))
            .collect();
        let every = counted(&rows);
        assert_eq!(every.0, 5_000);
        let (forward, _) = run(capped(100), rows.iter().cloned());
        let (backward, _) = run(capped(100), rows.iter().rev().cloned());
        let mut shuffled = rows.clone();
        shuffled.sort_by_key(|e| (e.time.unwrap().as_second() * 7_919) % 5_003);
        let (mixed, _) = run(capped(100), shuffled.into_iter());
        assert_eq!(forward, backward, "the same whatever the order");
        assert_eq!(forward, mixed, "the same whatever the order");
        assert!(forward.len() <= 100 + 8, "{} kept", forward.len());
        assert_eq!(counted(&forward), every);
        // The earliest and the latest row are kept: the pair's first and last.
        let times = |e: &[Evidence]| (e.first().unwrap().time, e.last().unwrap().time);
        let mut sorted = rows.clone();
        sorted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        assert_eq!(times(&forward), times(&sorted));
    }

    /// Origin of the copy the tests paste in another file (after the
    /// original: the original stays).
    const PASTED: &str = "EX01/z-pasted.txt:3";

    /// `rows` (which hold a copy of one at [`PASTED`]) read with every cap
    /// of `caps` and in both orders count as `every` (the same without the
    /// copy) does: when the copy's queue is kept as read, `ingest::dedup`
    /// sets it aside at the end; when counted, it is set aside here.
    fn assert_counts_as_every_row_kept(rows: &[Evidence], every: &[Evidence], caps: &[usize]) {
        let expected = counted(every);
        for &cap in caps {
            let (mut out, copies) = run(capped(cap), rows.iter().cloned());
            let (reversed, _) = run(capped(cap), rows.iter().rev().cloned());
            assert_eq!(out, reversed, "cap {cap}");
            let kept_as_read = out.iter().any(|e| e.origin == PASTED);
            assert_eq!(copies, usize::from(!kept_as_read), "cap {cap}");
            out.retain(|e| e.origin != PASTED);
            assert_eq!(counted(&out), expected, "cap {cap}");
        }
    }

    /// A queue seen in several snapshots, kept or counted, adds what its
    /// count grew by, once: a snapshot before the cap fills and again
    /// after, its rows arriving late and out of time order, and a copy of
    /// one pasted in another file.
    #[test]
    fn a_queue_seen_before_and_after_the_cap_counts_once() {
        let mut rows: Vec<Evidence> = vec![row("EX01\\7", 10, 11)];
        rows.extend((0..300).map(|q| row(&format!("EX01\\{}", 100 + q), 20, 2)));
        rows.push(row("EX01\\7", 40, 13));
        rows.push(row("EX01\\7", 30, 12));
        rows.push(row("EX01\\7", 50, 4)); // a new round
        let mut copy = row("EX01\\7", 40, 13);
        copy.origin = PASTED.into();
        rows.push(copy);
        let (_, copies) = run(Limits::keep_all(), rows.iter().cloned());
        assert_eq!(copies, 0, "keeping all, copies are `ingest::dedup`'s");
        let mut every = rows.clone();
        every.retain(|e| e.origin != PASTED);
        assert_eq!(counted(&every), (304, 300 * 2 + 13 + 4));
        assert_counts_as_every_row_kept(&rows, &every, &[1, 10, 100, 299, 300, 301, 1_000]);
    }

    /// Rows of a queue without an identity are each their own queue: each
    /// counts its RetryCount; an identical copy counts once.
    #[test]
    fn rows_without_an_identity_count_their_retries() {
        let every: Vec<Evidence> = (0..50).map(|i| row("", i, 3)).collect();
        let mut rows = every.clone();
        let mut copy = row("", 7, 3);
        copy.origin = PASTED.into();
        rows.push(copy);
        assert_eq!(counted(&every), (50, 150));
        assert_counts_as_every_row_kept(&rows, &every, &[1, 5, 25, 49, 50, 51]);
    }

    /// The sorter's keys compare as (queue, time, local time) do: `None`
    /// first, times before 1970 and years before 0 in their place.
    #[test]
    fn keys_sort_as_queue_time_and_local_time() {
        let mut rows: Vec<(u64, Seen)> = Vec::new();
        let local = |y: i16, mo: i8, ns: i32| Some((y, mo, 1, 0, 0, 0, ns));
        for identity in [0, 7, u64::MAX] {
            for time in [
                None,
                Some(i128::MIN),
                Some(-5),
                Some(0),
                Some(3),
                Some(i128::MAX),
            ] {
                for local in [None, local(-3, 1, 0), local(0, 12, 5), local(2026, 1, -1)] {
                    let mut seen = Seen::of(&row("EX01\\3", 0, 1), 0, 1);
                    (seen.time, seen.local) = (time, local);
                    rows.push((identity, seen));
                }
            }
        }
        let mut by_key = rows.clone();
        by_key.sort_by_key(|(identity, seen)| seen.key(*identity));
        rows.sort_by_key(|(identity, seen)| (*identity, seen.time, seen.local));
        assert_eq!(by_key, rows);
    }

    /// Records come back from the sorter as written.
    #[test]
    fn records_read_back_as_written() {
        let mut e = row("EX01\\3", 5, 9);
        e.local_time = Some(exauth_parsers::queue::ExportedTime::server_local(
            jiff::civil::date(2026, 11, 26).at(3, 56, 25, 0),
        ));
        let seen = Seen::of(&e, 42, 3);
        let mut bytes = Vec::new();
        seen.encode(77, &mut bytes);
        assert_eq!(Seen::decode(&bytes), Some((77, seen)));
        assert_eq!(Seen::decode(&bytes[..20]), None);
    }
}
