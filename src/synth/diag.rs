//! Outputs of the KB's diagnostic commands, as an admin saves them: setspn,
//! w32tm, repadmin, Test-NetConnection and portqry. Console programs run from
//! PowerShell (`> file`) are UTF-16LE; those run from cmd.exe are ASCII.

use super::locale::Wall;
use super::traffic::plus;
use super::world::{Host, Machine, World, DOMAIN};
use jiff::Timestamp;

fn dn(host: &Host) -> String {
    let ou = if host.role == super::world::Role::DomainController {
        "OU=Domain Controllers"
    } else {
        "CN=Computers"
    };
    format!("CN={},{ou},DC=contoso,DC=com", host.name)
}

/// The SPNs of an Exchange server's computer account.
fn exchange_spns(host: &Host, with_smtp: bool) -> Vec<String> {
    let (n, f) = (&host.name, &host.fqdn);
    let mut spns = Vec::new();
    if with_smtp {
        spns.extend([
            format!("SMTPSVC/{f}"),
            format!("SMTPSVC/{n}"),
            format!("SMTP/{f}"),
            format!("SMTP/{n}"),
        ]);
    }
    for service in [
        "exchangeAB",
        "exchangeRFR",
        "exchangeMDB",
        "WSMAN",
        "TERMSRV",
    ] {
        spns.push(format!("{service}/{n}"));
        spns.push(format!("{service}/{f}"));
    }
    spns.extend([
        format!("RestrictedKrbHost/{n}"),
        format!("HOST/{n}"),
        format!("RestrictedKrbHost/{f}"),
        format!("HOST/{f}"),
    ]);
    spns
}

/// `setspn -L <server>`.
pub fn setspn_list(host: &Host, with_smtp: bool) -> String {
    let mut out = format!("Registered ServicePrincipalNames for {}:\r\n", dn(host));
    for spn in exchange_spns(host, with_smtp) {
        out.push('\t');
        out.push_str(&spn);
        out.push_str("\r\n");
    }
    out
}

/// `setspn -Q <spn>` for one of `host`'s SMTPSVC names: the owning account
/// and its SPNs when registered, else `No such SPN found.`
pub fn setspn_query(host: &Host, with_smtp: bool) -> String {
    let mut out = String::from("Checking domain DC=contoso,DC=com\r\n");
    if with_smtp {
        out.push_str(&dn(host));
        out.push_str("\r\n");
        for spn in exchange_spns(host, true) {
            out.push('\t');
            out.push_str(&spn);
            out.push_str("\r\n");
        }
        out.push_str("\r\nExisting SPN found!\r\n");
    } else {
        out.push_str("\r\nNo such SPN found.\r\n");
    }
    out
}

/// The account that also holds the receiver's SMTPSVC names (spn-duplicate).
pub const DUPLICATE_ACCOUNT: &str = "CN=svc-mailrelay,OU=Service Accounts,DC=contoso,DC=com";

/// `setspn -X -F`, with the receiver's SMTPSVC names duplicated or not.
pub fn setspn_duplicates(receiver: Option<&Host>) -> String {
    let mut out = String::from(
        "Checking forest DC=contoso,DC=com\r\nOperation will be performed forestwide, it might take a while.\r\nProcessing entry 0\r\n",
    );
    let Some(host) = receiver else {
        out.push_str("found 0 group of duplicate SPNs.\r\n");
        return out;
    };
    for (entry, spn) in [
        (41, format!("SMTPSVC/{}", host.fqdn)),
        (42, format!("SMTPSVC/{}", host.name)),
    ] {
        out.push_str(&format!(
            "Processing entry {entry}\r\n{spn} is registered on these accounts:\r\n\t{}\r\n\t{DUPLICATE_ACCOUNT}\r\n\r\n",
            dn(host)
        ));
    }
    out.push_str("found 2 groups of duplicate SPNs.\r\n");
    out
}

/// `w32tm /stripchart /computer:<target> /samples:5 /dataonly` run on
/// `on`: offsets are the target's clock minus `on`'s.
pub fn w32tm_stripchart(world: &World, on: Machine, target: Machine, at: Timestamp) -> String {
    let wall: &Wall = &world.wall;
    let t = world.host(target);
    let local_now = world.clock(on, at);
    let mut out = format!(
        "Tracking {} [{}:123].\r\nCollecting 5 samples.\r\nThe current time is {}.\r\n",
        t.fqdn,
        t.ip,
        wall.locale.general_date(wall.local(local_now))
    );
    let mut r = super::rng::stream(world.settings.seed, &[&"stripchart"]);
    for i in 0..5 {
        let sample = plus(at, i * 2);
        let mine = world.clock(on, sample);
        let theirs = world.clock(target, sample);
        let offset_ms = theirs.as_millisecond() - mine.as_millisecond();
        let jitter = r.between(-900, 900);
        let offset_100ns = offset_ms * 10_000 + jitter;
        let sign = if offset_100ns < 0 { '-' } else { '+' };
        let abs = offset_100ns.unsigned_abs();
        let local = wall.local(mine);
        out.push_str(&format!(
            "{:02}:{:02}:{:02}, {sign}{:02}.{:07}s\r\n",
            local.hour(),
            local.minute(),
            local.second(),
            abs / 10_000_000,
            abs % 10_000_000
        ));
    }
    out
}

/// `w32tm /query /status` on `machine`: free-running on the CMOS clock when
/// it is the skewed one, else synchronised from its DC.
pub fn w32tm_status(world: &World, machine: Machine, at: Timestamp) -> String {
    if world.skewed_machine() == Some(machine) {
        return "Leap Indicator: 3(not synchronized)\r\nStratum: 0 (unspecified)\r\nPrecision: -23 (119.209ns per tick)\r\nRoot Delay: 0.0000000s\r\nRoot Dispersion: 0.0000000s\r\nReferenceId: 0x00000000 (unspecified)\r\nLast Successful Sync Time: unspecified\r\nSource: Local CMOS Clock\r\nPoll Interval: 10 (1024s)\r\n".to_string();
    }
    let source = match machine {
        Machine::Exchange(i) => &world.dcs[world.exchange[i].dc],
        Machine::Dc(_) => &world.dcs[0],
    };
    let (stratum, reference, source_name) = match machine {
        Machine::Dc(0) => (
            "3 (secondary reference - syncd by (S)NTP)",
            "0x84A36102 (source IP:  132.163.97.2)".to_string(),
            "time.nist.gov,0x9".to_string(),
        ),
        _ => {
            let octets: Vec<u32> = source
                .ip
                .split('.')
                .filter_map(|o| o.parse().ok())
                .collect();
            let id = octets.iter().fold(0u32, |acc, o| (acc << 8) | o);
            (
                "4 (secondary reference - syncd by (S)NTP)",
                format!("0x{id:08X} (source IP:  {})", source.ip),
                source.fqdn.clone(),
            )
        }
    };
    let synced = world.clock(machine, at) - jiff::SignedDuration::from_secs(611);
    format!(
        "Leap Indicator: 0(no warning)\r\nStratum: {stratum}\r\nPrecision: -23 (119.209ns per tick)\r\nRoot Delay: 0.0312500s\r\nRoot Dispersion: 7.8125000s\r\nReferenceId: {reference}\r\nLast Successful Sync Time: {}\r\nSource: {source_name}\r\nPoll Interval: 10 (1024s)\r\n",
        world.wall.locale.short_date_24h(world.wall.local(synced))
    )
}

/// `repadmin /replsummary` run on the first DC; the stale DC has not
/// received changes from the others since `broken_since`.
pub fn repadmin_replsummary(
    world: &World,
    at: Timestamp,
    broken_since: Option<Timestamp>,
) -> String {
    let local = world.wall.local(world.clock(Machine::Dc(0), at));
    let mut out = format!(
        "Replication Summary Start Time: {:04}-{:02}-{:02} {:02}:{:02}:{:02}\r\n\r\nBeginning data collection for replication summary, this may take awhile:\r\n  {}\r\n\r\n\r\n",
        local.year(), local.month(), local.day(), local.hour(), local.minute(), local.second(),
        ".".repeat(world.dcs.len() * 2 + 1)
    );
    let healthy_delta = "14m:05s".to_string();
    let broken_delta = broken_since.map(|since| {
        let s = at.as_second() - since.as_second();
        let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
        if d > 0 {
            format!("{d}d.{h:02}h:{m:02}m:{sec:02}s")
        } else {
            format!("{h:02}h:{m:02}m:{sec:02}s")
        }
    });
    const ERROR: &str =
        "(8524) The DSA operation is unable to proceed because of a DNS lookup failure.";
    let total = 5;
    let stale = world.stale_dc;
    let row = |name: &str, failing: bool| -> String {
        match (&broken_delta, failing) {
            (Some(delta), true) => {
                format!(" {name:<19}{delta:>14}{total:>5} / {total:>3}  100  {ERROR}\r\n")
            }
            _ => format!(
                " {name:<19}{healthy_delta:>14}{:>5} / {total:>3}  {:>3}\r\n",
                0, 0
            ),
        }
    };
    out.push_str("Source DSA          largest delta    fails/total %%   error\r\n");
    for (i, dc) in world.dcs.iter().enumerate() {
        // The stale DC fails to pull from every other DC: those are the failing sources.
        out.push_str(&row(
            &dc.name,
            broken_delta.is_some() && i != stale && world.dcs.len() > 1,
        ));
    }
    out.push_str("\r\nDestination DSA     largest delta    fails/total %%   error\r\n");
    for (i, dc) in world.dcs.iter().enumerate() {
        out.push_str(&row(&dc.name, broken_delta.is_some() && i == stale));
    }
    out
}

/// `Test-NetConnection <dc> -Port 88` from `from`, warning stream included.
pub fn test_netconnection(from: &Host, dc: &Host, succeeded: bool) -> String {
    let warning = if succeeded {
        String::new()
    } else {
        format!("WARNING: TCP connect to ({} : 88) failed\r\n", dc.ip)
    };
    format!(
        "{warning}\r\n\r\nComputerName     : {}\r\nRemoteAddress    : {}\r\nRemotePort       : 88\r\nInterfaceAlias   : Ethernet0\r\nSourceAddress    : {}\r\nTcpTestSucceeded : {}\r\n\r\n\r\n\r\n",
        dc.fqdn,
        dc.ip,
        from.ip,
        if succeeded { "True" } else { "False" }
    )
}

/// `portqry -n <dc> -e 88 -p both`.
pub fn portqry(dc: &Host, blocked: bool) -> String {
    let (tcp, udp) = if blocked {
        ("FILTERED", "LISTENING or FILTERED")
    } else {
        ("LISTENING", "LISTENING or FILTERED")
    };
    format!(
        "\r\nQuerying target system called:\r\n\r\n {}\r\n\r\nAttempting to resolve name to IP address...\r\n\r\n\r\nName resolved to {}\r\n\r\nquerying...\r\n\r\nTCP port 88 (kerberos service): {tcp}\r\n\r\nUDP port 88 (kerberos service): {udp}\r\n",
        dc.fqdn, dc.ip
    )
}

/// The receiver's FQDN, for file names.
pub fn domain() -> &'static str {
    DOMAIN
}
