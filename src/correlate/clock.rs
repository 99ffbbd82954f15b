//! Clock offsets between servers, from every clock sample a collection holds.
//!
//! Kerberos refuses tickets when any two of sender, receiver and KDC are more
//! than 300 s apart, and a skewed server also stamps its own logs wrongly. So
//! before anything is joined across servers, exauth estimates each server's
//! clock: pairwise first (median of the samples of the best basis, with its
//! spread), then per server against the consensus — the domain controllers
//! where the samples reach them, else the median of all servers' clocks. With
//! only two clocks and no third opinion it says which pair is apart and does
//! not guess which side is wrong.

use crate::model::ClockBasis;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub use crate::model::KERBEROS_TOLERANCE_S;

/// One observation: `remote`'s clock minus `local`'s clock, in seconds.
/// `remote == None` means "the reference time source" (a W32Time event that
/// does not name its source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockSample {
    pub local: String,
    pub remote: Option<String>,
    pub offset_s: f64,
    pub basis: ClockBasis,
    /// When it was observed (the local server's clock), if known.
    pub time: Option<jiff::Timestamp>,
}

/// The offset of one pair of servers: `b`'s clock minus `a`'s (a < b).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairOffset {
    pub a: String,
    pub b: String,
    pub offset_s: f64,
    /// Median absolute deviation of the samples used.
    pub spread_s: f64,
    pub samples: usize,
    pub basis: ClockBasis,
}

/// One server's clock against the consensus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerClock {
    pub server: String,
    /// `None` when no sample connects this server to a reference.
    pub offset_s: Option<f64>,
    /// How the reference was chosen ("domain controllers", "majority of N
    /// servers", "time source").
    pub reference: Option<String>,
    pub basis: Option<ClockBasis>,
}

/// Everything known about the clocks of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ClockTable {
    pub pairs: Vec<PairOffset>,
    pub servers: Vec<ServerClock>,
}

impl ClockTable {
    /// Pairs more than Kerberos' tolerance apart.
    pub fn skewed_pairs(&self) -> impl Iterator<Item = &PairOffset> {
        self.pairs
            .iter()
            .filter(|p| p.offset_s.abs() > KERBEROS_TOLERANCE_S)
    }

    pub fn server(&self, name: &str) -> Option<&ServerClock> {
        self.servers.iter().find(|s| s.server == name)
    }

    /// The offset between two servers, from the pair table or through the
    /// per-server offsets: `b`'s clock minus `a`'s.
    pub fn between(&self, a: &str, b: &str) -> Option<f64> {
        for p in &self.pairs {
            if p.a == a && p.b == b {
                return Some(p.offset_s);
            }
            if p.a == b && p.b == a {
                return Some(-p.offset_s);
            }
        }
        let oa = self.server(a)?.offset_s?;
        let ob = self.server(b)?.offset_s?;
        Some(ob - oa)
    }
}

/// The pseudo-server that stands for "the reference time source".
const REFERENCE: &str = "\u{0}reference";

/// Estimates the clock table. `dcs` names the domain controllers (their
/// consensus is the reference when samples reach them). Clocks drift and
/// jump: when samples of a pair fall inside `focus` (the time of the
/// failures), only those count — the offset that matters is the one the
/// failing attempts met.
pub fn estimate(
    samples: &[ClockSample],
    dcs: &BTreeSet<String>,
    focus: &[(jiff::Timestamp, jiff::Timestamp)],
) -> ClockTable {
    let in_focus = |s: &ClockSample| {
        s.time
            .is_some_and(|t| focus.iter().any(|(from, to)| *from <= t && t <= *to))
    };
    // Group samples per unordered pair and basis, oriented a < b; keep the
    // focused ones apart. Hashed by the names as the samples hold them (a
    // hundred servers give hundreds of thousands of samples), then taken in
    // name order.
    type Groups<'s> = rustc_hash::FxHashMap<(&'s str, &'s str), BTreeMap<ClockBasis, Vec<f64>>>;
    let mut grouped: Groups<'_> = Groups::default();
    let mut focused: Groups<'_> = Groups::default();
    for s in samples {
        if !s.offset_s.is_finite() {
            continue;
        }
        let remote = s.remote.as_deref().unwrap_or(REFERENCE);
        let local = s.local.as_str();
        if remote == local {
            continue;
        }
        let (key, value) = if local < remote {
            ((local, remote), s.offset_s)
        } else {
            ((remote, local), -s.offset_s)
        };
        if in_focus(s) {
            focused
                .entry(key)
                .or_default()
                .entry(s.basis)
                .or_default()
                .push(value);
        }
        grouped
            .entry(key)
            .or_default()
            .entry(s.basis)
            .or_default()
            .push(value);
    }
    grouped.extend(focused);
    let mut grouped: Vec<_> = grouped.into_iter().collect();
    grouped.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    let mut pairs = Vec::new();
    for ((a, b), by_basis) in grouped {
        let (a, b) = (a.to_string(), b.to_string());
        // The best basis present decides; the others are corroboration.
        if let Some((&basis, values)) = by_basis.iter().next() {
            let (median, spread) = median_and_mad(values);
            pairs.push(PairOffset {
                a,
                b,
                offset_s: median,
                spread_s: spread,
                samples: values.len(),
                basis,
            });
        }
    }
    let servers = solve_servers(&pairs, dcs);
    let pairs = pairs
        .into_iter()
        .filter(|p| p.a != REFERENCE && p.b != REFERENCE)
        .collect();
    ClockTable { pairs, servers }
}

/// Places every server on one time axis per connected component of the pair
/// graph, then anchors the axis on the reference.
fn solve_servers(pairs: &[PairOffset], dcs: &BTreeSet<String>) -> Vec<ServerClock> {
    let mut adjacency: BTreeMap<&str, Vec<(&str, f64, ClockBasis)>> = BTreeMap::new();
    for p in pairs {
        adjacency
            .entry(&p.a)
            .or_default()
            .push((&p.b, p.offset_s, p.basis));
        adjacency
            .entry(&p.b)
            .or_default()
            .push((&p.a, -p.offset_s, p.basis));
    }
    let mut placed: BTreeMap<&str, (f64, ClockBasis)> = BTreeMap::new();
    let mut out = Vec::new();
    let nodes: Vec<&str> = adjacency.keys().copied().collect();
    for &start in &nodes {
        if placed.contains_key(start) {
            continue;
        }
        // Breadth-first from `start`: relative clocks of the component.
        let mut component: Vec<&str> = Vec::new();
        let mut relative: BTreeMap<&str, (f64, ClockBasis)> = BTreeMap::new();
        relative.insert(start, (0.0, ClockBasis::PairedSession));
        let mut queue = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            component.push(node);
            let (base, _) = relative[node];
            for &(next, offset, basis) in adjacency.get(node).into_iter().flatten() {
                if !relative.contains_key(next) {
                    relative.insert(next, (base + offset, basis));
                    queue.push_back(next);
                }
            }
        }
        let real: Vec<&str> = component
            .iter()
            .copied()
            .filter(|n| *n != REFERENCE)
            .collect();
        let component_dcs: Vec<&str> = real.iter().copied().filter(|n| dcs.contains(*n)).collect();
        let anchor: Option<(f64, String)> = if let Some(&(r, _)) = relative.get(REFERENCE) {
            Some((r, "time source".to_string()))
        } else if !component_dcs.is_empty() {
            let values: Vec<f64> = component_dcs.iter().map(|n| relative[n].0).collect();
            Some((median_and_mad(&values).0, "domain controllers".to_string()))
        } else if real.len() >= 3 {
            let values: Vec<f64> = real.iter().map(|n| relative[n].0).collect();
            Some((
                median_and_mad(&values).0,
                format!("majority of {} servers", real.len()),
            ))
        } else {
            None
        };
        for node in real {
            let (value, basis) = relative[node];
            placed.insert(node, (value, basis));
            out.push(ServerClock {
                server: node.to_string(),
                offset_s: anchor.as_ref().map(|(a, _)| round_ms(value - a)),
                reference: anchor.as_ref().map(|(_, r)| r.clone()),
                basis: Some(basis),
            });
        }
        placed.insert(start, (0.0, ClockBasis::PairedSession));
    }
    out.sort_by(|a, b| a.server.cmp(&b.server));
    out
}

fn round_ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Median and median absolute deviation (robust against a few wild samples).
pub fn median_and_mad(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let median = median(values.to_vec());
    let deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    (round_ms(median), round_ms(median_of(deviations)))
}

fn median(values: Vec<f64>) -> f64 {
    median_of(values)
}

fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(local: &str, remote: &str, offset_s: f64, basis: ClockBasis) -> ClockSample {
        ClockSample {
            local: local.into(),
            remote: Some(remote.into()),
            offset_s,
            basis,
            time: None,
        }
    }

    fn dcs(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn receiver_ahead_by_seven_minutes_against_the_dc() {
        let samples = vec![
            sample("EX01", "EX02", 420.2, ClockBasis::PairedSession),
            sample("EX01", "EX02", 419.9, ClockBasis::PairedSession),
            sample("EX01", "EX02", 421.0, ClockBasis::Banner),
            sample("EX02", "DC01", -420.0, ClockBasis::KerberosEvent),
            sample("EX01", "DC01", 0.1, ClockBasis::W32tm),
        ];
        let table = estimate(&samples, &dcs(&["DC01"]), &[]);
        let pair = &table
            .pairs
            .iter()
            .find(|p| p.a == "EX01" && p.b == "EX02")
            .unwrap();
        assert_eq!(pair.basis, ClockBasis::PairedSession, "the ms basis wins");
        assert!((pair.offset_s - 420.05).abs() < 0.01, "{pair:?}");
        assert_eq!(pair.samples, 2);
        let ex02 = table.server("EX02").unwrap();
        assert!((ex02.offset_s.unwrap() - 420.0).abs() < 0.2, "{ex02:?}");
        assert_eq!(ex02.reference.as_deref(), Some("domain controllers"));
        assert!(table.server("EX01").unwrap().offset_s.unwrap().abs() < 0.2);
        assert_eq!(table.skewed_pairs().count(), 2);
        assert!((table.between("EX02", "EX01").unwrap() + 420.05).abs() < 0.01);
    }

    #[test]
    fn skewed_dc_stands_out_against_the_majority() {
        let samples = vec![
            sample("EX01", "EX02", 0.3, ClockBasis::PairedSession),
            sample("EX01", "EX03", -0.2, ClockBasis::PairedSession),
            sample("EX02", "EX03", -0.4, ClockBasis::PairedSession),
            sample("EX01", "DC01", -600.0, ClockBasis::KerberosEvent),
        ];
        // No DC anchor wanted here: DC01 is the odd one out, so use majority.
        let table = estimate(&samples, &dcs(&[]), &[]);
        let dc = table.server("DC01").unwrap();
        assert!((dc.offset_s.unwrap() + 600.0).abs() < 1.0, "{dc:?}");
        assert_eq!(dc.reference.as_deref(), Some("majority of 4 servers"));
    }

    #[test]
    fn two_clocks_alone_do_not_say_which_is_wrong() {
        let samples = vec![sample("EX01", "EX02", 420.0, ClockBasis::Banner)];
        let table = estimate(&samples, &dcs(&[]), &[]);
        assert_eq!(table.skewed_pairs().count(), 1);
        assert!(table.servers.iter().all(|s| s.offset_s.is_none()));
    }

    #[test]
    fn w32time_event_against_the_time_source() {
        let samples = vec![ClockSample {
            local: "EX02".into(),
            remote: None,
            offset_s: -420.0,
            basis: ClockBasis::TimeServiceEvent,
            time: None,
        }];
        let table = estimate(&samples, &dcs(&[]), &[]);
        let ex02 = table.server("EX02").unwrap();
        assert_eq!(ex02.offset_s, Some(420.0));
        assert_eq!(ex02.reference.as_deref(), Some("time source"));
        assert!(table.pairs.is_empty(), "the reference is not a server");
    }

    #[test]
    fn the_offset_at_the_failures_counts_when_the_clock_jumped() {
        let t = |s: i64| jiff::Timestamp::from_second(1_800_000_000 + s).unwrap();
        let mut samples: Vec<ClockSample> = (0..50)
            .map(|i| ClockSample {
                time: Some(t(i * 60)),
                ..sample("EX01", "EX02", 0.01, ClockBasis::PairedSession)
            })
            .collect();
        samples.extend((0..5).map(|i| ClockSample {
            time: Some(t(4000 + i * 600)),
            ..sample("EX01", "EX02", 420.0, ClockBasis::PairedSession)
        }));
        let whole = estimate(&samples, &dcs(&[]), &[]);
        assert!(
            whole.pairs[0].offset_s.abs() < 1.0,
            "the whole window is dominated by the healthy hour"
        );
        let focused = estimate(&samples, &dcs(&[]), &[(t(3900), t(7000))]);
        assert_eq!(focused.pairs[0].offset_s, 420.0);
        assert_eq!(focused.pairs[0].samples, 5);
    }

    #[test]
    fn a_wild_sample_does_not_move_the_median() {
        let mut samples: Vec<ClockSample> = (0..9)
            .map(|i| {
                sample(
                    "EX01",
                    "EX02",
                    1.0 + f64::from(i) * 0.001,
                    ClockBasis::PairedSession,
                )
            })
            .collect();
        samples.push(sample("EX01", "EX02", 3600.0, ClockBasis::PairedSession));
        let table = estimate(&samples, &dcs(&[]), &[]);
        assert!((table.pairs[0].offset_s - 1.0045).abs() < 0.002);
    }
}
