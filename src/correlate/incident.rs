//! Incidents: failing sender → receiver pairs, and on which side they fail.
//!
//! The same failure shows up in up to five places: the sender's queue
//! LastError, the sender's Send log, the sender's events 2016/2017, the
//! receiver's Receive log and the receiver's event 1035. Each names the peer
//! differently (FQDN, IP, SPN, EHLO name); the identity map turns them into
//! one pair of short names.

use super::case::ItemId;
use super::identity::IdentityMap;
use crate::evidence::{Evidence, Fact, LogKind};
use crate::model::{endpoint_ip, normalize_host};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Where the failure happens (FORMATS §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The receiver answered 454 (Send log `<,454`, event 1035).
    ReceiverRejected,
    /// The sender could not get a ticket and made up the 454 itself.
    SenderSynthesized,
    /// The receiver never offered Exchange Server authentication (451 5.7.3).
    ConnectorRefused,
    /// Only the queue says so: who produced the 454 is unknown.
    Unknown,
}

/// One failing sender → receiver pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub sender: String,
    pub receiver: String,
    pub side: Side,
    pub failures: u64,
    /// Clock-corrected UTC of the first and last failure seen.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Security statuses seen (`TimeSkew`, `IllegalMessage`, …).
    pub statuses: Vec<String>,
    /// The case's failure evidence of this pair.
    #[serde(skip)]
    pub failure_evidence: Vec<ItemId>,
}

/// What kind of failure a piece of evidence shows, and for which pair.
struct FailureSighting {
    sender: String,
    receiver: String,
    signal: Signal,
    status: Option<String>,
    count: u64,
}

use crate::evidence::FailureSignal as Signal;

/// The name of a side that nothing in the collection attributes: no server
/// hint for the file, and no IP or name for the peer. A failure is never
/// dropped for want of a name (the verdict must not be `healthy` beside it).
pub const UNKNOWN: &str = "unknown";

/// A name for a peer: the short server name when known, else what we have.
fn peer_name(identities: &IdentityMap, host: Option<&str>, ip: Option<IpAddr>) -> Option<String> {
    if let Some(ip) = ip {
        if let Some(server) = identities.server_for_ip(ip) {
            return Some(server.to_string());
        }
    }
    if let Some(host) = host {
        if let Some((short, _)) = normalize_host(host) {
            return Some(short);
        }
    }
    ip.map(|ip| ip.to_string())
}

fn sighting(e: &Evidence, identities: &IdentityMap) -> Option<FailureSighting> {
    let signal = e.fact.failure_signal()?;
    // The side that wrote the evidence: its server, else (a protocol-log
    // excerpt nothing attributes) whoever owns its local endpoint's IP.
    let here = e
        .server
        .clone()
        .or_else(|| match &e.fact {
            Fact::SmtpAuth { local_endpoint, .. } => local_endpoint
                .as_deref()
                .and_then(endpoint_ip)
                .and_then(|ip| identities.server_for_ip(ip))
                .map(str::to_string),
            _ => None,
        })
        .unwrap_or_else(|| UNKNOWN.to_string());
    let peer = |host: Option<&str>, ip: Option<IpAddr>| {
        peer_name(identities, host, ip).unwrap_or_else(|| UNKNOWN.to_string())
    };
    let (sender, receiver, status, count) = match &e.fact {
        Fact::SmtpAuth {
            log,
            remote_endpoint,
            remote_host,
            status,
            ..
        } => {
            let peer = peer(
                remote_host.as_deref(),
                remote_endpoint.as_deref().and_then(endpoint_ip),
            );
            let (sender, receiver) = match log {
                LogKind::Send => (here, peer),
                LogKind::Receive => (peer, here),
            };
            (sender, receiver, status.clone(), 1)
        }
        Fact::InboundAuthFailed {
            status, client_ip, ..
        } => (
            peer(None, *client_ip),
            here,
            Some(status.clone()).filter(|s| !s.is_empty()),
            1,
        ),
        Fact::OutboundAuthFailed { status, target, .. } => (
            here,
            peer(target.as_deref(), None),
            Some(status.clone()).filter(|s| !s.is_empty()),
            1,
        ),
        Fact::QueueLastError {
            target_ip,
            target_fqdn,
            inner,
            retry_count,
            counted,
            ..
        } => (
            here,
            peer(target_fqdn.as_deref(), *target_ip),
            inner
                .as_deref()
                .and_then(|i| i.split("Security status ").nth(1))
                .map(|s| s.trim_end_matches('.').to_string()),
            // Queue rows counted together: what the run counted for them.
            counted.unwrap_or_else(|| retry_count.unwrap_or(1).max(1)),
        ),
        Fact::FailureSignature {
            signature,
            status,
            peer_ip,
            peer_host,
            ..
        } => {
            let peer = peer(peer_host.as_deref(), *peer_ip);
            if signature.written_by_receiver() {
                (peer, here, status.clone(), 1)
            } else {
                (here, peer, status.clone(), 1)
            }
        }
        _ => return None,
    };
    // An aggregate's carrier stands for the records counted with it; a
    // queue's RetryCount is a running total, which the last snapshot of a
    // folded run (`ingest::queue::QueueFold`) already holds.
    let count = match &e.fact {
        Fact::QueueLastError { .. } => count,
        _ => count.saturating_mul(e.represents.max(1)),
    };
    Some(FailureSighting {
        sender,
        receiver,
        signal,
        status,
        count,
    })
}

/// What each snapshot of a queue seen more than once adds to its pair's
/// failures, by evidence index. A queue's RetryCount counts its retries so
/// far: the same queue exported again and again (`Get-Queue` in a loop, a
/// transcript that runs it every few minutes) reports 11, 12, 13, … and
/// summing them counted each retry once per export. In time order (then
/// order read), a snapshot adds what its count grew by since the one
/// before; a count lower than the one before is a new round of retries (the
/// queue emptied, or the server restarted), which adds all of its count.
/// Queues without an identity are each their own. (The dataset's `failures`
/// column says the same.)
///
/// A count is never multiplied by [`Evidence::represents`]: RetryCount is a
/// cumulative counter, so the snapshots a folded run stands for
/// (`ingest::queue::QueueFold` keeps its first and last) add, between them,
/// exactly what the last's count grew by since the first, which the last
/// adds here on its own.
///
/// Queue rows counted together past a cap (`evidence::aggregate::queue_rows`)
/// were reconciled the same way while the run was read, every row of their
/// queues with them, and carry the result (`counted`): they are left out.
pub fn queue_retries(evidence: &[Evidence]) -> BTreeMap<ItemId, u64> {
    type Snapshot = (Option<Timestamp>, Option<jiff::civil::DateTime>, usize, u64);
    let mut by_queue: BTreeMap<(Option<&str>, &str), Vec<Snapshot>> = BTreeMap::new();
    for (index, e) in evidence.iter().enumerate() {
        if let Fact::QueueLastError {
            queue,
            retry_count,
            counted: None,
            ..
        } = &e.fact
        {
            if queue.is_empty() || e.fact.failure_signal().is_none() {
                continue;
            }
            let count = retry_count.unwrap_or(1).max(1);
            by_queue
                .entry((e.server.as_deref(), queue.as_str()))
                .or_default()
                .push((e.time, e.local_time.map(|t| t.local), index, count));
        }
    }
    let mut counts = BTreeMap::new();
    for snapshots in by_queue.values_mut().filter(|s| s.len() > 1) {
        snapshots.sort_unstable();
        let mut before = 0;
        for &(_, _, index, count) in snapshots.iter() {
            let added = crate::evidence::queue_retries_added(before, count);
            counts.insert(ItemId(index), added);
            before = count;
        }
    }
    counts
}

/// Finds the failing pairs, timing each failure by `time_of` (as stamped
/// while clocks are still being estimated, clock-corrected after).
pub fn incidents(
    evidence: &[Evidence],
    identities: &IdentityMap,
    time_of: impl Fn(&Evidence) -> Option<Timestamp>,
) -> Vec<Incident> {
    #[derive(Default)]
    struct Acc {
        signals: BTreeMap<Signal, u64>,
        statuses: Vec<String>,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
        items: Vec<ItemId>,
    }
    impl MergeAcc for Acc {
        fn absorb(&mut self, other: Self) {
            for (signal, n) in other.signals {
                *self.signals.entry(signal).or_default() += n;
            }
            for status in other.statuses {
                if !self.statuses.contains(&status) {
                    self.statuses.push(status);
                }
            }
            self.first = match (self.first, other.first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.last = match (self.last, other.last) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            self.items.extend(other.items);
            self.items.sort_unstable();
        }
    }
    let queue_counts = queue_retries(evidence);
    let mut pairs: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for (index, e) in evidence.iter().enumerate() {
        let Some(mut s) = sighting(e, identities) else {
            continue;
        };
        if let Some(&count) = queue_counts.get(&ItemId(index)) {
            s.count = count;
        }
        if s.sender == s.receiver && s.sender != UNKNOWN {
            continue;
        }
        let acc = pairs.entry((s.sender, s.receiver)).or_default();
        *acc.signals.entry(s.signal).or_default() += s.count;
        if let Some(status) = s.status {
            if !acc.statuses.contains(&status) {
                acc.statuses.push(status);
            }
        }
        if let Some(t) = time_of(e) {
            acc.first = Some(acc.first.map_or(t, |f| f.min(t)));
            acc.last = Some(acc.last.map_or(t, |l| l.max(t)));
        }
        acc.items.push(ItemId(index));
    }
    merge_unnamed_senders(&mut pairs, identities);
    pairs
        .into_iter()
        .map(|((sender, receiver), acc)| {
            let has = |s: Signal| acc.signals.get(&s).copied().unwrap_or(0) > 0;
            let receiver_side = has(Signal::SendLogRejected)
                || has(Signal::ReceiveLogRejected)
                || has(Signal::Event1035);
            let sender_side = has(Signal::SendLogSenderFailed) || has(Signal::Event2017);
            let not_offered = has(Signal::SendLogNotOffered) || has(Signal::Queue451NotOffered);
            let side = if receiver_side {
                Side::ReceiverRejected
            } else if not_offered {
                Side::ConnectorRefused
            } else if sender_side {
                Side::SenderSynthesized
            } else {
                Side::Unknown
            };
            let count = |s: Signal| acc.signals.get(&s).copied().unwrap_or(0);
            let failures = [
                count(Signal::SendLogRejected)
                    + count(Signal::SendLogSenderFailed)
                    + count(Signal::SendLogNotOffered),
                count(Signal::ReceiveLogRejected),
                count(Signal::Event1035),
                count(Signal::Event2017),
                count(Signal::Queue454)
                    + count(Signal::Queue451NotOffered)
                    + count(Signal::QueueOther),
            ]
            .into_iter()
            .max()
            .unwrap_or(0);
            let mut statuses = acc.statuses;
            statuses.sort();
            Incident {
                sender,
                receiver,
                side,
                failures,
                first: acc.first,
                last: acc.last,
                statuses,
                failure_evidence: acc.items,
            }
        })
        .collect()
}

/// A receiver sees failures from an IP no name is known for (event 1035),
/// while exactly one sender whose IP is unknown fails towards it (its queue):
/// that IP is that sender. Only this unambiguous case is merged.
fn merge_unnamed_senders<A: MergeAcc>(
    pairs: &mut BTreeMap<(String, String), A>,
    identities: &IdentityMap,
) {
    let receivers: Vec<String> = pairs.keys().map(|(_, r)| r.clone()).collect();
    for receiver in receivers {
        let from_ip: Vec<String> = pairs
            .keys()
            .filter(|(s, r)| *r == receiver && s.parse::<IpAddr>().is_ok())
            .map(|(s, _)| s.clone())
            .collect();
        let named_without_ip: Vec<String> = pairs
            .keys()
            .filter(|(s, r)| {
                *r == receiver
                    && s != UNKNOWN
                    && s.parse::<IpAddr>().is_err()
                    && identities.get(s).is_none_or(|id| id.ips.is_empty())
            })
            .map(|(s, _)| s.clone())
            .collect();
        if let ([ip], [name]) = (from_ip.as_slice(), named_without_ip.as_slice()) {
            if let Some(acc) = pairs.remove(&(ip.clone(), receiver.clone())) {
                if let Some(target) = pairs.get_mut(&(name.clone(), receiver.clone())) {
                    target.absorb(acc);
                }
            }
        }
    }
}

/// What can be merged into another pair's accumulator.
trait MergeAcc {
    fn absorb(&mut self, other: Self);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing::{at, queue_error, send_auth};
    use crate::model::AuthOutcome;

    fn times(e: &Evidence) -> Option<Timestamp> {
        e.time
    }

    fn map() -> IdentityMap {
        let mut m = IdentityMap::default();
        m.observe_ip("EX01.contoso.local", "10.1.2.11".parse().unwrap());
        m.observe_ip("EX02.contoso.local", "10.1.2.12".parse().unwrap());
        m
    }

    #[test]
    fn receiver_rejected_from_both_ends() {
        let evidence = vec![
            at("EX01", 0, send_auth(AuthOutcome::Rejected, None, true)),
            at("EX01", 600, send_auth(AuthOutcome::Rejected, None, true)),
            at(
                "EX02",
                1,
                Fact::InboundAuthFailed {
                    event_id: 1035,
                    status: "IllegalMessage".into(),
                    connector: "Default EX02".into(),
                    mechanism: "ExchangeAuth".into(),
                    client_ip: Some("10.1.2.11".parse().unwrap()),
                },
            ),
        ];
        let found = incidents(&evidence, &map(), times);
        assert_eq!(found.len(), 1);
        let i = &found[0];
        assert_eq!((i.sender.as_str(), i.receiver.as_str()), ("EX01", "EX02"));
        assert_eq!(i.side, Side::ReceiverRejected);
        assert_eq!(i.failures, 2);
        assert_eq!(i.statuses, vec!["IllegalMessage".to_string()]);
        assert_eq!(i.failure_evidence, vec![ItemId(0), ItemId(1), ItemId(2)]);
    }

    #[test]
    fn sender_synthesized_when_no_454_came_back() {
        let evidence = vec![
            at(
                "EX01",
                0,
                send_auth(AuthOutcome::SenderFailed, Some("TargetUnknown"), true),
            ),
            at(
                "EX01",
                1,
                Fact::OutboundAuthFailed {
                    event_id: 2017,
                    status: "TargetUnknown".into(),
                    connector: "Intra-Organization SMTP Send Connector".into(),
                    mechanism: "ExchangeAuth".into(),
                    target: Some("SMTPSVC/EX02.contoso.local".into()),
                },
            ),
        ];
        let found = incidents(&evidence, &map(), times);
        assert_eq!(found[0].side, Side::SenderSynthesized);
        assert_eq!(found[0].receiver, "EX02");
    }

    fn queue_454(queue: &str, retry_count: u64) -> Fact {
        queue_error(
            queue,
            "454 4.7.0 Temporary authentication failure",
            retry_count,
        )
    }

    /// The same queue exported again and again reports its retries so far:
    /// the pair counts each retry once. 11, 12, 13 is 13 retries; then 2 is
    /// a new round (the queue emptied), 15 in all; read in any order, the
    /// snapshots count in time order. Another queue, one without an identity
    /// and the same queue name on another server count apart.
    #[test]
    fn a_queue_exported_again_counts_each_retry_once() {
        let mut evidence = vec![
            at("EX01", 600, queue_454("EX01\\3", 13)),
            at("EX01", 0, queue_454("EX01\\3", 11)),
            at("EX01", 900, queue_454("EX01\\3", 2)),
            at("EX01", 300, queue_454("EX01\\3", 12)),
            at("EX01", 300, queue_454("EX01\\4", 5)),
        ];
        let failures = |evidence: &[Evidence]| {
            let found = incidents(evidence, &map(), times);
            assert_eq!(found.len(), 1, "{found:?}");
            found[0].failures
        };
        assert_eq!(failures(&evidence), 13 + 2 + 5);
        evidence.reverse();
        assert_eq!(failures(&evidence), 13 + 2 + 5);
        evidence.push(at("EX01", 100, queue_454("", 4)));
        evidence.push(at("EX01", 200, queue_454("", 4)));
        assert_eq!(failures(&evidence), 13 + 2 + 5 + 4 + 4);
        // EX03's queue of the same name, to the same receiver.
        evidence.push(at("EX03", 100, queue_454("EX01\\3", 9)));
        let found = incidents(&evidence, &map(), times);
        let ex03 = found
            .iter()
            .find(|i| i.sender == "EX03")
            .expect("EX03's pair");
        assert_eq!(ex03.failures, 9);
    }

    /// `Get-Queue | fl` in a loop: the same queue exported 2,000 times a
    /// minute apart, RetryCount 11 and up, then a new round (the queue
    /// emptied) of 500. Folded as read (`ingest::queue::QueueFold`: each
    /// run's first, and its last standing for the rest), the pair fails as
    /// often, first and last at the same times, as with every snapshot kept.
    #[test]
    fn a_folded_queue_run_counts_as_every_snapshot_kept() {
        let (first_round, second_round) = (2_000u64, 500u64);
        let snapshot = |k: u64| {
            let count = if k < first_round {
                11 + k
            } else {
                1 + k - first_round
            };
            at("EX01", 60 * k as i64, queue_454("EX01\\3", count))
        };
        let every: Vec<Evidence> = (0..first_round + second_round).map(snapshot).collect();
        let folded_run = |first: u64, last: u64| {
            let mut kept = snapshot(last);
            kept.represents = last - first;
            [snapshot(first), kept]
        };
        let folded: Vec<Evidence> = folded_run(0, first_round - 1)
            .into_iter()
            .chain(folded_run(first_round, first_round + second_round - 1))
            .collect();
        let seen = |evidence: &[Evidence]| {
            let found = incidents(evidence, &map(), times);
            assert_eq!(found.len(), 1, "{found:?}");
            (found[0].failures, found[0].first, found[0].last)
        };
        assert_eq!(seen(&folded), seen(&every));
        // The last count of each round: every retry once.
        assert_eq!(seen(&every).0, (11 + first_round - 1) + second_round);
        let represented: u64 = folded.iter().map(|e| e.represents).sum();
        assert_eq!(represented, every.len() as u64);
        // A run's last alone (its first set aside as a copy of another
        // file's): its RetryCount, not multiplied by what it stands for.
        let alone = &folded[1..2];
        assert_eq!(seen(alone).0, 11 + first_round - 1);
    }

    #[test]
    fn connector_refused_from_the_queue_alone() {
        let evidence = vec![at(
            "EX01",
            0,
            queue_error(
                "EX01\\12",
                "451 5.7.3 Cannot achieve Exchange Server authentication",
                7,
            ),
        )];
        let found = incidents(&evidence, &map(), times);
        assert_eq!(found[0].side, Side::ConnectorRefused);
        assert_eq!(found[0].failures, 7);
    }

    #[test]
    fn queue_454_alone_leaves_the_side_unknown() {
        let evidence = vec![at(
            "EX01",
            0,
            Fact::QueueLastError {
                queue: "EX01\\12".into(),
                next_hop: None,
                target_ip: Some("10.9.9.9".parse().unwrap()),
                target_fqdn: None,
                outer: Some("451 4.4.0".into()),
                inner: Some("454 4.7.0 Temporary authentication failure".into()),
                truncated: false,
                retry_count: None,
                counted: None,
            },
        )];
        let found = incidents(&evidence, &map(), times);
        assert_eq!(found[0].side, Side::Unknown);
        assert_eq!(
            found[0].receiver, "10.9.9.9",
            "an unknown peer keeps its IP"
        );
    }

    #[test]
    fn internet_auth_login_failures_are_not_server_to_server() {
        let mut fact = send_auth(AuthOutcome::Rejected, None, true);
        if let Fact::SmtpAuth {
            log,
            mechanism,
            reply,
            ..
        } = &mut fact
        {
            *log = LogKind::Receive;
            *mechanism = Some("AUTH LOGIN".into());
            *reply = Some("535 5.7.3 Authentication unsuccessful".into());
        }
        let spray = Fact::InboundAuthFailed {
            event_id: 1035,
            status: "LogonDenied".into(),
            connector: "Default Frontend EX02".into(),
            mechanism: "Login".into(),
            client_ip: Some("203.0.113.9".parse().unwrap()),
        };
        let evidence = vec![at("EX02", 0, fact), at("EX02", 1, spray)];
        assert!(incidents(&evidence, &map(), times).is_empty());
    }

    #[test]
    fn a_queue_and_a_1035_from_an_unknown_ip_are_one_pair() {
        let mut identities = IdentityMap::default();
        identities.observe_ip("EX02.contoso.local", "10.1.2.12".parse().unwrap());
        identities.observe_host("EX01");
        let evidence = vec![
            at("EX01", 0, queue_454("EX01\\7", 3)),
            at(
                "EX02",
                5,
                Fact::InboundAuthFailed {
                    event_id: 1035,
                    status: "IllegalMessage".into(),
                    connector: "Default EX02".into(),
                    mechanism: "ExchangeAuth".into(),
                    client_ip: Some("10.1.2.11".parse().unwrap()),
                },
            ),
        ];
        let found = incidents(&evidence, &identities, times);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].sender.as_str(), found[0].receiver.as_str()),
            ("EX01", "EX02")
        );
        assert_eq!(found[0].side, Side::ReceiverRejected);
    }

    #[test]
    fn a_failure_nothing_attributes_is_still_a_pair() {
        let mut evidence = vec![at(
            "EX01",
            0,
            Fact::QueueLastError {
                queue: String::new(),
                next_hop: None,
                target_ip: None,
                target_fqdn: None,
                outer: Some("451 4.4.0".into()),
                inner: Some("454 4.7.0 Temporary authentication failure".into()),
                truncated: false,
                retry_count: None,
                counted: None,
            },
        )];
        evidence[0].server = None;
        let found = incidents(&evidence, &map(), times);
        assert_eq!(found.len(), 1, "never dropped for want of a name");
        assert_eq!(
            (found[0].sender.as_str(), found[0].receiver.as_str()),
            (UNKNOWN, UNKNOWN)
        );
        assert_eq!(found[0].side, Side::Unknown);
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint_ip("10.1.2.12:2525"),
            Some("10.1.2.12".parse().unwrap())
        );
        assert_eq!(
            endpoint_ip("[2001:db8::1]:25"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            endpoint_ip("2001:db8::1"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(endpoint_ip("garbage"), None);
        assert_eq!(
            endpoint_ip("[10.1.2.12]"),
            Some("10.1.2.12".parse().unwrap())
        );
        let mapped = endpoint_ip("::ffff:10.0.0.12").map(crate::model::canonical_ip);
        assert_eq!(
            mapped,
            Some("10.0.0.12".parse().unwrap()),
            "Security 4771 IpAddress"
        );
    }
}
