//! Diagnosis: one rule per cause of KB 979174/979175, each saying
//! `supported` (with confidence and the evidence), `refuted` (with what rules
//! it out) or `not-evaluable` (naming the missing sources) — never a silent
//! "OK" — and the verdict over them.
//!
//! Rules only read the [`Case`]; they never render. Strengths follow the
//! cause ↔ evidence matrix of FORMATS.md §3.11. Ambiguous statuses
//! (IllegalMessage, LogonDenied, InvalidToken) never count for any cause.

mod ad_replication;
mod clock_skew;
mod connector_auth;
mod kerberos_blocked;
pub mod signals;
mod spn_duplicate;
mod spn_missing;
#[cfg(test)]
mod tests;

use crate::correlate::case::{Case, ItemId};
use crate::correlate::incident::Incident;
use crate::evidence::Evidence;
use crate::model::Source;
use jiff::Timestamp;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

/// The causes exauth tells apart, in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    ClockSkew,
    AdReplication,
    SpnMissing,
    SpnDuplicate,
    KerberosBlocked,
    ConnectorAuth,
}

impl Cause {
    pub fn id(self) -> &'static str {
        match self {
            Cause::ClockSkew => "clock-skew",
            Cause::AdReplication => "ad-replication",
            Cause::SpnMissing => "spn-missing",
            Cause::SpnDuplicate => "spn-duplicate",
            Cause::KerberosBlocked => "kerberos-blocked",
            Cause::ConnectorAuth => "connector-auth",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Cause::ClockSkew => "Clock skew over 5 minutes",
            Cause::AdReplication => "AD replication failing",
            Cause::SpnMissing => "SMTPSVC/SMTP SPN missing",
            Cause::SpnDuplicate => "Duplicate SPN",
            Cause::KerberosBlocked => "Kerberos (DC) unreachable: ports 88/464 blocked",
            Cause::ConnectorAuth => "Receive connector without Exchange Server authentication",
        }
    }
}

/// How much one piece of evidence says (FORMATS.md §3.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    Weak,
    Medium,
    Strong,
}

impl Strength {
    fn weight(self) -> f64 {
        match self {
            Strength::Weak => 0.1,
            Strength::Medium => 0.3,
            Strength::Strong => 0.6,
        }
    }
}

/// One line of evidence as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceLine {
    pub kind: String,
    /// Clock-corrected UTC, when the evidence has a time.
    pub time: Option<Timestamp>,
    pub server: Option<String>,
    /// Where it was found; empty for conclusions drawn from several files
    /// (e.g. "no KDC event 11 in DC01's System log").
    pub origin: String,
    pub detail: String,
    pub strength: Strength,
}

/// A rule's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Supported,
    Refuted,
    NotEvaluable,
}

/// What one rule concluded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub cause: Cause,
    pub status: Status,
    pub confidence: f64,
    /// The failing pairs the finding applies to (`EX01 → EX02`).
    pub pairs: Vec<(String, String)>,
    /// Supporting evidence, strongest first.
    pub evidence: Vec<EvidenceLine>,
    /// Evidence that speaks against the cause.
    pub refuting: Vec<EvidenceLine>,
    /// Sources that would decide it.
    pub missing: Vec<String>,
    pub remedy: Vec<String>,
}

/// A rule: one cause and how it weighs the case's evidence (the sources it
/// reads show in its `missing` lines when they are absent).
pub trait Rule: Sync {
    fn cause(&self) -> Cause;
    fn evaluate(&self, case: &Case) -> Finding;
}

/// Every rule, in report order.
pub static RULES: &[&dyn Rule] = &[
    &clock_skew::ClockSkew,
    &ad_replication::AdReplication,
    &spn_missing::SpnMissing,
    &spn_duplicate::SpnDuplicate,
    &kerberos_blocked::KerberosBlocked,
    &connector_auth::ConnectorAuth,
];

/// The verdict over all findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// A cause id, `healthy` or `inconclusive`.
    pub primary_cause: String,
    pub confidence: f64,
    pub summary: String,
}

/// The diagnosis of a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// What to collect next when the evidence is too thin.
    pub next_steps: Vec<String>,
}

/// The diagnosis when nothing in the input could be read: no cause can be
/// weighed (none is listed), and the verdict says so — never `healthy`.
pub fn nothing_readable(not_read: usize) -> Diagnosis {
    Diagnosis {
        verdict: Verdict {
            primary_cause: "inconclusive".into(),
            confidence: 0.0,
            summary: format!(
                "Nothing could be read: {not_read} file{} not read (the coverage lists each with the reason)",
                if not_read == 1 { "" } else { "s" }
            ),
        },
        findings: Vec::new(),
        next_steps: vec![
            "Check the paths given, and collect the logs again (ExchangeLogCollector, or the exports the README lists): nothing here was a format exauth reads."
                .into(),
        ],
    }
}

/// Runs every rule and picks the verdict.
pub fn diagnose(case: &Case) -> Diagnosis {
    // Each rule reads the case alone: side by side on the pool.
    let findings: Vec<Finding> = RULES.par_iter().map(|rule| rule.evaluate(case)).collect();
    let best = findings
        .iter()
        .filter(|f| f.status == Status::Supported)
        .max_by(|a, b| {
            a.confidence
                .total_cmp(&b.confidence)
                .then_with(|| b.cause.cmp(&a.cause))
        });
    let pairs = pair_list(&case.incidents);
    let mut next_steps: Vec<String> = Vec::new();
    let verdict = if case.incidents.is_empty() {
        Verdict {
            primary_cause: "healthy".into(),
            confidence: healthy_confidence(case),
            summary:
                "No authentication-failure evidence: no 454/451 5.7.3 in queues or Send logs, no \
                      event 1035/2016/2017, no failed ExchangeAuth in Receive logs."
                    .into(),
        }
    } else if let Some(best) = best {
        Verdict {
            primary_cause: best.cause.id().into(),
            confidence: best.confidence,
            summary: format!("{} — failing: {pairs}", best.cause.title()),
        }
    } else {
        let mut missing: BTreeSet<String> = BTreeSet::new();
        for f in &findings {
            missing.extend(f.missing.iter().cloned());
        }
        next_steps.extend(missing);
        next_steps.push(
            "Turn on Kerberos event logging on both Exchange servers (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\Kerberos\\Parameters LogLevel=1, DWORD), reproduce, and collect the System logs."
                .into(),
        );
        Verdict {
            primary_cause: "inconclusive".into(),
            confidence: 0.0,
            summary: format!("Authentication fails ({pairs}) but no cause is supported by the evidence collected"),
        }
    };
    next_steps.extend(attribution_steps(&case.incidents));
    Diagnosis {
        verdict,
        findings,
        next_steps,
    }
}

/// For each failing pair with a side nothing names: which source would name
/// it. A failure is never dropped for want of a name, but the admin must be
/// told what to add.
fn attribution_steps(incidents: &[Incident]) -> Vec<String> {
    use crate::correlate::incident::UNKNOWN;
    let mut steps = Vec::new();
    for i in incidents {
        if i.sender == UNKNOWN {
            steps.push(format!(
                "The sending server of the failures towards {} is not named in what was read: add the sender's Send protocol log or queue export, saved under a name starting with its server name (EX01_…), or the receiver's Receive protocol log (its remote endpoint is the sender's IP).",
                i.receiver
            ));
        }
        if i.receiver == UNKNOWN {
            steps.push(format!(
                "The receiving server of the failures from {} is not named in what was read: add `Get-Queue | fl` from the sender (LastError names the target IP), the sender's Send protocol log, or the receiver's Application log (event 1035), saved under a name starting with its server name.",
                i.sender
            ));
        }
    }
    steps
}

fn healthy_confidence(case: &Case) -> f64 {
    // Healthy is believable when the logs that would show failures are there.
    let all: BTreeSet<String> = case.coverage.by_server.keys().cloned().collect();
    let mut c: f64 = 0.5;
    if case.coverage.any(&all, Source::SendLog) {
        c += 0.2;
    }
    if case.coverage.any(&all, Source::ApplicationLog) {
        c += 0.15;
    }
    if case.coverage.any(&all, Source::QueueExport) {
        c += 0.1;
    }
    round2(c.min(0.95))
}

fn pair_list(incidents: &[Incident]) -> String {
    incidents
        .iter()
        .map(|i| format!("{} → {}", i.sender, i.receiver))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Collects a rule's evidence and turns it into a finding.
pub(crate) struct Weigher {
    cause: Cause,
    support: Vec<(String, EvidenceLine)>,
    refute: Vec<EvidenceLine>,
    missing: Vec<String>,
}

impl Weigher {
    pub fn new(cause: Cause) -> Self {
        Weigher {
            cause,
            support: Vec::new(),
            refute: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// Supporting evidence; `signal` groups repeats of the same signal (one
    /// hundred identical events count once).
    pub fn support(&mut self, signal: impl Into<String>, line: EvidenceLine) {
        self.support.push((signal.into(), line));
    }

    pub fn refute(&mut self, line: EvidenceLine) {
        self.refute.push(line);
    }

    pub fn missing(&mut self, what: impl Into<String>) {
        let what = what.into();
        if !self.missing.contains(&what) {
            self.missing.push(what);
        }
    }

    pub fn has_support(&self) -> bool {
        !self.support.is_empty()
    }

    pub fn finish(self, pairs: Vec<(String, String)>, remedy: Vec<String>) -> Finding {
        // Each signal once, in the order first seen, at its strongest. Looked up by name: a
        // rule can weigh one signal per account of a `setspn -Q */*` (tens of thousands).
        let mut signals: Vec<(&str, Strength)> = Vec::new();
        let mut signal_at: HashMap<&str, usize> = HashMap::new();
        for (signal, line) in &self.support {
            match signal_at.entry(signal.as_str()) {
                Entry::Occupied(at) => {
                    if let Some(entry) = signals.get_mut(*at.get()) {
                        entry.1 = entry.1.max(line.strength);
                    }
                }
                Entry::Vacant(at) => {
                    at.insert(signals.len());
                    signals.push((signal.as_str(), line.strength));
                }
            }
        }
        let strongest_support = signals.iter().map(|(_, s)| *s).max();
        let strongest_refute = self.refute.iter().map(|l| l.strength).max();
        let mut confidence = 1.0
            - signals
                .iter()
                .fold(1.0, |acc, (_, s)| acc * (1.0 - s.weight()));
        let status = match (strongest_support, strongest_refute) {
            (None, Some(_)) => Status::Refuted,
            (None, None) if self.missing.is_empty() => Status::Refuted,
            (None, None) => Status::NotEvaluable,
            (Some(support), Some(refute)) if refute > support => Status::Refuted,
            (Some(_), Some(Strength::Strong)) => {
                confidence *= 0.5;
                Status::Supported
            }
            (Some(_), Some(_)) => {
                confidence *= 0.8;
                Status::Supported
            }
            (Some(_), None) => Status::Supported,
        };
        if status != Status::Supported {
            confidence = 0.0;
        }
        let mut evidence: Vec<EvidenceLine> = self.support.into_iter().map(|(_, l)| l).collect();
        evidence.sort_by(|a, b| {
            b.strength
                .cmp(&a.strength)
                .then(a.time.cmp(&b.time))
                .then(a.origin.cmp(&b.origin))
        });
        dedup_lines(&mut evidence);
        let mut refuting = self.refute;
        refuting.sort_by(|a, b| b.strength.cmp(&a.strength).then(a.origin.cmp(&b.origin)));
        dedup_lines(&mut refuting);
        Finding {
            cause: self.cause,
            status,
            confidence: round2(confidence.min(0.97)),
            pairs,
            evidence,
            refuting,
            missing: if status == Status::NotEvaluable
                || status == Status::Refuted && strongest_refute.is_none()
            {
                self.missing
            } else {
                Vec::new()
            },
            remedy,
        }
    }
}

/// Drops repeated lines (same kind, server and detail) beyond the first 3,
/// keeping reports readable when an event repeats every retry.
fn dedup_lines(lines: &mut Vec<EvidenceLine>) {
    type LineKey = (String, Option<String>, String);
    // Counted by key, not searched for: a finding can weigh tens of thousands of lines.
    let mut seen: HashMap<LineKey, usize> = HashMap::new();
    lines.retain(|l| {
        let key = (l.kind.clone(), l.server.clone(), l.detail.clone());
        let n = seen.entry(key).or_insert(0);
        *n += 1;
        *n <= 3
    });
}

/// Where an aggregate's records were counted, in words: `in the same
/// minute`, `in the same 512-minute span` when the logs' length widened it,
/// `over the whole run` when even the widest span did not make them fit.
fn counted_over(span_s: i64) -> String {
    if span_s >= crate::evidence::aggregate::MAX_SPAN_S {
        return "over the whole run".to_string();
    }
    match span_s / 60 {
        ..=1 => "in the same minute".to_string(),
        minutes => format!(
            "in the same {}-minute span",
            exauth_parsers::problem::thousands(minutes.unsigned_abs())
        ),
    }
}

/// An evidence line for the case's evidence item `index`.
pub(crate) fn line(case: &Case, index: ItemId, strength: Strength, detail: String) -> EvidenceLine {
    let e = case.item(index);
    let detail = match e.represents {
        0 | 1 => detail,
        // Queue rows counted together past a cap: of other queues, over
        // the whole run.
        n if matches!(
            e.fact,
            crate::evidence::Fact::QueueLastError {
                counted: Some(_),
                ..
            }
        ) =>
        {
            format!(
                "{detail} (and {} more queue rows like it from {} over the whole run, counted, not listed)",
                exauth_parsers::problem::thousands(n - 1),
                e.server.as_deref().unwrap_or("this source"),
            )
        }
        // The last snapshot of a queue's folded run: those folded came
        // before it, over the run's time, not in one minute.
        n if matches!(e.fact, crate::evidence::Fact::QueueLastError { .. }) => format!(
            "{detail} (and {} more snapshots of this queue between the first of its run and this one, folded, not listed)",
            exauth_parsers::problem::thousands(n - 1)
        ),
        // An untimed fact counts what one output repeated (a probe run in a
        // loop), not records of a minute.
        n if e.time.is_none() && e.local_time.is_none() => format!(
            "{detail} (and {} more like it later in the same output, counted, not listed)",
            exauth_parsers::problem::thousands(n - 1)
        ),
        n => format!(
            "{detail} (and {} more like it from {} {}, counted, not listed)",
            exauth_parsers::problem::thousands(n - 1),
            e.server.as_deref().unwrap_or("this source"),
            counted_over(case.aggregated_over_s)
        ),
    };
    EvidenceLine {
        kind: e.fact.kind().to_string(),
        time: e.corrected.or(e.time),
        server: e.server.clone(),
        origin: e.origin.clone(),
        detail,
        strength,
    }
}

/// Support from a SecurityStatus (event 1035/1034, 2016/2017, or a failed
/// attempt in a protocol log) when it points to `cause` — shared by every
/// rule, with the strength [`signals::security_status`] gives.
pub(crate) fn status_support(
    case: &Case,
    index: ItemId,
    cause: Cause,
) -> Option<(String, EvidenceLine)> {
    use crate::evidence::{Fact, LogKind};
    use crate::model::AuthOutcome;
    let e = &case.item(index);
    let (signal, status, detail) = match &e.fact {
        Fact::InboundAuthFailed {
            event_id, status, ..
        }
        | Fact::OutboundAuthFailed {
            event_id, status, ..
        } => (
            format!("status:{event_id}"),
            status,
            format!("event {event_id}: {status}"),
        ),
        Fact::SmtpAuth {
            log,
            outcome: AuthOutcome::Rejected | AuthOutcome::SenderFailed,
            status: Some(status),
            ..
        } => {
            let side = if *log == LogKind::Send {
                "Send"
            } else {
                "Receive"
            };
            (
                "status:smtp".to_string(),
                status,
                format!("{side} log: authentication failed with {status}"),
            )
        }
        Fact::FailureSignature {
            status: Some(status),
            text,
            ..
        } => (
            "status:text".to_string(),
            status,
            format!("failure text: {text}"),
        ),
        _ => return None,
    };
    let (_, strength) = signals::security_status(status)
        .into_iter()
        .find(|(c, _)| *c == cause)?;
    Some((signal, line(case, index, strength, detail)))
}

/// A conclusion drawn from the absence or combination of evidence.
pub(crate) fn conclusion(
    kind: &str,
    server: Option<&str>,
    strength: Strength,
    detail: String,
) -> EvidenceLine {
    EvidenceLine {
        kind: kind.to_string(),
        time: None,
        server: server.map(str::to_string),
        origin: String::new(),
        detail,
        strength,
    }
}

/// The evidence a rule looks at: [`Case::relevant`].
pub(crate) fn relevant(case: &Case) -> impl Iterator<Item = (ItemId, &Evidence)> + '_ {
    case.relevant()
}

/// Sender, receiver and DC names involved in the incidents.
pub(crate) fn involved(case: &Case) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let senders = case.incidents.iter().map(|i| i.sender.clone()).collect();
    let receivers = case.incidents.iter().map(|i| i.receiver.clone()).collect();
    (senders, receivers, case.domain_controllers())
}

pub(crate) fn incident_pairs(case: &Case) -> Vec<(String, String)> {
    case.incidents
        .iter()
        .map(|i| (i.sender.clone(), i.receiver.clone()))
        .collect()
}
