//! Console forms of the hand-over: `ipconfig /all` in English and Dutch, a
//! `Start-Transcript` file, pasted console text with Exchange Management Shell
//! prompts, and the damage a paste into a ticket does.
//!
//! * `ipconfig /all` (FORMATS.md §7.9): a blank line, the title, captions
//!   indented 3, a dotted leader (dots on odd columns) up to the colon at
//!   column 37, the value at column 39, more values of a field on lines
//!   indented 39; `(Preferred)` glued to addresses, followed by a space.
//!   English captions are Windows Server 2019's; Dutch ones follow the real
//!   Dutch outputs (`Windows IP-configuratie`, `Ethernet-adapter voor …:`,
//!   `Verbindingsspec. DNS-achtervoegsel:`, `IPv4-adres`, `Subnetmasker`,
//!   `Standaardgateway`, `DNS-servers`, `Autom. configuratie ingeschakeld`,
//!   `Fysiek adres`); `Hostnaam`, `Link-local IPv6-adres`, `(Voorkeur)` and the
//!   DHCPv6 captions are unverified.
//! * `Start-Transcript` (§7.10): the Windows PowerShell 5.1 banner, the
//!   `Transcript started, output file is …` line, a `Command start time:`
//!   header per command (`-IncludeInvocationHeader`), the EMS prompt
//!   `[PS] C:\Windows\system32>` glued to each command, and the end banner;
//!   times are the machine's own local clock, `yyyyMMddHHmmss`. UTF-8 with BOM.
//! * A console paste: prompt, output, a blank line, the next prompt, a bare
//!   prompt at the end; the console buffer turned tabs into spaces.
//! * Paste damage: trailing blanks stripped from every line (editors and mail
//!   clients do it), leading and trailing blank lines dropped, CRLF kept.

use super::super::locale::Wall;
use super::super::rng;
use super::super::world::{Host, Machine, World, DOMAIN};
use super::Ui;
use jiff::Timestamp;

/// The Exchange Management Shell's prompt.
pub const EMS_PROMPT: &str = "[PS] C:\\Windows\\system32>";

/// `text` as it comes out of a paste into a ticket: every line without its
/// trailing blanks, no blank lines before or after, CRLF line ends.
pub fn pasted(text: &str) -> String {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.trim_end_matches(['\r', ' ', '\t']))
        .collect();
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(0);
    let last = lines.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in lines.get(first..=last).unwrap_or(&[]) {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// Tabs as the console buffer shows them (tab stops every 8 columns).
pub fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut col = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                out.push_str(&" ".repeat(n));
                col += n;
            }
            '\r' | '\n' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

/// `   Caption . . . . : ` with the colon at column 37 (a caption that long
/// abuts it). `gap` puts two blanks before the first dot, as two English
/// captions have (`Primary Dns Suffix  . . .`).
fn leader(caption: &str, gap: bool) -> String {
    let mut s = format!("   {caption}");
    let mut col = s.chars().count();
    if gap {
        s.push_str("  ");
        col += 2;
    }
    while col < 37 {
        s.push(if col % 2 == 1 { '.' } else { ' ' });
        col += 1;
    }
    s.push_str(": ");
    s
}

/// Captions of `ipconfig /all`, in output order.
struct IpconfigWords {
    title: &'static str,
    host_name: &'static str,
    primary_suffix: (&'static str, bool),
    node_type: &'static str,
    routing: &'static str,
    wins_proxy: &'static str,
    search_list: &'static str,
    adapter: &'static str,
    conn_suffix: (&'static str, bool),
    description: &'static str,
    physical: &'static str,
    dhcp: &'static str,
    autoconfig: &'static str,
    ipv6: &'static str,
    ipv4: &'static str,
    mask: &'static str,
    gateway: &'static str,
    iaid: &'static str,
    duid: &'static str,
    dns: &'static str,
    netbios: &'static str,
    hybrid: &'static str,
    yes: &'static str,
    no: &'static str,
    enabled: &'static str,
    preferred: &'static str,
}

const IPCONFIG_EN: IpconfigWords = IpconfigWords {
    title: "Windows IP Configuration",
    host_name: "Host Name",
    primary_suffix: ("Primary Dns Suffix", true),
    node_type: "Node Type",
    routing: "IP Routing Enabled",
    wins_proxy: "WINS Proxy Enabled",
    search_list: "DNS Suffix Search List",
    adapter: "Ethernet adapter",
    conn_suffix: ("Connection-specific DNS Suffix", true),
    description: "Description",
    physical: "Physical Address",
    dhcp: "DHCP Enabled",
    autoconfig: "Autoconfiguration Enabled",
    ipv6: "Link-local IPv6 Address",
    ipv4: "IPv4 Address",
    mask: "Subnet Mask",
    gateway: "Default Gateway",
    iaid: "DHCPv6 IAID",
    duid: "DHCPv6 Client DUID",
    dns: "DNS Servers",
    netbios: "NetBIOS over Tcpip",
    hybrid: "Hybrid",
    yes: "Yes",
    no: "No",
    enabled: "Enabled",
    preferred: "(Preferred)",
};

const IPCONFIG_NL: IpconfigWords = IpconfigWords {
    title: "Windows IP-configuratie",
    host_name: "Hostnaam",
    primary_suffix: ("Primair DNS-achtervoegsel", false),
    node_type: "Knooppunttype",
    routing: "IP-routering ingeschakeld",
    wins_proxy: "WINS-proxy ingeschakeld",
    search_list: "DNS-achtervoegselzoeklijst",
    adapter: "Ethernet-adapter voor",
    conn_suffix: ("Verbindingsspec. DNS-achtervoegsel", false),
    description: "Beschrijving",
    physical: "Fysiek adres",
    dhcp: "DHCP ingeschakeld",
    autoconfig: "Autom. configuratie ingeschakeld",
    ipv6: "Link-local IPv6-adres",
    ipv4: "IPv4-adres",
    mask: "Subnetmasker",
    gateway: "Standaardgateway",
    iaid: "DHCPv6 IAID",
    duid: "DHCPv6-client-DUID",
    dns: "DNS-servers",
    netbios: "NetBIOS over TCPIP",
    hybrid: "Hybride",
    yes: "Ja",
    no: "Nee",
    enabled: "Ingeschakeld",
    preferred: "(Voorkeur)",
};

/// `ipconfig /all` on `host` (a VMware guest with one static adapter whose
/// DNS servers are the domain controllers).
pub fn ipconfig_all(world: &World, host: &Host, ui: Ui) -> String {
    let w = match ui {
        Ui::English => &IPCONFIG_EN,
        Ui::Dutch => &IPCONFIG_NL,
    };
    let mut r = rng::stream(world.settings.seed, &[&"ipconfig", &host.name]);
    let mac = format!(
        "00-50-56-{:02X}-{:02X}-{:02X}",
        r.between(0x80, 0xBF),
        r.between(0, 255),
        r.between(0, 255)
    );
    let link_local = format!(
        "fe80::{:x}:{:x}:{:x}:{:x}%6",
        r.between(0x1000, 0xffff),
        r.between(0x1000, 0xffff),
        r.between(0x1000, 0xffff),
        r.between(0x1000, 0xffff)
    );
    let iaid = r.between(50_000_000, 150_000_000);
    let duid = format!(
        "00-01-00-01-{:02X}-{:02X}-{:02X}-{:02X}-{mac}",
        r.between(0x28, 0x2E),
        r.between(0, 255),
        r.between(0, 255),
        r.between(0, 255)
    );
    let gateway = match host.ip.rsplit_once('.') {
        Some((net, _)) => format!("{net}.1"),
        None => host.ip.clone(),
    };
    let line =
        |caption: &str, gap: bool, value: &str| format!("{}{value}\r\n", leader(caption, gap));
    let mut out = format!("\r\n{}\r\n\r\n", w.title);
    out.push_str(&line(w.host_name, false, &host.name));
    out.push_str(&line(w.primary_suffix.0, w.primary_suffix.1, DOMAIN));
    out.push_str(&line(w.node_type, false, w.hybrid));
    out.push_str(&line(w.routing, false, w.no));
    out.push_str(&line(w.wins_proxy, false, w.no));
    out.push_str(&line(w.search_list, false, DOMAIN));
    out.push_str(&format!("\r\n{} Ethernet0:\r\n\r\n", w.adapter));
    out.push_str(&line(w.conn_suffix.0, w.conn_suffix.1, ""));
    out.push_str(&line(w.description, false, "vmxnet3 Ethernet Adapter"));
    out.push_str(&line(w.physical, false, &mac));
    out.push_str(&line(w.dhcp, false, w.no));
    out.push_str(&line(w.autoconfig, false, w.yes));
    out.push_str(&line(
        w.ipv6,
        false,
        &format!("{link_local}{} ", w.preferred),
    ));
    out.push_str(&line(
        w.ipv4,
        false,
        &format!("{}{} ", host.ip, w.preferred),
    ));
    out.push_str(&line(w.mask, false, "255.255.255.0"));
    out.push_str(&line(w.gateway, false, &gateway));
    out.push_str(&line(w.iaid, false, &iaid.to_string()));
    out.push_str(&line(w.duid, false, &duid));
    for (i, dc) in world.dcs.iter().enumerate() {
        if i == 0 {
            out.push_str(&line(w.dns, false, &dc.ip));
        } else {
            out.push_str(&format!("{}{}\r\n", " ".repeat(39), dc.ip));
        }
    }
    out.push_str(&line(w.netbios, false, w.enabled));
    out
}

/// One command typed at a prompt and what it printed.
pub struct Command {
    pub line: String,
    pub output: String,
}

/// `yyyyMMddHHmmss` of `machine`'s local clock at true time `t`.
fn stamp(world: &World, machine: Machine, t: Timestamp) -> String {
    let wall: &Wall = &world.wall;
    let local = wall.local(world.clock(machine, t));
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    )
}

/// Eight random letters and digits, as `Start-Transcript` puts in file names.
fn random_tag(world: &World, host: &Host) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut r = rng::stream(world.settings.seed, &[&"transcript", &host.name]);
    (0..8).map(|_| char::from(*r.pick(CHARS))).collect()
}

/// A transcript's file name: `PowerShell_transcript.<MACHINE>.<tag>.<stamp>.txt`.
pub fn transcript_name(world: &World, machine: Machine, started: Timestamp) -> String {
    let host = world.host(machine);
    format!(
        "PowerShell_transcript.{}.{}.{}.txt",
        host.name,
        random_tag(world, host),
        stamp(world, machine, started)
    )
}

const STARS: &str = "**********************";

/// A `Start-Transcript -IncludeInvocationHeader` file of an Exchange
/// Management Shell session on `machine`, started at true time `started`,
/// the commands `gap_s` seconds apart, ended by `Stop-Transcript`.
pub fn transcript(
    world: &World,
    machine: Machine,
    started: Timestamp,
    gap_s: i64,
    commands: &[Command],
) -> String {
    let host = world.host(machine);
    let name = transcript_name(world, machine, started);
    let mut r = rng::stream(world.settings.seed, &[&"transcript-pid", &host.name]);
    let build = "17763.5830";
    let mut out = format!(
        "{STARS}\r\nWindows PowerShell transcript start\r\nStart time: {}\r\nUsername: CONTOSO\\Administrator\r\nRunAs User: CONTOSO\\Administrator\r\nConfiguration Name: \r\nMachine: {} (Microsoft Windows NT 10.0.17763.0)\r\nHost Application: C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\powershell.exe -noexit -command . 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin\\RemoteExchange.ps1'; Connect-ExchangeServer -auto -ClientApplication:ManagementShell \r\nProcess ID: {}\r\nPSVersion: 5.1.{build}\r\nPSEdition: Desktop\r\nPSCompatibleVersions: 1.0, 2.0, 3.0, 4.0, 5.0, 5.1.{build}\r\nBuildVersion: 10.0.{build}\r\nCLRVersion: 4.0.30319.42000\r\nWSManStackVersion: 3.0\r\nPSRemotingProtocolVersion: 2.3\r\nSerializationVersion: 1.1.0.1\r\n{STARS}\r\nTranscript started, output file is C:\\Users\\Administrator\\Documents\\{name}\r\n",
        stamp(world, machine, started),
        host.name,
        r.between(2_000, 12_000)
    );
    let mut t = started;
    for command in commands {
        t += jiff::SignedDuration::from_secs(gap_s);
        out.push_str(&format!(
            "{STARS}\r\nCommand start time: {}\r\n{STARS}\r\n{EMS_PROMPT}{}\r\n",
            stamp(world, machine, t),
            command.line
        ));
        out.push_str(&command.output);
        if !command.output.is_empty() && !command.output.ends_with('\n') {
            out.push_str("\r\n");
        }
    }
    t += jiff::SignedDuration::from_secs(gap_s);
    out.push_str(&format!(
        "{STARS}\r\nCommand start time: {}\r\n{STARS}\r\n{EMS_PROMPT}Stop-Transcript\r\n{STARS}\r\nWindows PowerShell transcript end\r\nEnd time: {}\r\n{STARS}\r\n",
        stamp(world, machine, t),
        stamp(world, machine, t)
    ));
    out
}

/// Console text copied out of an Exchange Management Shell window: each
/// command after its prompt, its output, a blank line; a bare prompt last.
/// Still undamaged: [`pasted`] does that.
pub fn console(commands: &[Command]) -> String {
    let mut out = String::new();
    for command in commands {
        out.push_str(&format!("{EMS_PROMPT}{}\r\n", command.line));
        out.push_str(&expand_tabs(&command.output));
        if !command.output.ends_with('\n') {
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
    }
    out.push_str(EMS_PROMPT);
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaders_put_the_colon_at_column_37() {
        assert_eq!(
            leader("Host Name", false),
            "   Host Name . . . . . . . . . . . . : "
        );
        assert_eq!(
            leader("Primary Dns Suffix", true),
            "   Primary Dns Suffix  . . . . . . . : "
        );
        assert_eq!(
            leader("Connection-specific DNS Suffix", true),
            "   Connection-specific DNS Suffix  . : "
        );
        assert_eq!(
            leader("IP Routing Enabled", false),
            "   IP Routing Enabled. . . . . . . . : "
        );
        assert_eq!(
            leader("Autoconfiguration Enabled", false),
            "   Autoconfiguration Enabled . . . . : "
        );
        // Real Dutch lines (FORMATS.md §7.9).
        assert_eq!(
            leader("Verbindingsspec. DNS-achtervoegsel", false),
            "   Verbindingsspec. DNS-achtervoegsel: "
        );
        assert_eq!(
            leader("IPv4-adres", false),
            "   IPv4-adres. . . . . . . . . . . . : "
        );
        assert_eq!(
            leader("Standaardgateway", false),
            "   Standaardgateway. . . . . . . . . : "
        );
        assert_eq!(
            leader("Autom. configuratie ingeschakeld", false),
            "   Autom. configuratie ingeschakeld. : "
        );
    }

    #[test]
    fn pasting_strips_trailing_blanks_and_outer_blank_lines() {
        assert_eq!(
            pasted("\r\n\r\nName : a \r\n  b  \r\n\r\nX :\r\n\r\n\r\n"),
            "Name : a\r\n  b\r\n\r\nX :\r\n"
        );
        assert_eq!(
            expand_tabs("Reg:\r\n\tSMTPSVC/EX02\r\n"),
            "Reg:\r\n        SMTPSVC/EX02\r\n"
        );
    }
}
