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

use super::{label_value, resolve_times};
use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem};
use crate::queue::local_time::{DateOrderChoice, DateOrderOption, ExportedTime};
use serde::Serialize;

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

/// One klist output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketCache {
    /// `0:0x3e7`.
    pub logon_id: Option<String>,
    /// `Cached Tickets: (N)`.
    pub cached_ticket_count: Option<u32>,
    pub tickets: Vec<KerberosTicket>,
    /// Error lines (`klist failed with 0xc000005f/-1073741729: …`).
    pub errors: Vec<KlistError>,
    pub date_order: DateOrderChoice,
    pub problems: Vec<Problem>,
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

struct Raw {
    line: u64,
    index: Option<u32>,
    fields: Vec<(String, String)>,
}

/// Parses klist output.
pub fn parse(text: &str, option: DateOrderOption) -> TicketCache {
    let mut cache = TicketCache {
        logon_id: None,
        cached_ticket_count: None,
        tickets: Vec::new(),
        errors: Vec::new(),
        date_order: DateOrderChoice::default(),
        problems: Vec::new(),
    };
    let mut raws: Vec<Raw> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let t = raw.trim().trim_start_matches('\u{feff}');
        if t.is_empty() {
            continue;
        }
        if let Some(rest) = t.strip_prefix('#') {
            if let Some((idx, body)) = rest.split_once('>') {
                raws.push(Raw {
                    line: n,
                    index: idx.trim().parse().ok(),
                    fields: Vec::new(),
                });
                if let Some((l, v)) = label_value(body) {
                    if let Some(r) = raws.last_mut() {
                        r.fields.push((l.to_string(), v.to_string()));
                    }
                }
                continue;
            }
        }
        let lower = t.to_ascii_lowercase();
        if lower.contains("0x") && (lower.contains("fail") || lower.contains("error")) {
            cache.errors.push(KlistError {
                line: n,
                code: hex_code(t),
                text: t.to_string(),
            });
            continue;
        }
        if let Some(r) = raws.last_mut() {
            // `Ticket Flags 0x40e10000 -> …` has no colon.
            let pair = label_value(t).or_else(|| {
                let at = t.find("0x")?;
                Some((t.get(..at)?.trim(), t.get(at..)?))
            });
            if let Some((l, v)) = pair {
                r.fields.push((l.to_string(), v.to_string()));
            }
            continue;
        }
        if t.starts_with("Current LogonId") || (cache.logon_id.is_none() && t.contains(":0x")) {
            cache.logon_id = t.split_whitespace().last().map(str::to_string);
        } else if let Some((_, v)) = label_value(t) {
            if let Some(c) = v
                .trim_start_matches('(')
                .split(')')
                .next()
                .and_then(|c| c.trim().parse().ok())
            {
                cache.cached_ticket_count = Some(c);
            }
        }
    }
    // Resolve all times with one day/month decision.
    let mut time_texts = Vec::new();
    let keyed: Vec<Vec<(String, String)>> = raws
        .iter()
        .map(|r| {
            let english = r
                .fields
                .iter()
                .any(|(l, _)| ORDER.contains(&norm(l).as_str()));
            r.fields
                .iter()
                .enumerate()
                .map(|(i, (l, v))| {
                    let k = if english {
                        norm(l)
                    } else {
                        ORDER.get(i).map(|s| s.to_string()).unwrap_or_default()
                    };
                    (k, v.clone())
                })
                .collect()
        })
        .collect();
    for fields in &keyed {
        for (k, v) in fields {
            if k.ends_with("time") {
                time_texts.push(Some(v.clone()));
            }
        }
    }
    let (times, choice) = resolve_times(&time_texts, option);
    cache.date_order = choice;
    let mut times = times.into_iter();
    for (r, fields) in raws.iter().zip(keyed) {
        let mut t = KerberosTicket {
            line: r.line,
            index: r.index,
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
        for (k, v) in fields {
            match k.as_str() {
                "client" => t.client = Some(KerberosPrincipal::parse(&v)),
                "server" => t.server = Some(KerberosPrincipal::parse(&v)),
                "kerbticketencryptiontype" => t.encryption_type = Some(v),
                "ticketflags" => {
                    t.ticket_flags = hex_code(&v);
                    t.ticket_flag_names = v
                        .split_once("->")
                        .map(|(_, names)| names.split_whitespace().map(str::to_string).collect())
                        .unwrap_or_default();
                }
                "starttime" => t.start_time = times.next().flatten(),
                "endtime" => t.end_time = times.next().flatten(),
                "renewtime" => t.renew_time = times.next().flatten(),
                "sessionkeytype" => t.session_key_type = Some(v),
                "cacheflags" => t.cache_flags = Some(v),
                "kdccalled" => t.kdc_called = Some(v).filter(|s| !s.is_empty()),
                k if k.ends_with("time") => {
                    times.next();
                }
                _ => {}
            }
        }
        cache.tickets.push(t);
    }
    if let Some(c) = cache.cached_ticket_count {
        if c as usize != cache.tickets.len() {
            cache.problems.push(Problem::new(
                Location::File,
                format!("header says {c} ticket(s), {} listed", cache.tickets.len()),
            ));
        }
    }
    cache
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
