//! Queue exports (Get-Queue / Get-Message in any form: Format-List,
//! Export-Csv, JSON, CliXml, Queue Viewer lists; TRANSPORTQUEUE logs) →
//! one fact per queue with a last error, a queue exported again and again
//! (`Get-Queue | fl` in a loop into one file) folded into the first and the
//! last snapshot of each run ([`QueueFold`]).

use super::text::Content;
use super::{Extracted, IngestOptions, Input, Place, Records, RowSink};
use crate::discover::Artifact;
use crate::evidence::{Evidence, Fact, IdentityHint, TimeBasis};
use crate::model::Source;
use crate::model::{canonical_ip, Role};
use exauth_parsers::detect::Kind;
use exauth_parsers::problem::{Location, Problems};
use exauth_parsers::queue::records::not_a_queue_export;
use exauth_parsers::queue::ExportedTime;
use exauth_parsers::queue::{parse_queue_export, ExportForm, QueueExportOptions};
use exauth_parsers::queue::{QueueExport, QueueRecord, SmtpResponse};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

pub struct QueueInput;

impl Input for QueueInput {
    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::QUEUE_EXPORT,
            Kind::MESSAGE_EXPORT,
            Kind::TRANSPORT_QUEUE_LOG,
        ]
    }

    fn source(&self, kind: Kind, _file_name: &str) -> Option<Source> {
        (kind != Kind::MESSAGE_EXPORT).then_some(Source::QueueExport)
    }

    fn read(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let text = content.text()?;
        Ok(Box::new(QueueRecords(parse_queue_export(
            &text,
            export_options(options),
        ))))
    }

    /// Streaming, every form (a `Get-Message` of a queue thousands of
    /// messages deep, in `Format-List`, `Export-Csv`, JSON — one line or many
    /// —, CliXml, a Queue Viewer list; the queue log): spooled and read in
    /// passes, its facts handed over as they come.
    fn read_into(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        _rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        let mut text = content.spooled_text()?;
        let Some(form) = ExportForm::detect(&text.head()?) else {
            return Ok(Box::new(QueueRecords(not_a_queue_export())));
        };
        let mut read = 0;
        // One fold over every pass: a run goes on across a pass's end.
        let mut fold = QueueFold::default();
        let export = form.read_in_passes(
            &mut text,
            export_options(options),
            QUEUES_AT_A_TIME,
            &mut |queues, messages| {
                read += queues.len() + messages.len();
                queue_evidence(
                    &queues,
                    place.origin,
                    place.server,
                    &mut fold,
                    &mut facts.evidence,
                    &mut facts.hints,
                );
                facts.hand_over_when_holding(options.hand_over_at);
            },
        );
        fold.finish(facts);
        Ok(Box::new(StreamedQueues {
            problems: export.problems,
            read,
        }))
    }
}

/// Queues and messages the parser hands over at a time.
const QUEUES_AT_A_TIME: usize = 256;

fn export_options(options: &IngestOptions) -> QueueExportOptions {
    QueueExportOptions {
        date_order: options.date_order,
        ..QueueExportOptions::default()
    }
}

/// What a streamed export leaves once its facts are out: its problems and
/// how many queues and messages it held.
#[derive(Debug)]
struct StreamedQueues {
    problems: Problems,
    read: usize,
}

impl Records for StreamedQueues {
    fn problems(&self) -> &Problems {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.read == 0
    }

    fn extract(&self, _place: Place<'_>, _out: &mut Extracted) {}
}

/// The queues and messages of one export.
#[derive(Debug)]
pub struct QueueRecords(pub QueueExport);

impl Records for QueueRecords {
    fn problems(&self) -> &Problems {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.queues.is_empty() && self.0.messages.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let mut fold = QueueFold::default();
        queue_evidence(
            &self.0.queues,
            place.origin,
            place.server,
            &mut fold,
            &mut out.evidence,
            &mut out.hints,
        );
        fold.finish(out);
    }
}

/// `451 4.4.0` (codes only) or the whole response with its text.
pub fn response_text(response: &SmtpResponse, with_text: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(code) = response.code {
        parts.push(code.to_string());
    }
    if let Some(enhanced) = &response.enhanced_code {
        parts.push(enhanced.to_string());
    }
    if with_text || parts.is_empty() {
        let text = response
            .text
            .trim()
            .trim_end_matches('.')
            .trim_end_matches(':');
        if !text.is_empty() {
            parts.push(text.to_string());
        }
    }
    parts.join(" ")
}

/// One fact per queue that has a last error, through `fold` (a run of
/// snapshots of one queue kept as its first and last): call
/// [`QueueFold::finish`] once the file's last queue is in.
fn queue_evidence(
    queues: &[QueueRecord],
    artifact_origin: &str,
    fallback_server: Option<&str>,
    fold: &mut QueueFold,
    out: &mut Vec<Evidence>,
    hints: &mut Vec<IdentityHint>,
) {
    for queue in queues {
        if let Some((snapshot, hint)) = snapshot(queue, artifact_origin, fallback_server) {
            fold.add(snapshot, hint, out, hints);
        }
    }
}

/// The fact of one queue with a last error, and what it says of who is at
/// which IP.
fn snapshot(
    queue: &QueueRecord,
    artifact_origin: &str,
    fallback_server: Option<&str>,
) -> Option<(Evidence, Option<IdentityHint>)> {
    let last_error = queue.last_error.as_ref()?;
    let server = queue
        .server
        .as_deref()
        .map(crate::model::short_name)
        .or_else(|| fallback_server.map(str::to_string));
    let hint = match (&last_error.fqdn, last_error.ip) {
        (Some(fqdn), Some(ip)) => Some(IdentityHint::HostAt {
            host: fqdn.clone(),
            ip: canonical_ip(ip),
            role: Role::Exchange,
        }),
        _ => None,
    };
    let description = last_error.description.as_ref();
    let outer = description.map(|d| response_text(&d.outer, false));
    let inner = description
        .and_then(|d| d.inner.as_ref())
        .map(|r| response_text(r, true));
    let local_time = last_error.retry_time.or(queue.last_retry_time);
    let (time, time_basis) = match queue.snapshot_time {
        Some(t) => (Some(t), TimeBasis::NativeUtc),
        None => (
            None,
            if local_time.is_some() {
                TimeBasis::ServerLocal
            } else {
                TimeBasis::None
            },
        ),
    };
    let origin = match queue.location {
        Location::Line(n) => crate::model::origin_at(artifact_origin, n),
        Location::Record(n) => format!("{artifact_origin}#object {n}"),
        _ => artifact_origin.to_string(),
    };
    let evidence = Evidence {
        server,
        time,
        time_basis,
        origin,
        fact: Fact::QueueLastError {
            queue: queue.identity.clone().unwrap_or_default(),
            next_hop: queue.next_hop_domain.clone(),
            target_ip: last_error.target_ip().map(canonical_ip),
            target_fqdn: last_error.fqdn.clone(),
            outer,
            inner,
            truncated: last_error.truncated,
            retry_count: queue.retry_count,
            counted: None,
        },
        local_time: if queue.snapshot_time.is_some() {
            None
        } else {
            local_time
        },
        corrected: None,
        represents: 1,
    };
    Some((evidence, hint))
}

/// A queue exported again and again into one file (`Get-Queue | fl` run
/// every minute for days) repeats the same queue — the same identity, next
/// hop and LastError — with its RetryCount growing and its LastRetryTime
/// moving: kept one by one, the snapshots grew memory with the bytes
/// (`benches/collection.sh queue-loop`, 200 MB: 72 MB; 700 MB passed
/// 256 MB; folded, 17 MB). Here, per file, a run —
/// snapshots of one queue in read order that differ in nothing but their
/// RetryCount, which never goes down, and whose time never goes back — is
/// kept as two facts: its first (standing for itself) and its last
/// (standing for itself and the snapshots folded between,
/// [`Evidence::represents`]), each at its own line or object. A run of one
/// or two is kept as read; a snapshot that breaks the run (its count lower:
/// a new round of retries; its time earlier; another error) opens the next.
/// A snapshot identical to the one before it in its run (a loop faster than
/// the queue's retries, an export pasted twice) is what `dedup` sets aside
/// as a copy: it is folded without being counted, and said with the
/// identical queue rows set aside.
///
/// Nothing the diagnosis reads changes: RetryCount counts the retries so
/// far, so what each snapshot adds to its pair's failures telescopes to the
/// last's count less the first's ([`queue_retries`]), and the pair's first
/// and last failure are the run's first and last. A queue without an
/// identity is each time its own queue there: it is never folded.
///
/// One place for the held-whole read and the streamed one (whose runs go on
/// across its passes): both give the same facts. A run's first goes out as
/// read, so an export of distinct queues is handed over as it always was.
/// Memory: one open run per distinct (server, queue) of the file — what its
/// next snapshot is compared with (a hash of what must stay the same, the
/// count and times that must not go down), and from its second snapshot on
/// the latest, which the run's end gives out — at most [`OPEN_RUNS`].
///
/// [`queue_retries`]: crate::correlate::incident::queue_retries
#[derive(Debug, Default)]
pub(crate) struct QueueFold {
    /// The open run of each (server, queue identity), by a 64-bit hash of
    /// them: two queues that share one (a chance of 2⁻⁶⁴ a pair) break each
    /// other's runs, their snapshots kept as read, for the run's shape
    /// holds the server and the queue.
    open: BTreeMap<u64, Run>,
    /// Snapshots identical to the one before them in their run, folded
    /// without counting ([`Extracted::queue_copies`]).
    copies: u64,
}

/// Runs a [`QueueFold`] holds open at most (~100 bytes each, and a run's
/// last snapshot, ~1.5 KB, once it has two). An export of more distinct
/// failing queues (`benches/collection.sh queue-text`: 44,534, each read
/// once, which open runs kept to the file's end took from 72 to 76 MB)
/// closes them all and starts again, as [`RepeatedFacts`] counts a batch at
/// a time: a loop over more failing queues than this is kept as read, a
/// fact a snapshot.
///
/// [`RepeatedFacts`]: super::diag::RepeatedFacts
const OPEN_RUNS: usize = 1 << 12;

/// A run of snapshots of one queue ([`QueueFold`]).
#[derive(Debug)]
struct Run {
    /// What every snapshot of the run shares ([`Run::shape`]).
    shape: u64,
    /// The latest snapshot's RetryCount and times: the next one's must not
    /// be lower or earlier.
    retry_count: Option<u64>,
    time: Option<jiff::Timestamp>,
    local_time: Option<ExportedTime>,
    /// The latest snapshot from the run's second on (the first went out as
    /// read). Boxed: a run of one (each queue of an export of distinct
    /// queues) holds no room for it.
    last: Option<Box<Evidence>>,
    /// Snapshots in the run.
    snapshots: u64,
}

impl Run {
    fn new(snapshot: &Evidence, shape: u64) -> Run {
        Run {
            shape,
            retry_count: retry_count(snapshot),
            time: snapshot.time,
            local_time: snapshot.local_time,
            last: None,
            snapshots: 1,
        }
    }

    /// A 64-bit hash of what a snapshot's run shares: its server, its fact
    /// but the RetryCount, its time basis and its identity hint (two
    /// different errors of one queue read in a row share one with a chance
    /// of 2⁻⁶⁴).
    fn shape(snapshot: &Evidence, hint: Option<&IdentityHint>) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        if let Fact::QueueLastError { queue, .. } = &snapshot.fact {
            queue.hash(&mut hasher);
        }
        hash_what_it_says(snapshot, &mut hasher);
        (snapshot.time_basis, hint).hash(&mut hasher);
        hasher.finish()
    }

    /// True when `next` (of this run's shape) is the latest snapshot again:
    /// the same RetryCount and times.
    fn is_copy(&self, next: &Evidence) -> bool {
        self.retry_count == retry_count(next)
            && self.time == next.time
            && self.local_time == next.local_time
    }

    /// True when `next` (of this run's shape) goes on the run: a RetryCount
    /// no lower than the latest's, a time no earlier, on the same basis (a
    /// local time in either day/month reading its file may take, with the
    /// same UTC offset).
    fn goes_on(&self, next: &Evidence) -> bool {
        let count_goes_on = match (self.retry_count, retry_count(next)) {
            (Some(before), Some(after)) => after >= before,
            (None, None) => true,
            _ => false,
        };
        let time_goes_on = match (self.time, next.time) {
            (Some(before), Some(after)) => after >= before,
            (None, None) => true,
            _ => false,
        };
        let local_goes_on = match (&self.local_time, &next.local_time) {
            (None, None) => true,
            (Some(before), Some(after)) => {
                before.utc_offset_seconds == after.utc_offset_seconds
                    && before.provenance == after.provenance
                    && before.local <= after.local
                    && match (before.open_order.is_some(), after.open_order.is_some()) {
                        (false, false) => true,
                        (true, true) => match (before.other_reading(), after.other_reading()) {
                            (Some(before), Some(after)) => before.local <= after.local,
                            _ => false,
                        },
                        _ => false,
                    }
            }
            _ => false,
        };
        count_goes_on && time_goes_on && local_goes_on
    }

    /// The run's last snapshot, standing for itself and those folded
    /// between it and the first, to `out`.
    fn close(self, out: &mut Vec<Evidence>) {
        if let Some(mut last) = self.last {
            last.represents = self.snapshots - 1;
            out.push(*last);
        }
    }
}

/// Hashes what a queue row says whatever its queue, count and times: its
/// server, next hop, target and error (a run's shape, `Run::shape`, and the
/// aggregate of rows counted past the cap, `ingest::queue_rows`).
pub(crate) fn hash_what_it_says(row: &Evidence, hasher: &mut impl Hasher) {
    if let Fact::QueueLastError {
        next_hop,
        target_ip,
        target_fqdn,
        outer,
        inner,
        truncated,
        queue: _,
        retry_count: _,
        counted: _,
    } = &row.fact
    {
        (&row.server, next_hop, target_ip, target_fqdn).hash(hasher);
        (outer, inner, truncated).hash(hasher);
    }
}

fn retry_count(snapshot: &Evidence) -> Option<u64> {
    match &snapshot.fact {
        Fact::QueueLastError { retry_count, .. } => *retry_count,
        _ => None,
    }
}

impl QueueFold {
    /// Takes the next snapshot read: the first of a run it opens (with its
    /// hint) and the last of a run it closes go out to `out` and `hints`.
    pub(crate) fn add(
        &mut self,
        snapshot: Evidence,
        hint: Option<IdentityHint>,
        out: &mut Vec<Evidence>,
        hints: &mut Vec<IdentityHint>,
    ) {
        let key = match &snapshot.fact {
            Fact::QueueLastError { queue, .. } if !queue.is_empty() => {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                (&snapshot.server, queue).hash(&mut hasher);
                hasher.finish()
            }
            _ => {
                hints.extend(hint);
                out.push(snapshot);
                return;
            }
        };
        let shape = Run::shape(&snapshot, hint.as_ref());
        if let Some(run) = self.open.get_mut(&key) {
            if run.shape == shape && run.is_copy(&snapshot) {
                self.copies += 1;
                return;
            }
            if run.shape == shape && run.goes_on(&snapshot) {
                run.retry_count = retry_count(&snapshot);
                run.time = snapshot.time;
                run.local_time = snapshot.local_time;
                run.snapshots += 1;
                match &mut run.last {
                    Some(last) => **last = snapshot,
                    None => run.last = Some(Box::new(snapshot)),
                }
                return;
            }
        }
        if self.open.len() >= OPEN_RUNS && !self.open.contains_key(&key) {
            self.close_all(out);
        }
        if let Some(closed) = self.open.insert(key, Run::new(&snapshot, shape)) {
            closed.close(out);
        }
        hints.extend(hint);
        out.push(snapshot);
    }

    /// At the end of the file: every open run's last to `out`, with the
    /// copies folded.
    pub(crate) fn finish(&mut self, out: &mut Extracted) {
        self.close_all(&mut out.evidence);
        out.queue_copies += std::mem::take(&mut self.copies);
    }

    fn close_all(&mut self, out: &mut Vec<Evidence>) {
        for run in std::mem::take(&mut self.open).into_values() {
            run.close(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Origin;
    use crate::ingest::{HandOver, Part};
    use exauth_parsers::detect::{self, HEAD_LEN};

    const AUTH_454: &str = "451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed.";
    const DROPPED: &str = "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due to SocketError.\" Attempted failover to alternate host, but that did not succeed.";

    /// One queue of a `Get-Queue | fl` written by a loop: `identity` failing
    /// with `error`, RetryCount `count` (none: not listed), its last retry
    /// `minute` minutes past 3 AM.
    fn queue(identity: &str, error: &str, count: Option<u64>, minute: u32) -> String {
        let at = format!("11/26/2026 {}:{:02}:25 AM", 3 + minute / 60, minute % 60);
        let count = count
            .map(|c| format!("RetryCount       : {c}\r\n"))
            .unwrap_or_default();
        format!(
            "Identity         : {identity}\r\nDeliveryType     : SmtpRelayToMailboxDeliveryGroup\r\nNextHopDomain    : site:Default-First-Site-Name; version: 15\r\nStatus           : Retry\r\nMessageCount     : 39\r\nLastError        : [{{LRT={at}}};{{LED={error}}};{{FQDN=EX02.contoso.com}};{{IP=10.0.1.12}}]\r\n{count}LastRetryTime    : {at}\r\n\r\n"
        )
    }

    /// The EX01\3 queue failing with the 454, RetryCount `count`.
    fn q3(count: u64, minute: u32) -> String {
        queue("EX01\\3", AUTH_454, Some(count), minute)
    }

    fn artifact<'a>(origin: &'a Origin, bytes: &'a [u8]) -> Artifact<'a> {
        let head = &bytes[..bytes.len().min(HEAD_LEN)];
        let artifact = Artifact {
            origin,
            server_hint: Some("EX01".into()),
            size: Some(bytes.len() as u64),
            head,
            detection: detect::detect(head, &origin.to_string()),
            path: None,
        };
        assert_eq!(artifact.detection.kind, Kind::QUEUE_EXPORT);
        artifact
    }

    const FILE: &str = "queue-EX01.txt";

    /// The facts of a read, its identity hints and the copies it folded.
    type Read = (Vec<Evidence>, Vec<IdentityHint>, u64);

    /// The facts and hints of `text` read whole ([`Input::read`], then
    /// [`Records::extract`]).
    fn read_whole(text: &str) -> Read {
        let origin = Origin::file(FILE);
        let artifact = artifact(&origin, text.as_bytes());
        let mut raw = text.as_bytes();
        let mut content = Content::new(&mut raw, &artifact.detection);
        let records = QueueInput
            .read(&artifact, &mut content, &IngestOptions::default())
            .expect("read");
        assert!(records.problems().is_empty(), "{:?}", records.problems());
        let mut out = Extracted::default();
        records.extract(
            Place {
                origin: FILE,
                server: Some("EX01"),
            },
            &mut out,
        );
        (out.evidence, out.hints, out.queue_copies)
    }

    /// The facts and hints of `text` streamed ([`Input::read_into`]), every
    /// fact handed over as soon as it is out.
    fn read_streamed(text: &str) -> Read {
        let origin = Origin::file(FILE);
        let artifact = artifact(&origin, text.as_bytes());
        let mut raw = text.as_bytes();
        let mut content = Content::new(&mut raw, &artifact.detection);
        let options = IngestOptions {
            hand_over_at: 1,
            ..IngestOptions::default()
        };
        let mut parts = Vec::new();
        let mut take = |part: &mut Part| parts.push(std::mem::take(&mut part.evidence));
        let mut facts = Extracted {
            hand_over: Some(HandOver(&mut take)),
            ..Extracted::default()
        };
        let records = QueueInput
            .read_into(
                &artifact,
                &mut content,
                &options,
                Place {
                    origin: FILE,
                    server: Some("EX01"),
                },
                &mut facts,
                None,
            )
            .expect("read_into");
        assert!(records.problems().is_empty(), "{:?}", records.problems());
        let left = std::mem::take(&mut facts.evidence);
        let hints = std::mem::take(&mut facts.hints);
        let copies = facts.queue_copies;
        drop(facts);
        let mut evidence: Vec<Evidence> = parts.into_iter().flatten().collect();
        evidence.extend(left);
        (evidence, hints, copies)
    }

    /// (line, RetryCount, what it stands for) of each fact, by line.
    fn kept(evidence: &[Evidence]) -> Vec<(u64, Option<u64>, u64)> {
        let mut kept: Vec<(u64, Option<u64>, u64)> = evidence
            .iter()
            .map(|e| {
                let line = e
                    .origin
                    .strip_prefix(&format!("{FILE}:"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("at a line of the file: {}", e.origin));
                let Fact::QueueLastError { retry_count, .. } = &e.fact else {
                    panic!("{e:?}");
                };
                (line, *retry_count, e.represents)
            })
            .collect();
        kept.sort_unstable();
        kept
    }

    /// The line of each queue (its Identity line) of `text`, in order.
    fn queue_lines(text: &str) -> Vec<u64> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("Identity "))
            .map(|(i, _)| i as u64 + 1)
            .collect()
    }

    /// Both reads give the same facts, hints and copies folded; those.
    fn read(text: &str) -> Read {
        let (mut whole, mut whole_hints, whole_copies) = read_whole(text);
        let (mut streamed, mut streamed_hints, streamed_copies) = read_streamed(text);
        assert_eq!(streamed_copies, whole_copies);
        for facts in [&mut whole, &mut streamed] {
            facts.sort_by(|a, b| a.origin.cmp(&b.origin));
        }
        whole_hints.sort();
        streamed_hints.sort();
        assert_eq!(streamed, whole, "read whole and streamed differ");
        assert_eq!(streamed_hints, whole_hints);
        (whole, whole_hints, whole_copies)
    }

    /// Reads `text` both ways; asserts the facts kept are, in line order,
    /// `expected`: per fact `nth:count:stands-for`, the nth queue of the
    /// text (from 0), its RetryCount (`-`: none) and what it stands for.
    fn assert_kept(text: &str, expected: &str) {
        let lines = queue_lines(text);
        let expected: Vec<(u64, Option<u64>, u64)> = expected
            .split_whitespace()
            .map(|fact| {
                let parts: Vec<&str> = fact.split(':').collect();
                let [nth, count, represents] = parts[..] else {
                    panic!("{fact}");
                };
                let nth: usize = nth.parse().expect("nth");
                let represents = represents.parse().expect("stands for");
                (lines[nth], count.parse().ok(), represents)
            })
            .collect();
        assert_eq!(kept(&read(text).0), expected);
    }

    /// Five snapshots of the failing queue a minute apart, RetryCount 11 to
    /// 15: its first (standing for itself) and its last (for itself and
    /// the three between), each at its own line; EX02 at 10.0.1.12 said once.
    #[test]
    fn a_run_of_snapshots_is_kept_as_its_first_and_last() {
        let text: String = (0..5).map(|k| q3(11 + k, k as u32)).collect();
        assert_kept(&text, "0:11:1 4:15:4");
        let (evidence, hints, _) = read(&text);
        let represented: u64 = evidence.iter().map(|e| e.represents).sum();
        assert_eq!(represented, 5, "every snapshot counted");
        assert_eq!(hints.len(), 1, "{hints:?}");
        // A first local time and a last one: the run's span.
        let times: Vec<_> = evidence
            .iter()
            .map(|e| e.local_time.map(|t| t.local.to_string()))
            .collect();
        assert_eq!(
            times,
            [
                Some("2026-11-26T03:00:25".to_string()),
                Some("2026-11-26T03:04:25".to_string())
            ]
        );
    }

    /// Runs of one and two snapshots are kept as read.
    #[test]
    fn short_runs_are_kept_as_read() {
        for n in 1..=2u64 {
            let text: String = (0..n).map(|k| q3(11 + k, k as u32)).collect();
            let expected: Vec<String> = (0..n).map(|k| format!("{k}:{}:1", 11 + k)).collect();
            assert_kept(&text, &expected.join(" "));
        }
    }

    /// RetryCount 15 then 2: the queue emptied and failed again, a new run.
    #[test]
    fn a_lower_count_starts_a_new_run() {
        let text: String = (0..5)
            .map(|k| q3(11 + k, k as u32))
            .chain((0..3).map(|k| q3(2 + k, 5 + k as u32)))
            .collect();
        assert_kept(&text, "0:11:1 4:15:4 5:2:1 7:4:2");
    }

    /// A time earlier than the snapshot before it breaks the run (the count
    /// grows on): 11, 12 at 3:10 and 3:11, then 13, 14, 15 from 3:05.
    #[test]
    fn a_time_going_back_starts_a_new_run() {
        let text = [q3(11, 10), q3(12, 11), q3(13, 5), q3(14, 6), q3(15, 7)].concat();
        assert_kept(&text, "0:11:1 1:12:1 2:13:1 4:15:2");
    }

    /// A loop's export lists several queues each time: each queue's run is
    /// folded apart, however they are interleaved. Another error on the
    /// same queue is not its run: it breaks it.
    #[test]
    fn other_errors_keep_their_runs_apart() {
        let text: String = (0..4u64)
            .map(|k| q3(11 + k, k as u32) + &queue("EX01\\4", DROPPED, Some(3 + k), k as u32))
            .collect();
        assert_kept(&text, "0:11:1 1:3:1 6:14:3 7:6:3");
        let text = [
            q3(11, 0),
            q3(12, 1),
            q3(13, 2),
            queue("EX01\\3", DROPPED, Some(14), 3),
            q3(15, 4),
            q3(16, 5),
            q3(17, 6),
        ]
        .concat();
        assert_kept(&text, "0:11:1 2:13:2 3:14:1 4:15:1 6:17:2");
    }

    /// An export without RetryCount: snapshots of the same queue and time
    /// moving on are a run; a count appearing breaks it.
    #[test]
    fn snapshots_without_a_retry_count_fold_among_themselves() {
        let none = |minute| queue("EX01\\3", AUTH_454, None, minute);
        let text = [none(0), none(1), none(2), none(3), q3(5, 4), q3(6, 5)].concat();
        assert_kept(&text, "0:-:1 3:-:3 4:5:1 5:6:1");
    }

    /// A loop faster than the queue's retries exports the same snapshot
    /// again (RetryCount and times unchanged): those are copies, folded
    /// without being counted (as `dedup` sets identical rows aside), and
    /// said; the run is its distinct snapshots.
    #[test]
    fn a_snapshot_said_again_is_a_copy_not_counted() {
        let text: String = (0..9u64).map(|k| q3(11 + k / 3, (k / 3) as u32)).collect();
        assert_kept(&text, "0:11:1 6:13:2");
        let (_, hints, copies) = read(&text);
        assert_eq!(copies, 6);
        assert_eq!(hints.len(), 1);
        // Pasted twice: the second is a copy of the first.
        let once = q3(11, 0) + &queue("EX01\\4", DROPPED, Some(2), 0);
        let (evidence, _, copies) = read(&once.repeat(2));
        assert_eq!((evidence.len(), copies), (2, 2));
    }

    /// A queue without an identity is its own queue each time (each
    /// counts all its retries): never folded.
    #[test]
    fn queues_without_an_identity_are_not_folded() {
        let text: String = (0..4u64)
            .map(|k| q3(11 + k, k as u32).replacen("Identity         : EX01\\3\r\n", "", 1))
            .collect();
        let (evidence, hints, _) = read(&text);
        assert_eq!(evidence.len(), 4);
        assert!(evidence.iter().all(|e| e.represents == 1));
        assert_eq!(hints.len(), 4);
    }

    /// A loop over as many failing queues as runs are held open is folded;
    /// over one more, each snapshot is kept as read (the runs closed before
    /// their next snapshot comes), every snapshot counted either way.
    #[test]
    fn a_loop_over_more_queues_than_runs_held_open_is_kept_as_read() {
        for (queues, facts) in [
            (OPEN_RUNS, 2 * OPEN_RUNS),
            (OPEN_RUNS + 1, 3 * (OPEN_RUNS + 1)),
        ] {
            let text: String = (0..3u64)
                .flat_map(|k| {
                    (0..queues).map(move |q| {
                        queue(&format!("EX01\\{q}"), AUTH_454, Some(11 + k), k as u32)
                    })
                })
                .collect();
            let (evidence, _, _) = read(&text);
            assert_eq!(evidence.len(), facts, "{queues} queues");
            let represented: u64 = evidence.iter().map(|e| e.represents).sum();
            assert_eq!(represented, 3 * queues as u64);
        }
    }

    /// A loop long enough to span several of the streamed read's passes
    /// (1,200 exports of three queues, a new round and a clock set back
    /// on the way): read whole and streamed, the same facts, every snapshot
    /// counted.
    #[test]
    fn a_loop_across_passes_reads_as_held_whole() {
        let mut text = String::new();
        for k in 0..1_200u32 {
            let minute = if k < 700 { k } else { k - 100 };
            let count = if k < 500 {
                11 + u64::from(k)
            } else {
                u64::from(k) - 499
            };
            text.push_str(&q3(count, minute % 500));
            text.push_str(&queue("EX01\\4", DROPPED, Some(2), minute % 500));
            text.push_str(&queue(
                "EX01\\5",
                AUTH_454,
                Some(u64::from(k)),
                minute % 500,
            ));
        }
        assert!(queue_lines(&text).len() > 4 * QUEUES_AT_A_TIME);
        let (evidence, _, _) = read(&text);
        let represented: u64 = evidence.iter().map(|e| e.represents).sum();
        assert_eq!(represented, 3 * 1_200);
        assert!(evidence.len() < 40, "{} facts", evidence.len());
    }
}
