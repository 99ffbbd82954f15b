//! `--layout handover`: what an admin pastes into a ticket during the outage
//! instead of an ExchangeLogCollector zip (FORMATS.md §7).
//!
//! One `ticket/` folder per collection, a few KB per file, each piece taken
//! from the same simulated world as the other layouts (the same queues, the
//! same event records, the same protocol-log rows), then rendered the way it
//! reaches a ticket and damaged the way pasting damages it:
//!
//! | file | what | form |
//! |---|---|---|
//! | `queue-<SENDER>.txt` | `Get-Queue \| fl` on the failing sender | console-wrapped at 80 (English) or 120 columns, trailing blanks stripped |
//! | `event-1035-<RECEIVER>.txt` | 1035 on the receiver | Event Viewer copy; Dutch: the first without, the last with `Event Xml:` |
//! | `event-2017-<SENDER>.txt` | 2017 (sender-synthesized) | Event Viewer copy with XML |
//! | `events-system-<HOST>.txt` | Kerberos 3/4, LsaSrv 40960 + NETLOGON 5719, KDC 11 | Event Viewer copies, English: XML cut after `TimeCreated` |
//! | `send-excerpt.txt` / `recv-excerpt-<RECEIVER>.txt` | headerless protocol-log rows ending with the last failed session | pasted rows |
//! | `PowerShell_transcript.<HOST>.<tag>.<stamp>.txt` (English) / `console-<HOST>.txt` (Dutch) | the KB's commands in an Exchange Management Shell | transcript file (UTF-8 BOM) / pasted console text with `[PS] C:\Windows\system32>` prompts |
//! | `ipconfig-<RECEIVER>.txt` | `ipconfig /all` | English: `> file` from PowerShell (UTF-16LE); Dutch: pasted |
//!
//! The commands depend on the scenario: `w32tm /query /status`, `w32tm
//! /stripchart` and `Get-Queue` on the skewed server (clock-skew), `setspn -L`
//! and `setspn -Q` (spn-missing, sender-synthesized), `setspn -X -F`
//! (spn-duplicate), `Test-NetConnection <DC> -Port 88` (kerberos-blocked),
//! `repadmin /replsummary` (replication), `Get-ReceiveConnector | fl …`
//! (connector-auth). The inconclusive scenario hands over only the queue and
//! the 1035.
//!
//! The UI language follows the culture for nl-NL (Dutch Windows: Event
//! Viewer captions, the 1035 text, `ipconfig`); the other cultures keep an
//! English UI with their regional formats, as the other layouts assume. Native
//! commands (`setspn`, `w32tm`) print English in every culture: their Dutch
//! texts are unverified.

mod console;
mod event_copy;

pub use console::{expand_tabs, pasted};
pub use event_copy::{event_xml, viewer_copy, Xml};

use super::events;
use super::exchange_data;
use super::locale::Locale;
use super::psobject::{self, PsObject};
use super::traffic::{self, Attempt};
use super::world::{Machine, Scenario, Skewed, World};
use super::Counts;
use console::Command;
use exauth_parsers::evtx_writer::EventRecord;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::io;
use std::path::Path;

/// The language of the Windows the hand-over was copied from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ui {
    English,
    Dutch,
}

impl Ui {
    pub fn of(locale: Locale) -> Ui {
        match locale {
            Locale::NlNl => Ui::Dutch,
            _ => Ui::English,
        }
    }
}

/// What the hand-over holds.
#[derive(Debug, Clone, Default)]
pub struct Ticket {
    /// Evidence pieces in the ticket, by the keys `expected.json` uses.
    pub counts: Counts,
    /// (sender, receiver) pairs the ticket shows failing.
    pub pairs: BTreeSet<(usize, usize)>,
    /// Of those, the pairs something besides a queue shows (an event, a
    /// protocol-log excerpt): only these can tell which side failed.
    pub sided: BTreeSet<(usize, usize)>,
    /// The files written, relative to the output folder, sorted.
    pub files: Vec<String>,
}

/// The folder inside the output that holds the hand-over.
pub const FOLDER: &str = "ticket";

struct Builder<'w> {
    world: &'w World,
    ui: Ui,
    failing: Vec<Attempt>,
    files: Vec<(String, Vec<u8>)>,
    counts: Counts,
    pairs: BTreeSet<(usize, usize)>,
    sided: BTreeSet<(usize, usize)>,
}

fn count(counts: &mut Counts, key: &str) {
    *counts.entry(key.to_string()).or_insert(0) += 1;
}

/// Writes the hand-over for `world` into `out/ticket/`.
pub fn write(world: &World, out: &Path) -> io::Result<Ticket> {
    let mut b = Builder {
        world,
        ui: Ui::of(world.settings.locale),
        failing: traffic::failing_attempts(world),
        files: Vec::new(),
        counts: Counts::new(),
        pairs: BTreeSet::new(),
        sided: BTreeSet::new(),
    };
    let scenario = world.scenario();
    b.queue_paste(world.sender);
    b.event_1035(world.receiver);
    if scenario == Scenario::SenderSynthesized {
        b.event_2017(world.sender);
    }
    if scenario != Scenario::Inconclusive {
        b.system_events();
        let staging = out.join(".exauth-synth-staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        let excerpt = b.excerpt(&staging);
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        excerpt?;
        b.commands();
        b.ipconfig(world.receiver);
    }
    let dir = out.join(FOLDER);
    std::fs::create_dir_all(&dir)?;
    let mut files = Vec::new();
    for (name, bytes) in &b.files {
        std::fs::write(dir.join(name), bytes)?;
        files.push(format!("{FOLDER}/{name}"));
    }
    files.sort();
    Ok(Ticket {
        counts: b.counts,
        pairs: b.pairs,
        sided: b.sided,
        files,
    })
}

impl Builder<'_> {
    fn file(&mut self, name: String, bytes: Vec<u8>) {
        self.files.push((name, bytes));
    }

    fn name(&self, machine: Machine) -> String {
        self.world.host(machine).name.clone()
    }

    /// The receivers `server`'s queues are retrying, noted as failing pairs.
    fn note_queue_pairs(&mut self, server: usize) {
        let receivers: Vec<usize> = self
            .failing
            .iter()
            .filter(|a| a.sender == server)
            .map(|a| a.receiver)
            .collect();
        for r in receivers {
            self.pairs.insert((server, r));
        }
    }

    fn get_queue(&mut self, server: usize, width: usize) -> String {
        let objects = exchange_data::queues(self.world, server, &mut self.counts);
        self.note_queue_pairs(server);
        psobject::format_list(&objects, width, self.world.settings.locale.word_wraps())
    }

    /// `Get-Queue | fl` pasted from the console of `server`.
    fn queue_paste(&mut self, server: usize) {
        let width = match self.ui {
            Ui::English => 80,
            Ui::Dutch => 120,
        };
        let text = self.get_queue(server, width);
        let name = format!("queue-{}.txt", self.name(Machine::Exchange(server)));
        self.file(name, pasted(&text).into_bytes());
    }

    /// (Application, System) of an Exchange server, numbered as in its `.evtx`.
    fn exchange_events(&self, server: usize) -> (Vec<EventRecord>, Vec<EventRecord>) {
        let name = self.name(Machine::Exchange(server));
        let (app, sys) = events::exchange_logs(self.world, server, &mut Counts::new());
        (
            events::numbered(self.world, &name, app),
            events::numbered(self.world, &name, sys),
        )
    }

    fn exchange_index_of_ip(&self, ip: &str) -> Option<usize> {
        self.world.exchange.iter().position(|h| h.ip == ip)
    }

    /// Several copies in one paste, a blank line between them.
    fn copies(&self, picks: &[(&EventRecord, Xml)]) -> String {
        let mut text = String::new();
        for (i, (record, xml)) in picks.iter().enumerate() {
            if i > 0 {
                text.push_str("\r\n");
            }
            text.push_str(&viewer_copy(self.world, record, self.ui, *xml));
        }
        pasted(&text)
    }

    /// The receiver's 1035s for Exchange authentication.
    fn event_1035(&mut self, receiver: usize) {
        let (app, _) = self.exchange_events(receiver);
        let found: Vec<&EventRecord> = app
            .iter()
            .filter(|e| e.provider.name == "MSExchangeTransport" && e.event_id == 1035)
            .collect();
        let (Some(first), Some(last)) = (found.first(), found.last()) else {
            return;
        };
        let picks: Vec<(&EventRecord, Xml)> = match self.ui {
            Ui::English => vec![(last, Xml::Full)],
            Ui::Dutch if found.len() > 1 => vec![(first, Xml::Omitted), (last, Xml::Full)],
            Ui::Dutch => vec![(last, Xml::Full)],
        };
        for (record, _) in &picks {
            count(&mut self.counts, "event_1035_exchangeauth");
            if let exauth_parsers::evtx_writer::EventData::Classic { strings, .. } = &record.data {
                if let Some(sender) = strings.get(3).and_then(|ip| self.exchange_index_of_ip(ip)) {
                    self.pairs.insert((sender, receiver));
                    self.sided.insert((sender, receiver));
                }
            }
        }
        let text = self.copies(&picks);
        let name = format!("event-1035-{}.txt", self.name(Machine::Exchange(receiver)));
        self.file(name, text.into_bytes());
    }

    /// The sender's 2017 (it could not get a ticket).
    fn event_2017(&mut self, sender: usize) {
        let (app, _) = self.exchange_events(sender);
        let Some(last) = app
            .iter()
            .rfind(|e| e.provider.name == "MSExchangeTransport" && e.event_id == 2017)
        else {
            return;
        };
        count(&mut self.counts, "event_2017");
        if let exauth_parsers::evtx_writer::EventData::Classic { strings, .. } = &last.data {
            let target = strings.get(3).map(String::as_str).unwrap_or("");
            if let Some(r) = self
                .world
                .exchange
                .iter()
                .position(|h| target.eq_ignore_ascii_case(&format!("SMTPSVC/{}", h.fqdn)))
            {
                self.pairs.insert((sender, r));
                self.sided.insert((sender, r));
            }
        }
        let text = self.copies(&[(last, Xml::Full)]);
        let name = format!("event-2017-{}.txt", self.name(Machine::Exchange(sender)));
        self.file(name, text.into_bytes());
    }

    /// The System-log events of the scenario, copied from the machine that logged them.
    fn system_events(&mut self) {
        let world = self.world;
        let sender = world.sender;
        type Pick = (&'static str, u16, &'static str);
        let (server, wanted): (usize, Vec<Pick>) = match world.scenario() {
            Scenario::ClockSkew => (
                match world.skewed_machine() {
                    Some(Machine::Exchange(x)) => x,
                    _ => sender,
                },
                vec![(
                    "Microsoft-Windows-Security-Kerberos",
                    3,
                    "kerberos_3_ap_err_skew",
                )],
            ),
            Scenario::SpnMissing | Scenario::SenderSynthesized => (
                sender,
                vec![(
                    "Microsoft-Windows-Security-Kerberos",
                    3,
                    "kerberos_3_s_principal_unknown",
                )],
            ),
            Scenario::AdReplication | Scenario::Mixed | Scenario::SpnDuplicate => (
                sender,
                vec![(
                    "Microsoft-Windows-Security-Kerberos",
                    4,
                    "kerberos_4_ap_err_modified",
                )],
            ),
            Scenario::KerberosBlocked => (
                sender,
                vec![
                    ("LsaSrv", 40960, "lsasrv_40960_no_logon_servers"),
                    ("NETLOGON", 5719, "netlogon_5719"),
                ],
            ),
            _ => (sender, Vec::new()),
        };
        if !wanted.is_empty() {
            let (_, sys) = self.exchange_events(server);
            let mut picks: Vec<(&EventRecord, Xml)> = Vec::new();
            for (provider, id, key) in &wanted {
                let Some(last) = sys
                    .iter()
                    .rfind(|e| e.provider.name == *provider && e.event_id == *id)
                else {
                    continue;
                };
                let xml = match (self.ui, picks.is_empty()) {
                    (Ui::English, true) => Xml::Cut,
                    (Ui::English, false) => Xml::Omitted,
                    (Ui::Dutch, _) => Xml::Full,
                };
                picks.push((last, xml));
                count(&mut self.counts, key);
            }
            if !picks.is_empty() {
                let text = self.copies(&picks);
                let name = format!("events-system-{}.txt", self.name(Machine::Exchange(server)));
                self.file(name, text.into_bytes());
            }
        }
        // The KDC's duplicate-name event, from the DC the sender asks.
        if world.scenario() == Scenario::SpnDuplicate {
            let dc = world.exchange[sender].dc;
            let name = self.name(Machine::Dc(dc));
            let (sys, _, _) = events::dc_logs(world, dc, &mut Counts::new());
            let sys = events::numbered(world, &name, sys);
            if let Some(last) = sys.iter().rfind(|e| {
                e.provider.name == "Microsoft-Windows-Kerberos-Key-Distribution-Center"
                    && e.event_id == 11
            }) {
                count(&mut self.counts, "kdc_11_duplicate_spn");
                let text = self.copies(&[(last, Xml::Full)]);
                self.file(format!("events-system-{name}.txt"), text.into_bytes());
            }
        }
    }

    /// Headerless protocol-log rows ending with the last failed session (the
    /// last session in a healthy world): the sender's Send log, or in Dutch
    /// the receiver's Receive log. Clock-skew keeps the whole session, so
    /// the peer's banner (its clock) is in the excerpt.
    fn excerpt(&mut self, staging: &Path) -> io::Result<()> {
        let world = self.world;
        let (s, r) = (world.sender, world.receiver);
        let send = match world.scenario() {
            Scenario::SenderSynthesized | Scenario::ConnectorAuth | Scenario::Healthy => true,
            _ => self.ui == Ui::English,
        };
        let server = if send { s } else { r };
        let dir = staging.join(&world.exchange[server].name);
        traffic::write_hub_logs(
            world,
            server,
            &dir.join("send"),
            &dir.join("recv"),
            &mut Counts::new(),
        )?;
        let log_dir = dir.join(if send { "send" } else { "recv" });
        let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(&log_dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<io::Result<_>>()?;
        names.sort();
        let mut rows: Vec<String> = Vec::new();
        for path in names {
            let text = std::fs::read_to_string(&path)?;
            for line in text.split("\r\n") {
                let line = line.trim_start_matches('\u{feff}');
                if !line.is_empty() && !line.starts_with('#') {
                    rows.push(line.to_string());
                }
            }
        }
        let attempt = self
            .failing
            .iter()
            .rfind(|a| a.sender == s && a.receiver == r)
            .cloned()
            .or_else(|| {
                (0..traffic::window_count(world))
                    .rev()
                    .find_map(|w| traffic::pair_attempts(world, s, r, w).pop())
            });
        let Some(a) = attempt else {
            return Ok(());
        };
        let (snd, rcv) = (&world.exchange[s], &world.exchange[r]);
        let (local, remote) = if send {
            (format!("{}:{}", snd.ip, a.port), format!("{}:2525", rcv.ip))
        } else {
            (format!("{}:2525", rcv.ip), format!("{}:{}", snd.ip, a.port))
        };
        let Some(id) = rows.iter().find_map(|l| {
            let f: Vec<&str> = l.splitn(7, ',').collect();
            (f.len() >= 6 && f[4] == local && f[5] == remote).then(|| f[2].to_string())
        }) else {
            return Ok(());
        };
        let of_session = |l: &String| l.split(',').nth(2) == Some(id.as_str());
        let (Some(first), Some(last)) = (
            rows.iter().position(of_session),
            rows.iter().rposition(of_session),
        ) else {
            return Ok(());
        };
        let start = if world.scenario() == Scenario::ClockSkew && send {
            first
        } else {
            (last + 1).saturating_sub(24)
        };
        let excerpt = rows.get(start..=last).unwrap_or(&[]);
        for l in excerpt {
            let key = if send {
                if l.contains(",<,454 4.7.0") {
                    "send_log_454_received"
                } else if l.contains("Flushed Kerberos ticket cache") {
                    "send_log_flushed_ticket_cache"
                } else if l.contains("Outbound Authentication failed") {
                    "send_log_outbound_auth_failed"
                } else if l.contains(",<,\"220 ") && l.contains(" ready at ") {
                    "send_log_banners"
                } else {
                    continue;
                }
            } else if l.contains("Inbound ExchangeAuth negotiation failed") {
                "receive_log_negotiation_failed"
            } else if l.contains(",>,454 4.7.0") {
                "receive_log_454_sent"
            } else {
                continue;
            };
            count(&mut self.counts, key);
        }
        if a.outcome.fails() {
            self.pairs.insert((s, r));
            self.sided.insert((s, r));
        }
        let name = if send {
            "send-excerpt.txt".to_string()
        } else {
            format!("recv-excerpt-{}.txt", rcv.name)
        };
        let mut text = excerpt.join("\r\n");
        text.push_str("\r\n");
        self.file(name, pasted(&text).into_bytes());
        Ok(())
    }

    /// The scenario's commands, in a transcript (English) or a console paste (Dutch).
    fn commands(&mut self) {
        let world = self.world;
        let (s, r) = (world.sender, world.receiver);
        let rcv = &world.exchange[r];
        let started = world.end + SignedDuration::from_mins(2);
        const GAP_S: i64 = 40;
        let at = |k: i64| -> Timestamp { started + SignedDuration::from_secs(GAP_S * (k + 1)) };
        let mut commands: Vec<Command> = Vec::new();
        let host = match world.scenario() {
            Scenario::ClockSkew => match world.skewed_machine() {
                Some(Machine::Exchange(x)) => x,
                _ => s,
            },
            _ => s,
        };
        let me = Machine::Exchange(host);
        let push = |commands: &mut Vec<Command>,
                    counts: &mut Counts,
                    key: &str,
                    line: String,
                    output: String| {
            count(counts, key);
            commands.push(Command { line, output });
        };
        match world.scenario() {
            Scenario::Inconclusive => return,
            Scenario::ClockSkew => {
                let output = self.get_queue(host, 120);
                commands.push(Command {
                    line: "Get-Queue | fl".into(),
                    output,
                });
                let k = commands.len() as i64;
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_w32tm_status",
                    "w32tm /query /status".into(),
                    super::diag::w32tm_status(world, me, at(k)),
                );
                let target = if world.settings.skewed == Skewed::Dc {
                    Machine::Dc(0)
                } else {
                    Machine::Dc(world.exchange[host].dc)
                };
                let k = commands.len() as i64;
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_w32tm_stripchart",
                    format!(
                        "w32tm /stripchart /computer:{} /samples:5 /dataonly",
                        world.host(target).fqdn
                    ),
                    super::diag::w32tm_stripchart(world, me, target, at(k)),
                );
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_setspn_list",
                    format!("setspn -L {}", rcv.name),
                    super::diag::setspn_list(rcv, true),
                );
            }
            Scenario::SpnMissing | Scenario::SenderSynthesized => {
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_setspn_list",
                    format!("setspn -L {}", rcv.name),
                    super::diag::setspn_list(rcv, false),
                );
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_setspn_query",
                    format!("setspn -Q SMTPSVC/{}", rcv.fqdn),
                    super::diag::setspn_query(rcv, false),
                );
                if self.ui == Ui::English {
                    let k = commands.len() as i64;
                    push(
                        &mut commands,
                        &mut self.counts,
                        "diag_w32tm_status",
                        "w32tm /query /status".into(),
                        super::diag::w32tm_status(world, me, at(k)),
                    );
                }
            }
            Scenario::SpnDuplicate => {
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_setspn_list",
                    format!("setspn -L {}", rcv.name),
                    super::diag::setspn_list(rcv, true),
                );
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_setspn_duplicates",
                    "setspn -X -F".into(),
                    super::diag::setspn_duplicates(Some(rcv)),
                );
            }
            Scenario::KerberosBlocked => {
                for dc in &world.dcs {
                    push(
                        &mut commands,
                        &mut self.counts,
                        "diag_test_netconnection",
                        format!("Test-NetConnection {} -Port 88", dc.name),
                        super::diag::test_netconnection(&world.exchange[s], dc, false),
                    );
                }
            }
            Scenario::AdReplication | Scenario::Mixed => {
                let k = commands.len() as i64;
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_repadmin_replsummary",
                    "repadmin /replsummary".into(),
                    super::diag::repadmin_replsummary(
                        world,
                        at(k),
                        Some(events::replication_broken_since(world)),
                    ),
                );
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_setspn_list",
                    format!("setspn -L {}", rcv.name),
                    super::diag::setspn_list(rcv, true),
                );
            }
            Scenario::ConnectorAuth => {
                const PROPS: [&str; 5] = [
                    "Identity",
                    "Bindings",
                    "RemoteIPRanges",
                    "AuthMechanism",
                    "PermissionGroups",
                ];
                let objects: Vec<PsObject> = exchange_data::receive_connectors(world, r)
                    .into_iter()
                    .map(|o| PsObject {
                        props: PROPS
                            .iter()
                            .filter_map(|p| o.props.iter().find(|(n, _)| n == p).cloned())
                            .collect(),
                        ..o
                    })
                    .collect();
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_receive_connectors",
                    format!(
                        "Get-ReceiveConnector -Server {} | fl {}",
                        rcv.name,
                        PROPS.join(",")
                    ),
                    psobject::format_list(&objects, 120, world.settings.locale.word_wraps()),
                );
            }
            Scenario::Healthy => {
                let k = commands.len() as i64;
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_w32tm_status",
                    "w32tm /query /status".into(),
                    super::diag::w32tm_status(world, me, at(k)),
                );
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_setspn_list",
                    format!("setspn -L {}", rcv.name),
                    super::diag::setspn_list(rcv, true),
                );
            }
        }
        match self.ui {
            Ui::English => {
                let text = console::transcript(world, me, started, GAP_S, &commands);
                let name = console::transcript_name(world, me, started);
                self.file(name, psobject::utf8_bom(&text));
            }
            Ui::Dutch => {
                push(
                    &mut commands,
                    &mut self.counts,
                    "diag_ipconfig",
                    "ipconfig /all".into(),
                    console::ipconfig_all(world, &world.exchange[host], self.ui),
                );
                let text = pasted(&console::console(&commands));
                self.file(format!("console-{}.txt", self.name(me)), text.into_bytes());
            }
        }
    }

    /// `ipconfig /all` of `server`: saved from PowerShell (English) or pasted (Dutch).
    fn ipconfig(&mut self, server: usize) {
        let host = &self.world.exchange[server];
        let text = console::ipconfig_all(self.world, host, self.ui);
        count(&mut self.counts, "diag_ipconfig");
        let bytes = match self.ui {
            Ui::English => psobject::utf16le_bom(&text),
            Ui::Dutch => pasted(&text).into_bytes(),
        };
        self.file(format!("ipconfig-{}.txt", host.name), bytes);
    }
}
