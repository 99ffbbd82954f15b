//! The case: everything read from a collection, correlated — who is who,
//! whose clock is off (and every timestamp corrected for it), which pairs
//! fail, and which sources each server's collection holds.

pub use super::attribution::attribute;
use super::clock::{self, ClockSample, ClockTable};
use super::identity::IdentityMap;
use super::incident::{self, Incident};
use crate::evidence::IdentityHint;
use crate::evidence::{Evidence, Fact, TimeBasis};
use crate::inventory::Status;
use crate::model::ClockBasis;
use crate::model::Source;
use crate::model::{normalize_host, Role};
use crate::pipeline::Collected;
use exauth_parsers::detect::Kind;
use exauth_parsers::evtx::windows_zone_to_iana;
use exauth_parsers::smtp_log::{pair_all_sessions, pair_all_sessions_where, PairingOptions};
use jiff::{SignedDuration, Timestamp};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Which sources each server's collection holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub by_server: BTreeMap<String, BTreeSet<Source>>,
    /// Sources whose server could not be told.
    pub unattributed: BTreeSet<Source>,
    /// Folder words, file-name prefixes and IPs that named no host in the
    /// collection's content: the files under them count as unattributed.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unconfirmed_names: BTreeSet<String>,
    /// Files whose own dates could not settle their day/month order: the
    /// order chosen, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub date_orders: Vec<super::date_order::DateOrderNote>,
    /// How the evidence was put together, when the report must say so
    /// (a dataset whose servers' sessions were never paired).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Coverage {
    pub fn has(&self, server: &str, source: Source) -> bool {
        self.by_server
            .get(server)
            .is_some_and(|s| s.contains(&source))
    }

    /// True when any server in `servers` (or anyone, if unattributed) has it.
    pub fn any(&self, servers: &BTreeSet<String>, source: Source) -> bool {
        servers.iter().any(|s| self.has(s, source)) || self.unattributed.contains(&source)
    }
}

/// Correlation settings.
#[derive(Debug, Clone)]
pub struct CaseSettings {
    /// Evidence within this distance of an incident's failures belongs to it.
    pub window: SignedDuration,
    /// Time zones the user gave for servers (`--server-tz`); EventLog 6013
    /// in a server's own System log wins over them.
    pub server_zones: BTreeMap<String, jiff::tz::TimeZone>,
}

impl Default for CaseSettings {
    fn default() -> Self {
        CaseSettings {
            window: SignedDuration::from_mins(10),
            server_zones: BTreeMap::new(),
        }
    }
}

/// A handle to one evidence item of a [`Case`]: what rules and incidents
/// hold instead of a bare index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(pub(super) usize);

/// The correlated collection the rules reason about.
#[derive(Debug)]
pub struct Case {
    pub identities: IdentityMap,
    pub clocks: ClockTable,
    pub incidents: Vec<Incident>,
    /// All evidence, local times resolved and every time clock-corrected
    /// (`Evidence::corrected`), sorted by (time, origin). Rules address an
    /// item by its [`ItemId`].
    pub evidence: Vec<Evidence>,
    /// Per server pair, the clock offset of sessions both ends logged
    /// (extract writes them as rows); empty for an evidence set.
    pub paired_clocks: Vec<PairedClock>,
    pub coverage: Coverage,
    /// Servers whose local times were read as UTC for want of a time zone.
    pub assumed_utc: BTreeSet<String>,
    pub settings: CaseSettings,
    /// How much healthy traffic the reading kept (scan samples it).
    pub sampled: crate::pipeline::Sampled,
    /// Seconds over which repeated facts were counted together
    /// ([`Collected::aggregated_over_s`]).
    pub aggregated_over_s: i64,
    /// [`Case::relevant`]'s items, in evidence order.
    relevant: Vec<ItemId>,
}

/// Which evidence belongs to a set of incidents: per server, the time
/// windows of the incidents it is the sender or receiver of, merged; DCs'
/// and unattributed evidence, every incident's window. One lookup and one
/// binary search per item, however many incidents (a 100-server collection
/// has thousands).
struct Scope<'a> {
    by_server: std::collections::HashMap<&'a str, Windows>,
    dcs: BTreeSet<String>,
    any: Windows,
}

/// Sorted, merged, closed time windows; an incident with no time is
/// unbounded.
#[derive(Default)]
struct Windows {
    unbounded: bool,
    spans: Vec<(Timestamp, Timestamp)>,
}

impl Windows {
    fn add(&mut self, span: Option<(Timestamp, Timestamp)>) {
        match span {
            Some(span) => self.spans.push(span),
            None => self.unbounded = true,
        }
    }

    fn merge(&mut self) {
        self.spans.sort();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(self.spans.len());
        for &(from, to) in &self.spans {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        self.spans = merged;
    }

    fn holds(&self, t: Option<Timestamp>) -> bool {
        let Some(t) = t else { return true };
        if self.unbounded {
            return true;
        }
        // The last span starting at or before `t`.
        let i = self.spans.partition_point(|(from, _)| *from <= t);
        i > 0 && self.spans.get(i - 1).is_some_and(|(_, to)| t <= *to)
    }
}

impl<'a> Scope<'a> {
    fn new(incidents: &'a [Incident], dcs: BTreeSet<String>, window: SignedDuration) -> Self {
        let mut by_server: std::collections::HashMap<&str, Windows> =
            std::collections::HashMap::new();
        let mut any = Windows::default();
        for incident in incidents {
            let from = incident.first.and_then(|t| t.checked_sub(window).ok());
            let to = incident.last.and_then(|t| t.checked_add(window).ok());
            let span = from.zip(to);
            by_server
                .entry(incident.sender.as_str())
                .or_default()
                .add(span);
            by_server
                .entry(incident.receiver.as_str())
                .or_default()
                .add(span);
            any.add(span);
        }
        for windows in by_server.values_mut() {
            windows.merge();
        }
        any.merge();
        Scope {
            by_server,
            dcs,
            any,
        }
    }

    fn holds(&self, e: &Evidence) -> bool {
        let windows = match e.server.as_deref() {
            None => &self.any,
            Some(server) if self.dcs.contains(server) => &self.any,
            Some(server) => match self.by_server.get(server) {
                Some(windows) => windows,
                None => return false,
            },
        };
        windows.holds(e.corrected)
    }
}

impl Case {
    pub fn domain_controllers(&self) -> BTreeSet<String> {
        self.identities.domain_controllers()
    }

    /// Evidence that belongs to `incident`: from its sender, receiver or a
    /// DC, within the window around its failures (untimed evidence always).
    pub fn in_scope<'a>(&'a self, incident: &'a Incident) -> impl Iterator<Item = ItemId> + 'a {
        let scope = Scope::new(
            std::slice::from_ref(incident),
            self.domain_controllers(),
            self.settings.window,
        );
        self.evidence
            .iter()
            .enumerate()
            .filter(move |(_, e)| scope.holds(e))
            .map(|(i, _)| ItemId(i))
    }

    /// The evidence the rules look at: in scope of any incident
    /// ([`in_scope`](Self::in_scope)) when there are incidents, else
    /// everything. Worked out once, in one pass, when the case is built.
    pub fn relevant(&self) -> impl Iterator<Item = (ItemId, &Evidence)> + '_ {
        self.relevant.iter().map(|&i| (i, self.item(i)))
    }

    /// Every piece of evidence whose fact matches, across the collection.
    pub fn all(&self) -> impl Iterator<Item = &Evidence> {
        self.evidence.iter()
    }

    /// Every item with its handle.
    pub fn items(&self) -> impl Iterator<Item = (ItemId, &Evidence)> {
        self.evidence
            .iter()
            .enumerate()
            .map(|(i, e)| (ItemId(i), e))
    }

    /// The item a handle names.
    pub fn item(&self, id: ItemId) -> &Evidence {
        &self.evidence[id.0]
    }
}

/// Builds the case from what the pipeline read (deciding first which
/// server each artifact belongs to, unless [`attribute`] already did).
pub fn build(mut collected: Collected, settings: CaseSettings) -> Case {
    attribute(&mut collected);
    let Collected {
        inventory,
        evidence,
        identity_hints,
        sessions,
        unconfirmed_names,
        sampled,
        aggregated_over_s,
        ..
    } = collected;

    // The pairing of sessions needs nothing else of the case: it runs beside
    // the identities and the coverage (after the last file every step is on
    // the run's serial end).
    let ((paired, paired_clocks), (identities, mut coverage)) = rayon::join(
        || paired_session_evidence(&sessions),
        || {
            (
                identities(&inventory, &identity_hints, &evidence),
                coverage(&inventory, &evidence),
            )
        },
    );
    crate::pipeline::drop_aside(sessions);
    coverage.unconfirmed_names = unconfirmed_names;
    let mut evidence = evidence;
    evidence.extend(paired);
    let mut case = assemble(identities, evidence, coverage, settings);
    case.paired_clocks = paired_clocks;
    case.sampled = sampled;
    case.aggregated_over_s = aggregated_over_s;
    case
}

/// Who is who: the servers the inventory and the evidence name, the roles and
/// addresses the identity hints give.
fn identities(
    inventory: &crate::inventory::Inventory,
    identity_hints: &[(Option<String>, IdentityHint)],
    evidence: &[Evidence],
) -> IdentityMap {
    let mut identities = IdentityMap::default();
    for row in &inventory.rows {
        if let Some(server) = &row.server {
            identities.observe_host(server);
        }
    }
    for (_, hint) in identity_hints {
        match hint {
            IdentityHint::Computer { name, role } => identities.observe_role(name, *role),
            IdentityHint::AccountAt { account, ip } => {
                identities.observe_ip(account, *ip);
            }
            IdentityHint::HostAt { host, ip, role } => {
                identities.observe_ip(host, *ip);
                identities.observe_role(host, *role);
            }
        }
    }
    for row in inventory.rows.iter().filter(|r| r.status == Status::Ok) {
        if let (Some(server), Kind::SMTP_SEND_LOG | Kind::SMTP_RECEIVE_LOG | Kind::QUEUE_EXPORT) =
            (&row.server, row.kind)
        {
            identities.observe_role(server, Role::Exchange);
        }
    }
    for e in evidence {
        if let Some(server) = &e.server {
            identities.observe_host(server);
        }
    }
    identities
}

/// One server pair's paired sessions summed up: the offset of `remote`'s
/// clock against `server`'s from every connection both logged.
#[derive(Debug, Clone)]
pub struct PairedClock {
    pub server: String,
    pub remote: String,
    pub sample: exauth_parsers::smtp_log::ClockSample,
    pub sessions: u64,
    pub spread_s: f64,
}

/// Clock samples from sessions both ends logged, as evidence of the server
/// whose clock `time` is in. All sessions are paired, and separately the
/// sessions that failed: a clock that jumped shows only in the latter, and
/// the offset the failing attempts met is the one that matters.
pub fn paired_session_evidence(
    sessions: &BTreeMap<String, Vec<Box<exauth_parsers::smtp_log::SessionSummary>>>,
) -> (Vec<Evidence>, Vec<PairedClock>) {
    let mut out = Vec::new();
    let mut clocks = Vec::new();
    let servers: Vec<&String> = sessions.keys().collect();
    // Every pair of servers at once (one index of the sessions' endpoints,
    // not one per pair), in the order of the pairs.
    let options = PairingOptions::default();
    let all: Vec<&[_]> = sessions.values().map(Vec::as_slice).collect();
    // The sessions with an attempt that did not succeed are paired apart, side
    // by side with all of them.
    let (everything, failing) = rayon::join(
        || pair_all_sessions(&all, &options),
        || pair_all_sessions_where(&all, &options, |s| !s.auth_attempts.is_empty()),
    );
    let mut everything: BTreeMap<(usize, usize), _> = everything.into_iter().collect();
    let mut failing: BTreeMap<(usize, usize), _> = failing.into_iter().collect();
    let pairs: std::collections::BTreeSet<(usize, usize)> =
        everything.keys().chain(failing.keys()).copied().collect();
    for (i, j) in pairs {
        let (Some(a), Some(b)) = (servers.get(i), servers.get(j)) else {
            continue;
        };
        {
            let everything = everything.remove(&(i, j));
            if let Some(paired) = &everything {
                if let Some(sample) = paired.clock_sample(Some((*b).clone())) {
                    clocks.push(PairedClock {
                        server: (*a).clone(),
                        remote: (*b).clone(),
                        sample,
                        sessions: paired.sessions as u64,
                        spread_s: paired.spread_s,
                    });
                }
            }
            let failing = failing.remove(&(i, j));
            for paired in everything.into_iter().chain(failing) {
                for p in &paired.pairs {
                    out.push(Evidence {
                        server: Some((*a).clone()),
                        time: Some(p.time_a),
                        time_basis: TimeBasis::NativeUtc,
                        origin: format!(
                            "{a} send/receive logs ~ {b} send/receive logs: sessions {} / {}",
                            p.send_session_id, p.receive_session_id
                        ),
                        fact: Fact::ClockSample {
                            basis: ClockBasis::PairedSession,
                            remote_server: Some((*b).clone()),
                            remote_ip: None,
                            offset_s: p.delta_s,
                        },
                        local_time: None,
                        corrected: None,
                        represents: 1,
                    });
                }
            }
        }
    }
    (out, clocks)
}

/// The part of [`build`] that needs no files: time zones, clocks, corrected
/// times and incidents from evidence, identities and coverage (tests build
/// cases with it directly).
pub fn assemble(
    identities: IdentityMap,
    mut evidence: Vec<Evidence>,
    mut coverage: Coverage,
    settings: CaseSettings,
) -> Case {
    // Time zones (EventLog 6013) resolve server-local times.
    let mut zones: BTreeMap<String, jiff::tz::TimeZone> = BTreeMap::new();
    for e in &evidence {
        if let (Some(server), Fact::TimeZone { name, .. }) = (&e.server, &e.fact) {
            if let Some(tz) =
                windows_zone_to_iana(name).and_then(|iana| jiff::tz::TimeZone::get(iana).ok())
            {
                zones.entry(server.clone()).or_insert(tz);
            }
        }
    }
    for (server, zone) in &settings.server_zones {
        zones.entry(server.clone()).or_insert_with(|| zone.clone());
    }
    // Files whose dates could not settle day/month order: the collection's
    // UTC evidence does.
    coverage.date_orders = super::date_order::choose(&mut evidence, &zones);
    let mut assumed_utc = BTreeSet::new();
    for e in &mut evidence {
        let Some(local) = e.local_time else { continue };
        let server = e.server.clone().unwrap_or_default();
        let (zone, assumed) = match zones.get(&server) {
            Some(tz) => (tz.clone(), false),
            None => (jiff::tz::TimeZone::UTC, local.utc_offset_seconds.is_none()),
        };
        e.time = local.to_timestamp(&zone);
        e.time_basis = if assumed {
            TimeBasis::ServerLocalAssumed
        } else {
            TimeBasis::ServerLocal
        };
        if assumed {
            assumed_utc.insert(server);
        }
    }
    for e in &evidence {
        if e.time_basis == TimeBasis::ServerLocalAssumed {
            assumed_utc.insert(e.server.clone().unwrap_or_default());
        }
    }
    // Items of ~450 bytes: sorted by index and moved once each (a merge sort
    // moved them log2(n) times: the largest part of a 2-thread run's serial
    // end in a perf profile taken by hand).
    crate::pipeline::sort_large(&mut evidence, |a, b| a.sort_key().cmp(&b.sort_key()));

    // Clocks: every sample, plus sessions both ends logged; beside them the
    // failures' own time span (as stamped), which focuses the clock estimate.
    let margin = SignedDuration::from_mins(1);
    let (samples, focus) = rayon::join(
        || {
            evidence
                .par_iter()
                .filter_map(|e| clock_sample(e, &identities))
                .collect::<Vec<_>>()
        },
        || {
            incident::incidents(&evidence, &identities, |e| e.time)
                .iter()
                .filter_map(|i| {
                    Some((
                        i.first?.checked_sub(margin).ok()?,
                        i.last?.checked_add(margin).ok()?,
                    ))
                })
                .collect::<Vec<(Timestamp, Timestamp)>>()
        },
    );
    let clocks = clock::estimate(&samples, &identities.domain_controllers(), &focus);

    // Correct every timestamp by its server's clock error.
    let offset_of = |server: Option<&str>| -> Option<f64> { clocks.server(server?)?.offset_s };
    evidence.par_iter_mut().for_each(|e| {
        e.corrected = e.time.map(|t| match offset_of(e.server.as_deref()) {
            Some(offset) => t
                .checked_sub(SignedDuration::from_secs_f64(offset))
                .unwrap_or(t),
            None => t,
        });
    });
    let incidents = incident::incidents(&evidence, &identities, |e| e.corrected);
    let relevant = if incidents.is_empty() {
        (0..evidence.len()).map(ItemId).collect()
    } else {
        let scope = Scope::new(&incidents, identities.domain_controllers(), settings.window);
        evidence
            .par_iter()
            .enumerate()
            .filter(|(_, e)| scope.holds(e))
            .map(|(i, _)| ItemId(i))
            .collect()
    };
    Case {
        identities,
        clocks,
        incidents,
        evidence,
        paired_clocks: Vec::new(),
        coverage,
        assumed_utc,
        settings,
        sampled: Default::default(),
        aggregated_over_s: crate::evidence::aggregate::FIRST_SPAN_S,
        relevant,
    }
}

/// The clock sample an item carries, its remote side named (an item whose
/// remote is unknown counts only for the time service's and Kerberos's own
/// readings, which need none).
fn clock_sample(e: &Evidence, identities: &IdentityMap) -> Option<ClockSample> {
    let (
        Some(local),
        Fact::ClockSample {
            basis,
            remote_server,
            remote_ip,
            offset_s,
        },
    ) = (&e.server, &e.fact)
    else {
        return None;
    };
    let remote = remote_ip
        .and_then(|ip| identities.server_for_ip(ip).map(str::to_string))
        .or_else(|| {
            remote_server
                .as_deref()
                .and_then(normalize_host)
                .map(|(s, _)| s)
        });
    if remote.is_none()
        && *basis != ClockBasis::TimeServiceEvent
        && *basis != ClockBasis::KerberosEvent
    {
        return None;
    }
    Some(ClockSample {
        local: local.clone(),
        remote,
        offset_s: *offset_s,
        basis: *basis,
        time: e.time,
    })
}

fn coverage(inventory: &crate::inventory::Inventory, evidence: &[Evidence]) -> Coverage {
    let mut coverage = Coverage::default();
    let rows: Vec<_> = inventory
        .rows
        .iter()
        .filter(|r| r.status == Status::Ok)
        .filter_map(|row| {
            let source = crate::ingest::source_of(row.kind, row.origin.file_name())?;
            Some((row, source, row.origin.to_string()))
        })
        .collect();
    // An event log's server is best told by the events' Computer field: the
    // first fact of the file that names one. Only the files read are looked
    // up (a map of every fact's origin held a protocol log's `file:line`s,
    // each its own key, and compared texts at every insert).
    let mut computer_of: rustc_hash::FxHashMap<&str, Option<&str>> = rows
        .iter()
        .map(|(_, _, origin)| (origin.as_str(), None))
        .collect();
    for e in evidence {
        if let Some(server) = &e.server {
            let file = e.origin.split('#').next().unwrap_or(&e.origin);
            if let Some(first @ None) = computer_of.get_mut(file) {
                *first = Some(server);
            }
        }
    }
    for (row, source, origin) in &rows {
        let source = *source;
        let server = computer_of
            .get(origin.as_str())
            .copied()
            .flatten()
            .map(str::to_string)
            .or_else(|| row.server.clone());
        match server {
            Some(server) => {
                coverage.by_server.entry(server).or_default().insert(source);
            }
            None => {
                coverage.unattributed.insert(source);
            }
        }
    }
    coverage
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Inventory, Row, Status};
    use exauth_parsers::detect::Kind;

    fn row(path: &str, kind: Kind, server: &str) -> Row {
        Row {
            origin: crate::discover::Origin::file(path),
            kind,
            server: Some(server.into()),
            encoding: None,
            bytes: 1,
            status: Status::Ok,
            reason: None,
            set_aside: None,
        }
    }

    fn fact(origin: &str, server: &str) -> Evidence {
        Evidence {
            server: Some(server.into()),
            time: None,
            time_basis: crate::evidence::TimeBasis::NativeUtc,
            origin: origin.into(),
            fact: Fact::ClockSample {
                basis: crate::model::ClockBasis::Banner,
                remote_server: None,
                remote_ip: None,
                offset_s: 0.0,
            },
            local_time: None,
            corrected: None,
            represents: 1,
        }
    }

    /// An event log is covered under the server its first fact names (the
    /// events' Computer), not the folder's; a protocol log's facts
    /// (`file:line`) name no file of their own, so the folder's server stays.
    #[test]
    fn a_file_is_covered_under_its_first_facts_server() {
        let evtx = "EX01/Windows_Event_Logs/Application.evtx";
        let log = "EX01/Hub_Send_Protocol_Logs/SEND20261126-1.LOG";
        let inventory = Inventory {
            rows: vec![
                row(evtx, Kind::EVTX, "EX01"),
                row(log, Kind::SMTP_SEND_LOG, "EX01"),
            ],
            counted_lines: 0,
            counted_entries: 0,
        };
        let evidence = [
            fact(&format!("{evtx}#12"), "DC01"),
            fact(&format!("{evtx}#13"), "EX09"),
            fact(&format!("{log}:5"), "EX07"),
        ];
        let coverage = coverage(&inventory, &evidence);
        let servers: Vec<&str> = coverage.by_server.keys().map(String::as_str).collect();
        assert_eq!(servers, ["DC01", "EX01"]);
        assert!(coverage.unattributed.is_empty());
    }
}
