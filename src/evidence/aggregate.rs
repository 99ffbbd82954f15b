//! Repeated facts counted, not kept one by one.
//!
//! A DC's Security log during a password spray holds millions of 4771s; a
//! Send log of a server that cannot authenticate, a failed attempt per
//! session. Kept one by one they grow memory with the bytes read. Here the
//! records of one server, fact kind and minute that say the same thing (the
//! same fact once its per-record details — session id, source port, the
//! line as found — are set aside) become one aggregate: a count and a few
//! exemplars, the earliest and the latest of that minute, each with its
//! origin. The first exemplar carries the count of the records that were
//! not kept ([`Evidence::represents`]); incidents and counts weigh it so.
//! A record whose time is a local wall clock (events copied as text, placed
//! in their server's zone once the run is read) is counted by its
//! wall-clock minute, apart from UTC records ([`Clock`]).
//!
//! Bounded whatever the input: per (server, kind, minute) at most
//! [`SHAPES`] distinct facts keep an aggregate of their own (those with the
//! smallest hash); the others share one. Every choice is by a key of the
//! item, never by arrival order, so the result is the same whichever thread
//! read which file first. Below [`EXEMPLARS`] alike records a minute
//! nothing is aggregated: small collections come out exactly as read.
//!
//! Bounded whatever the time the logs span, too: a failure that lasts a
//! week at twenty servers (`benches/collection.sh long-flat`) took 346 MB
//! for 1 GB when every minute kept its own (74,719 aggregates, counted by
//! hand). Past [`KEPT_IN_ALL`] records kept (counted as they can
//! be at most, see [`Group::may_keep`]) the minute becomes two, then four
//! (every group merged with its neighbour), until they fit. That count only
//! grows as records come, so the span a run ends with is the narrowest at
//! which all its records fit, whatever their order; and merging two spans'
//! aggregates gives what reading their records at the wider span gives.
//!
//! Queue rows are the exception: each is kept as read up to [`QUEUE_ROWS`],
//! and past it counted per thing they say over the whole run, their retry
//! counts reconciled queue by queue at the end (`ingest::queue_rows`, with
//! this module's aggregates).

use super::{Evidence, Fact};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

/// Records kept per aggregate: the half earliest and half latest.
pub const EXEMPLARS: usize = 8;
/// Distinct facts per (server, kind, minute) with an aggregate of their own.
pub const SHAPES: usize = 64;
/// Records kept in all before the span of a group widens, ~0.7 to 1.7 KB
/// each with their text and the maps' share (at most ~28 MB). The 100-server
/// collection of `benches/collection.sh` (4 hours, a server failing against
/// all others) keeps 8,891 records in 8,779 aggregates, per minute (counted
/// by hand on 2026-12-06).
pub const KEPT_IN_ALL: usize = 1 << 14;
/// Queue rows kept as read before the rows of the queues of largest
/// identity are counted instead (`ingest::queue_rows`): 4,096 rows, about
/// 5 MB. A queue row as kept costs about 1.3 KB with its text (measured on
/// 2026-12-07: `benches/collection.sh queue-text`, 44,534 rows at 200 MB,
/// peaked at 74 MB kept one by one, 37 MB with this cap; the same bytes of
/// one queue looped, `queue-loop`, 17 MB). Every committed sample,
/// `../shared/realworld` and `../shared/corpus` hold a handful, a hub's
/// `Get-Queue` tens to hundreds: they are read exactly as before. The same
/// bound as the runs a queue fold holds open (`ingest::queue::QueueFold`).
pub const QUEUE_ROWS: usize = 1 << 12;
/// A group's span at first: a minute.
pub const FIRST_SPAN_S: i64 = 60;
/// The widest span: about 16 years (60 s doubled 23 times), past any log. A
/// run whose groups do not fit even at it (a thousand servers' kinds of
/// fact, each with its exemplars) ends there: its aggregates span the run.
pub const MAX_SPAN_S: i64 = FIRST_SPAN_S << 23;

/// How much of each aggregate is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Records kept per aggregate (at least 1).
    pub exemplars: usize,
    /// Distinct facts per (server, kind, minute) with their own aggregate.
    pub shapes: usize,
    /// Records kept in all ([`Group::may_keep`]) before a group's span doubles.
    pub kept_in_all: usize,
    /// Queue rows kept as read before the rest are counted ([`QUEUE_ROWS`],
    /// `queue_rows`).
    pub queue_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            exemplars: EXEMPLARS,
            shapes: SHAPES,
            kept_in_all: KEPT_IN_ALL,
            queue_rows: QUEUE_ROWS,
        }
    }
}

impl Limits {
    /// Every record kept: the reference a test compares aggregation with.
    pub fn keep_all() -> Self {
        Limits {
            exemplars: usize::MAX,
            shapes: usize::MAX,
            kept_in_all: usize::MAX,
            queue_rows: usize::MAX,
        }
    }
}

/// Aggregates of one run.
#[derive(Debug)]
pub struct Aggregator {
    limits: Limits,
    groups: HashMap<GroupKey, Group>,
    /// Seconds a group spans: a minute, doubled while the records kept
    /// outnumber [`Limits::kept_in_all`].
    span_s: i64,
    /// [`Group::may_keep`] of all the groups.
    may_keep: usize,
    /// A fact serialized for its shape.
    scratch: Vec<u8>,
    /// The last fact shaped, and its shape: alike records come one after
    /// another (a file's facts are offered in time order, a storm's repeat),
    /// and comparing two facts costs less than serializing one.
    last: Option<(Fact, u64)>,
}

/// Server, fact kind, the clock of the time, and the group's span: the
/// time's seconds divided by [`Aggregator::span_s`].
type GroupKey = (Option<String>, &'static str, Clock, i64);

/// The clock an item's time is on: UTC, or a local wall clock (a text copy
/// of events, placed in its server's zone only once the run is read), with
/// the offset from UTC when the text gave one. Local times are grouped by
/// their wall-clock minute: every zone is a whole number of minutes from
/// UTC, so a local minute holds the records of one UTC minute (but in the
/// hour a daylight-saving change repeats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Clock {
    Utc,
    Local(Option<i32>),
}

/// The seconds an item is grouped by, and their clock; `None` for an item
/// with no time.
pub(crate) fn grouping_time(e: &Evidence) -> Option<(i64, Clock)> {
    match (e.time, e.local_time) {
        (Some(time), _) => Some((time.as_second(), Clock::Utc)),
        (None, Some(local)) => {
            let wall = jiff::tz::TimeZone::UTC.to_timestamp(local.local).ok()?;
            Some((wall.as_second(), Clock::Local(local.utc_offset_seconds)))
        }
        (None, None) => None,
    }
}

/// The order of an aggregate's records: [`Evidence::sort_key`], local
/// times (which it leaves out: they are placed in a zone later) in their
/// wall-clock order.
fn exemplar_key(
    e: &Evidence,
) -> (
    Option<jiff::Timestamp>,
    Option<jiff::civil::DateTime>,
    &str,
    &str,
) {
    let (time, origin, kind) = e.sort_key();
    (time, e.local_time.map(|t| t.local), origin, kind)
}

#[derive(Debug, Default)]
struct Group {
    /// By shape hash; at most [`SHAPES`].
    shapes: BTreeMap<u64, Aggregate>,
    /// Every shape beyond them.
    others: Option<Aggregate>,
    /// Records added.
    records: u64,
}

impl Group {
    /// The records it may keep: its records, or [`Limits::exemplars`] for
    /// each of its aggregates if fewer. Unlike the records kept, it never
    /// falls as records are added (an aggregate merged into the others
    /// hands them its exemplars, of which the others keep a few).
    fn may_keep(&self, limits: Limits) -> usize {
        let aggregates = self.shapes.len() + usize::from(self.others.is_some());
        let records = usize::try_from(self.records).unwrap_or(usize::MAX);
        records.min(aggregates.saturating_mul(limits.exemplars.max(1)))
    }

    /// Adds `e` of shape `shape`: its own aggregate while it is among the
    /// `limits.shapes` smallest shapes, else the others'.
    fn add(&mut self, shape: u64, e: Evidence, limits: Limits) {
        let Limits {
            exemplars, shapes, ..
        } = limits;
        self.records += 1;
        if let Some(aggregate) = self.shapes.get_mut(&shape) {
            aggregate.add(e, exemplars);
            return;
        }
        let full = self.shapes.len() >= shapes.max(1);
        let largest = self.shapes.keys().next_back().copied();
        match (full, largest) {
            (true, Some(largest)) if shape > largest => {
                self.others
                    .get_or_insert_with(Aggregate::default)
                    .add(e, exemplars);
            }
            (true, Some(largest)) => {
                if let Some(evicted) = self.shapes.remove(&largest) {
                    self.others
                        .get_or_insert_with(Aggregate::default)
                        .merge(evicted, exemplars);
                }
                self.shapes.entry(shape).or_default().add(e, exemplars);
            }
            _ => self.shapes.entry(shape).or_default().add(e, exemplars),
        }
    }

    /// Takes in the aggregates of `other` (a neighbouring span's): the
    /// smallest shapes of both keep their own, the rest join the others.
    fn merge(&mut self, other: Group, limits: Limits) {
        self.records += other.records;
        for (shape, aggregate) in other.shapes {
            self.shapes
                .entry(shape)
                .or_default()
                .merge(aggregate, limits.exemplars);
        }
        while self.shapes.len() > limits.shapes.max(1) {
            let Some((_, evicted)) = self.shapes.pop_last() else {
                break;
            };
            self.others
                .get_or_insert_with(Aggregate::default)
                .merge(evicted, limits.exemplars);
        }
        if let Some(others) = other.others {
            self.others
                .get_or_insert_with(Aggregate::default)
                .merge(others, limits.exemplars);
        }
    }
}

/// Records of one kind counted: their number and the exemplars kept.
#[derive(Debug, Default)]
pub(crate) struct Aggregate {
    /// Records counted (each exemplar stands for one).
    pub(crate) count: u64,
    /// Sorted by [`Evidence::sort_key`]; at most [`EXEMPLARS`].
    pub(crate) exemplars: Vec<Evidence>,
}

impl Aggregate {
    fn add(&mut self, e: Evidence, limit: usize) {
        self.add_weighted(e, 1, limit);
    }

    /// [`Aggregate::add`] of a record that stands for `weight` records.
    pub(crate) fn add_weighted(&mut self, e: Evidence, weight: u64, limit: usize) {
        self.count += weight;
        let at = self
            .exemplars
            .partition_point(|x| exemplar_key(x) <= exemplar_key(&e));
        let limit = limit.max(1);
        if self.exemplars.len() < limit {
            self.exemplars.insert(at, e);
            return;
        }
        // Full: what `trim` would drop from the list with `e` in it (its
        // `cut`-th) goes first, so the list never outgrows the limit (a
        // vector grown past 8 doubles its room: half of it empty, 3.5 KB an
        // aggregate).
        let cut = limit.div_ceil(2);
        match at.cmp(&cut) {
            std::cmp::Ordering::Equal => {}
            std::cmp::Ordering::Less => {
                self.exemplars.remove(cut - 1);
                self.exemplars.insert(at, e);
            }
            std::cmp::Ordering::Greater => {
                self.exemplars.remove(cut);
                self.exemplars.insert(at - 1, e);
            }
        }
    }

    pub(crate) fn merge(&mut self, other: Aggregate, limit: usize) {
        self.count += other.count;
        self.exemplars.extend(other.exemplars);
        self.exemplars
            .sort_by(|a, b| exemplar_key(a).cmp(&exemplar_key(b)));
        self.trim(limit);
        self.exemplars.shrink_to(limit);
    }

    /// Keeps the earliest and the latest halves (the earliest gets the
    /// extra one of an odd limit).
    fn trim(&mut self, limit: usize) {
        let limit = limit.max(1);
        if self.exemplars.len() > limit {
            let cut = limit.div_ceil(2);
            let end = self.exemplars.len() - (limit - cut);
            self.exemplars.drain(cut..end);
        }
    }

    /// The exemplars to `out`, the first carrying the records not kept.
    pub(crate) fn into_evidence(self, out: &mut Vec<Evidence>) {
        let kept = self.exemplars.len() as u64;
        let mut exemplars = self.exemplars.into_iter();
        if let Some(mut first) = exemplars.next() {
            first.represents = self.count.saturating_sub(kept) + 1;
            out.push(first);
        }
        out.extend(exemplars);
    }
}

impl Default for Aggregator {
    fn default() -> Self {
        Aggregator::new(Limits::default())
    }
}

impl Aggregator {
    pub fn new(limits: Limits) -> Self {
        Aggregator {
            limits,
            groups: HashMap::new(),
            span_s: FIRST_SPAN_S,
            may_keep: 0,
            scratch: Vec::new(),
            last: None,
        }
    }

    /// Takes an item that can be aggregated; any other comes back.
    pub fn offer(&mut self, e: Evidence) -> Option<Evidence> {
        let (Some((seconds, clock)), Some(shape)) = (grouping_time(&e), self.shape(&e.fact)) else {
            return Some(e);
        };
        let key = (
            e.server.clone(),
            e.fact.kind(),
            clock,
            seconds.div_euclid(self.span_s),
        );
        let limits = self.limits;
        let group = self.groups.entry(key).or_default();
        let before = group.may_keep(limits);
        group.add(shape, e, limits);
        self.may_keep += group.may_keep(limits).saturating_sub(before);
        while self.may_keep > limits.kept_in_all && self.span_s < MAX_SPAN_S {
            self.widen();
        }
        None
    }

    /// Doubles the span of every group: each merged with its neighbour.
    fn widen(&mut self) {
        self.span_s *= 2;
        let mut wider: HashMap<GroupKey, Group> = HashMap::with_capacity(self.groups.len() / 2);
        for ((server, kind, clock, span), group) in self.groups.drain() {
            match wider.entry((server, kind, clock, span.div_euclid(2))) {
                std::collections::hash_map::Entry::Occupied(mut into) => {
                    into.get_mut().merge(group, self.limits)
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(group);
                }
            }
        }
        self.may_keep = wider.values().map(|g| g.may_keep(self.limits)).sum();
        self.groups = wider;
    }

    /// Seconds each group spans now (a minute until the records kept
    /// outnumber [`Limits::kept_in_all`]).
    pub fn span_s(&self) -> i64 {
        self.span_s
    }

    /// [`shape`], the last fact's again when `fact` equals it (equal facts
    /// shape alike: the one float shaped, a Kerberos error's skew, is written
    /// rounded with -0.0 as 0.0, which equal floats agree on).
    fn shape(&mut self, fact: &Fact) -> Option<u64> {
        if let Some((last, shape)) = &self.last {
            if last == fact {
                return Some(*shape);
            }
        }
        let shape = shape(fact, &mut self.scratch)?;
        match &mut self.last {
            Some((last, last_shape)) => {
                last.clone_from(fact);
                *last_shape = shape;
            }
            None => self.last = Some((fact.clone(), shape)),
        }
        Some(shape)
    }

    /// The exemplars of every aggregate, counts carried by the first.
    pub fn drain_into(self, out: &mut Vec<Evidence>) {
        for (_, group) in self.groups {
            for (_, aggregate) in group.shapes {
                aggregate.into_evidence(out);
            }
            if let Some(others) = group.others {
                others.into_evidence(out);
            }
        }
    }
}

/// What makes two records of a kind say the same thing: the fact without
/// its per-record details, hashed. `None` for facts never aggregated
/// (configuration, clock samples — sampled by the pipeline —, queue rows,
/// which carry their own retry counts and are counted apart past a cap,
/// `ingest::queue_rows`, and time-service events with their
/// offsets).
/// `scratch` holds the serialization, hashed in one piece (the same hash as
/// written piece by piece: the hasher hashes the bytes, however cut).
fn shape(fact: &Fact, scratch: &mut Vec<u8>) -> Option<u64> {
    scratch.clear();
    let mut write = |fact: &Fact| {
        // Serialization as the hash input: every field, without a Hash
        // implementation on facts that hold floats.
        serde_json::to_writer(&mut *scratch, fact).is_ok()
    };
    let written = match fact {
        Fact::SmtpAuth {
            log,
            local_endpoint,
            remote_endpoint,
            remote_host,
            connector,
            mechanism,
            outcome,
            status,
            reply,
            advertised_exchange_auth,
            ..
        } => write(&Fact::SmtpAuth {
            log: *log,
            session_id: String::new(),
            local_endpoint: local_endpoint.as_deref().map(host_of),
            remote_endpoint: remote_endpoint.as_deref().map(host_of),
            remote_host: remote_host.clone(),
            connector: connector.clone(),
            mechanism: mechanism.clone(),
            outcome: *outcome,
            status: status.clone(),
            reply: reply.clone(),
            advertised_exchange_auth: *advertised_exchange_auth,
        }),
        Fact::FailureSignature {
            signature,
            status,
            peer_ip,
            peer_host,
            ..
        } => write(&Fact::FailureSignature {
            signature: *signature,
            status: status.clone(),
            peer_ip: *peer_ip,
            peer_host: peer_host.clone(),
            text: String::new(),
        }),
        // The skew a KRB_AP_ERR_SKEW error measured, to the second (to the
        // tenth of a millisecond, each record differs; its exemplars keep
        // theirs; `+ 0.0` writes -0.0 as 0.0, as equal facts must shape alike).
        Fact::KerberosError {
            skew_s: Some(skew), ..
        } => {
            let mut alike = fact.clone();
            if let Fact::KerberosError { skew_s, .. } = &mut alike {
                *skew_s = Some(skew.round() + 0.0);
            }
            write(&alike)
        }
        Fact::KerberosError { skew_s: None, .. }
        | Fact::InboundAuthFailed { .. }
        | Fact::OutboundAuthFailed { .. }
        | Fact::KerberosTicketIssued { .. }
        | Fact::TransportEvent { .. }
        | Fact::NetlogonEvent { .. }
        | Fact::ReplicationEvent { .. } => write(fact),
        _ => return None,
    };
    written.then(|| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        fact.kind().hash(&mut hasher);
        hasher.write(scratch);
        hasher.finish()
    })
}

/// The host of an endpoint (`10.0.0.5:25` → `10.0.0.5`): the source port
/// differs in every session.
fn host_of(endpoint: &str) -> String {
    crate::model::endpoint_host(endpoint).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::TimeBasis;
    use jiff::Timestamp;

    fn kdc_error(second: i64, client: &str, line: u64) -> Evidence {
        Evidence {
            server: Some("DC01".into()),
            time: Some(Timestamp::from_second(1_764_000_000 + second).unwrap()),
            time_basis: TimeBasis::NativeUtc,
            origin: format!("DC01/Security.evtx#{line}"),
            fact: Fact::KerberosError {
                source: crate::evidence::KerberosSource::Kdc,
                event_id: 4771,
                code: Some(0x18),
                code_name: Some("KDC_ERR_PREAUTH_FAILED".into()),
                target: None,
                client: Some(client.into()),
                client_ip: None,
                skew_s: None,
            },
            local_time: None,
            corrected: None,
            represents: 1,
        }
    }

    fn run(items: impl Iterator<Item = Evidence>) -> Vec<Evidence> {
        run_with(Limits::default(), items).0
    }

    #[test]
    fn a_few_alike_records_stay_as_read() {
        let items: Vec<Evidence> = (0..EXEMPLARS as u64)
            .map(|i| kdc_error(i as i64, "EX01$", i))
            .collect();
        let out = run(items.clone().into_iter());
        assert_eq!(out, items);
    }

    #[test]
    fn a_spray_is_counted_in_bounded_memory_whatever_the_order() {
        // One minute of a spray: 100,000 failures from 5,000 accounts.
        let items: Vec<Evidence> = (0..100_000u64)
            .map(|i| kdc_error((i % 60) as i64, &format!("user{}", i % 5000), i))
            .collect();
        let forward = run(items.clone().into_iter());
        let backward = run(items.into_iter().rev());
        assert_eq!(forward, backward, "the same whatever the order");
        assert!(
            forward.len() <= (SHAPES + 1) * EXEMPLARS,
            "{} items kept",
            forward.len()
        );
        let total: u64 = forward.iter().map(|e| e.represents).sum();
        assert_eq!(total, 100_000, "every record counted once");
        // The minute's first and last failures are kept.
        let times: Vec<_> = forward.iter().filter_map(|e| e.time).collect();
        assert_eq!(
            times.first(),
            Some(&Timestamp::from_second(1_764_000_000).unwrap())
        );
        assert_eq!(
            times.last(),
            Some(&Timestamp::from_second(1_764_000_059).unwrap())
        );
    }

    /// The shape as it was first computed: the serialization written into the
    /// hasher piece by piece.
    fn shape_piece_by_piece(fact: &Fact) -> u64 {
        struct HashWriter<'h, H>(&'h mut H);
        impl<H: Hasher> std::io::Write for HashWriter<'_, H> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.write(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        fact.kind().hash(&mut hasher);
        serde_json::to_writer(HashWriter(&mut hasher), fact).unwrap();
        hasher.finish()
    }

    /// Hashing the serialization in one piece gives the hash it always had:
    /// which shapes keep an aggregate of their own does not change.
    #[test]
    fn shapes_hash_as_written_piece_by_piece() {
        let mut scratch = Vec::new();
        for (i, client) in ["EX01$", "user \"quoted\"\n", "ünïcödé", ""]
            .iter()
            .enumerate()
        {
            let fact = kdc_error(i as i64, client, i as u64).fact;
            assert_eq!(
                shape(&fact, &mut scratch),
                Some(shape_piece_by_piece(&fact)),
                "{client}"
            );
        }
        let other = Fact::InboundAuthFailed {
            event_id: 1035,
            status: "5.7.8".into(),
            connector: "Default Frontend EX01".into(),
            mechanism: "LOGIN".into(),
            client_ip: None,
        };
        assert_eq!(
            shape(&other, &mut scratch),
            Some(shape_piece_by_piece(&other))
        );
    }

    /// The last fact's shape, taken again for an equal fact, is the shape:
    /// facts that alternate, repeat or differ in one field shape as alone.
    #[test]
    fn a_repeated_fact_keeps_its_shape() {
        let mut aggregator = Aggregator::default();
        let mut scratch = Vec::new();
        let facts: Vec<Fact> = ["a", "a", "b", "a", "b", "b", "a"]
            .iter()
            .enumerate()
            .map(|(i, client)| kdc_error(i as i64, client, i as u64).fact)
            .collect();
        let mut skewed = facts[0].clone();
        if let Fact::KerberosError { skew_s, .. } = &mut skewed {
            *skew_s = Some(0.0);
        }
        let facts = [facts.clone(), vec![skewed, facts[0].clone()]].concat();
        for fact in &facts {
            assert_eq!(aggregator.shape(fact), shape(fact, &mut scratch));
        }
    }

    #[test]
    fn different_minutes_and_servers_are_not_merged() {
        let mut other_server = kdc_error(0, "EX01$", 1);
        other_server.server = Some("DC02".into());
        let items = (0..20)
            .map(|i| kdc_error(i * 30, "EX01$", i as u64))
            .chain(std::iter::once(other_server));
        let out = run(items);
        // 20 records over 10 minutes, 2 a minute: nothing to aggregate.
        assert_eq!(out.len(), 21);
        assert!(out.iter().all(|e| e.represents == 1));
    }

    // The span widened for long logs.

    /// A 1035 on `server` `second`s after the test epoch, from one of a few
    /// clients.
    fn inbound(server: &str, second: i64, client: u8) -> Evidence {
        crate::evidence::testing::at(
            server,
            second,
            Fact::InboundAuthFailed {
                event_id: 1035,
                status: "IllegalMessage".into(),
                connector: format!("Default {server}"),
                mechanism: "ExchangeAuth".into(),
                client_ip: Some(std::net::IpAddr::from([10, 0, 0, client])),
            },
        )
    }

    fn run_with(limits: Limits, items: impl Iterator<Item = Evidence>) -> (Vec<Evidence>, i64) {
        let mut aggregator = Aggregator::new(limits);
        let mut out: Vec<Evidence> = items.filter_map(|e| aggregator.offer(e)).collect();
        let span = aggregator.span_s();
        aggregator.drain_into(&mut out);
        out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        (out, span)
    }

    /// Records whose time is a local wall clock (events copied as text) are
    /// counted per wall-clock minute, apart from UTC records of the same
    /// reading (another clock), and keep their earliest and latest by wall
    /// clock, whatever order they come in.
    #[test]
    fn local_times_are_counted_per_wall_clock_minute_apart_from_utc() {
        let local = |second: i64| {
            let mut e = kdc_error(second, "EX01$", second as u64);
            let wall = e.time.take().unwrap().to_zoned(jiff::tz::TimeZone::UTC);
            e.local_time = Some(exauth_parsers::queue::ExportedTime::server_local(
                wall.datetime(),
            ));
            e.time_basis = TimeBasis::ServerLocalAssumed;
            e
        };
        // 20 local and 20 UTC in the same minute (seconds 0..40 of 1_764_000_000,
        // a minute boundary), the local ones backwards; then one local the next minute.
        let items = (0..20)
            .rev()
            .map(local)
            .chain((0..20).map(|i| kdc_error(i, "EX01$", 100 + i as u64)))
            .chain(std::iter::once(local(60)));
        let out = run(items);
        let carriers: Vec<(bool, u64)> = out
            .iter()
            .filter(|e| e.represents > 1)
            .map(|e| (e.local_time.is_some(), e.represents))
            .collect();
        assert_eq!(carriers.len(), 2, "{carriers:?}");
        assert!(carriers.contains(&(true, 13)) && carriers.contains(&(false, 13)));
        let mut local_kept: Vec<i64> = out
            .iter()
            .filter_map(|e| e.local_time)
            .map(|t| {
                jiff::tz::TimeZone::UTC
                    .to_timestamp(t.local)
                    .unwrap()
                    .as_second()
                    - 1_764_000_000
            })
            .collect();
        local_kept.sort_unstable();
        // The minute's 4 earliest and 4 latest, and the next minute's one.
        assert_eq!(local_kept, vec![0, 1, 2, 3, 16, 17, 18, 19, 60]);
        let counted: u64 = out.iter().map(|e| e.represents).sum();
        assert_eq!(counted, 41);
    }

    /// Two days of a failure at three servers (every 20 s, 37 clients in
    /// turn): 8,640 records a server, 2,880 minutes. Kept per minute they
    /// outnumber a bound of 2,000 (and a group's 8 shapes of its own, when
    /// minutes merge); the minutes widen until they fit, and the
    /// result is the same whatever the order the records come in, every
    /// record is counted once, and each server's first and last failures
    /// are kept.
    #[test]
    fn a_long_failure_widens_the_minutes_until_it_fits_whatever_the_order() {
        let limits = Limits {
            kept_in_all: 2000,
            shapes: 8,
            ..Limits::default()
        };
        let items: Vec<Evidence> = ["EX01", "EX02", "EX03"]
            .iter()
            .flat_map(|server| (0..8640i64).map(move |i| inbound(server, i * 20, (i % 37) as u8)))
            .collect();
        let (forward, span) = run_with(limits, items.iter().cloned());
        let (backward, backward_span) = run_with(limits, items.iter().rev().cloned());
        // Servers interleaved, and each server's records out of time order.
        let mut shuffled = items.clone();
        shuffled.sort_by_key(|e| {
            let second = e.time.unwrap().as_second();
            (
                second.wrapping_mul(2_654_435_761) % 1_000_003,
                e.origin.clone(),
            )
        });
        let (mixed, mixed_span) = run_with(limits, shuffled.into_iter());
        assert_eq!(forward, backward, "the same whatever the order");
        assert_eq!(forward, mixed, "the same whatever the order");
        assert_eq!((span, backward_span, mixed_span), (span, span, span));
        assert!(span > 60, "span {span} s");
        assert!(forward.len() <= 2000, "{} kept", forward.len());
        let total: u64 = forward.iter().map(|e| e.represents).sum();
        assert_eq!(total, items.len() as u64, "every record counted once");
        for server in ["EX01", "EX02", "EX03"] {
            let times: Vec<_> = forward
                .iter()
                .filter(|e| e.server.as_deref() == Some(server))
                .filter_map(|e| e.time)
                .collect();
            assert_eq!(
                (times.first(), times.last()),
                (
                    inbound(server, 0, 0).time.as_ref(),
                    inbound(server, 8639 * 20, 0).time.as_ref()
                ),
                "{server}"
            );
        }
    }

    /// The span a run ends with is the narrowest at which its records fit:
    /// half of it kept more than the bound, and a run whose records fit at
    /// a minute keeps every minute as it was.
    #[test]
    fn the_span_is_the_narrowest_that_fits() {
        let items: Vec<Evidence> = (0..4000i64)
            .map(|i| inbound("EX01", i * 15, (i % 3) as u8))
            .collect();
        let kept_per_minute = run_with(Limits::default(), items.iter().cloned());
        assert_eq!(kept_per_minute.1, 60);
        let bound = 400;
        let (narrow, span) = run_with(
            Limits {
                kept_in_all: bound,
                ..Limits::default()
            },
            items.iter().cloned(),
        );
        assert!(narrow.len() <= bound);
        // At half the span, the same records do not fit.
        let mut half = Aggregator::new(Limits::default());
        half.span_s = span / 2;
        for e in items.iter().cloned() {
            let _ = half.offer(e);
        }
        assert!(half.may_keep > bound, "{} at {} s", half.may_keep, span / 2);
        // At the span itself, reading from the start keeps what widening kept.
        let mut direct = Aggregator::new(Limits::default());
        direct.span_s = span;
        let mut out: Vec<Evidence> = items
            .iter()
            .cloned()
            .filter_map(|e| direct.offer(e))
            .collect();
        direct.drain_into(&mut out);
        out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        assert_eq!(out, narrow);
    }

    // A full aggregate's room.

    /// A full aggregate takes a record by dropping first what trimming the
    /// list with it would drop: the same exemplars as inserting and then
    /// trimming, for every limit and every place the record sorts into.
    #[test]
    fn a_full_aggregate_keeps_what_insert_and_trim_keep() {
        let record = |second: i64| {
            crate::evidence::testing::at(
                "EX01",
                second,
                Fact::TimeZone {
                    bias_minutes: None,
                    name: String::new(),
                },
            )
        };
        for limit in [1, 2, 3, 4, 8] {
            // Seconds in an order that lands records before, inside and
            // after those kept, and on equal times.
            let seconds: Vec<i64> = (0..60).map(|i| (i * 37) % 23 - 5).collect();
            let mut added = Aggregate::default();
            let mut reference = Aggregate::default();
            for &s in &seconds {
                added.add(record(s), limit);
                let e = record(s);
                let at = reference
                    .exemplars
                    .partition_point(|x| x.sort_key() <= e.sort_key());
                reference.exemplars.insert(at, e);
                reference.count += 1;
                reference.trim(limit);
                assert_eq!(added.exemplars, reference.exemplars, "limit {limit}");
                assert!(added.exemplars.capacity() <= limit.max(4), "limit {limit}");
            }
            assert_eq!(added.count, reference.count);
        }
    }
}
