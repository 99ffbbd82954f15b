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
//!
//! Bounded whatever the input: per (server, kind, minute) at most
//! [`SHAPES`] distinct facts keep an aggregate of their own (those with the
//! smallest hash); the others share one. Every choice is by a key of the
//! item, never by arrival order, so the result is the same whichever thread
//! read which file first. Below [`EXEMPLARS`] alike records a minute
//! nothing is aggregated: small collections come out exactly as read.

use super::{Evidence, Fact};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

/// Records kept per aggregate: the half earliest and half latest.
pub const EXEMPLARS: usize = 8;
/// Distinct facts per (server, kind, minute) with an aggregate of their own.
pub const SHAPES: usize = 64;

/// How much of each aggregate is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Records kept per aggregate (at least 1).
    pub exemplars: usize,
    /// Distinct facts per (server, kind, minute) with their own aggregate.
    pub shapes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            exemplars: EXEMPLARS,
            shapes: SHAPES,
        }
    }
}

impl Limits {
    /// Every record kept: the reference a test compares aggregation with.
    pub fn keep_all() -> Self {
        Limits {
            exemplars: usize::MAX,
            shapes: usize::MAX,
        }
    }
}

/// Aggregates of one run.
#[derive(Debug, Default)]
pub struct Aggregator {
    limits: Limits,
    groups: HashMap<GroupKey, Group>,
    /// A fact serialized for its shape.
    scratch: Vec<u8>,
    /// The last fact shaped, and its shape: alike records come one after
    /// another (a file's facts are offered in time order, a storm's repeat),
    /// and comparing two facts costs less than serializing one.
    last: Option<(Fact, u64)>,
}

type GroupKey = (Option<String>, &'static str, i64);

#[derive(Debug, Default)]
struct Group {
    /// By shape hash; at most [`SHAPES`].
    shapes: BTreeMap<u64, Aggregate>,
    /// Every shape beyond them.
    others: Option<Aggregate>,
}

#[derive(Debug, Default)]
struct Aggregate {
    count: u64,
    /// Sorted by [`Evidence::sort_key`]; at most [`EXEMPLARS`].
    exemplars: Vec<Evidence>,
}

impl Aggregate {
    fn add(&mut self, e: Evidence, limit: usize) {
        self.count += 1;
        let at = self
            .exemplars
            .partition_point(|x| x.sort_key() <= e.sort_key());
        self.exemplars.insert(at, e);
        self.trim(limit);
    }

    fn merge(&mut self, other: Aggregate, limit: usize) {
        self.count += other.count;
        self.exemplars.extend(other.exemplars);
        self.exemplars
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.trim(limit);
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

    fn into_evidence(self, out: &mut Vec<Evidence>) {
        let kept = self.exemplars.len() as u64;
        let mut exemplars = self.exemplars.into_iter();
        if let Some(mut first) = exemplars.next() {
            first.represents = self.count.saturating_sub(kept) + 1;
            out.push(first);
        }
        out.extend(exemplars);
    }
}

impl Aggregator {
    pub fn new(limits: Limits) -> Self {
        Aggregator {
            limits,
            groups: HashMap::new(),
            scratch: Vec::new(),
            last: None,
        }
    }

    /// Takes an item that can be aggregated; any other comes back.
    pub fn offer(&mut self, e: Evidence) -> Option<Evidence> {
        let (Some(time), Some(shape)) = (e.time, self.shape(&e.fact)) else {
            return Some(e);
        };
        let minute = time.as_second().div_euclid(60);
        let key = (e.server.clone(), e.fact.kind(), minute);
        let Limits { exemplars, shapes } = self.limits;
        let group = self.groups.entry(key).or_default();
        if let Some(aggregate) = group.shapes.get_mut(&shape) {
            aggregate.add(e, exemplars);
            return None;
        }
        let full = group.shapes.len() >= shapes.max(1);
        let largest = group.shapes.keys().next_back().copied();
        match (full, largest) {
            (true, Some(largest)) if shape > largest => {
                group
                    .others
                    .get_or_insert_with(Aggregate::default)
                    .add(e, exemplars);
            }
            (true, Some(largest)) => {
                if let Some(evicted) = group.shapes.remove(&largest) {
                    group
                        .others
                        .get_or_insert_with(Aggregate::default)
                        .merge(evicted, exemplars);
                }
                group.shapes.entry(shape).or_default().add(e, exemplars);
            }
            _ => group.shapes.entry(shape).or_default().add(e, exemplars),
        }
        None
    }

    /// [`shape`], the last fact's again when `fact` equals it (equal facts
    /// serialize alike; the facts shaped hold no float, whose 0.0 and -0.0
    /// are equal but written apart).
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
/// (configuration, clock samples — bounded elsewhere —, queue rows, which
/// carry their own retry counts, and anything with a measured offset).
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
        let mut aggregator = Aggregator::default();
        let mut out: Vec<Evidence> = items.filter_map(|e| aggregator.offer(e)).collect();
        aggregator.drain_into(&mut out);
        out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out
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
}
