//! `ipconfig /all` and plain `ipconfig`, English, German and Dutch.
//!
//! Feeds the host ↔ IP identity map: the host name and primary DNS suffix of
//! the machine, and per adapter its IPv4/IPv6 addresses, DNS servers and
//! default gateways.
//!
//! Layout (FORMATS.md §7.9): a title line (`Windows IP Configuration`,
//! `Windows-IP-Konfiguration`, `Windows IP-configuratie`), unindented adapter
//! headers ending in `:` (`Ethernet adapter Ethernet:`, `Ethernet-Adapter
//! Ethernet:`, `Ethernet-adapter voor LAN-verbinding:`), and indented caption
//! lines `Caption . . . . : value` (dotted leader; a long caption fills the
//! field and abuts the colon: `Verbindungsspezifisches DNS-Suffix:`).
//! Multi-valued fields (DNS servers, gateways) continue on lines indented to
//! the value column; the console may wrap a long value onto an unindented
//! line. Addresses carry `(Preferred)`/`(Bevorzugt)` suffixes and `%scope`
//! ids, both stripped here. Captions are matched by normalized keywords so
//! the three languages (and damaged spacing) read the same way.

use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem, Problems};
use crate::reread::{each_line, Reread};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::ControlFlow;

/// `ipconfig` and `ipconfig /all` output.
pub const KIND: Kind = Kind::new("ipconfig");

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[KIND],
    describes: "ipconfig: `Windows IP Configuration` / `Windows-IP-Konfiguration` / `Windows IP-configuratie`",
    detect: |head| Format::command_output(KIND, head, looks_like),
    name_prefix: Some("ipconfig"),
};

/// One network adapter block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adapter {
    /// 1-based line of the adapter header.
    pub line: u64,
    /// The header without its colon: `Ethernet adapter Ethernet`.
    pub header: String,
    /// The adapter's name: `Ethernet`, `WLAN`, `LAN-verbinding`.
    pub name: String,
    pub description: Option<String>,
    pub connection_dns_suffix: Option<String>,
    pub physical_address: Option<String>,
    /// `Media State . . . : Media disconnected` / `Medium getrennt`.
    pub media_disconnected: bool,
    pub ipv4_addresses: Vec<Ipv4Addr>,
    /// Without `%scope` and suffixes.
    pub ipv6_addresses: Vec<Ipv6Addr>,
    pub dns_servers: Vec<IpAddr>,
    pub gateways: Vec<IpAddr>,
}

/// Everything in one `ipconfig` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpconfigOutput {
    /// `Host Name` / `Hostname` (only `/all` prints it).
    pub host_name: Option<String>,
    /// `Primary Dns Suffix` / `Primäres DNS-Suffix` (empty → `None`).
    pub primary_dns_suffix: Option<String>,
    pub adapters: Vec<Adapter>,
    pub problems: Problems,
}

impl IpconfigOutput {
    /// `host.suffix` when both are known, else the bare host name.
    pub fn fqdn(&self) -> Option<String> {
        let host = self.host_name.as_deref()?;
        Some(match self.primary_dns_suffix.as_deref() {
            Some(s) if !s.is_empty() => format!("{host}.{s}"),
            _ => host.to_string(),
        })
    }

    /// Every IPv4 and IPv6 address of every adapter, in order.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.adapters
            .iter()
            .flat_map(|a| {
                a.ipv4_addresses
                    .iter()
                    .map(|v| IpAddr::V4(*v))
                    .chain(a.ipv6_addresses.iter().map(|v| IpAddr::V6(*v)))
            })
            .collect()
    }
}

const TITLES: &[&str] = &[
    "windows ip configuration",
    "windows-ip-konfiguration",
    "windows ip-configuratie",
    "windows-ip-configuratie",
];

fn is_title(t: &str) -> bool {
    let l = t.trim().to_lowercase();
    TITLES.contains(&l.as_str())
}

/// Cheap content check: a title line, or an adapter header plus dotted-leader captions.
pub fn looks_like(text_head: &str) -> bool {
    let mut adapter = false;
    let mut leaders = 0;
    for l in text_head.lines().take(40) {
        let t = l.trim_start_matches('\u{feff}').trim();
        if is_title(t) {
            return true;
        }
        if adapter_name(t).is_some() {
            adapter = true;
        }
        if l.starts_with(char::is_whitespace) && t.contains(". . .") && t.contains(':') {
            leaders += 1;
        }
    }
    adapter && leaders >= 2
}

/// The name in an adapter header (`Ethernet adapter Ethernet:` → `Ethernet`).
fn adapter_name(t: &str) -> Option<String> {
    let head = t.strip_suffix(':')?.trim_end();
    let lower = head.to_lowercase();
    let at = lower.find("adapter")?;
    // The word must end at a space: `adapter Ethernet`, `Adapter WLAN`.
    let after = lower.get(at + "adapter".len()..)?;
    if !after.starts_with(' ') || head.contains(". .") {
        return None;
    }
    let name = head.get(at + "adapter".len()..)?.trim();
    let name = name
        .strip_prefix("voor ")
        .or_else(|| name.strip_prefix("für "))
        .unwrap_or(name)
        .trim();
    (!name.is_empty()).then(|| name.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    HostName,
    PrimarySuffix,
    ConnSuffix,
    Description,
    Physical,
    Media,
    Ipv4,
    Ipv6,
    Gateway,
    Dns,
    Other,
}

/// Caption → field by normalized keywords (English, German, Dutch).
fn classify(caption: &str) -> Field {
    let k: String = caption
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let has = |s: &str| k.contains(s);
    if matches!(
        k.as_str(),
        "hostname" | "hostnaam" | "computernaam" | "nomdhôte"
    ) {
        Field::HostName
    } else if (has("primary") || has("primär") || has("primair") || has("primaire")) && has("dns")
    {
        Field::PrimarySuffix
    } else if has("dns") && (has("suffix") || has("achtervoegsel")) {
        Field::ConnSuffix
    } else if matches!(k.as_str(), "description" | "beschreibung" | "beschrijving") {
        Field::Description
    } else if has("physical") || has("physisch") || has("fysiek") {
        Field::Physical
    } else if has("mediastate") || has("medienstatus") || has("mediastatus") || has("mediumstatus")
    {
        Field::Media
    } else if has("dhcp") || has("subnet") || has("mask") || has("wins") || has("netbios") {
        Field::Other
    } else if has("ipv4") || matches!(k.as_str(), "ipaddress" | "ipadresse" | "ipadres") {
        Field::Ipv4
    } else if has("ipv6") {
        Field::Ipv6
    } else if has("gateway") {
        Field::Gateway
    } else if has("dns") && has("server") {
        Field::Dns
    } else {
        Field::Other
    }
}

/// `fe80::1%15(Preferred)` → `fe80::1`; `192.168.1.2(Bevorzugt)` → `192.168.1.2`.
fn clean_address(v: &str) -> &str {
    let v = v.trim();
    let v = match v.find('(') {
        Some(p) => v.get(..p).unwrap_or(v),
        None => v,
    };
    let v = match v.find('%') {
        Some(p) => v.get(..p).unwrap_or(v),
        None => v,
    };
    v.trim()
}

fn parse_ip(v: &str) -> Option<IpAddr> {
    clean_address(v).parse().ok()
}

/// Splits `Caption . . . : value` at the first colon; the caption keeps no leader dots.
fn split_caption(t: &str) -> Option<(&str, &str)> {
    let idx = t.find(':')?;
    let caption = t
        .get(..idx)?
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let value = t.get(idx + 1..)?.trim();
    (!caption.is_empty()).then_some((caption, value))
}

struct Pending {
    field: Field,
    line: u64,
    /// Raw value text (wrapped pieces appended, up to [`VALUE_BYTES`]).
    value: String,
}

/// A value's bytes at the most: console-wrapped pieces beyond it (an
/// unindented text pasted after a caption, not a wrapped address) are
/// passed over.
const VALUE_BYTES: usize = 64 << 10;

/// Addresses of one kind an adapter holds at the most (an adapter has a
/// handful); more are a problem naming the adapter, and passed over.
const ADDRESSES_AN_ADAPTER: usize = 1024;

/// Parses `ipconfig [/all]` output.
pub fn parse(text: &str) -> IpconfigOutput {
    let mut adapters = Vec::new();
    let mut out = read(&mut text.as_bytes(), &mut |a| adapters.push(a));
    out.adapters = adapters;
    out
}

/// Reads `ipconfig [/all]` output a line at a time as [`parse`] does,
/// handing each adapter to `each` as its block ends instead of keeping it:
/// `ipconfig /all` run every minute into one file (to catch an address
/// that moves) repeats its adapters by the hundred thousand. The output
/// that comes back holds the rest (the host name and primary DNS suffix
/// the text gives last, as `parse` has them; its `adapters` empty).
pub fn read(text: &mut dyn Reread, each: &mut dyn FnMut(Adapter)) -> IpconfigOutput {
    let mut lines = Lines {
        out: IpconfigOutput {
            host_name: None,
            primary_dns_suffix: None,
            adapters: Vec::new(),
            problems: Problems::new(),
        },
        adapter: None,
        pending: None,
        last_field: Field::Other,
        saw_title: false,
        full: false,
    };
    let read = text.read_from_start().and_then(|mut t| {
        each_line(&mut *t, &mut |n, line| {
            lines.line(n, line, each);
            ControlFlow::Continue(())
        })
    });
    lines.commit();
    let adapters = lines.adapter.is_some();
    if let Some(a) = lines.adapter.take() {
        each(a);
    }
    let mut out = lines.out;
    if let Err(e) = read {
        out.problems.push(Problem::new(
            Location::File,
            format!("cannot read the text: {e}"),
        ));
    }
    if out.host_name.is_none() && !adapters {
        out.problems.push(Problem::new(
            Location::File,
            "no host name and no adapter: not ipconfig output",
        ));
    }
    out
}

/// What the lines read so far say about the ones to come.
struct Lines {
    out: IpconfigOutput,
    /// The adapter whose block is being read.
    adapter: Option<Adapter>,
    pending: Option<Pending>,
    /// The field of the last caption: continuation lines add more values.
    last_field: Field,
    saw_title: bool,
    /// The adapter's addresses of a kind reached [`ADDRESSES_AN_ADAPTER`]
    /// and the problem was said.
    full: bool,
}

impl Lines {
    fn line(&mut self, n: u64, raw: &str, each: &mut dyn FnMut(Adapter)) {
        let line = raw.trim_start_matches('\u{feff}').trim_end();
        let t = line.trim();
        if t.is_empty() {
            self.commit();
            self.last_field = Field::Other;
            return;
        }
        let indented = line.starts_with(char::is_whitespace);
        if !indented {
            if is_title(t) {
                self.commit();
                self.saw_title = true;
                return;
            }
            if let Some(name) = adapter_name(t) {
                self.commit();
                self.last_field = Field::Other;
                if let Some(done) = self.adapter.take() {
                    each(done);
                }
                self.full = false;
                self.adapter = Some(Adapter {
                    line: n,
                    header: t.trim_end_matches(':').trim_end().to_string(),
                    name,
                    description: None,
                    connection_dns_suffix: None,
                    physical_address: None,
                    media_disconnected: false,
                    ipv4_addresses: Vec::new(),
                    ipv6_addresses: Vec::new(),
                    dns_servers: Vec::new(),
                    gateways: Vec::new(),
                });
                return;
            }
            // A console-wrapped piece of the previous value.
            if let Some(p) = self.pending.as_mut() {
                if !t.contains(". . ") {
                    if p.value.len() + t.len() <= VALUE_BYTES {
                        p.value.push_str(t);
                    }
                    return;
                }
            }
        }
        // A continuation value (DNS servers, gateways, more addresses).
        let is_continuation = indented
            && !t.contains(". .")
            && (parse_ip(t).is_some() || split_caption(t).is_none())
            && matches!(
                self.last_field,
                Field::Dns | Field::Gateway | Field::Ipv4 | Field::Ipv6
            );
        if is_continuation {
            self.commit();
            self.pending = Some(Pending {
                field: self.last_field,
                line: n,
                value: t.to_string(),
            });
            return;
        }
        match split_caption(t) {
            Some((caption, value)) => {
                self.commit();
                let field = classify(caption);
                self.last_field = field;
                self.pending = Some(Pending {
                    field,
                    line: n,
                    value: value.to_string(),
                });
            }
            None => {
                self.commit();
                self.last_field = Field::Other;
                if self.saw_title || self.adapter.is_some() {
                    self.out.problems.push(Problem::new(
                        Location::Line(n),
                        format!("not an ipconfig caption line: {}", short(t)),
                    ));
                }
            }
        }
    }

    /// The pending value, committed.
    fn commit(&mut self) {
        let Some(p) = self.pending.take() else { return };
        commit(&mut self.out, self.adapter.as_mut(), &mut self.full, p);
    }
}

fn short(t: &str) -> String {
    t.chars().take(60).collect()
}

/// A value read, into the output or its `adapter` (`full`: the problem of
/// an adapter's addresses past [`ADDRESSES_AN_ADAPTER`] was said).
fn commit(out: &mut IpconfigOutput, adapter: Option<&mut Adapter>, full: &mut bool, p: Pending) {
    let v = p.value.trim();
    let text = (!v.is_empty()).then(|| v.to_string());
    let bad = |out: &mut IpconfigOutput, what: &str| {
        out.problems.push(Problem::new(
            Location::Line(p.line),
            format!("{what} is not an address: {}", short(v)),
        ));
    };
    match p.field {
        Field::HostName => out.host_name = text,
        Field::PrimarySuffix => out.primary_dns_suffix = text,
        Field::Other => {}
        field => {
            let Some(a) = adapter else {
                if matches!(
                    field,
                    Field::Ipv4 | Field::Ipv6 | Field::Dns | Field::Gateway
                ) && !v.is_empty()
                {
                    out.problems.push(Problem::new(
                        Location::Line(p.line),
                        "address outside any adapter block",
                    ));
                }
                return;
            };
            match field {
                Field::Description => a.description = text,
                Field::ConnSuffix => a.connection_dns_suffix = text,
                Field::Physical => a.physical_address = text,
                Field::Media => {
                    let l = v.to_lowercase();
                    a.media_disconnected = l.contains("disconnected")
                        || l.contains("getrennt")
                        || l.contains("verbroken")
                        || l.contains("niet verbonden");
                }
                Field::Ipv4 | Field::Ipv6 | Field::Dns | Field::Gateway if v.is_empty() => {}
                Field::Ipv4 => match parse_ip(v) {
                    Some(IpAddr::V4(ip)) => {
                        push_unique(&mut a.ipv4_addresses, ip, (out, full, p.line))
                    }
                    // `IPv4 Address` never holds IPv6; keep it anyway.
                    Some(IpAddr::V6(ip)) => {
                        push_unique(&mut a.ipv6_addresses, ip, (out, full, p.line))
                    }
                    None => bad(out, "IPv4 address"),
                },
                Field::Ipv6 => match parse_ip(v) {
                    Some(IpAddr::V6(ip)) => {
                        push_unique(&mut a.ipv6_addresses, ip, (out, full, p.line))
                    }
                    Some(IpAddr::V4(ip)) => {
                        push_unique(&mut a.ipv4_addresses, ip, (out, full, p.line))
                    }
                    None => bad(out, "IPv6 address"),
                },
                Field::Dns => match parse_ip(v) {
                    Some(ip) => push_unique(&mut a.dns_servers, ip, (out, full, p.line)),
                    None => bad(out, "DNS server"),
                },
                Field::Gateway => match parse_ip(v) {
                    Some(ip) => push_unique(&mut a.gateways, ip, (out, full, p.line)),
                    None => bad(out, "gateway"),
                },
                _ => {}
            }
        }
    }
}

/// `x` added to `v` unless there already, or `v` holds
/// [`ADDRESSES_AN_ADAPTER`]: then a problem at `line`, said once an adapter
/// (`full`).
fn push_unique<T: PartialEq>(
    v: &mut Vec<T>,
    x: T,
    (out, full, line): (&mut IpconfigOutput, &mut bool, u64),
) {
    if v.contains(&x) {
        return;
    }
    if v.len() < ADDRESSES_AN_ADAPTER {
        v.push(x);
    } else if !*full {
        *full = true;
        out.problems.push(Problem::new(
            Location::Line(line),
            format!(
                "more than {ADDRESSES_AN_ADAPTER} addresses of a kind in one adapter: the rest passed over"
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FORMATS.md §7.9, English, verbatim.
    const EN: &str = "Windows IP Configuration

   Host Name . . . . . . . . . . . . : dc01
   Primary Dns Suffix  . . . . . . . : vintage.htb
   Node Type . . . . . . . . . . . . : Hybrid
   IP Routing Enabled. . . . . . . . : No

Ethernet adapter Ethernet:

   Connection-specific DNS Suffix  . : example.org
   Description . . . . . . . . . . . : Realtek PCIe GbE Family Controller
   Physical Address. . . . . . . . . : 70-85-C2-D3-EA-18
   DHCP Enabled. . . . . . . . . . . : Yes
   Link-local IPv6 Address . . . . . : fe80::21e3:aa78:f165:bbc8%15(Preferred)
   IPv4 Address. . . . . . . . . . . : 192.168.20.116(Preferred)
   Subnet Mask . . . . . . . . . . . : 255.255.255.0
   Lease Obtained. . . . . . . . . . : Tuesday, May 10, 2022 10:36:52 AM
   Default Gateway . . . . . . . . . :
   DNS Servers . . . . . . . . . . . : fec0:0:0:ffff::1%1
                                       fec0:0:0:ffff::2%1
   NetBIOS over Tcpip. . . . . . . . : Enabled
";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    fn check_en(o: &IpconfigOutput) {
        assert_eq!(o.host_name.as_deref(), Some("dc01"));
        assert_eq!(o.primary_dns_suffix.as_deref(), Some("vintage.htb"));
        assert_eq!(o.fqdn().as_deref(), Some("dc01.vintage.htb"));
        assert_eq!(o.adapters.len(), 1);
        let a = &o.adapters[0];
        assert_eq!(a.name, "Ethernet");
        assert_eq!(a.ipv4_addresses, [Ipv4Addr::new(192, 168, 20, 116)]);
        let v6: Vec<String> = a.ipv6_addresses.iter().map(ToString::to_string).collect();
        assert_eq!(v6, ["fe80::21e3:aa78:f165:bbc8"]);
        assert_eq!(
            a.dns_servers,
            [ip("fec0:0:0:ffff::1"), ip("fec0:0:0:ffff::2")]
        );
        assert!(a.gateways.is_empty());
        assert_eq!(a.connection_dns_suffix.as_deref(), Some("example.org"));
        assert_eq!(a.physical_address.as_deref(), Some("70-85-C2-D3-EA-18"));
    }

    #[test]
    fn english_all_verbatim() {
        assert!(looks_like(EN));
        let o = parse(EN);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        check_en(&o);
    }

    #[test]
    fn english_crlf_and_trailing_spaces_stripped() {
        let crlf = EN.replace('\n', "\r\n");
        check_en(&parse(&crlf));
        // `Default Gateway . . . :` loses its trailing space; every line trimmed right.
        let trimmed: String = EN.lines().map(|l| format!("{}\n", l.trim_end())).collect();
        check_en(&parse(&trimmed));
    }

    #[test]
    fn console_wrapped_value_is_joined() {
        let wrapped = EN.replace(
            "   IPv4 Address. . . . . . . . . . . : 192.168.20.116(Preferred)\n",
            "   IPv4 Address. . . . . . . . . . . : 192.168.20.1\n16(Preferred)\n",
        );
        let o = parse(&wrapped);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        check_en(&o);
    }

    #[test]
    fn gateway_ipv6_and_ipv4_continuation() {
        let t = "Windows IP Configuration\n\nWireless LAN adapter Wi-Fi:\n\n   IPv4 Address. . . . . . . . . . . : 10.0.0.5(Preferred)\n   Default Gateway . . . . . . . . . : fe80::1%12\n                                       10.0.0.1\n   DNS Servers . . . . . . . . . . . : 10.0.0.10\n                                       10.0.0.11\n";
        let o = parse(t);
        let a = &o.adapters[0];
        assert_eq!(a.name, "Wi-Fi");
        assert_eq!(a.gateways, [ip("fe80::1"), ip("10.0.0.1")]);
        assert_eq!(a.dns_servers, [ip("10.0.0.10"), ip("10.0.0.11")]);
    }

    #[test]
    fn german_all() {
        let t = "Windows-IP-Konfiguration

   Hostname  . . . . . . . . . . . . : EX01
   Primäres DNS-Suffix . . . . . . . : contoso.local
   Knotentyp . . . . . . . . . . . . : Hybrid
   IP-Routing aktiviert  . . . . . . : Nein

Drahtlos-LAN-Adapter WLAN:

   Medienstatus. . . . . . . . . . . : Medium getrennt
   Verbindungsspezifisches DNS-Suffix:

Ethernet-Adapter Ethernet:

   Verbindungsspezifisches DNS-Suffix: contoso.local
   Beschreibung. . . . . . . . . . . : Intel(R) 82574L Gigabit Network Connection
   Physische Adresse . . . . . . . . : 00-15-5D-01-02-03
   DHCP aktiviert. . . . . . . . . . : Nein
   Autokonfiguration aktiviert . . . : Ja
   Verbindungslokale IPv6-Adresse  . : fe80::5d1:2b3c:4d5e:6f70%4(Bevorzugt)
   IPv4-Adresse  . . . . . . . . . . : 10.1.2.3(Bevorzugt)
   Subnetzmaske  . . . . . . . . . . : 255.255.255.0
   Standardgateway . . . . . . . . . : 10.1.2.1
   DNS-Server  . . . . . . . . . . . : 10.1.2.10
                                       10.1.2.11
";
        assert!(looks_like(t));
        let o = parse(t);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        assert_eq!(o.fqdn().as_deref(), Some("EX01.contoso.local"));
        assert_eq!(o.adapters.len(), 2);
        assert_eq!(o.adapters[0].name, "WLAN");
        assert!(o.adapters[0].media_disconnected);
        let a = &o.adapters[1];
        assert_eq!(a.name, "Ethernet");
        assert_eq!(a.connection_dns_suffix.as_deref(), Some("contoso.local"));
        assert_eq!(a.ipv4_addresses, [Ipv4Addr::new(10, 1, 2, 3)]);
        assert_eq!(a.ipv6_addresses.len(), 1);
        assert_eq!(a.gateways, [ip("10.1.2.1")]);
        assert_eq!(a.dns_servers, [ip("10.1.2.10"), ip("10.1.2.11")]);
    }

    #[test]
    fn dutch_plain() {
        // FORMATS.md §7.9 Dutch captions (real, Windows 7, plain ipconfig).
        let t = "Windows IP-configuratie\r\n\r\n\r\nEthernet-adapter voor LAN-verbinding:\r\n\r\n   Verbindingsspec. DNS-achtervoegsel: lan\r\n   IPv4-adres. . . . . . . . . . . . : 192.168.1.22\r\n   Subnetmasker. . . . . . . . . . . : 255.255.255.0\r\n   Standaardgateway. . . . . . . . . : 192.168.1.1\r\n";
        assert!(looks_like(t));
        let o = parse(t);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        assert_eq!(o.host_name, None);
        let a = &o.adapters[0];
        assert_eq!(a.name, "LAN-verbinding");
        assert_eq!(a.connection_dns_suffix.as_deref(), Some("lan"));
        assert_eq!(a.ipv4_addresses, [Ipv4Addr::new(192, 168, 1, 22)]);
        assert_eq!(a.gateways, [ip("192.168.1.1")]);
    }

    #[test]
    fn bad_address_is_a_problem_and_the_rest_is_read() {
        let t = EN.replace("192.168.20.116(Preferred)", "192.168.20.x");
        let o = parse(&t);
        assert_eq!(o.problems.len(), 1, "{:?}", o.problems);
        assert_eq!(o.problems[0].location, Location::Line(15));
        assert_eq!(o.adapters[0].dns_servers.len(), 2);
    }

    /// `parse` keeps the adapters `read` hands over, in order, and nothing
    /// else differs.
    fn assert_read_is_parse(text: &str) -> IpconfigOutput {
        let whole = parse(text);
        let mut adapters = Vec::new();
        let out = read(&mut text.as_bytes(), &mut |a| adapters.push(a));
        assert!(out.adapters.is_empty());
        assert_eq!(IpconfigOutput { adapters, ..out }, whole);
        whole
    }

    /// Every form the parser reads, read a line at a time, is read as whole.
    #[test]
    fn read_hands_over_what_parse_keeps() {
        let wrapped = EN.replace(
            "   IPv4 Address. . . . . . . . . . . : 192.168.20.116(Preferred)\n",
            "   IPv4 Address. . . . . . . . . . . : 192.168.20.1\n16(Preferred)\n",
        );
        let trimmed: String = EN.lines().map(|l| format!("{}\n", l.trim_end())).collect();
        for text in [
            EN.to_string(),
            EN.replace('\n', "\r\n"),
            format!("\u{feff}{EN}"),
            trimmed,
            wrapped,
        ] {
            check_en(&assert_read_is_parse(&text));
        }
        let german = "Windows-IP-Konfiguration\n\n   Hostname  . . . . . . . . . . . . : EX01\n\nEthernet-Adapter Ethernet:\n\n   IPv4-Adresse  . . . . . . . . . . : 10.1.2.3(Bevorzugt)\n   DNS-Server  . . . . . . . . . . . : 10.1.2.10\n                                       10.1.2.11\n";
        let o = assert_read_is_parse(german);
        assert_eq!(o.adapters[0].dns_servers.len(), 2);
    }

    /// `ipconfig /all` run every minute into one file, 50,000 times, NUL
    /// bytes in one run and the last cut: an adapter handed over each run,
    /// the host name kept, the NULs one problem at their line.
    #[test]
    fn runs_in_a_loop_hand_over_an_adapter_each() {
        let cut = EN
            .get(..EN.find("DNS Servers").unwrap_or(0))
            .unwrap_or_default();
        let text = format!("{}\n\0\0\n{}{cut}", EN.repeat(25_000), EN.repeat(24_999));
        let mut adapters = 0;
        let mut last = None;
        let out = read(&mut text.as_bytes(), &mut |a| {
            adapters += 1;
            last = Some(a);
        });
        assert_eq!(adapters, 50_000);
        assert_eq!(out.fqdn().as_deref(), Some("dc01.vintage.htb"));
        let nul_line = EN.lines().count() as u64 * 25_000 + 2;
        assert_eq!(
            out.problems,
            [Problem::new(
                Location::Line(nul_line),
                "not an ipconfig caption line: \0\0"
            )]
        );
        let last = last.unwrap_or_else(|| panic!("an adapter"));
        assert_eq!(last.ipv4_addresses, [Ipv4Addr::new(192, 168, 20, 116)]);
        assert!(last.dns_servers.is_empty());
    }

    /// A DNS server list gone on for ever (a paste of addresses) keeps its
    /// first ones, one problem naming where; the adapters after it are read.
    #[test]
    fn a_runaway_address_list_is_cut_once() {
        let many: String = (0..3_000u32)
            .map(|i| {
                format!(
                    "                                       10.9.{}.{}\n",
                    i / 250,
                    i % 250
                )
            })
            .collect();
        let text = EN.replace(
            "                                       fec0:0:0:ffff::2%1\n",
            &format!("                                       fec0:0:0:ffff::2%1\n{many}"),
        )
            + "\nEthernet adapter Backup:\n\n   IPv4 Address. . . . . . . . . . . : 10.0.2.5\n";
        let o = assert_read_is_parse(&text);
        assert_eq!(o.adapters.len(), 2);
        assert_eq!(o.adapters[0].dns_servers.len(), ADDRESSES_AN_ADAPTER);
        assert_eq!(o.adapters[1].ipv4_addresses, [Ipv4Addr::new(10, 0, 2, 5)]);
        assert_eq!(o.problems.len(), 1, "{:?}", o.problems);
        assert_eq!(o.problems[0].location, Location::Line(21 + 1022));
    }

    #[test]
    fn not_ipconfig() {
        assert!(!looks_like("Leap Indicator: 0(no warning)\nStratum: 2\n"));
        assert!(!looks_like(
            "Registered ServicePrincipalNames for CN=EX01,DC=x:\n\tSMTPSVC/EX01\n"
        ));
    }
}
