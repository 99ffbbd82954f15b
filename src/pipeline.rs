//! The reading half of the pipeline: discover → detect → ingest → evidence.
//!
//! Runs discovery with a visitor that parses every artifact, and gathers
//! per-artifact results behind a mutex. Everything is sorted afterwards, so
//! output never depends on which thread finished first.
//!
//! Records are never kept for the run: each artifact's facts (and, for
//! `extract`, its rows, encoded for the output and spooled — in memory while
//! small, in one temporary file beyond) are taken while it is read, and its
//! records dropped with the visit. What stays for the whole run is the
//! evidence, the identity hints, the protocol-log sessions kept for clock
//! pairing, and the spooled rows.

use crate::discover::duplicates::SetAside;
use crate::discover::server_hint::candidates;
use crate::discover::{self, Artifact, ArtifactVisitor, Limits, Origin};
use crate::evidence::aggregate::Aggregator;
use crate::evidence::{Evidence, Fact, IdentityHint};
use crate::ingest::dedup::{Claim, Copies, SessionsOfRun, SessionsSeen};
use crate::ingest::pairing_gate::GateShare;
use crate::ingest::queue_rows::QueueRows;
use crate::ingest::smtp_log::{fnv1a, fnv1a_continue, KnownHints, PairingCopy};
use crate::ingest::spool::{Spool, SpoolReader, SpoolStore};
use crate::ingest::{
    ingest, signature_evidence, Extracted, HandOver, IngestOptions, PairingGate, Part, Place,
    RowEncoding, RowSink,
};
use crate::inventory::{Collector, Inventory};
use crate::progress::Progress;
use exauth_parsers::problem::{thousands, Location, Problem, Problems, PROBLEMS_KEPT};
use exauth_parsers::smtp_log::SessionSummary;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What to keep of each artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Evidence only (scan): records are dropped as soon as they are reduced.
    Evidence,
    /// The evidence, and every artifact's `extract` rows, written down in
    /// this encoding while it is read ([`SpooledRows`]); the records
    /// themselves are dropped as for scan.
    Rows(RowEncoding),
}

/// Everything read from a collection.
#[derive(Debug, Default)]
pub struct Collected {
    pub inventory: Inventory,
    /// Sorted by (time, origin, fact kind).
    pub evidence: Vec<Evidence>,
    /// Identity hints with the server (or place key) of the artifact they
    /// came from.
    pub identity_hints: Vec<(Option<String>, IdentityHint)>,
    /// The rows of every artifact (only with [`Keep::Rows`]).
    pub rows: Option<SpooledRows>,
    /// Problems inside files that were read (bad chunks, bad lines).
    pub problems: Vec<(Origin, Problem)>,
    /// Protocol-log sessions per server, kept for clock pairing. Boxed as
    /// the samples keep them: moved, sorted and re-keyed a pointer at a time
    /// (unboxed, each move is ~600 bytes).
    pub sessions: BTreeMap<String, Vec<Box<SessionSummary>>>,
    /// True once correlation has decided which server each artifact belongs
    /// to (`correlate::case::attribute`). Until then, a server named only by
    /// a folder word or file-name prefix is a *place key*
    /// ([`Candidates::place_key`](crate::discover::server_hint::Candidates::place_key))
    /// in `evidence`, `identity_hints`, `sessions` and `records`, and the
    /// inventory rows show discovery's hint.
    pub attributed: bool,
    /// Candidate server names (folder words, file-name prefixes, IPs) that
    /// named no host in the collection's content: their files stay
    /// unattributed. Filled by correlation.
    pub unconfirmed_names: std::collections::BTreeSet<String>,
    /// How much healthy traffic scan kept of what it read.
    pub sampled: Sampled,
    /// Seconds over which repeated facts were counted together: a minute,
    /// or a wider span when the logs cover too long a time for a minute's
    /// aggregates to fit ([`crate::evidence::aggregate`]).
    pub aggregated_over_s: i64,
}

/// Scan's uniform sample of healthy traffic: kept and read, for banner
/// clock samples and for sessions offered to clock pairing. Equal counts
/// mean nothing was left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sampled {
    pub banner_samples_kept: u64,
    pub banner_samples_read: u64,
    /// Clock samples of events (Kerberos skew errors, W32Time).
    pub event_samples_kept: u64,
    pub event_samples_read: u64,
    /// Clock offsets `w32tm /stripchart` and `/monitor` measured.
    pub w32tm_samples_kept: u64,
    pub w32tm_samples_read: u64,
    pub sessions_kept: u64,
    pub sessions_read: u64,
    pub failing_sessions_kept: u64,
    pub failing_sessions_read: u64,
}

/// The problem line that stands for a file's problems past the
/// [`PROBLEMS_KEPT`] it keeps: counted, not listed (the file's reason in the
/// coverage gives the total too).
fn not_listed(problems: &Problems) -> Option<Problem> {
    (problems.more() > 0).then(|| {
        Problem::new(
            Location::File,
            format!(
                "{} more problems like these, counted, not listed (the first {} are)",
                thousands(problems.more()),
                thousands(PROBLEMS_KEPT as u64)
            ),
        )
    })
}

impl Sampled {
    /// True when the sample left something out.
    pub fn left_out(&self) -> bool {
        self.banner_samples_kept < self.banner_samples_read
            || self.event_samples_kept < self.event_samples_read
            || self.w32tm_samples_kept < self.w32tm_samples_read
            || self.sessions_kept < self.sessions_read
            || self.failing_sessions_kept < self.failing_sessions_read
    }
}

impl Collected {
    /// True when anything read shows an authentication failure — even when
    /// no file was of a kind exauth parses (a failure signature in an
    /// unknown text): such a run is reported, never "nothing readable".
    pub fn shows_failure(&self) -> bool {
        self.evidence
            .iter()
            .any(|e| e.fact.failure_signal().is_some())
    }
}

/// The `extract` rows of every artifact, written down (in memory while
/// small, in a temporary file beyond) as each artifact was read.
#[derive(Debug)]
pub struct SpooledRows {
    pub encoding: RowEncoding,
    /// Per artifact with rows, sorted by origin.
    pub artifacts: Vec<ArtifactRows>,
    store: SpoolStore,
}

/// The rows of one artifact, in its own order.
#[derive(Debug)]
pub struct ArtifactRows {
    pub origin: Origin,
    pub rows: u64,
    spool: Spool,
}

impl SpooledRows {
    /// The encoded rows of `artifact`.
    pub fn reader<'a>(&'a self, artifact: &'a ArtifactRows) -> SpoolReader<'a> {
        self.store.reader(&artifact.spool)
    }

    /// Rows over all artifacts.
    pub fn count(&self) -> u64 {
        self.artifacts.iter().map(|a| a.rows).sum()
    }

    /// The first error writing the rows down, if any (rows were lost).
    pub fn take_error(&self) -> Option<std::io::Error> {
        self.store.take_error()
    }
}

/// Bytes a spool being written holds before they go to the temporary file.
const SPOOL_BLOCK: usize = 256 << 10;
/// Bytes the finished spools keep in memory, over all artifacts.
const SPOOL_MEMORY: usize = 16 << 20;

/// Writes one artifact's rows down as they come.
struct ArtifactSink<'s> {
    store: &'s SpoolStore,
    encoding: RowEncoding,
    spool: Spool,
    rows: u64,
    scratch: Vec<u8>,
}

impl RowSink for ArtifactSink<'_> {
    fn encoding(&self) -> RowEncoding {
        self.encoding
    }

    fn push_encoded(&mut self, encoded: &[u8]) {
        self.rows += 1;
        self.store.write(&mut self.spool, encoded);
    }

    fn push(&mut self, row: &crate::ingest::Row) {
        self.scratch.clear();
        self.encoding.encode(row, &mut self.scratch);
        self.rows += 1;
        self.store.write(&mut self.spool, &self.scratch);
    }
}

/// Settings for one reading run.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    pub limits: Limits,
    /// How repeated facts are counted (`evidence::aggregate`).
    pub aggregate: crate::evidence::aggregate::Limits,
    pub ingest: IngestOptions,
    pub keep: Keep,
    pub progress: bool,
}

struct PipelineVisitor<'p> {
    settings: &'p ReadSettings,
    progress: &'p Progress,
    collector: Collector,
    out: Mutex<Collected>,
    /// The run's identity hints, each once as they come: every log of a
    /// server gives the same few, and kept per file they grew with the
    /// number of files (14.7 MB of a 100-server scan's 112 MB heap, by a
    /// massif profile taken by hand on 2026-12-06).
    hints: Mutex<rustc_hash::FxHashSet<(Option<String>, IdentityHint)>>,
    /// The hints taken from each place's files so far, in the form a file's
    /// reader looks them up ([`KnownHints`]): a later file of the place
    /// leaves them out. Shared as it was when a file started; a file that
    /// gives new ones makes a new version (copied only while another file
    /// still reads the old).
    known_hints: Mutex<rustc_hash::FxHashMap<Option<String>, Arc<KnownHints>>>,
    /// Where the rows go with [`Keep::Rows`].
    spool: SpoolStore,
    rows: Mutex<Vec<ArtifactRows>>,
    /// The healthy-traffic share of clock evidence and the sessions kept
    /// for pairing, bounded.
    bounded: Mutex<Bounded>,
    /// Repeated facts, counted (`evidence::aggregate`).
    aggregator: Mutex<Aggregator>,
    /// Queue rows, kept up to a cap and counted beyond (`ingest::queue_rows`).
    queue_rows: Mutex<QueueRows>,
    /// Records several artifacts hold (`ingest::dedup`).
    copies: Mutex<Copies>,
    /// Protocol-log sessions read (`ingest::dedup`).
    sessions: Arc<SessionsSeen>,
}

impl PipelineVisitor<'_> {
    /// Sets aside the facts of records another file gave already, by the
    /// claims they come with (`ingest::dedup`).
    fn set_aside_copies(&self, origin: &Origin, claims: Vec<Claim>, evidence: &mut Vec<Evidence>) {
        self.copies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .commit(origin, claims, evidence);
    }

    /// Offers an artifact's sessions kept for pairing (all, or a part handed
    /// over as it is read) to the run's bounded samples; only files with a
    /// server keep any.
    // Boxed as the samples keep them: each moves on as a pointer.
    #[allow(clippy::vec_box)]
    fn offer_sessions(&self, server: Option<&str>, pairing: Vec<PairingCopy>) {
        let Some(server) = server.filter(|_| !pairing.is_empty()) else {
            return;
        };
        let mut bounded = self.bounded.lock().unwrap_or_else(|e| e.into_inner());
        for s in pairing {
            bounded.offer_session(server, s);
        }
    }

    /// Keeps an artifact's facts (all, or a part handed over as it is read):
    /// the healthy traffic's share sampled (with a server), repeated facts
    /// counted, the rest kept. Scan and extract alike: memory stays flat
    /// (extract's rows are written from the records, not from these).
    ///
    /// `evidence` is emptied, its memory kept for the input's next part (each
    /// step filters it in place).
    fn keep_facts(&self, server: Option<&str>, evidence: &mut Vec<Evidence>) {
        if let Some(server) = server {
            let mut bounded = self.bounded.lock().unwrap_or_else(|e| e.into_inner());
            *evidence = std::mem::take(evidence)
                .into_iter()
                .filter_map(|e| bounded.offer_sample(server, e))
                .collect();
        }
        if evidence
            .iter()
            .any(|e| matches!(e.fact, Fact::QueueLastError { .. }))
        {
            let mut queue_rows = self.queue_rows.lock().unwrap_or_else(|e| e.into_inner());
            *evidence = std::mem::take(evidence)
                .into_iter()
                .filter_map(|e| queue_rows.offer(e))
                .collect();
        }
        {
            let mut aggregator = self.aggregator.lock().unwrap_or_else(|e| e.into_inner());
            *evidence = std::mem::take(evidence)
                .into_iter()
                .filter_map(|e| aggregator.offer(e))
                .collect();
        }
        self.out
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .evidence
            .append(evidence);
    }
}

impl ArtifactVisitor for PipelineVisitor<'_> {
    fn visit(&self, artifact: &Artifact<'_>, content: &mut dyn Read) {
        let origin_text = artifact.origin.to_string();
        // Facts carry the server where the file sits says, or a place key
        // for names correlation must still confirm against the collection's
        // content; whatever the parsers find of their own (an `.evtx`
        // Computer field, a queue's Identity) is a real name, told apart
        // from the place by the key. Extract's rows are written now, with
        // the server discovery saw (tool and folder words are never one).
        let place_key = candidates(artifact.origin).place_key();
        let server = place_key.as_deref();
        let place = Place {
            origin: &origin_text,
            server,
        };
        let row_place = Place {
            origin: &origin_text,
            server: artifact.server_hint.as_deref(),
        };
        let pairing_gate = server.map(|server| {
            let bounded = self.bounded.lock().unwrap_or_else(|e| e.into_inner());
            bounded.pairing_gate(server)
        });
        // Facts handed over while the artifact is read (an input holding
        // many: a Security log of a spray) are taken in at once; whether any
        // is a failure decides the net under the parsers at the end.
        let failure_seen = std::cell::Cell::new(false);
        let mut take_part = |part: &mut Part| {
            let claims = std::mem::take(&mut part.claims);
            self.set_aside_copies(artifact.origin, claims, &mut part.evidence);
            if part
                .evidence
                .iter()
                .any(|e| e.fact.failure_signal().is_some())
            {
                failure_seen.set(true);
            }
            self.keep_facts(server, &mut part.evidence);
            self.offer_sessions(server, std::mem::take(&mut part.pairing));
        };
        let known_hints = self
            .known_hints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&place_key)
            .cloned();
        let mut extracted = Extracted {
            known_hints,
            sessions: Some(SessionsOfRun {
                seen: self.sessions.clone(),
                origin: artifact.origin.clone(),
                server: artifact.server_hint.clone(),
            }),
            pairing_gate,
            hand_over: Some(HandOver(&mut take_part)),
            ..Extracted::default()
        };
        let mut sink = match self.settings.keep {
            Keep::Rows(encoding) => Some(ArtifactSink {
                store: &self.spool,
                encoding,
                spool: Spool::default(),
                rows: 0,
                scratch: Vec::new(),
            }),
            Keep::Evidence => None,
        };
        let ingested = ingest(
            artifact,
            content,
            &self.settings.ingest,
            place,
            &mut extracted,
            sink.as_mut().map(|s| (s as &mut dyn RowSink, row_place)),
        );
        self.progress.file_done();
        if let Some(mut sink) = sink.filter(|s| s.rows > 0) {
            self.spool.finish(&mut sink.spool);
            self.rows
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(ArtifactRows {
                    origin: artifact.origin.clone(),
                    rows: sink.rows,
                    spool: sink.spool,
                });
        }
        let Extracted {
            mut evidence,
            hints,
            pairing,
            pairing_gate,
            claims,
            queue_copies,
            known_hints,
            new_known_hints,
            ..
        } = extracted;
        // This file's snapshot let go first: the place's version is then
        // changed in place unless another file still reads it.
        drop(known_hints);
        self.set_aside_copies(artifact.origin, claims, &mut evidence);
        if queue_copies > 0 {
            self.copies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .folded_queue_rows(artifact.origin, queue_copies);
        }
        if !failure_seen.get() && !evidence.iter().any(|e| e.fact.failure_signal().is_some()) {
            // The net under the parsers: a failure no parser read stays a
            // failure (see `exauth_parsers::signature`).
            evidence.extend(
                ingested
                    .signatures
                    .iter()
                    .map(|hit| signature_evidence(hit, place, None)),
            );
        }
        self.collector.push(ingested.row);
        if let (Some(_), Some(gate)) = (server, pairing_gate) {
            let mut bounded = self.bounded.lock().unwrap_or_else(|e| e.into_inner());
            bounded.sessions.offered += gate.refused;
            bounded.samples.offered += gate.banners_refused;
        }
        self.keep_facts(server, &mut evidence);
        self.offer_sessions(server, pairing);
        let not_listed = not_listed(&ingested.problems);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.problems.extend(
            ingested
                .problems
                .into_iter()
                .chain(not_listed)
                .map(|p| (artifact.origin.clone(), p)),
        );
        drop(out);
        self.hints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(hints.into_iter().map(|h| (place_key.clone(), h)));
        // Known only once in the run's set (above).
        if !new_known_hints.is_empty() {
            let mut known = self.known_hints.lock().unwrap_or_else(|e| e.into_inner());
            Arc::make_mut(known.entry(place_key).or_default()).add(new_known_hints);
        }
    }

    fn duplicate(&self, artifact: &Artifact<'_>, set_aside: &SetAside) {
        self.progress.file_done();
        self.collector
            .push(Collector::duplicate_row(artifact, set_aside));
    }

    fn failed(
        &self,
        origin: &Origin,
        server_hint: Option<String>,
        size: Option<u64>,
        reason: String,
    ) {
        self.progress.file_done();
        self.collector
            .push(Collector::failed_row(origin, server_hint, size, reason));
    }

    fn progress(&self, bytes: u64) {
        self.progress.bytes_done(bytes);
    }
}

/// Healthy traffic kept per (server, peer) by scan while the run's budget
/// allows: banner clock samples and sessions for clock pairing. A median
/// needs no more.
const KEPT_PER_PEER: usize = 2000;
/// The fewest kept per (server, peer), whatever the number of pairs.
const KEPT_PER_PEER_AT_LEAST: usize = 2;
/// Items each of the two samples (banner samples, sessions) keeps over all
/// pairs before the per-pair share is halved: memory stays flat however
/// many servers the collection has. Up to 16 servers (240 pairs) every pair
/// keeps its 2000; 20 servers keep 62 a pair; 100 servers (9,900 pairs) the
/// floor of 2 — still 198 paired sessions per server for its clock.
const KEPT_IN_ALL: usize = 1 << 15;

/// Scan's bounded share of healthy-traffic clock evidence: per (server,
/// peer), the items with the smallest hash — a uniform sample that does not
/// depend on the order threads deliver files in. A connection's sessions
/// hash alike at both ends, so both keep the same ones. Sessions with a
/// failed attempt are sampled apart (a retry storm writes thousands a
/// minute): their offset is the one at the failures. Their failures as
/// evidence are all counted (`evidence::aggregate`).
#[derive(Default)]
struct Bounded {
    samples: Sample<Evidence>,
    /// Clock samples of events: a Kerberos KRB_AP_ERR_SKEW error (and its
    /// sample) is written at every failed attempt, a clock-skew storm's
    /// hundreds of thousands in a System log.
    event_samples: Sample<Evidence>,
    /// Offsets `w32tm /stripchart` measured: one a line, every two seconds
    /// while it runs (left running for days: 40,000 lines a day).
    w32tm_samples: Sample<Evidence>,
    /// Copies boxed ([`PairingCopy`]): a heap moves each one at every sift.
    sessions: Sample<PairingCopy>,
    failing: Sample<PairingCopy>,
    /// Scratch for a session's peer name (no allocation per session).
    peer: String,
    /// The last clock sample's peer key, and the address and name it was
    /// written from: a stripchart's millions of offsets name one peer, and
    /// writing its key again for each was 4 % of the instructions of reading
    /// it.
    clock_peer: String,
    clock_peer_of: Option<(Option<std::net::IpAddr>, Option<String>)>,
    /// Every peer's key as written, by address and name: at a hundred
    /// servers a log's banners name its 99 peers in turn, and writing the
    /// key with the formatter (a `Debug` of each part) took ~1,850
    /// instructions a sample (cachegrind by hand, 2026-12-08). At most
    /// [`CLOCK_PEER_KEYS`] addresses (emptied when full) and
    /// [`CLOCK_PEER_NAMES`] names at each.
    clock_peer_keys: rustc_hash::FxHashMap<Option<std::net::IpAddr>, Vec<(Option<String>, String)>>,
}

/// Addresses whose clock sample keys [`Bounded`] keeps written.
const CLOCK_PEER_KEYS: usize = 4096;
/// Names at one address whose keys [`Bounded`] keeps written (the others
/// are written at each sample, as all were before).
const CLOCK_PEER_NAMES: usize = 8;

impl Bounded {
    /// Takes a banner clock sample; other evidence comes back.
    fn offer_sample(&mut self, server: &str, e: Evidence) -> Option<Evidence> {
        use crate::model::ClockBasis;
        let Fact::ClockSample {
            basis,
            remote_server,
            remote_ip,
            ..
        } = &e.fact
        else {
            return Some(e);
        };
        let (sample, primary) = match basis {
            ClockBasis::Banner => (&mut self.samples, fnv1a(e.origin.as_bytes())),
            // An event copied as text has no record id: its origin is the
            // file's; its time and offset tell it apart.
            ClockBasis::KerberosEvent | ClockBasis::TimeServiceEvent => {
                (&mut self.event_samples, event_sample_key(&e))
            }
            // Each line's origin names it.
            ClockBasis::W32tm => (&mut self.w32tm_samples, event_sample_key(&e)),
            _ => return Some(e),
        };
        let same_peer = self
            .clock_peer_of
            .as_ref()
            .is_some_and(|(ip, name)| ip == remote_ip && name == remote_server);
        if !same_peer {
            self.clock_peer.clear();
            let written = self.clock_peer_keys.get(remote_ip).and_then(|names| {
                names
                    .iter()
                    .find(|(name, _)| name == remote_server)
                    .map(|(_, key)| key)
            });
            match written {
                Some(key) => self.clock_peer.push_str(key),
                None => {
                    let _ = write!(self.clock_peer, "{remote_ip:?}/{remote_server:?}");
                    if self.clock_peer_keys.len() >= CLOCK_PEER_KEYS {
                        self.clock_peer_keys.clear();
                    }
                    let names = self.clock_peer_keys.entry(*remote_ip).or_default();
                    // An address's names are searched in turn: a few are kept (a
                    // server's banner names itself one way or two; a log naming
                    // thousands at one address must not make each sample a search).
                    if names.len() < CLOCK_PEER_NAMES {
                        names.push((remote_server.clone(), self.clock_peer.clone()));
                    }
                }
            }
            self.clock_peer_of = Some((*remote_ip, remote_server.clone()));
        }
        let tie = |e: &Evidence| tie_breaker(e.origin.as_bytes());
        sample.offer(server, &self.clock_peer, primary, e, tie);
        None
    }

    /// What a file of `server` may leave out of its healthy sessions for
    /// pairing and of its banner samples ([`PairingGate`]): every share of
    /// the server, with the hashes it holds.
    fn pairing_gate(&self, server: &str) -> PairingGate {
        let mut gate = PairingGate::default();
        gate.new_peers_room(self.sessions.per_pair, self.samples.per_pair);
        self.sessions.tell_sessions(server, &mut gate);
        // The banner samples' peers are keyed by their text; the facts kept
        // name the address and name it is made of.
        for (_, kept) in self.samples.shares(server) {
            let Some(top) = kept.heap.peek() else {
                continue;
            };
            if let Fact::ClockSample {
                remote_ip,
                remote_server,
                ..
            } = &top.item.fact
            {
                let share = GateShare::new(kept.primaries(), self.samples.per_pair);
                gate.banner_share(*remote_ip, remote_server.clone(), share);
            }
        }
        gate
    }

    /// Takes a session for pairing: healthy ones into one sample, those
    /// with an attempt that did not succeed (all `slim_for_pairing` keeps) into
    /// another.
    fn offer_session(&mut self, server: &str, s: PairingCopy) {
        let primary = s.connection_hash();
        let mut peer = std::mem::take(&mut self.peer);
        peer.clear();
        peer.push_str(crate::model::endpoint_host(
            s.remote_endpoint().unwrap_or(""),
        ));
        let sample = if s.failed() {
            &mut self.failing
        } else {
            &mut self.sessions
        };
        sample.offer(server, &peer, primary, s, PairingCopy::sample_tie);
        self.peer = peer;
    }

    fn drain_into(self, collected: &mut Collected) {
        collected.sampled = Sampled {
            banner_samples_kept: self.samples.total as u64,
            banner_samples_read: self.samples.offered,
            event_samples_kept: self.event_samples.total as u64,
            event_samples_read: self.event_samples.offered,
            w32tm_samples_kept: self.w32tm_samples.total as u64,
            w32tm_samples_read: self.w32tm_samples.offered,
            sessions_kept: self.sessions.total as u64,
            sessions_read: self.sessions.offered,
            failing_sessions_kept: self.failing.total as u64,
            failing_sessions_read: self.failing.offered,
        };
        // Room made once, exactly: grown pair by pair, the vectors doubled
        // past what they hold (a long collection's extract peaks at the end
        // of the run, by a massif profile taken by hand).
        collected.evidence.reserve_exact(
            self.samples.total + self.event_samples.total + self.w32tm_samples.total,
        );
        for (_, peers) in self
            .samples
            .into_pairs()
            .into_iter()
            .chain(self.event_samples.into_pairs())
            .chain(self.w32tm_samples.into_pairs())
        {
            for (_, kept) in peers {
                collected.evidence.extend(kept.into_items());
            }
        }
        for (server, peers) in self
            .sessions
            .into_pairs()
            .into_iter()
            .chain(self.failing.into_pairs())
        {
            let sessions = collected.sessions.entry(server).or_default();
            sessions.reserve_exact(peers.iter().map(|(_, kept)| kept.heap.len()).sum());
            for (_, kept) in peers {
                sessions.extend(kept.into_items().map(PairingCopy::into_summary));
            }
        }
    }
}

/// A second, independent hash of an item: orders items whose first hash
/// ties (a 64-bit FNV-1a of the other bytes), so the sample stays the same
/// in every run without keeping each item's key text.
/// The sample key of an event's clock sample: its origin, time (UTC or
/// local wall clock) and offset hashed — two records alike in all of them
/// say the same.
fn event_sample_key(e: &Evidence) -> u64 {
    let offset = match &e.fact {
        Fact::ClockSample { offset_s, .. } => offset_s.to_bits(),
        _ => 0,
    };
    let local = e.local_time.map(|t| t.local);
    // FNV-1a of `origin|time|local|offset` written straight into the hash:
    // the key of a text no longer built (a stripchart offers millions).
    let mut key = FnvWriter(fnv1a(e.origin.as_bytes()));
    let _ = write!(key, "|{:?}|{local:?}|{offset:x}", e.time);
    key.0
}

/// FNV-1a of the text written to it ([`fnv1a_continue`], a piece at a time).
struct FnvWriter(u64);

impl std::fmt::Write for FnvWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 = fnv1a_continue(self.0, s.as_bytes());
        Ok(())
    }
}

fn tie_breaker(bytes: &[u8]) -> u64 {
    // FNV-1a again, from another starting value.
    fnv1a_continue(0x9E37_79B9_7F4A_7C15, bytes)
}

/// Bottom-k samples per (server, peer) under one budget: when the items
/// kept over all pairs pass [`KEPT_IN_ALL`], every pair's share is halved
/// (down to [`KEPT_PER_PEER_AT_LEAST`]). Keeping the smallest keys makes
/// the result independent of arrival order: the share a run ends with is
/// the largest one whose total fits, and each pair then holds its smallest
/// keys — the same whichever thread read what first.
struct Sample<T> {
    /// Server → peer → the sample: hashed, as every item offered looks its
    /// pair up (a hundred servers' names compared in a tree cost 6 % of a
    /// scan); [`Sample::into_pairs`] gives them in name order.
    by_server: FxHashMap<String, FxHashMap<String, BottomK<T>>>,
    per_pair: usize,
    total: usize,
    /// Items offered, kept or not.
    offered: u64,
}

/// One server's peers and their samples.
type PeerSamples<T> = Vec<(String, BottomK<T>)>;

impl<T> Default for Sample<T> {
    fn default() -> Self {
        Sample {
            by_server: FxHashMap::default(),
            per_pair: KEPT_PER_PEER,
            total: 0,
            offered: 0,
        }
    }
}

impl<T> Sample<T> {
    /// Offers the item `make` gives (made only if it is kept).
    /// Offers `item` of key `(primary, tie(&item))` (see [`BottomK::offer`]).
    fn offer(
        &mut self,
        server: &str,
        peer: &str,
        primary: u64,
        item: T,
        tie: impl FnOnce(&T) -> u64,
    ) {
        self.offered += 1;
        // Looked up before anything is allocated: names are new only once.
        if !self.by_server.contains_key(server) {
            self.by_server
                .insert(server.to_string(), FxHashMap::default());
        }
        let Some(peers) = self.by_server.get_mut(server) else {
            return;
        };
        if !peers.contains_key(peer) {
            peers.insert(peer.to_string(), BottomK::default());
        }
        let Some(kept) = peers.get_mut(peer) else {
            return;
        };
        let before = kept.heap.len();
        kept.offer(primary, item, tie, self.per_pair);
        self.total += kept.heap.len() - before;
        while self.total > KEPT_IN_ALL && self.per_pair > KEPT_PER_PEER_AT_LEAST {
            self.per_pair = (self.per_pair / 2).max(KEPT_PER_PEER_AT_LEAST);
            self.total = 0;
            for kept in self.by_server.values_mut().flat_map(|p| p.values_mut()) {
                kept.truncate(self.per_pair);
                self.total += kept.heap.len();
            }
        }
    }

    /// Tells `gate` `server`'s shares as shares of healthy sessions.
    fn tell_sessions(&self, server: &str, gate: &mut PairingGate) {
        let mut kept_hashes = Vec::new();
        for (peer, kept) in self.shares(server) {
            kept_hashes.clear();
            kept_hashes.extend(kept.primaries());
            gate.session_share(peer, &kept_hashes, self.per_pair);
        }
    }

    /// `server`'s shares, one per peer ([`PairingGate`]).
    fn shares<'s>(
        &'s self,
        server: &str,
    ) -> impl Iterator<Item = (&'s String, &'s BottomK<T>)> + 's {
        self.by_server.get(server).into_iter().flatten()
    }

    /// Every server's pairs, servers and their peers in name order.
    fn into_pairs(self) -> Vec<(String, PeerSamples<T>)> {
        let mut servers: Vec<_> = self
            .by_server
            .into_iter()
            .map(|(server, peers)| {
                let mut peers: Vec<_> = peers.into_iter().collect();
                peers.sort_by(|a, b| a.0.cmp(&b.0));
                (server, peers)
            })
            .collect();
        servers.sort_by(|a, b| a.0.cmp(&b.0));
        servers
    }
}

/// The items with the smallest keys offered, up to a share.
struct BottomK<T> {
    heap: std::collections::BinaryHeap<ByKey<T>>,
}

impl<T> Default for BottomK<T> {
    fn default() -> Self {
        BottomK {
            heap: std::collections::BinaryHeap::new(),
        }
    }
}

impl<T> BottomK<T> {
    /// Keeps `item`, of key `(primary, tie(&item))`, if it is among the
    /// `share` smallest keys. `tie` (a hash of its own, ~100 bytes of text)
    /// is computed only when the item is kept or its primary hash equals the
    /// largest kept one's: once a pair is full, nearly every item offered is
    /// refused on its primary hash alone.
    fn offer(&mut self, primary: u64, item: T, tie: impl FnOnce(&T) -> u64, share: usize) {
        if self.heap.len() < share {
            let key = (primary, tie(&item));
            self.heap.push(ByKey { key, item });
            return;
        }
        let Some(top) = self.heap.peek() else {
            return;
        };
        let key = match primary.cmp(&top.key.0) {
            std::cmp::Ordering::Greater => return,
            std::cmp::Ordering::Less => (primary, tie(&item)),
            std::cmp::Ordering::Equal => {
                let key = (primary, tie(&item));
                if key >= top.key {
                    return;
                }
                key
            }
        };
        self.heap.pop();
        self.heap.push(ByKey { key, item });
    }

    /// The primary hashes of the items kept.
    fn primaries(&self) -> impl Iterator<Item = u64> + '_ {
        self.heap.iter().map(|k| k.key.0)
    }

    /// Drops the largest keys until `share` are left.
    fn truncate(&mut self, share: usize) {
        while self.heap.len() > share {
            self.heap.pop();
        }
        // A pair that filled a larger share gives the room back: summed
        // over thousands of pairs, the old capacity is most of the memory.
        self.heap.shrink_to_fit();
    }

    fn into_items(self) -> impl Iterator<Item = T> {
        self.heap.into_iter().map(|k| k.item)
    }
}

struct ByKey<T> {
    key: (u64, u64),
    item: T,
}

impl<T> PartialEq for ByKey<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<T> Eq for ByKey<T> {}
impl<T> PartialOrd for ByKey<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for ByKey<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// Reads everything under `paths`.
pub fn read(paths: &[PathBuf], settings: &ReadSettings) -> Collected {
    let hidden = Progress::hidden();
    let mut visitor = PipelineVisitor {
        settings,
        progress: &hidden,
        collector: Collector::default(),
        out: Mutex::new(Collected::default()),
        hints: Mutex::default(),
        known_hints: Mutex::default(),
        bounded: Mutex::new(Bounded::default()),
        aggregator: Mutex::new(Aggregator::new(settings.aggregate)),
        queue_rows: Mutex::new(QueueRows::new(settings.aggregate)),
        copies: Mutex::new(Copies::default()),
        sessions: Arc::default(),
        spool: SpoolStore::new(SPOOL_BLOCK, SPOOL_MEMORY),
        rows: Mutex::new(Vec::new()),
    };
    let plan = discover::plan(paths, &visitor);
    let progress = Progress::new(plan.total_bytes, settings.progress);
    visitor.progress = &progress;
    discover::run(&plan, &settings.limits, &visitor);
    progress.finish();
    let PipelineVisitor {
        collector,
        out,
        hints,
        bounded,
        aggregator,
        queue_rows,
        copies,
        sessions,
        spool,
        rows,
        ..
    } = visitor;
    let mut collected = out.into_inner().unwrap_or_else(|e| e.into_inner());
    let aggregator = aggregator.into_inner().unwrap_or_else(|e| e.into_inner());
    collected.aggregated_over_s = aggregator.span_s();
    aggregator.drain_into(&mut collected.evidence);
    let queue_copies = queue_rows
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .finish(&mut collected.evidence);
    bounded
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .drain_into(&mut collected);
    collected.inventory = collector.finish();
    let mut copies = copies.into_inner().unwrap_or_else(|e| e.into_inner());
    copies.counted_queue_rows(queue_copies);
    copies.finish(&mut collected.evidence, &mut collected.inventory);
    sessions.finish(&mut collected.inventory);
    collected
        .identity_hints
        .extend(hints.into_inner().unwrap_or_else(|e| e.into_inner()));
    // The sorts are independent of one another: side by side on the pool
    // (after the last file, every step here is on the run's serial end).
    let Collected {
        evidence,
        identity_hints,
        sessions,
        problems,
        ..
    } = &mut collected;
    rayon::join(
        // Stable sorts: ties only ever come from one artifact, whose own
        // order is deterministic.
        || sort_large(evidence, |a, b| a.sort_key().cmp(&b.sort_key())),
        || {
            sessions.par_iter_mut().for_each(|(_, sessions)| {
                sessions.sort_by(|a, b| {
                    (a.start, &a.session_id, a.log).cmp(&(b.start, &b.session_id, b.log))
                })
            });
            // Sorted and each once (made unique as they came).
            identity_hints.sort_unstable();
            problems.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.location.cmp(&b.1.location)));
        },
    );
    if let Keep::Rows(encoding) = settings.keep {
        let mut artifacts = rows.into_inner().unwrap_or_else(|e| e.into_inner());
        artifacts.sort_by(|a, b| a.origin.cmp(&b.origin));
        collected.rows = Some(SpooledRows {
            encoding,
            artifacts,
            store: spool,
        });
    }
    collected
}

/// Frees `value` on the rayon pool, off the caller's path: a run's large
/// structures (the sessions kept for pairing: tens of thousands of boxes) are
/// freed by the other worker while the serial end of the run goes on. On a
/// one-thread pool it is freed here: queued, it would wait for the end of the
/// run and hold its memory that long.
pub(crate) fn drop_aside<T: Send + 'static>(value: T) {
    if rayon::current_num_threads() > 1 {
        rayon::spawn(move || drop(value));
    } else {
        drop(value);
    }
}

/// A stable sort of items too large to move often (a session summary is ~600 bytes, and a
/// merge sort moves each item about log2(n) times): their indices are sorted, then each item is
/// moved into place once along the permutation's cycles (one swap per item). Orders exactly as
/// `sort_by` does, in n words of extra memory rather than n items.
///
/// The indices are sorted on the current rayon pool (a stable parallel merge sort): both of its
/// uses run after the last file is read, on the run's serial end.
pub(crate) fn sort_large<T: Sync>(
    items: &mut [T],
    compare: impl Fn(&T, &T) -> std::cmp::Ordering + Sync,
) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let view: &[T] = items;
    order.par_sort_by(|&a, &b| match (view.get(a), view.get(b)) {
        (Some(a), Some(b)) => compare(a, b),
        _ => std::cmp::Ordering::Equal,
    });
    // `order[k]` is the index of the item that belongs at `k`. Each cycle is walked once: at
    // each step the item that belongs at `k` is swapped in from where it still sits; `placed`
    // marks the places done.
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut k = start;
        while placed.get(k) == Some(&false) {
            if let Some(done) = placed.get_mut(k) {
                *done = true;
            }
            let Some(&from) = order.get(k) else {
                break;
            };
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::pairing_gate::Judged;

    proptest::proptest! {
        /// `sort_large` orders as the standard stable sort does, ties kept in input order.
        #[test]
        fn sort_large_is_the_stable_sort(keys in proptest::collection::vec(0u8..6, 0..200)) {
            let items: Vec<(u8, usize)> = keys.into_iter().zip(0..).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|a| a.0);
            let mut sorted = items;
            sort_large(&mut sorted, |a, b| a.0.cmp(&b.0));
            proptest::prop_assert_eq!(sorted, expected);
        }
    }

    /// An event clock sample's key is FNV-1a of `origin|time|local|offset`,
    /// as it was when that text was built (the samples a run keeps depend on
    /// it): hashed as written, it is the same number.
    #[test]
    fn an_event_sample_key_is_the_hash_of_its_text() {
        let e =
            |time: Option<&str>, local: Option<jiff::civil::DateTime>, offset_s: f64| Evidence {
                server: Some("EX02".into()),
                time: time.map(|t| t.parse().unwrap()),
                time_basis: crate::evidence::TimeBasis::NativeUtc,
                origin: "EX02/EX02_w32tm-stripchart-DC01.txt:4711".into(),
                fact: Fact::ClockSample {
                    basis: crate::model::ClockBasis::W32tm,
                    remote_server: Some("DC01".into()),
                    remote_ip: None,
                    offset_s,
                },
                local_time: local.map(exauth_parsers::queue::ExportedTime::server_local),
                corrected: None,
                represents: 1,
            };
        for sample in [
            e(None, None, -419.9999752),
            e(Some("2026-11-26T04:11:02Z"), None, 0.0),
            e(
                None,
                Some(jiff::civil::date(2026, 11, 26).at(4, 11, 2, 0)),
                -0.0,
            ),
        ] {
            let Fact::ClockSample { offset_s, .. } = &sample.fact else {
                unreachable!()
            };
            let text = format!(
                "{}|{:?}|{:?}|{:x}",
                sample.origin,
                sample.time,
                sample.local_time.map(|t| t.local),
                offset_s.to_bits()
            );
            assert_eq!(event_sample_key(&sample), fnv1a(text.as_bytes()), "{text}");
        }
    }

    fn keys(n: u64) -> Vec<((u64, u64), String)> {
        (0..n)
            .map(|i| {
                let origin = format!("SEND20261126-1.LOG:{i}");
                (
                    (fnv1a(origin.as_bytes()), tie_breaker(origin.as_bytes())),
                    origin,
                )
            })
            .collect()
    }

    #[test]
    fn healthy_clock_evidence_is_bounded_whatever_the_order() {
        let all = keys(3 * KEPT_PER_PEER as u64);
        let mut forward = BottomK::default();
        let mut backward = BottomK::default();
        for key in &all {
            forward.offer(key.0 .0, key.1.clone(), |_| key.0 .1, KEPT_PER_PEER);
        }
        for key in all.iter().rev() {
            backward.offer(key.0 .0, key.1.clone(), |_| key.0 .1, KEPT_PER_PEER);
        }
        let mut a: Vec<String> = forward.into_items().collect();
        let mut b: Vec<String> = backward.into_items().collect();
        a.sort();
        b.sort();
        assert_eq!(a.len(), KEPT_PER_PEER);
        assert_eq!(a, b, "the same sample whatever the order");
    }

    /// Many pairs: the budget halves every pair's share, and the same items
    /// stay whichever order the pairs' items arrive in.
    #[test]
    fn many_pairs_share_one_budget_whatever_the_order() {
        let pairs = 200u64;
        let per_pair = 1500u64;
        type Item = ((String, String), (u64, u64), String);
        let items: Vec<Item> = (0..pairs)
            .flat_map(|p| {
                keys(per_pair).into_iter().map(move |((h, t), o)| {
                    ((format!("EX{p:03}"), "peer".to_string()), (h ^ p, t), o)
                })
            })
            .collect();
        let mut forward: Sample<String> = Sample::default();
        for (pair, key, item) in &items {
            forward.offer(&pair.0, &pair.1, key.0, item.clone(), |_| key.1);
        }
        let mut backward: Sample<String> = Sample::default();
        for (pair, key, item) in items.iter().rev() {
            backward.offer(&pair.0, &pair.1, key.0, item.clone(), |_| key.1);
        }
        assert!(forward.total <= KEPT_IN_ALL, "{} kept", forward.total);
        assert_eq!(forward.per_pair, backward.per_pair);
        // 200 pairs × 1500 > 2^15: the share went down to a power-of-two fraction.
        assert!(forward.per_pair < per_pair as usize);
        let collect = |s: Sample<String>| {
            let mut all: Vec<(String, String)> = s
                .into_pairs()
                .into_iter()
                .flat_map(|(server, peers)| {
                    peers
                        .into_iter()
                        .flat_map(|(_, kept)| kept.into_items())
                        .map(move |i| (server.clone(), i))
                })
                .collect();
            all.sort();
            all
        };
        assert_eq!(collect(forward), collect(backward));
    }

    /// Items left out by a gate taken before each "file", tightened by the
    /// items it lets through, leave the sample and its offered count as
    /// offering every item would: items in peer order, interleaved, and in
    /// rising hash order (each item refused once its share is full, kept
    /// while it is not), shares halving on the way. Some are refused only
    /// because the gate tightened while its file was read.
    #[test]
    fn the_pairing_gate_changes_nothing_the_sample_keeps() {
        let peers = 40u64;
        let by_peer: Vec<(String, u64, u64, String)> = (0..peers)
            .flat_map(|p| {
                keys(2500)
                    .into_iter()
                    .map(move |((h, t), o)| (format!("10.0.0.{p}"), h ^ p, t, o))
            })
            .collect();
        let mut interleaved = by_peer.clone();
        interleaved.sort_by_key(|item| item.2);
        let mut rising = by_peer.clone();
        rising.sort_by_key(|item| item.1);
        for (items, rising_order) in [(by_peer, false), (interleaved, false), (rising, true)] {
            let mut all: Sample<String> = Sample::default();
            for (peer, h, t, item) in &items {
                all.offer("EX01", peer, *h, item.clone(), |_| *t);
            }
            let mut gated: Sample<String> = Sample::default();
            let (mut refused_in_all, mut tightened) = (0, 0);
            for file in items.chunks(997) {
                let mut gate = PairingGate::default();
                gated.tell_sessions("EX01", &mut gate);
                let standing = gate.clone();
                for (peer, h, t, item) in file {
                    if !gate.refuses(peer, *h, true) {
                        gated.offer("EX01", peer, *h, item.clone(), |_| *t);
                    } else if standing.judge(peer, *h, true) == Judged::LetThrough {
                        tightened += 1;
                    }
                }
                gate.file_ended(false);
                refused_in_all += gate.refused;
                gated.offered += gate.refused;
            }
            assert!(
                refused_in_all > items.len() as u64 / 20,
                "{refused_in_all} refused"
            );
            // In rising order a full share refuses all that follows: the gate
            // as it stood before the file did already.
            assert!(
                rising_order || tightened > 0,
                "{tightened} refused by tightening"
            );
            assert_eq!(gated.offered, all.offered);
            assert_eq!((gated.total, gated.per_pair), (all.total, all.per_pair));
            let kept = |s: Sample<String>| {
                let mut kept: Vec<String> = s
                    .into_pairs()
                    .into_iter()
                    .flat_map(|(_, peers)| peers.into_iter().flat_map(|(_, k)| k.into_items()))
                    .collect();
                kept.sort();
                kept
            };
            assert_eq!(kept(gated), kept(all));
        }
    }

    /// A banner sample the gate refuses, by its peer's address and name and
    /// its origin's hash taken in pieces, is one the bounded sample refuses,
    /// while the gate tightens with those it lets through (offered, as a
    /// file's are); one it lets through may be kept.
    /// A banner sample's peer key is its address and name as `Debug` writes
    /// them (the report orders peers by it), whether written anew or taken
    /// from the keys already written, after those were emptied for holding
    /// too many addresses, and past the names kept at one address.
    #[test]
    fn banner_samples_keep_their_peer_key_text() {
        use crate::model::ClockBasis;
        let peers: Vec<(Option<std::net::IpAddr>, Option<String>)> = (0..CLOCK_PEER_KEYS as u32
            + 904)
            .map(|i| {
                (
                    Some(std::net::IpAddr::from(i.to_be_bytes())),
                    Some(format!("EX{i}")),
                )
            })
            .chain((0..20).map(|n| {
                (
                    Some(std::net::IpAddr::from([192, 0, 2, 1])),
                    Some(format!("N{n}")),
                )
            }))
            .chain([
                (None, Some("EX\"quoted\"".to_string())),
                (
                    Some(std::net::IpAddr::from([0xfe80, 0, 0, 0, 0, 0, 0, 1])),
                    None,
                ),
                (None, None),
            ])
            .collect();
        let mut bounded = Bounded::default();
        // The first hundred twice alone (their keys then taken as written),
        // then all twice (the keys emptied on the way, written again).
        let few = peers.len().min(100);
        let rounds = [few, few, peers.len(), peers.len()];
        for (round, &count) in rounds.iter().enumerate() {
            for (i, (ip, name)) in peers.iter().enumerate().take(count) {
                let e = Evidence {
                    server: Some("EX01".into()),
                    time: None,
                    time_basis: crate::evidence::TimeBasis::NativeUtc,
                    origin: format!("EX01/SEND20261126-1.LOG:{}", 4 * i + round),
                    fact: Fact::ClockSample {
                        basis: ClockBasis::Banner,
                        remote_server: name.clone(),
                        remote_ip: *ip,
                        offset_s: 300.0,
                    },
                    local_time: None,
                    corrected: None,
                    represents: 1,
                };
                assert!(bounded.offer_sample("EX01", e).is_none());
            }
        }
        let shares = &bounded.samples.by_server["EX01"];
        assert_eq!(shares.len(), peers.len());
        for (i, (ip, name)) in peers.iter().enumerate() {
            let key = format!("{ip:?}/{name:?}");
            let share = shares.get(&key).unwrap_or_else(|| panic!("no share {key}"));
            let offered = if i < few { 4 } else { 2 };
            assert_eq!(share.heap.len(), offered, "{key}");
        }
    }

    #[test]
    fn the_banner_gate_refuses_what_the_sample_refuses() {
        use crate::model::ClockBasis;
        let sample = |peer: u8, name: &str, line: u64| Evidence {
            server: Some("EX01".into()),
            time: None,
            time_basis: crate::evidence::TimeBasis::NativeUtc,
            origin: format!("EX01/SEND20261126-1.LOG:{line}"),
            fact: Fact::ClockSample {
                basis: ClockBasis::Banner,
                remote_server: Some(name.into()),
                remote_ip: Some(std::net::IpAddr::from([10, 0, 0, peer])),
                offset_s: 300.0,
            },
            local_time: None,
            corrected: None,
            represents: 1,
        };
        let mut bounded = Bounded::default();
        bounded.samples.per_pair = 3;
        // Lines of 1 to 4 digits: FNV-1a of origins that differ only in
        // their last digits cluster, a share of one-digit lines refuses all.
        for line in [5, 77, 901, 4242, 1000, 2000] {
            assert!(bounded
                .offer_sample("EX01", sample(22, "EX12", line))
                .is_none());
        }
        bounded.offer_sample("EX01", sample(23, "EX13", 0));
        let mut gate = bounded.pairing_gate("EX01");
        let ex13 = Some(std::net::IpAddr::from([10, 0, 0, 23]));
        // A share not yet full (one of three) refuses nothing.
        assert!(!gate.would_refuse_banner(ex13, Some("EX13"), u64::MAX));
        let origin_hash = fnv1a(b"EX01/SEND20261126-1.LOG");
        let (mut refused, mut let_through) = (0, 0);
        for line in 40..400u64 {
            let hash = crate::ingest::smtp_log::sample_origin_hash(origin_hash, Some(line));
            let e = sample(22, "EX12", line);
            assert_eq!(hash, fnv1a(e.origin.as_bytes()));
            let ip = Some(std::net::IpAddr::from([10, 0, 0, 22]));
            let kept = |b: &Bounded| -> Vec<(u64, u64)> {
                let share = &b.samples.by_server["EX01"]["Some(10.0.0.22)/Some(\"EX12\")"];
                share.heap.iter().map(|k| k.key).collect()
            };
            let before = kept(&bounded);
            if gate.refuses_banner(ip, Some("EX12"), hash) {
                refused += 1;
                bounded.offer_sample("EX01", e);
                let after = kept(&bounded);
                assert_eq!(
                    before, after,
                    "line {line}: refused by the gate, kept by the sample"
                );
            } else {
                let_through += 1;
                bounded.offer_sample("EX01", e);
            }
            // Another name at the same address has no share: never refused.
            assert!(!gate.would_refuse_banner(ip, Some("EX99"), hash));
        }
        assert!(
            refused > 100 && let_through > 0,
            "{refused} refused, {let_through} not"
        );
        assert_eq!(gate.banners_refused, refused);
    }

    /// The run's identity hints come sorted and each once (made unique by
    /// hash, then sorted): a multi-server sample repeats its hosts in every
    /// log.
    #[test]
    fn identity_hints_come_sorted_and_once_each() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mixed");
        let settings = ReadSettings {
            limits: Limits::default(),
            aggregate: crate::evidence::aggregate::Limits::keep_all(),
            ingest: IngestOptions::default(),
            keep: Keep::Evidence,
            progress: false,
        };
        let hints = read(&[dir], &settings).identity_hints;
        assert!(hints.len() > 10, "{} hints", hints.len());
        for pair in hints.windows(2) {
            assert!(pair[0] < pair[1], "{:?} then {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn small_collections_keep_every_sample() {
        let mut kept = BottomK::default();
        for key in keys(10) {
            kept.offer(key.0 .0, key.1, |_| key.0 .1, KEPT_PER_PEER);
        }
        assert_eq!(kept.into_items().count(), 10);
    }

    /// Items whose primary hashes tie are told apart by their second hash,
    /// computed only then: the smallest whole keys stay, in any order.
    #[test]
    fn equal_primary_hashes_are_told_apart_by_the_tie() {
        let items: Vec<(u64, u64)> = (0..60u64).map(|i| (i % 3, 1000 - i)).collect();
        let mut expected = items.clone();
        expected.sort();
        expected.truncate(7);
        for order in [items.clone(), items.iter().rev().copied().collect()] {
            let mut kept = BottomK::default();
            for (primary, tie) in order {
                kept.offer(primary, (primary, tie), |item| item.1, 7);
            }
            let mut got: Vec<(u64, u64)> = kept.into_items().collect();
            got.sort();
            assert_eq!(got, expected);
        }
    }

    /// Clock samples of two peers by turns, and a name alone changing: each
    /// goes to its own peer's share (the peer key written again whenever the
    /// address or name differs from the sample before).
    #[test]
    fn clock_samples_go_to_their_own_peer_whatever_came_before() {
        let sample = |ip: u8, name: Option<&str>, line: u64| Evidence {
            server: Some("EX02".into()),
            time: None,
            time_basis: crate::evidence::TimeBasis::None,
            origin: format!("EX02/EX02_w32tm-stripchart.txt:{line}"),
            fact: Fact::ClockSample {
                basis: crate::model::ClockBasis::W32tm,
                remote_server: name.map(str::to_string),
                remote_ip: Some(std::net::IpAddr::from([10, 0, 0, ip])),
                offset_s: 1.0,
            },
            local_time: None,
            corrected: None,
            represents: 1,
        };
        let mut bounded = Bounded::default();
        bounded.w32tm_samples.per_pair = 1000;
        for line in 0..30 {
            let (ip, name) = match line % 3 {
                0 => (10, Some("DC01")),
                1 => (11, Some("DC02")),
                _ => (10, None),
            };
            assert!(bounded
                .offer_sample("EX02", sample(ip, name, line))
                .is_none());
        }
        let shares = &bounded.w32tm_samples.by_server["EX02"];
        let count = |key: &str| shares.get(key).map_or(0, |s| s.heap.len());
        assert_eq!(count("Some(10.0.0.10)/Some(\"DC01\")"), 10);
        assert_eq!(count("Some(10.0.0.11)/Some(\"DC02\")"), 10);
        assert_eq!(count("Some(10.0.0.10)/None"), 10);
        assert_eq!(shares.len(), 3);
    }
}
