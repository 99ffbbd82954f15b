//! Pairing the two ends of one TCP connection: the clock offset between two servers.
//!
//! When server A's Send log and server B's Receive log both recorded a connection (A's local
//! endpoint = B's remote endpoint and B's local endpoint = A's remote endpoint), the difference of
//! their row times for the same moments is B's clock minus A's clock, to the millisecond. Clock
//! skew is exactly the fault under investigation, so nothing here assumes the two clocks agree:
//! ports get reused, so every endpoint match is only a candidate; the offset that the largest set
//! of candidates agrees on (within a tolerance) wins, and sessions are then matched one-to-one
//! around it. Per pair, the banner (B→A) and EHLO (A→B) deltas are averaged so one-way network
//! latency cancels; the connect (`+`) rows are the fallback.

use super::session::{endpoint_ip, seconds_between};
use super::{ClockBasis, ClockSample, LogKind, SessionSummary};
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::borrow::Borrow;

/// Knobs of [`pair_sessions`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairingOptions {
    /// Candidates whose delta is within this many seconds of the winning offset count as agreeing.
    pub tolerance_s: f64,
}

impl Default for PairingOptions {
    fn default() -> Self {
        PairingOptions { tolerance_s: 2.0 }
    }
}

/// Which server was the SMTP client of a paired connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairDirection {
    AToB,
    BToA,
}

/// One connection logged by both servers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedSession {
    pub direction: PairDirection,
    /// Session id in the sender's Send log.
    pub send_session_id: String,
    /// Session id in the receiver's Receive log.
    pub receive_session_id: String,
    /// Server A's time of the connection.
    #[serde(serialize_with = "super::ser_ts")]
    pub time_a: Timestamp,
    /// B's clock − A's clock for this connection, seconds.
    pub delta_s: f64,
}

/// Clock offset between two servers from their paired sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerPairOffset {
    /// B's clock − A's clock, seconds: median of the per-session deltas.
    pub offset_s: f64,
    /// Number of paired sessions.
    pub sessions: usize,
    /// Largest − smallest per-session delta, seconds.
    pub spread_s: f64,
    /// Endpoint matches considered (including those rejected as port reuse).
    pub candidates: usize,
    pub pairs: Vec<PairedSession>,
}

impl ServerPairOffset {
    /// The offset as a clock sample of B seen from A, stamped at the median pair's time on A.
    pub fn clock_sample(&self, remote_server: Option<String>) -> Option<ClockSample> {
        let mid = self.pairs.get(self.pairs.len() / 2)?;
        Some(ClockSample {
            basis: ClockBasis::PairedSession,
            remote_server,
            remote_ip: None,
            time: mid.time_a,
            offset_s: self.offset_s,
            session_id: None,
            line: None,
        })
    }
}

struct Candidate {
    direction: PairDirection,
    send: usize,
    receive: usize,
    rough_delta: f64,
}

/// Pairs the sessions of server A (`a`, Send and Receive summaries mixed) with those of server B.
/// `None` when no connection was logged by both.
pub fn pair_sessions(
    a: &[SessionSummary],
    b: &[SessionSummary],
    options: &PairingOptions,
) -> Option<ServerPairOffset> {
    pair_all_sessions(&[a, b], options)
        .into_iter()
        .next()
        .map(|(_, offset)| offset)
}

/// [`pair_sessions`] for every pair of `servers` (each server's sessions; pairs `(i, j)` with
/// `i < j`, in that order, those that paired), exactly as calling it per pair gives. Every
/// server's Receive sessions go into one index of their endpoints, looked up once per Send
/// session: pairing pair by pair indexed each server's sessions again for each other server
/// (100 servers: 9,900 indexes of the same sessions).
pub fn pair_all_sessions<S: Borrow<SessionSummary>>(
    servers: &[&[S]],
    options: &PairingOptions,
) -> Vec<((usize, usize), ServerPairOffset)> {
    pair_all_sessions_where(servers, options, |_| true)
}

/// [`pair_all_sessions`] of the sessions `keep` accepts: what the same lists with only those
/// sessions give (each session is told by its place in its list, and the others are passed
/// over in the same order), without copying them out (a run's failing sessions, paired apart,
/// were a second copy of tens of megabytes). The summaries may be held in boxes (`S`), as a
/// run's samples keep them.
pub fn pair_all_sessions_where<S: Borrow<SessionSummary>>(
    servers: &[&[S]],
    options: &PairingOptions,
    keep: impl Fn(&SessionSummary) -> bool,
) -> Vec<((usize, usize), ServerPairOffset)> {
    // (remote, local) of a Receive session → (server, index), in server then session order.
    let mut receivers: FxHashMap<(&str, &str), Vec<(usize, usize)>> = FxHashMap::default();
    for (server, sessions) in servers.iter().enumerate() {
        for (i, r) in sessions.iter().map(Borrow::borrow).enumerate() {
            if r.log != LogKind::Receive || !keep(r) {
                continue;
            }
            if let (Some(remote), Some(local)) = (&r.remote_endpoint, &r.local_endpoint) {
                receivers
                    .entry((remote.as_str(), local.as_str()))
                    .or_default()
                    .push((server, i));
            }
        }
    }
    // Per pair (i < j): the A→B candidates (senders of i), then the B→A ones (senders of j),
    // each in sender then receiver order (the order decides ties in the matching below).
    let mut per_pair: FxHashMap<(usize, usize), [Vec<Candidate>; 2]> = FxHashMap::default();
    for (server, sessions) in servers.iter().enumerate() {
        for (i, s) in sessions.iter().map(Borrow::borrow).enumerate() {
            if s.log != LogKind::Send || !keep(s) {
                continue;
            }
            let (Some(local), Some(remote)) = (&s.local_endpoint, &s.remote_endpoint) else {
                continue;
            };
            let Some(matches) = receivers.get(&(local.as_str(), remote.as_str())) else {
                continue;
            };
            let Some(send_time) = s.connect_time.or(s.start) else {
                continue;
            };
            for &(other, j) in matches {
                if other == server {
                    continue;
                }
                let Some(receive_time) = servers
                    .get(other)
                    .and_then(|r| r.get(j))
                    .map(Borrow::borrow)
                    .and_then(|r: &SessionSummary| r.connect_time.or(r.start))
                else {
                    continue;
                };
                let delta = seconds_between(send_time, receive_time);
                let (pair, direction, rough_delta, side) = if server < other {
                    ((server, other), PairDirection::AToB, delta, 0)
                } else {
                    ((other, server), PairDirection::BToA, -delta, 1)
                };
                if let Some(list) = per_pair.entry(pair).or_default().get_mut(side) {
                    list.push(Candidate {
                        direction,
                        send: i,
                        receive: j,
                        rough_delta,
                    });
                }
            }
        }
    }
    let mut pairs: Vec<_> = per_pair.into_iter().collect();
    pairs.sort_unstable_by_key(|(pair, _)| *pair);
    pairs
        .into_iter()
        .filter_map(|((a, b), [mut candidates, b_to_a])| {
            candidates.extend(b_to_a);
            let offset = pair_candidates(servers.get(a)?, servers.get(b)?, &candidates, options)?;
            Some(((a, b), offset))
        })
        .collect()
}

/// What [`pair_sessions`] makes of the endpoint matches between `a` and `b`.
fn pair_candidates<S: Borrow<SessionSummary>>(
    a: &[S],
    b: &[S],
    candidates: &[Candidate],
    options: &PairingOptions,
) -> Option<ServerPairOffset> {
    if candidates.is_empty() {
        return None;
    }
    let tolerance = options.tolerance_s.abs();
    let center = densest_offset(candidates, tolerance)?;

    // One-to-one matching around the winning offset, closest first.
    let mut agreeing: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| (c.rough_delta - center).abs() <= tolerance)
        .collect();
    agreeing.sort_by(|x, y| {
        (x.rough_delta - center)
            .abs()
            .total_cmp(&(y.rough_delta - center).abs())
    });
    let mut used_send: FxHashMap<(PairDirection, usize), ()> = FxHashMap::default();
    let mut used_receive: FxHashMap<(PairDirection, usize), ()> = FxHashMap::default();
    let mut pairs = Vec::new();
    for c in agreeing {
        if used_send.contains_key(&(c.direction, c.send))
            || used_receive.contains_key(&(c.direction, c.receive))
        {
            continue;
        }
        used_send.insert((c.direction, c.send), ());
        used_receive.insert((c.direction, c.receive), ());
        let (senders, receivers) = match c.direction {
            PairDirection::AToB => (a, b),
            PairDirection::BToA => (b, a),
        };
        let (Some(send), Some(receive)) = (senders.get(c.send), receivers.get(c.receive)) else {
            continue;
        };
        let (send, receive): (&SessionSummary, &SessionSummary) = (send.borrow(), receive.borrow());
        // receiver clock − sender clock; flip to B − A for the B→A direction.
        let Some((delta, send_time)) = precise_delta(send, receive) else {
            continue;
        };
        let (delta_s, time_a) = match c.direction {
            PairDirection::AToB => (delta, send_time),
            PairDirection::BToA => {
                let receive_time = receive.connect_time.or(receive.start).unwrap_or(send_time);
                (-delta, receive_time)
            }
        };
        pairs.push(PairedSession {
            direction: c.direction,
            send_session_id: send.session_id.clone(),
            receive_session_id: receive.session_id.clone(),
            time_a,
            delta_s,
        });
    }
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_by(|x, y| {
        x.time_a
            .cmp(&y.time_a)
            .then_with(|| x.send_session_id.cmp(&y.send_session_id))
    });
    let mut deltas: Vec<f64> = pairs.iter().map(|p| p.delta_s).collect();
    deltas.sort_by(f64::total_cmp);
    let offset_s = median(&deltas)?;
    let spread_s = deltas.last()? - deltas.first()?;
    Some(ServerPairOffset {
        offset_s,
        sessions: pairs.len(),
        spread_s,
        candidates: candidates.len(),
        pairs,
    })
}

/// Center (median) of the window of width 2·tolerance holding the most candidate deltas.
fn densest_offset(candidates: &[Candidate], tolerance: f64) -> Option<f64> {
    let mut deltas: Vec<f64> = candidates.iter().map(|c| c.rough_delta).collect();
    deltas.sort_by(f64::total_cmp);
    let (mut best_start, mut best_len) = (0, 0);
    let mut end = 0;
    for start in 0..deltas.len() {
        let lo = deltas.get(start).copied()?;
        while deltas.get(end).is_some_and(|&d| d - lo <= 2.0 * tolerance) {
            end += 1;
        }
        if end - start > best_len {
            (best_start, best_len) = (start, end - start);
        }
    }
    median(deltas.get(best_start..best_start + best_len)?)
}

/// Receiver clock − sender clock for one connection, and the sender's time of it.
fn precise_delta(send: &SessionSummary, receive: &SessionSummary) -> Option<(f64, Timestamp)> {
    let delta = |s: Option<Timestamp>, r: Option<Timestamp>| Some(seconds_between(s?, r?));
    let banner = delta(send.banner_time, receive.banner_time);
    let ehlo = delta(send.ehlo_time, receive.ehlo_time);
    let connect = delta(send.connect_time, receive.connect_time);
    let value = match (banner, ehlo, connect) {
        (Some(b), Some(e), _) => (b + e) / 2.0,
        (_, _, Some(c)) => c,
        (Some(b), None, None) => b,
        (None, Some(e), None) => e,
        (None, None, None) => delta(send.start, receive.start)?,
    };
    let time = send.connect_time.or(send.start)?;
    Some((value, time))
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        sorted.get(n / 2).copied()
    } else {
        Some((sorted.get(n / 2 - 1)? + sorted.get(n / 2)?) / 2.0)
    }
}

/// The IP of a session's remote endpoint, for labelling samples.
pub fn remote_ip(session: &SessionSummary) -> Option<String> {
    session.remote_endpoint.as_deref().map(endpoint_ip)
}
