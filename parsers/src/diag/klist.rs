//! `klist` (best `klist -li 0x3e7`: the machine account's tickets, which the
//! Exchange transport uses) and its errors.
//!
//! A ticket for `SMTPSVC/<peer> @ REALM` shows the sender got a service
//! ticket for the receiver; `Kdc Called:` names the DC that issued it. Each
//! ticket starts with `#N>`; its lines are `Label: value` in a fixed order
//! (Client, Server, KerbTicket Encryption Type, Ticket Flags, Start Time,
//! End Time, Renew Time, Session Key Type, Cache Flags, Kdc Called), which
//! is the fallback when labels are localized. Times carry `(local)` and the
//! host culture; day/month order is decided over the whole file.

use super::label_value;
use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem, Problems};
use crate::queue::local_time::{
    DateOrderChoice, DateOrderInference, DateOrderOption, ExportedTime,
};
use crate::reread::{each_line, Reread};
use serde::Serialize;
use std::io;
use std::ops::ControlFlow;

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[Kind::KLIST],
    describes: "klist: `Current LogonId is` / `Cached Tickets: (n)`",
    detect: |head| Format::command_output(Kind::KLIST, head, looks_like),
    name_prefix: Some("klist"),
};

/// `name @ REALM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KerberosPrincipal {
    pub text: String,
    /// `SMTPSVC/ex02.contoso.local` or `mike`.
    pub name: String,
    pub realm: Option<String>,
    /// Service class (`SMTPSVC`) for service principals.
    pub service: Option<String>,
    /// Host part of a service principal.
    pub host: Option<String>,
}

impl KerberosPrincipal {
    pub fn parse(text: &str) -> KerberosPrincipal {
        let t = text.trim();
        let (name, realm) = match t.rsplit_once('@') {
            Some((n, r)) => (
                n.trim(),
                Some(r.trim().to_string()).filter(|r| !r.is_empty()),
            ),
            None => (t, None),
        };
        let (service, host) = match name.split_once('/') {
            Some((s, h)) => (Some(s.to_string()), Some(h.to_string())),
            None => (None, None),
        };
        KerberosPrincipal {
            text: t.to_string(),
            name: name.to_string(),
            realm,
            service,
            host,
        }
    }
}

/// One cached ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KerberosTicket {
    pub line: u64,
    pub index: Option<u32>,
    /// Which run of klist in the text listed it (1 the first): klist run
    /// again and again into one file lists its tickets again each time.
    pub run: u32,
    pub client: Option<KerberosPrincipal>,
    pub server: Option<KerberosPrincipal>,
    pub encryption_type: Option<String>,
    pub ticket_flags: Option<u32>,
    pub ticket_flag_names: Vec<String>,
    pub start_time: Option<ExportedTime>,
    pub end_time: Option<ExportedTime>,
    pub renew_time: Option<ExportedTime>,
    pub session_key_type: Option<String>,
    pub cache_flags: Option<String>,
    pub kdc_called: Option<String>,
}

/// One klist output (of one run of klist or several: [`KerberosTicket::run`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketCache {
    /// `0:0x3e7` (of several runs, the last run's).
    pub logon_id: Option<String>,
    /// `Cached Tickets: (N)` (of several runs, the last run's; each run's
    /// is checked against its own tickets).
    pub cached_ticket_count: Option<u32>,
    pub tickets: Vec<KerberosTicket>,
    /// Error lines (`klist failed with 0xc000005f/-1073741729: …`).
    pub errors: Vec<KlistError>,
    pub date_order: DateOrderChoice,
    pub problems: Problems,
}

/// An error klist printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KlistError {
    pub line: u64,
    pub code: Option<u32>,
    pub text: String,
}

const ORDER: &[&str] = &[
    "client",
    "server",
    "kerbticketencryptiontype",
    "ticketflags",
    "starttime",
    "endtime",
    "renewtime",
    "sessionkeytype",
    "cacheflags",
    "kdccalled",
];

/// Cheap content check.
pub fn looks_like(text_head: &str) -> bool {
    text_head.lines().take(20).any(|l| {
        let t = l.trim();
        t.starts_with("Current LogonId is ")
            || t.starts_with("Cached Tickets:")
            || (t.starts_with("#0>") && t.contains('@'))
    })
}

fn hex_code(line: &str) -> Option<u32> {
    let at = line.find("0x")?;
    let digits: String = line
        .get(at + 2..)?
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    u32::from_str_radix(&digits, 16).ok()
}

/// A record of a klist output, handed over as it is read ([`read`]).
#[derive(Debug, Clone, PartialEq)]
pub enum KlistRecord {
    /// Boxed: a ticket is ten times an error's size.
    Ticket(Box<KerberosTicket>),
    Error(KlistError),
}

/// Lines a ticket holds at the most; a ticket of more (a paste gone wrong
/// after its `#N>`) has the rest passed over, a problem naming it.
const FIELDS_A_TICKET: usize = 64;

struct Raw {
    line: u64,
    index: Option<u32>,
    run: u32,
    fields: Vec<(String, String)>,
    /// Lines passed over past [`FIELDS_A_TICKET`].
    passed_over: u64,
}

impl Raw {
    /// The fields keyed by the English labels, or by [`ORDER`] when the
    /// labels are localized (none of them English).
    fn keyed(&self) -> impl Iterator<Item = (String, &str)> + '_ {
        let english = self
            .fields
            .iter()
            .any(|(l, _)| ORDER.contains(&norm(l).as_str()));
        self.fields.iter().enumerate().map(move |(i, (l, v))| {
            let k = if english {
                norm(l)
            } else {
                ORDER.get(i).map(|s| s.to_string()).unwrap_or_default()
            };
            (k, v.as_str())
        })
    }

    /// The ticket, its times read in `choice`'s order.
    fn ticket(&self, choice: &DateOrderChoice) -> KerberosTicket {
        let mut t = KerberosTicket {
            line: self.line,
            index: self.index,
            run: self.run,
            client: None,
            server: None,
            encryption_type: None,
            ticket_flags: None,
            ticket_flag_names: Vec::new(),
            start_time: None,
            end_time: None,
            renew_time: None,
            session_key_type: None,
            cache_flags: None,
            kdc_called: None,
        };
        for (k, v) in self.keyed() {
            match k.as_str() {
                "client" => t.client = Some(KerberosPrincipal::parse(v)),
                "server" => t.server = Some(KerberosPrincipal::parse(v)),
                "kerbticketencryptiontype" => t.encryption_type = Some(v.to_string()),
                "ticketflags" => {
                    t.ticket_flags = hex_code(v);
                    t.ticket_flag_names = v
                        .split_once("->")
                        .map(|(_, names)| names.split_whitespace().map(str::to_string).collect())
                        .unwrap_or_default();
                }
                "starttime" => t.start_time = choice.read(v),
                "endtime" => t.end_time = choice.read(v),
                "renewtime" => t.renew_time = choice.read(v),
                "sessionkeytype" => t.session_key_type = Some(v.to_string()),
                "cacheflags" => t.cache_flags = Some(v.to_string()),
                "kdccalled" => t.kdc_called = Some(v.to_string()).filter(|s| !s.is_empty()),
                _ => {}
            }
        }
        t
    }
}

/// Parses klist output.
pub fn parse(text: &str, option: DateOrderOption) -> TicketCache {
    let (mut tickets, mut errors) = (Vec::new(), Vec::new());
    let mut cache = read(&mut text.as_bytes(), option, &mut |r| match r {
        KlistRecord::Ticket(t) => tickets.push(*t),
        KlistRecord::Error(e) => errors.push(e),
    });
    cache.tickets = tickets;
    cache.errors = errors;
    cache
}

/// Reads klist output as [`parse`] does, handing each ticket and error to
/// `each` as it ends instead of keeping it: `klist` run every minute for
/// days into one file holds a run of tickets a minute. The text is read
/// twice: once for the day/month order of all its times, once for the
/// tickets. The cache that comes back holds the rest (its `tickets` and
/// `errors` empty); a run's `Cached Tickets: (N)` that does not add up is
/// one problem however many runs do not.
pub fn read(
    text: &mut dyn Reread,
    option: DateOrderOption,
    each: &mut dyn FnMut(KlistRecord),
) -> TicketCache {
    let mut inference = DateOrderInference::new();
    let (_, dates) = pass(text, &mut |item| {
        if let Item::Ticket(raw) = item {
            for (k, v) in raw.keyed() {
                if k.ends_with("time") {
                    inference.observe(v);
                }
            }
        }
    });
    let choice = inference.decide(option);
    let (lines, read) = match dates {
        Ok(()) => pass(text, &mut |item| match item {
            Item::Ticket(raw) => each(KlistRecord::Ticket(Box::new(raw.ticket(&choice)))),
            Item::Error(e) => each(KlistRecord::Error(e)),
        }),
        Err(e) => (Lines::default(), Err(e)),
    };
    let mut cache = lines.cache;
    cache.date_order = choice;
    if let Err(e) = read {
        cache.problems.push(Problem::new(
            Location::File,
            format!("cannot read the text: {e}"),
        ));
    }
    cache
}

/// One reading of the whole text, each ticket and error to `each` as it
/// ends; what the lines said, and the error that cut the reading short.
fn pass(text: &mut dyn Reread, each: &mut dyn FnMut(Item<'_>)) -> (Lines, io::Result<()>) {
    let mut lines = Lines::default();
    let read = text.read_from_start().and_then(|mut t| {
        each_line(&mut *t, &mut |n, line| {
            lines.line(n, line, each);
            ControlFlow::Continue(())
        })
    });
    lines.end(each);
    (lines, read)
}

/// What [`Lines`] hands over.
enum Item<'a> {
    Ticket(&'a Raw),
    Error(KlistError),
}

/// One run of klist in the text: from its `Current LogonId` (or its
/// `Cached Tickets:`) to the next run's.
#[derive(Default)]
struct Run {
    /// `Cached Tickets: (N)`.
    count: Option<u32>,
    listed: u32,
    logon_id: bool,
    /// Its first line.
    line: u64,
}

/// Runs whose `Cached Tickets: (N)` does not add up.
#[derive(Default)]
struct Mismatches {
    /// The first: its count, how many it listed, its first line.
    first: Option<(u32, u32, u64)>,
    more: u64,
}

/// What the lines read so far say about the ones to come.
struct Lines {
    cache: TicketCache,
    raw: Option<Raw>,
    run: Run,
    runs: u32,
    mismatches: Mismatches,
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            cache: TicketCache {
                logon_id: None,
                cached_ticket_count: None,
                tickets: Vec::new(),
                errors: Vec::new(),
                date_order: DateOrderChoice::default(),
                problems: Problems::new(),
            },
            raw: None,
            run: Run::default(),
            runs: 1,
            mismatches: Mismatches::default(),
        }
    }
}

/// The number of `(N)`: a `Cached Tickets: (N)` line's value.
fn ticket_count(value: &str) -> Option<u32> {
    value
        .trim_start_matches('(')
        .split(')')
        .next()
        .and_then(|c| c.trim().parse().ok())
}

/// A line that starts another run of klist while a ticket is open: its
/// `Current LogonId is 0:0x3e7` (localized: a last word `0:0x3e7`) or its
/// `Cached Tickets: (2)` (a value of just `(N)`), which no ticket line is.
fn starts_a_run(t: &str) -> bool {
    let logon = t.starts_with("Current LogonId")
        || t.split_whitespace().last().is_some_and(|w| {
            w.split_once(":0x").is_some_and(|(a, b)| {
                !a.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && !b.is_empty()
                    && b.bytes().all(|c| c.is_ascii_hexdigit())
            })
        });
    let count = label_value(t)
        .is_some_and(|(_, v)| v.starts_with('(') && v.ends_with(')') && ticket_count(v).is_some());
    logon || count
}

impl Lines {
    fn line(&mut self, n: u64, raw: &str, each: &mut dyn FnMut(Item<'_>)) {
        let t = raw.trim().trim_start_matches('\u{feff}');
        if t.is_empty() {
            return;
        }
        if let Some(rest) = t.strip_prefix('#') {
            if let Some((idx, body)) = rest.split_once('>') {
                self.end_ticket(each);
                self.run.listed += 1;
                let mut ticket = Raw {
                    line: n,
                    index: idx.trim().parse().ok(),
                    run: self.runs,
                    fields: Vec::new(),
                    passed_over: 0,
                };
                if let Some((l, v)) = label_value(body) {
                    ticket.fields.push((l.to_string(), v.to_string()));
                }
                self.raw = Some(ticket);
                return;
            }
        }
        let lower = t.to_ascii_lowercase();
        if lower.contains("0x") && (lower.contains("fail") || lower.contains("error")) {
            each(Item::Error(KlistError {
                line: n,
                code: hex_code(t),
                text: t.to_string(),
            }));
            return;
        }
        if (self.raw.is_some() || self.run.count.is_some()) && starts_a_run(t) {
            self.end_ticket(each);
            self.end_run();
            self.runs = self.runs.saturating_add(1);
            self.run.line = n;
        }
        if let Some(r) = self.raw.as_mut() {
            // `Ticket Flags 0x40e10000 -> …` has no colon.
            let pair = label_value(t).or_else(|| {
                let at = t.find("0x")?;
                Some((t.get(..at)?.trim(), t.get(at..)?))
            });
            if let Some((l, v)) = pair {
                if r.fields.len() < FIELDS_A_TICKET {
                    r.fields.push((l.to_string(), v.to_string()));
                } else {
                    r.passed_over += 1;
                }
            }
            return;
        }
        if self.run.line == 0 {
            self.run.line = n;
        }
        if t.starts_with("Current LogonId") || (!self.run.logon_id && t.contains(":0x")) {
            self.cache.logon_id = t.split_whitespace().last().map(str::to_string);
            self.run.logon_id = true;
        } else if let Some(c) = label_value(t).and_then(|(_, v)| ticket_count(v)) {
            self.cache.cached_ticket_count = Some(c);
            self.run.count = Some(c);
        }
    }

    /// The open ticket handed over.
    fn end_ticket(&mut self, each: &mut dyn FnMut(Item<'_>)) {
        if let Some(raw) = self.raw.take() {
            if raw.passed_over > 0 {
                self.cache.problems.push(Problem::new(
                    Location::Line(raw.line),
                    format!(
                        "ticket of more than {FIELDS_A_TICKET} lines: its last {} passed over",
                        raw.passed_over
                    ),
                ));
            }
            each(Item::Ticket(&raw));
        }
    }

    /// The run read so far checked against its `Cached Tickets: (N)`, and
    /// another begun.
    fn end_run(&mut self) {
        let run = std::mem::take(&mut self.run);
        if let Some(c) = run.count {
            if c != run.listed {
                match self.mismatches.first {
                    None => self.mismatches.first = Some((c, run.listed, run.line)),
                    Some(_) => self.mismatches.more += 1,
                }
            }
        }
    }

    /// The last ticket and run, and the problem of the runs that do not add up.
    fn end(&mut self, each: &mut dyn FnMut(Item<'_>)) {
        self.end_ticket(each);
        self.end_run();
        let Some((c, listed, line)) = self.mismatches.first else {
            return;
        };
        let mut text = format!("header says {c} ticket(s), {listed} listed");
        // One run: as it always read; of several, which.
        if self.runs > 1 {
            text.push_str(&format!(" in the run at line {line}"));
            if self.mismatches.more > 0 {
                text.push_str(&format!(
                    " (and {} more runs that do not add up)",
                    self.mismatches.more
                ));
            }
        }
        self.cache.problems.push(Problem::new(Location::File, text));
    }
}

fn norm(label: &str) -> String {
    label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl TicketCache {
    /// Tickets for a service class (e.g. `SMTPSVC`), case-insensitive.
    pub fn tickets_for_service<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = &'a KerberosTicket> + 'a {
        self.tickets.iter().filter(move |t| {
            t.server
                .as_ref()
                .and_then(|s| s.service.as_deref())
                .is_some_and(|s| s.eq_ignore_ascii_case(service))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `klist -li 0x3e7` on EX01 (FORMATS.md §4's layout): the machine's
    /// TGT and its SMTPSVC ticket for EX02, times in month/day order.
    const RUN: &str = "\r\nCurrent LogonId is 0:0x3e7\r\nTargeted LogonId is 0:0x3e7\r\n\r\nCached Tickets: (2)\r\n\r\n#0>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: krbtgt/CONTOSO.COM @ CONTOSO.COM\r\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n\tTicket Flags 0x40e10000 -> forwardable renewable initial pre_authent name_canonicalize\r\n\tStart Time: 4/16/2022 9:53:54 (local)\r\n\tEnd Time:   4/16/2022 19:53:54 (local)\r\n\tRenew Time: 4/23/2022 9:53:54 (local)\r\n\tSession Key Type: AES-256-CTS-HMAC-SHA1-96\r\n\tCache Flags: 0x1 -> PRIMARY\r\n\tKdc Called: DC01.contoso.com\r\n\r\n#1>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: SMTPSVC/EX02.contoso.com @ CONTOSO.COM\r\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n\tTicket Flags 0x40a50000 -> forwardable renewable pre_authent ok_as_delegate name_canonicalize\r\n\tStart Time: 4/16/2022 9:54:10 (local)\r\n\tEnd Time:   4/16/2022 19:53:54 (local)\r\n\tRenew Time: 4/23/2022 9:53:54 (local)\r\n\tSession Key Type: AES-256-CTS-HMAC-SHA1-96\r\n\tCache Flags: 0\r\n\tKdc Called: DC01.contoso.com\r\n";

    /// What `read` hands over, and the cache it returns.
    fn streamed(text: &str) -> (Vec<KlistRecord>, TicketCache) {
        let mut handed = Vec::new();
        let cache = read(&mut text.as_bytes(), DateOrderOption::Infer, &mut |r| {
            handed.push(r)
        });
        (handed, cache)
    }

    /// `parse` keeps what `read` hands over, in order, and nothing else
    /// differs.
    fn assert_read_is_parse(text: &str) -> TicketCache {
        let whole = parse(text, DateOrderOption::Infer);
        let (handed, cache) = streamed(text);
        let tickets: Vec<_> = handed
            .iter()
            .filter_map(|r| match r {
                KlistRecord::Ticket(t) => Some((**t).clone()),
                KlistRecord::Error(_) => None,
            })
            .collect();
        let errors: Vec<_> = handed
            .iter()
            .filter_map(|r| match r {
                KlistRecord::Error(e) => Some(e.clone()),
                KlistRecord::Ticket(_) => None,
            })
            .collect();
        assert!(cache.tickets.is_empty() && cache.errors.is_empty());
        assert_eq!(
            TicketCache {
                tickets,
                errors,
                ..cache
            },
            whole
        );
        whole
    }

    fn servers(cache: &TicketCache) -> Vec<(u32, &str)> {
        cache
            .tickets
            .iter()
            .map(|t| (t.run, t.server.as_ref().map_or("", |s| s.text.as_str())))
            .collect()
    }

    /// One run, however it was saved: CRLF or LF, a byte order mark,
    /// trailing spaces, indentation lost: the same two tickets.
    #[test]
    fn one_run_reads_the_same_whatever_its_form() {
        let lf = RUN.replace("\r\n", "\n");
        let trailing: String = RUN.lines().map(|l| format!("{l}   \r\n")).collect();
        let flush: String = RUN
            .lines()
            .map(|l| format!("{}\n", l.trim_start()))
            .collect();
        for text in [
            RUN.to_string(),
            format!("\u{feff}{RUN}"),
            lf,
            trailing,
            flush,
        ] {
            let cache = assert_read_is_parse(&text);
            assert!(cache.problems.is_empty(), "{:?}", cache.problems);
            assert_eq!(cache.logon_id.as_deref(), Some("0:0x3e7"));
            assert_eq!(cache.cached_ticket_count, Some(2));
            assert_eq!(
                servers(&cache),
                [
                    (1, "krbtgt/CONTOSO.COM @ CONTOSO.COM"),
                    (1, "SMTPSVC/EX02.contoso.com @ CONTOSO.COM")
                ]
            );
            let smtp: Vec<_> = cache.tickets_for_service("smtpsvc").collect();
            assert_eq!(smtp.len(), 1);
            assert_eq!(smtp[0].kdc_called.as_deref(), Some("DC01.contoso.com"));
            assert_eq!(smtp[0].ticket_flags, Some(0x40a5_0000));
            let start = smtp[0].start_time.map(|t| t.local.to_string());
            assert_eq!(start.as_deref(), Some("2022-04-16T09:54:10"));
        }
    }

    /// A header that does not add up is one problem for the file, worded
    /// as it always was.
    #[test]
    fn a_count_that_does_not_add_up_is_a_problem() {
        let text = "\r\nCurrent LogonId is 0:0x3e7\r\n\r\nCached Tickets: (3)\r\n\r\n#0>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: SMTPSVC/EX02.contoso.com @ CONTOSO.COM\r\n";
        let cache = assert_read_is_parse(text);
        assert_eq!(
            cache.problems,
            [Problem::new(
                Location::File,
                "header says 3 ticket(s), 1 listed"
            )]
        );
    }

    /// klist run every minute into one file, its last run cut: each run's
    /// tickets are its own (numbered by run), every run adds up but the
    /// cut one, which the one problem names by line, and the day/month
    /// order is decided over all runs (a later run's `13/5/2022` makes the
    /// first run's `4/5/2022` the 4th of May).
    #[test]
    fn runs_in_a_loop_are_read_run_by_run() {
        let day_first = RUN
            .replace("4/16/2022", "4/5/2022")
            .replace("4/23/2022", "11/5/2022");
        let later = RUN
            .replace("4/16/2022", "13/5/2022")
            .replace("4/23/2022", "20/5/2022");
        let cut = RUN
            .split("#1>")
            .next()
            .map(str::to_string)
            .unwrap_or_default();
        let text = format!(
            "{day_first}{}{later}{cut}",
            RUN.replace("4/16/2022", "4/5/2022")
                .replace("4/23/2022", "11/5/2022")
        );
        let cache = assert_read_is_parse(&text);
        let runs: Vec<u32> = cache.tickets.iter().map(|t| t.run).collect();
        assert_eq!(runs, [1, 1, 2, 2, 3, 3, 4]);
        let cut_at = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("Current LogonId"))
            .nth(3)
            .map_or(0, |(i, _)| i + 1);
        assert_eq!(
            cache.problems,
            [Problem::new(
                Location::File,
                format!("header says 2 ticket(s), 1 listed in the run at line {cut_at}")
            )]
        );
        let first = cache.tickets.first().and_then(|t| t.start_time);
        assert_eq!(
            first.map(|t| t.local.to_string()).as_deref(),
            Some("2022-05-04T09:53:54")
        );
    }

    /// 50,000 runs, every one cut short: one problem counting them.
    #[test]
    fn many_runs_that_do_not_add_up_are_one_problem() {
        let cut = RUN.split("#1>").next().unwrap_or_default();
        let (handed, cache) = streamed(&cut.repeat(50_000));
        assert_eq!(handed.len(), 50_000);
        assert_eq!(cache.problems.len(), 1);
        assert_eq!(
            cache.problems[0].to_string(),
            "header says 2 ticket(s), 1 listed in the run at line 2 (and 49999 more runs that do not add up)"
        );
    }

    /// Localized labels: the fixed order of a ticket's lines says which is
    /// which.
    #[test]
    fn localized_labels_are_read_by_their_order() {
        let text = "Aktuelle Anmelde-ID ist 0:0x3e7\r\n\r\nZwischengespeicherte Tickets: (1)\r\n\r\n#0>\tKlient: EX01$ @ CONTOSO.COM\r\n\tDienst: SMTPSVC/EX02.contoso.com @ CONTOSO.COM\r\n\tKerbTicket (Verschlüsselungstyp): AES-256-CTS-HMAC-SHA1-96\r\n\tTicketkennzeichen 0x40a50000 -> forwardable renewable\r\n\tStartzeit: 5/13/2022 9:54:10 (lokal)\r\n\tEndzeit:   5/13/2022 19:53:54 (lokal)\r\n\tErneuerungszeit: 5/20/2022 9:53:54 (lokal)\r\n\tSitzungsschlüsseltyp: AES-256-CTS-HMAC-SHA1-96\r\n\tCachekennzeichen: 0\r\n\tAufgerufenes KDC: DC01.contoso.com\r\n\r\nAktuelle Anmelde-ID ist 0:0x3e7\r\n\r\nZwischengespeicherte Tickets: (0)\r\n";
        let cache = assert_read_is_parse(text);
        assert!(cache.problems.is_empty(), "{:?}", cache.problems);
        assert_eq!(cache.cached_ticket_count, Some(0));
        let t = cache.tickets.first().cloned();
        let t = t.unwrap_or_else(|| panic!("a ticket: {cache:?}"));
        assert_eq!(
            t.server.map(|s| s.text).as_deref(),
            Some("SMTPSVC/EX02.contoso.com @ CONTOSO.COM")
        );
        assert_eq!(t.kdc_called.as_deref(), Some("DC01.contoso.com"));
        assert_eq!(t.ticket_flags, Some(0x40a5_0000));
    }

    /// Errors are handed over where they are; a ticket gone on for ever
    /// (a paste gone wrong after its `#N>`) keeps its first lines, a problem
    /// names it, and the tickets after it are read.
    #[test]
    fn errors_and_a_runaway_ticket() {
        let runaway = "\tnoise: more\r\n".repeat(FIELDS_A_TICKET + 5);
        let text = format!(
            "klist failed with 0xc000018b/-1073741429: The SAM database on the Windows Server does not have a computer account for this workstation trust relationship.\r\n#0>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: krbtgt/CONTOSO.COM @ CONTOSO.COM\r\n{runaway}\0\0\r\n{}",
            RUN
        );
        let cache = assert_read_is_parse(&text);
        assert_eq!(cache.errors.len(), 1);
        assert_eq!(cache.errors[0].code, Some(0xc000_018b));
        assert_eq!(
            cache.problems,
            [Problem::new(
                Location::Line(2),
                "ticket of more than 64 lines: its last 7 passed over"
            )]
        );
        assert_eq!(cache.tickets.len(), 3);
        assert_eq!(
            cache.tickets[0].server.as_ref().map(|s| s.text.as_str()),
            Some("krbtgt/CONTOSO.COM @ CONTOSO.COM")
        );
    }
}
