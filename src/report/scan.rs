//! The scan result: one model (`ScanReport`), rendered as terminal text or as
//! JSON (`exauth.scan/1`, byte-identical run to run).

use super::escape::terminal;
use super::style::Style;
use super::{Fmt, Sink};
use crate::correlate::case::Case;
use crate::correlate::clock::PairOffset;
use crate::correlate::incident::Side;
use crate::diagnose::{Diagnosis, EvidenceLine, Finding, Status, Strength};
use crate::evidence::{Fact, KerberosSource};
use crate::inventory::{Inventory, Status as RowStatus};
use crate::model::Role;
use crate::model::Source;
use crate::model::{ClockBasis, KERBEROS_TOLERANCE_S};
use exauth_parsers::problem::thousands;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;

/// Most evidence lines per cause in reports (the total is given).
const MAX_LINES: usize = 50;

#[derive(Debug, Serialize)]
pub struct ScanReport {
    pub schema: &'static str,
    pub verdict: crate::diagnose::Verdict,
    pub causes: Vec<CauseReport>,
    pub pairs: Vec<PairReport>,
    pub servers: Vec<ServerReport>,
    pub clock: ClockReport,
    pub coverage: CoverageReport,
    pub inputs: InputsReport,
    pub next_steps: Vec<String>,
    /// The supported causes' remedies as action items, under the servers
    /// each step names (HTML and Markdown group the fix per server).
    pub actions: Vec<ActionItem>,
    /// What the HTML timeline picture draws. Left out of the JSON: it repeats
    /// evidence the causes already list, bucketed for drawing.
    #[serde(skip)]
    pub timeline: TimelinePicture,
}

/// What a report document says about itself (HTML and Markdown headers).
#[derive(Debug, Clone)]
pub struct DocumentMeta {
    /// When the report was made (`--generated-at` fixes it for tests).
    pub generated_at: Timestamp,
    /// The exauth version that made it.
    pub version: &'static str,
    /// The display zone of every time in the document (`--timezone`).
    pub zone: jiff::tz::TimeZone,
}

impl DocumentMeta {
    pub fn new(generated_at: Timestamp, zone: jiff::tz::TimeZone) -> Self {
        DocumentMeta {
            generated_at,
            version: env!("CARGO_PKG_VERSION"),
            zone,
        }
    }

    /// The display zone's name (`UTC`, `Europe/Amsterdam`).
    pub fn zone_name(&self) -> &str {
        self.zone.iana_name().unwrap_or("UTC")
    }
}

/// One step of a fix, and the servers it is about (none: a general step).
#[derive(Debug, Serialize)]
pub struct ActionItem {
    pub cause: &'static str,
    pub servers: Vec<String>,
    pub step: String,
}

/// Marks over time, one lane per server, clock-corrected, bucketed to
/// `resolution_s` so that a month of retries stays a small picture.
#[derive(Debug, Default)]
pub struct TimelinePicture {
    /// The span drawn (clock-corrected): around the failures when there
    /// are any, else all timed evidence.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub resolution_s: i64,
    pub lanes: Vec<TimelineLane>,
    /// The windows around the failing pairs' failures (merged when they
    /// overlap): the evidence the rules weighed lies inside them.
    pub windows: Vec<(Timestamp, Timestamp)>,
    /// Records that would be marks but lie outside the span drawn (an
    /// aggregate counts the records it stands for).
    pub marks_outside: u64,
}

#[derive(Debug)]
pub struct TimelineLane {
    pub server: String,
    pub role: Role,
    /// This server's first and last timed evidence.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Sorted by (time, category).
    pub marks: Vec<TimelineMark>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineMark {
    /// Start of the bucket.
    pub time: Timestamp,
    pub category: MarkCategory,
    /// The records in the bucket: an aggregate's carrier counts the records
    /// it stands for ([`Evidence::represents`]), so a spray of thousands of
    /// 4771s a minute reads as thousands, not as its few exemplars.
    pub count: u64,
}

/// What a timeline mark stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MarkCategory {
    /// Failure evidence of a failing pair (454, 1035, 2016/2017, …).
    Failure,
    /// Kerberos client errors, security audit failures, SPN/name events.
    Kerberos,
    /// The KDC's own events.
    Kdc,
    /// LsaSrv/SPNEGO 40960–40970.
    LsaSrv,
    TimeService,
    Replication,
    Netlogon,
}

impl MarkCategory {
    pub const ALL: [MarkCategory; 7] = [
        MarkCategory::Failure,
        MarkCategory::Kerberos,
        MarkCategory::Kdc,
        MarkCategory::LsaSrv,
        MarkCategory::TimeService,
        MarkCategory::Replication,
        MarkCategory::Netlogon,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MarkCategory::Failure => "authentication failure",
            MarkCategory::Kerberos => "Kerberos",
            MarkCategory::Kdc => "KDC",
            MarkCategory::LsaSrv => "LsaSrv",
            MarkCategory::TimeService => "Time-Service",
            MarkCategory::Replication => "replication",
            MarkCategory::Netlogon => "Netlogon",
        }
    }

    fn of(fact: &Fact) -> Option<MarkCategory> {
        Some(match fact {
            Fact::KerberosError { source, .. } => match source {
                KerberosSource::Kdc => MarkCategory::Kdc,
                KerberosSource::LsaSrv => MarkCategory::LsaSrv,
                KerberosSource::Client | KerberosSource::SecurityAudit => MarkCategory::Kerberos,
            },
            Fact::DuplicateName { .. } | Fact::SpnNotRegistered { .. } => MarkCategory::Kerberos,
            Fact::TimeServiceEvent { .. } => MarkCategory::TimeService,
            Fact::ReplicationEvent { .. } => MarkCategory::Replication,
            Fact::NetlogonEvent { .. } => MarkCategory::Netlogon,
            _ => return None,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct CauseReport {
    pub cause: &'static str,
    pub status: Status,
    pub confidence: f64,
    pub pairs: Vec<PairRef>,
    pub evidence: Vec<EvidenceLine>,
    pub evidence_total: usize,
    pub refuting: Vec<EvidenceLine>,
    pub missing: Vec<String>,
    pub remedy: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct PairRef {
    pub sender: String,
    pub receiver: String,
}

#[derive(Debug, Serialize)]
pub struct PairReport {
    pub sender: String,
    pub receiver: String,
    pub side: Side,
    pub failures: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub statuses: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ServerReport {
    pub name: String,
    pub fqdns: Vec<String>,
    pub ips: Vec<String>,
    pub role: Role,
    pub clock_offset_s: Option<f64>,
    pub offset_basis: Option<ClockBasis>,
    pub offset_reference: Option<String>,
    pub sources: Vec<Source>,
    /// Clock-corrected time of this server's first and last timed evidence:
    /// the time range its collection covers.
    pub first_evidence: Option<Timestamp>,
    pub last_evidence: Option<Timestamp>,
    pub evidence_items: u64,
    /// Sources a server of this role usually gives that its collection
    /// lacks (the rules that read them are weaker without them).
    pub missing_sources: Vec<Source>,
}

#[derive(Debug, Serialize)]
pub struct ClockReport {
    pub tolerance_s: f64,
    pub pairs: Vec<PairOffset>,
    /// Each server's timestamps were shifted by its offset before correlation.
    pub timestamps_corrected: bool,
}

#[derive(Debug, Serialize)]
pub struct CoverageReport {
    pub servers: BTreeMap<String, Vec<Source>>,
    pub unattributed: Vec<Source>,
    /// Folder words, file-name prefixes and IPs that named no host in the
    /// collection's content: their files count as unattributed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unconfirmed_names: Vec<String>,
    /// Files whose own dates could not settle their day/month order: the
    /// order chosen, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub date_orders: Vec<crate::correlate::date_order::DateOrderNote>,
    /// How the evidence was put together (an evidence dataset's servers
    /// whose protocol-log sessions could not be paired).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Servers whose local times (queue exports, w32tm) were read as UTC.
    pub local_times_assumed_utc: Vec<String>,
    pub ip_conflicts: Vec<crate::correlate::identity::IpConflict>,
    pub not_read: Vec<NotRead>,
    /// Files that were read but had bad parts (cut lines, bad records): the
    /// first problem of each, with where it is.
    pub read_with_problems: Vec<NotRead>,
    pub problems_in_files: usize,
    /// Copies set aside so that nothing is counted twice: files not read
    /// because another copy was, and records set aside inside files read.
    #[serde(skip_serializing_if = "super::duplicates::DuplicatesReport::is_empty")]
    pub duplicates: super::duplicates::DuplicatesReport,
}

#[derive(Debug, Serialize)]
pub struct NotRead {
    pub origin: String,
    pub status: RowStatus,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct InputsReport {
    pub artifacts: u64,
    pub bytes: u64,
    pub by_kind: BTreeMap<&'static str, crate::inventory::KindTotal>,
    /// Records read, per fact kind (an aggregate counts every record it
    /// stands for; sampled banner clock samples count as read).
    pub evidence: BTreeMap<&'static str, u64>,
    /// Healthy traffic scan sampled for clock estimates, when the sample
    /// left anything out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled: Option<SampledReport>,
}

/// Kept of read, for each sampled kind.
#[derive(Debug, Serialize)]
pub struct SampledReport {
    pub banner_clock_samples: KeptOfRead,
    /// Kerberos skew errors' and W32Time events' clock samples.
    pub event_clock_samples: KeptOfRead,
    /// Offsets `w32tm /stripchart` and `/monitor` measured.
    pub w32tm_clock_samples: KeptOfRead,
    pub sessions_for_pairing: KeptOfRead,
    pub failing_sessions_for_pairing: KeptOfRead,
}

#[derive(Debug, Serialize)]
pub struct KeptOfRead {
    pub kept: u64,
    pub read: u64,
}

impl SampledReport {
    fn new(s: &crate::pipeline::Sampled) -> Option<Self> {
        s.left_out().then_some(SampledReport {
            banner_clock_samples: KeptOfRead {
                kept: s.banner_samples_kept,
                read: s.banner_samples_read,
            },
            event_clock_samples: KeptOfRead {
                kept: s.event_samples_kept,
                read: s.event_samples_read,
            },
            w32tm_clock_samples: KeptOfRead {
                kept: s.w32tm_samples_kept,
                read: s.w32tm_samples_read,
            },
            sessions_for_pairing: KeptOfRead {
                kept: s.sessions_kept,
                read: s.sessions_read,
            },
            failing_sessions_for_pairing: KeptOfRead {
                kept: s.failing_sessions_kept,
                read: s.failing_sessions_read,
            },
        })
    }

    /// One sentence for text, Markdown and HTML (escape it there). Names
    /// only what was read: a scan of per-server evidence sets has banner
    /// samples but no sessions to pair.
    pub fn sentence(&self) -> String {
        let parts: Vec<String> = [
            (&self.banner_clock_samples, "banner clock samples"),
            (&self.event_clock_samples, "event clock samples"),
            (&self.w32tm_clock_samples, "w32tm clock samples"),
            (&self.sessions_for_pairing, "healthy sessions"),
            (&self.failing_sessions_for_pairing, "failing sessions"),
        ]
        .into_iter()
        .filter(|(k, _)| k.read > 0)
        .map(|(k, what)| format!("{} of {} {what}", thousands(k.kept), thousands(k.read)))
        .collect();
        let listed = match parts.as_slice() {
            [] => "nothing".to_string(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        };
        format!(
            "sessions sampled for the clock estimates: {listed} kept (uniform per server pair; every failure is still counted)"
        )
    }
}

fn cause_report(f: &Finding) -> CauseReport {
    CauseReport {
        cause: f.cause.id(),
        status: f.status,
        confidence: f.confidence,
        pairs: f
            .pairs
            .iter()
            .map(|(s, r)| PairRef {
                sender: s.clone(),
                receiver: r.clone(),
            })
            .collect(),
        evidence: f.evidence.iter().take(MAX_LINES).cloned().collect(),
        evidence_total: f.evidence.len(),
        refuting: f.refuting.iter().take(MAX_LINES).cloned().collect(),
        missing: f.missing.clone(),
        remedy: f.remedy.clone(),
    }
}

/// What a [`DateOrderNote`](crate::correlate::date_order::DateOrderNote)
/// says, as one sentence (`escape` for the file and server names).
pub fn date_order_sentence(
    note: &crate::correlate::date_order::DateOrderNote,
    escape: impl Fn(&str) -> String,
) -> String {
    use crate::correlate::date_order::DateOrderReason;
    let order = note.order.replace('-', " ");
    let shown = |t: &str| t.replacen('T', " ", 1);
    let head = format!(
        "dates in {} read {order} ({}, not {}): its own dates fit both orders",
        escape(&note.file),
        shown(&note.example),
        shown(&note.instead_of)
    );
    match note.reason {
        DateOrderReason::ServerUtcEvidence => format!(
            "{head}, and this puts them nearest the UTC logs and events of {}",
            escape(note.server.as_deref().unwrap_or("its servers"))
        ),
        DateOrderReason::CollectionUtcEvidence => {
            format!("{head}, and this puts them nearest the UTC logs and events of the collection")
        }
        DateOrderReason::UtcEvidenceUndecided => format!(
            "{head}, and the UTC logs and events fit both orders: a guess; `--locale` settles it"
        ),
        DateOrderReason::NoUtcEvidence => format!(
            "{head}, and no UTC log or event is there to compare: a guess; `--locale` settles it"
        ),
    }
}

/// Builds the report model.
pub fn build(
    case: &Case,
    diagnosis: &Diagnosis,
    inventory: &Inventory,
    problems_in_files: usize,
) -> ScanReport {
    let totals = inventory.totals();
    let mut evidence_counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for e in &case.evidence {
        *evidence_counts.entry(e.fact.kind()).or_default() += e.represents.max(1);
    }
    let sampled = SampledReport::new(&case.sampled);
    if let Some(s) = &sampled {
        let left_out = [
            &s.banner_clock_samples,
            &s.event_clock_samples,
            &s.w32tm_clock_samples,
        ]
        .iter()
        .map(|k| k.read.saturating_sub(k.kept))
        .sum::<u64>();
        if left_out > 0 {
            *evidence_counts.entry("clock-sample").or_default() += left_out;
        }
    }
    // The collection's own servers — not every EHLO name an Internet
    // scanner gave the Frontend connector.
    let mut ours: std::collections::BTreeSet<&str> =
        case.coverage.by_server.keys().map(String::as_str).collect();
    ours.extend(case.evidence.iter().filter_map(|e| e.server.as_deref()));
    for i in &case.incidents {
        ours.insert(&i.sender);
        ours.insert(&i.receiver);
    }
    let spans = evidence_spans(case);
    let servers: Vec<ServerReport> = case
        .identities
        .servers()
        .filter(|id| id.role != Role::Unknown || ours.contains(id.name.as_str()))
        .map(|id| {
            let clock = case.clocks.server(&id.name);
            let span = spans.get(id.name.as_str());
            let sources: Vec<Source> = case
                .coverage
                .by_server
                .get(&id.name)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
            ServerReport {
                name: id.name.clone(),
                fqdns: id.fqdns.iter().cloned().collect(),
                ips: id.ips.iter().map(|ip| ip.to_string()).collect(),
                role: id.role,
                clock_offset_s: clock.and_then(|c| c.offset_s),
                offset_basis: clock.and_then(|c| c.offset_s.and(c.basis)),
                offset_reference: clock.and_then(|c| c.reference.clone()),
                missing_sources: expected_sources(id.role)
                    .iter()
                    .filter(|s| !sources.contains(s))
                    .copied()
                    .collect(),
                sources,
                first_evidence: span.and_then(|s| s.first),
                last_evidence: span.and_then(|s| s.last),
                evidence_items: span.map_or(0, |s| s.items),
            }
        })
        .collect();
    let causes: Vec<CauseReport> = diagnosis.findings.iter().map(cause_report).collect();
    let actions = action_items(&causes, &diagnosis.verdict.primary_cause, &servers);
    let timeline = timeline_picture(case, &servers);
    ScanReport {
        schema: "exauth.scan/1",
        verdict: diagnosis.verdict.clone(),
        causes,
        pairs: case
            .incidents
            .iter()
            .map(|i| PairReport {
                sender: i.sender.clone(),
                receiver: i.receiver.clone(),
                side: i.side,
                failures: i.failures,
                first: i.first,
                last: i.last,
                statuses: i.statuses.clone(),
            })
            .collect(),
        servers,
        clock: ClockReport {
            tolerance_s: KERBEROS_TOLERANCE_S,
            pairs: case.clocks.pairs.clone(),
            timestamps_corrected: case
                .clocks
                .servers
                .iter()
                .any(|s| s.offset_s.is_some_and(|o| o != 0.0)),
        },
        coverage: CoverageReport {
            servers: case
                .coverage
                .by_server
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().copied().collect()))
                .collect(),
            unattributed: case.coverage.unattributed.iter().copied().collect(),
            unconfirmed_names: case.coverage.unconfirmed_names.iter().cloned().collect(),
            date_orders: case.coverage.date_orders.clone(),
            notes: case.coverage.notes.clone(),
            local_times_assumed_utc: case.assumed_utc.iter().cloned().collect(),
            ip_conflicts: case.identities.conflicts(),
            not_read: inventory
                .rows
                .iter()
                .filter(|r| !matches!(r.status, RowStatus::Ok | RowStatus::Duplicate))
                .map(|r| NotRead {
                    origin: r.origin.to_string(),
                    status: r.status,
                    reason: r.reason.clone(),
                })
                .collect(),
            read_with_problems: inventory
                .rows
                .iter()
                .filter(|r| r.status == RowStatus::Ok && r.reason.is_some())
                .map(|r| NotRead {
                    origin: r.origin.to_string(),
                    status: r.status,
                    reason: r.reason.clone(),
                })
                .collect(),
            problems_in_files,
            duplicates: super::duplicates::build(inventory),
        },
        inputs: InputsReport {
            artifacts: totals.artifacts,
            bytes: totals.bytes,
            by_kind: totals.by_kind,
            evidence: evidence_counts,
            sampled,
        },
        next_steps: diagnosis.next_steps.clone(),
        actions,
        timeline,
    }
}

/// What a collection from a server of this role usually holds: the sources
/// the rules read for that side of a failure.
fn expected_sources(role: Role) -> &'static [Source] {
    match role {
        Role::Exchange => &[
            Source::ApplicationLog,
            Source::SystemLog,
            Source::SendLog,
            Source::ReceiveLog,
            Source::QueueExport,
            Source::ReceiveConnectors,
        ],
        Role::DomainController => &[
            Source::SystemLog,
            Source::SecurityLog,
            Source::Setspn,
            Source::Repadmin,
        ],
        Role::Unknown => &[],
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Span {
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    items: u64,
}

/// Each server's clock-corrected evidence span.
fn evidence_spans(case: &Case) -> BTreeMap<&str, Span> {
    let mut spans: BTreeMap<&str, Span> = BTreeMap::new();
    for e in &case.evidence {
        let Some(server) = e.server.as_deref() else {
            continue;
        };
        let span = spans.entry(server).or_default();
        // The records an aggregate's carrier stands for, as the evidence
        // counts weigh them: a server's count whether or not its records
        // were aggregated.
        span.items += e.represents.max(1);
        if let Some(t) = e.corrected {
            span.first = Some(span.first.map_or(t, |f| f.min(t)));
            span.last = Some(span.last.map_or(t, |l| l.max(t)));
        }
    }
    spans
}

/// The supported causes' remedies (the verdict's first), each under the
/// servers it names by short name or FQDN.
fn action_items(
    causes: &[CauseReport],
    primary: &str,
    servers: &[ServerReport],
) -> Vec<ActionItem> {
    let mut supported: Vec<&CauseReport> = causes
        .iter()
        .filter(|c| c.status == Status::Supported)
        .collect();
    supported.sort_by_key(|c| c.cause != primary);
    let mut out = Vec::new();
    for cause in supported {
        for step in &cause.remedy {
            let named = servers
                .iter()
                .filter(|s| s.role != Role::Unknown)
                .filter(|s| {
                    names_word(step, &s.name)
                        || s.fqdns
                            .iter()
                            .any(|f| names_word(&step.to_ascii_lowercase(), f))
                })
                .map(|s| s.name.clone())
                .collect();
            out.push(ActionItem {
                cause: cause.cause,
                servers: named,
                step: step.clone(),
            });
        }
    }
    out
}

/// `word` occurs in `text` with no letter, digit, `-` or `.` on either side
/// (so `EX0` is not found in `EX01`, nor `EX01` in `EX01.contoso.com`).
fn names_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let part = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let after_ok = match after {
            None => true,
            Some('.') => text[at + word.len() + 1..]
                .chars()
                .next()
                .is_none_or(|c| !part(c)),
            Some(c) => !part(c),
        };
        before.is_none_or(|c| !part(c) && c != '.') && after_ok
    })
}

/// Buckets for the timeline picture: about 1200 across the span.
const TIMELINE_BUCKETS: i64 = 1200;

fn timeline_picture(case: &Case, servers: &[ServerReport]) -> TimelinePicture {
    let mut failure = std::collections::BTreeSet::new();
    for incident in &case.incidents {
        failure.extend(incident.failure_evidence.iter().copied());
    }
    let windows = incident_windows(case);
    let (from, to) = picture_span(case, &windows);
    let span_s = match (from, to) {
        (Some(f), Some(t)) => t.as_second() - f.as_second(),
        _ => 0,
    };
    let resolution_s = ((span_s + TIMELINE_BUCKETS - 1) / TIMELINE_BUCKETS).max(1);
    let origin_s = from.map_or(0, |f| f.as_second());
    let mut counts: BTreeMap<&str, BTreeMap<(i64, MarkCategory), u64>> = BTreeMap::new();
    let mut marks_outside = 0u64;
    for (i, e) in case.items() {
        let (Some(server), Some(t)) = (e.server.as_deref(), e.corrected) else {
            continue;
        };
        let category = if failure.contains(&i) {
            MarkCategory::Failure
        } else {
            match MarkCategory::of(&e.fact) {
                Some(c) => c,
                None => continue,
            }
        };
        let records = e.represents.max(1);
        if from.is_some_and(|f| t < f) || to.is_some_and(|end| t > end) {
            marks_outside += records;
            continue;
        }
        let bucket = origin_s + (t.as_second() - origin_s).div_euclid(resolution_s) * resolution_s;
        *counts
            .entry(server)
            .or_default()
            .entry((bucket, category))
            .or_default() += records;
    }
    let mut lanes: Vec<TimelineLane> = servers
        .iter()
        .filter(|s| s.first_evidence.is_some() || counts.contains_key(s.name.as_str()))
        .map(|s| TimelineLane {
            server: s.name.clone(),
            role: s.role,
            first: s.first_evidence,
            last: s.last_evidence,
            marks: counts
                .get(s.name.as_str())
                .into_iter()
                .flatten()
                .filter_map(|(&(bucket, category), &count)| {
                    Some(TimelineMark {
                        time: Timestamp::from_second(bucket).ok()?,
                        category,
                        count,
                    })
                })
                .collect(),
        })
        .collect();
    // Exchange servers first, then DCs, each by name.
    lanes.sort_by(|a, b| {
        let rank = |r: Role| match r {
            Role::Exchange => 0,
            Role::DomainController => 1,
            Role::Unknown => 2,
        };
        rank(a.role)
            .cmp(&rank(b.role))
            .then_with(|| a.server.cmp(&b.server))
    });
    TimelinePicture {
        from,
        to,
        resolution_s,
        lanes,
        windows,
        marks_outside,
    }
}

/// The windows around the failing pairs' failures, merged where they overlap.
fn incident_windows(case: &Case) -> Vec<(Timestamp, Timestamp)> {
    let window = case.settings.window;
    let mut spans: Vec<(Timestamp, Timestamp)> = case
        .incidents
        .iter()
        .filter_map(|i| {
            Some((
                i.first?.checked_sub(window).ok()?,
                i.last?.checked_add(window).ok()?,
            ))
        })
        .collect();
    spans.sort();
    let mut windows: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (start, end) in spans {
        match windows.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => windows.push((start, end)),
        }
    }
    windows
}

/// What the picture spans: the windows around the failures with as much
/// again on each side (at least 30 minutes), within the evidence; without
/// failures, all the evidence. Event logs reach back days or weeks (the
/// daily EventLog 6013 alone does), which would squash a two-hour incident
/// into a few pixels; those time-zone facts never widen the picture.
fn picture_span(
    case: &Case,
    windows: &[(Timestamp, Timestamp)],
) -> (Option<Timestamp>, Option<Timestamp>) {
    let timed = || {
        case.evidence
            .iter()
            .filter(|e| !matches!(e.fact, Fact::TimeZone { .. }))
            .filter_map(|e| e.corrected)
    };
    let (Some(all_from), Some(all_to)) = (timed().min(), timed().max()) else {
        return (None, None);
    };
    let (Some(first), Some(last)) = (windows.first(), windows.last()) else {
        return (Some(all_from), Some(all_to));
    };
    let (w_from, w_to) = (first.0, last.1);
    let pad =
        jiff::SignedDuration::from_secs(((w_to.as_second() - w_from.as_second()) / 2).max(1800));
    let from = w_from
        .checked_sub(pad)
        .map_or(w_from, |f| f.max(all_from))
        .min(w_from);
    let to = w_to
        .checked_add(pad)
        .map_or(w_to, |t| t.min(all_to))
        .max(w_to);
    (Some(from), Some(to))
}

/// One cell of the clock matrix: the row server's clock minus the column
/// server's, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockCell {
    pub offset_s: f64,
    /// Measured between the two (`Some(basis)`), or the difference of both
    /// servers' offsets against the reference (`None`).
    pub basis: Option<ClockBasis>,
}

impl ScanReport {
    /// The servers of the clock table: Exchange servers and DCs, and any
    /// other server whose clock was placed.
    pub fn clock_servers(&self) -> Vec<&ServerReport> {
        self.servers
            .iter()
            .filter(|s| s.role != Role::Unknown || s.clock_offset_s.is_some())
            .collect()
    }

    /// `row`'s clock minus `column`'s: measured when a pair offset joins
    /// them, else through both servers' offsets.
    pub fn clock_cell(&self, row: &str, column: &str) -> Option<ClockCell> {
        for p in &self.clock.pairs {
            if p.a == column && p.b == row {
                return Some(ClockCell {
                    offset_s: p.offset_s,
                    basis: Some(p.basis),
                });
            }
            if p.a == row && p.b == column {
                return Some(ClockCell {
                    offset_s: -p.offset_s,
                    basis: Some(p.basis),
                });
            }
        }
        let offset = |name: &str| {
            self.servers
                .iter()
                .find(|s| s.name == name)
                .and_then(|s| s.clock_offset_s)
        };
        Some(ClockCell {
            offset_s: offset(row)? - offset(column)?,
            basis: None,
        })
    }
}

/// `scan --format json` (`exauth.scan/1`), as a [`Sink`].
pub struct Json<'a>(pub &'a ScanReport);

impl Sink for Json<'_> {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self.0)?;
        out.write_all(b"\n")
    }
}

pub fn json(report: &ScanReport) -> String {
    super::render(&Json(report))
}

/// A time in the display zone: `2026-11-26 10:40:05 UTC`.
pub fn show_time(t: Option<Timestamp>, tz: &jiff::tz::TimeZone) -> String {
    match t {
        Some(t) => {
            let zoned = t.to_zoned(tz.clone());
            let name = tz.iana_name().unwrap_or("UTC");
            format!("{} {name}", zoned.strftime("%Y-%m-%d %H:%M:%S"))
        }
        None => "—".into(),
    }
}

fn strength_tag(style: Style, s: Strength) -> String {
    match s {
        Strength::Strong => style.red("strong"),
        Strength::Medium => style.yellow("medium"),
        Strength::Weak => "weak".into(),
    }
}

/// The verdict first, in one screen: cause, confidence, failing pairs, the
/// three strongest evidence lines with origins, the fix, then coverage.
pub fn text(report: &ScanReport, style: Style, tz: &jiff::tz::TimeZone) -> String {
    super::render(&Text { report, style, tz })
}

/// The terminal report, as a [`Sink`].
pub struct Text<'a> {
    pub report: &'a ScanReport,
    pub style: Style,
    pub tz: &'a jiff::tz::TimeZone,
}

impl Sink for Text<'_> {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let mut out = Fmt::new(out);
        text_into(&mut out, self.report, self.style, self.tz);
        out.finish()
    }
}

fn text_into(out: &mut Fmt<'_>, report: &ScanReport, style: Style, tz: &jiff::tz::TimeZone) {
    let v = &report.verdict;
    let cause = match v.primary_cause.as_str() {
        "healthy" => style.green("healthy"),
        "inconclusive" => style.yellow("inconclusive"),
        other => style.red(other),
    };
    let _ = writeln!(
        out,
        "{} {cause}  (confidence {:.2})",
        style.bold("Verdict:"),
        v.confidence
    );
    let _ = writeln!(out, "  {}", terminal(&v.summary));
    if !report.pairs.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Failing pairs"));
        for p in &report.pairs {
            let side = serde_json::to_value(p.side)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} → {}  {side}, {} failures, {} … {}{}",
                terminal(&p.sender),
                terminal(&p.receiver),
                p.failures,
                show_time(p.first, tz),
                show_time(p.last, tz),
                if p.statuses.is_empty() {
                    String::new()
                } else {
                    format!(", status {}", terminal(&p.statuses.join(", ")))
                }
            );
        }
    }
    let primary = report.causes.iter().find(|c| c.cause == v.primary_cause);
    if let Some(primary) = primary {
        let _ = writeln!(out, "\n{}", style.bold("Strongest evidence"));
        for line in primary.evidence.iter().take(3) {
            let _ = writeln!(
                out,
                "  [{}] {}",
                strength_tag(style, line.strength),
                terminal(&line.detail)
            );
            let mut at = Vec::new();
            if let Some(server) = &line.server {
                at.push(terminal(server).into_owned());
            }
            if line.time.is_some() {
                at.push(show_time(line.time, tz));
            }
            if !line.origin.is_empty() {
                at.push(terminal(&line.origin).into_owned());
            }
            if !at.is_empty() {
                let _ = writeln!(out, "      {}", at.join(" · "));
            }
        }
        if primary.evidence_total > 3 {
            let _ = writeln!(
                out,
                "  … {} more (--format json shows them)",
                primary.evidence_total - 3
            );
        }
        let _ = writeln!(out, "\n{}", style.bold("Fix"));
        for (n, step) in primary.remedy.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", n + 1, terminal(step));
        }
    }
    if !report.next_steps.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Collect next"));
        for step in &report.next_steps {
            let _ = writeln!(out, "  - {}", terminal(step));
        }
    }
    let _ = writeln!(out, "\n{}", style.bold("All causes"));
    for c in &report.causes {
        let status = match c.status {
            Status::Supported => style.red("supported"),
            Status::Refuted => style.green("refuted"),
            Status::NotEvaluable => style.yellow("not evaluable"),
        };
        let why = match c.status {
            Status::Supported => c.evidence.first().map(|l| l.detail.clone()),
            Status::Refuted => c.refuting.first().map(|l| l.detail.clone()).or_else(|| {
                c.missing
                    .first()
                    .map(|m| format!("nothing found; more certain with {m}"))
            }),
            Status::NotEvaluable => Some(format!("missing: {}", c.missing.join("; "))),
        };
        let _ = writeln!(
            out,
            "  {:<17} {status:<13} {:.2}  {}",
            c.cause,
            c.confidence,
            terminal(why.as_deref().unwrap_or(""))
        );
    }
    let clocked: Vec<&ServerReport> = report
        .servers
        .iter()
        .filter(|s| s.clock_offset_s.is_some())
        .collect();
    if !clocked.is_empty() || !report.clock.pairs.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Clocks"));
        for s in clocked {
            let offset = s.clock_offset_s.unwrap_or(0.0);
            let flag = if offset.abs() > KERBEROS_TOLERANCE_S {
                style.red(" > 300 s")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:<16} {offset:+10.3} s  against {}{flag}",
                terminal(&s.name),
                s.offset_reference.as_deref().unwrap_or("?")
            );
        }
        if report.clock.timestamps_corrected {
            let _ = writeln!(
                out,
                "  (each server's timestamps were corrected by its offset before correlating)"
            );
        }
    }
    let _ = writeln!(out, "\n{}", style.bold("Coverage"));
    for (server, sources) in &report.coverage.servers {
        let names: Vec<&str> = sources.iter().map(|s| s.describe()).collect();
        let _ = writeln!(out, "  {:<16} {}", terminal(server), names.join(", "));
    }
    if !report.coverage.local_times_assumed_utc.is_empty() {
        let _ = writeln!(
            out,
            "  {} local times of {} read as UTC (no EventLog 6013 time zone in the collection)",
            style.yellow("note:"),
            terminal(&report.coverage.local_times_assumed_utc.join(", "))
        );
    }
    for note in &report.coverage.date_orders {
        let _ = writeln!(
            out,
            "  {} {}",
            style.yellow("note:"),
            date_order_sentence(note, |t| terminal(t).into_owned())
        );
    }
    for note in &report.coverage.notes {
        let _ = writeln!(out, "  {} {}", style.yellow("note:"), terminal(note));
    }
    if !report.coverage.unconfirmed_names.is_empty() {
        let _ = writeln!(
            out,
            "  {} no host named {} in the collection's content: the files under that folder or file name are counted as unattributed",
            style.yellow("note:"),
            terminal(&report.coverage.unconfirmed_names.join(", "))
        );
    }
    for c in &report.coverage.ip_conflicts {
        let _ = writeln!(
            out,
            "  {} {} is claimed by {}",
            style.yellow("conflict:"),
            c.ip,
            terminal(&c.names.join(" and "))
        );
    }
    if !report.coverage.not_read.is_empty() {
        let _ = writeln!(
            out,
            "  {} not read (`exauth inventory` lists them with reasons)",
            files(report.coverage.not_read.len())
        );
    }
    const SHOWN: usize = 5;
    // Files exauth recognised but could not read: their reasons come from
    // reading them, which `exauth inventory` does not do, so they are here.
    let unreadable: Vec<&NotRead> = report
        .coverage
        .not_read
        .iter()
        .filter(|r| r.status == RowStatus::Error)
        .collect();
    for row in unreadable.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            style.yellow("not read:"),
            terminal(&row.origin),
            terminal(row.reason.as_deref().unwrap_or(""))
        );
    }
    if unreadable.len() > SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more not read (`--format json` lists them)",
            files(unreadable.len() - SHOWN)
        );
    }
    for row in report.coverage.read_with_problems.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            style.yellow("read with problems:"),
            terminal(&row.origin),
            terminal(row.reason.as_deref().unwrap_or(""))
        );
    }
    if report.coverage.read_with_problems.len() > SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more files read with problems (`--format json` lists them)",
            report.coverage.read_with_problems.len() - SHOWN
        );
    }
    let duplicates = &report.coverage.duplicates;
    if duplicates.files > 0 {
        let _ = writeln!(
            out,
            "  {} {} duplicate file{} set aside: the same content was read from another copy",
            style.yellow("note:"),
            exauth_parsers::problem::thousands(duplicates.files),
            if duplicates.files == 1 { "" } else { "s" }
        );
    }
    if !duplicates.is_empty() {
        let lines = duplicates.sentences(|t| terminal(t).into_owned());
        for line in lines.iter().take(SHOWN) {
            let _ = writeln!(out, "  {} {line}", style.yellow("duplicate:"));
        }
        if lines.len() > SHOWN {
            let _ = writeln!(
                out,
                "  … and {} more lines of copies set aside (`--format json` lists them)",
                lines.len() - SHOWN
            );
        }
    }
    let _ = writeln!(
        out,
        "  {} artifacts, {} evidence items, {} problems inside files",
        report.inputs.artifacts,
        report.inputs.evidence.values().sum::<u64>(),
        report.coverage.problems_in_files
    );
    if let Some(sampled) = &report.inputs.sampled {
        let _ = writeln!(out, "  {}", sampled.sentence());
    }
}

/// `1 file`, `3 files`, `1,204 files`.
fn files(n: usize) -> String {
    let n = n as u64;
    format!("{} file{}", thousands(n), if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::{files, KeptOfRead, SampledReport};

    #[test]
    fn files_are_counted_in_words() {
        assert_eq!(files(1), "1 file");
        assert_eq!(files(3), "3 files");
        assert_eq!(files(1204), "1,204 files");
    }

    fn report(banner: (u64, u64), healthy: (u64, u64), failing: (u64, u64)) -> SampledReport {
        let k = |(kept, read)| KeptOfRead { kept, read };
        SampledReport {
            banner_clock_samples: k(banner),
            event_clock_samples: k((0, 0)),
            w32tm_clock_samples: k((0, 0)),
            sessions_for_pairing: k(healthy),
            failing_sessions_for_pairing: k(failing),
        }
    }

    /// A case of one aggregate at `server`: its carrier standing for 30
    /// records, and one record more (31 in all), clock-corrected as read.
    fn aggregate_of_31(server: &str, fact: crate::evidence::Fact) -> crate::correlate::case::Case {
        use crate::correlate::case::{assemble, CaseSettings, Coverage};
        use crate::evidence::testing::at;
        let mut carrier = at(server, 0, fact.clone());
        carrier.represents = 30;
        let mut case = assemble(
            Default::default(),
            vec![carrier, at(server, 5, fact)],
            Coverage::default(),
            CaseSettings::default(),
        );
        for e in &mut case.evidence {
            e.corrected = e.time;
        }
        case
    }

    /// A server's evidence count is of records: an aggregate's carrier
    /// counts the records it stands for.
    #[test]
    fn a_servers_evidence_items_count_what_an_aggregate_stands_for() {
        let case = aggregate_of_31(
            "EX02",
            crate::evidence::Fact::InboundAuthFailed {
                event_id: 1035,
                status: "IllegalMessage".into(),
                connector: "Default EX02".into(),
                mechanism: "ExchangeAuth".into(),
                client_ip: None,
            },
        );
        let spans = super::evidence_spans(&case);
        assert_eq!(spans.get("EX02").map(|s| s.items), Some(31));
    }

    /// A timeline mark counts records: an aggregate's carrier counts the
    /// records it stands for, as the server's evidence count does.
    #[test]
    fn a_timeline_mark_counts_what_an_aggregate_stands_for() {
        let case = aggregate_of_31(
            "DC01",
            crate::evidence::Fact::NetlogonEvent {
                event_id: 5719,
                summary: "no domain controller".into(),
            },
        );
        let server = super::ServerReport {
            name: "DC01".into(),
            fqdns: Vec::new(),
            ips: Vec::new(),
            role: crate::model::Role::DomainController,
            clock_offset_s: None,
            offset_basis: None,
            offset_reference: None,
            sources: Vec::new(),
            first_evidence: None,
            last_evidence: None,
            evidence_items: 31,
            missing_sources: Vec::new(),
        };
        let picture = super::timeline_picture(&case, &[server]);
        let counts: Vec<u64> = picture
            .lanes
            .iter()
            .flat_map(|lane| lane.marks.iter().map(|m| m.count))
            .collect();
        assert_eq!(counts.iter().sum::<u64>(), 31, "{counts:?}");
        assert_eq!(picture.marks_outside, 0);
    }

    /// The sampling sentence names what was read, never "0 of 0".
    #[test]
    fn the_sampling_sentence_names_only_what_was_read() {
        assert_eq!(
            report((2_000, 9_000), (0, 0), (0, 0)).sentence(),
            "sessions sampled for the clock estimates: 2,000 of 9,000 banner clock samples kept (uniform per server pair; every failure is still counted)"
        );
        assert_eq!(
            report((10, 10), (4_000, 120_000), (500, 60_000)).sentence(),
            "sessions sampled for the clock estimates: 10 of 10 banner clock samples, 4,000 of 120,000 healthy sessions and 500 of 60,000 failing sessions kept (uniform per server pair; every failure is still counted)"
        );
        let mut events = report((0, 0), (0, 0), (0, 0));
        events.event_clock_samples = KeptOfRead {
            kept: 2_000,
            read: 116_889,
        };
        assert_eq!(
            events.sentence(),
            "sessions sampled for the clock estimates: 2,000 of 116,889 event clock samples kept (uniform per server pair; every failure is still counted)"
        );
        let mut stripchart = report((0, 0), (0, 0), (0, 0));
        stripchart.w32tm_clock_samples = KeptOfRead {
            kept: 2_000,
            read: 12_000,
        };
        assert_eq!(
            stripchart.sentence(),
            "sessions sampled for the clock estimates: 2,000 of 12,000 w32tm clock samples kept (uniform per server pair; every failure is still counted)"
        );
    }
}
