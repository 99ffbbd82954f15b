//! The Windows event logs of each machine, written with the project's own
//! `.evtx` writer.
//!
//! Each log holds a few days of history before the window (event 6013 at
//! noon, service noise) and, during it, what the scenario's fault makes
//! Windows and Exchange log: 1035 on the receiver (rate-limited per source IP
//! as Exchange's periodic logging does), 2017 on a sender that cannot get a
//! ticket, Kerberos 3/4/10, LsaSrv 40960, NETLOGON 5719, W32Time, KDC 11,
//! Security 4769 and NTDS replication errors. Every TimeCreated is the
//! logging machine's own clock.

use super::rng::{self, Rand};
use super::traffic::{failing_attempts, frontend_sessions, ts, Attempt, FrontendKind};
use super::world::{Machine, Outcome, Scenario, Skewed, Status, World, NETBIOS_DOMAIN, REALM};
use super::Counts;
use exauth_parsers::evtx_writer::{
    DataValue, EventData, EventRecord, EvtxWriter, Guid, Provider, Sid,
};
use jiff::{SignedDuration, Timestamp};
use std::io;
use std::path::Path;

/// Days of history before the window that every log holds.
const HISTORY_DAYS: i64 = 3;
/// Exchange logs a periodic event again only after this long.
const PERIODIC_MS: i64 = 15 * 60 * 1000;

/// One log being assembled: events in true-time order.
pub struct Log {
    pub channel: &'static str,
    events: Vec<(i64, EventRecord)>,
}

impl Log {
    fn new(channel: &'static str) -> Log {
        Log {
            channel,
            events: Vec::new(),
        }
    }
}

fn guid(text: &str) -> Guid {
    text.parse().unwrap_or_default()
}

fn provider(name: &str, guid_text: Option<&str>, source: Option<&str>) -> Provider {
    Provider {
        name: name.into(),
        guid: guid_text.map(guid),
        event_source_name: source.map(String::from),
    }
}

/// A classic event's source, id, qualifiers, level and category.
struct Classic(&'static str, u16, u16, u8, u16);

/// What every event of a machine shares.
struct Ctx<'w> {
    world: &'w World,
    machine: Machine,
    computer: String,
}

impl Ctx<'_> {
    /// An event at true time `t`, stamped by this machine's clock.
    fn event(
        &self,
        t: Timestamp,
        channel: &str,
        p: Provider,
        id: u16,
        level: u8,
        data: EventData,
    ) -> EventRecord {
        EventRecord {
            provider: p,
            event_id: id,
            level,
            time: self.world.clock(self.machine, t),
            channel: channel.into(),
            computer: self.computer.clone(),
            data,
            ..Default::default()
        }
    }

    fn classic(
        &self,
        t: Timestamp,
        channel: &str,
        kind: Classic,
        strings: Vec<String>,
    ) -> EventRecord {
        let Classic(source, id, qualifiers, level, task) = kind;
        EventRecord {
            qualifiers: Some(qualifiers),
            task,
            ..self.event(
                t,
                channel,
                Provider::classic(source),
                id,
                level,
                EventData::classic(strings),
            )
        }
    }
}

fn add(log: &mut Log, t: Timestamp, record: EventRecord, counts: &mut Counts, key: Option<&str>) {
    if let Some(key) = key {
        *counts.entry(key.to_string()).or_insert(0) += 1;
    }
    log.events.push((t.as_millisecond(), record));
}

fn kerberos_time(t: Timestamp) -> String {
    let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    format!(
        "{:02}:{:02}:{:02}.{:04} {}/{}/{} Z",
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 100_000,
        dt.month(),
        dt.day(),
        dt.year()
    )
}

const KERBEROS_GUID: &str = "{98e6cfcb-ee0a-41e0-a57b-622d4e1b30b1}";
const SCM_GUID: &str = "{555908d1-a6d7-4695-8e1e-26931d2012f4}";
const SPP_GUID: &str = "{E23B33B0-C8C9-472C-A5F9-F2BDFEA0F156}";
const SECURITY_GUID: &str = "{54849625-5478-4994-A5BA-3E3B0328C30D}";
const KDC_GUID: &str = "{3FD9DA1A-5A54-46C5-9A26-9BD7C0685056}";
const LSASRV_GUID: &str = "{199fe037-2b82-40a9-82ac-e1d46c792b99}";
const NTDS_GUID: &str = "{0e8478c5-3605-4e8c-8497-1e730c959516}";

/// Kerberos client event 3 (System), named data.
#[allow(clippy::too_many_arguments)]
fn kerberos_3(
    ctx: &Ctx<'_>,
    t: Timestamp,
    code: &str,
    message: &str,
    client_time: String,
    server_time: Timestamp,
    server: &str,
    client: &str,
) -> EventRecord {
    let items: Vec<(&str, DataValue)> = vec![
        ("LogonSession", "".into()),
        ("ClientTime", client_time.into()),
        ("ServerTime", kerberos_time(server_time).into()),
        ("ErrorCode", code.into()),
        ("ErrorMessage", message.into()),
        ("ExtendedError", "".into()),
        (
            "ClientRealm",
            if client.is_empty() { "" } else { REALM }.into(),
        ),
        ("ClientName", client.into()),
        ("ServerRealm", REALM.into()),
        ("ServerName", server.into()),
        ("TargetName", format!("{server}@{REALM}").into()),
        ("ErrorText", "".into()),
        ("File", "9".into()),
        ("Line", "f09".into()),
    ];
    EventRecord {
        qualifiers: Some(16384),
        process_id: 0,
        ..ctx.event(
            t,
            "System",
            provider(
                "Microsoft-Windows-Security-Kerberos",
                Some(KERBEROS_GUID),
                Some("Kerberos"),
            ),
            3,
            2,
            EventData::named(items),
        )
    }
}

/// A 1035/2017 sequence with Exchange's periodic suppression.
fn periodic<'a>(attempts: impl Iterator<Item = &'a Attempt>) -> Vec<&'a Attempt> {
    let mut last: Option<i64> = None;
    let mut out = Vec::new();
    for a in attempts {
        if last.is_none_or(|l| a.t0 - l >= PERIODIC_MS) {
            last = Some(a.t0);
            out.push(a);
        }
    }
    out
}

/// Events of Exchange server `server`: (Application, System).
pub fn exchange_logs(world: &World, server: usize, counts: &mut Counts) -> (Log, Log) {
    let me = &world.exchange[server];
    let ctx = Ctx {
        world,
        machine: Machine::Exchange(server),
        computer: me.fqdn.clone(),
    };
    let mut app = Log::new("Application");
    let mut sys = Log::new("System");
    let mut r = rng::stream(world.settings.seed, &[&"events", &me.name]);
    noise(&ctx, &mut r, &mut app, &mut sys);
    let failing = failing_attempts(world);
    let intra = world.settings.locale.intra_org_connector();
    // Receiver: 1035 per source IP, periodic.
    for sender in 0..world.exchange.len() {
        let incoming: Vec<&Attempt> = failing
            .iter()
            .filter(|a| {
                a.receiver == server
                    && a.sender == sender
                    && matches!(a.outcome, Outcome::Rejected(_))
            })
            .collect();
        for a in periodic(incoming.into_iter()) {
            let Outcome::Rejected(status) = a.outcome else {
                continue;
            };
            let t = ts(world, a.t0 + 40);
            let e = ctx.classic(
                t,
                "Application",
                Classic("MSExchangeTransport", 1035, 32768, 3, 1),
                vec![
                    status.name().into(),
                    format!("Default {}", me.name),
                    "ExchangeAuth".into(),
                    world.exchange[sender].ip.clone(),
                ],
            );
            add(&mut app, t, e, counts, Some("event_1035_exchangeauth"));
        }
    }
    // Sender that cannot get a ticket: 2017, periodic per target.
    for receiver in 0..world.exchange.len() {
        let outgoing: Vec<&Attempt> = failing
            .iter()
            .filter(|a| {
                a.sender == server
                    && a.receiver == receiver
                    && matches!(a.outcome, Outcome::SenderFailed(_))
            })
            .collect();
        for a in periodic(outgoing.into_iter()) {
            let Outcome::SenderFailed(status) = a.outcome else {
                continue;
            };
            let t = ts(world, a.t0 + 60);
            let e = ctx.classic(
                t,
                "Application",
                Classic("MSExchangeTransport", 2017, 49152, 2, 2),
                vec![
                    status.name().into(),
                    intra.into(),
                    "ExchangeAuth".into(),
                    format!("SMTPSVC/{}", world.exchange[receiver].fqdn),
                ],
            );
            add(&mut app, t, e, counts, Some("event_2017"));
        }
    }
    // Frontend password spray (mixed): 1035 LogonDenied for Login, unrelated.
    let spray: Vec<_> = frontend_sessions(world, server)
        .into_iter()
        .filter(|s| s.kind == FrontendKind::Spray)
        .collect();
    let mut last: Option<i64> = None;
    for s in &spray {
        if last.is_none_or(|l| s.t0 - l >= PERIODIC_MS) {
            last = Some(s.t0);
            let t = ts(world, s.t0 + 900);
            let e = ctx.classic(
                t,
                "Application",
                Classic("MSExchangeFrontEndTransport", 1035, 32768, 3, 1),
                vec![
                    "LogonDenied".into(),
                    format!("Default Frontend {}", me.name),
                    "Login".into(),
                    s.client_ip.clone(),
                ],
            );
            add(
                &mut app,
                t,
                e,
                counts,
                Some("event_1035_frontend_login_noise"),
            );
        }
    }
    // Kerberos and friends on the System log.
    let mine_out: Vec<&Attempt> = failing.iter().filter(|a| a.sender == server).collect();
    match world.scenario() {
        Scenario::ClockSkew => clock_skew_exchange(&ctx, server, &failing, &mut sys, counts),
        Scenario::AdReplication | Scenario::Mixed | Scenario::SpnDuplicate => {
            for a in &mine_out {
                let rcv = &world.exchange[a.receiver];
                let t = ts(world, a.t0 + 30);
                let items: Vec<(&str, DataValue)> = vec![
                    ("Server", rcv.name.to_ascii_lowercase().into()),
                    ("TargetRealm", REALM.into()),
                    ("Targetname", format!("SMTPSVC/{}", rcv.fqdn).into()),
                    ("ClientRealm", REALM.into()),
                ];
                let e = EventRecord {
                    qualifiers: Some(16384),
                    ..ctx.event(
                        t,
                        "System",
                        provider(
                            "Microsoft-Windows-Security-Kerberos",
                            Some(KERBEROS_GUID),
                            Some("Kerberos"),
                        ),
                        4,
                        2,
                        EventData::named(items),
                    )
                };
                add(&mut sys, t, e, counts, Some("kerberos_4_ap_err_modified"));
            }
        }
        Scenario::SpnMissing | Scenario::SenderSynthesized => {
            for a in &mine_out {
                let rcv = &world.exchange[a.receiver];
                let t = ts(world, a.t0 + 20);
                let dc_time = world.clock(Machine::Dc(me.dc), t);
                let e = kerberos_3(
                    &ctx,
                    t,
                    "0x7",
                    "KDC_ERR_S_PRINCIPAL_UNKNOWN",
                    String::new(),
                    dc_time,
                    &format!("SMTPSVC/{}", rcv.fqdn),
                    &format!("{}$", me.name),
                );
                add(
                    &mut sys,
                    t,
                    e,
                    counts,
                    Some("kerberos_3_s_principal_unknown"),
                );
            }
        }
        Scenario::KerberosBlocked if server == world.sender => {
            let mut last_5719 = None::<i64>;
            for a in &mine_out {
                let rcv = &world.exchange[a.receiver];
                let t = ts(world, a.t0 + 15);
                let items: Vec<(&str, DataValue)> = vec![
                    ("Target", format!("SMTPSVC/{}", rcv.fqdn).into()),
                    ("Protocol", "Kerberos".into()),
                    ("Error", "\"There are currently no logon servers available to service the logon request.\r\n (0xc000005e)\"".into()),
                ];
                let e = EventRecord {
                    qualifiers: Some(32768),
                    ..ctx.event(
                        t,
                        "System",
                        provider("LsaSrv", Some(LSASRV_GUID), Some("LsaSrv")),
                        40960,
                        3,
                        EventData::Named {
                            name: None,
                            items: items.into_iter().map(|(n, v)| (n.to_string(), v)).collect(),
                            binary: Some(vec![0x5e, 0x00, 0x00, 0xc0]),
                        },
                    )
                };
                add(
                    &mut sys,
                    t,
                    e,
                    counts,
                    Some("lsasrv_40960_no_logon_servers"),
                );
                let t10 = ts(world, a.t0 + 14);
                let e10 = EventRecord {
                    qualifiers: Some(32768),
                    ..ctx.event(
                        t10,
                        "System",
                        provider(
                            "Microsoft-Windows-Security-Kerberos",
                            Some(KERBEROS_GUID),
                            Some("Kerberos"),
                        ),
                        10,
                        3,
                        EventData::named(Vec::<(&str, DataValue)>::new()),
                    )
                };
                add(&mut sys, t10, e10, counts, Some("kerberos_10_udp"));
                if last_5719.is_none_or(|l| a.t0 - l >= 3_600_000) {
                    last_5719 = Some(a.t0);
                    let t5 = ts(world, a.t0 + 2_500);
                    let e5 = EventRecord {
                        data: EventData::Classic {
                            strings: vec![NETBIOS_DOMAIN.into(), "There are currently no logon servers available to service the logon request. ".into()],
                            binary: Some(vec![0x5e, 0x00, 0x00, 0xc0]),
                        },
                        ..ctx.classic(t5, "System", Classic("NETLOGON", 5719, 49152, 2, 0), vec![])
                    };
                    add(&mut sys, t5, e5, counts, Some("netlogon_5719"));
                }
            }
        }
        _ => {}
    }
    (app, sys)
}

fn clock_skew_exchange(
    ctx: &Ctx<'_>,
    server: usize,
    failing: &[Attempt],
    sys: &mut Log,
    counts: &mut Counts,
) {
    let world = ctx.world;
    let me = &world.exchange[server];
    let skewed = world.skewed_machine();
    let skew = world.settings.skew_seconds;
    let dc = Machine::Dc(me.dc);
    let involved: Vec<&Attempt> = failing
        .iter()
        .filter(|a| {
            a.sender == server || (world.settings.skewed != Skewed::Dc && a.receiver == server)
        })
        .collect();
    if skewed == Some(Machine::Exchange(server))
        || (skewed == Some(dc) && world.settings.skewed == Skewed::Dc)
    {
        // Its ticket requests are refused by the KDC: KRB_AP_ERR_SKEW with
        // both clocks in the text.
        for a in periodic(involved.into_iter()) {
            let t = ts(world, a.t0 + 10);
            let client_time = kerberos_time(world.clock(ctx.machine, t));
            let e = kerberos_3(
                ctx,
                t,
                "0x25",
                "KRB_AP_ERR_SKEW",
                client_time,
                world.clock(dc, t),
                &format!("krbtgt/{REALM}"),
                "",
            );
            add(sys, t, e, counts, Some("kerberos_3_ap_err_skew"));
        }
    }
    if skewed == Some(Machine::Exchange(server)) {
        w32time(ctx, skew, sys, counts);
    }
}

/// W32Time on a machine whose clock stepped at the fault start and cannot
/// be corrected: 34 (change refused), then 36 and 50 periodically.
fn w32time(ctx: &Ctx<'_>, skew: i64, sys: &mut Log, counts: &mut Counts) {
    let world = ctx.world;
    let mut t = world.fault_start + SignedDuration::from_secs(97);
    let mut i = 0;
    while t < world.end {
        let strings = vec![format!("{}", -skew), "300".into()];
        let e = ctx.classic(t, "System", Classic("W32Time", 34, 49152, 2, 0), strings);
        add(sys, t, e, counts, Some("w32time_34"));
        if i % 2 == 0 {
            let t36 = t + SignedDuration::from_secs(11);
            let since = t36.as_second() - world.fault_start.as_second() + 86_400;
            let e36 = ctx.classic(
                t36,
                "System",
                Classic("W32Time", 36, 32768, 3, 0),
                vec![since.to_string()],
            );
            add(sys, t36, e36, counts, Some("w32time_36"));
            let t50 = t + SignedDuration::from_secs(23);
            let e50 = ctx.classic(
                t50,
                "System",
                Classic("W32Time", 50, 32768, 3, 0),
                vec!["5000".into(), "900".into()],
            );
            add(sys, t50, e50, counts, Some("w32time_50"));
        }
        i += 1;
        t += SignedDuration::from_secs(1024 + 7);
    }
}

/// Background noise every Windows machine logs, from days before the window.
fn noise(ctx: &Ctx<'_>, r: &mut Rand, app: &mut Log, sys: &mut Log) {
    let world = ctx.world;
    let from = world.start - SignedDuration::from_hours(24 * HISTORY_DAYS);
    let mut ignore = Counts::new();
    // EventLog 6013 at noon local each day.
    let boot = from - SignedDuration::from_hours(24 * 20);
    let mut day = world.wall.local(from).date();
    loop {
        let noon = day
            .at(12, 0, 0, 0)
            .to_zoned(world.wall.zone.clone())
            .map(|z| z.timestamp())
            .unwrap_or(world.end);
        if noon >= world.end {
            break;
        }
        if noon >= from {
            let uptime = noon.as_second() - boot.as_second();
            let strings = vec![
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                uptime.to_string(),
                world.wall.event_6013_zone(noon),
            ];
            let e = ctx.classic(
                noon,
                "System",
                Classic("EventLog", 6013, 32768, 4, 0),
                strings,
            );
            add(sys, noon, e, &mut ignore, None);
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    // Service Control Manager 7036 and Software Protection 16384.
    let mut t = from + SignedDuration::from_secs(r.between(60, 3600));
    while t < world.end {
        let (service, binary) = if r.chance(0.5) {
            ("Windows Modules Installer", "TrustedInstaller/4")
        } else {
            ("Windows Update", "wuauserv/4")
        };
        for (dt, state) in [(0, "running"), (r.between(120, 900), "stopped")] {
            let te = t + SignedDuration::from_secs(dt);
            let mut bin: Vec<u8> = binary
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes())
                .collect();
            bin.extend_from_slice(&[0, 0]);
            let e = EventRecord {
                qualifiers: Some(16384),
                keywords: 0x8080_0000_0000_0000,
                process_id: 732,
                thread_id: 7000 + r.between(0, 900) as u32,
                ..ctx.event(
                    te,
                    "System",
                    provider(
                        "Service Control Manager",
                        Some(SCM_GUID),
                        Some("Service Control Manager"),
                    ),
                    7036,
                    4,
                    EventData::Named {
                        name: None,
                        items: vec![
                            ("param1".into(), service.into()),
                            ("param2".into(), state.into()),
                        ],
                        binary: Some(bin),
                    },
                )
            };
            add(sys, te, e, &mut ignore, None);
        }
        let ts_spp = t + SignedDuration::from_secs(r.between(5, 60));
        let restart = ts_spp + SignedDuration::from_secs(r.between(3600, 86_400));
        let e = EventRecord {
            qualifiers: Some(16384),
            ..ctx.event(
                ts_spp,
                "Application",
                provider(
                    "Microsoft-Windows-Security-SPP",
                    Some(SPP_GUID),
                    Some("Software Protection Platform Service"),
                ),
                16384,
                4,
                EventData::classic([
                    restart.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    "RulesEngine".to_string(),
                ]),
            )
        };
        add(app, ts_spp, e, &mut ignore, None);
        t += SignedDuration::from_secs(r.between(1800, 7200));
    }
}

/// Events of domain controller `dc`: (System, Security, Directory Service).
pub fn dc_logs(world: &World, dc: usize, counts: &mut Counts) -> (Log, Log, Log) {
    let host = &world.dcs[dc];
    let ctx = Ctx {
        world,
        machine: Machine::Dc(dc),
        computer: host.fqdn.clone(),
    };
    let mut app = Log::new("Application");
    let mut sys = Log::new("System");
    let mut sec = Log::new("Security");
    let mut ds = Log::new("Directory Service");
    let mut r = rng::stream(world.settings.seed, &[&"events", &host.name]);
    noise(&ctx, &mut r, &mut app, &mut sys);
    let failing = failing_attempts(world);
    let uses_me = |a: &Attempt| world.exchange[a.sender].dc == dc;
    // Security 4769: healthy service tickets, and failures.
    let mut t = world.start - SignedDuration::from_hours(2);
    while t < world.end {
        let client = r.between(0, world.exchange.len() as i64 - 1) as usize;
        let peer = (client + 1) % world.exchange.len();
        if world.exchange[client].dc == dc {
            let e = security_4769(
                &ctx,
                t,
                client,
                &format!("{}$", world.exchange[peer].name),
                0x0,
                0x12,
                r.between(49_152, 65_535),
            );
            add(&mut sec, t, e, &mut Counts::new(), None);
        }
        t += SignedDuration::from_secs(r.between(120, 900));
    }
    let status = match world.scenario() {
        Scenario::SpnMissing | Scenario::SenderSynthesized => Some(0x7),
        Scenario::ClockSkew => Some(0x25),
        _ => None,
    };
    if let Some(status) = status {
        for a in failing.iter().filter(|a| uses_me(a)) {
            let (client, service) = if status == 0x25 {
                match world.skewed_machine() {
                    // The skewed server's own ticket requests (as a sender)
                    // carry authenticators the KDC refuses.
                    Some(Machine::Exchange(x)) if a.sender == x => {
                        (x, format!("SMTPSVC/{}", world.exchange[a.receiver].fqdn))
                    }
                    Some(Machine::Exchange(_)) => continue,
                    Some(Machine::Dc(d)) if d == dc => (
                        a.sender,
                        format!("SMTPSVC/{}", world.exchange[a.receiver].fqdn),
                    ),
                    _ => continue,
                }
            } else {
                (
                    a.sender,
                    format!("SMTPSVC/{}", world.exchange[a.receiver].fqdn),
                )
            };
            if world.exchange[client].dc != dc
                && status == 0x25
                && world.settings.skewed != Skewed::Dc
            {
                continue;
            }
            let t = ts(world, a.t0 + 12);
            let e = security_4769(
                &ctx,
                t,
                client,
                &service,
                status,
                0xFFFF_FFFF,
                r.between(49_152, 65_535),
            );
            let key = if status == 0x7 {
                "security_4769_0x7"
            } else {
                "security_4769_0x25"
            };
            add(&mut sec, t, e, counts, Some(key));
        }
    }
    // KDC 11 on every DC asked for the duplicated name.
    if world.scenario() == Scenario::SpnDuplicate {
        let rcv = &world.exchange[world.receiver];
        let mut last = None::<i64>;
        for a in failing.iter().filter(|a| uses_me(a)) {
            if last.is_none_or(|l| a.t0 - l >= 3_600_000) {
                last = Some(a.t0);
                let t = ts(world, a.t0 + 8);
                let e = EventRecord {
                    qualifiers: Some(49152),
                    ..ctx.event(
                        t,
                        "System",
                        provider(
                            "Microsoft-Windows-Kerberos-Key-Distribution-Center",
                            Some(KDC_GUID),
                            Some("KDC"),
                        ),
                        11,
                        2,
                        EventData::classic([
                            format!("SMTPSVC/{}", rcv.fqdn),
                            "DS_SERVICE_PRINCIPAL_NAME".to_string(),
                        ]),
                    )
                };
                add(&mut sys, t, e, counts, Some("kdc_11_duplicate_spn"));
            }
        }
    }
    // W32Time on a skewed DC.
    if world.skewed_machine() == Some(Machine::Dc(dc)) {
        w32time(&ctx, world.settings.skew_seconds, &mut sys, counts);
    }
    // Replication: the stale DC cannot resolve its partners since days ago.
    if matches!(world.scenario(), Scenario::AdReplication | Scenario::Mixed) && dc == world.stale_dc
    {
        let since = replication_broken_since(world);
        let mut t = since + SignedDuration::from_secs(r.between(60, 600));
        while t < world.end {
            for (i, src) in world.dcs.iter().enumerate() {
                if i == dc {
                    continue;
                }
                let guid_text = r.hex(32).to_ascii_lowercase();
                let cname = format!(
                    "{}-{}-{}-{}-{}._msdcs.{}",
                    &guid_text[0..8],
                    &guid_text[8..12],
                    &guid_text[12..16],
                    &guid_text[16..20],
                    &guid_text[20..32],
                    super::world::DOMAIN
                );
                let e1925 = EventRecord {
                    qualifiers: Some(32768),
                    task: 1,
                    ..ctx.event(t, "Directory Service", provider("Microsoft-Windows-ActiveDirectory_DomainService", Some(NTDS_GUID), Some("NTDS KCC")), 1925, 3, EventData::classic([
                        "DC=contoso,DC=com".to_string(),
                        format!("CN=NTDS Settings,CN={},CN=Servers,CN={},CN=Sites,CN=Configuration,DC=contoso,DC=com", src.name, super::world::SITE),
                        cname.clone(),
                        String::new(),
                        "The DSA operation is unable to proceed because of a DNS lookup failure.".to_string(),
                        "8524".to_string(),
                    ]))
                };
                add(&mut ds, t, e1925, counts, Some("ntds_1925"));
                let t2 = t + SignedDuration::from_secs(2);
                let e2087 = EventRecord {
                    qualifiers: Some(49152),
                    task: 5,
                    ..ctx.event(t2, "Directory Service", provider("Microsoft-Windows-ActiveDirectory_DomainService", Some(NTDS_GUID), Some("NTDS Replication")), 2087, 2, EventData::classic([
                        src.name.clone(),
                        cname,
                        "8524".to_string(),
                        "The DSA operation is unable to proceed because of a DNS lookup failure.".to_string(),
                    ]))
                };
                add(&mut ds, t2, e2087, counts, Some("ntds_2087"));
            }
            t += SignedDuration::from_secs(3600 + r.between(0, 600));
        }
    }
    (sys, sec, ds)
}

/// When replication to the stale DC stopped (days before the window).
pub fn replication_broken_since(world: &World) -> Timestamp {
    world.start - SignedDuration::from_hours(2 * 24 + 7)
}

fn security_4769(
    ctx: &Ctx<'_>,
    t: Timestamp,
    client: usize,
    service: &str,
    status: u32,
    etype: u32,
    port: i64,
) -> EventRecord {
    let world = ctx.world;
    let c = &world.exchange[client];
    let failure = status != 0;
    let sid: Sid = if failure {
        "S-1-0-0".parse().unwrap_or(Sid {
            revision: 1,
            authority: 0,
            sub_authorities: vec![0],
        })
    } else {
        format!("S-1-5-21-3623811015-3361044348-30300820-{}", 1100 + client)
            .parse()
            .unwrap_or(Sid {
                revision: 1,
                authority: 0,
                sub_authorities: vec![0],
            })
    };
    let items: Vec<(&str, DataValue)> = vec![
        ("TargetUserName", format!("{}$@{REALM}", c.name).into()),
        ("TargetDomainName", REALM.into()),
        ("ServiceName", service.into()),
        ("ServiceSid", DataValue::Sid(sid)),
        ("TicketOptions", DataValue::HexInt32(0x4081_0000)),
        ("TicketEncryptionType", DataValue::HexInt32(etype)),
        ("IpAddress", format!("::ffff:{}", c.ip).into()),
        ("IpPort", port.to_string().into()),
        ("Status", DataValue::HexInt32(status)),
        ("LogonGuid", DataValue::Guid(Guid::default())),
        ("TransmittedServices", "-".into()),
    ];
    EventRecord {
        task: 14337,
        level: 0,
        keywords: if failure {
            0x8010_0000_0000_0000
        } else {
            0x8020_0000_0000_0000
        },
        process_id: 708,
        thread_id: 2140,
        ..ctx.event(
            t,
            "Security",
            provider(
                "Microsoft-Windows-Security-Auditing",
                Some(SECURITY_GUID),
                None,
            ),
            4769,
            0,
            EventData::named(items),
        )
    }
}

/// The events of `log` (machine `name`) in the order they were logged, record
/// ids continuing the log's history: what [`write_log`] writes, and what the
/// hand-over layout copies as Event Viewer text.
pub fn numbered(world: &World, name: &str, mut log: Log) -> Vec<EventRecord> {
    log.events.sort_by_key(|(t, _)| *t);
    let mut r = rng::stream(world.settings.seed, &[&"record-ids", &name, &log.channel]);
    let first_id = r.between(20_000, 900_000) as u64;
    (first_id..)
        .zip(log.events)
        .map(|(id, (_, mut record))| {
            record.record_id = Some(id);
            record
        })
        .collect()
}

/// Writes `log` to `path`, record ids continuing the log's history.
pub fn write_log(world: &World, name: &str, log: Log, path: &Path) -> io::Result<u64> {
    let records = numbered(world, name, log);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::File::create(path)?;
    let mut writer = EvtxWriter::new(io::BufWriter::new(file)).map_err(io::Error::other)?;
    for record in &records {
        writer.write_record(record).map_err(io::Error::other)?;
    }
    let out = writer.finish().map_err(io::Error::other)?;
    drop(out);
    Ok(std::fs::metadata(path)?.len())
}

/// Statuses with their meaning, for README/diagnostics.
pub fn status_of(outcome: Outcome) -> Option<Status> {
    match outcome {
        Outcome::Rejected(s) | Outcome::SenderFailed(s) => Some(s),
        _ => None,
    }
}
