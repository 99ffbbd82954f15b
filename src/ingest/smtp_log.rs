//! SMTP Send and Receive protocol logs: streamed, sessions reassembled
//! across rows, each session's failed authentications and clock samples
//! turned into facts, and sessions kept for pairing both ends' logs.

use super::dedup::{session_key, session_key_of, SessionsSeen};
use super::pairing_gate::Judged;
use super::text::Content;
use super::{Extracted, IngestOptions, Input, Place, Records, Row, RowSink};
use crate::discover::Artifact;
use crate::evidence::{Evidence, Fact, IdentityHint, LogKind, TimeBasis};
use crate::model::canonical_ip;
use crate::model::endpoint_host;
use crate::model::endpoint_ip;
use crate::model::AuthOutcome;
use crate::model::ClockBasis;
use crate::model::Role;
use crate::model::Source;
use exauth_parsers::detect::{Form, Kind};
use exauth_parsers::problem::Problems;
use exauth_parsers::smtp_log::SessionSummary;
use exauth_parsers::smtp_log::{
    FileReport, GlancedTimes, Reassembler, SessionDetail, SessionGlance, SessionSink,
};
use std::io::Read;

pub struct SmtpLogInput;

impl Input for SmtpLogInput {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::SMTP_RECEIVE_LOG, Kind::SMTP_SEND_LOG]
    }

    fn source(&self, kind: Kind, _file_name: &str) -> Option<Source> {
        Some(if kind == Kind::SMTP_SEND_LOG {
            Source::SendLog
        } else {
            Source::ReceiveLog
        })
    }

    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        _options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let mut sessions = Vec::new();
        let report = reassemble(artifact, content, SessionDetail::Full, &mut sessions);
        Ok(Box::new(SmtpRecords { report, sessions }))
    }

    /// Streams: each session is turned into facts (and rows) as it closes
    /// and dropped, so a 10 MB log of 30,000 sessions never sits in memory
    /// as summaries. Same facts, rows and order as [`Input::read`] followed
    /// by [`Records::extract`] and [`Records::rows`].
    fn read_into(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        // A scan reads only what [`session_evidence`], the de-duplication
        // and clock pairing need; extract's rows want every field.
        let detail = if rows.is_some() {
            SessionDetail::Full
        } else {
            SessionDetail::Failures
        };
        let mut sink = FactsAndRows {
            facts: SessionFacts::new(place, facts, options.hand_over_at),
            rows,
        };
        let report = reassemble(artifact, content, detail, &mut sink);
        sink.facts.finish();
        Ok(Box::new(SmtpRecords {
            report,
            sessions: Vec::new(),
        }))
    }
}

/// Sessions as they close: their rows written (extract), their facts taken.
struct FactsAndRows<'f, 'p, 'e, 'h, 'r> {
    facts: SessionFacts<'p, 'e, 'h>,
    rows: Option<(&'r mut dyn RowSink, Place<'f>)>,
}

impl SessionSink for FactsAndRows<'_, '_, '_, '_, '_> {
    fn take(&mut self, session: SessionSummary) {
        if let Some((sink, at)) = self.rows.as_mut() {
            session_rows(&session, *at, &mut **sink);
        }
        self.facts.take(session);
    }

    fn wants_summary(&mut self, glance: &SessionGlance<'_>) -> bool {
        // Extract's rows are written from every summary.
        self.rows.is_some() || self.facts.wants_summary(glance)
    }
}

/// Reads a protocol log's rows and hands over each session as it closes.
fn reassemble(
    artifact: &Artifact<'_>,
    content: &mut Content<'_>,
    detail: SessionDetail,
    emit: &mut impl SessionSink,
) -> FileReport {
    let hint = if artifact.detection.kind == Kind::SMTP_SEND_LOG {
        LogKind::Send
    } else {
        LogKind::Receive
    };
    let mut reassembler = Reassembler::new().with_detail(detail);
    // A headerless excerpt is a paste: complete, though its last row
    // often has no line end (a log being written would be cut there).
    let excerpt = artifact.detection.form != Form::ExchangeLog;
    // The row reader keeps its own buffer and asks for at least 64 KiB at a
    // time, so the decoder's buffer is passed by: one copy from the file.
    let report = reassembler.feed_into(
        EndsInNewline {
            inner: content.lines(64 << 10),
            supply: excerpt,
            last: b'\n',
        },
        Some(hint),
        emit,
    );
    reassembler.finish_into(emit);
    report
}

/// Sessions in a file beyond which only one connection in
/// [`PAIRING_ONE_IN`] is kept for clock pairing.
const PAIRING_ALL_UP_TO: usize = 4000;
const PAIRING_ONE_IN: u64 = 8;

/// Sessions checked against the run's in one batch (see
/// [`SessionsSeen::first_times`]).
const DEDUP_BATCH: usize = 32;

/// The facts of one log's sessions, taken one session at a time.
struct SessionFacts<'p, 'e, 'h> {
    place: Place<'p>,
    out: &'e mut Extracted<'h>,
    thinning: BannerThinning,
    /// Hints seen in this file: a busy log names the same two hosts in
    /// every session.
    hints: HintSet,
    sessions: usize,
    pairing_from: usize,
    /// The run's sessions and this file's index among their files.
    seen: Option<(std::sync::Arc<SessionsSeen>, u32, Option<String>)>,
    /// Sessions taken and not yet checked against the run's, with their keys.
    pending: Vec<(Pending, Option<u64>)>,
    /// FNV-1a of the file's origin, the start of its samples' origin hashes.
    origin_hash: u64,
    /// Facts held before they are handed over ([`Extracted::hand_over`]): a
    /// single log of tens of thousands of failing sessions (a paste, logs
    /// joined into one) grew memory with its size.
    hand_over_at: usize,
}

/// A session waiting for its batch's check against the run's sessions.
/// A summary waits boxed: a scan summarizes only the sessions the glance
/// cannot tell (failing ones), and the waiting list moves each declined one
/// in and out at the size of the larger variant (a summary's ~600 bytes,
/// twice, were 1.5 % of a one-thread scan's samples at 100 servers, `perf
/// record` by hand, 2026-12-08). Extract summarizes every session: a box
/// more beside the summary's dozen strings.
// The large variant is the common one (~250 bytes): boxed, it would cost
// an allocation per session.
#[allow(clippy::large_enum_variant)]
enum Pending {
    /// Its summary, for its facts.
    Summary(Box<SessionSummary>),
    /// A healthy session whose summary was declined ([`SessionFacts::wants_summary`]).
    Declined(Declined),
}

/// What a declined session still does in its turn: if it is new, it gives
/// the identity hints this file had not given when it was glanced, counts
/// towards the file's sessions and, when kept for pairing, is offered to the
/// pairing gate (its copy kept when the gate takes it); new or not, its clock
/// sample goes through the thinning, and if new and kept there it becomes a
/// fact unless the banner gate refuses it (counted) — all that
/// [`session_evidence`] and [`SessionFacts::facts`] do with a healthy
/// session's summary, from copies of the few texts that need one.
struct Declined {
    /// Whether it has both endpoints, and its [`connection_hash`].
    both_endpoints: bool,
    connection: u64,
    /// The identity hints the file had not given at the glance (a batch's
    /// sessions wait before they give theirs). Boxed, as the banner fact
    /// below: most sessions have neither, and every declined session is
    /// moved into its batch and out again (at ~270 bytes each move was a
    /// `memcpy` call: 1.6 % of a 100-server scan's samples, perf by hand).
    hints: Option<Box<DeclinedHints>>,
    sample: Option<ThinnedSample>,
    pairing: ForPairing,
}

/// What the pairing gate made of a declined session at its glance.
enum ForPairing {
    /// Let through: its copy for pairing ([`slim_from_glance`]), all its
    /// summary would have given beyond the rest.
    Copy(PairingCopy),
    /// Refused, and so it stays (the gate only tightens): counted in turn.
    Refused(Judged),
    /// Not kept for pairing (no server, or a big file's one in 8 left it out).
    Not,
}

/// A declined session's identity hints not given yet when it was glanced:
/// the address of its own end (the file's server is the host), and the peer
/// with its address. Copied only then: most sessions repeat the file's.
#[derive(Default)]
struct DeclinedHints {
    local_endpoint: Option<String>,
    remote: Option<(String, String)>,
}

/// A clock sample as the thinning sees it: the peer's address text (inline:
/// a copy per session was what declining saves) and the sample's key; and,
/// when the thinning and the banner gate would keep it at the glance, what
/// its fact needs besides ([`BannerFact`]).
struct ThinnedSample {
    ip: Option<InlineText<{ ThinnedSample::IP_ROOM }>>,
    offset_s: f64,
    time: jiff::Timestamp,
    fact: Option<Box<BannerFact>>,
}

/// What a banner sample's fact holds besides the sample's key: the peer's
/// address as gated, its name, the sample's line and origin hash.
struct BannerFact {
    peer: Option<std::net::IpAddr>,
    name: String,
    line: u64,
    hash: u64,
}

impl ThinnedSample {
    /// Room for any IPv6 address text.
    const IP_ROOM: usize = 48;

    /// `None` for an address text longer than the room.
    fn new(ip: Option<&str>, offset_s: f64, time: jiff::Timestamp) -> Option<Self> {
        Some(ThinnedSample {
            ip: InlineText::of_optional(ip)?,
            offset_s,
            time,
            fact: None,
        })
    }

    fn ip(&self) -> Option<&str> {
        self.ip.as_ref().map(InlineText::as_str)
    }
}

impl<'p, 'e, 'h> SessionFacts<'p, 'e, 'h> {
    fn new(place: Place<'p>, out: &'e mut Extracted<'h>, hand_over_at: usize) -> Self {
        let pairing_from = out.pairing.len();
        let hints = HintSet::with_known(out.known_hints.clone());
        let seen = out.sessions.as_ref().map(|run| {
            let file = run.seen.file(&run.origin, run.server.as_deref());
            (run.seen.clone(), file, run.server.clone())
        });
        SessionFacts {
            seen,
            place,
            out,
            thinning: BannerThinning::default(),
            hints,
            sessions: 0,
            pairing_from,
            pending: Vec::with_capacity(DEDUP_BATCH),
            origin_hash: fnv1a(place.origin.as_bytes()),
            hand_over_at,
        }
    }

    /// Takes a session; its facts come when its batch is checked against
    /// the run's sessions ([`SessionFacts::flush`]), in the order taken.
    fn take(&mut self, session: SessionSummary) {
        let Some((_, _, server)) = &self.seen else {
            self.facts(session);
            return;
        };
        let key = session_key(server.as_deref(), &session);
        self.wait(Pending::Summary(Box::new(session)), key);
    }

    fn wait(&mut self, session: Pending, key: Option<u64>) {
        self.pending.push((session, key));
        if self.pending.len() >= DEDUP_BATCH {
            self.flush();
        }
    }

    /// Whether the facts of a healthy session need its summary: never when
    /// the glance tells them all, that is when the file reads sessions
    /// against a pairing gate (a scan) and the session's texts are whole
    /// (the glance is given). Most sessions of a busy file: each summary not
    /// built is a dozen strings made and dropped. A declined session copies
    /// only the texts its facts need ([`Declined`]): a new identity hint, a
    /// clock sample the thinning and the banner gate would keep, and its copy
    /// for pairing from the glance ([`slim_from_glance`]) when the pairing
    /// gate would take it, as its summary would have been slimmed. Taken in
    /// order with the others, the declined one does the rest in its turn
    /// ([`SessionFacts::declined_facts`]).
    ///
    /// Before, a new hint or a kept sample asked for the summary: at a
    /// hundred servers one session in five (a file's 99 peers each new in
    /// it, and every session of a batch of [`DEDUP_BATCH`] waiting before it
    /// gives its hints), 265,000 of the 1,390,000 sessions of
    /// `benches/collection.sh`'s 100-server collection (counted by hand).
    fn wants_summary(&mut self, glance: &SessionGlance<'_>) -> bool {
        let Some(gate) = self.out.pairing_gate.as_ref() else {
            return true;
        };
        let remote_host = match glance.log {
            LogKind::Send => glance.banner_host.or(glance.hello_reply_host),
            LogKind::Receive => glance.ehlo,
        };
        let mut hints = DeclinedHints::default();
        if let (Some(name), Some(endpoint)) = (self.place.server, glance.local_endpoint) {
            if !self.hints.has(name, endpoint, Role::Exchange) {
                hints.local_endpoint = Some(endpoint.to_owned());
            }
        }
        if let (Some(host), Some(endpoint)) = (remote_host, glance.remote_endpoint) {
            if !self.hints.has(host, endpoint, Role::Unknown) {
                hints.remote = Some((host.to_owned(), endpoint.to_owned()));
            }
        }
        let hints =
            (hints.local_endpoint.is_some() || hints.remote.is_some()).then(|| Box::new(hints));
        let (local, remote) = (glance.local_endpoint, glance.remote_endpoint);
        let connection = connection_hash_of(local.unwrap_or(""), remote.unwrap_or(""));
        let both_endpoints = local.is_some() && remote.is_some();
        // A copy is made only when the session may be kept: a big file keeps
        // one connection in 8, and a file once big stays so.
        let survives = kept_for_pairing(false, both_endpoints, || connection, PAIRING_ONE_IN);
        let pairing = if self.place.server.is_some()
            && kept_for_pairing(false, both_endpoints, || connection, self.keep_one_in())
        {
            match gate.judge(endpoint_host(remote.unwrap_or("")), connection, survives) {
                Judged::LetThrough => {
                    ForPairing::Copy(PairingCopy::of_glance(glance, &glance.times(), connection))
                }
                refused => ForPairing::Refused(refused),
            }
        } else {
            ForPairing::Not
        };
        let sample = match &glance.clock_sample {
            Some(sample) => {
                let Some(mut thinned) =
                    ThinnedSample::new(sample.remote_ip, sample.offset_s, sample.time)
                else {
                    return true;
                };
                // A sample the thinning holds already stays thinned (it only
                // grows), and one the gate refuses stays refused (it only
                // tightens): only one both would take now may become a fact,
                // and only that one's peer name is copied.
                if self
                    .thinning
                    .would_keep(sample.remote_ip, sample.offset_s, sample.time)
                {
                    let peer = sample_peer_ip(sample.remote_ip, remote);
                    let hash = sample_origin_hash(self.origin_hash, Some(sample.line));
                    if !gate.would_refuse_banner(peer, Some(sample.remote_server), hash) {
                        thinned.fact = Some(Box::new(BannerFact {
                            peer,
                            name: sample.remote_server.to_owned(),
                            line: sample.line,
                            hash,
                        }));
                    }
                }
                Some(thinned)
            }
            None => None,
        };
        let declined = Declined {
            both_endpoints,
            connection,
            hints,
            sample,
            pairing,
        };
        match &self.seen {
            Some((_, _, server)) => {
                let key = session_key_of(
                    server.as_deref(),
                    glance.log,
                    glance.connector,
                    glance.session_id,
                    glance.start,
                    glance.rows,
                );
                self.wait(Pending::Declined(declined), key);
            }
            None => self.declined_facts(declined),
        }
        false
    }

    /// The pending sessions checked against the run's sessions in one
    /// batch; each new one becomes facts, in order.
    fn flush(&mut self) {
        let Some((seen, file, _)) = &self.seen else {
            return;
        };
        let keys: Vec<u64> = self.pending.iter().filter_map(|(_, key)| *key).collect();
        let mut first = Vec::with_capacity(keys.len());
        seen.first_times(*file, &keys, &mut first);
        let mut first = first.into_iter();
        // Taken out and put back: the vector keeps its room for the next batch.
        let mut pending = std::mem::take(&mut self.pending);
        for (session, key) in pending.drain(..) {
            // A session without a key (no start time) is never set aside.
            if key.is_some() && first.next() == Some(false) {
                // Its banner samples still count as seen: the copy read
                // keeps the same ones as the file alone would.
                match &session {
                    Pending::Summary(session) => {
                        for sample in &session.clock_samples {
                            self.thinning.keep(
                                sample.remote_ip.as_deref(),
                                sample.offset_s,
                                sample.time,
                            );
                        }
                    }
                    Pending::Declined(declined) => {
                        if let Some(sample) = &declined.sample {
                            self.thinning
                                .keep(sample.ip(), sample.offset_s, sample.time);
                        }
                    }
                }
                continue;
            }
            match session {
                Pending::Summary(session) => self.facts(*session),
                Pending::Declined(declined) => self.declined_facts(declined),
            }
        }
        self.pending = pending;
    }

    /// What a declined session read for the first time in the run does: what
    /// [`SessionFacts::facts`] would do with its summary (hints, a banner
    /// sample, the session for pairing).
    fn declined_facts(&mut self, declined: Declined) {
        self.hand_over_when_holding();
        if let Some(hints) = &declined.hints {
            let DeclinedHints {
                local_endpoint,
                remote,
            } = hints.as_ref();
            if let (Some(name), Some(endpoint)) = (self.place.server, local_endpoint) {
                self.hints.host_at_endpoint(name, endpoint, Role::Exchange);
            }
            if let Some((host, endpoint)) = remote {
                self.hints.host_at_endpoint(host, endpoint, Role::Unknown);
            }
        }
        if let Some(sample) = declined.sample {
            if self
                .thinning
                .keep(sample.ip(), sample.offset_s, sample.time)
            {
                // Kept by the thinning, it goes through the banner gate as
                // `session_evidence` takes it there (refused at the glance,
                // it is refused now: the gate only tightens).
                let gate = self.out.pairing_gate.as_mut();
                match (sample.fact, gate) {
                    (Some(fact), gate) => {
                        let name = Some(fact.name.as_str());
                        if !gate.is_some_and(|g| g.refuses_banner(fact.peer, name, fact.hash)) {
                            self.out.evidence.push(clock_sample_evidence(
                                self.place.server,
                                self.place.origin,
                                Some(fact.line),
                                ClockBasis::Banner,
                                (Some(fact.name), fact.peer),
                                (sample.offset_s, sample.time),
                            ));
                        }
                    }
                    (None, Some(gate)) => gate.banners_refused += 1,
                    (None, None) => {}
                }
            }
        }
        self.sessions += 1;
        let keep_one_in = self.keep_one_in();
        if self.place.server.is_some()
            && kept_for_pairing(
                false,
                declined.both_endpoints,
                || declined.connection,
                keep_one_in,
            )
        {
            let Some(gate) = self.out.pairing_gate.as_mut() else {
                return;
            };
            let survives = kept_for_pairing(
                false,
                declined.both_endpoints,
                || declined.connection,
                PAIRING_ONE_IN,
            );
            match declined.pairing {
                ForPairing::Copy(copy) => {
                    let peer = endpoint_host(copy.remote_endpoint().unwrap_or(""));
                    if !gate.refuses(peer, declined.connection, survives) {
                        self.out.pairing.push(copy);
                    }
                }
                ForPairing::Refused(judged) => gate.count(judged),
                // Never: kept now, it was kept at the glance (a file goes from
                // keeping all to one connection in 8, never back).
                ForPairing::Not => {}
            }
        }
    }

    /// Big logs keep one connection in 8 for clock pairing; both ends
    /// choose the same connections. Until the file shows itself big, every
    /// session is kept; the surplus goes at the end.
    fn keep_one_in(&self) -> u64 {
        if self.sessions > PAIRING_ALL_UP_TO {
            PAIRING_ONE_IN
        } else {
            1
        }
    }

    /// Hands what the file gave so far over once it holds enough
    /// ([`SessionFacts::hand_over`]), before a session's facts are taken.
    fn hand_over_when_holding(&mut self) {
        if self.out.hand_over.is_some()
            && (self.out.evidence.len() >= self.hand_over_at
                || (self.out.pairing.len() >= self.hand_over_at
                    && self.sessions > PAIRING_ALL_UP_TO))
        {
            self.hand_over();
        }
    }

    /// The facts of a session read for the first time in the run.
    fn facts(&mut self, session: SessionSummary) {
        self.hand_over_when_holding();
        let origin_hash = self.origin_hash;
        session_evidence(
            &session,
            self.place.origin,
            self.place.server,
            &mut self.thinning,
            &mut self.out.evidence,
            &mut self.hints,
            self.out.pairing_gate.as_mut().map(|g| (g, origin_hash)),
        );
        self.sessions += 1;
        let keep_one_in = self.keep_one_in();
        if self.place.server.is_some() && keep_for_pairing(&session, keep_one_in) {
            let healthy = session
                .auth_attempts
                .iter()
                .all(|a| a.outcome == AuthOutcome::Success);
            if let Some(gate) = self.out.pairing_gate.as_mut().filter(|_| healthy) {
                let peer = endpoint_host(session.remote_endpoint.as_deref().unwrap_or(""));
                let survives = keep_for_pairing(&session, PAIRING_ONE_IN);
                if gate.refuses(peer, connection_hash(&session), survives) {
                    return;
                }
            }
            self.out.pairing.push(PairingCopy::of_summary(session));
        }
    }

    /// Hands what the file gave so far to the pipeline. Its sessions kept
    /// for pairing go only once the file is known big, thinned first as its
    /// end would thin them; until then they wait here.
    fn hand_over(&mut self) {
        if self.sessions > PAIRING_ALL_UP_TO {
            self.thin_pairing();
            self.out.hand_over_so_far();
            // Those before the file's own went with the rest.
            self.pairing_from = self.pairing_from.min(self.out.pairing.len());
        } else {
            let waiting = std::mem::take(&mut self.out.pairing);
            self.out.hand_over_so_far();
            self.out.pairing = waiting;
        }
    }

    /// A big file's sessions kept for pairing, one connection in
    /// [`PAIRING_ONE_IN`] (those before the file's own stay).
    fn thin_pairing(&mut self) {
        let mut i = 0;
        let from = self.pairing_from;
        self.out.pairing.retain(|s| {
            i += 1;
            i <= from || s.kept_for_pairing(PAIRING_ONE_IN)
        });
    }

    fn finish(mut self) {
        self.flush();
        let thinned = self.sessions > PAIRING_ALL_UP_TO;
        if thinned {
            self.thin_pairing();
        }
        if let Some(gate) = self.out.pairing_gate.as_mut() {
            gate.file_ended(thinned);
        }
        let (hints, given) = self.hints.into_parts();
        self.out.hints.extend(hints);
        self.out.new_known_hints.add(given);
    }
}
/// Supplies a line end after the last byte when the stream has none.
struct EndsInNewline<R> {
    inner: R,
    supply: bool,
    last: u8,
}

impl<R: Read> Read for EndsInNewline<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = buf[n - 1];
            return Ok(n);
        }
        if self.supply && self.last != b'\n' && !buf.is_empty() {
            self.last = b'\n';
            buf[0] = b'\n';
            return Ok(1);
        }
        Ok(0)
    }
}

/// The sessions of one protocol-log file.
#[derive(Debug)]
pub struct SmtpRecords {
    pub report: FileReport,
    pub sessions: Vec<SessionSummary>,
}

impl Records for SmtpRecords {
    fn problems(&self) -> &Problems {
        &self.report.problems
    }

    fn is_empty(&self) -> bool {
        self.report.rows == 0
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        // Records read whole: their facts are taken whole too.
        let mut facts = SessionFacts::new(place, out, usize::MAX);
        for session in &self.sessions {
            facts.take(session.clone());
        }
        facts.finish();
    }

    fn rows(&self, place: Place<'_>, out: &mut dyn RowSink) {
        for session in &self.sessions {
            session_rows(session, place, out);
        }
    }
}

/// `extract`'s rows of one session: the session, its authentication
/// attempts, its clock samples.
fn session_rows(session: &SessionSummary, place: Place<'_>, out: &mut dyn RowSink) {
    let origin = place.origin;
    let server = place.server;
    let at = crate::model::origin_at(origin, session.first_line);
    let mut summary = session.clone();
    let attempts = std::mem::take(&mut summary.auth_attempts);
    let samples = std::mem::take(&mut summary.clock_samples);
    out.push(&Row::new("smtp-session", server, &at, &summary));
    for attempt in &attempts {
        out.push(&Row::new(
            "smtp-auth",
            server,
            &crate::model::origin_at(origin, attempt.line),
            attempt,
        ));
    }
    for sample in &samples {
        let at = sample
            .line
            .map(|l| crate::model::origin_at(origin, l))
            .unwrap_or_else(|| origin.to_string());
        out.push(&Row::new("clock-sample", server, &at, sample));
    }
}

/// Thins the banner clock samples of one log file: one per peer, offset
/// (to the second) and 10-minute slot. A healthy week of logs has a banner
/// per session — millions — while a clock that changes still shows, because
/// a new offset is a new key.
#[derive(Debug, Default)]
pub struct BannerThinning {
    /// (offset, slot) seen per peer address: looked up by the address as
    /// given, so that a sample already seen (nearly all) costs no copy of it.
    by_ip: rustc_hash::FxHashMap<String, rustc_hash::FxHashSet<(i64, i64)>>,
    /// The same for samples without a peer address.
    no_ip: rustc_hash::FxHashSet<(i64, i64)>,
}

impl BannerThinning {
    /// The key a sample is thinned by: its offset to the second, its 10-minute slot.
    fn key(offset_s: f64, time: jiff::Timestamp) -> (i64, i64) {
        (offset_s.round() as i64, time.as_second().div_euclid(600))
    }

    /// Whether [`BannerThinning::keep`] would keep this sample (changing nothing).
    fn would_keep(&self, remote_ip: Option<&str>, offset_s: f64, time: jiff::Timestamp) -> bool {
        let key = Self::key(offset_s, time);
        match remote_ip {
            None => !self.no_ip.contains(&key),
            Some(ip) => self.by_ip.get(ip).is_none_or(|seen| !seen.contains(&key)),
        }
    }

    fn keep(&mut self, remote_ip: Option<&str>, offset_s: f64, time: jiff::Timestamp) -> bool {
        let key = Self::key(offset_s, time);
        let Some(ip) = remote_ip else {
            return self.no_ip.insert(key);
        };
        match self.by_ip.get_mut(ip) {
            Some(seen) => seen.insert(key),
            None => {
                // Room for the slots of a log's hours (a set grown from one
                // key rehashed at every doubling).
                let mut seen = rustc_hash::FxHashSet::default();
                seen.reserve(32);
                seen.insert(key);
                self.by_ip.insert(ip.to_string(), seen);
                true
            }
        }
    }
}

/// The facts of one session written by `server`'s log at `artifact_origin`.
///
/// Successful authentications are not kept as facts (they say nothing about
/// a cause, and a busy server has millions); failures, and X-EXPS attempts
/// that ended otherwise, are. Identity hints go to `hints`, which a caller
/// may use to drop those it has seen (every session of a log names the
/// same few hosts).
///
/// `gate`: the run's [`super::PairingGate`] with the FNV-1a hash of
/// `artifact_origin`; a banner sample it refuses is counted, not made.
pub fn session_evidence(
    session: &SessionSummary,
    artifact_origin: &str,
    server: Option<&str>,
    thinning: &mut BannerThinning,
    out: &mut Vec<Evidence>,
    hints: &mut HintSet,
    mut gate: Option<(&mut super::PairingGate, u64)>,
) {
    let log = session.log;
    // Who the peer says it is: its banner / Hello reply (we sent), or its EHLO (we received).
    let remote_host = match session.log {
        LogKind::Send => session
            .banner_host
            .as_deref()
            .or(session.hello_reply_host.as_deref()),
        LogKind::Receive => session.ehlo.as_deref(),
    };
    if let (Some(name), Some(endpoint)) = (server, session.local_endpoint.as_deref()) {
        hints.host_at_endpoint(name, endpoint, Role::Exchange);
    }
    if let (Some(host), Some(endpoint)) = (remote_host, session.remote_endpoint.as_deref()) {
        hints.host_at_endpoint(host, endpoint, Role::Unknown);
    }
    let advertised_exchange_auth = Some(
        session
            .advertised
            .exps
            .iter()
            .any(|m| m.eq_ignore_ascii_case("EXCHANGEAUTH")),
    );
    for attempt in &session.auth_attempts {
        let server_auth = attempt.mechanism.to_ascii_uppercase().contains("X-EXPS");
        let keep = match attempt.outcome {
            AuthOutcome::Success => false,
            AuthOutcome::Other => server_auth,
            _ => true,
        };
        if !keep {
            continue;
        }
        let outcome = attempt.outcome;
        out.push(Evidence {
            server: server.map(str::to_string),
            time: attempt.time,
            time_basis: TimeBasis::NativeUtc,
            origin: crate::model::origin_at(artifact_origin, attempt.line),
            fact: Fact::SmtpAuth {
                log,
                session_id: session.session_id.clone(),
                local_endpoint: session.local_endpoint.clone(),
                remote_endpoint: session.remote_endpoint.clone(),
                remote_host: remote_host.map(str::to_string),
                connector: Some(session.connector.clone()).filter(|c| !c.is_empty()),
                mechanism: Some(attempt.mechanism.clone()).filter(|m| !m.is_empty()),
                outcome,
                status: attempt.status.clone(),
                reply: attempt.reply.clone(),
                advertised_exchange_auth,
            },
            local_time: None,
            corrected: None,
            represents: 1,
        });
    }
    for sample in &session.clock_samples {
        if !thinning.keep(sample.remote_ip.as_deref(), sample.offset_s, sample.time) {
            continue;
        }
        let remote_ip = sample_peer_ip(
            sample.remote_ip.as_deref(),
            session.remote_endpoint.as_deref(),
        );
        if let Some((gate, origin_hash)) = gate.as_mut() {
            let hash = sample_origin_hash(*origin_hash, sample.line);
            let name = sample.remote_server.as_deref();
            if sample.basis == ClockBasis::Banner && gate.refuses_banner(remote_ip, name, hash) {
                continue;
            }
        }
        out.push(clock_sample_evidence(
            server,
            artifact_origin,
            sample.line,
            sample.basis,
            (sample.remote_server.clone(), remote_ip),
            (sample.offset_s, sample.time),
        ));
    }
}

/// The fact of a clock sample of `server`'s log at `artifact_origin`
/// (`line` in it): the peer's name and address as gated, the offset at a
/// time. One place for the facts made from a summary's samples and from a
/// declined session's banner ([`SessionFacts::declined_facts`]).
fn clock_sample_evidence(
    server: Option<&str>,
    artifact_origin: &str,
    line: Option<u64>,
    basis: ClockBasis,
    (remote_server, remote_ip): (Option<String>, Option<std::net::IpAddr>),
    (offset_s, time): (f64, jiff::Timestamp),
) -> Evidence {
    Evidence {
        server: server.map(str::to_string),
        time: Some(time),
        time_basis: TimeBasis::NativeUtc,
        origin: match line {
            Some(line) => crate::model::origin_at(artifact_origin, line),
            None => artifact_origin.to_string(),
        },
        fact: Fact::ClockSample {
            basis,
            remote_server,
            remote_ip,
            offset_s,
        },
        local_time: None,
        corrected: None,
        represents: 1,
    }
}

/// The peer address a clock sample is gated by: the sample's own address
/// text, else the session's remote endpoint's, canonical either way.
fn sample_peer_ip(
    sample_ip: Option<&str>,
    remote_endpoint: Option<&str>,
) -> Option<std::net::IpAddr> {
    sample_ip
        .and_then(|ip| ip.parse().ok())
        .map(canonical_ip)
        .or_else(|| remote_endpoint.and_then(endpoint_ip))
}

/// FNV-1a of a banner sample's origin (`artifact:line`, or the artifact's
/// alone without a line), from the artifact origin's own hash: the key the
/// bounded sample gives it, without writing the origin out.
pub(crate) fn sample_origin_hash(origin_hash: u64, line: Option<u64>) -> u64 {
    match line {
        Some(line) => fnv1a_continue(
            fnv1a_continue(origin_hash, b":"),
            itoa::Buffer::new().format(line).as_bytes(),
        ),
        None => origin_hash,
    }
}

/// `a == b` for the short texts a hint holds (an address, a host name),
/// compared in line: `==` calls `memcmp`, whose call cost more than the
/// compare; two of them a session were 1.1 % of a one-thread scan's samples
/// at 100 servers (`benches/profile.sh`, 2026-12-08).
#[inline(always)]
fn same_text(a: &str, b: &str) -> bool {
    exauth_parsers::smtp_log::same_short_bytes(a.as_bytes(), b.as_bytes())
}

/// The identity hints of one log, each once, in the order first seen.
#[derive(Debug, Default)]
pub struct HintSet {
    /// (IP, role) → hosts seen there: looked up before a hint is built.
    seen: rustc_hash::FxHashMap<(std::net::IpAddr, Role), Vec<String>>,
    hints: Vec<IdentityHint>,
    /// The (role, host) pairs given at each endpoint address text, in the
    /// form the next files of the place take them ([`KnownHints`]): a log's
    /// sessions repeat a few of them (its own address and its peers'), and a
    /// lookup by the text costs less than parsing the address again.
    given: KnownHints,
    /// The (role, address, host) given last, per side of a session (its
    /// own end, the peer's): a log's sessions mostly repeat the one before.
    last: [Option<(Role, String, String)>; 2],
    /// What the run took already from earlier files of this log's place
    /// ([`Extracted::known_hints`]): given again by no session of this file.
    known: Option<std::sync::Arc<KnownHints>>,
}

/// The identity hints the run has taken from the files of one place, in the
/// form [`HintSet::has`] looks them up: by endpoint address text, the roles
/// and hosts given there. A file's [`HintSet`] starts from them, so that
/// every file of a server does not learn again and hand over again the same
/// hundred (its own address, each peer's): at a hundred servers a file gave
/// each of its ~100 peers anew, copying their texts for the session that
/// named them first and adding the hint to the run's set, where it was
/// already (~3 % of a one-thread scan's samples, `benches/profile.sh`,
/// 2026-12-08). A hint left out so was given by an earlier file of the
/// place, which handed it over: the run's set is the same.
#[derive(Debug, Default, Clone)]
pub struct KnownHints {
    /// Endpoint address text → the (role, host) pairs given with it.
    given: rustc_hash::FxHashMap<String, Vec<(Role, String)>>,
}

/// Addresses a place's [`KnownHints`] holds, and hosts at each: past them a
/// file gives its hints again (the run's set drops the copies), so a log
/// naming a million hosts does not grow the run's memory here.
const KNOWN_ADDRESSES: usize = 4096;
const KNOWN_HOSTS_AT: usize = 16;

impl KnownHints {
    fn has(&self, address: &str, host: &str, role: Role) -> bool {
        self.given
            .get(address)
            .is_some_and(|pairs| pairs.iter().any(|(r, h)| *r == role && same_text(h, host)))
    }

    pub fn is_empty(&self) -> bool {
        self.given.is_empty()
    }

    /// Takes in what `other` holds, within [`KNOWN_ADDRESSES`] and
    /// [`KNOWN_HOSTS_AT`].
    pub fn add(&mut self, other: KnownHints) {
        for (address, pairs) in other.given {
            if !self.given.contains_key(&address) && self.given.len() >= KNOWN_ADDRESSES {
                continue;
            }
            let kept = self.given.entry(address).or_default();
            for pair in pairs {
                if kept.len() < KNOWN_HOSTS_AT && !kept.contains(&pair) {
                    kept.push(pair);
                }
            }
        }
    }
}

impl HintSet {
    /// A set that leaves out what `known` holds (see [`KnownHints`]).
    pub fn with_known(known: Option<std::sync::Arc<KnownHints>>) -> Self {
        HintSet {
            known: known.filter(|k| !k.is_empty()),
            ..HintSet::default()
        }
    }

    /// Whether the run took this hint from an earlier file of the place.
    fn is_known(&self, host: &str, address: &str, role: Role) -> bool {
        self.known
            .as_ref()
            .is_some_and(|k| k.has(address, host, role))
    }

    /// Which of [`HintSet::last`] a role's hints go to: the log's own end, the peer's.
    fn side(role: Role) -> usize {
        usize::from(role == Role::Exchange)
    }

    /// Whether this host at this address in this role is the hint given last on its side.
    fn is_last(&self, host: &str, address: &str, role: Role) -> bool {
        self.last
            .get(HintSet::side(role))
            .and_then(Option::as_ref)
            .is_some_and(|(r, a, h)| *r == role && same_text(a, address) && same_text(h, host))
    }

    /// Whether [`HintSet::host_at_endpoint`] with these would change nothing:
    /// this host was given at this address in this role before.
    fn has(&self, host: &str, endpoint: &str, role: Role) -> bool {
        let address = crate::model::endpoint_host(endpoint);
        if self.is_last(host, address, role) || self.is_known(host, address, role) {
            return true;
        }
        self.given.has(address, host, role)
    }

    /// [`HintSet::host_at`] for the address of an `ip:port` endpoint.
    fn host_at_endpoint(&mut self, host: &str, endpoint: &str, role: Role) {
        let address = crate::model::endpoint_host(endpoint);
        if self.is_last(host, address, role) {
            return;
        }
        if let Some(last) = self.last.get_mut(HintSet::side(role)) {
            match last {
                Some((r, a, h)) => {
                    *r = role;
                    a.clear();
                    a.push_str(address);
                    h.clear();
                    h.push_str(host);
                }
                None => *last = Some((role, address.to_string(), host.to_string())),
            }
        }
        if self.is_known(host, address, role) {
            return;
        }
        let pair = |(r, h): &(Role, String)| *r == role && h == host;
        match self.given.given.get_mut(address) {
            Some(pairs) if pairs.iter().any(pair) => return,
            Some(pairs) => pairs.push((role, host.to_string())),
            None => {
                self.given
                    .given
                    .insert(address.to_string(), vec![(role, host.to_string())]);
            }
        }
        let Some(ip) = endpoint_ip(endpoint) else {
            return;
        };
        self.host_at(host, canonical_ip(ip), role);
    }

    fn host_at(&mut self, host: &str, ip: std::net::IpAddr, role: Role) {
        let hosts = self.seen.entry((ip, role)).or_default();
        if hosts.iter().any(|h| h == host) {
            return;
        }
        hosts.push(host.to_string());
        self.hints.push(IdentityHint::HostAt {
            host: host.to_string(),
            ip,
            role,
        });
    }

    /// The hints, each once.
    pub fn into_hints(self) -> Vec<IdentityHint> {
        self.hints
    }

    /// The hints, each once, and what this set gave besides what it knew
    /// ([`KnownHints`]), for the next files of its place.
    pub fn into_parts(self) -> (Vec<IdentityHint>, KnownHints) {
        (self.hints, self.given)
    }
}

/// A session slimmed for clock pairing: what `pair_sessions` reads (log,
/// id, endpoints, the connect/banner/EHLO times). Failed attempts stay, so
/// that the sessions that failed can be paired on their own (the offset at
/// the failures is the one that matters). Scan keeps up to 2^17 of these:
/// each string left out is memory kept flat. Taken by value: the strings
/// kept move, none is copied.
pub fn slim_for_pairing(session: SessionSummary) -> SessionSummary {
    let SessionSummary {
        log,
        session_id,
        start,
        end,
        local_endpoint,
        remote_endpoint,
        partial,
        has_start,
        has_end,
        connect_time,
        banner_time,
        ehlo_time,
        mut auth_attempts,
        rows,
        first_line,
        last_line,
        first_file,
        last_file,
        ..
    } = session;
    auth_attempts.retain(|a| a.outcome != AuthOutcome::Success);
    // Most sessions' attempts all succeeded: the list gives its room back.
    auth_attempts.shrink_to_fit();
    let times = GlancedTimes {
        end,
        has_start,
        has_end,
        partial,
        connect_time,
        banner_time,
        ehlo_time,
        first_line,
        last_line,
        first_file,
        last_file,
    };
    slim(
        log,
        session_id,
        start,
        (local_endpoint, remote_endpoint),
        times,
        auth_attempts,
        rows,
    )
}

/// [`slim_for_pairing`] of the summary of a glanced (healthy) session,
/// without building it: equal to it (tests below), one string for each of
/// the id and the endpoints instead of a dozen made and dropped.
fn slim_from_glance(glance: &SessionGlance<'_>, times: &GlancedTimes) -> SessionSummary {
    slim(
        glance.log,
        glance.session_id.to_owned(),
        glance.start,
        (
            glance.local_endpoint.map(str::to_owned),
            glance.remote_endpoint.map(str::to_owned),
        ),
        *times,
        Vec::new(),
        glance.rows,
    )
}

/// A session kept for clock pairing on its way to the run's sample
/// (`pipeline::Bounded`), which keeps a few of a pair's and drops the
/// others: most copies a file makes are dropped there. A healthy session
/// copied from its glance travels as [`GlancedCopy`] (one allocation, its
/// texts inline, its connection hash made once), and becomes a slimmed
/// summary only if the sample keeps it; a summarised session (one that
/// failed, or whose texts do not fit) travels as its slimmed summary. As
/// summaries, the copies let through at 20 servers (101,000 of the 417,000
/// sessions read: a scratch build's count) cost ~1.2 µs each (the profile's
/// share over their number): a ~600-byte summary and three strings made,
/// offered, and most dropped field by field (`offer_sessions` 3.7 % of a
/// one-thread scan's samples, its drops 1.7 %; `benches/profile.sh`,
/// 2026-12-08).
#[derive(Debug, Clone)]
pub enum PairingCopy {
    Glanced(Box<GlancedCopy>),
    Summary(Box<SessionSummary>),
}

/// What [`slim_from_glance`] keeps of a healthy session, its texts inline.
#[derive(Debug, Clone)]
pub struct GlancedCopy {
    log: LogKind,
    session_id: InlineText<16>,
    start: Option<jiff::Timestamp>,
    local_endpoint: Option<InlineText<{ GlancedCopy::ENDPOINT }>>,
    remote_endpoint: Option<InlineText<{ GlancedCopy::ENDPOINT }>>,
    times: GlancedTimes,
    rows: u64,
    connection: u64,
}

impl GlancedCopy {
    /// Room for an endpoint: any IPv6 address in brackets with a port.
    const ENDPOINT: usize = 48;

    /// The copy of a glanced session of connection hash `connection`;
    /// `None` when a text does not fit (then its summary travels).
    fn new(glance: &SessionGlance<'_>, times: &GlancedTimes, connection: u64) -> Option<Self> {
        Some(GlancedCopy {
            log: glance.log,
            session_id: InlineText::new(glance.session_id)?,
            start: glance.start,
            local_endpoint: InlineText::of_optional(glance.local_endpoint)?,
            remote_endpoint: InlineText::of_optional(glance.remote_endpoint)?,
            times: *times,
            rows: glance.rows,
            connection,
        })
    }
}

/// A short text kept inline, at most `N` bytes (`N` < 256): an address, a
/// session id, copied where a `String` per session was the cost.
#[derive(Debug, Clone, Copy)]
struct InlineText<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> InlineText<N> {
    /// `None` for a text longer than `N` bytes.
    fn new(text: &str) -> Option<Self> {
        let mut bytes = [0u8; N];
        bytes
            .get_mut(..text.len())?
            .copy_from_slice(text.as_bytes());
        Some(InlineText {
            bytes,
            len: u8::try_from(text.len()).ok()?,
        })
    }

    /// [`InlineText::new`] of a text that may be absent: `None` only when
    /// it is there and too long.
    fn of_optional(text: Option<&str>) -> Option<Option<Self>> {
        match text {
            Some(text) => Self::new(text).map(Some),
            None => Some(None),
        }
    }

    fn as_str(&self) -> &str {
        // Copied whole from a `str`: its bytes are UTF-8.
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl PairingCopy {
    /// The copy of a glanced healthy session ([`slim_from_glance`]).
    pub fn of_glance(glance: &SessionGlance<'_>, times: &GlancedTimes, connection: u64) -> Self {
        match GlancedCopy::new(glance, times, connection) {
            Some(copy) => PairingCopy::Glanced(Box::new(copy)),
            None => PairingCopy::Summary(Box::new(slim_from_glance(glance, times))),
        }
    }

    /// The copy of a summarised session ([`slim_for_pairing`]).
    pub fn of_summary(session: SessionSummary) -> Self {
        PairingCopy::Summary(Box::new(slim_for_pairing(session)))
    }

    /// [`connection_hash`] of the session.
    pub fn connection_hash(&self) -> u64 {
        match self {
            PairingCopy::Glanced(copy) => copy.connection,
            PairingCopy::Summary(s) => connection_hash(s),
        }
    }

    pub fn remote_endpoint(&self) -> Option<&str> {
        match self {
            PairingCopy::Glanced(copy) => copy.remote_endpoint.as_ref().map(InlineText::as_str),
            PairingCopy::Summary(s) => s.remote_endpoint.as_deref(),
        }
    }

    /// Whether the copy holds attempts: those that did not succeed, the
    /// only ones a slimmed summary keeps (a failing session's copy).
    pub fn failed(&self) -> bool {
        match self {
            PairingCopy::Glanced(_) => false,
            PairingCopy::Summary(s) => !s.auth_attempts.is_empty(),
        }
    }

    /// [`keep_for_pairing`] of the session.
    fn kept_for_pairing(&self, keep_one_in: u64) -> bool {
        match self {
            PairingCopy::Glanced(copy) => kept_for_pairing(
                false,
                copy.local_endpoint.is_some() && copy.remote_endpoint.is_some(),
                || copy.connection,
                keep_one_in,
            ),
            PairingCopy::Summary(s) => keep_for_pairing(s, keep_one_in),
        }
    }

    /// [`session_sample_tie`] of the session.
    pub fn sample_tie(&self) -> u64 {
        match self {
            PairingCopy::Glanced(copy) => sample_tie_of(copy.start, copy.session_id.as_str()),
            PairingCopy::Summary(s) => session_sample_tie(s),
        }
    }

    /// The session's slimmed summary, as [`slim_from_glance`] or
    /// [`slim_for_pairing`] made it.
    pub fn into_summary(self) -> Box<SessionSummary> {
        match self {
            PairingCopy::Glanced(copy) => {
                let GlancedCopy {
                    log,
                    session_id,
                    start,
                    local_endpoint,
                    remote_endpoint,
                    times,
                    rows,
                    ..
                } = *copy;
                let text = |t: Option<InlineText<{ GlancedCopy::ENDPOINT }>>| {
                    t.map(|t| t.as_str().to_owned())
                };
                Box::new(slim(
                    log,
                    session_id.as_str().to_owned(),
                    start,
                    (text(local_endpoint), text(remote_endpoint)),
                    times,
                    Vec::new(),
                    rows,
                ))
            }
            PairingCopy::Summary(s) => s,
        }
    }
}

/// The copy for pairing of a session told by its parts.
fn slim(
    log: LogKind,
    session_id: String,
    start: Option<jiff::Timestamp>,
    (local_endpoint, remote_endpoint): (Option<String>, Option<String>),
    times: GlancedTimes,
    auth_attempts: Vec<exauth_parsers::smtp_log::AuthAttempt>,
    rows: u64,
) -> SessionSummary {
    SessionSummary {
        log,
        session_id,
        start,
        end: times.end,
        local_endpoint,
        remote_endpoint,
        connector: String::new(),
        partial: times.partial,
        has_start: times.has_start,
        has_end: times.has_end,
        connect_time: times.connect_time,
        banner_time: times.banner_time,
        banner_host: None,
        ehlo_time: times.ehlo_time,
        ehlo: None,
        hello_reply_host: None,
        advertised: Default::default(),
        tls_command: None,
        tls_outcome: None,
        tls_detail: None,
        permissions_before_auth: None,
        permissions_after_auth: None,
        proxy_session_id: None,
        ticket_cache_flush: None,
        disconnect_reason: None,
        auth_attempts,
        clock_samples: Vec::new(),
        rows,
        first_line: times.first_line,
        last_line: times.last_line,
        first_file: times.first_file,
        last_file: times.last_file,
    }
}

/// Keeps a deterministic sample of sessions for pairing, chosen by the
/// connection itself (both ends make the same choice): the unordered pair of
/// endpoints hashed with FNV-1a. `keep_one_in` = 1 keeps all.
pub fn keep_for_pairing(session: &SessionSummary, keep_one_in: u64) -> bool {
    let failed = session
        .auth_attempts
        .iter()
        .any(|a| a.outcome != AuthOutcome::Success);
    let both_endpoints = session.local_endpoint.is_some() && session.remote_endpoint.is_some();
    kept_for_pairing(
        failed,
        both_endpoints,
        || connection_hash(session),
        keep_one_in,
    )
}

/// [`keep_for_pairing`] of a session told by whether an attempt failed,
/// whether it has both endpoints, and its connection hash.
fn kept_for_pairing(
    failed: bool,
    both_endpoints: bool,
    connection: impl FnOnce() -> u64,
    keep_one_in: u64,
) -> bool {
    if keep_one_in <= 1 || failed {
        return true;
    }
    both_endpoints && connection() % keep_one_in == 0
}

/// The TCP connection a session ran on as a hash, the same at both ends
/// (FNV-1a of the unordered pair of endpoints, `low|high`): both servers'
/// samples of healthy traffic keep the same connections, so they still
/// pair. Computed over the pieces: a busy log has millions of sessions.
pub fn connection_hash(session: &SessionSummary) -> u64 {
    connection_hash_of(
        session.local_endpoint.as_deref().unwrap_or(""),
        session.remote_endpoint.as_deref().unwrap_or(""),
    )
}

/// [`connection_hash`] of the two endpoints.
fn connection_hash_of(local: &str, remote: &str) -> u64 {
    let (low, high) = if local <= remote {
        (local, remote)
    } else {
        (remote, local)
    };
    fnv1a_continue(fnv1a_continue(fnv1a(low.as_bytes()), b"|"), high.as_bytes())
}

/// A session's place in a bottom-k sample: its connection's hash, then
/// (for sessions of one connection) a hash of its start and id.
pub fn session_sample_key(session: &SessionSummary) -> (u64, u64) {
    (connection_hash(session), session_sample_tie(session))
}

/// The second part of [`session_sample_key`]: a hash of the session's start
/// and id.
pub fn session_sample_tie(session: &SessionSummary) -> u64 {
    sample_tie_of(session.start, &session.session_id)
}

/// [`session_sample_tie`] of a session's start and id.
fn sample_tie_of(start: Option<jiff::Timestamp>, session_id: &str) -> u64 {
    let start = start.map_or(i128::MIN, |t| t.as_nanosecond());
    fnv1a_continue(
        fnv1a_continue(FNV_BASIS ^ 0x9E37_79B9_7F4A_7C15, &start.to_le_bytes()),
        session_id.as_bytes(),
    )
}

use crate::model::FNV_BASIS;
pub use crate::model::{fnv1a, fnv1a_continue};

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieced hash is the hash of the origin as the evidence writes it.
    #[test]
    fn a_sample_origin_hashes_as_its_text() {
        let artifact = "EX01-1126.zip!Hub_Send_Protocol_Logs/SEND20261126-1.LOG";
        for line in [0, 7, 10, 12_345, u64::MAX] {
            assert_eq!(
                sample_origin_hash(fnv1a(artifact.as_bytes()), Some(line)),
                fnv1a(format!("{artifact}:{line}").as_bytes())
            );
        }
        let whole = fnv1a(artifact.as_bytes());
        assert_eq!(sample_origin_hash(whole, None), whole);
    }

    /// One banner sample per peer address, offset (to the second) and
    /// 10-minute slot; a sample without an address is one of its own kind.
    #[test]
    fn banner_samples_are_thinned_per_peer_offset_and_slot() {
        let mut thinning = BannerThinning::default();
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let at = t("2026-11-26T07:00:00Z");
        assert!(thinning.keep(Some("10.0.1.22"), 300.2, at));
        assert!(!thinning.keep(Some("10.0.1.22"), 299.6, t("2026-11-26T07:09:59Z")));
        assert!(thinning.keep(Some("10.0.1.22"), 300.0, t("2026-11-26T07:10:00Z")));
        assert!(thinning.keep(Some("10.0.1.22"), 301.0, at));
        assert!(thinning.keep(Some("10.0.1.23"), 300.0, at));
        assert!(thinning.keep(None, 300.0, at));
        assert!(!thinning.keep(None, 300.0, at));
        assert!(
            thinning.keep(Some(""), 300.0, at),
            "an empty address is not a missing one"
        );
    }

    /// The address-text shortcut gives the hints the address parse gives:
    /// each (host, address, role) once, whatever the ports and the order.
    #[test]
    fn hints_from_endpoints_come_once_each() {
        let mut hints = HintSet::default();
        for (host, endpoint, role) in [
            ("EX01", "10.0.0.11:25", Role::Exchange),
            ("EX01", "10.0.0.11:2525", Role::Exchange),
            ("EX02", "10.0.0.12:51000", Role::Unknown),
            ("EX03", "10.0.0.13:51001", Role::Unknown),
            ("EX02", "10.0.0.12:51002", Role::Unknown),
            ("EX02", "[::ffff:10.0.0.12]:51003", Role::Unknown),
            ("EX02", "10.0.0.14:51004", Role::Unknown),
            // The same host and address under another role is another hint.
            ("EX02", "10.0.0.14:88", Role::DomainController),
            ("EX02", "10.0.0.14:51005", Role::Unknown),
            ("EX01", "not an address", Role::Exchange),
            ("EX01", "10.0.0.11:25", Role::Exchange),
        ] {
            hints.host_at_endpoint(host, endpoint, role);
        }
        let got = host_at_hints(&hints.into_hints());
        let want = [
            ("EX01", "10.0.0.11", Role::Exchange),
            ("EX02", "10.0.0.12", Role::Unknown),
            ("EX03", "10.0.0.13", Role::Unknown),
            ("EX02", "10.0.0.14", Role::Unknown),
            ("EX02", "10.0.0.14", Role::DomainController),
        ]
        .map(|(h, ip, r)| (h.to_string(), ip.to_string(), r));
        assert_eq!(got, want);
    }

    /// The (host, address, role) of each `HostAt` hint, in order.
    fn host_at_hints(hints: &[IdentityHint]) -> Vec<(String, String, Role)> {
        hints
            .iter()
            .filter_map(|h| match h {
                IdentityHint::HostAt { host, ip, role } => {
                    Some((host.clone(), ip.to_string(), *role))
                }
                _ => None,
            })
            .collect()
    }

    /// A file that starts from what its place's earlier files gave
    /// ([`KnownHints`]) gives only the hints they did not: the run's set
    /// (both files' hints together, each once) is what one set reading both
    /// files gives.
    #[test]
    fn a_later_file_gives_only_hints_its_place_did_not_give() {
        let first = [
            ("EX01", "10.0.0.11:25", Role::Exchange),
            ("EX02", "10.0.0.12:51000", Role::Unknown),
            ("EX01", "not an address", Role::Exchange),
        ];
        let second = [
            ("EX01", "10.0.0.11:2525", Role::Exchange),
            ("EX02", "10.0.0.12:51009", Role::Unknown),
            ("EX01", "not an address", Role::Exchange),
            ("EX03", "10.0.0.13:51001", Role::Unknown),
            // Known at the address under another role: a new hint.
            ("EX02", "10.0.0.12:88", Role::DomainController),
        ];
        let host_at = |hints: &mut HintSet, given: &[(&str, &str, Role)]| {
            for &(host, endpoint, role) in given {
                hints.host_at_endpoint(host, endpoint, role);
            }
        };
        let mut one = HintSet::default();
        host_at(&mut one, &first);
        let (first_hints, first_known) = one.into_parts();
        let mut known = KnownHints::default();
        known.add(first_known);
        let known = std::sync::Arc::new(known);

        let mut later = HintSet::with_known(Some(known.clone()));
        assert!(later.has("EX02", "10.0.0.12:60000", Role::Unknown));
        assert!(later.has("EX01", "not an address", Role::Exchange));
        assert!(!later.has("EX03", "10.0.0.13:51001", Role::Unknown));
        assert!(!later.has("EX02", "10.0.0.12:88", Role::DomainController));
        host_at(&mut later, &second);
        let (later_hints, later_known) = later.into_parts();
        let want = [
            ("EX03", "10.0.0.13", Role::Unknown),
            ("EX02", "10.0.0.12", Role::DomainController),
        ]
        .map(|(h, ip, r)| (h.to_string(), ip.to_string(), r));
        assert_eq!(host_at_hints(&later_hints), want);
        // What the later file gave besides is what the place learns next.
        assert!(later_known.has("10.0.0.13", "EX03", Role::Unknown));
        assert!(!later_known.has("10.0.0.12", "EX02", Role::Unknown));

        let mut both = HintSet::default();
        host_at(&mut both, &first);
        host_at(&mut both, &second);
        let mut run = host_at_hints(&first_hints);
        run.extend(host_at_hints(&later_hints));
        run.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut want = host_at_hints(&both.into_hints());
        want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        assert_eq!(run, want);
    }

    /// A place's known hints stay bounded: past [`KNOWN_ADDRESSES`]
    /// addresses and [`KNOWN_HOSTS_AT`] hosts at one, what comes is not
    /// kept (those hints are given again, and the run's set drops them).
    #[test]
    fn known_hints_stay_bounded() {
        let mut known = KnownHints::default();
        for n in 0..(KNOWN_ADDRESSES + 10) {
            let mut set = HintSet::default();
            set.host_at_endpoint(
                "EX02",
                &format!("10.{}.{}.1:25", n / 250, n % 250),
                Role::Unknown,
            );
            for h in 0..(KNOWN_HOSTS_AT + 3) {
                set.host_at_endpoint(&format!("H{h}"), "10.99.99.99:25", Role::Unknown);
            }
            known.add(set.into_parts().1);
        }
        assert_eq!(known.given.len(), KNOWN_ADDRESSES);
        assert_eq!(
            known.given.get("10.99.99.99").map(Vec::len),
            Some(KNOWN_HOSTS_AT)
        );
        assert!(known.has("10.99.99.99", "H0", Role::Unknown));
        assert!(!known.has("10.99.99.99", &format!("H{KNOWN_HOSTS_AT}"), Role::Unknown));
    }
}

#[cfg(test)]
mod glance_tests {
    use super::*;
    use crate::ingest::dedup::SessionsOfRun;
    use crate::ingest::PairingGate;

    /// A Send log of sessions `from..to` to five peers, each greeted with a
    /// dated banner whose clock drifts by a second now and then, every 40th
    /// answered by a 454, every 97th with no endpoints on its first rows.
    fn send_log(from: u32, to: u32) -> String {
        send_log_of_ids(from, to, 0)
    }

    /// [`send_log`] with session ids `ids` above the usual.
    fn send_log_of_ids(from: u32, to: u32, ids: u64) -> String {
        String::from("#Log-type: SMTP Send Protocol Log\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n") + &send_rows(from, to, ids)
    }

    /// The rows of [`send_log_of_ids`].
    fn send_rows(from: u32, to: u32, ids: u64) -> String {
        let mut text = String::new();
        for i in from..to {
            let peer = i % 5;
            let second = 3 * i;
            let time = |ms: u32| {
                let t = second * 1000 + ms;
                format!(
                    "2026-11-26T{:02}:{:02}:{:02}.{:03}Z",
                    t / 3_600_000,
                    t / 60_000 % 60,
                    t / 1000 % 60,
                    t % 1000
                )
            };
            let remote_second = (second + 300 + (i / 7) % 3) % 60;
            let remote_minute = (second + 300) / 60 % 60;
            let banner = format!(
                "\"220 EX1{peer}.contoso.com Microsoft ESMTP MAIL Service ready at Thu, 26 Nov 2026 {:02}:{remote_minute:02}:{remote_second:02} +0000\"",
                (second + 300) / 3600
            );
            let reply = if i % 40 == 39 {
                "454 4.7.0 Temporary authentication failure"
            } else {
                "235 <authentication information>"
            };
            let rows = [
                ("+", String::new()),
                ("<", banner),
                (">", "EHLO EX01.contoso.com".to_string()),
                ("<", format!("250-EX1{peer}.contoso.com Hello [10.0.0.1]")),
                ("<", "250-X-EXPS EXCHANGEAUTH GSSAPI NTLM".to_string()),
                (">", "X-EXPS EXCHANGEAUTH SHA256".to_string()),
                ("<", reply.to_string()),
                ("-", String::new()),
            ];
            for (seq, (event, data)) in rows.into_iter().enumerate() {
                let endpoints = if i % 97 == 0 && seq < 3 {
                    ",".to_string()
                } else {
                    format!("10.0.0.1:{},10.0.0.{}:25", 20000 + i, 10 + peer)
                };
                text.push_str(&format!(
                    "{},Intra-Organization SMTP Send Connector,{:016X},{seq},{endpoints},{event},{data},\r\n",
                    time(seq as u32),
                    0x08DF_4261_0000_0000_u64 + ids + u64::from(i)
                ));
            }
        }
        text
    }

    /// A gate that refuses the sessions to peers 0-3 above an eighth of the
    /// hash range, and the banner samples of peers 1-2 above half of it and
    /// all of peer 3's.
    fn gate() -> PairingGate {
        let mut gate = PairingGate::default();
        for peer in 0..4 {
            gate.session_share(&format!("10.0.0.{}", 10 + peer), &[u64::MAX / 8], 1);
        }
        for peer in 1..4u8 {
            let top = if peer == 3 { 0 } else { u64::MAX / 2 };
            gate.banner_share(
                Some(std::net::IpAddr::from([10, 0, 0, 10 + peer])),
                Some(format!("EX1{peer}.contoso.com")),
                crate::ingest::pairing_gate::GateShare::new([top], 1),
            );
        }
        gate
    }

    /// Declines counted; `always`: asks for every summary.
    struct Counting<'f, 'p, 'e, 'h, 'r> {
        inner: FactsAndRows<'f, 'p, 'e, 'h, 'r>,
        always: bool,
        declined: usize,
    }

    impl SessionSink for Counting<'_, '_, '_, '_, '_> {
        fn take(&mut self, session: SessionSummary) {
            self.inner.take(session);
        }

        fn wants_summary(&mut self, glance: &SessionGlance<'_>) -> bool {
            let wants = self.always || self.inner.wants_summary(glance);
            self.declined += usize::from(!wants);
            wants
        }
    }

    /// What a scan gives EX01's file at `origin` to read into.
    fn read_as_scan(
        seen: &std::sync::Arc<SessionsSeen>,
        origin: &str,
        gate: PairingGate,
    ) -> Extracted<'static> {
        Extracted {
            sessions: Some(SessionsOfRun {
                seen: seen.clone(),
                origin: crate::discover::Origin::file(origin.to_string()),
                server: Some("EX01".into()),
            }),
            pairing_gate: Some(gate),
            ..Extracted::default()
        }
    }

    /// Reads `files` in turn as a scan does (a file may repeat sessions of
    /// one before it); returns what they yield and the sessions declined.
    fn read(files: &[String], always: bool) -> (Vec<Extracted<'static>>, usize) {
        let seen = std::sync::Arc::new(SessionsSeen::default());
        let mut declined = 0;
        let mut out = Vec::new();
        {
            for (i, text) in files.iter().enumerate() {
                let origin = format!("EX01/SEND20261126-{i}.LOG");
                let mut extracted = read_as_scan(&seen, &origin, gate());
                let place = Place {
                    origin: &origin,
                    server: Some("EX01"),
                };
                let mut sink = Counting {
                    inner: FactsAndRows {
                        facts: SessionFacts::new(place, &mut extracted, usize::MAX),
                        rows: None,
                    },
                    always,
                    declined: 0,
                };
                let mut r = Reassembler::new().with_detail(SessionDetail::Failures);
                let _ = r.feed_into(text.as_bytes(), Some(LogKind::Send), &mut sink);
                r.finish_into(&mut sink);
                declined += sink.declined;
                sink.inner.facts.finish();
                out.push(extracted);
            }
        }
        (out, declined)
    }

    /// A run's sample of healthy sessions for pairing, as the pipeline
    /// keeps it (per peer, the `ROOM` smallest keys) and counts it.
    #[derive(Default)]
    struct PairingSample {
        kept: std::collections::BTreeMap<String, std::collections::BTreeSet<(u64, u64)>>,
        offered: u64,
        /// Of `offered`, those the gates refused (counted, never made).
        refused: u64,
        failing: usize,
    }

    impl PairingSample {
        const ROOM: usize = 3;

        fn offer(&mut self, session: &SessionSummary) {
            if !session.auth_attempts.is_empty() {
                self.failing += 1;
                return;
            }
            self.offered += 1;
            let peer = endpoint_host(session.remote_endpoint.as_deref().unwrap_or(""));
            let kept = self.kept.entry(peer.to_string()).or_default();
            kept.insert(session_sample_key(session));
            if kept.len() > Self::ROOM {
                kept.pop_last();
            }
        }

        /// The gate a file is read through: every share, or none.
        fn gate(&self, told: bool) -> PairingGate {
            let mut gate = PairingGate::default();
            for (peer, kept) in self.kept.iter().filter(|_| told) {
                let hashes: Vec<u64> = kept.iter().map(|key| key.0).collect();
                gate.session_share(peer, &hashes, Self::ROOM);
            }
            gate
        }

        /// Reads `files` in turn, each through the gate the sample gives.
        fn read(files: &[String], told: bool) -> Self {
            let seen = std::sync::Arc::new(SessionsSeen::default());
            let mut sample = PairingSample::default();
            for (i, text) in files.iter().enumerate() {
                let origin = format!("EX01/SEND20261126-{i}.LOG");
                let mut extracted = read_as_scan(&seen, &origin, sample.gate(told));
                let place = Place {
                    origin: &origin,
                    server: Some("EX01"),
                };
                let mut sink = FactsAndRows {
                    facts: SessionFacts::new(place, &mut extracted, usize::MAX),
                    rows: None,
                };
                let mut r = Reassembler::new().with_detail(SessionDetail::Failures);
                let _ = r.feed_into(text.as_bytes(), Some(LogKind::Send), &mut sink);
                r.finish_into(&mut sink);
                sink.facts.finish();
                for session in std::mem::take(&mut extracted.pairing) {
                    sample.offer(&session.into_summary());
                }
                let refused = extracted.pairing_gate.as_ref().map_or(0, |g| g.refused);
                sample.offered += refused;
                sample.refused += refused;
            }
            sample
        }
    }

    /// A gate told the run's shares, tightening with the sessions it lets
    /// through, leaves the pairing sample and its count of sessions offered
    /// as a gate that refuses none: for small files and for a big one
    /// (5,000 sessions), whose thinning to one connection in 8 drops
    /// sessions the gate had let through while the file was small.
    #[test]
    fn the_gate_leaves_the_pairing_sample_as_offering_every_session() {
        let files = vec![
            send_log(0, 900),
            send_log(10_000, 15_000),
            send_log(20_000, 21_500),
        ];
        let gated = PairingSample::read(&files, true);
        let all = PairingSample::read(&files, false);
        assert_eq!(gated.kept, all.kept);
        assert_eq!(gated.offered, all.offered);
        assert_eq!(gated.failing, all.failing);
        assert_eq!(all.kept.len(), 5);
        assert!(all.offered > 2000, "{} offered", all.offered);
        // The told gate did refuse (equality above is not that of two
        // gates that refuse nothing): most of the sessions offered.
        assert_eq!(all.refused, 0);
        assert!(
            gated.refused * 2 > gated.offered,
            "{} of {} refused",
            gated.refused,
            gated.offered
        );
    }

    /// A healthy session whose endpoint does not fit a copy's room travels
    /// as its slimmed summary: the copies still become the summaries the
    /// summarised sessions give, glanced and fallen back alike.
    #[test]
    fn a_copy_whose_texts_do_not_fit_travels_as_its_summary() {
        // 65 bytes: no IPv6 address with a port is that long, a scoped one
        // with a long zone name is.
        let long = "[fe80:0000:0000:0000:1234:5678:9abc:def0%loopback-interface-9]:2000";
        assert!(long.len() > GlancedCopy::ENDPOINT);
        // The first ten sessions' local endpoints (ports 20000-20009) take it,
        // their port's last digit after it.
        let files = [send_rows(0, 120, 0).replace("10.0.0.1:2000", long)];
        let (asked, _) = read(&files, true);
        let (declining, declined) = read(&files, false);
        assert!(declined > 0);
        let summaries = |e: &Extracted| -> Vec<SessionSummary> {
            e.pairing
                .iter()
                .map(|p| *p.clone().into_summary())
                .collect()
        };
        assert_eq!(summaries(&asked[0]), summaries(&declining[0]));
        let copies = &declining[0].pairing;
        let fell_back = copies
            .iter()
            .filter(|p| matches!(p, PairingCopy::Summary(_)) && !p.failed())
            .count();
        let glanced = copies
            .iter()
            .filter(|p| matches!(p, PairingCopy::Glanced(_)))
            .count();
        assert!(fell_back > 0 && glanced > 0, "{fell_back} / {glanced}");
        assert!(copies
            .iter()
            .filter(|p| matches!(p, PairingCopy::Summary(_)) && !p.failed())
            .all(|p| p
                .clone()
                .into_summary()
                .local_endpoint
                .is_some_and(|e| e.starts_with(long))));
    }

    /// An inline text holds what fits its room, as given; a longer one
    /// (or one past 255 bytes) is refused, an absent one is no text.
    #[test]
    fn inline_texts_hold_what_fits() {
        let fits = "fe80::1%é".repeat(4);
        let text = InlineText::<48>::new(&fits).map(|t| t.as_str().to_owned());
        assert_eq!(text.as_deref(), Some(fits.as_str()));
        assert!(InlineText::<48>::new(&"a".repeat(49)).is_none());
        assert!(InlineText::<300>::new(&"a".repeat(256)).is_none());
        assert!(matches!(InlineText::<48>::of_optional(None), Some(None)));
        assert!(InlineText::<48>::of_optional(Some(&"a".repeat(49))).is_none());
    }

    /// Declining the summary of every healthy session (copying from its
    /// glance the hints it gives first, the banner sample the thinning keeps
    /// and the session the pairing gate takes) changes nothing a file yields:
    /// facts, hints, sessions kept for pairing, and the counts
    /// of sessions and banner samples the gates refused; for files read once,
    /// again as copies, and a file that repeats the second half of another
    /// amid sessions of its own at the same times (the repeated ones'
    /// samples still thin the new ones').
    #[test]
    fn declined_summaries_change_nothing_a_file_yields() {
        let once = vec![send_log(0, 900), send_log(10_000, 15_000)];
        let mut again = once.clone();
        again.extend(once.iter().cloned());
        let mut mixed = once.clone();
        // Sessions of its own (their identity hints given, as copies give
        // none), copies of sessions, then more of its own at the same times.
        mixed.push(
            send_log_of_ids(440, 450, 2 << 32)
                + &send_rows(450, 900, 0)
                + &send_rows(450, 900, 1 << 32),
        );
        for files in [once, again, mixed] {
            let (asked, none) = read(&files, true);
            let (declining, declined) = read(&files, false);
            assert_eq!(none, 0);
            // Every healthy session is declined: a new identity hint, a
            // banner sample kept and the copy for pairing all come from
            // the glance; only the failing ones are summarized.
            let count =
                |needle: &str| -> usize { files.iter().map(|f| f.matches(needle).count()).sum() };
            let healthy = count(",+,") - count("454 4.7.0");
            assert_eq!(declined, healthy);
            for (a, d) in asked.iter().zip(&declining) {
                assert_eq!(a.evidence, d.evidence);
                assert_eq!(a.hints, d.hints);
                // The copies a declined session travels as are the
                // summaries' slimmed copies.
                let summaries = |e: &Extracted| -> Vec<SessionSummary> {
                    e.pairing
                        .iter()
                        .map(|p| *p.clone().into_summary())
                        .collect()
                };
                assert_eq!(summaries(a), summaries(d));
                assert!(d
                    .pairing
                    .iter()
                    .all(|p| matches!(p, PairingCopy::Glanced(_)) || p.failed()));
                let counts = |e: &Extracted| {
                    e.pairing_gate
                        .as_ref()
                        .map(|g| (g.refused, g.banners_refused))
                };
                assert_eq!(counts(a), counts(d));
            }
            let refused: u64 = asked
                .iter()
                .filter_map(|e| e.pairing_gate.as_ref())
                .map(|g| g.refused + g.banners_refused)
                .sum();
            assert!(refused > 1000, "{refused} refused");
            assert!(asked.iter().any(|e| !e.evidence.is_empty()));
            // Banner samples of healthy (declined) sessions became facts:
            // in the first file, session i's greeting is on line 4 + 8i,
            // and every 40th session fails.
            let healthy_samples = declining[0]
                .evidence
                .iter()
                .filter(|e| matches!(e.fact, Fact::ClockSample { .. }))
                .filter_map(|e| e.origin.rsplit(':').next()?.parse::<u64>().ok())
                .filter(|line| (line - 4) / 8 % 40 != 39)
                .count();
            assert!(healthy_samples > 10, "{healthy_samples} samples");
            // Sessions the pairing gate takes are declined too, copied from
            // their glance: the copies equal the slimmed summaries (above).
            let paired: usize = declining.iter().map(|e| e.pairing.len()).sum();
            assert!(paired > 100, "{paired} kept for pairing");
        }
    }
}
