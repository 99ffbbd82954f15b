//! Records read twice inside one artifact, set aside before they become
//! evidence: an event whose (Computer, channel, EventRecordID) was read
//! earlier in the same file — a chunk repeated with other bytes around it,
//! an XML export that lists a record twice. (A chunk repeated byte for byte
//! is set aside by the `.evtx` reader before it is even read.)
//!
//! Memory is bounded by ranges, not ids: the record ids of a log run on one
//! after another, so a stream's ids seen are a handful of ranges however
//! many records it has. A hostile file of scattered ids stops being
//! remembered at [`MAX_RANGES`] ranges a stream: what comes after is read
//! (never set aside on a guess).
//!
//! Across artifacts ([`Copies`], one per run): two exports of the same log
//! whose ranges overlap. An `.evtx` *claims* the ids its chunks hold, under
//! its (Computer, channel) — or, for events of several, the set of them
//! ([`EventsSeen::claim_key`]): each run of ids that follow one another,
//! over the records read of its chunks, claims that range — a handful of
//! ranges a file, whatever its size (`ingest::event_stream`'s `Run`; an
//! unreadable record's id ends one run, the next record starts another). A
//! large file claims them a part at a time, with the
//! facts it hands over while it is read. When a file is read its
//! facts for ids another file of the stream already gave are set aside;
//! which file was read first depends on thread timing, so at the end the
//! facts kept are named after the file that ranks first (loose before
//! archived, then the shortest origin, then the smallest:
//! [`rank`]) and each other file's coverage line says how many of its
//! records were copies — the same words and origins in every run. (One
//! thing can still follow the timing: when more than 8 alike facts of one
//! server fall in one minute they are counted, not all kept, and which of
//! two facts stamped the very same instant is kept as an example can
//! differ. The counts never do.) `extract`'s record rows list each file's
//! own records, copies included: each row names its file.
//!
//! Identical queue rows (the same queue, LastError and time — `Get-Queue`
//! saved as text and as XML, or pasted twice) are few and never counted
//! in aggregates: they are set aside exactly at the end, the row of the
//! smallest origin kept. A row identical to the one before it of the same
//! queue in its file (a loop faster than the queue's retries) is folded as
//! read (`queue::QueueFold`) and said here with them.

use super::queue_rows::QueueCopy;
use crate::discover::duplicates::rank;
use crate::discover::Origin;
use crate::evidence::{Evidence, Fact};
use crate::inventory::Inventory;
use exauth_parsers::evtx::EventRecord;
use exauth_parsers::problem::thousands;
use std::collections::{BTreeMap, HashMap};

/// Ranges of ids kept per stream.
pub const MAX_RANGES: usize = 1 << 16;

/// A set of ids as inclusive ranges.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IdRanges {
    /// Start → end (inclusive), disjoint and not touching.
    ranges: BTreeMap<u64, u64>,
}

impl IdRanges {
    pub fn contains(&self, id: u64) -> bool {
        self.ranges
            .range(..=id)
            .next_back()
            .is_some_and(|(_, end)| id <= *end)
    }

    /// Adds `id`; false when it was there already. Once [`MAX_RANGES`]
    /// ranges are held, an id that would need a new one is not remembered.
    pub fn insert(&mut self, id: u64) -> bool {
        let before = self.ranges.range(..=id).next_back().map(|(s, e)| (*s, *e));
        if let Some((_, end)) = before {
            if id <= end {
                return false;
            }
        }
        let joins_before = before.filter(|(_, end)| end.checked_add(1) == Some(id));
        let after = id
            .checked_add(1)
            .and_then(|next| self.ranges.get(&next).map(|end| (next, *end)));
        match (joins_before, after) {
            (Some((start, _)), Some((next, end))) => {
                self.ranges.remove(&next);
                self.ranges.insert(start, end);
            }
            (Some((start, _)), None) => {
                self.ranges.insert(start, id);
            }
            (None, Some((next, end))) => {
                self.ranges.remove(&next);
                self.ranges.insert(id, end);
            }
            (None, None) if self.ranges.len() < MAX_RANGES => {
                self.ranges.insert(id, id);
            }
            (None, None) => {}
        }
        true
    }

    /// The ranges, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().map(|(s, e)| (*s, *e))
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// The events of one artifact seen so far, per (Computer, channel) as the
/// records spell them.
#[derive(Debug, Default)]
pub struct EventsSeen {
    streams: Vec<(String, String, IdRanges)>,
    /// Events set aside as seen before.
    pub set_aside: u64,
}

impl EventsSeen {
    /// True the first time an event's record is seen; an event without a
    /// record id is always new.
    pub fn first_time(&mut self, event: &EventRecord) -> bool {
        self.first_time_in(&event.computer, &event.channel, event.record_id)
    }

    /// [`EventsSeen::first_time`] of a record known by its stream and id.
    pub fn first_time_in(&mut self, computer: &str, channel: &str, record_id: Option<u64>) -> bool {
        let Some(id) = record_id else {
            return true;
        };
        let at = match self
            .streams
            .iter()
            .position(|(c, ch, _)| c == computer && ch == channel)
        {
            Some(at) => at,
            None => {
                self.streams.push((
                    computer.to_string(),
                    channel.to_string(),
                    IdRanges::default(),
                ));
                self.streams.len() - 1
            }
        };
        let new = self.streams.get_mut(at).is_none_or(|s| s.2.insert(id));
        if !new {
            self.set_aside += 1;
        }
        new
    }
}

impl EventsSeen {
    /// What the file's claims are filed under ([`Claim`]): the one
    /// (Computer, channel) of the events seen, when they are all of one; for
    /// events of several (a System log whose machine was renamed: its
    /// Computer changes, its ids run on), every Computer and every channel,
    /// each set sorted and joined by line breaks, which no name holds — a
    /// claim of such a file then meets only the claims of a file of the same
    /// streams, a copy of the same log. `None` before any event.
    pub fn claim_key(&self) -> Option<(String, String)> {
        match self.streams.as_slice() {
            [] => None,
            [(computer, channel, _)] => Some((computer.clone(), channel.clone())),
            several => {
                let joined = |name: fn(&(String, String, IdRanges)) -> &str| {
                    let names: std::collections::BTreeSet<&str> =
                        several.iter().map(name).collect();
                    names.into_iter().collect::<Vec<_>>().join("\n")
                };
                Some((joined(|s| &s.0), joined(|s| &s.1)))
            }
        }
    }
}

/// What a file holds of a stream: every record id from `first` to `last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub computer: String,
    pub channel: String,
    pub first: u64,
    pub last: u64,
}

type StreamKey = (String, String);

/// One stream's files, and which of them gave each id's facts.
#[derive(Debug, Default)]
struct Stream {
    /// Every file's claim: (origin, first, last).
    claims: Vec<(Origin, u64, u64)>,
    /// Start → (end, the file whose facts for those ids were kept).
    held: BTreeMap<u64, (u64, Origin)>,
}

/// The pieces of `first..=last` that `ranges` (start → end, file) hold, as
/// (start, end, file).
fn held_within(
    ranges: &BTreeMap<u64, (u64, Origin)>,
    first: u64,
    last: u64,
) -> Vec<(u64, u64, &Origin)> {
    let from = ranges
        .range(..=first)
        .next_back()
        .map_or(first, |(s, _)| *s);
    ranges
        .range(from..=last)
        .filter_map(|(s, (e, file))| {
            let (s, e) = ((*s).max(first), (*e).min(last));
            (s <= e).then_some((s, e, file))
        })
        .collect()
}

/// The parts of `first..=last` outside the sorted, disjoint `pieces`.
fn outside(first: u64, last: u64, pieces: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut next = Some(first);
    for &(s, e) in pieces {
        if let Some(n) = next {
            if s > n {
                out.push((n, s - 1));
            }
        }
        next = e.checked_add(1);
    }
    if let Some(n) = next.filter(|n| *n <= last) {
        out.push((n, last));
    }
    out
}

/// The record id of a fact's origin `{artifact}#record {id}`.
fn record_of(origin: &str, artifact: &str) -> Option<u64> {
    origin
        .strip_prefix(artifact)?
        .strip_prefix("#record ")?
        .parse()
        .ok()
}

/// Records read in more than one file of a run, and identical queue rows
/// (see the module header).
#[derive(Debug, Default)]
pub struct Copies {
    streams: HashMap<StreamKey, Stream>,
    /// Per file, queue rows identical to the one before them of the same
    /// queue, folded as read ([`Extracted::queue_copies`](super::Extracted)).
    folded_queue_rows: BTreeMap<String, u64>,
    /// Queue rows counted past the cap (`evidence::aggregate`) set aside as
    /// identical copies, by their file and the file of the row kept.
    counted_queue_rows: BTreeMap<(String, String), u64>,
}

impl Copies {
    /// Takes a file's claims as it is read (`Extracted::claims`, all at once
    /// or a part at a time with the facts they come with): its facts for ids
    /// another file gave already are set aside. A part's claim may reach ids
    /// an earlier part of the same file claimed (a log read twice over a
    /// chunk): those stay its own.
    pub fn commit(&mut self, origin: &Origin, claims: Vec<Claim>, evidence: &mut Vec<Evidence>) {
        for claim in claims {
            let Claim {
                computer,
                channel,
                first,
                last,
            } = claim;
            if first > last {
                continue;
            }
            let stream = self.streams.entry((computer, channel)).or_default();
            let pieces = held_within(&stream.held, first, last);
            let held: Vec<(u64, u64)> = pieces.iter().map(|(s, e, _)| (*s, *e)).collect();
            let by_others: Vec<(u64, u64)> = pieces
                .iter()
                .filter(|(_, _, file)| *file != origin)
                .map(|(s, e, _)| (*s, *e))
                .collect();
            if !by_others.is_empty() {
                let text = origin.to_string();
                evidence.retain(|e| {
                    record_of(&e.origin, &text)
                        .is_none_or(|id| !by_others.iter().any(|(s, e)| (*s..=*e).contains(&id)))
                });
            }
            for (s, e) in outside(first, last, &held) {
                stream.held.insert(s, (e, origin.clone()));
            }
            stream.claims.push((origin.clone(), first, last));
        }
    }

    /// Takes the queue rows of the file at `origin` that its reading folded
    /// as copies of the row before them: said at the end with the identical
    /// queue rows set aside.
    pub fn folded_queue_rows(&mut self, origin: &Origin, rows: u64) {
        *self
            .folded_queue_rows
            .entry(origin.to_string())
            .or_default() += rows;
    }

    /// Takes the queue rows counted past the cap (`evidence::aggregate`) that
    /// were set aside as identical copies of others: said with the rest.
    pub fn counted_queue_rows(&mut self, copies: Vec<QueueCopy>) {
        for copy in copies {
            *self
                .counted_queue_rows
                .entry((copy.file, copy.from))
                .or_default() += copy.rows;
        }
    }

    /// At the end of the run: the facts kept for ids several files hold are
    /// named after the file that ranks first, each file's records that were
    /// copies are said on its inventory row, and identical queue rows are
    /// set aside.
    pub fn finish(self, evidence: &mut Vec<Evidence>, inventory: &mut Inventory) {
        let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Holder → (start, end, the file to name).
        let mut renames: HashMap<String, Vec<(u64, u64, String)>> = HashMap::new();
        // A file's copies summed over its claims (a file read a part at a
        // time claims each part, under the streams it had then), by the file
        // they copy (the first ranked holding them).
        let mut copied: BTreeMap<(String, String), u64> = BTreeMap::new();
        for stream in self.streams.into_values() {
            let mut claims = stream.claims;
            claims.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)));
            // Which file each id is named after: the first ranked holding it.
            let mut owned: BTreeMap<u64, (u64, Origin)> = BTreeMap::new();
            for (origin, first, last) in &claims {
                let (copies, from, free) = {
                    let owned_here = held_within(&owned, *first, *last);
                    let earlier: Vec<_> = owned_here
                        .iter()
                        .filter(|(_, _, file)| *file != origin)
                        .collect();
                    let copies: u64 = earlier.iter().map(|(s, e, _)| e - s + 1).sum();
                    let from = earlier.first().map(|(_, _, file)| file.to_string());
                    let pieces: Vec<(u64, u64)> =
                        owned_here.iter().map(|(s, e, _)| (*s, *e)).collect();
                    (copies, from, outside(*first, *last, &pieces))
                };
                if let Some(from) = from {
                    *copied.entry((origin.to_string(), from)).or_default() += copies;
                }
                for (s, e) in free {
                    owned.insert(s, (e, origin.clone()));
                }
            }
            // The facts kept of each piece are renamed after its owner.
            for (start, (end, holder)) in &stream.held {
                for (s, e, owner) in held_within(&owned, *start, *end) {
                    if owner != holder {
                        renames.entry(holder.to_string()).or_default().push((
                            s,
                            e,
                            owner.to_string(),
                        ));
                    }
                }
            }
        }
        for ((origin, from), copies) in copied {
            notes.entry(origin).or_default().push(copies_note(
                copies,
                ("event", "events"),
                "EventRecordID",
                Some(&from),
            ));
        }
        if !renames.is_empty() {
            for e in evidence.iter_mut() {
                let Some((artifact, id)) = e
                    .origin
                    .rsplit_once("#record ")
                    .and_then(|(a, id)| Some((a, id.parse::<u64>().ok()?)))
                else {
                    continue;
                };
                let Some(pieces) = renames.get(artifact) else {
                    continue;
                };
                if let Some((_, _, owner)) = pieces.iter().find(|(s, x, _)| (*s..=*x).contains(&id))
                {
                    e.origin = format!("{owner}#record {id}");
                }
            }
        }
        identical_queue_rows(
            evidence,
            self.folded_queue_rows,
            self.counted_queue_rows,
            &mut notes,
        );
        add_notes(inventory, notes);
    }
}

/// Adds each file's notes of copies set aside to its inventory row.
fn add_notes(inventory: &mut Inventory, mut notes: BTreeMap<String, Vec<String>>) {
    if notes.is_empty() {
        return;
    }
    for row in &mut inventory.rows {
        if let Some(more) = notes.remove(&row.origin.to_string()) {
            let mut all: Vec<String> = row.set_aside.take().into_iter().collect();
            all.extend(more);
            row.set_aside = Some(all.join("; "));
        }
    }
}

/// Sessions remembered over all servers: a 64-bit key and the file that
/// gave it, 17 bytes a slot of a hash table (a table per server, each at
/// most 8/7 of twice its sessions): this many cost 17 to 36 MiB. Beyond,
/// sessions are read without being remembered (never set aside on a guess).
pub const MAX_SESSIONS: usize = 7 << 17;

/// Protocol-log sessions read in a run, across its files (a log and an
/// excerpt of it pasted into a `.txt`, the same log saved twice with other
/// line ends): a session is the same session when its server, log kind,
/// connector, session id, first date-time and number of rows are. Each is remembered as
/// a 64-bit hash of those with the file that gave it — a log of 100,000
/// sessions costs 2 to 4 MiB, whatever its rows. A session read again is
/// set aside before it becomes facts or a pairing copy; `extract`'s rows
/// still list each file's own sessions.
///
/// Which of two copies is read first follows thread timing: the counts
/// never depend on it, and the coverage line goes to the copy that ranks
/// after the other ([`rank`]) with the sessions the two share.
#[derive(Debug, Default)]
pub struct SessionsSeen {
    inner: std::sync::Mutex<SessionsInner>,
}

#[derive(Debug, Default)]
struct SessionsInner {
    /// Per server, session key → index of the file that gave it. A key holds
    /// its server, so two servers' sessions never match: a table per server
    /// answers as one table would, and the one a file's sessions look into
    /// is a few hundred KiB that stay in the processor's cache, where one
    /// table for all is a random place in up to 17 MiB for every session
    /// (its lookups 2.5 % of a one-thread scan's samples on 20 servers,
    /// `perf record` by hand, 2026-12-07).
    tables: Vec<HashMap<u64, u32, std::hash::BuildHasherDefault<KeyHasher>>>,
    /// The table of each server, by name as discovery gave it.
    table_of: HashMap<Option<String>, u32>,
    /// Sessions remembered, over every table (at most [`MAX_SESSIONS`]).
    remembered: usize,
    /// The files, by index.
    files: Vec<Origin>,
    /// The table of each file, by index.
    file_table: Vec<u32>,
    /// (file set aside in, file read in) → sessions.
    shared: BTreeMap<(u32, u32), u64>,
}

/// The session keys are hashes already: used as they are.
#[derive(Debug, Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A session's key: xxh3 of its server, log kind, connector, id, first
/// date-time and number of rows (a session cut short in an excerpt is not
/// the whole session: both are read); `None` without a date-time (never
/// set aside on a guess).
pub fn session_key(
    server: Option<&str>,
    session: &exauth_parsers::smtp_log::SessionSummary,
) -> Option<u64> {
    session_key_of(
        server,
        session.log,
        &session.connector,
        &session.session_id,
        session.start,
        session.rows,
    )
}

/// [`session_key`] of a session told by its fields.
pub fn session_key_of(
    server: Option<&str>,
    log: crate::evidence::LogKind,
    connector: &str,
    session_id: &str,
    start: Option<jiff::Timestamp>,
    rows: u64,
) -> Option<u64> {
    let start = start?.as_nanosecond();
    let kind: u8 = match log {
        crate::evidence::LogKind::Send => b'S',
        crate::evidence::LogKind::Receive => b'R',
    };
    let texts = [server.unwrap_or(""), connector, session_id];
    let pieces = |put: &mut dyn FnMut(&[u8])| {
        for text in texts {
            put(&(text.len() as u32).to_le_bytes());
            put(text.as_bytes());
        }
        put(&[kind]);
        put(&start.to_le_bytes());
        put(&rows.to_le_bytes());
    };
    // The pieces written out on the stack when they fit (nearly always: ~100 bytes) and hashed
    // in one call: XXH3 of the whole is the streaming digest of its pieces, and the streaming
    // hasher set up ~300 bytes of state per session.
    let mut bytes = [0u8; 256];
    let mut len = 0;
    pieces(&mut |piece| {
        let end = len + piece.len();
        if let Some(room) = bytes.get_mut(len..end) {
            room.copy_from_slice(piece);
        }
        len = end;
    });
    if let Some(whole) = bytes.get(..len) {
        return Some(xxhash_rust::xxh3::xxh3_64(whole));
    }
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    pieces(&mut |piece| h.update(piece));
    Some(h.digest())
}

/// The run's sessions as one file sees them (in [`super::Extracted`]).
#[derive(Debug, Clone)]
pub struct SessionsOfRun {
    pub seen: std::sync::Arc<SessionsSeen>,
    /// The file being read.
    pub origin: Origin,
    /// The server discovery saw for it (the same for a log and an excerpt
    /// of it pasted beside the collector's folders, whose place keys differ).
    pub server: Option<String>,
}

impl SessionsSeen {
    /// The index of a file about to be read, whose sessions are `server`'s
    /// (the server its keys hold, [`session_key`]).
    pub fn file(&self, origin: &Origin, server: Option<&str>) -> u32 {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *inner;
        let next = inner.tables.len() as u32;
        let table = *inner
            .table_of
            .entry(server.map(str::to_owned))
            .or_insert(next);
        if table == next {
            inner.tables.push(HashMap::default());
        }
        inner.files.push(origin.clone());
        inner.file_table.push(table);
        (inner.files.len() - 1) as u32
    }

    /// True the first time a session's key is seen in the run; a session
    /// seen before is counted against the file that gave it.
    pub fn first_time(&self, file: u32, key: u64) -> bool {
        let mut first = Vec::with_capacity(1);
        self.first_times(file, &[key], &mut first);
        first.first().copied().unwrap_or(true)
    }

    /// [`SessionsSeen::first_time`] of each key in turn, into `first` (cleared first), under
    /// one lock. A key's slot is a random place in its server's table: one at a time, each
    /// lookup waited for its slot and the unlock for the write to it; a batch lets the
    /// processor fetch the slots of several keys at once.
    pub fn first_times(&self, file: u32, keys: &[u64], first: &mut Vec<bool>) {
        first.clear();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let SessionsInner {
            tables,
            remembered,
            file_table,
            shared,
            ..
        } = &mut *inner;
        let table = file_table
            .get(file as usize)
            .and_then(|&t| tables.get_mut(t as usize));
        let Some(seen) = table else {
            // A file not told (never happens): its sessions are all read.
            first.resize(keys.len(), true);
            return;
        };
        for &key in keys {
            if let Some(&earlier) = seen.get(&key) {
                *shared.entry((file, earlier)).or_default() += 1;
                first.push(false);
                continue;
            }
            if *remembered < MAX_SESSIONS {
                seen.insert(key, file);
                *remembered += 1;
            }
            first.push(true);
        }
    }

    /// At the end of the run: each file's sessions set aside, said on its
    /// inventory row (see the type's header).
    pub fn finish(&self, inventory: &mut Inventory) {
        let inner = std::mem::take(&mut *self.inner.lock().unwrap_or_else(|e| e.into_inner()));
        // Per unordered pair of files, the sessions they share.
        let mut pairs: BTreeMap<(u32, u32), u64> = BTreeMap::new();
        for ((a, b), n) in inner.shared {
            let files = &inner.files;
            let (later, earlier) = if a == b || rank(&files[a as usize]) > rank(&files[b as usize])
            {
                (a, b)
            } else {
                (b, a)
            };
            *pairs.entry((later, earlier)).or_default() += n;
        }
        let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for ((later, earlier), n) in pairs {
            let from = (later != earlier).then(|| inner.files[earlier as usize].to_string());
            notes
                .entry(inner.files[later as usize].to_string())
                .or_default()
                .push(copies_note(
                    n,
                    ("session", "sessions"),
                    "session id and start",
                    from.as_deref(),
                ));
        }
        add_notes(inventory, notes);
    }
}

/// Sets aside queue rows identical to another (same server, queue,
/// LastError, retry count and time), keeping the one of the smallest
/// origin; a note per file rows were set aside from, counting with them the
/// rows `folded` as read (by file) as copies of rows earlier in the file,
/// and those `counted` past the cap that were set aside as copies (by file
/// and the file of the row kept).
fn identical_queue_rows(
    evidence: &mut Vec<Evidence>,
    folded: BTreeMap<String, u64>,
    counted: BTreeMap<(String, String), u64>,
    notes: &mut BTreeMap<String, Vec<String>>,
) {
    let key = |e: &Evidence| -> Option<String> {
        matches!(e.fact, Fact::QueueLastError { .. }).then(|| {
            serde_json::to_string(&(&e.server, &e.time, &e.time_basis, &e.local_time, &e.fact))
                .unwrap_or_default()
        })
    };
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut drop = vec![false; evidence.len()];
    let mut kept_for: Vec<Option<usize>> = vec![None; evidence.len()];
    for i in 0..evidence.len() {
        let Some(k) = key(&evidence[i]) else {
            continue;
        };
        match first.get(&k).copied() {
            Some(j) => {
                // The smaller origin stays, whichever came first.
                let (keep, lose) = if evidence[i].origin < evidence[j].origin {
                    first.insert(k, i);
                    (i, j)
                } else {
                    (j, i)
                };
                drop[lose] = true;
                kept_for[lose] = Some(keep);
            }
            None => {
                first.insert(k, i);
            }
        }
    }
    // Per file, (rows set aside, the rows' file they copy).
    let mut per_file: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for i in 0..evidence.len() {
        if !drop[i] {
            continue;
        }
        // The kept row of a dropped row may itself have been dropped later.
        let mut keep = kept_for[i];
        while let Some(k) = keep.filter(|k| drop[*k]) {
            keep = kept_for[k];
        }
        let from = keep
            .map(|k| queue_row_file(&evidence[k].origin))
            .unwrap_or_default();
        let entry = per_file
            .entry(queue_row_file(&evidence[i].origin))
            .or_insert((0, from));
        entry.0 += 1;
    }
    for ((file, from), n) in counted {
        per_file.entry(file).or_insert((0, from)).0 += n;
    }
    let mut earlier_in_file: BTreeMap<String, u64> = BTreeMap::new();
    for (file, n) in folded {
        match per_file.get_mut(&file) {
            Some((set_aside, from)) if *from == file => *set_aside += n,
            _ => *earlier_in_file.entry(file).or_default() += n,
        }
    }
    let notes_of = per_file
        .into_iter()
        .chain(earlier_in_file.into_iter().map(|(file, n)| {
            let from = file.clone();
            (file, (n, from))
        }));
    for (file, (n, from)) in notes_of {
        let from = (from != file).then_some(from.as_str());
        notes.entry(file).or_default().push(copies_note(
            n,
            ("queue row", "queue rows"),
            "queue, error and time",
            from,
        ));
    }
    if !drop.iter().any(|d| *d) {
        return;
    }
    let mut i = 0;
    evidence.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

/// The file of a queue row's origin: without its `:line` or `#object N`.
pub fn queue_row_file(origin: &str) -> String {
    origin
        .rsplit_once('#')
        .filter(|(_, r)| r.starts_with("object "))
        .or_else(|| {
            origin
                .rsplit_once(':')
                .filter(|(_, n)| n.parse::<u64>().is_ok())
        })
        .map_or(origin, |(f, _)| f)
        .to_string()
}

/// The coverage words for copies set aside in one file, one style for
/// every kind: `12 duplicate sessions (same session as in {from}) set
/// aside`, or `… as earlier in the file` when the file repeats itself.
pub fn copies_note(n: u64, what: (&str, &str), same: &str, from: Option<&str>) -> String {
    let what = if n == 1 { what.0 } else { what.1 };
    let from = match from {
        Some(from) => format!("as in {from}"),
        None => "as earlier in the file".to_string(),
    };
    format!(
        "{} duplicate {what} (same {same} {from}) set aside",
        thousands(n)
    )
}

/// The coverage words for events set aside in one file: `3,012 duplicate
/// events (same EventRecordID) set aside`, and how many whole chunks
/// repeated others.
pub fn events_note(events: u64, chunks: u64) -> Option<String> {
    if events == 0 && chunks == 0 {
        return None;
    }
    let mut note = format!(
        "{} duplicate event{} (same EventRecordID) set aside",
        thousands(events),
        if events == 1 { "" } else { "s" }
    );
    if chunks > 0 {
        note.push_str(&format!(
            ": {} chunk{} repeating earlier ones",
            thousands(chunks),
            if chunks == 1 { "" } else { "s" }
        ));
    }
    Some(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key's definition: XXH3 of the server, connector and id (each after its length), the
    /// log kind, the first time and the row count, fed piece by piece.
    fn streamed_key(server: &str, s: &exauth_parsers::smtp_log::SessionSummary) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3Default::new();
        for text in [server, &s.connector, &s.session_id] {
            h.update(&(text.len() as u32).to_le_bytes());
            h.update(text.as_bytes());
        }
        h.update(match s.log {
            crate::evidence::LogKind::Send => b"S",
            crate::evidence::LogKind::Receive => b"R",
        });
        h.update(&s.start.unwrap().as_nanosecond().to_le_bytes());
        h.update(&s.rows.to_le_bytes());
        h.digest()
    }

    #[test]
    fn session_key_is_the_streamed_xxh3_of_its_pieces_short_or_long() {
        let log = "#Log-type: SMTP Send Protocol Log\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n2026-11-26T07:31:30.866Z,CONNECTOR,08DF42618F28E000,0,10.0.1.15:59654,10.0.1.83:2525,+,,\n2026-11-26T07:31:30.867Z,CONNECTOR,08DF42618F28E000,1,10.0.1.15:59654,10.0.1.83:2525,-,,Local\n";
        for connector_len in [1, 30, 200, 240, 300] {
            let connector = "c".repeat(connector_len);
            let text = log.replace("CONNECTOR", &connector);
            let mut sessions = Vec::new();
            let mut r = exauth_parsers::smtp_log::Reassembler::new();
            let _ = r.feed(text.as_bytes(), None, |s| sessions.push(s));
            r.finish(|s| sessions.push(s));
            let [session] = sessions.as_slice() else {
                panic!("one session: {sessions:?}");
            };
            for server in ["", "EX05", &"s".repeat(100)] {
                let key = session_key(Some(server), session);
                assert_eq!(
                    key,
                    Some(streamed_key(server, session)),
                    "{connector_len} {server}"
                );
            }
        }
    }

    #[test]
    fn ids_in_order_are_one_range() {
        let mut ids = IdRanges::default();
        for id in 1..=100_000 {
            assert!(ids.insert(id));
        }
        assert_eq!(ids.len(), 1);
        assert!(!ids.insert(50_000));
        assert!(ids.contains(1) && ids.contains(100_000) && !ids.contains(100_001));
    }

    #[test]
    fn ranges_join_from_both_sides() {
        let mut ids = IdRanges::default();
        for id in [10, 12, 14, 11, 13, 9, 15, u64::MAX, 0] {
            assert!(ids.insert(id), "{id}");
        }
        assert_eq!(
            ids.iter().collect::<Vec<_>>(),
            [(0, 0), (9, 15), (u64::MAX, u64::MAX)]
        );
        for id in [0, 9, 12, 15, u64::MAX] {
            assert!(!ids.insert(id), "{id}");
        }
    }

    #[test]
    fn scattered_ids_stop_being_remembered_never_set_aside() {
        let mut ids = IdRanges::default();
        for i in 0..(MAX_RANGES as u64 + 10) {
            assert!(ids.insert(i * 2));
        }
        assert_eq!(ids.len(), MAX_RANGES);
        // Beyond the cap: still new, never a guess.
        let late = (MAX_RANGES as u64 + 5) * 2;
        assert!(ids.insert(late));
        assert!(ids.insert(late));
    }

    fn event(computer: &str, channel: &str, record: Option<u64>) -> EventRecord {
        use exauth_parsers::evtx::{EventDetails, EventLogEvent, Family, TimeProvenance};
        EventRecord {
            time: None,
            time_provenance: TimeProvenance::NativeUtc,
            utc_offset_seconds: None,
            computer: computer.into(),
            channel: channel.into(),
            provider: String::new(),
            event_id: 4771,
            qualifiers: None,
            record_id: record,
            level: None,
            family: Family::EventLog,
            details: EventDetails::EventLog(EventLogEvent::default()),
            data: Vec::new(),
        }
    }

    /// A record is the same record only on the same Computer and channel:
    /// forwarded events of two machines share ids.
    #[test]
    fn a_record_is_keyed_by_computer_channel_and_id() {
        let mut seen = EventsSeen::default();
        let events = [
            (event("DC01.contoso.com", "Security", Some(7)), true),
            (event("DC01.contoso.com", "Security", Some(7)), false),
            (event("DC02.contoso.com", "Security", Some(7)), true),
            (event("DC01.contoso.com", "System", Some(7)), true),
            (event("DC01.contoso.com", "Security", None), true),
            (event("DC01.contoso.com", "Security", None), true),
            (event("DC01.contoso.com", "Security", Some(8)), true),
            (event("DC01.contoso.com", "Security", Some(8)), false),
        ];
        for (i, (e, new)) in events.iter().enumerate() {
            assert_eq!(seen.first_time(e), *new, "event {i}");
        }
        assert_eq!(seen.set_aside, 2);
    }

    /// A batch is checked key by key: a key twice in one batch is new once, and the batch
    /// answers as the keys one at a time would.
    #[test]
    fn a_batch_of_keys_answers_as_one_at_a_time() {
        let log = Origin::file("EX01/SEND20261126-1.LOG");
        let excerpt = Origin::file("EX01/pasted.txt");
        let (batched, single) = (SessionsSeen::default(), SessionsSeen::default());
        let keys = [7, 8, 7, 9, 8, 8];
        let mut first = vec![true; 3];
        let (a, b) = (
            batched.file(&log, Some("EX01")),
            batched.file(&excerpt, Some("EX01")),
        );
        batched.first_times(a, &keys[..3], &mut first);
        assert_eq!(first, [true, true, false]);
        batched.first_times(b, &keys[3..], &mut first);
        assert_eq!(first, [true, false, false]);
        let (a, b) = (
            single.file(&log, Some("EX01")),
            single.file(&excerpt, Some("EX01")),
        );
        let one_by_one: Vec<bool> = keys
            .iter()
            .enumerate()
            .map(|(i, &k)| single.first_time(if i < 3 { a } else { b }, k))
            .collect();
        assert_eq!(one_by_one, [true, true, false, true, false, false]);
    }

    /// The cap on sessions remembered holds over all servers' tables: past
    /// it, a session is read (first) and not remembered, so its copy is read
    /// too, whichever server's it is; before it, each server's copies are
    /// set aside.
    #[test]
    fn sessions_remembered_are_capped_over_all_servers() {
        let seen = SessionsSeen::default();
        let ex01 = seen.file(&Origin::file("EX01/SEND20261126-1.LOG"), Some("EX01"));
        let ex02 = seen.file(&Origin::file("EX02/SEND20261126-1.LOG"), Some("EX02"));
        let half = MAX_SESSIONS as u64 / 2;
        let mut first = Vec::new();
        let ex01_keys: Vec<u64> = (0..half).collect();
        let ex02_keys: Vec<u64> = (half..MAX_SESSIONS as u64).collect();
        seen.first_times(ex01, &ex01_keys, &mut first);
        assert!(first.iter().all(|&f| f));
        seen.first_times(ex02, &ex02_keys, &mut first);
        assert!(first.iter().all(|&f| f));
        assert!(!seen.first_time(ex01, 5), "remembered: a copy");
        assert!(!seen.first_time(ex02, half + 5), "remembered: a copy");
        let past_cap = u64::MAX - 1;
        assert!(seen.first_time(ex01, past_cap));
        assert!(
            seen.first_time(ex01, past_cap),
            "past the cap: not remembered"
        );
        assert!(seen.first_time(ex02, past_cap));
    }

    /// A session read in two files is set aside the second time; the
    /// note goes to the file that ranks after the other, with the sessions
    /// the two share, whichever was read first.
    #[test]
    fn sessions_read_twice_are_said_on_the_later_ranked_file() {
        use crate::inventory::{Row, Status};
        let log = Origin::file("EX01/SEND20261126-1.LOG");
        let copy = Origin::file("EX01/SEND20261126-1 - Copy.LOG");
        let seen = SessionsSeen::default();
        // The copy happens to be read first.
        let (c, l) = (
            seen.file(&copy, Some("EX01")),
            seen.file(&log, Some("EX01")),
        );
        assert!(seen.first_time(c, 1) && seen.first_time(c, 2));
        assert!(!seen.first_time(l, 1) && !seen.first_time(l, 2));
        assert!(seen.first_time(l, 3));
        assert!(!seen.first_time(l, 3), "the same file twice: earlier in it");
        let mut inventory = Inventory::default();
        for origin in [&log, &copy] {
            inventory.rows.push(Row {
                origin: origin.clone(),
                kind: exauth_parsers::detect::Kind::SMTP_SEND_LOG,
                server: Some("EX01".into()),
                encoding: None,
                bytes: 0,
                status: Status::Ok,
                reason: None,
                set_aside: None,
            });
        }
        seen.finish(&mut inventory);
        let notes: Vec<Option<&str>> = inventory
            .rows
            .iter()
            .map(|r| r.set_aside.as_deref())
            .collect();
        assert_eq!(
            notes,
            [
                Some("1 duplicate session (same session id and start as earlier in the file) set aside"),
                Some("2 duplicate sessions (same session id and start as in EX01/SEND20261126-1.LOG) set aside"),
            ]
        );
    }

    #[test]
    fn notes() {
        assert_eq!(events_note(0, 0), None);
        assert_eq!(
            events_note(3012, 2).as_deref(),
            Some("3,012 duplicate events (same EventRecordID) set aside: 2 chunks repeating earlier ones")
        );
        assert_eq!(
            events_note(1, 0).as_deref(),
            Some("1 duplicate event (same EventRecordID) set aside")
        );
    }
}
