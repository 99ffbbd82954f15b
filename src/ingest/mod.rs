//! Ingest: one input module per format, in one registry.
//!
//! A format costs one parser module in `exauth-parsers` (detection and
//! parsing, registered in `detect::FORMATS`), one input module here and one
//! line in [`INPUTS`]. The input module is everything exauth knows about that
//! format: how to read an artifact of it (text read whole, a stream, random
//! access), which coverage source it gives its server, how its records become
//! evidence, and which rows `extract` writes for them. Nothing downstream
//! matches on the format: the pipeline, the case and the exports only call
//! the [`Input`] and [`Records`] traits, so a new format touches none of them.
//!
//! Ingest sits above `evidence` (the fact vocabulary it produces) and below
//! the `pipeline` that runs it over a collection in parallel.

pub mod dedup;
pub mod diag;
pub mod event_export;
pub mod event_stream;
pub mod event_text;
pub mod events;
pub mod evtx;
pub mod exchange_logs;
pub mod ipconfig;
pub mod klist;
pub mod nltest;
pub mod pairing_gate;
pub mod port_probe;
pub mod queue;
pub mod queue_rows;
pub mod receive_connector;
pub mod repadmin;
pub mod row;
pub mod setspn;
pub mod smtp_log;
pub mod spool;
pub mod text;
pub mod transcript;
pub mod w32tm;

use crate::discover::Artifact;
use crate::evidence::{Evidence, IdentityHint};
use crate::inventory::{Collector, Row as InventoryRow, Status};
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::problem::{thousands, Location, Problem, Problems};
use exauth_parsers::queue::DateOrderOption;
use exauth_parsers::signature::SignatureHit;
pub use pairing_gate::PairingGate;
pub use row::{Row, RowEncoding, RowSink};
use std::io::Read;
use text::Content;

/// How to run the parsers.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Threads a single large `.evtx` may use (the run's thread count).
    pub threads: usize,
    /// Files at least this large get `threads` workers; smaller ones one
    /// (they are already read in parallel with each other).
    pub big_file_bytes: u64,
    /// Day/month order of culture-formatted local times: inferred per file
    /// unless the user named the culture.
    pub date_order: DateOrderOption,
    /// Facts an input holds before it hands them over to the pipeline while
    /// it still reads ([`Extracted::hand_over`]): [`HAND_OVER_AT`].
    pub hand_over_at: usize,
}

/// Facts an input holds before it hands them over ([`IngestOptions::hand_over_at`]):
/// at a few hundred bytes to ~1 KB a fact with its text, some MB a file on each thread.
pub const HAND_OVER_AT: usize = 1 << 14;

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            threads: 1,
            big_file_bytes: 64 << 20,
            date_order: DateOrderOption::Infer,
            hand_over_at: HAND_OVER_AT,
        }
    }
}

/// One format as exauth reads it.
pub trait Input: Sync {
    /// The kinds (from `exauth_parsers::detect`) this input reads.
    fn kinds(&self) -> &'static [Kind];

    /// The coverage source a file of `kind` named `file_name` gives its
    /// server (`Application log`, `setspn output`, …).
    fn source(&self, kind: Kind, file_name: &str) -> Option<Source>;

    /// Reads one artifact. `Err` is a reason the file could not be read at
    /// all; problems inside a file that was read travel with its records.
    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String>;

    /// Reads one artifact and hands over what it yields as it goes: its
    /// facts to `facts`, its rows to `rows` when `extract` wants them. The
    /// records that come back account for the file (problems, whether
    /// anything was read); their facts and rows are out already. By default
    /// [`Input::read`], then the records' facts and rows; an input whose
    /// files can be larger than memory (`.evtx`) streams instead.
    fn read_into(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        read_whole_into(self, artifact, content, options, place, facts, rows)
    }
}

/// What [`Input::read_into`] does by default: [`Input::read`], then the
/// records' facts and rows.
pub(crate) fn read_whole_into<I: Input + ?Sized>(
    input: &I,
    artifact: &Artifact<'_>,
    content: &mut Content<'_>,
    options: &IngestOptions,
    place: Place<'_>,
    facts: &mut Extracted,
    rows: Option<(&mut dyn RowSink, Place<'_>)>,
) -> Result<Box<dyn Records>, String> {
    let records = input.read(artifact, content, options)?;
    records.extract(place, facts);
    if let Some((rows, at)) = rows {
        records.rows(at, rows);
    }
    Ok(records)
}

/// Where a record was found: the artifact's origin text and the server its
/// place names (the `.evtx` Computer field overrides it, per event).
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub origin: &'a str,
    pub server: Option<&'a str>,
}

/// What the records of one artifact yield for the analysis.
#[derive(Debug, Default)]
pub struct Extracted<'h> {
    pub evidence: Vec<Evidence>,
    pub hints: Vec<IdentityHint>,
    /// Protocol-log sessions kept for clock pairing (both ends' logs of the
    /// same connection); only inputs of protocol logs fill it.
    /// Boxed: a few hundred bytes each, moved at every regrowth otherwise.
    pub pairing: Vec<smtp_log::PairingCopy>,
    /// The record ids this artifact holds, for setting aside records other
    /// artifacts hold too ([`dedup::Copies`]); only `.evtx` fills it.
    pub claims: Vec<dedup::Claim>,
    /// The protocol-log sessions read so far in the run, for setting aside
    /// a session another file gave already; set by the pipeline.
    pub sessions: Option<dedup::SessionsOfRun>,
    /// Which healthy sessions the run's pairing sample refuses already;
    /// set by the pipeline ([`PairingGate`]).
    pub pairing_gate: Option<PairingGate>,
    /// Where the facts gathered so far go while the artifact is still read
    /// ([`Extracted::hand_over`]); set by the pipeline. Without it they stay
    /// in `evidence` to the end.
    pub hand_over: Option<HandOver<'h>>,
    /// The identity hints the run took already from the files of this
    /// artifact's place, left out of `hints`; set by the pipeline
    /// ([`smtp_log::KnownHints`]).
    pub known_hints: Option<std::sync::Arc<smtp_log::KnownHints>>,
    /// What this artifact gave besides `known_hints`, for the next files of
    /// its place.
    pub new_known_hints: smtp_log::KnownHints,
    /// Queue rows identical to the row before them of the same queue in
    /// the artifact, folded rather than kept (`queue::QueueFold`): said with
    /// the identical queue rows set aside ([`dedup::Copies::finish`]).
    pub queue_copies: u64,
}

/// Takes an artifact's facts, record claims and sessions kept for pairing a
/// part at a time, as they are read: a DC's Security log during a password
/// spray gives millions of 4771s, which kept to the end of the file grew
/// memory with its size (a 3 GB log of them: 1.8 GB, measured by hand;
/// `benches/collection.sh spray` holds the figure now); so did one large
/// protocol log's sessions.
pub struct HandOver<'h>(pub &'h mut dyn FnMut(&mut Part));

/// What an input hands over while it reads ([`Extracted::hand_over`]).
#[derive(Debug, Default)]
pub struct Part {
    pub evidence: Vec<Evidence>,
    /// The record ids the part's facts come from ([`dedup::Copies`]).
    pub claims: Vec<dedup::Claim>,
    /// Sessions kept for pairing, already thinned as the whole file's
    /// would be at its end.
    pub pairing: Vec<smtp_log::PairingCopy>,
}

impl std::fmt::Debug for HandOver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandOver")
    }
}

impl Extracted<'_> {
    /// Hands the facts, claims and pairing sessions gathered so far to
    /// [`Extracted::hand_over`], when the pipeline set it. Claims must cover
    /// the records of the facts they come with: the facts of records another
    /// file gave already are set aside by them ([`dedup::Copies`]).
    pub fn hand_over_so_far(&mut self) {
        if let Some(HandOver(take)) = &mut self.hand_over {
            let mut part = Part {
                evidence: std::mem::take(&mut self.evidence),
                claims: std::mem::take(&mut self.claims),
                pairing: std::mem::take(&mut self.pairing),
            };
            take(&mut part);
            // The part's vectors, emptied, hold the next part: a stripchart
            // hands over a hundred parts of 16,384 facts, and each vector
            // grown anew was memory the allocator gave back and took again.
            part.evidence.clear();
            part.claims.clear();
            part.pairing.clear();
            self.evidence = part.evidence;
            self.claims = part.claims;
            self.pairing = part.pairing;
        }
    }

    /// [`Extracted::hand_over_so_far`] once `at` facts are held
    /// ([`IngestOptions::hand_over_at`]; a [`Records::extract`], which sees no
    /// options, passes [`HAND_OVER_AT`]).
    pub fn hand_over_when_holding(&mut self, at: usize) {
        if self.evidence.len() >= at {
            self.hand_over_so_far();
        }
    }
}

/// Tests: `records`' facts as a [`Records::extract`] with a pipeline gives
/// them: the parts handed over while it ran, then what it still held, and
/// its identity hints.
#[cfg(test)]
pub(crate) fn extract_in_parts(
    records: &dyn Records,
    place: Place<'_>,
) -> (Vec<Vec<Evidence>>, Vec<Evidence>, Vec<IdentityHint>) {
    let mut parts = Vec::new();
    let mut take = |part: &mut Part| parts.push(std::mem::take(&mut part.evidence));
    let mut out = Extracted {
        hand_over: Some(HandOver(&mut take)),
        ..Extracted::default()
    };
    records.extract(place, &mut out);
    let (rest, hints) = (
        std::mem::take(&mut out.evidence),
        std::mem::take(&mut out.hints),
    );
    drop(out);
    (parts, rest, hints)
}

/// The parsed content of one artifact, behind one interface.
pub trait Records: Send + std::fmt::Debug {
    /// The problems the parser found inside the file (bad lines, bad
    /// chunks). They are part of the parse result: every parser's problems
    /// reach the coverage section of the report.
    fn problems(&self) -> &Problems;

    /// True when the file yielded nothing usable at all.
    fn is_empty(&self) -> bool;

    /// The facts and identity hints in these records.
    fn extract(&self, place: Place<'_>, out: &mut Extracted);

    /// The rows `extract` writes for these records themselves (events,
    /// protocol-log sessions), in order; formats whose rows are their facts
    /// write none here (those rows come from the evidence, with resolved
    /// times).
    fn rows(&self, _place: Place<'_>, _out: &mut dyn RowSink) {}

    /// Records of the file set aside as copies of records read before them
    /// (`ingest::dedup`), in words for the coverage; `None` when none were.
    fn set_aside(&self) -> Option<String> {
        None
    }
}

/// The registry: every input, one line each.
pub static INPUTS: &[&dyn Input] = &[
    &evtx::EvtxInput,
    &event_export::EventExportInput,
    &event_text::EventTextInput,
    &transcript::TranscriptInput,
    &exchange_logs::ExchangeLogInput,
    &smtp_log::SmtpLogInput,
    &queue::QueueInput,
    &receive_connector::INPUT,
    &setspn::SetspnInput,
    &w32tm::W32tmInput,
    &repadmin::INPUT,
    &port_probe::INPUT,
    &nltest::INPUT,
    &klist::INPUT,
    &ipconfig::INPUT,
];

/// The input that reads `kind`, if exauth reads it.
pub fn input_for(kind: Kind) -> Option<&'static dyn Input> {
    INPUTS.iter().copied().find(|i| i.kinds().contains(&kind))
}

/// The coverage source of a file of `kind` named `file_name`.
pub fn source_of(kind: Kind, file_name: &str) -> Option<Source> {
    input_for(kind)?.source(kind, file_name)
}

/// One artifact after parsing.
#[derive(Debug)]
pub struct Ingested {
    /// The inventory row (status `error` when the parser could read nothing).
    pub row: InventoryRow,
    /// What the input read (its facts and rows went out while it was read,
    /// see [`Input::read_into`]).
    pub records: Option<Box<dyn Records>>,
    pub problems: Problems,
    /// Lines with a failure signature, from text read whole or from a text
    /// file no parser reads. The pipeline keeps them as evidence when the
    /// parser's records show no failure of their own.
    pub signatures: Vec<SignatureHit>,
}

/// Parses one artifact with the input for its kind: its facts go to
/// `facts`, its rows to `rows` (when `extract` wants them) while it is read
/// (see [`Input::read_into`]).
pub fn ingest(
    artifact: &Artifact<'_>,
    content: &mut dyn Read,
    options: &IngestOptions,
    place: Place<'_>,
    facts: &mut Extracted,
    rows: Option<(&mut dyn RowSink, Place<'_>)>,
) -> Ingested {
    let detection = &artifact.detection;
    let mut content = Content::new(content, detection);
    let records = match input_for(detection.kind) {
        Some(input) => Some(input.read_into(artifact, &mut content, options, place, facts, rows)),
        None => {
            if matches!(detection.kind, Kind::UNKNOWN | Kind::EXCHANGE_LOG_OTHER)
                && detection.encoding.is_some()
            {
                // No parser reads these field by field (yet): their lines
                // are still searched for failure signatures, streaming.
                content.scan_signatures();
            }
            None
        }
    };
    let finished = content.finish(artifact.size);
    let mut row = Collector::row_for(artifact, &mut std::io::empty());
    row.bytes = finished.bytes;
    let replaced = finished.replaced_problem();
    let signatures = finished.signatures;
    let (records, problems) = match records {
        Some(Ok(records)) => {
            row.set_aside = records.set_aside();
            let mut problems = finished.problems;
            problems.extend(replaced);
            problems.append(records.problems().clone());
            if records.is_empty() {
                // One rule for every format: a recognised file nothing was
                // read from is a problem line of its own, with the problems
                // that say why when there are any (then it counts as not read).
                let nothing = nothing_read(detection.kind, artifact.origin.file_name());
                row.reason = Some(if problems.is_empty() {
                    nothing.to_string()
                } else {
                    row.status = Status::Error;
                    format!("{nothing}: {}", problems_summary(&problems))
                });
                problems.insert_first(nothing);
            } else if !problems.is_empty() {
                row.reason = Some(problems_summary(&problems));
            }
            (Some(records), problems)
        }
        Some(Err(reason)) => {
            row.status = Status::Error;
            row.reason = Some(reason);
            (None, Problems::new())
        }
        None => (None, finished.problems),
    };
    if !signatures.is_empty() && records.is_none() {
        let note = format!(
            "{} line{} with a failure signature (454 4.7.0, 451 5.7.3, 1035/2017 text) read from it",
            signatures.len(),
            if signatures.len() == 1 { "" } else { "s" }
        );
        row.reason = Some(match row.reason.take() {
            Some(reason) => format!("{reason}; {note}"),
            None => note,
        });
    }
    Ingested {
        row,
        records,
        problems,
        signatures,
    }
}

/// The problem line of a recognised file that yielded nothing: "recognised
/// as a Get-Queue export but no queue rows were read".
fn nothing_read(kind: Kind, file_name: &str) -> Problem {
    let (what, records) = match source_of(kind, file_name) {
        Some(Source::ApplicationLog) => ("an Application log", "events"),
        Some(Source::SystemLog) => ("a System log", "events"),
        Some(Source::SecurityLog) => ("a Security log", "events"),
        Some(Source::DirectoryServiceLog) => ("a Directory Service log", "events"),
        Some(Source::OtherEventLog) => ("an event log", "events"),
        Some(Source::SendLog) => ("an SMTP Send protocol log", "protocol-log rows"),
        Some(Source::ReceiveLog) => ("an SMTP Receive protocol log", "protocol-log rows"),
        Some(Source::QueueExport) => ("a Get-Queue export", "queue rows"),
        Some(Source::ReceiveConnectors) => ("Get-ReceiveConnector output", "connectors"),
        Some(Source::Setspn) => ("setspn output", "SPN listings"),
        Some(Source::W32tm) => ("w32tm output", "clock readings"),
        Some(Source::Repadmin) => ("repadmin output", "replication rows"),
        Some(Source::PortTest) => ("a port test (Test-NetConnection/portqry)", "port results"),
        Some(Source::Nltest) => ("nltest output", "DC names or statuses"),
        Some(Source::Klist) => ("klist output", "tickets"),
        Some(Source::Ipconfig) => ("ipconfig output", "host names or adapters"),
        Some(Source::ConnectivityLog) => ("a connectivity log", "rows"),
        Some(Source::MessageTrackingLog) => ("a message tracking log", "rows"),
        Some(Source::Transcript) => ("a console transcript", "command outputs"),
        None if kind == Kind::MESSAGE_EXPORT => ("a Get-Message export", "messages"),
        None => ("a file exauth reads", "records"),
    };
    Problem::new(
        Location::File,
        format!("recognised as {what} but no {records} were read"),
    )
}

fn problems_summary(problems: &Problems) -> String {
    let first = problems
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    match problems.found() {
        0 => String::new(),
        1 => first,
        2 => format!("{first} (and 1 more problem)"),
        n => format!("{first} (and {} more problems)", thousands(n - 1)),
    }
}

/// A fact with no time of its own (command outputs describe the state when
/// the admin ran them), at `line` of the artifact when known.
pub(crate) fn untimed(
    place: Place<'_>,
    line: Option<u64>,
    fact: crate::evidence::Fact,
) -> Evidence {
    Evidence {
        server: place.server.map(str::to_string),
        time: None,
        time_basis: crate::evidence::TimeBasis::None,
        origin: match line {
            Some(n) if n > 0 => crate::model::origin_at(place.origin, n),
            _ => place.origin.to_string(),
        },
        fact,
        local_time: None,
        corrected: None,
        represents: 1,
    }
}

/// A failure-signature line as evidence of its own, at its line of the
/// artifact; `time` is the line's UTC time when its log gives one.
pub fn signature_evidence(
    hit: &SignatureHit,
    place: Place<'_>,
    time: Option<jiff::Timestamp>,
) -> Evidence {
    let time = time.or_else(|| {
        hit.utc_time
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
    });
    Evidence {
        server: place.server.map(str::to_string),
        time,
        time_basis: if time.is_some() {
            crate::evidence::TimeBasis::NativeUtc
        } else {
            crate::evidence::TimeBasis::None
        },
        origin: crate::model::origin_at(place.origin, hit.line),
        fact: crate::evidence::Fact::FailureSignature {
            signature: hit.signature,
            status: hit.status.clone(),
            peer_ip: hit.peer_ip,
            peer_host: hit.peer_host.clone(),
            text: hit.text.clone(),
        },
        local_time: None,
        corrected: None,
        represents: 1,
    }
}

/// A problem that says a whole file could not be read.
pub(crate) fn cannot_read(e: impl std::fmt::Display) -> Problem {
    Problem::new(Location::File, format!("cannot read: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nothing half-registered: every kind the parsers' registry can claim
    /// is read by exactly one input (archives are opened by discovery;
    /// unknown texts and skipped Exchange logs are only searched for failure
    /// signatures), and no input reads a kind the registry cannot claim.
    #[test]
    fn every_registered_kind_has_exactly_one_input() {
        let not_read = [
            Kind::ZIP,
            Kind::GZIP,
            Kind::UNKNOWN,
            Kind::EXCHANGE_LOG_OTHER,
            Kind::SEND_CONNECTOR_EXPORT,
        ];
        let all = Kind::all();
        for kind in &all {
            let readers = INPUTS.iter().filter(|i| i.kinds().contains(kind)).count();
            let expected = usize::from(!not_read.contains(kind));
            assert_eq!(readers, expected, "inputs reading {kind}");
        }
        for input in INPUTS {
            for kind in input.kinds() {
                assert!(all.contains(kind), "{kind} is read but never detected");
                assert!(
                    input.source(*kind, "EX01_Application.evtx").is_some()
                        || *kind == Kind::MESSAGE_EXPORT,
                    "{kind} gives its server no coverage source"
                );
            }
        }
    }
}
