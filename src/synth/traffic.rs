//! SMTP traffic between the servers, as both ends log it.
//!
//! Attempts are scheduled per (sender, receiver) pair and 10-minute window from
//! their own random stream, so a server's Send log (its outgoing pairs) and its
//! Receive log (its incoming pairs) can be written window by window, in
//! parallel with other servers, and still show the very same connections as
//! the peers' logs: same ephemeral port, same banner, same EHLO, at the same
//! true time stamped by each end's own clock.

use super::rng::{self, Rand};
use super::smtp_log::{LogKind, ProtocolLogWriter, RowFields};
use super::world::{Machine, Outcome, World, DOMAIN, NETBIOS_DOMAIN, RETRY_SECONDS};
use super::Counts;
use jiff::{SignedDuration, Timestamp};
use std::io;
use std::path::Path;

/// Length of a scheduling window, milliseconds.
const WINDOW_MS: i64 = 600_000;

/// One connection attempt from a sender to a receiver.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub sender: usize,
    pub receiver: usize,
    /// True (UTC) start, Unix milliseconds.
    pub t0: i64,
    pub port: u16,
    pub outcome: Outcome,
    salt: u64,
}

/// A row as it happens on the wire, at true time.
#[derive(Debug, Clone)]
pub struct WireRow {
    pub t: i64,
    pub event: char,
    pub data: String,
    pub context: String,
}

/// The attempts from `sender` to `receiver` starting in window `w`.
pub fn pair_attempts(world: &World, sender: usize, receiver: usize, w: i64) -> Vec<Attempt> {
    let start = world.start.as_millisecond();
    let end = world.end.as_millisecond();
    let w_start = start + w * WINDOW_MS;
    let w_end = (w_start + WINDOW_MS).min(end);
    let mut r = rng::stream(world.settings.seed, &[&"pair", &sender, &receiver, &w]);
    let mut out = Vec::new();
    let mean = world_interval_s(world);
    let mut t = w_start as f64 + r.exp(mean) * 1000.0;
    while (t as i64) < w_end {
        let t0 = t as i64;
        let at = Timestamp::from_millisecond(t0).unwrap_or(world.start);
        let port = r.between(49_152, 65_535) as u16;
        let salt = r.u64();
        if world.outcome(sender, receiver, at) == Outcome::Delivered {
            out.push(Attempt {
                sender,
                receiver,
                t0,
                port,
                outcome: Outcome::Delivered,
                salt,
            });
        }
        t += r.exp(mean) * 1000.0;
    }
    // A failing pair's queue goes into Retry: one attempt per retry interval.
    let end_ts = world.end;
    if world.outcome(sender, receiver, end_ts).fails() {
        let mut first = rng::stream(world.settings.seed, &[&"first-failure", &sender, &receiver]);
        let first_ms = world.fault_start.as_millisecond() + first.between(5_000, 120_000);
        let k_from = ((w_start - first_ms) / (RETRY_SECONDS * 1000)).max(0) - 1;
        for k in k_from.max(0).. {
            let mut j = rng::stream(world.settings.seed, &[&"retry", &sender, &receiver, &k]);
            let t0 = first_ms + k * RETRY_SECONDS * 1000 + j.between(0, 3_000);
            if t0 >= w_end {
                break;
            }
            if t0 < w_start {
                continue;
            }
            let at = Timestamp::from_millisecond(t0).unwrap_or(world.start);
            out.push(Attempt {
                sender,
                receiver,
                t0,
                port: j.between(49_152, 65_535) as u16,
                outcome: world.outcome(sender, receiver, at),
                salt: j.u64(),
            });
        }
    }
    out.sort_by_key(|a| a.t0);
    out
}

/// For `--size`: every healthy attempt the collection could hold at a mean
/// gap of at least `min_mean_s`, as the mean gap below which it is written.
///
/// [`pair_attempts`] draws the gaps of a pair's window as `mean` times one
/// stream of exponential draws, so the k-th attempt starts `mean` × S_k
/// seconds into the window (S_k the sum of the first k unit draws) and is
/// written when that is before the window's end (and, for a pair that fails,
/// the fault's start): when `mean` is below `delivering / S_k`. The draws
/// must follow `pair_attempts`' own, one for one (a test checks that the
/// counts agree).
pub fn healthy_thresholds(world: &World, min_mean_s: f64) -> Vec<f64> {
    let start = world.start.as_millisecond();
    let end = world.end.as_millisecond();
    let fault = world.fault_start.as_millisecond();
    let n = world.exchange.len();
    let min_mean_ms = min_mean_s.max(1e-6) * 1000.0;
    let mut out = Vec::new();
    for sender in 0..n {
        for receiver in (0..n).filter(|&r| r != sender) {
            let fails = world.outcome(sender, receiver, world.end).fails();
            for w in 0..window_count(world) {
                let w_start = start + w * WINDOW_MS;
                let mut limit = (w_start + WINDOW_MS).min(end);
                if fails {
                    limit = limit.min(fault);
                }
                let delivering = (limit - w_start) as f64;
                if delivering <= 0.0 {
                    continue;
                }
                let mut r = rng::stream(world.settings.seed, &[&"pair", &sender, &receiver, &w]);
                let mut sum = r.exp(1.0);
                while sum * min_mean_ms < delivering {
                    out.push(delivering / 1000.0 / sum);
                    let _port = r.between(49_152, 65_535);
                    let _salt = r.u64();
                    sum += r.exp(1.0);
                }
            }
        }
    }
    out
}

/// Mean seconds between healthy sessions of one pair.
pub fn world_interval_s(world: &World) -> f64 {
    world.interval_s
}

/// Number of scheduling windows in the collection.
pub fn window_count(world: &World) -> i64 {
    let span = world.end.as_millisecond() - world.start.as_millisecond();
    (span + WINDOW_MS - 1) / WINDOW_MS
}

/// Every failing attempt of the collection (for events and queues).
pub fn failing_attempts(world: &World) -> Vec<Attempt> {
    let mut out = Vec::new();
    for (s, r) in world.failing_pairs() {
        for w in 0..window_count(world) {
            out.extend(
                pair_attempts(world, s, r, w)
                    .into_iter()
                    .filter(|a| a.outcome.fails()),
            );
        }
    }
    out.sort_by_key(|a| (a.t0, a.sender, a.receiver));
    out
}

/// The receive connector that takes a connection from `sender` on
/// `receiver` (the relay connector in the connector-auth scenario).
pub fn receive_connector(world: &World, receiver: usize, outcome: Outcome) -> String {
    let name = &world.exchange[receiver].name;
    if outcome == Outcome::ConnectorRefused {
        format!("{name}\\Internal Relay")
    } else {
        format!("{name}\\Default {name}")
    }
}

struct Sides {
    send: Vec<WireRow>,
    recv: Vec<WireRow>,
}

impl Sides {
    fn s(&mut self, t: i64, event: char, data: impl Into<String>, context: &str) {
        self.send.push(WireRow {
            t,
            event,
            data: data.into(),
            context: context.to_string(),
        });
    }
    fn r(&mut self, t: i64, event: char, data: impl Into<String>, context: &str) {
        self.recv.push(WireRow {
            t,
            event,
            data: data.into(),
            context: context.to_string(),
        });
    }
}

const TLS_CLIENT: &str = "TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 384 bits and key exchange algorithm CALG_ECDHE with strength 384 bits";
const TLS_SERVER: &str = "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 384 bits and key exchange algorithm CALG_ECDHE with strength 384 bits";
const SERVER_PERMISSIONS: &str = "SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAuthenticationFlag SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender BypassAntiSpam BypassMessageSizeLimit SMTPSendEXCH50 SMTPAcceptEXCH50 AcceptRoutingHeaders AcceptForestHeaders AcceptOrganizationHeaders SendRoutingHeaders SendForestHeaders SendOrganizationHeaders SendAs SMTPSendXShadow SMTPAcceptXShadow SMTPAcceptXProxyFrom SMTPAcceptXSessionParams SMTPAcceptXMessageContextADRecipientCache SMTPAcceptXMessageContextExtendedProperties SMTPAcceptXMessageContextFastIndex SMTPAcceptXAttr SMTPAcceptXSysProbe";
const ANONYMOUS_PERMISSIONS: &str =
    "SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders";
const USERS: &[&str] = &[
    "anna.devries",
    "bram.jansen",
    "chen.wei",
    "d.mueller",
    "emma.smith",
    "f.bakker",
    "grace.lee",
    "hans.schmidt",
    "ivy.zhang",
    "j.peters",
    "karen.brown",
    "li.na",
    "m.visser",
    "noah.jones",
    "olga.weber",
    "p.meijer",
    "quinn.taylor",
    "r.fischer",
    "sophie.wang",
    "t.vandijk",
    "postmaster",
    "helpdesk",
    "hr",
    "finance",
];

/// The EHLO reply lines of a Hub receive connector, before (`tls` false) or
/// after TLS, with or without Exchange Server authentication.
fn ehlo_reply(fqdn: &str, client_ip: &str, tls: bool, exchange_auth: bool) -> Vec<String> {
    let mut lines = vec![
        format!("{fqdn} Hello [{client_ip}]"),
        "SIZE 37748736".into(),
        "PIPELINING".into(),
        "DSN".into(),
        "ENHANCEDSTATUSCODES".into(),
    ];
    if !tls {
        lines.push("STARTTLS".into());
    }
    if exchange_auth {
        if tls {
            lines.push("AUTH NTLM LOGIN".into());
            lines.push("X-EXPS EXCHANGEAUTH GSSAPI NTLM".into());
            lines.push("X-EXCHANGEAUTH SHA256".into());
        } else {
            lines.push("X-ANONYMOUSTLS".into());
            lines.push("AUTH NTLM".into());
            lines.push("X-EXPS GSSAPI NTLM".into());
        }
    }
    lines.push("8BITMIME".into());
    lines.push("BINARYMIME".into());
    lines.push("CHUNKING".into());
    if exchange_auth {
        lines.push("XEXCH50".into());
        lines.push("XRDST".into());
        lines.push("XSHADOW".into());
    }
    let n = lines.len();
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| format!("250{}{l}", if i + 1 == n { ' ' } else { '-' }))
        .collect()
}

/// Both ends' rows of one attempt.
fn simulate(world: &World, a: &Attempt) -> Sides {
    let mut r: Rand = rng::stream(world.settings.seed, &[&"session", &a.salt]);
    let snd = &world.exchange[a.sender];
    let rcv = &world.exchange[a.receiver];
    let mut sides = Sides {
        send: Vec::with_capacity(48),
        recv: Vec::with_capacity(56),
    };
    let mut t = a.t0;
    let mut step = |r: &mut Rand, lo: i64, hi: i64| {
        t += r.between(lo, hi);
        t
    };
    let refused = a.outcome == Outcome::ConnectorRefused;
    // Sender: permissions and connect.
    let t0 = a.t0;
    sides.s(t0, '*', "SendRoutingHeaders", "Set Session Permissions");
    sides.s(t0, '*', "", "attempting to connect");
    let tc = step(&mut r, 0, 2);
    sides.s(tc, '+', "", "");
    sides.r(tc, '+', "", "");
    let permissions = if refused {
        ANONYMOUS_PERMISSIONS
    } else {
        "None"
    };
    sides.r(tc, '*', permissions, "Set Session Permissions");
    // Banner: the receiver's own clock, in its zone.
    let tb = step(&mut r, 1, 4);
    let banner_clock = world.clock(
        Machine::Exchange(a.receiver),
        Timestamp::from_millisecond(tb).unwrap_or(world.start),
    );
    let banner = format!(
        "220 {} Microsoft ESMTP MAIL Service ready at {}",
        rcv.fqdn,
        world.wall.rfc2822(banner_clock)
    );
    sides.r(tb, '>', banner.clone(), "");
    let tb2 = step(&mut r, 0, 2);
    sides.s(tb2, '<', banner, "");
    // First EHLO.
    let ehlo = format!("EHLO {}", snd.fqdn);
    let te = step(&mut r, 0, 2);
    sides.s(te, '>', ehlo.clone(), "");
    let te2 = step(&mut r, 0, 2);
    sides.r(te2, '<', ehlo.clone(), "");
    let te3 = step(&mut r, 0, 3);
    let reply1 = ehlo_reply(&rcv.fqdn, &snd.ip, false, !refused);
    for line in &reply1 {
        sides.r(te3, '>', line.clone(), "");
    }
    let te4 = step(&mut r, 0, 2);
    for line in reply1 {
        sides.s(te4, '<', line, "");
    }
    // TLS: X-ANONYMOUSTLS to an Exchange connector, STARTTLS to the relay.
    let verb = if refused {
        "STARTTLS"
    } else {
        "X-ANONYMOUSTLS"
    };
    let tt = step(&mut r, 0, 2);
    sides.s(tt, '>', verb, "");
    let tt2 = step(&mut r, 0, 2);
    sides.r(tt2, '<', verb, "");
    sides.r(tt2, '>', "220 2.0.0 SMTP server ready", "");
    let tt3 = step(&mut r, 0, 2);
    sides.s(tt3, '<', "220 2.0.0 SMTP server ready", "");
    let th = step(&mut r, 4, 20);
    sides.r(th, '*', "", "Sending certificate");
    sides.r(th, '*', format!("CN={}", rcv.name), "Certificate subject");
    sides.r(
        th,
        '*',
        format!("CN={}", rcv.name),
        "Certificate issuer name",
    );
    sides.r(th, '*', rcv.serial.clone(), "Certificate serial number");
    sides.r(th, '*', rcv.thumbprint.clone(), "Certificate thumbprint");
    sides.r(
        th,
        '*',
        format!("{};{}", rcv.name, rcv.fqdn),
        "Certificate alternate names",
    );
    let th2 = step(&mut r, 1, 6);
    sides.r(th2, '*', "", TLS_SERVER);
    sides.s(th2, '*', "", TLS_CLIENT);
    sides.s(th2, '*', "", "Received certificate");
    sides.s(th2, '*', rcv.thumbprint.clone(), "Certificate thumbprint");
    // Second EHLO, inside TLS.
    let te5 = step(&mut r, 0, 2);
    sides.s(te5, '>', ehlo.clone(), "");
    let te6 = step(&mut r, 0, 2);
    sides.r(te6, '<', ehlo, "");
    let reply2 = ehlo_reply(&rcv.fqdn, &snd.ip, true, !refused);
    for line in &reply2 {
        sides.r(te6, '>', line.clone(), "");
    }
    let te7 = step(&mut r, 0, 2);
    for line in reply2 {
        sides.s(te7, '<', line, "");
    }
    match a.outcome {
        Outcome::ConnectorRefused => {
            // No X-EXPS advertised: the sender gives up with the synthetic
            // 451 5.7.3 (it shows in its queue, not on the wire).
            quit(&mut sides, &mut step, &mut r);
            return sides;
        }
        Outcome::SenderFailed(status) => {
            let tf = step(&mut r, 2, 30);
            sides.s(
                tf,
                '*',
                "",
                &format!("Outbound Authentication failed with {}", status.name()),
            );
            let td = step(&mut r, 0, 2);
            sides.s(td, '-', "", "Local");
            let td2 = step(&mut r, 0, 2);
            sides.r(td2, '-', "", "Remote");
            return sides;
        }
        _ => {}
    }
    let tx = step(&mut r, 2, 25);
    sides.s(tx, '>', "X-EXPS EXCHANGEAUTH SHA256 ", "");
    let tx2 = step(&mut r, 0, 2);
    sides.r(tx2, '<', "X-EXPS EXCHANGEAUTH", "");
    if let Outcome::Rejected(status) = a.outcome {
        let tf = step(&mut r, 1, 15);
        sides.r(
            tf,
            '*',
            "",
            &format!(
                "Inbound ExchangeAuth negotiation failed because of {}",
                status.name()
            ),
        );
        sides.r(tf, '>', "454 4.7.0 Temporary authentication failure", "");
        sides.r(tf, '-', "", "DroppedSession");
        let tf2 = step(&mut r, 0, 2);
        sides.s(tf2, '<', "454 4.7.0 Temporary authentication failure", "");
        let tf3 = step(&mut r, 0, 3);
        sides.s(tf3, '*', "", "Flushed Kerberos ticket cache");
        sides.s(tf3, '-', "", "Remote");
        return sides;
    }
    let ta = step(&mut r, 2, 20);
    sides.r(ta, '>', "235 <authentication response>", "");
    sides.r(ta, '*', SERVER_PERMISSIONS, "Set Session Permissions");
    let ta2 = step(&mut r, 0, 2);
    sides.s(ta2, '<', "235 <authentication information>", "");
    // One message.
    let from = format!("{}@{DOMAIN}", r.pick(USERS));
    let to = format!("{}@{DOMAIN}", r.pick(USERS));
    let size = r.between(2_800, 180_000);
    let msgid = format!("<{}@{}>", r.hex(32).to_ascii_lowercase(), snd.fqdn);
    let record_id = r.between(100_000, 9_999_999);
    let mail = format!("MAIL FROM:<{from}> SIZE={size} BODY=BINARYMIME");
    let rcpt = format!("RCPT TO:<{to}>");
    let tm = step(&mut r, 1, 5);
    sides.s(tm, '>', mail.clone(), "");
    sides.s(tm, '>', rcpt.clone(), "");
    let tm2 = step(&mut r, 0, 2);
    sides.r(tm2, '<', mail, "");
    sides.r(tm2, '<', rcpt, "");
    let tm3 = step(&mut r, 1, 8);
    sides.r(tm3, '>', "250 2.1.0 Sender OK", "");
    sides.r(tm3, '>', "250 2.1.5 Recipient OK", "");
    let tm4 = step(&mut r, 0, 2);
    sides.s(tm4, '<', "250 2.1.0 Sender OK", "");
    sides.s(tm4, '<', "250 2.1.5 Recipient OK", "");
    sides.s(
        tm4,
        '*',
        "",
        &format!("sending message with RecordId {record_id} and InternetMessageId {msgid}"),
    );
    let bdat = format!("BDAT {size} LAST");
    sides.s(tm4, '>', bdat.clone(), "");
    let transfer_ms = 5 + size / 2_000 + r.between(0, 40);
    let tbd = step(&mut r, transfer_ms, transfer_ms + 3);
    sides.r(tbd, '<', bdat, "");
    let tq = step(&mut r, 5, 40);
    let secs = (transfer_ms as f64 + 8.0) / 1000.0;
    let queued = format!(
        "250 2.6.0 {msgid} [InternalId={}, Hostname={}] {size} bytes in {secs:.3}, {:.3} KB/sec Queued mail for delivery",
        r.between(1_000_000_000_000, 99_999_999_999_999),
        rcv.fqdn,
        size as f64 / 1024.0 / secs
    );
    sides.r(tq, '>', queued.clone(), "");
    let tq2 = step(&mut r, 0, 2);
    sides.s(tq2, '<', queued, "");
    quit(&mut sides, &mut step, &mut r);
    sides
}

fn quit(sides: &mut Sides, step: &mut impl FnMut(&mut Rand, i64, i64) -> i64, r: &mut Rand) {
    let t = step(r, 1, 30);
    sides.s(t, '>', "QUIT", "");
    let t2 = step(r, 0, 2);
    sides.r(t2, '<', "QUIT", "");
    sides.r(
        t2,
        '>',
        "221 2.0.0 Service closing transmission channel",
        "",
    );
    sides.r(t2, '-', "", "Local");
    let t3 = step(r, 0, 2);
    sides.s(
        t3,
        '<',
        "221 2.0.0 Service closing transmission channel",
        "",
    );
    sides.s(t3, '-', "", "Local");
}

/// A session as one server logs it, before its rows are interleaved.
struct LoggedSession {
    kind: LogKind,
    connector: String,
    local: String,
    remote: String,
    rows: Vec<WireRow>,
}

impl LoggedSession {
    /// Row `seq` as the log writes it, in session `id`.
    fn fields(&self, id: u64, seq: u32) -> RowFields<'_> {
        let row = &self.rows[seq as usize];
        // Send logs have no local endpoint until the socket connects.
        let local = if self.kind == LogKind::Send && seq < 2 {
            ""
        } else {
            &self.local
        };
        RowFields {
            connector: &self.connector,
            session_id: id,
            sequence: seq,
            local,
            remote: &self.remote,
            event: row.event,
            data: &row.data,
            context: &row.context,
        }
    }
}

/// Attempt `a` as its sender's Send log holds it.
fn send_session(world: &World, a: &Attempt, rows: Vec<WireRow>) -> LoggedSession {
    LoggedSession {
        kind: LogKind::Send,
        connector: world.settings.locale.intra_org_connector().to_string(),
        local: format!("{}:{}", world.exchange[a.sender].ip, a.port),
        remote: format!("{}:2525", world.exchange[a.receiver].ip),
        rows,
    }
}

/// Attempt `a` as its receiver's Receive log holds it.
fn receive_session(world: &World, a: &Attempt, rows: Vec<WireRow>) -> LoggedSession {
    LoggedSession {
        kind: LogKind::Receive,
        connector: receive_connector(world, a.receiver, a.outcome),
        local: format!("{}:2525", world.exchange[a.receiver].ip),
        remote: format!("{}:{}", world.exchange[a.sender].ip, a.port),
        rows,
    }
}

/// The bytes attempt `a` adds to the Send and Receive logs together (the
/// session id is 16 hex digits whatever its value, so any id will do).
pub fn session_bytes(world: &World, a: &Attempt) -> u64 {
    let sides = simulate(world, a);
    let mut line = String::with_capacity(512);
    let mut total = 0;
    for s in [
        send_session(world, a, sides.send),
        receive_session(world, a, sides.recv),
    ] {
        for (seq, row) in s.rows.iter().enumerate() {
            line.clear();
            super::smtp_log::format_row(&mut line, row.t, &s.fields(0, seq as u32));
            total += line.len() as u64;
        }
    }
    total
}

/// Writes `server`'s Hub Send and Receive protocol logs under `dir`.
pub fn write_hub_logs(
    world: &World,
    server: usize,
    send_dir: &Path,
    recv_dir: &Path,
    counts: &mut Counts,
) -> io::Result<u64> {
    let machine = Machine::Exchange(server);
    let max = world.settings.max_log_file;
    let mut send = ProtocolLogWriter::new(send_dir, LogKind::Send, max);
    let mut recv = ProtocolLogWriter::new(recv_dir, LogKind::Receive, max);
    let mut next_id = world.session_id_base(server);
    let n = world.exchange.len();
    for w in 0..window_count(world) {
        let mut sessions: Vec<(i64, usize, LoggedSession)> = Vec::new();
        for peer in 0..n {
            if peer == server {
                continue;
            }
            for a in pair_attempts(world, server, peer, w) {
                let sides = simulate(world, &a);
                sessions.push((a.t0, peer * 2, send_session(world, &a, sides.send)));
            }
            for a in pair_attempts(world, peer, server, w) {
                let sides = simulate(world, &a);
                sessions.push((a.t0, peer * 2 + 1, receive_session(world, &a, sides.recv)));
            }
        }
        sessions.sort_by_key(|(t0, order, _)| (*t0, *order));
        // Session ids in start order, from the transport process's counter;
        // rows sorted by the server's own clock.
        let mut rows: Vec<(i64, usize, u32)> = Vec::new();
        let mut ids = Vec::with_capacity(sessions.len());
        for (i, (_, _, s)) in sessions.iter().enumerate() {
            ids.push(next_id);
            next_id += 1;
            for (seq, row) in s.rows.iter().enumerate() {
                let at = Timestamp::from_millisecond(row.t).unwrap_or(world.start);
                let ms = row.t + world.clock_error_ms(machine, at);
                rows.push((ms, i, seq as u32));
            }
            count_session(s, counts);
        }
        rows.sort_unstable();
        for (ms, i, seq) in rows {
            let s = &sessions[i].2;
            let fields = s.fields(ids[i], seq);
            match s.kind {
                LogKind::Send => send.write_row(ms, &fields)?,
                LogKind::Receive => recv.write_row(ms, &fields)?,
            }
        }
    }
    Ok(send.finish()? + recv.finish()?)
}

fn count_session(s: &LoggedSession, counts: &mut Counts) {
    for row in &s.rows {
        let key = match (s.kind, row.event) {
            (LogKind::Send, '<') if row.data.starts_with("454 4.7.0") => "send_log_454_received",
            (LogKind::Send, '*') if row.context == "Flushed Kerberos ticket cache" => {
                "send_log_flushed_ticket_cache"
            }
            (LogKind::Send, '*') if row.context.starts_with("Outbound Authentication failed") => {
                "send_log_outbound_auth_failed"
            }
            (LogKind::Receive, '*')
                if row
                    .context
                    .starts_with("Inbound ExchangeAuth negotiation failed") =>
            {
                "receive_log_negotiation_failed"
            }
            (LogKind::Receive, '>') if row.data.starts_with("454 4.7.0") => "receive_log_454_sent",
            (LogKind::Receive, '+') if s.connector.ends_with("\\Internal Relay") => {
                "receive_log_relay_connector_sessions"
            }
            (LogKind::Send, '<')
                if row.data.starts_with("220 ") && row.data.contains("ready at") =>
            {
                "send_log_banners"
            }
            _ => continue,
        };
        *counts.entry(key.to_string()).or_insert(0) += 1;
    }
}

/// Internet-facing noise on the Frontend connector (port 25): mail from
/// outside, scanners probing AUTH, and in the mixed scenario a password
/// spray (535 + event 1035 LogonDenied, unrelated to server-to-server auth).
#[derive(Debug, Clone)]
pub struct FrontendSession {
    pub t0: i64,
    pub client_ip: String,
    pub port: u16,
    pub kind: FrontendKind,
    salt: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontendKind {
    Mail,
    Scanner,
    Spray,
}

/// The frontend sessions of `server` in the whole window.
pub fn frontend_sessions(world: &World, server: usize) -> Vec<FrontendSession> {
    let mut r = rng::stream(world.settings.seed, &[&"frontend", &server]);
    let start = world.start.as_millisecond();
    let end = world.end.as_millisecond();
    let mut out = Vec::new();
    let mut t = start as f64;
    loop {
        t += r.exp(900.0) * 1000.0;
        if t as i64 >= end {
            break;
        }
        let kind = if r.chance(0.2) {
            FrontendKind::Scanner
        } else {
            FrontendKind::Mail
        };
        out.push(FrontendSession {
            t0: t as i64,
            client_ip: internet_ip(&mut r),
            port: r.between(1_025, 65_535) as u16,
            kind,
            salt: r.u64(),
        });
    }
    if world.scenario() == super::world::Scenario::Mixed && server == 1 {
        // A password spray from one address, every ~90 s for an hour.
        let spray_ip = "198.51.100.77".to_string();
        let mut t = world.start.as_millisecond() + 1_800_000;
        let stop = (t + 3_600_000).min(end);
        while t < stop {
            out.push(FrontendSession {
                t0: t,
                client_ip: spray_ip.clone(),
                port: r.between(1_025, 65_535) as u16,
                kind: FrontendKind::Spray,
                salt: r.u64(),
            });
            t += r.between(60_000, 120_000);
        }
    }
    out.sort_by_key(|s| s.t0);
    out
}

fn internet_ip(r: &mut Rand) -> String {
    let nets = ["203.0.113", "198.51.100", "192.0.2"];
    format!("{}.{}", r.pick(&nets), r.between(1, 254))
}

/// Writes `server`'s Frontend Receive protocol log.
pub fn write_frontend_log(
    world: &World,
    server: usize,
    dir: &Path,
    counts: &mut Counts,
) -> io::Result<u64> {
    let me = &world.exchange[server];
    let machine = Machine::Exchange(server);
    let mut log = ProtocolLogWriter::new(dir, LogKind::Receive, world.settings.max_log_file);
    let connector = format!("{}\\Default Frontend {}", me.name, me.name);
    let local = format!("{}:25", me.ip);
    let first_id = world.session_id_base(server) + 0x0010_0000;
    let sessions = frontend_sessions(world, server);
    let mut all: Vec<(i64, usize, u32)> = Vec::new();
    let mut rendered = Vec::with_capacity(sessions.len());
    for ((i, s), id) in sessions.iter().enumerate().zip(first_id..) {
        let rows = frontend_rows(world, server, s);
        for (seq, row) in rows.iter().enumerate() {
            let at = Timestamp::from_millisecond(row.t).unwrap_or(world.start);
            all.push((row.t + world.clock_error_ms(machine, at), i, seq as u32));
        }
        if s.kind == FrontendKind::Spray {
            *counts
                .entry("frontend_password_spray_sessions".into())
                .or_insert(0) += 1;
        }
        rendered.push((id, format!("{}:{}", s.client_ip, s.port), rows));
    }
    all.sort_unstable();
    for (ms, i, seq) in all {
        let (id, remote, rows) = &rendered[i];
        let row = &rows[seq as usize];
        log.write_row(
            ms,
            &RowFields {
                connector: &connector,
                session_id: *id,
                sequence: seq,
                local: &local,
                remote,
                event: row.event,
                data: &row.data,
                context: &row.context,
            },
        )?;
    }
    log.finish()
}

fn frontend_rows(world: &World, server: usize, s: &FrontendSession) -> Vec<WireRow> {
    let me = &world.exchange[server];
    let mut r = rng::stream(world.settings.seed, &[&"frontend-session", &s.salt]);
    let mut rows = Vec::with_capacity(32);
    let mut t = s.t0;
    let mut push = |t: i64, event: char, data: &str, context: &str| {
        rows.push(WireRow {
            t,
            event,
            data: data.to_string(),
            context: context.to_string(),
        })
    };
    push(t, '+', "", "");
    push(t, '*', ANONYMOUS_PERMISSIONS, "Set Session Permissions");
    let at = Timestamp::from_millisecond(t).unwrap_or(world.start);
    let banner = format!(
        "220 {} Microsoft ESMTP MAIL Service ready at {}",
        me.fqdn,
        world
            .wall
            .rfc2822(world.clock(Machine::Exchange(server), at))
    );
    push(t, '>', &banner, "");
    t += r.between(30, 1500);
    let helo = match s.kind {
        FrontendKind::Scanner => "EHLO ylmf-pc".to_string(),
        FrontendKind::Spray => "EHLO User".to_string(),
        FrontendKind::Mail => format!("EHLO mail{}.example.net", r.between(1, 40)),
    };
    push(t, '<', &helo, "");
    let hello = format!("250-{} Hello [{}]", me.fqdn, s.client_ip);
    for line in [
        hello.as_str(),
        "250-SIZE 37748736",
        "250-PIPELINING",
        "250-DSN",
        "250-ENHANCEDSTATUSCODES",
        "250-STARTTLS",
        "250-X-ANONYMOUSTLS",
        "250-AUTH NTLM",
        "250-X-EXPS GSSAPI NTLM",
        "250-8BITMIME",
        "250-BINARYMIME",
        "250-CHUNKING",
        "250 XRDST",
    ] {
        push(t, '>', line, "");
    }
    t += r.between(20, 400);
    if s.kind == FrontendKind::Scanner {
        push(t, '<', "AUTH LOGIN", "");
        push(t, '*', "Tarpit for '0.00:00:05'", "");
        t += 5_000;
        push(t, '>', "504 5.7.4 Unrecognized authentication type", "");
        t += r.between(100, 900);
        push(t, '-', "", "Remote");
        return rows;
    }
    push(t, '<', "STARTTLS", "");
    push(t, '>', "220 2.0.0 SMTP server ready", "");
    t += r.between(5, 60);
    push(t, '*', "", "Sending certificate");
    push(t, '*', &format!("CN={}", me.fqdn), "Certificate subject");
    push(
        t,
        '*',
        "CN=R11, O=Let's Encrypt, C=US",
        "Certificate issuer name",
    );
    push(t, '*', &me.serial, "Certificate serial number");
    push(t, '*', &me.thumbprint, "Certificate thumbprint");
    push(
        t,
        '*',
        &format!("{};mail.{DOMAIN};autodiscover.{DOMAIN}", me.fqdn),
        "Certificate alternate names",
    );
    push(t, '*', "", TLS_SERVER);
    t += r.between(20, 300);
    push(t, '<', &helo, "");
    for line in [
        hello.as_str(),
        "250-SIZE 37748736",
        "250-PIPELINING",
        "250-DSN",
        "250-ENHANCEDSTATUSCODES",
        "250-AUTH NTLM LOGIN",
        "250-X-EXPS GSSAPI NTLM",
        "250-8BITMIME",
        "250-BINARYMIME",
        "250-CHUNKING",
        "250 XRDST",
    ] {
        push(t, '>', line, "");
    }
    t += r.between(20, 400);
    if s.kind == FrontendKind::Spray {
        push(t, '<', "AUTH LOGIN", "");
        push(t, '>', "334 <authentication response>", "");
        t += r.between(20, 200);
        push(t, '>', "334 <authentication response>", "");
        t += r.between(20, 200);
        push(
            t,
            '*',
            "",
            "Inbound authentication failed because of LogonDenied",
        );
        push(t, '>', "535 5.7.3 Authentication unsuccessful", "");
        t += r.between(100, 900);
        push(t, '-', "", "Remote");
        return rows;
    }
    let user = r.pick(USERS);
    let size = r.between(2_000, 90_000);
    push(
        t,
        '<',
        &format!("MAIL FROM:<newsletter@example.net> SIZE={size}"),
        "",
    );
    push(t, '<', &format!("RCPT TO:<{user}@{DOMAIN}>"), "");
    t += r.between(2, 40);
    push(t, '>', "250 2.1.0 Sender OK", "");
    push(t, '>', "250 2.1.5 Recipient OK", "");
    t += r.between(20, 300);
    push(t, '<', "DATA", "");
    push(t, '>', "354 Start mail input; end with <CRLF>.<CRLF>", "");
    t += r.between(50, 900);
    let queued = format!(
        "250 2.6.0 <{}@example.net> [InternalId={}, Hostname={}] Queued mail for delivery",
        r.hex(24).to_ascii_lowercase(),
        r.between(1_000_000_000_000, 99_999_999_999_999),
        me.fqdn
    );
    push(t, '>', &queued, "");
    t += r.between(20, 300);
    push(t, '<', "QUIT", "");
    push(t, '>', "221 2.0.0 Service closing transmission channel", "");
    push(t, '-', "", "Local");
    rows
}

/// A true time as `Timestamp` (the window's start if out of range).
pub fn ts(world: &World, ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(world.start)
}

/// `t` plus `seconds`.
pub fn plus(t: Timestamp, seconds: i64) -> Timestamp {
    t + SignedDuration::from_secs(seconds)
}

/// The machine account of an Exchange server as Kerberos names it.
pub fn machine_account(world: &World, server: usize) -> String {
    format!("{}\\{}$", NETBIOS_DOMAIN, world.exchange[server].name)
}

/// Average bytes one healthy session adds to the Send and Receive logs
/// together (for `--size`): a sample of delivered sessions spread over every
/// pair (names, addresses and connector names differ in length).
pub fn bytes_per_session(world: &World) -> f64 {
    const SAMPLE: u64 = 512;
    let n = world.exchange.len();
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|s| (0..n).filter(move |&r| r != s).map(move |r| (s, r)))
        .collect();
    if pairs.is_empty() {
        return 0.0;
    }
    let mut r = rng::stream(world.settings.seed, &[&"size-sample"]);
    let span = (world.end.as_millisecond() - world.start.as_millisecond()).max(1);
    let mut total = 0;
    for i in 0..SAMPLE {
        let (sender, receiver) = pairs[(i as usize * 7919) % pairs.len()];
        let a = Attempt {
            sender,
            receiver,
            t0: world.start.as_millisecond() + r.between(0, span - 1),
            port: r.between(49_152, 65_535) as u16,
            outcome: Outcome::Delivered,
            salt: r.u64(),
        };
        total += session_bytes(world, &a);
    }
    total as f64 / SAMPLE as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{Locale, Scenario, Settings, Skewed};

    #[test]
    fn size_thresholds_count_what_pair_attempts_writes() {
        let mut world = World::new(Settings {
            scenario: Scenario::ClockSkew,
            servers: 3,
            dcs: 1,
            hours: 2,
            size: None,
            locale: Locale::EnUs,
            seed: 7,
            skew_seconds: 420,
            skewed: Skewed::Receiver,
            max_log_file: 10 << 20,
        });
        let thresholds = healthy_thresholds(&world, 10.0);
        for interval in [10.5, 45.25, 180.0] {
            world.interval_s = interval;
            let mut written = 0;
            for s in 0..3 {
                for r in (0..3).filter(|&r| r != s) {
                    for w in 0..window_count(&world) {
                        written += pair_attempts(&world, s, r, w)
                            .iter()
                            .filter(|a| a.outcome == Outcome::Delivered)
                            .count();
                    }
                }
            }
            let counted = thresholds.iter().filter(|&&t| t > interval).count();
            assert!(written > 50, "{interval}: {written}");
            assert_eq!(counted, written, "mean gap {interval} s");
        }
    }
}
