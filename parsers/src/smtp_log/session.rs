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

use super::banner::{parse_banner, Banner};
use super::row::{text, RawRow, RowItem, RowReader};
use super::{
    Advertised, AuthAttempt, AuthOutcome, ClockBasis, ClockSample, FileHeader, LogKind,
    SessionSummary, TlsOutcome,
};
use crate::problem::{Location, Problem};
use jiff::{SignedDuration, Timestamp};
use rustc_hash::FxHashMap;
use std::io::Read;

/// Problems kept per file; further ones are only counted (a garbage file must not eat memory).
const MAX_PROBLEMS_PER_FILE: usize = 1000;
/// How often (in rows) idle sessions are looked for.
const IDLE_CHECK_ROWS: u64 = 1 << 16;

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
    pub problems: Vec<Problem>,
    /// Problems beyond the per-file cap, counted only.
    pub problems_suppressed: u64,
}

impl FileReport {
    fn problem(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS_PER_FILE {
            self.problems.push(problem);
        } else {
            self.problems_suppressed += 1;
        }
    }
}

/// Turns the rows of one server's protocol-log files into [`SessionSummary`]s.
///
/// Feed the files of one log directory (one server, one log type or both) in name order with
/// [`Reassembler::feed`]; call [`Reassembler::finish`] after the last one. Parallelism belongs to
/// the caller (one reassembler per directory); the type is `Send`.
#[derive(Debug)]
pub struct Reassembler {
    open: FxHashMap<(LogKind, u64), OpenSession>,
    next_file: u32,
    idle_limit: SignedDuration,
    /// Latest row time seen (ms), the clock for the idle limit.
    latest: Option<i64>,
    rows_since_idle_check: u64,
    time_cache: TimeCache,
    /// Emptied event buffers of ended sessions, reused by new ones (saves two allocator calls
    /// per session in the hot loop).
    event_pool: Vec<Vec<Event>>,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new()
    }
}

impl Reassembler {
    pub fn new() -> Self {
        Reassembler {
            open: FxHashMap::default(),
            next_file: 0,
            idle_limit: SignedDuration::from_hours(1),
            latest: None,
            rows_since_idle_check: 0,
            time_cache: TimeCache::default(),
            event_pool: Vec::new(),
        }
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
        mut emit: F,
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
            problems: Vec::new(),
            problems_suppressed: 0,
        };
        let mut rows = RowReader::new(reader);
        let mut kind = kind_hint;
        let mut warned_no_kind = false;
        while let Some(item) = rows.next_item() {
            match item {
                RowItem::Header => {
                    if let Some(k) = rows.header().kind() {
                        kind = Some(k);
                    }
                }
                RowItem::Problem(p) => report.problem(p),
                RowItem::Row(row) => {
                    report.rows += 1;
                    // Header lines are rare; re-reading the kind per row is one branch.
                    let Some(kind) = kind.or(kind_hint) else {
                        if !warned_no_kind {
                            warned_no_kind = true;
                            report.problem(Problem::new(
                                Location::Line(row.line),
                                "log type unknown (no #Log-type header, no file-name hint); rows skipped",
                            ));
                        }
                        continue;
                    };
                    self.on_row(kind, file, &row, &mut report, &mut emit);
                }
            }
        }
        report.lines = rows.line_number();
        report.header = rows.header().clone();
        report.kind = kind;
        report
    }

    /// Emits every session still open (cut by the end of the collection), as partial, in order of
    /// their first row.
    pub fn finish<F: FnMut(SessionSummary)>(&mut self, mut emit: F) {
        let mut rest: Vec<_> = self.open.drain().collect();
        rest.sort_by_key(|(key, s)| (s.first.file, s.first.line, *key));
        for ((kind, id), session) in rest {
            emit(session.summarize(kind, id, &mut self.event_pool));
        }
    }

    fn on_row<F: FnMut(SessionSummary)>(
        &mut self,
        kind: LogKind,
        file: u32,
        row: &RawRow<'_>,
        report: &mut FileReport,
        emit: &mut F,
    ) {
        let at = Location::Line(row.line);
        let Some(id) = parse_session_id(row.session_id()) else {
            report.problem(Problem::new(
                at,
                "session-id is not hexadecimal; row skipped",
            ));
            return;
        };
        let Some(seq) = parse_u32(row.sequence_number()) else {
            report.problem(Problem::new(
                at,
                "sequence-number is not a number; row skipped",
            ));
            return;
        };
        let time = self.time_cache.parse(row.date_time());
        if time.is_none() {
            report.problem(Problem::new(at, "date-time is not a UTC timestamp"));
        }
        let event = row.event();
        let pos = Pos {
            seq,
            time,
            line: row.line,
            file,
        };
        let session = self.open.entry((kind, id)).or_insert_with(|| {
            let events = self.event_pool.pop().unwrap_or_default();
            OpenSession::new(text(&row.connector_id()), pos, events)
        });
        session.rows += 1;
        if seq < session.first.seq {
            session.first = pos;
        }
        if seq >= session.last.seq {
            session.last = pos;
        }
        if session.local.is_none() || event == b'+' {
            let local = row.local_endpoint();
            if !local.is_empty() {
                session.local = Some(text(local));
            }
        }
        if session.remote.is_none() || event == b'+' {
            let remote = row.remote_endpoint();
            if !remote.is_empty() {
                session.remote = Some(text(remote));
            }
        }
        if let Some(ev) = classify(kind, event, row) {
            session.events.push(Event { pos, ev });
        }
        if event == b'-' {
            if let Some(done) = self.open.remove(&(kind, id)) {
                report.sessions_emitted += 1;
                emit(done.summarize(kind, id, &mut self.event_pool));
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

    fn flush_idle<F: FnMut(SessionSummary)>(&mut self, emit: &mut F) -> u64 {
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
                emit(s.summarize(key.0, key.1, &mut self.event_pool));
                n += 1;
            }
        }
        n
    }
}

/// Where a row sits: its sequence number, time and place in the input.
#[derive(Debug, Clone, Copy)]
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

#[derive(Debug)]
struct OpenSession {
    connector: String,
    local: Option<String>,
    remote: Option<String>,
    rows: u64,
    first: Pos,
    last: Pos,
    events: Vec<Event>,
}

#[derive(Debug)]
struct Event {
    pos: Pos,
    ev: Ev,
}

/// The rows that matter, reduced to what is needed of them.
#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Connect,
    Disconnect(Option<String>),
    Permissions(String),
    Ehlo(String),
    HelloReply(String),
    Capability(Capability),
    Banner(Banner),
    TlsCommand(String),
    TlsSucceeded(Option<String>),
    TlsFailed(String),
    AuthCommand(String),
    /// A reply that can end an authentication attempt (235, 334, 4xx, 5xx).
    Reply(u16, String),
    AuthFailure {
        sender_side: bool,
        status: Option<String>,
        mechanism: &'static str,
    },
    NotOffered(String),
    TicketFlush(String),
    Proxy(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Capability {
    StartTls,
    AnonymousTls,
    Auth(Names),
    Exps(Names),
    ExchangeAuth(Names),
}

fn classify(kind: LogKind, event: u8, row: &RawRow<'_>) -> Option<Ev> {
    match event {
        b'+' => Some(Ev::Connect),
        b'-' => {
            let reason = row.context();
            let reason = trim(&reason);
            Some(Ev::Disconnect((!reason.is_empty()).then(|| text(reason))))
        }
        b'*' => classify_info(&row.data(), &row.context()),
        e if e == kind.client_event() => classify_command(&row.data()),
        e if e == kind.server_event() => classify_reply(&row.data()),
        _ => None,
    }
}

fn classify_command(data: &[u8]) -> Option<Ev> {
    let first = data.first()?.to_ascii_uppercase();
    match first {
        b'E' | b'H' => {
            let verb = data.get(..4)?;
            if !(verb.eq_ignore_ascii_case(b"EHLO") || verb.eq_ignore_ascii_case(b"HELO")) {
                return None;
            }
            let rest = data.get(4..).unwrap_or_default();
            if !rest.is_empty() && rest.first() != Some(&b' ') {
                return None;
            }
            Some(Ev::Ehlo(text(trim(rest))))
        }
        b'S' | b'X' | b'A' => {
            let verb = data.split(|&b| b == b' ').next().unwrap_or_default();
            if verb.eq_ignore_ascii_case(b"STARTTLS")
                || verb.eq_ignore_ascii_case(b"X-ANONYMOUSTLS")
            {
                Some(Ev::TlsCommand(text(verb).to_ascii_uppercase()))
            } else if verb.eq_ignore_ascii_case(b"AUTH") || verb.eq_ignore_ascii_case(b"X-EXPS") {
                Some(Ev::AuthCommand(mechanism_of(data)))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Verb plus the mechanism words that follow it, stopping at anything that looks like a blob.
fn mechanism_of(data: &[u8]) -> String {
    let mut words: Vec<String> = Vec::new();
    for (i, word) in data
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        let is_name = word.len() <= 20
            && word
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'));
        if i > 0 && !is_name {
            break;
        }
        words.push(text(word).to_ascii_uppercase());
    }
    words.join(" ")
}

fn classify_reply(data: &[u8]) -> Option<Ev> {
    let code = reply_code(data)?;
    let rest = data.get(4..).unwrap_or_default();
    match code {
        250 => classify_ehlo_line(rest),
        220 => parse_banner(&String::from_utf8_lossy(data)).map(Ev::Banner),
        451 if rest.starts_with(b"5.7.3") => Some(Ev::NotOffered(text(data))),
        235 | 334 | 400..=599 => Some(Ev::Reply(code, text(data))),
        _ => None,
    }
}

/// One line of an EHLO reply (after `250-`/`250 `).
fn classify_ehlo_line(rest: &[u8]) -> Option<Ev> {
    let mut words = rest
        .split(|&b| b == b' ' || b == b'=')
        .filter(|w| !w.is_empty());
    let keyword = words.next()?;
    let cap = if keyword.eq_ignore_ascii_case(b"STARTTLS") {
        Capability::StartTls
    } else if keyword.eq_ignore_ascii_case(b"X-ANONYMOUSTLS") {
        Capability::AnonymousTls
    } else if keyword.eq_ignore_ascii_case(b"AUTH") {
        Capability::Auth(Names::from_words(words))
    } else if keyword.eq_ignore_ascii_case(b"X-EXPS") {
        Capability::Exps(Names::from_words(words))
    } else if keyword.eq_ignore_ascii_case(b"X-EXCHANGEAUTH") {
        Capability::ExchangeAuth(Names::from_words(words))
    } else if words.next() == Some(b"Hello") {
        return Some(Ev::HelloReply(text(keyword)));
    } else {
        return None;
    };
    Some(Ev::Capability(cap))
}

/// Mechanism names of one capability line without an allocation per name (the usual ones are
/// interned; every session repeats them).
#[derive(Debug, Clone, PartialEq, Default)]
struct Names {
    known: [&'static str; 6],
    len: usize,
    other: Vec<String>,
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

impl Names {
    fn from_words<'a>(words: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut names = Names::default();
        for word in words {
            let known = KNOWN_MECHANISMS
                .iter()
                .find(|k| k.as_bytes().eq_ignore_ascii_case(word));
            match (known, names.known.get_mut(names.len)) {
                (Some(k), Some(slot)) => {
                    *slot = k;
                    names.len += 1;
                }
                _ => names.other.push(text(word).to_ascii_uppercase()),
            }
        }
        names
    }

    fn into_iter(self) -> impl Iterator<Item = String> {
        let known = self.known.into_iter().take(self.len).map(str::to_owned);
        known.chain(self.other)
    }
}

fn classify_info(data: &[u8], context: &[u8]) -> Option<Ev> {
    let context = trim(context);
    if context.eq_ignore_ascii_case(b"Set Session Permissions") {
        return Some(Ev::Permissions(text(trim(data))));
    }
    classify_message(context).or_else(|| classify_message(trim(data)))
}

fn classify_message(msg: &[u8]) -> Option<Ev> {
    match msg.first()? {
        b'P' => {
            let id = msg.strip_prefix(b"Proxying inbound session with session id ")?;
            let id = id.split(|&b| b == b' ').next().unwrap_or_default();
            Some(Ev::Proxy(text(id)))
        }
        b'T' => {
            if let Some(status) = msg.strip_prefix(b"TLS negotiation failed with error ") {
                Some(Ev::TlsFailed(text(trim(status))))
            } else if msg.starts_with(b"TLS protocol ") && contains(msg, b"succeeded") {
                let protocol = msg.split(|&b| b == b' ').nth(2).map(text);
                Some(Ev::TlsSucceeded(protocol))
            } else {
                None
            }
        }
        b'O' => msg
            .starts_with(b"Outbound Authentication failed")
            .then(|| Ev::AuthFailure {
                sender_side: true,
                status: status_of(msg),
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
            } else if contains(msg, b"Kerberos ticket cache") {
                return Some(Ev::TicketFlush(text(msg)));
            } else {
                return None;
            };
            Some(Ev::AuthFailure {
                sender_side: false,
                status: status_of(msg),
                mechanism,
            })
        }
        b'4' if msg.starts_with(b"451 5.7.3") => Some(Ev::NotOffered(text(msg))),
        _ => None,
    }
}

/// The status named by a failure row: after `because of `, else after the last ` with `, else
/// the reason after `because `.
fn status_of(msg: &[u8]) -> Option<String> {
    let after = |needle: &[u8]| {
        memchr::memmem::rfind(msg, needle).and_then(|i| msg.get(i + needle.len()..))
    };
    let rest = after(b"because of ")
        .or_else(|| after(b" with "))
        .or_else(|| after(b"because "))?;
    let rest = trim(rest);
    let rest = rest.strip_suffix(b".").unwrap_or(rest);
    (!rest.is_empty()).then(|| text(rest))
}

impl OpenSession {
    fn new(connector: String, pos: Pos, mut events: Vec<Event>) -> Self {
        events.clear();
        if events.capacity() == 0 {
            // Typical sessions keep 20–30 events: one allocation instead of several regrowths.
            events.reserve(32);
        }
        OpenSession {
            connector,
            local: None,
            remote: None,
            rows: 0,
            first: pos,
            last: pos,
            events,
        }
    }

    /// Applies the kept rows in sequence order and builds the summary.
    fn summarize(mut self, kind: LogKind, id: u64, pool: &mut Vec<Vec<Event>>) -> SessionSummary {
        if !self.events.is_sorted_by_key(|e| e.pos.seq) {
            self.events.sort_by_key(|e| e.pos.seq);
        }
        let session_id = format!("{id:016X}");
        let mut s = SessionSummary {
            log: kind,
            session_id: session_id.clone(),
            start: self.first.ts(),
            end: self.last.ts(),
            local_endpoint: self.local,
            remote_endpoint: self.remote,
            connector: self.connector,
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
            session_id: session_id.clone(),
            time: pos.ts(),
            mechanism,
            outcome: AuthOutcome::Other,
            status: None,
            reply: None,
            line: pos.line,
            file: pos.file,
        };
        for Event { pos, ev } in self.events.drain(..) {
            match ev {
                Ev::Connect => {
                    s.has_start = true;
                    if s.connect_time.is_none() {
                        s.connect_time = pos.ts();
                    }
                }
                Ev::Disconnect(reason) => {
                    s.has_end = true;
                    s.disconnect_reason = reason;
                }
                Ev::Permissions(p) => {
                    if authenticated {
                        s.permissions_after_auth = Some(p);
                    } else {
                        s.permissions_before_auth = Some(p);
                    }
                }
                Ev::Ehlo(name) => {
                    if s.ehlo.is_none() {
                        s.ehlo = Some(name);
                        s.ehlo_time = pos.ts();
                    }
                }
                Ev::HelloReply(host) => {
                    s.hello_reply_host.get_or_insert(host);
                }
                Ev::Capability(cap) => add_capability(&mut s.advertised, cap),
                Ev::Banner(banner) => {
                    if s.banner_time.is_some() || s.banner_host.is_some() {
                        continue;
                    }
                    s.banner_time = pos.ts();
                    if let (LogKind::Send, Some(remote), Some(local)) =
                        (kind, banner.date, pos.ts())
                    {
                        s.clock_samples.push(ClockSample {
                            basis: ClockBasis::Banner,
                            remote_server: Some(banner.host.clone()),
                            remote_ip: s.remote_endpoint.as_deref().map(endpoint_ip),
                            time: local,
                            offset_s: seconds_between(local, remote),
                            session_id: Some(session_id.clone()),
                            line: Some(pos.line),
                        });
                    }
                    s.banner_host = Some(banner.host);
                }
                Ev::TlsCommand(verb) => {
                    s.tls_command.get_or_insert(verb);
                }
                Ev::TlsSucceeded(protocol) => {
                    s.tls_outcome = Some(TlsOutcome::Succeeded);
                    s.tls_detail = protocol;
                }
                Ev::TlsFailed(status) => {
                    s.tls_outcome = Some(TlsOutcome::Failed);
                    s.tls_detail = Some(status);
                }
                Ev::AuthCommand(mechanism) => {
                    if let Some(open) = attempt.take() {
                        s.auth_attempts.push(open);
                    }
                    attempt = Some(new_attempt(&pos, mechanism));
                }
                Ev::Reply(code, line) => {
                    let is_auth_reply = (code == 454 || code == 535) && contains_ci(&line, "auth");
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
                    current.reply = Some(line);
                    s.auth_attempts.push(current);
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
                        new_attempt(&pos, inferred.to_owned())
                    });
                    current.status = status.or(current.status);
                    if sender_side {
                        current.outcome = AuthOutcome::SenderFailed;
                        s.auth_attempts.push(current);
                    } else {
                        // The receiver's reply (454/535) follows and closes the attempt.
                        attempt = Some(current);
                    }
                }
                Ev::NotOffered(line) => {
                    if let Some(open) = attempt.take() {
                        s.auth_attempts.push(open);
                    }
                    let mut a = new_attempt(&pos, "X-EXPS EXCHANGEAUTH".to_owned());
                    a.outcome = AuthOutcome::NotOffered;
                    a.reply = Some(line);
                    s.auth_attempts.push(a);
                }
                Ev::TicketFlush(msg) => s.ticket_cache_flush = Some(msg),
                Ev::Proxy(id) => {
                    s.proxy_session_id.get_or_insert(id);
                }
            }
        }
        if let Some(open) = attempt {
            s.auth_attempts.push(open);
        }
        s.partial = !(s.has_start && s.has_end);
        if pool.len() < 4096 && self.events.capacity() <= 256 {
            pool.push(self.events);
        }
        s
    }
}

fn add_capability(adv: &mut Advertised, cap: Capability) {
    let merge = |into: &mut Vec<String>, names: Names| {
        for n in names.into_iter() {
            if !into.contains(&n) {
                into.push(n);
            }
        }
    };
    match cap {
        Capability::StartTls => adv.starttls = true,
        Capability::AnonymousTls => adv.anonymous_tls = true,
        Capability::Auth(names) => merge(&mut adv.auth, names),
        Capability::Exps(names) => merge(&mut adv.exps, names),
        Capability::ExchangeAuth(names) => merge(&mut adv.exchange_auth, names),
    }
}

/// `b − a` in seconds.
pub(crate) fn seconds_between(a: Timestamp, b: Timestamp) -> f64 {
    (b.as_millisecond() - a.as_millisecond()) as f64 / 1000.0
}

/// The address part of `ip:port` or `[v6]:port`.
pub(crate) fn endpoint_ip(endpoint: &str) -> String {
    if let Some(rest) = endpoint.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    match endpoint.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((ip, _)) if !ip.contains(':') => ip.to_owned(),
        _ => endpoint.to_owned(),
    }
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

/// 1–16 hex digits (any case) as a number.
pub(crate) fn parse_session_id(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'F' => c - b'A' + 10,
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        v = (v << 4) | u64::from(d);
    }
    Some(v)
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

/// Rows come in bursts within the same second: remember the last `yyyy-MM-ddTHH:mm:ss` prefix.
#[derive(Debug, Default)]
struct TimeCache {
    prefix: [u8; 19],
    second_ms: Option<i64>,
}

impl TimeCache {
    fn parse(&mut self, b: &[u8]) -> Option<i64> {
        if let (Some(base), Some(prefix), Some(&[b'.', f0, f1, f2, b'Z'])) =
            (self.second_ms, b.get(..19), b.get(19..))
        {
            if prefix == self.prefix
                && f0.is_ascii_digit()
                && f1.is_ascii_digit()
                && f2.is_ascii_digit()
            {
                let millis =
                    i64::from(f0 - b'0') * 100 + i64::from(f1 - b'0') * 10 + i64::from(f2 - b'0');
                return Some(base + millis);
            }
        }
        let ms = parse_utc_ms(b)?;
        match (b.get(..19), b.len()) {
            (Some(prefix), 24) => {
                self.prefix.copy_from_slice(prefix);
                self.second_ms = Some(ms - ms.rem_euclid(1000));
            }
            _ => self.second_ms = None,
        }
        Some(ms)
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
    // Days from civil (H. Hinnant), proleptic Gregorian.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // Years 0000–9999 only: always inside Timestamp's range.
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Some("IllegalMessage".into())
        );
        assert_eq!(
            status_of(b"Outbound Authentication failed to initialize with TargetUnknown"),
            Some("TargetUnknown".into())
        );
        assert_eq!(
            status_of(b"Inbound ExchangeAuth negotiation failed because connection is not TLS"),
            Some("connection is not TLS".into())
        );
        assert_eq!(
            mechanism_of(b"X-EXPS EXCHANGEAUTH SHA256 "),
            "X-EXPS EXCHANGEAUTH SHA256"
        );
        assert_eq!(mechanism_of(b"AUTH PLAIN dGVzdA=="), "AUTH PLAIN");
        assert_eq!(endpoint_ip("10.0.0.11:51000"), "10.0.0.11");
        assert_eq!(endpoint_ip("[fe80::1]:25"), "fe80::1");
    }
}
