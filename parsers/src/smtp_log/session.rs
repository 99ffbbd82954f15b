//! Reassembly of interleaved protocol-log rows into one summary per SMTP session.
//!
//! Rows of concurrent sessions interleave, a session can run across roll-over files, and the
//! collection can cut sessions at either edge. The [`Reassembler`] therefore keys open sessions by
//! (log type, session id), accepts several files of one server fed in order, keeps for each open
//! session only the few rows that matter for authentication (as compact [`Ev`]ents, not text),
//! applies them in sequence-number order when the session ends, and drops the state at once:
//! memory is bounded by the number of *concurrently open* sessions, not by the size of the logs.
//! Sessions that never end (cut by the collection) are flushed as partial by
//! [`Reassembler::finish`], or earlier when idle for longer than the idle limit.
//!
//! This is the hot loop of the whole tool, so it does as little per row as the results allow:
//! fields are split lazily (most rows need only the columns up to `event`; `data` and `context`
//! are looked at only for the event characters that can matter), and the text an open session
//! keeps (connector, endpoints, event details) goes into one byte buffer per session, recycled
//! with its event list, so a session costs no allocator call until its summary is built.
//!
//! Files in the standard column layout (every Exchange version's) take a fast path: the complete
//! lines already read are taken straight from the read buffer, the columns up to `event` are
//! split in one pass with the time, the 16-digit session id and the sequence number parsed at
//! fixed places, and the event plus the first bytes of `data` dismiss the rows that cannot matter
//! (healthy `MAIL`/`RCPT`/`BDAT` commands, `250` replies other than the EHLO capabilities) before
//! `data` is even split; they only count towards their session. Rows whose columns are not in
//! their usual shape (quoted, damaged, other `#Fields` orders) take the general path, which
//! gives the same results and reports what is wrong; tests hold both paths to the same output.

use super::banner::{is_greeting, parse_banner_dated};
use super::header::ColumnMap;
use super::row::{
    every_byte, find_comma, short_row, split_standard, split_standard_line_after, text,
    text_borrowed, zero_bytes, FieldSpan, LazyFields, LineItem, NewlineFinder, PreviousRow,
    RowReader, StandardHead,
};
use super::{
    Advertised, AuthAttempt, AuthOutcome, ClockBasis, ClockSample, FileHeader, LogKind,
    SessionSummary, TlsOutcome,
};
use crate::problem::{Location, Problem, Problems};
use jiff::{SignedDuration, Timestamp};
use memchr::memmem::Finder;
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;
use std::io::Read;
use std::sync::LazyLock;

/// How often (in rows) idle sessions are looked for.
const IDLE_CHECK_ROWS: u64 = 1 << 16;
/// Recycled session buffers kept at most, and the largest ones worth keeping.
const POOL_SESSIONS: usize = 4096;
const POOL_MAX_EVENTS: usize = 256;
const POOL_MAX_TEXT: usize = 64 * 1024;

/// What feeding one file produced besides sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReport {
    /// Ordinal of this file in the reassembler's feeding order (0-based).
    pub file: u32,
    pub header: FileHeader,
    /// Log type used for the rows (header, else the caller's hint).
    pub kind: Option<LogKind>,
    pub lines: u64,
    pub rows: u64,
    /// Sessions that ended (or were flushed as idle) while this file was read.
    pub sessions_emitted: u64,
    /// The first problems, the rest counted ([`Problems`]).
    pub problems: Problems,
}

impl FileReport {
    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }
}

/// How much of each session a [`Reassembler`] spells out in its summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionDetail {
    /// Every field and every attempt (extract's rows).
    #[default]
    Full,
    /// What a diagnosis reads. A session whose attempts all succeeded comes without them,
    /// without the advertised mechanism names, and without the texts of its permissions, TLS
    /// command and detail, disconnect reason, proxy and ticket-cache rows, and with its clock
    /// samples not naming the session again: each is a string built per session (a dozen
    /// allocations; millions of sessions in a busy week) that a scan never reads. A session with
    /// any other attempt comes in full, exactly as [`SessionDetail::Full`] gives it.
    Failures,
}

/// Where a [`Reassembler`] hands the sessions it reassembles.
pub trait SessionSink {
    /// A session's summary, as the session ends (or as [`Reassembler::finish`] cuts it).
    fn take(&mut self, session: SessionSummary);

    /// At [`SessionDetail::Failures`], a healthy session seen before its summary is built: false
    /// when the sink has what it needs from the glance, and the summary is not built (most of a
    /// busy log's sessions: building a summary is a dozen strings). True (the default): the
    /// summary is built and handed to [`SessionSink::take`].
    fn wants_summary(&mut self, _glance: &SessionGlance<'_>) -> bool {
        true
    }
}

/// The sessions, collected.
impl SessionSink for Vec<SessionSummary> {
    fn take(&mut self, session: SessionSummary) {
        self.push(session);
    }
}

/// A closure as a [`SessionSink`].
struct Emit<F>(F);

impl<F: FnMut(SessionSummary)> SessionSink for Emit<F> {
    fn take(&mut self, session: SessionSummary) {
        (self.0)(session);
    }
}

/// A session whose every authentication attempt succeeded (or that made none), as its
/// [`SessionDetail::Failures`] summary would give it, borrowed: each field equals the summary's
/// field of the same name (`banner_host` in Send logs). Given only when the texts it holds are
/// valid UTF-8 (the summary decodes others lossily).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionGlance<'a> {
    pub log: LogKind,
    pub session_id: &'a str,
    pub start: Option<Timestamp>,
    pub rows: u64,
    pub connector: &'a str,
    pub local_endpoint: Option<&'a str>,
    pub remote_endpoint: Option<&'a str>,
    /// The peer's greeting (Send logs); `None` in a Receive log, whose greeting is its own
    /// server's (the summary's field holds it).
    pub banner_host: Option<&'a str>,
    pub ehlo: Option<&'a str>,
    pub hello_reply_host: Option<&'a str>,
    /// The summary's clock sample (a Send log's dated greeting), when it has one.
    pub clock_sample: Option<GlancedSample<'a>>,
    /// What [`SessionGlance::times`] reads: the session's sorted events over its text.
    events: &'a [Event],
    bytes: &'a [u8],
    first: Pos,
    last: Pos,
    /// Where a Send log's greeting read above is (its time is the summary's `banner_time`).
    banner_at: Option<Pos>,
}

impl SessionGlance<'_> {
    /// The summary's times and places ([`GlancedTimes`]), found as the summary finds them. Not
    /// part of every glance: a Receive log's greeting is parsed only here, for the few sessions
    /// whose sink asks.
    pub fn times(&self) -> GlancedTimes {
        let mut times = GlancedTimes {
            end: self.last.ts(),
            has_start: self.first.seq == 0,
            has_end: false,
            partial: false,
            connect_time: None,
            banner_time: None,
            ehlo_time: None,
            first_line: self.first.line,
            last_line: self.last.line,
            first_file: self.first.file,
            last_file: self.last.file,
        };
        let mut ehlo_seen = false;
        // A Send log's greeting was read by the glance already.
        let mut banner_seen = self.log == LogKind::Send;
        if let Some(at) = self.banner_at {
            times.banner_time = at.ts();
        }
        for &Event { pos, ev } in self.events {
            match ev {
                Ev::Connect => {
                    times.has_start = true;
                    if times.connect_time.is_none() {
                        times.connect_time = pos.ts();
                    }
                }
                Ev::Disconnect(_) => times.has_end = true,
                Ev::Ehlo(_) if !ehlo_seen => {
                    ehlo_seen = true;
                    times.ehlo_time = pos.ts();
                }
                // The first greeting that reads as one, as `build` takes it: every kept
                // greeting does (`is_greeting` kept it, true exactly when `parse_banner` reads
                // it), so it is not parsed again.
                Ev::Banner(_) if !banner_seen => {
                    banner_seen = true;
                    times.banner_time = pos.ts();
                }
                _ => {}
            }
        }
        times.partial = !(times.has_start && times.has_end);
        times
    }
}

/// The times and places of a glanced session, each equal to its summary's field of the same
/// name ([`SessionGlance::times`]): what a sink keeping the session for clock pairing needs
/// besides the glance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlancedTimes {
    pub end: Option<Timestamp>,
    pub has_start: bool,
    pub has_end: bool,
    pub partial: bool,
    pub connect_time: Option<Timestamp>,
    pub banner_time: Option<Timestamp>,
    pub ehlo_time: Option<Timestamp>,
    pub first_line: u64,
    pub last_line: u64,
    pub first_file: u32,
    pub last_file: u32,
}

/// [`ClockSample`] of a [`SessionGlance`]: the basis is the banner's, and the session id is not
/// named (as the [`SessionDetail::Failures`] summary gives it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlancedSample<'a> {
    pub remote_server: &'a str,
    pub remote_ip: Option<&'a str>,
    pub time: Timestamp,
    pub offset_s: f64,
    pub line: u64,
}

/// Turns the rows of one server's protocol-log files into [`SessionSummary`]s.
///
/// Feed the files of one log directory (one server, one log type or both) in name order with
/// [`Reassembler::feed`]; call [`Reassembler::finish`] after the last one. Parallelism belongs to
/// the caller (one reassembler per directory); the type is `Send`.
#[derive(Debug)]
pub struct Reassembler {
    open: OpenSessions,
    next_file: u32,
    idle_limit: SignedDuration,
    /// Latest row time seen (ms), the clock for the idle limit.
    latest: Option<i64>,
    rows_since_idle_check: u64,
    time_cache: TimeCache,
    session_id_cache: SessionIdCache,
    /// Emptied buffers of ended sessions, reused by new ones.
    pool: Vec<Buffers>,
    detail: SessionDetail,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new()
    }
}

impl Reassembler {
    pub fn new() -> Self {
        Reassembler {
            open: OpenSessions::default(),
            next_file: 0,
            idle_limit: SignedDuration::from_hours(1),
            latest: None,
            rows_since_idle_check: 0,
            time_cache: TimeCache::default(),
            session_id_cache: SessionIdCache::default(),
            pool: Vec::new(),
            detail: SessionDetail::Full,
        }
    }

    /// How much of each session the summaries spell out (default: [`SessionDetail::Full`]).
    pub fn with_detail(mut self, detail: SessionDetail) -> Self {
        self.detail = detail;
        self
    }

    /// Sessions with no row for this long (in log time) are emitted as partial (default 1 h).
    pub fn with_idle_limit(mut self, limit: SignedDuration) -> Self {
        self.idle_limit = limit;
        self
    }

    /// Number of sessions currently held open.
    pub fn open_sessions(&self) -> usize {
        self.open.len()
    }

    /// Reads one file and emits every session that ends in it. `kind_hint` (e.g. from
    /// [`super::parse_file_name`]) is used until a `#Log-type` header says otherwise.
    pub fn feed<R: Read, F: FnMut(SessionSummary)>(
        &mut self,
        reader: R,
        kind_hint: Option<LogKind>,
        emit: F,
    ) -> FileReport {
        self.feed_into(reader, kind_hint, &mut Emit(emit))
    }

    /// [`Reassembler::feed`] handing the sessions to a [`SessionSink`], which at
    /// [`SessionDetail::Failures`] may decline a healthy session's summary from a glance at it.
    pub fn feed_into<R: Read, S: SessionSink + ?Sized>(
        &mut self,
        reader: R,
        kind_hint: Option<LogKind>,
        emit: &mut S,
    ) -> FileReport {
        let file = self.next_file;
        self.next_file = self.next_file.saturating_add(1);
        let mut report = FileReport {
            file,
            header: FileHeader::default(),
            kind: kind_hint,
            lines: 0,
            rows: 0,
            sessions_emitted: 0,
            problems: Problems::new(),
        };
        let mut rows = RowReader::new(reader);
        let mut kind = kind_hint;
        let mut warned_no_kind = false;
        // Whether the columns in force are the standard layout, which has a fast path.
        let mut standard = rows.columns().is_standard();
        let mut fast_fields = Vec::with_capacity(16);
        // What the last row taken from the buffer leaves for the next (see `PreviousRow`).
        let mut previous = PreviousRow::default();
        let newline = NewlineFinder::new();
        loop {
            if standard {
                // The complete lines already read, straight from the buffer while they are
                // standard-layout rows; the first other line goes the general way below.
                let columns = *rows.columns();
                let known = kind.or(kind_hint);
                rows.take_buffered_lines(|number, rest| {
                    let (split, line, len) = split_standard_line_after(rest, &previous, &newline)?;
                    previous.remember(&split);
                    let at = RowAt {
                        kind: known.unwrap_or(LogKind::Send),
                        file,
                        line: number,
                    };
                    self.standard_row(
                        at,
                        known.is_some(),
                        line,
                        Some(split),
                        &columns,
                        &mut fast_fields,
                        &mut warned_no_kind,
                        &mut report,
                        emit,
                    )
                    .then_some(len)
                });
            }
            let Some(item) = rows.next_line_item() else {
                break;
            };
            let (line, columns, fields) = match item {
                LineItem::Data {
                    line,
                    columns,
                    fields,
                } => (line, columns, fields),
                LineItem::Header => {
                    if let Some(k) = rows.header().kind() {
                        kind = Some(k);
                    }
                    standard = rows.columns().is_standard();
                    continue;
                }
                LineItem::Problem(p) => {
                    report.problem(p);
                    // A `#Fields` line the reassembler cannot use comes as a problem.
                    standard = rows.columns().is_standard();
                    continue;
                }
            };
            if standard
                && self.standard_row(
                    RowAt {
                        kind: kind.or(kind_hint).unwrap_or(LogKind::Send),
                        file,
                        line: line.number,
                    },
                    kind.or(kind_hint).is_some(),
                    line.bytes,
                    split_standard(line.bytes),
                    columns,
                    fields,
                    &mut warned_no_kind,
                    &mut report,
                    emit,
                )
            {
                continue;
            }
            let mut row = LazyFields::new(line.bytes, fields);
            if !row.split_to(columns.required) {
                report.problem(short_row(line.number, row.count(), columns));
                continue;
            }
            report.rows += 1;
            // Header lines are rare; re-reading the kind per row is one branch.
            let Some(kind) = kind.or(kind_hint) else {
                warn_no_kind(&mut report, &mut warned_no_kind, line.number);
                continue;
            };
            let at = RowAt {
                kind,
                file,
                line: line.number,
            };
            self.on_row(at, &mut row, columns, &mut report, emit);
        }
        report.lines = rows.line_number();
        report.header = rows.header().clone();
        report.kind = kind;
        report
    }

    /// Emits every session still open (cut by the end of the collection), as partial, in order of
    /// their first row.
    pub fn finish<F: FnMut(SessionSummary)>(&mut self, emit: F) {
        self.finish_into(&mut Emit(emit));
    }

    /// [`Reassembler::finish`] handing the sessions to a [`SessionSink`].
    pub fn finish_into<S: SessionSink + ?Sized>(&mut self, emit: &mut S) {
        let mut rest = self.open.drain();
        rest.sort_by_key(|(key, s)| (s.first.file, s.first.line, *key));
        for ((kind, id), session) in rest {
            session.close(kind, id, &mut self.pool, self.detail, emit);
        }
    }

    fn on_row<S: SessionSink + ?Sized>(
        &mut self,
        at: RowAt,
        row: &mut LazyFields<'_, '_>,
        columns: &ColumnMap,
        report: &mut FileReport,
        emit: &mut S,
    ) {
        let kind = at.kind;
        let Some(id) = parse_session_id(row.plain(columns.session_id)) else {
            report.problem(Problem::new(
                Location::Line(at.line),
                "session-id is not hexadecimal; row skipped",
            ));
            return;
        };
        let Some(seq) = parse_u32(row.plain(columns.sequence_number)) else {
            report.problem(Problem::new(
                Location::Line(at.line),
                "sequence-number is not a number; row skipped",
            ));
            return;
        };
        let time = self.time_cache.parse(row.plain(columns.date_time));
        if time.is_none() {
            report.problem(Problem::new(
                Location::Line(at.line),
                "date-time is not a UTC timestamp",
            ));
        }
        let event = row
            .plain(columns.event)
            .first()
            .copied()
            .unwrap_or_default();
        let head = RowHead {
            id,
            seq,
            time,
            event,
            endpoints: RowEndpoints::Fields {
                local: row.plain(columns.local_endpoint),
                remote: row.plain(columns.remote_endpoint),
            },
        };
        let connector = row.column(columns.connector_id);
        self.apply_row(
            at,
            head,
            || &connector,
            AnyRow {
                kind,
                event,
                row,
                columns,
            },
            report,
            emit,
        );
    }

    /// One row of a standard-layout file, when its fixed-width columns have their usual shape:
    /// false (nothing done) otherwise, for the general path. `kind_known` false: `at.kind` is a
    /// placeholder and the row is only counted, as the general path does.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn standard_row<S: SessionSink + ?Sized>(
        &mut self,
        at: RowAt,
        kind_known: bool,
        line: &[u8],
        split: Option<StandardHead<'_>>,
        columns: &ColumnMap,
        fields: &mut Vec<FieldSpan>,
        warned_no_kind: &mut bool,
        report: &mut FileReport,
        emit: &mut S,
    ) -> bool {
        let Some(split) = split else {
            return false;
        };
        let (Some(id), Some(seq), Some(time)) = (
            self.session_id_cache.parse(split.session_id()),
            split.seq.or_else(|| parse_u32(split.sequence_number())),
            self.time_cache.parse_standard(split.date_time()),
        ) else {
            return false;
        };
        report.rows += 1;
        if !kind_known {
            warn_no_kind(report, warned_no_kind, at.line);
            return true;
        }
        let head = RowHead {
            id,
            seq,
            time: Some(time),
            event: split.event,
            endpoints: RowEndpoints::Split(&split),
        };
        self.on_standard_row(at, line, &split, head, columns, fields, report, emit);
        true
    }

    /// [`Reassembler::on_row`] for a standard-layout row already split by [`split_standard`]
    /// and parsed into `head`: `data` is looked at only as far as [`may_matter`] needs, and split
    /// only for the rows that can matter.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn on_standard_row<S: SessionSink + ?Sized>(
        &mut self,
        at: RowAt,
        line: &[u8],
        split: &StandardHead<'_>,
        head: RowHead<'_>,
        columns: &ColumnMap,
        fields: &mut Vec<FieldSpan>,
        report: &mut FileReport,
        emit: &mut S,
    ) {
        let kind = at.kind;
        let event = head.event;
        let row = StandardRow {
            kind,
            event,
            line,
            split,
            columns,
            fields,
        };
        self.apply_row(at, head, || split.connector(), row, report, emit);
    }

    /// What every row does to its session, whichever path split it. `connector` is asked for
    /// only when the row opens its session.
    #[inline(always)]
    fn apply_row<'c, S: SessionSink + ?Sized, C: RowClassifier>(
        &mut self,
        at: RowAt,
        head: RowHead<'_>,
        connector: impl FnOnce() -> &'c [u8],
        classify_row: C,
        report: &mut FileReport,
        emit: &mut S,
    ) {
        let kind = at.kind;
        let RowHead {
            id,
            seq,
            time,
            event,
            endpoints,
        } = head;
        let pos = Pos {
            seq,
            time,
            line: at.line,
            file: at.file,
        };
        let pool = &mut self.pool;
        let Some(session) = self.open.get_or_insert_with((kind, id), || {
            let mut buffers = pool.pop().unwrap_or_default();
            let connector = keep(&mut buffers.text, connector());
            OpenSession::new(connector, pos, buffers)
        }) else {
            return;
        };
        session.rows += 1;
        if seq < session.first.seq {
            session.first = pos;
        }
        if seq >= session.last.seq {
            session.last = pos;
        }
        if session.local.is_none() || event == b'+' {
            let local = endpoints.local();
            if !local.is_empty() {
                session.local = Some(keep(&mut session.buffers.text, local));
            }
        }
        if session.remote.is_none() || event == b'+' {
            let remote = endpoints.remote();
            if !remote.is_empty() {
                session.remote = Some(keep(&mut session.buffers.text, remote));
            }
        }
        if let Some(ev) = classify_row.classify(&mut session.buffers.text) {
            session.buffers.events.push(Event { pos, ev });
        }
        if event == b'-' {
            if let Some(done) = self.open.remove(&(kind, id)) {
                report.sessions_emitted += 1;
                done.close(kind, id, &mut self.pool, self.detail, emit);
            }
        }
        if let Some(t) = time {
            if self.latest.is_none_or(|l| t > l) {
                self.latest = Some(t);
            }
        }
        self.rows_since_idle_check += 1;
        if self.rows_since_idle_check >= IDLE_CHECK_ROWS {
            self.rows_since_idle_check = 0;
            report.sessions_emitted += self.flush_idle(emit);
        }
    }

    fn flush_idle<S: SessionSink + ?Sized>(&mut self, emit: &mut S) -> u64 {
        let limit_ms = i64::try_from(self.idle_limit.as_millis()).unwrap_or(i64::MAX);
        let Some(cutoff) = self.latest.map(|l| l.saturating_sub(limit_ms)) else {
            return 0;
        };
        let mut idle: Vec<(LogKind, u64)> = self
            .open
            .iter()
            .filter(|(_, s)| s.last.time.is_some_and(|t| t < cutoff))
            .map(|(k, _)| *k)
            .collect();
        idle.sort_unstable();
        let mut n = 0;
        for key in idle {
            if let Some(s) = self.open.remove(&key) {
                s.close(key.0, key.1, &mut self.pool, self.detail, emit);
                n += 1;
            }
        }
        n
    }
}

fn warn_no_kind(report: &mut FileReport, warned: &mut bool, line: u64) {
    if !*warned {
        *warned = true;
        report.problem(Problem::new(
            Location::Line(line),
            "log type unknown (no #Log-type header, no file-name hint); rows skipped",
        ));
    }
}

/// The columns of a row every row needs, parsed.
#[derive(Debug, Clone, Copy)]
struct RowHead<'a> {
    id: u64,
    seq: u32,
    time: Option<i64>,
    event: u8,
    endpoints: RowEndpoints<'a>,
}

/// A row's two endpoints, sliced only when its session takes them (its first row with them, or
/// a connect): most rows' sessions have theirs already, and slicing both of every row was 3 % of
/// a scan's instructions (callgrind by hand on one server, 2026-12-07).
#[derive(Debug, Clone, Copy)]
enum RowEndpoints<'a> {
    /// A standard-layout row's, from its split.
    Split(&'a StandardHead<'a>),
    /// Any other row's, split already.
    Fields { local: &'a [u8], remote: &'a [u8] },
}

impl<'a> RowEndpoints<'a> {
    #[inline(always)]
    fn local(self) -> &'a [u8] {
        match self {
            RowEndpoints::Split(split) => split.local_endpoint(),
            RowEndpoints::Fields { local, .. } => local,
        }
    }

    #[inline(always)]
    fn remote(self) -> &'a [u8] {
        match self {
            RowEndpoints::Split(split) => split.remote_endpoint(),
            RowEndpoints::Fields { remote, .. } => remote,
        }
    }
}

/// Whether a standard-layout row can hold anything [`classify`] keeps, judged from the event and
/// the first bytes of `data` (the rest of the line from `data`'s start, not yet split): false only
/// when `classify` certainly returns `None`, so healthy `MAIL`/`RCPT`/`BDAT` rows never get their
/// `data` and `context` split (`250` lines, EHLO replies and statuses, are judged in one pass by
/// [`classify_ehlo`]).
#[inline(always)]
fn may_matter(kind: LogKind, event: u8, data: &[u8]) -> bool {
    if matches!(event, b'+' | b'-' | b'*') {
        return true;
    }
    let Some(&first) = data.first() else {
        return false;
    };
    if first == b'"' {
        return true;
    }
    if event == kind.client_event() {
        return matches!(first.to_ascii_uppercase(), b'E' | b'H' | b'S' | b'X' | b'A');
    }
    if event == kind.server_event() {
        // The reply code's three digits matched as they are (no number made of them).
        return match data.first_chunk::<3>() {
            // An EHLO reply line: [`classify_standard`] judges it in one pass.
            Some(b"250") => matches!(data.get(3), Some(b' ' | b'-')),
            Some(b"220" | b"235" | b"334") => true,
            Some([b'4' | b'5', b'0'..=b'9', b'0'..=b'9']) => true,
            _ => false,
        };
    }
    false
}

/// What a row holds for its session, told once the session's text buffer is at hand
/// ([`Reassembler::apply_row`]). A trait rather than a closure so that the standard path's
/// classification is inlined into the row loop: as a closure the compiler left it a call, whose
/// prologue and loads of the captured values were ~5 % of a scan's instructions.
trait RowClassifier {
    fn classify(self, text: &mut Vec<u8>) -> Option<Ev>;
}

/// A standard-layout row split by [`split_standard_line_after`] ([`classify_standard`]).
struct StandardRow<'r, 'l> {
    kind: LogKind,
    event: u8,
    line: &'r [u8],
    split: &'r StandardHead<'l>,
    columns: &'r ColumnMap,
    fields: &'r mut Vec<FieldSpan>,
}

impl RowClassifier for StandardRow<'_, '_> {
    #[inline(always)]
    fn classify(self, text: &mut Vec<u8>) -> Option<Ev> {
        classify_standard(
            self.kind,
            self.event,
            self.line,
            self.split,
            self.columns,
            self.fields,
            text,
        )
    }
}

/// A row of any layout, its fields split as asked for ([`classify`]).
struct AnyRow<'r, 'l, 'f> {
    kind: LogKind,
    event: u8,
    row: &'r mut LazyFields<'l, 'f>,
    columns: &'r ColumnMap,
}

impl RowClassifier for AnyRow<'_, '_, '_> {
    fn classify(self, text: &mut Vec<u8>) -> Option<Ev> {
        classify(self.kind, self.event, self.row, self.columns, text)
    }
}

/// Which log, file and line a row comes from.
#[derive(Debug, Clone, Copy)]
struct RowAt {
    kind: LogKind,
    file: u32,
    line: u64,
}

/// Where a row sits: its sequence number, time and place in the input.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pos {
    seq: u32,
    /// Milliseconds since the epoch (cheaper to carry than a `Timestamp`).
    time: Option<i64>,
    line: u64,
    file: u32,
}

impl Pos {
    fn ts(&self) -> Option<Timestamp> {
        Timestamp::from_millisecond(self.time?).ok()
    }
}

/// Bytes kept in a session's text buffer (already unescaped; decoded when the summary is built).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: usize,
    end: usize,
}

/// Appends `bytes` to a session's text buffer.
fn keep(text: &mut Vec<u8>, bytes: &[u8]) -> Span {
    let start = text.len();
    text.extend_from_slice(bytes);
    Span {
        start,
        end: text.len(),
    }
}

/// The growable parts of an open session, recycled from ended sessions.
#[derive(Debug, Default)]
struct Buffers {
    events: Vec<Event>,
    text: Vec<u8>,
}

/// The sessions held open, by (log type, session id): a slab of sessions and a map to their
/// slots, with the slot of the last row's session remembered. Consecutive rows mostly belong to
/// one session (Exchange writes a session's exchange in runs: an EHLO reply is a dozen rows),
/// and comparing its key costs less than hashing it; a session stays in its slot while open, so
/// rows that alternate between sessions cost one lookup each, as a plain map would.
#[derive(Debug, Default)]
struct OpenSessions {
    index: FxHashMap<(LogKind, u64), usize>,
    slots: Vec<Option<OpenSession>>,
    /// Slots emptied by ended sessions.
    free: Vec<usize>,
    /// The key and slot of the session the last row went to.
    last: Option<((LogKind, u64), usize)>,
}

impl OpenSessions {
    fn len(&self) -> usize {
        self.index.len()
    }

    /// The open session of `key`, opened with `open` if there is none. `None` never happens
    /// (every indexed slot is full).
    #[inline(always)]
    fn get_or_insert_with(
        &mut self,
        key: (LogKind, u64),
        open: impl FnOnce() -> OpenSession,
    ) -> Option<&mut OpenSession> {
        let slot = match self.last {
            Some((last, slot)) if last == key => slot,
            _ => {
                let slot = match self.index.entry(key) {
                    Entry::Occupied(o) => *o.get(),
                    Entry::Vacant(v) => {
                        let session = Some(open());
                        let slot = match self.free.pop() {
                            Some(slot) => {
                                if let Some(empty) = self.slots.get_mut(slot) {
                                    *empty = session;
                                }
                                slot
                            }
                            None => {
                                self.slots.push(session);
                                self.slots.len() - 1
                            }
                        };
                        *v.insert(slot)
                    }
                };
                self.last = Some((key, slot));
                slot
            }
        };
        self.slots.get_mut(slot)?.as_mut()
    }

    fn remove(&mut self, key: &(LogKind, u64)) -> Option<OpenSession> {
        let slot = self.index.remove(key)?;
        if self.last.is_some_and(|(last, _)| last == *key) {
            self.last = None;
        }
        self.free.push(slot);
        self.slots.get_mut(slot)?.take()
    }

    fn iter(&self) -> impl Iterator<Item = (&(LogKind, u64), &OpenSession)> {
        self.index
            .iter()
            .filter_map(|(key, &slot)| Some((key, self.slots.get(slot)?.as_ref()?)))
    }

    /// Every open session, in no particular order; none is left open.
    fn drain(&mut self) -> Vec<((LogKind, u64), OpenSession)> {
        let index = std::mem::take(&mut self.index);
        let mut slots = std::mem::take(&mut self.slots);
        self.free.clear();
        self.last = None;
        index
            .into_iter()
            .filter_map(|(key, slot)| Some((key, slots.get_mut(slot)?.take()?)))
            .collect()
    }
}

#[derive(Debug)]
struct OpenSession {
    connector: Span,
    local: Option<Span>,
    remote: Option<Span>,
    rows: u64,
    first: Pos,
    last: Pos,
    buffers: Buffers,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Event {
    pos: Pos,
    ev: Ev,
}

/// The rows that matter, reduced to what is needed of them (text as [`Span`]s of the session's
/// text buffer).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ev {
    Connect,
    Disconnect(Option<Span>),
    Permissions(Span),
    Ehlo(Span),
    HelloReply(Span),
    /// What, and the mechanism words after the keyword (for the `AUTH`-like ones).
    Capability(Capability, Span),
    /// A `220` greeting (the whole reply; its date is parsed only for the session's first one).
    Banner(Span),
    TlsCommand(&'static str),
    TlsSucceeded(Option<Span>),
    TlsFailed(Span),
    /// Verb and mechanism words, upper-cased.
    AuthCommand(Span),
    /// A reply that can end an authentication attempt (235, 334, 4xx, 5xx).
    Reply(u16, Span),
    AuthFailure {
        sender_side: bool,
        status: Option<Span>,
        mechanism: &'static str,
    },
    NotOffered(Span),
    TicketFlush(Span),
    Proxy(Span),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Capability {
    StartTls,
    AnonymousTls,
    Auth,
    Exps,
    ExchangeAuth,
}

/// [`classify`] for a row split by [`split_standard`], with the same result: rows that cannot
/// matter are dismissed from the event and the first bytes of `data` ([`may_matter`]), and
/// unquoted `data`/`context` are sliced straight from the line; only quoted ones go through
/// [`LazyFields`].
#[inline(always)]
fn classify_standard(
    kind: LogKind,
    event: u8,
    line: &[u8],
    split: &StandardHead<'_>,
    columns: &ColumnMap,
    fields: &mut Vec<FieldSpan>,
    text: &mut Vec<u8>,
) -> Option<Ev> {
    let data = line.get(split.data_start..).unwrap_or_default();
    // A session's two EHLO replies are half its rows: their lines are judged first (before
    // `may_matter`, which would take them too, looking at the same bytes), on the unsplit rest of
    // the row, the keyword's end and the field's found in one pass.
    if event == kind.server_event() {
        if let Some(rest) = ehlo_reply_line(data) {
            return classify_ehlo(rest, FieldEnd::AtComma, text);
        }
    }
    if !may_matter(kind, event, data) {
        return None;
    }
    if event == b'+' {
        return Some(Ev::Connect);
    }
    let quoted_data = data.first() == Some(&b'"');
    // Commands and replies need only `data`.
    let client = event == kind.client_event();
    if (client || event == kind.server_event()) && !quoted_data {
        let end = find_comma(data).unwrap_or(data.len());
        let data = data.get(..end).unwrap_or_default();
        return if client {
            classify_command(data, text)
        } else {
            classify_reply(data, text)
        };
    }
    // Information and disconnect rows: `context` is the last column, so an unquoted one runs to
    // the end of the line whether or not it holds commas.
    if matches!(event, b'-' | b'*') && !quoted_data {
        let (data, context) = match find_comma(data) {
            Some(end) => (
                data.get(..end).unwrap_or_default(),
                data.get(end + 1..).unwrap_or_default(),
            ),
            None => (data, &b""[..]),
        };
        if context.first() != Some(&b'"') {
            return if event == b'-' {
                disconnect(context, text)
            } else {
                classify_info(data, context, text)
            };
        }
    }
    // Quoted fields without a doubled quote (a TLS row's context, a Send log's dated banner: a
    // few rows a session) are what lies between their quotes.
    if let Some((data, context)) = plain_quoted_fields(data) {
        return match event {
            b'-' => disconnect(context, text),
            b'*' => classify_info(data, context, text),
            e if e == kind.client_event() => classify_command(data, text),
            e if e == kind.server_event() => classify_reply(data, text),
            _ => None,
        };
    }
    let mut row = LazyFields::presplit(line, fields, &split.spans(), split.data_start);
    classify(kind, event, &mut row, columns, text)
}

/// A quoted field: its content and what follows its closing quote. The first quote after the
/// opening one closes it unless another quote follows (a doubled quote: then not plain, for the
/// caller to see).
fn quoted(field: &[u8]) -> Option<(&[u8], &[u8])> {
    let inner = field.strip_prefix(b"\"")?;
    let close = memchr::memchr(b'"', inner)?;
    Some((inner.get(..close)?, inner.get(close + 1..)?))
}

/// `data` and `context` of a row's tail (from `data` to the line end), when each is unquoted or
/// quoted without a doubled quote inside and nothing follows: the values [`LazyFields`] would
/// give, sliced. `None` for anything else (a doubled quote, text after a closing quote, a
/// context that spills into more fields), which takes the general path.
fn plain_quoted_fields(tail: &[u8]) -> Option<(&[u8], &[u8])> {
    let (data, rest) = if tail.first() == Some(&b'"') {
        let (data, after) = quoted(tail)?;
        match after.split_first() {
            None => return Some((data, b"")),
            Some((b',', rest)) => (data, rest),
            Some(_) => return None,
        }
    } else {
        let end = find_comma(tail)?;
        (tail.get(..end)?, tail.get(end + 1..)?)
    };
    if rest.first() == Some(&b'"') {
        let (context, after) = quoted(rest)?;
        return after.is_empty().then_some((data, context));
    }
    // An unquoted context runs to the line end, commas and all (see `classify_standard`).
    (!rest.contains(&b'"')).then_some((data, rest))
}

fn classify(
    kind: LogKind,
    event: u8,
    row: &mut LazyFields<'_, '_>,
    columns: &ColumnMap,
    text: &mut Vec<u8>,
) -> Option<Ev> {
    match event {
        b'+' => Some(Ev::Connect),
        b'-' => disconnect(&row.context(columns), text),
        b'*' => {
            let data = row.column(columns.data);
            let context = row.context(columns);
            classify_info(&data, &context, text)
        }
        e if e == kind.client_event() => classify_command(&row.column(columns.data), text),
        e if e == kind.server_event() => classify_reply(&row.column(columns.data), text),
        _ => None,
    }
}

fn disconnect(reason: &[u8], text: &mut Vec<u8>) -> Option<Ev> {
    let reason = trim(reason);
    Some(Ev::Disconnect(
        (!reason.is_empty()).then(|| keep(text, reason)),
    ))
}

fn classify_command(data: &[u8], text: &mut Vec<u8>) -> Option<Ev> {
    let first = data.first()?.to_ascii_uppercase();
    match first {
        b'E' | b'H' => {
            let verb = data.get(..4)?;
            if !(same_name(verb, b"EHLO") || same_name(verb, b"HELO")) {
                return None;
            }
            let rest = data.get(4..).unwrap_or_default();
            if !rest.is_empty() && rest.first() != Some(&b' ') {
                return None;
            }
            Some(Ev::Ehlo(keep(text, trim(rest))))
        }
        b'S' | b'X' | b'A' => {
            // The verb ends at the first space: one longer than any kept is not looked at to
            // its end (a client may send anything).
            let len = word_len(data, LONGEST_VERB);
            let verb = data.get(..len).filter(|_| len <= LONGEST_VERB)?;
            let rest = data.get(len..).unwrap_or_default();
            // Told by the verb's length first; a verb matched without case is written as its
            // upper-case name.
            match len {
                8 if same_name(verb, b"STARTTLS") => Some(Ev::TlsCommand("STARTTLS")),
                14 if same_name(verb, b"X-ANONYMOUSTLS") => Some(Ev::TlsCommand("X-ANONYMOUSTLS")),
                4 if same_name(verb, b"AUTH") => {
                    Some(Ev::AuthCommand(mechanism_of(b"AUTH", rest, text)))
                }
                6 if same_name(verb, b"X-EXPS") => {
                    Some(Ev::AuthCommand(mechanism_of(b"X-EXPS", rest, text)))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The longest verb [`classify_command`] keeps (`X-ANONYMOUSTLS`).
const LONGEST_VERB: usize = 14;
/// The longest mechanism name [`mechanism_of`] keeps: a longer word is a blob.
const LONGEST_MECHANISM: usize = 20;

/// Where the first space of `text` is (its length without one), looked for in its first
/// `longest` + 1 bytes only: a length past `longest` means a longer word.
fn word_len(text: &[u8], longest: usize) -> usize {
    let head = text.get(..longest + 1).unwrap_or(text);
    head.iter().position(|&b| b == b' ').unwrap_or(head.len())
}

/// `verb` (upper-case) and the mechanism words of `rest` (what follows it) up to the first that
/// is not a name (upper-case letters, digits, `-`, `_`, at most [`LONGEST_MECHANISM`] bytes:
/// anything else looks like a blob), joined by single spaces, appended to `text`. A blob is not
/// looked at past its first [`LONGEST_MECHANISM`] bytes, nor a word past its first other byte
/// (a command row's was searched for its spaces and judged byte by byte to its end: 2.4 % of a
/// one-thread scan's samples at 100 servers, `benches/profile.sh`, 2026-12-08).
fn mechanism_of(verb: &[u8], mut rest: &[u8], text: &mut Vec<u8>) -> Span {
    let start = text.len();
    text.extend_from_slice(verb);
    loop {
        let spaces = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
        rest = rest.get(spaces..).unwrap_or_default();
        let len = word_len(rest, LONGEST_MECHANISM);
        let Some(word) = rest
            .get(..len)
            .filter(|w| !w.is_empty() && len <= LONGEST_MECHANISM)
        else {
            break;
        };
        if !word
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'))
        {
            break;
        }
        // A name is upper-case already: copied as it is.
        text.push(b' ');
        text.extend_from_slice(word);
        rest = rest.get(len..).unwrap_or_default();
    }
    Span {
        start,
        end: text.len(),
    }
}

fn classify_reply(data: &[u8], text: &mut Vec<u8>) -> Option<Ev> {
    let code = reply_code(data)?;
    let rest = data.get(4..).unwrap_or_default();
    match code {
        250 => classify_ehlo_line(rest, text),
        220 => is_greeting(data).then(|| Ev::Banner(keep(text, data))),
        451 if rest.starts_with(b"5.7.3") => Some(Ev::NotOffered(keep(text, data))),
        235 | 334 | 400..=599 => Some(Ev::Reply(code, keep(text, data))),
        _ => None,
    }
}

/// Separators of the words of an EHLO reply line.
fn is_ehlo_separator(b: u8) -> bool {
    b == b' ' || b == b'='
}

/// What follows `250-` or `250 ` in an unquoted reply `data`: a line of an EHLO reply (or a
/// `250 2.x.x` status, which [`classify_ehlo`] dismisses as fast).
#[inline(always)]
fn ehlo_reply_line(data: &[u8]) -> Option<&[u8]> {
    match data.first_chunk::<4>()? {
        [b'2', b'5', b'0', b' ' | b'-'] => data.get(4..),
        _ => None,
    }
}

/// Where the text handed to [`classify_ehlo`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldEnd {
    /// At its end: the `data` field alone, split from its row (a quoted field, its quotes
    /// taken off, may hold commas).
    AtEnd,
    /// At its first comma: the rest of a row from an unquoted `data` field on.
    AtComma,
}

/// One line of an EHLO reply (after `250-`/`250 `), `data` split from its row.
fn classify_ehlo_line(rest: &[u8], text: &mut Vec<u8>) -> Option<Ev> {
    classify_ehlo(rest, FieldEnd::AtEnd, text)
}

/// One line of an EHLO reply (after `250-`/`250 `), the field ending as `end` says. Every session
/// repeats a dozen of these, so the keyword's end is searched a word at a time and the keyword
/// told by its length before any text is compared; the rest of the field is looked at only for a
/// capability's names or the `Hello` after a host name.
#[inline(always)]
fn classify_ehlo(rest: &[u8], end: FieldEnd, text: &mut Vec<u8>) -> Option<Ev> {
    let start = rest.iter().position(|&b| !is_ehlo_separator(b))?;
    let after_start = rest.get(start..).unwrap_or_default();
    let len = ehlo_word_end(after_start, end);
    let keyword = after_start.get(..len).unwrap_or_default();
    let after = after_start.get(len..).unwrap_or_default();
    let cap = match len {
        4 if same_name(keyword, b"AUTH") => Capability::Auth,
        6 if same_name(keyword, b"X-EXPS") => Capability::Exps,
        8 if same_name(keyword, b"STARTTLS") => Capability::StartTls,
        14 if same_name(keyword, b"X-ANONYMOUSTLS") => Capability::AnonymousTls,
        14 if same_name(keyword, b"X-EXCHANGEAUTH") => Capability::ExchangeAuth,
        _ if first_ehlo_word_is_hello(after, end) => {
            return Some(Ev::HelloReply(keep(text, keyword)));
        }
        _ => return None,
    };
    let names = match cap {
        Capability::StartTls | Capability::AnonymousTls => Span::default(),
        _ => {
            let names = match end {
                FieldEnd::AtEnd => after,
                FieldEnd::AtComma => find_comma(after)
                    .and_then(|comma| after.get(..comma))
                    .unwrap_or(after),
            };
            keep(text, names)
        }
    };
    Some(Ev::Capability(cap, names))
}

/// `keyword` is `name` but for ASCII case. Exchange writes the names upper-cased: compared as
/// they are first (a compare of the fixed-size array, no call), byte by byte without case only
/// when that fails.
#[inline(always)]
fn same_name<const N: usize>(keyword: &[u8], name: &[u8; N]) -> bool {
    <&[u8; N]>::try_from(keyword).is_ok_and(|k| k == name) || keyword.eq_ignore_ascii_case(name)
}

/// Where the first word of `word` ends: at a separator ([`is_ehlo_separator`]), at a comma when
/// the field ends there, or at its end. Searched 8 bytes at a time (the words are 3 to 20 bytes;
/// the byte loops that judged these lines before were 7 % of a scan's instructions).
#[inline(always)]
fn ehlo_word_end(word: &[u8], end: FieldEnd) -> usize {
    let mut i = 0;
    while let Some(chunk) = word.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*chunk);
        let mut found = zero_bytes(w ^ every_byte(b' ')) | zero_bytes(w ^ every_byte(b'='));
        if end == FieldEnd::AtComma {
            found |= zero_bytes(w ^ every_byte(b','));
        }
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let tail = word.get(i..).unwrap_or_default();
    i + tail
        .iter()
        .position(|&b| is_ehlo_separator(b) || (end == FieldEnd::AtComma && b == b','))
        .unwrap_or(tail.len())
}

/// Whether the first word of `names` (words split at [`is_ehlo_separator`], the field ending as
/// `end` says) is `Hello`.
#[inline(always)]
fn first_ehlo_word_is_hello(names: &[u8], end: FieldEnd) -> bool {
    // Most EHLO lines hold one keyword: what follows it is the field's end (or nothing).
    match names.first() {
        None => return false,
        Some(&b) if b != b'H' && !is_ehlo_separator(b) => return false,
        Some(_) => {}
    }
    let start = names
        .iter()
        .position(|&b| !is_ehlo_separator(b))
        .unwrap_or(names.len());
    names
        .get(start..)
        .and_then(|word| word.strip_prefix(b"Hello"))
        .is_some_and(|after| {
            after
                .first()
                .is_none_or(|&b| is_ehlo_separator(b) || (end == FieldEnd::AtComma && b == b','))
        })
}

fn ehlo_words(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    b.split(|&b| is_ehlo_separator(b)).filter(|w| !w.is_empty())
}

const KNOWN_MECHANISMS: &[&str] = &[
    "NTLM",
    "LOGIN",
    "GSSAPI",
    "EXCHANGEAUTH",
    "SHA256",
    "PLAIN",
    "XOAUTH2",
];

/// The canonical spelling of a usual mechanism name (every session repeats them).
fn known_mechanism(word: &[u8]) -> Option<&'static str> {
    KNOWN_MECHANISMS
        .iter()
        .find(|k| k.as_bytes().eq_ignore_ascii_case(word))
        .copied()
}

/// How many usual names of one line are listed first (the rest keep their order after them).
const KNOWN_FIRST: usize = 6;

/// Adds the mechanism names of one capability line to `into`, skipping those already there: the
/// first six usual names (canonical spelling) in order, then the other words upper-cased.
fn merge_names(into: &mut Vec<String>, words: &[u8]) {
    fn add(into: &mut Vec<String>, name: &str) {
        if !into.iter().any(|n| n == name) {
            into.push(name.to_owned());
        }
    }
    for known in ehlo_words(words)
        .filter_map(known_mechanism)
        .take(KNOWN_FIRST)
    {
        add(into, known);
    }
    let mut known_seen = 0;
    for word in ehlo_words(words) {
        if known_seen < KNOWN_FIRST && known_mechanism(word).is_some() {
            known_seen += 1;
        } else {
            add(into, &text(word).to_ascii_uppercase());
        }
    }
}

fn classify_info(data: &[u8], context: &[u8], text: &mut Vec<u8>) -> Option<Ev> {
    let context = trim(context);
    if same_name(context, b"Set Session Permissions") {
        return Some(Ev::Permissions(keep(text, trim(data))));
    }
    classify_message(context, text).or_else(|| classify_message(trim(data), text))
}

/// Writes to `text` only when it returns `Some`.
fn classify_message(msg: &[u8], text: &mut Vec<u8>) -> Option<Ev> {
    match msg.first()? {
        b'P' => {
            let id = msg.strip_prefix(b"Proxying inbound session with session id ")?;
            let id = id.split(|&b| b == b' ').next().unwrap_or_default();
            Some(Ev::Proxy(keep(text, id)))
        }
        b'T' => {
            if let Some(status) = msg.strip_prefix(b"TLS negotiation failed with error ") {
                Some(Ev::TlsFailed(keep(text, trim(status))))
            } else if msg.starts_with(b"TLS protocol ") && SUCCEEDED.find(msg).is_some() {
                let protocol = msg.split(|&b| b == b' ').nth(2).map(|p| keep(text, p));
                Some(Ev::TlsSucceeded(protocol))
            } else {
                None
            }
        }
        b'O' => msg
            .starts_with(b"Outbound Authentication failed")
            .then(|| Ev::AuthFailure {
                sender_side: true,
                status: status_of(msg).map(|s| keep(text, s)),
                mechanism: "",
            }),
        b'I' | b'F' => {
            let mechanism = if msg.starts_with(b"Inbound ExchangeAuth negotiation failed") {
                "X-EXPS EXCHANGEAUTH"
            } else if msg.starts_with(b"Inbound Negotiate failed")
                || msg.starts_with(b"Failed to initialize inbound Negotiate")
            {
                "X-EXPS"
            } else if msg.starts_with(b"Inbound authentication failed") {
                ""
            } else if TICKET_CACHE.find(msg).is_some() {
                return Some(Ev::TicketFlush(keep(text, msg)));
            } else {
                return None;
            };
            Some(Ev::AuthFailure {
                sender_side: false,
                status: status_of(msg).map(|s| keep(text, s)),
                mechanism,
            })
        }
        b'4' if msg.starts_with(b"451 5.7.3") => Some(Ev::NotOffered(keep(text, msg))),
        _ => None,
    }
}

/// The status named by a failure row: after `because of `, else after the last ` with `, else
/// the reason after `because `.
fn status_of(msg: &[u8]) -> Option<&[u8]> {
    let after = |needle: &[u8]| {
        memchr::memmem::rfind(msg, needle).and_then(|i| msg.get(i + needle.len()..))
    };
    let rest = after(b"because of ")
        .or_else(|| after(b" with "))
        .or_else(|| after(b"because "))?;
    let rest = trim(rest);
    let rest = rest.strip_suffix(b".").unwrap_or(rest);
    (!rest.is_empty()).then_some(rest)
}

impl OpenSession {
    fn new(connector: Span, pos: Pos, mut buffers: Buffers) -> Self {
        if buffers.events.capacity() == 0 {
            // Typical sessions keep 20–30 events: one allocation instead of several regrowths.
            buffers.events.reserve(32);
        }
        OpenSession {
            connector,
            local: None,
            remote: None,
            rows: 0,
            first: pos,
            last: pos,
            buffers,
        }
    }

    /// Applies the kept rows in sequence order and builds the summary, as much of it as
    /// `detail` asks for.
    fn close<S: SessionSink + ?Sized>(
        mut self,
        kind: LogKind,
        id: u64,
        pool: &mut Vec<Buffers>,
        detail: SessionDetail,
        emit: &mut S,
    ) {
        let Buffers {
            mut events,
            text: bytes,
        } = std::mem::take(&mut self.buffers);
        if !events.is_sorted_by_key(|e| e.pos.seq) {
            events.sort_by_key(|e| e.pos.seq);
        }
        let declined = detail == SessionDetail::Failures && {
            let id_text = session_id_text(id);
            self.glance(kind, &id_text, &events, &bytes)
                .is_some_and(|glance| !emit.wants_summary(&glance))
        };
        if !declined {
            emit.take(self.summarize(kind, id, detail, &events, &bytes));
        }
        if pool.len() < POOL_SESSIONS
            && events.capacity() <= POOL_MAX_EVENTS
            && bytes.capacity() <= POOL_MAX_TEXT
        {
            let mut text = bytes;
            text.clear();
            events.clear();
            pool.push(Buffers { events, text });
        }
    }

    /// The [`SessionGlance`] of a session whose attempts surely all succeeded, its `events`
    /// sorted: the fields [`OpenSession::build`] gives them, found the same way; `None` for a
    /// session with any other attempt or a text that is not valid UTF-8.
    fn glance<'a>(
        &self,
        kind: LogKind,
        id_text: &'a SessionIdText,
        events: &'a [Event],
        bytes: &'a [u8],
    ) -> Option<SessionGlance<'a>> {
        if !surely_all_succeeded(events) {
            return None;
        }
        // The session's text is checked once, whole (a few hundred bytes, ASCII as Exchange
        // writes it): in valid UTF-8 a span is valid exactly when its ends are char boundaries,
        // which `str::get` checks. Checked span by span, the short texts cost six calls.
        let whole = std::str::from_utf8(bytes).ok();
        let text = |span: Span| match whole {
            Some(whole) => whole.get(span.start..span.end),
            None => std::str::from_utf8(bytes.get(span.start..span.end)?).ok(),
        };
        let local_endpoint = match self.local {
            Some(span) => Some(text(span)?),
            None => None,
        };
        let remote_endpoint = match self.remote {
            Some(span) => Some(text(span)?),
            None => None,
        };
        let mut glance = SessionGlance {
            log: kind,
            session_id: id_text.as_str(),
            start: self.first.ts(),
            rows: self.rows,
            connector: text(self.connector)?,
            local_endpoint,
            remote_endpoint,
            banner_host: None,
            ehlo: None,
            hello_reply_host: None,
            clock_sample: None,
            events,
            bytes,
            first: self.first,
            last: self.last,
            banner_at: None,
        };
        for &Event { pos, ev } in events {
            match ev {
                Ev::Ehlo(name) if glance.ehlo.is_none() => glance.ehlo = Some(text(name)?),
                Ev::HelloReply(host) if glance.hello_reply_host.is_none() => {
                    glance.hello_reply_host = Some(text(host)?);
                }
                // After the first greeting read, the others are passed over (see `build`).
                // A Receive log's greeting is its own server's: not glanced.
                Ev::Banner(reply) if kind == LogKind::Send && glance.banner_host.is_none() => {
                    let Some((host, date)) = parse_banner_dated(text(reply)?, true) else {
                        continue;
                    };
                    if let (Some(remote), Some(local)) = (date, pos.ts()) {
                        glance.clock_sample = Some(GlancedSample {
                            remote_server: host,
                            remote_ip: glance.remote_endpoint.map(crate::net::endpoint_host),
                            time: local,
                            offset_s: seconds_between(local, remote),
                            line: pos.line,
                        });
                    }
                    glance.banner_host = Some(host);
                    glance.banner_at = Some(pos);
                }
                _ => {}
            }
        }
        Some(glance)
    }

    /// The summary of the session's sorted `events` over its text `bytes`, as much of it as
    /// `detail` asks for.
    fn summarize(
        &self,
        kind: LogKind,
        id: u64,
        detail: SessionDetail,
        events: &[Event],
        bytes: &[u8],
    ) -> SessionSummary {
        match detail {
            SessionDetail::Full => self.build(kind, id, events, bytes, true),
            // A session with an attempt that did not succeed is built again, in full: rare, and
            // its summary is then exactly the full one.
            SessionDetail::Failures => self
                .build_if_all_succeeded(kind, id, events, bytes)
                .unwrap_or_else(|| self.build(kind, id, events, bytes, true)),
        }
    }

    /// The [`SessionDetail::Failures`] summary of a session whose attempts all succeeded (they
    /// are left out); `None` when one did not.
    fn build_if_all_succeeded(
        &self,
        kind: LogKind,
        id: u64,
        events: &[Event],
        bytes: &[u8],
    ) -> Option<SessionSummary> {
        let s = self.build(kind, id, events, bytes, false);
        // Built so, it holds the attempts that did not succeed (see `push_attempt`).
        s.auth_attempts.is_empty().then_some(s)
    }

    /// The summary of the session's `events` (sorted) over its text `bytes`. Not `full`: the
    /// texts [`SessionDetail::Failures`] leaves out are not built, and attempts come without
    /// their texts (mechanism, status, reply, session id): only their outcomes are right.
    fn build(
        &self,
        kind: LogKind,
        id: u64,
        events: &[Event],
        bytes: &[u8],
        full: bool,
    ) -> SessionSummary {
        let get = |span: Span| bytes.get(span.start..span.end).unwrap_or_default();
        let string = |span: Span| text(get(span));
        // A text only the full summary carries.
        let full_text = |span: Span| if full { string(span) } else { String::new() };
        // The summary's id, and a copy for its attempts and samples only when `full` (a healthy
        // session's summary is built without one).
        let summary_id = session_id_text(id).as_str().to_owned();
        let session_id = if full {
            summary_id.clone()
        } else {
            String::new()
        };
        let mut s = SessionSummary {
            log: kind,
            session_id: summary_id,
            start: self.first.ts(),
            end: self.last.ts(),
            local_endpoint: self.local.map(string),
            remote_endpoint: self.remote.map(string),
            connector: string(self.connector),
            partial: false,
            has_start: self.first.seq == 0,
            has_end: false,
            connect_time: None,
            banner_time: None,
            banner_host: None,
            ehlo_time: None,
            ehlo: None,
            hello_reply_host: None,
            advertised: Advertised::default(),
            tls_command: None,
            tls_outcome: None,
            tls_detail: None,
            permissions_before_auth: None,
            permissions_after_auth: None,
            proxy_session_id: None,
            ticket_cache_flush: None,
            disconnect_reason: None,
            auth_attempts: Vec::new(),
            clock_samples: Vec::new(),
            rows: self.rows,
            first_line: self.first.line,
            last_line: self.last.line,
            first_file: self.first.file,
            last_file: self.last.file,
        };
        let mut attempt: Option<AuthAttempt> = None;
        let mut authenticated = false;
        let new_attempt = |pos: &Pos, mechanism: String| AuthAttempt {
            log: kind,
            session_id: if full {
                session_id.clone()
            } else {
                String::new()
            },
            time: pos.ts(),
            mechanism,
            outcome: AuthOutcome::Other,
            status: None,
            reply: None,
            line: pos.line,
            file: pos.file,
        };
        for &Event { pos, ev } in events {
            match ev {
                Ev::Connect => {
                    s.has_start = true;
                    if s.connect_time.is_none() {
                        s.connect_time = pos.ts();
                    }
                }
                Ev::Disconnect(reason) => {
                    s.has_end = true;
                    s.disconnect_reason = reason.filter(|_| full).map(string);
                }
                Ev::Permissions(_) if !full => {}
                Ev::Permissions(p) => {
                    if authenticated {
                        s.permissions_after_auth = Some(string(p));
                    } else {
                        s.permissions_before_auth = Some(string(p));
                    }
                }
                Ev::Ehlo(name) => {
                    if s.ehlo.is_none() {
                        s.ehlo = Some(string(name));
                        s.ehlo_time = pos.ts();
                    }
                }
                Ev::HelloReply(host) => {
                    if s.hello_reply_host.is_none() {
                        s.hello_reply_host = Some(string(host));
                    }
                }
                Ev::Capability(cap, names) => {
                    let adv = &mut s.advertised;
                    match cap {
                        Capability::StartTls => adv.starttls = true,
                        Capability::AnonymousTls => adv.anonymous_tls = true,
                        _ if !full => {}
                        Capability::Auth => merge_names(&mut adv.auth, get(names)),
                        Capability::Exps => merge_names(&mut adv.exps, get(names)),
                        Capability::ExchangeAuth => merge_names(&mut adv.exchange_auth, get(names)),
                    }
                }
                Ev::Banner(reply) => {
                    if s.banner_time.is_some() || s.banner_host.is_some() {
                        continue;
                    }
                    let with_date = kind == LogKind::Send;
                    let reply = text_borrowed(get(reply));
                    let Some((host, date)) = parse_banner_dated(&reply, with_date) else {
                        continue;
                    };
                    s.banner_time = pos.ts();
                    if let (LogKind::Send, Some(remote), Some(local)) = (kind, date, pos.ts()) {
                        s.clock_samples.push(ClockSample {
                            basis: ClockBasis::Banner,
                            remote_server: Some(host.to_owned()),
                            remote_ip: s.remote_endpoint.as_deref().map(endpoint_ip),
                            time: local,
                            offset_s: seconds_between(local, remote),
                            session_id: full.then(|| session_id.clone()),
                            line: Some(pos.line),
                        });
                    }
                    s.banner_host = Some(host.to_owned());
                }
                Ev::TlsCommand(verb) => {
                    if full && s.tls_command.is_none() {
                        s.tls_command = Some(verb.to_owned());
                    }
                }
                Ev::TlsSucceeded(protocol) => {
                    s.tls_outcome = Some(TlsOutcome::Succeeded);
                    s.tls_detail = protocol.filter(|_| full).map(string);
                }
                Ev::TlsFailed(status) => {
                    s.tls_outcome = Some(TlsOutcome::Failed);
                    s.tls_detail = full.then(|| string(status));
                }
                Ev::AuthCommand(mechanism) => {
                    if let Some(open) = attempt.take() {
                        push_attempt(&mut s.auth_attempts, open, full);
                    }
                    attempt = Some(new_attempt(&pos, full_text(mechanism)));
                }
                Ev::Reply(code, line) => {
                    let line = get(line);
                    let is_auth_reply = (code == 454 || code == 535) && contains_ci(line, b"auth");
                    let mut current = match attempt.take() {
                        Some(a) => a,
                        None if code == 235 || is_auth_reply => new_attempt(&pos, String::new()),
                        None => continue,
                    };
                    current.outcome = match code {
                        334 => {
                            attempt = Some(current);
                            continue;
                        }
                        235 => {
                            authenticated = true;
                            AuthOutcome::Success
                        }
                        454 | 535 => AuthOutcome::Rejected,
                        _ => AuthOutcome::Other,
                    };
                    current.reply = full.then(|| text(line));
                    push_attempt(&mut s.auth_attempts, current, full);
                }
                Ev::AuthFailure {
                    sender_side,
                    status,
                    mechanism,
                } => {
                    let mut current = attempt.take().unwrap_or_else(|| {
                        let inferred = if mechanism.is_empty()
                            && sender_side
                            && s.advertised.exps.iter().any(|m| m == "EXCHANGEAUTH")
                        {
                            "X-EXPS EXCHANGEAUTH"
                        } else {
                            mechanism
                        };
                        new_attempt(
                            &pos,
                            if full {
                                inferred.to_owned()
                            } else {
                                String::new()
                            },
                        )
                    });
                    current.status = status.filter(|_| full).map(string).or(current.status);
                    if sender_side {
                        current.outcome = AuthOutcome::SenderFailed;
                        push_attempt(&mut s.auth_attempts, current, full);
                    } else {
                        // The receiver's reply (454/535) follows and closes the attempt.
                        attempt = Some(current);
                    }
                }
                Ev::NotOffered(line) => {
                    if let Some(open) = attempt.take() {
                        push_attempt(&mut s.auth_attempts, open, full);
                    }
                    let mechanism = if full { "X-EXPS EXCHANGEAUTH" } else { "" };
                    let mut a = new_attempt(&pos, mechanism.to_owned());
                    a.outcome = AuthOutcome::NotOffered;
                    a.reply = full.then(|| string(line));
                    push_attempt(&mut s.auth_attempts, a, full);
                }
                Ev::TicketFlush(msg) => s.ticket_cache_flush = full.then(|| string(msg)),
                Ev::Proxy(id) => {
                    if full && s.proxy_session_id.is_none() {
                        s.proxy_session_id = Some(string(id));
                    }
                }
            }
        }
        if let Some(open) = attempt {
            push_attempt(&mut s.auth_attempts, open, full);
        }
        s.partial = !(s.has_start && s.has_end);
        s
    }
}

/// Whether every authentication attempt of a session's sorted `events` surely succeeded (or it
/// made none), as [`OpenSession::build`] reads them: each `AUTH`/`X-EXPS` command answered by a
/// `235` before the next command and the end, no other reply that can end an attempt (a `334`
/// continues one), no failure row, no `451 5.7.3`. False for any other session, which may still
/// be healthy: it is then built and judged in full.
fn surely_all_succeeded(events: &[Event]) -> bool {
    let mut open = false;
    for event in events {
        match event.ev {
            Ev::AuthCommand(_) if open => return false,
            Ev::AuthCommand(_) => open = true,
            Ev::Reply(235, _) => open = false,
            Ev::Reply(334, _) => {}
            Ev::Reply(..) | Ev::AuthFailure { .. } | Ev::NotOffered(_) => return false,
            _ => {}
        }
    }
    !open
}

/// Adds an attempt to a summary being built. Not `full`, the summary is the one of a session
/// whose attempts all succeeded, which leaves them out: a successful one is not kept (no vector
/// allocated and dropped per session), one that did not succeed is, for
/// [`OpenSession::build_if_all_succeeded`] to see.
fn push_attempt(attempts: &mut Vec<AuthAttempt>, attempt: AuthAttempt, full: bool) {
    if full || attempt.outcome != AuthOutcome::Success {
        attempts.push(attempt);
    }
}

/// `{id:016X}` without the formatting machinery (once per session), on the stack.
fn session_id_text(id: u64) -> SessionIdText {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut text = [0u8; 16];
    for (i, digit) in text.iter_mut().rev().enumerate() {
        *digit = DIGITS
            .get(((id >> (i * 4)) & 0xF) as usize)
            .copied()
            .unwrap_or(b'0');
    }
    SessionIdText(text)
}

/// A session id's 16 upper-case hex digits.
struct SessionIdText([u8; 16]);

impl SessionIdText {
    fn as_str(&self) -> &str {
        // Hex digits only: always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

pub(crate) fn seconds_between(a: Timestamp, b: Timestamp) -> f64 {
    (b.as_millisecond() - a.as_millisecond()) as f64 / 1000.0
}

/// The address part of `ip:port` or `[v6]:port`.
pub(crate) fn endpoint_ip(endpoint: &str) -> String {
    crate::net::endpoint_host(endpoint).to_owned()
}

fn reply_code(data: &[u8]) -> Option<u16> {
    let [a, b, c, ..] = data else { return None };
    if !(a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit()) {
        return None;
    }
    if !matches!(data.get(3), None | Some(b' ' | b'-')) {
        return None;
    }
    Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Texts looked for inside a row's message, each searcher built once (building one costs more
/// than searching a row; every session has a TLS row).
static SUCCEEDED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"succeeded"));
static TICKET_CACHE: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(b"Kerberos ticket cache"));

/// ASCII case-insensitive substring test (`needle` lower-case).
fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Value of each hex digit (any case); 0xFF for other bytes.
static HEX_DIGIT: [u8; 256] = {
    let mut table = [0xFF_u8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'A' as usize + i] = 10 + i as u8;
        table[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// The last session id parsed by [`parse_hex16`]: consecutive rows mostly share one.
#[derive(Debug, Default)]
struct SessionIdCache(Option<([u8; 16], u64)>);

impl SessionIdCache {
    #[inline(always)]
    fn parse(&mut self, digits: &[u8; 16]) -> Option<u64> {
        match self.0 {
            Some((last, id)) if last == *digits => Some(id),
            _ => {
                let id = parse_hex16(digits)?;
                self.0 = Some((*digits, id));
                Some(id)
            }
        }
    }
}

/// Exactly 16 hex digits (any case), as [`parse_session_id`] reads them, eight bytes at a time.
#[inline(always)]
fn parse_hex16(b: &[u8; 16]) -> Option<u64> {
    let (hi, lo) = b.split_at(8);
    let word = |half: &[u8]| <[u8; 8]>::try_from(half).map(u64::from_be_bytes).ok();
    Some((parse_hex8(word(hi)?)? << 32) | parse_hex8(word(lo)?)?)
}

/// Eight hex digits packed in a word (first digit in the top byte), as a number.
#[inline(always)]
fn parse_hex8(w: u64) -> Option<u64> {
    const HIGHS: u64 = every_byte(0x80);
    // Bytes below 0x80 only, so adding less than 0x80 to each carries into no other byte; the
    // high bit of `x + (0x80 - c)` is then set exactly where the byte is >= c.
    if w & HIGHS != 0 {
        return None;
    }
    let at_least = |x: u64, c: u8| x.wrapping_add(every_byte(0x80 - c)) & HIGHS;
    let digit = at_least(w, b'0') & !at_least(w, b'9' + 1);
    let lower = w | every_byte(0x20);
    let letter = at_least(lower, b'a') & !at_least(lower, b'f' + 1);
    if digit | letter != HIGHS {
        return None;
    }
    // '0'-'9' keep their low nibble; 'A'-'F'/'a'-'f' (bit 6 set) add 9 to theirs.
    let v = (w & every_byte(0x0F)) + ((w >> 6) & every_byte(1)) * 9;
    let v = ((v >> 4) | v) & 0x00FF_00FF_00FF_00FF;
    let v = ((v >> 8) | v) & 0x0000_FFFF_0000_FFFF;
    Some(((v >> 16) | v) & 0xFFFF_FFFF)
}

/// 1–16 hex digits (any case) as a number.
pub(crate) fn parse_session_id(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    let mut v: u64 = 0;
    let mut invalid = 0;
    for &c in b {
        let d = HEX_DIGIT.get(usize::from(c)).copied().unwrap_or(0xFF);
        invalid |= d;
        v = (v << 4) | u64::from(d & 0x0F);
    }
    // Only 0xFF has bits above the low nibble.
    (invalid < 0x10).then_some(v)
}

fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Rows of a file come in the same minute, give or take the interleaving of sessions: remember
/// the last fixed-layout `yyyy-MM-ddTHH:mm` prefix and its value, so a row costs a 16-byte compare
/// and five digits. And a session's rows come in bursts written in the same millisecond (an EHLO
/// reply's dozen lines): the last whole time and its value are remembered too, so such a row costs
/// a 24-byte compare.
#[derive(Debug, Default)]
struct TimeCache {
    prefix: [u8; 16],
    /// Value of `prefix` (ms), set only from a time the fixed-layout parser accepted.
    minute_ms: Option<i64>,
    /// The last time the fixed-layout parser accepted, as three words, and its value.
    last: Option<([u64; 3], i64)>,
}

/// A fixed-layout time as three words, for one compare each.
#[inline(always)]
fn time_words(fixed: &[u8; 24]) -> [u64; 3] {
    let word = |at: usize| {
        fixed
            .get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    [word(0), word(8), word(16)]
}

impl TimeCache {
    /// The fixed `yyyy-MM-ddTHH:mm:ss.fffZ` layout only (`None` for anything else, which the
    /// general path then parses).
    #[inline(always)]
    fn parse_standard(&mut self, fixed: &[u8; 24]) -> Option<i64> {
        let words = time_words(fixed);
        if let Some((last, ms)) = self.last {
            if last == words {
                return Some(ms);
            }
        }
        let ms = self.parse_standard_anew(fixed)?;
        self.last = Some((words, ms));
        Some(ms)
    }

    #[inline(always)]
    fn parse_standard_anew(&mut self, fixed: &[u8; 24]) -> Option<i64> {
        let [.., b':', s0, s1, b'.', f0, f1, f2, b'Z'] = *fixed else {
            return None;
        };
        if let Some(base) = self.minute_ms {
            let digits = [s0, s1, f0, f1, f2];
            if fixed.first_chunk::<16>() == Some(&self.prefix)
                && digits.iter().all(u8::is_ascii_digit)
            {
                let [s0, s1, f0, f1, f2] = digits.map(|d| i64::from(d - b'0'));
                let second = s0 * 10 + s1;
                if second <= 59 {
                    return Some(base + second * 1000 + f0 * 100 + f1 * 10 + f2);
                }
            }
        }
        let ms = parse_fixed_utc(fixed)?;
        if let Some(prefix) = fixed.first_chunk::<16>() {
            self.prefix = *prefix;
            self.minute_ms = Some(ms - ms.rem_euclid(60_000));
        }
        Some(ms)
    }

    fn parse(&mut self, b: &[u8]) -> Option<i64> {
        let Ok(fixed) = <&[u8; 24]>::try_from(b) else {
            return parse_utc_ms(b);
        };
        self.parse_standard(fixed).or_else(|| parse_utc_ms(b))
    }
}

/// `yyyy-MM-ddTHH:mm:ss.fffZ` by hand (every row has one), anything else through jiff.
pub fn parse_utc(b: &[u8]) -> Option<Timestamp> {
    Timestamp::from_millisecond(parse_utc_ms(b)?).ok()
}

/// [`parse_utc`] as milliseconds since the epoch.
fn parse_utc_ms(b: &[u8]) -> Option<i64> {
    if let Ok(fixed) = <&[u8; 24]>::try_from(b) {
        if let Some(ms) = parse_fixed_utc(fixed) {
            return Some(ms);
        }
    }
    let ts: Timestamp = std::str::from_utf8(b).ok()?.trim().parse().ok()?;
    Some(ts.as_millisecond())
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (H. Hinnant's
/// `days_from_civil`), for the dates read by hand: a row's time, a banner's date.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_fixed_utc(b: &[u8; 24]) -> Option<i64> {
    let [y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0, s1, b'.', f0, f1, f2, b'Z'] =
        *b
    else {
        return None;
    };
    let digits = [
        y0, y1, y2, y3, mo0, mo1, d0, d1, h0, h1, mi0, mi1, s0, s1, f0, f1, f2,
    ];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |a: u8, b: u8| i64::from(a - b'0') * 10 + i64::from(b - b'0');
    let year = n(y0, y1) * 100 + n(y2, y3);
    let (month, day) = (n(mo0, mo1), n(d0, d1));
    let (hour, minute, second) = (n(h0, h1), n(mi0, mi1), n(s0, s1));
    let millis = n(f0, f1) * 10 + i64::from(f2 - b'0');
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Years 0000–9999 only: always inside Timestamp's range.
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The open-session slab gives each key its own session whatever the order of the rows
    /// (runs of one session, alternation, a session ended and its slot reused), and drains
    /// every session still open.
    #[test]
    fn open_sessions_keep_each_key_apart() {
        let pos = Pos {
            seq: 0,
            time: None,
            line: 1,
            file: 0,
        };
        let session = |rows| OpenSession {
            rows,
            ..OpenSession::new(Span::default(), pos, Buffers::default())
        };
        let mut open = OpenSessions::default();
        let keys = [
            (LogKind::Send, 1),
            (LogKind::Receive, 1),
            (LogKind::Send, 2),
        ];
        // Rows: 1 1 R1 1 2 R1 2 2 1.
        let rows = [0, 0, 1, 0, 2, 1, 2, 2, 0];
        for (n, &k) in rows.iter().enumerate() {
            let s = open
                .get_or_insert_with(keys[k], || session(100 * k as u64))
                .unwrap();
            s.rows += 1;
            s.last.line = n as u64;
        }
        let count = |open: &OpenSessions, k: usize| {
            open.iter()
                .find(|(key, _)| **key == keys[k])
                .map(|(_, s)| s.rows)
        };
        assert_eq!(open.len(), 3);
        assert_eq!(
            [count(&open, 0), count(&open, 1), count(&open, 2)],
            [Some(4), Some(102), Some(203)]
        );
        // Ending the last row's session forgets it; a new key takes its slot.
        assert_eq!(open.remove(&keys[0]).map(|s| s.rows), Some(4));
        assert!(open.remove(&keys[0]).is_none());
        let fresh = (LogKind::Receive, 9);
        open.get_or_insert_with(fresh, || session(900))
            .unwrap()
            .rows += 1;
        open.get_or_insert_with(keys[2], || session(0))
            .unwrap()
            .rows += 1;
        assert_eq!(open.slots.len(), 3, "the emptied slot is reused");
        let mut left: Vec<_> = open.drain().into_iter().map(|(k, s)| (k, s.rows)).collect();
        left.sort_unstable();
        assert_eq!(left, [(keys[2], 204), (keys[1], 102), (fresh, 901)]);
        assert_eq!(open.len(), 0);
        assert!(open.iter().next().is_none());
    }

    proptest::proptest! {
        /// Whatever came before, the cache reads each time as the parser alone does: repeats,
        /// other seconds of the minute, other minutes, and times it must refuse.
        #[test]
        fn time_cache_reads_each_time_as_the_parser_does(
            times in proptest::collection::vec(proptest::sample::select(&[
                "2026-11-26T07:31:30.821Z", "2026-11-26T07:31:30.821Z", "2026-11-26T07:31:30.822Z",
                "2026-11-26T07:31:59.999Z", "2026-11-26T07:32:00.000Z", "2026-11-26T07:31:60.000Z",
                "2026-11-26T07:31:3x.821Z", "2026-11-27T07:31:30.821Z", "2026-11-26T07:31:30.821+",
                "2026-02-30T07:31:30.821Z", "1970-01-01T00:00:00.000Z",
            ][..]), 0..40),
        ) {
            let mut cache = TimeCache::default();
            for time in times {
                let fixed: &[u8; 24] = time.as_bytes().try_into().unwrap();
                assert_eq!(cache.parse_standard(fixed), parse_fixed_utc(fixed), "{time}");
            }
        }
    }

    #[test]
    fn fixed_time_parser_agrees_with_jiff() {
        for s in [
            "2016-12-14T01:17:34.808Z",
            "2000-02-29T23:59:59.999Z",
            "1970-01-01T00:00:00.000Z",
            "2024-03-01T00:00:00.001Z",
        ] {
            let expected: Timestamp = s.parse().unwrap();
            assert_eq!(parse_utc(s.as_bytes()), Some(expected), "{s}");
        }
        assert_eq!(
            parse_utc(b"2019-03-21T13:00:45Z"),
            Some("2019-03-21T13:00:45Z".parse().unwrap())
        );
        assert_eq!(parse_utc(b"2019-13-21T13:00:45.000Z"), None);
        assert_eq!(parse_utc(b"garbage"), None);
    }

    /// The standard-layout classification keeps exactly what [`classify`] over the general
    /// field split keeps, rows it dismisses unsplit included.
    /// The row path's event for a row with `data` (the rest of the line), checked against the
    /// general path's.
    fn assert_skip_is_safe(kind: LogKind, event: u8, data: &[u8]) -> Option<Ev> {
        let mut line = b"2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,1,a,b,".to_vec();
        line.push(event);
        line.push(b',');
        let data_start = line.len();
        line.extend_from_slice(data);
        let split = split_standard(&line).unwrap();
        assert_eq!(split.data_start, data_start);
        let columns = ColumnMap::default();
        let (mut fast_text, mut general_text) = (Vec::new(), Vec::new());
        let mut spans = Vec::new();
        let fast = classify_standard(
            kind,
            event,
            &line,
            &split,
            &columns,
            &mut spans,
            &mut fast_text,
        );
        let mut row = LazyFields::new(&line, &mut spans);
        let general = classify(kind, event, &mut row, &columns, &mut general_text);
        let show = String::from_utf8_lossy(data);
        assert_eq!(fast, general, "{kind:?} {} {show:?}", event as char);
        assert_eq!(
            fast_text, general_text,
            "{kind:?} {} {show:?}",
            event as char
        );
        fast
    }

    #[test]
    fn skipped_rows_are_rows_classify_ignores() {
        for kind in [LogKind::Send, LogKind::Receive] {
            for event in [b'<', b'>'] {
                for data in [
                    &b"MAIL FROM:<a@b.c> SIZE=1,"[..],
                    b"RCPT TO:<a@b.c>,",
                    b"BDAT 1 LAST,",
                    b"QUIT,",
                    b"221 2.0.0 Service closing transmission channel,",
                    b"354 Start,",
                    b"25,",
                    b"250",
                    b"",
                    b",x",
                ] {
                    assert_skip_is_safe(kind, event, data);
                }
            }
        }
        for event in [b'*', b'-', b'+'] {
            for data in [
                &b"SendRoutingHeaders,Set Session Permissions"[..],
                b",\"TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded, yes\"",
                b",TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded",
                b"\"a,b\",Set Session Permissions",
                b",Local",
                b",Remote,extra,commas",
                b"Outbound Authentication failed with TimeSkew,",
                b"",
            ] {
                assert_skip_is_safe(LogKind::Send, event, data);
                assert_skip_is_safe(LogKind::Receive, event, data);
            }
        }
        // EHLO reply lines, judged on the unsplit rest of the row: what each gives on the server's
        // side of either log (and, the general path's way, on the client's).
        let hello = [
            &b"250-EX02.contoso.com Hello [10.0.0.11],"[..],
            b"250-EX02.contoso.com Hello,[10.0.0.11]",
            b"250-EX02 Hello,",
        ];
        let capabilities = [
            (&b"250-X-EXPS GSSAPI NTLM,"[..], Capability::Exps),
            (b"250-auth=LOGIN,", Capability::Auth),
            (b"250-AUTH,NTLM", Capability::Auth),
            (b"250 STARTTLS", Capability::StartTls),
            (b"250-X-EXCHANGEAUTH SHA256,", Capability::ExchangeAuth),
            (b"250-X-ANONYMOUSTLS,", Capability::AnonymousTls),
        ];
        // Lines that begin like a capability or a `Hello` line without being one, and statuses.
        let nothing = [
            &b"250-PIPELINING,"[..],
            b"250-SIZE 37748736,",
            b"250-XEXCH50,",
            b"250-XRDST,",
            b"250 XSHADOW,",
            b"250-SMTPUTF8,",
            b"250-AUTHX NTLM,",
            b"250-X-EXPSX,",
            b"250-ENHANCEDSTATUSCODES,",
            b"250-EX02.contoso.com Hellos,",
            b"250-EX02.contoso.com ,Hello",
            b"250-EX02,Hello",
            b"250 2.1.0 Sender OK,",
        ];
        for kind in [LogKind::Send, LogKind::Receive] {
            let row = |data: &[u8]| {
                assert_skip_is_safe(kind, kind.client_event(), data);
                assert_skip_is_safe(kind, kind.server_event(), data)
            };
            for data in hello {
                assert!(matches!(row(data), Some(Ev::HelloReply(_))), "{data:?}");
            }
            for (data, want) in capabilities {
                let got = row(data);
                assert!(
                    matches!(got, Some(Ev::Capability(cap, _)) if cap == want),
                    "{data:?}: {got:?}"
                );
            }
            for data in nothing {
                assert_eq!(row(data), None, "{data:?}");
            }
        }
        assert!(!may_matter(LogKind::Send, b'>', b"MAIL FROM:<a@b.c>,"));
    }

    proptest::proptest! {
        #[test]
        fn skipping_never_loses_a_row(
            prefix in proptest::sample::select(&[
                "", "250-", "250 ", "250", "220 ", "451 ", "EHLO", "\"", "Set Session Permissions",
                "TLS protocol ", ",Inbound ExchangeAuth negotiation failed because ",
                "\"220 EX1 Microsoft ESMTP MAIL Service ready at ", ",\"TLS protocol P succeeded",
                "\"Inbound authentication failed because of IllegalMessage\",", "\"\"",
                ",\"Outbound Authentication failed with ", "\"451 5.7.3 x,y\",",
                "\"AUTH ", "\"EHLO x\",", "250-AUTH", "250-auth", "250 X-EXPS", "250-x-expS",
                "250-STARTTLS", "250-X-ANONYMOUSTLS", "250-X-EXCHANGEAUTH", "250-x-exchangeauth",
                "250-SIZE", "250-XEXCH50", "250-XRDST", "250 XSHADOW", "250-X-EXPSX", "250= AUTH",
            ][..]),
            tail in proptest::collection::vec(
                proptest::sample::select(&b"250- =,\"HeloSXAax2345"[..]), 0..24),
            event in proptest::sample::select(&b"<>*+-"[..]),
            send in proptest::bool::ANY,
        ) {
            let kind = if send { LogKind::Send } else { LogKind::Receive };
            let mut data = prefix.as_bytes().to_vec();
            data.extend_from_slice(&tail);
            assert_skip_is_safe(kind, event, &data);
        }
    }

    /// The EHLO line classifier as it was written first (keyword compared with each name in
    /// turn, the next word found by splitting): the reference for the one that goes by length.
    fn classify_ehlo_line_by_words(rest: &[u8], text: &mut Vec<u8>) -> Option<Ev> {
        let start = rest.iter().position(|&b| !is_ehlo_separator(b))?;
        let after_start = &rest[start..];
        let len = after_start
            .iter()
            .position(|&b| is_ehlo_separator(b))
            .unwrap_or(after_start.len());
        let (keyword, names) = after_start.split_at(len);
        let cap = if keyword.eq_ignore_ascii_case(b"STARTTLS") {
            Capability::StartTls
        } else if keyword.eq_ignore_ascii_case(b"X-ANONYMOUSTLS") {
            Capability::AnonymousTls
        } else if keyword.eq_ignore_ascii_case(b"AUTH") {
            Capability::Auth
        } else if keyword.eq_ignore_ascii_case(b"X-EXPS") {
            Capability::Exps
        } else if keyword.eq_ignore_ascii_case(b"X-EXCHANGEAUTH") {
            Capability::ExchangeAuth
        } else if ehlo_words(names).next() == Some(b"Hello") {
            return Some(Ev::HelloReply(keep(text, keyword)));
        } else {
            return None;
        };
        let names = match cap {
            Capability::StartTls | Capability::AnonymousTls => Span::default(),
            _ => keep(text, names),
        };
        Some(Ev::Capability(cap, names))
    }

    proptest::proptest! {
        /// Classified by length, an EHLO line gives what the word-by-word classifier gives (its
        /// event and the text it keeps).
        #[test]
        fn ehlo_lines_classify_as_word_by_word(
            line in "[ =]{0,2}(AUTH|auth|X-EXPS|STARTTLS|starttls|X-ANONYMOUSTLS|X-EXCHANGEAUTH|\
                X-EXCHANGEAUT|AUTHX|SIZE|XSHADOW|EX1\\.contoso\\.com|8BITMIME)\
                ([ =]{0,2}(Hello|hello|Hellox|GSSAPI|NTLM|\\[10\\.0\\.0\\.1\\]))*[ =]{0,2}"
        ) {
            let (mut by_length, mut by_words) = (Vec::new(), Vec::new());
            let got = classify_ehlo_line(line.as_bytes(), &mut by_length);
            let want = classify_ehlo_line_by_words(line.as_bytes(), &mut by_words);
            proptest::prop_assert_eq!(got, want, "{:?}", line);
            proptest::prop_assert_eq!(by_length, by_words);
        }
    }

    proptest::proptest! {
        /// An EHLO line judged on the rest of its row (the field ending at the first comma) gives
        /// what the word-by-word classifier gives for the field alone, whatever follows the comma.
        #[test]
        fn ehlo_lines_in_rows_classify_as_their_field_alone(
            field in "[ =]{0,2}(AUTH|auth|X-EXPS|STARTTLS|X-ANONYMOUSTLS|X-EXCHANGEAUTH|\
                X-EXCHANGEAUT|AUTHX|SIZE|ENHANCEDSTATUSCODES|EX1\\.contoso\\.com|2\\.1\\.0)\
                ([ =]{0,3}(Hello|hello|Hellox|GSSAPI|NTLM|\\[10\\.0\\.0\\.1\\]|OK))*[ =]{0,2}",
            rest in "(,[ =]{0,2}(Hello|NTLM|,|x){0,3})?",
        ) {
            let row = format!("{field}{rest}");
            let (mut in_row, mut alone) = (Vec::new(), Vec::new());
            let got = classify_ehlo(row.as_bytes(), FieldEnd::AtComma, &mut in_row);
            let want = classify_ehlo_line_by_words(field.as_bytes(), &mut alone);
            proptest::prop_assert_eq!(got, want, "{:?}", row);
            proptest::prop_assert_eq!(in_row, alone);
        }

        /// A keyword is a name as `eq_ignore_ascii_case` says, whatever its length and case
        /// (a longer word that starts with the name is not it).
        #[test]
        fn same_name_is_equality_without_ascii_case(
            word in "(AUTH|auth|Auth|X-EXPS|x-exps|STARTTLS|StartTls|EHLO|helo|X-ANONYMOUSTLS)\
                [A-Za-z\\-]{0,2}",
        ) {
            let word = word.as_bytes();
            proptest::prop_assert_eq!(same_name(word, b"AUTH"), word.eq_ignore_ascii_case(b"AUTH"));
            proptest::prop_assert_eq!(same_name(word, b"X-EXPS"), word.eq_ignore_ascii_case(b"X-EXPS"));
            proptest::prop_assert_eq!(
                same_name(word, b"STARTTLS"),
                word.eq_ignore_ascii_case(b"STARTTLS")
            );
            proptest::prop_assert_eq!(same_name(word, b"EHLO"), word.eq_ignore_ascii_case(b"EHLO"));
            proptest::prop_assert_eq!(
                same_name(word, b"X-ANONYMOUSTLS"),
                word.eq_ignore_ascii_case(b"X-ANONYMOUSTLS")
            );
        }

        /// A command row is told as the verb split at its first space and compared without
        /// case tells it, and its mechanism words are kept as the upper-casing of every word
        /// gave them (the code before, word by word, to each word's end).
        #[test]
        fn commands_classify_as_split_word_by_word(
            command in "(AUTH|auth|X-EXPS|x-Exps|STARTTLS|starttls|X-ANONYMOUSTLS|X-anonymousTLS\
                |AUTHX|X-EXPSX|STARTTLSX|X-ANONYMOUSTLSX|SX|A|X) {0,2}((GSSAPI|NTLM|ntlm|\
                EXCHANGEAUTH|X_1|[A-Z]{20}|[A-Z]{21}|[A-Za-z0-9+/=]{19,30}) {1,2}){0,4}",
        ) {
            let data = command.as_bytes();
            let verb = data.split(|&b| b == b' ').next().unwrap_or_default();
            let mut want_text = Vec::new();
            let want = if verb.eq_ignore_ascii_case(b"STARTTLS") {
                Some(Ev::TlsCommand("STARTTLS"))
            } else if verb.eq_ignore_ascii_case(b"X-ANONYMOUSTLS") {
                Some(Ev::TlsCommand("X-ANONYMOUSTLS"))
            } else if verb.eq_ignore_ascii_case(b"AUTH") || verb.eq_ignore_ascii_case(b"X-EXPS") {
                let words = data.split(|&b| b == b' ').filter(|w| !w.is_empty());
                for (i, word) in words.enumerate() {
                    let is_name = word.len() <= 20
                        && word.iter().all(|b| {
                            b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_')
                        });
                    if i > 0 && !is_name {
                        break;
                    }
                    if i > 0 {
                        want_text.push(b' ');
                    }
                    want_text.extend(word.iter().map(u8::to_ascii_uppercase));
                }
                Some(Ev::AuthCommand(Span { start: 6, end: 6 + want_text.len() }))
            } else {
                None
            };
            let mut text = b"before".to_vec();
            let got = classify_command(data, &mut text);
            proptest::prop_assert_eq!(got, want);
            if let Some(Ev::AuthCommand(span)) = got {
                proptest::prop_assert_eq!(&text[span.start..span.end], &want_text[..]);
            }
        }

        /// The word-at-a-time search ends a word where a byte loop does.
        #[test]
        fn ehlo_word_end_is_where_a_byte_loop_stops(
            word in proptest::collection::vec(proptest::sample::select(&b" =,aZ.-\x80\xff"[..]), 0..40),
            at_comma in proptest::bool::ANY,
        ) {
            let end = if at_comma { FieldEnd::AtComma } else { FieldEnd::AtEnd };
            let want = word
                .iter()
                .position(|&b| b == b' ' || b == b'=' || (at_comma && b == b','))
                .unwrap_or(word.len());
            proptest::prop_assert_eq!(ehlo_word_end(&word, end), want);
        }
    }

    #[test]
    fn ehlo_lines_name_capabilities_and_the_hello_host() {
        let mut text = Vec::new();
        let hello = classify_ehlo_line(b"EX12.contoso.com Hello [10.0.1.15]", &mut text);
        assert!(matches!(hello, Some(Ev::HelloReply(_))));
        assert_eq!(text, b"EX12.contoso.com");
        let exps = classify_ehlo_line(b"X-EXPS EXCHANGEAUTH GSSAPI NTLM", &mut text);
        assert!(matches!(exps, Some(Ev::Capability(Capability::Exps, _))));
        assert_eq!(classify_ehlo_line(b"XSHADOW", &mut text), None);
        assert_eq!(classify_ehlo_line(b"EX12 Hellos", &mut text), None);
    }

    proptest::proptest! {
        #[test]
        fn word_hex_parse_agrees_with_parse_session_id(
            id in proptest::array::uniform16(proptest::sample::select(
                &b"0123456789abcdefABCDEFgG/:@`\x00\x7F\x80\xC6\xFF ,"[..])),
            value in proptest::num::u64::ANY,
        ) {
            assert_eq!(parse_hex16(&id), parse_session_id(&id));
            let upper = format!("{value:016X}");
            let lower = format!("{value:016x}");
            assert_eq!(session_id_text(value).as_str(), upper);
            assert_eq!(parse_hex16(upper.as_bytes().try_into().unwrap()), Some(value));
            assert_eq!(parse_hex16(lower.as_bytes().try_into().unwrap()), Some(value));
        }
    }

    #[test]
    fn reads_ids_codes_and_statuses() {
        assert_eq!(
            parse_session_id(b"08D6A8D416004F77"),
            Some(0x08D6_A8D4_1600_4F77)
        );
        assert_eq!(parse_session_id(b"08D6A8D416004F77F"), None);
        assert_eq!(
            reply_code(b"454 4.7.0 Temporary authentication failure"),
            Some(454)
        );
        assert_eq!(reply_code(b"250-AUTH"), Some(250));
        assert_eq!(reply_code(b"25"), None);
        assert_eq!(
            status_of(b"Inbound ExchangeAuth negotiation failed because of IllegalMessage"),
            Some(&b"IllegalMessage"[..])
        );
        assert_eq!(
            status_of(b"Outbound Authentication failed to initialize with TargetUnknown"),
            Some(&b"TargetUnknown"[..])
        );
        assert_eq!(
            status_of(b"Inbound ExchangeAuth negotiation failed because connection is not TLS"),
            Some(&b"connection is not TLS"[..])
        );
        let mechanism = |data: &[u8]| {
            let mut text = b"kept before ".to_vec();
            let Some(Ev::AuthCommand(span)) = classify_command(data, &mut text) else {
                panic!("{data:?} is no authentication command");
            };
            String::from_utf8(text[span.start..span.end].to_vec()).unwrap()
        };
        assert_eq!(
            mechanism(b"X-EXPS EXCHANGEAUTH SHA256 "),
            "X-EXPS EXCHANGEAUTH SHA256"
        );
        assert_eq!(mechanism(b"auth  PLAIN dGVzdA=="), "AUTH PLAIN");
        assert_eq!(endpoint_ip("10.0.0.11:51000"), "10.0.0.11");
        assert_eq!(endpoint_ip("[fe80::1]:25"), "fe80::1");
    }
}
