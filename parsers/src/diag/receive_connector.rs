//! `Get-ReceiveConnector | fl` text and `Export-Clixml` (ExchangeLogCollector's
//! `<SERVER>_ReceiveConnectors.txt/.xml`).
//!
//! The receiving server picks the connector by binding (`ip:port`) and then
//! the *most specific* RemoteIPRanges entry containing the sender; if that
//! connector lacks `ExchangeServer` in AuthMechanism or `ExchangeServers` in
//! PermissionGroups, Exchange authentication fails with 454 4.7.0. So ranges
//! are parsed into typed [`IpRange`]s with [`IpRange::contains`] and a size
//! measure, and [`select_connector`] reproduces the selection. Both forms go
//! through the generic readers of [`crate::queue::format_list`] and
//! [`crate::queue::clixml`].

use crate::problem::{Location, Problem, Problems};
use crate::queue::{clixml, format_list, Endpoint, PropertyObject};
use crate::reread::Reread;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};

/// One RemoteIPRanges entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum IpRange {
    Single {
        address: IpAddr,
    },
    /// `a-b`, inclusive.
    Range {
        start: IpAddr,
        end: IpAddr,
    },
    /// `net/len` (also written `net(mask)` or `net/mask`).
    Cidr {
        network: IpAddr,
        prefix_len: u8,
    },
}

fn to_u128(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (false, u128::from(u32::from(v4))),
            None => (true, u128::from(v6)),
        },
    }
}

fn mask_to_prefix(mask: &str) -> Option<u8> {
    let m: Ipv4Addr = mask.trim().parse().ok()?;
    let bits = u32::from(m);
    let len = bits.leading_ones();
    (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

impl IpRange {
    /// Parses `10.0.0.1`, `10.0.0.1-10.0.0.9`, `10.0.0.0/8`,
    /// `10.0.0.0/255.0.0.0`, `10.0.0.0(255.0.0.0)`, and the IPv6 forms.
    pub fn parse(text: &str) -> Option<IpRange> {
        let t = text.trim();
        if let Some((a, b)) = t.split_once('-') {
            let (start, end): (IpAddr, IpAddr) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            let (fa, sa) = to_u128(start);
            let (fb, sb) = to_u128(end);
            return (fa == fb && sa <= sb).then_some(IpRange::Range { start, end });
        }
        let (net, len) = if let Some((n, l)) = t.split_once('/') {
            let len = l.trim().parse::<u8>().ok().or_else(|| mask_to_prefix(l))?;
            (n, Some(len))
        } else if let Some((n, m)) = t.split_once('(') {
            (n, Some(mask_to_prefix(m.trim_end_matches(')'))?))
        } else {
            (t, None)
        };
        let address: IpAddr = net.trim().parse().ok()?;
        match len {
            None => Some(IpRange::Single { address }),
            Some(l) => {
                let max = if address.is_ipv4() { 32 } else { 128 };
                (l <= max).then_some(IpRange::Cidr {
                    network: address,
                    prefix_len: l,
                })
            }
        }
    }

    fn bounds(&self) -> (bool, u128, u128) {
        match *self {
            IpRange::Single { address } => {
                let (v6, a) = to_u128(address);
                (v6, a, a)
            }
            IpRange::Range { start, end } => {
                let (v6, a) = to_u128(start);
                (v6, a, to_u128(end).1)
            }
            IpRange::Cidr {
                network,
                prefix_len,
            } => {
                let (v6, a) = to_u128(network);
                let width = if v6 { 128u32 } else { 32 };
                let host_bits = width.saturating_sub(u32::from(prefix_len));
                let span = if host_bits >= 128 {
                    u128::MAX
                } else {
                    (1u128 << host_bits) - 1
                };
                let lo = a & !span;
                (v6, lo, lo.saturating_add(span))
            }
        }
    }

    /// Whether `ip` falls in the range (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (v6, lo, hi) = self.bounds();
        let (ip6, x) = to_u128(ip);
        v6 == ip6 && lo <= x && x <= hi
    }

    /// Number of addresses covered (saturating): smaller = more specific,
    /// which is how Exchange ranks matching connectors.
    pub fn address_count(&self) -> u128 {
        let (_, lo, hi) = self.bounds();
        hi.saturating_sub(lo).saturating_add(1)
    }

    /// Specificity as prefix-equivalent bits (32 for a single IPv4, 0 for
    /// `0.0.0.0-255.255.255.255`).
    pub fn specificity_bits(&self) -> u8 {
        let (v6, lo, hi) = self.bounds();
        let width = if v6 { 128 } else { 32 };
        let span = hi.saturating_sub(lo);
        let used = 128 - span.leading_zeros();
        (width - used.min(width)) as u8
    }
}

/// A binding `ip:port` (`0.0.0.0:2525`, `[::]:2525`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub text: String,
    pub address: Option<IpAddr>,
    pub port: Option<u16>,
}

impl Binding {
    pub fn parse(text: &str) -> Binding {
        let e = Endpoint::parse(text);
        Binding {
            text: e.text,
            address: e.ip,
            port: e.port,
        }
    }

    /// Whether a connection to `local_ip:port` lands on this binding.
    pub fn accepts(&self, local_ip: IpAddr, port: u16) -> bool {
        self.port == Some(port)
            && match self.address {
                Some(a) if a.is_unspecified() => a.is_ipv4() == local_ip.is_ipv4(),
                Some(a) => a == local_ip,
                None => false,
            }
    }
}

/// AuthMechanism flags.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthMechanisms {
    pub tls: bool,
    pub integrated: bool,
    pub basic_auth: bool,
    pub basic_auth_require_tls: bool,
    pub exchange_server: bool,
    pub external_authoritative: bool,
    /// Names this table does not know.
    pub other: Vec<String>,
}

/// As PowerShell writes it: `Tls, Integrated, BasicAuth, BasicAuthRequireTLS,
/// ExchangeServer` (`None` when none is set).
impl std::fmt::Display for AuthMechanisms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = [
            (self.tls, "Tls"),
            (self.integrated, "Integrated"),
            (self.basic_auth, "BasicAuth"),
            (self.basic_auth_require_tls, "BasicAuthRequireTLS"),
            (self.exchange_server, "ExchangeServer"),
            (self.external_authoritative, "ExternalAuthoritative"),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| name)
        .collect();
        names.extend(self.other.iter().map(String::as_str));
        if names.is_empty() {
            f.write_str("None")
        } else {
            f.write_str(&names.join(", "))
        }
    }
}

impl AuthMechanisms {
    /// Parses `Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer`.
    pub fn parse(text: &str) -> AuthMechanisms {
        let mut a = AuthMechanisms::default();
        let t = text.trim().trim_start_matches('{').trim_end_matches('}');
        for name in t.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name.to_ascii_lowercase().as_str() {
                "none" => {}
                "tls" => a.tls = true,
                "integrated" => a.integrated = true,
                "basicauth" => a.basic_auth = true,
                "basicauthrequiretls" => a.basic_auth_require_tls = true,
                "exchangeserver" => a.exchange_server = true,
                "externalauthoritative" => a.external_authoritative = true,
                _ => a.other.push(name.to_string()),
            }
        }
        a
    }
}

/// The authentication-relevant settings of one receive connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorAuth {
    pub location: Location,
    pub name: Option<String>,
    /// `EX02\Default EX02`.
    pub identity: Option<String>,
    pub server: Option<String>,
    pub bindings: Vec<Binding>,
    pub remote_ip_ranges: Vec<IpRange>,
    /// Entries that did not parse as an address, range or CIDR.
    pub unparsed_remote_ip_ranges: Vec<String>,
    /// FL cut the list (`…...}` at `$FormatEnumerationLimit`): more ranges exist.
    pub remote_ip_ranges_cut: bool,
    pub auth_mechanism: Option<AuthMechanisms>,
    pub permission_groups: Vec<String>,
    pub transport_role: Option<String>,
    pub fqdn: Option<String>,
    pub enabled: Option<bool>,
    pub protocol_logging_level: Option<String>,
}

impl ConnectorAuth {
    /// Maps a generic object (FL or CliXml) to connector settings.
    pub fn from_object(o: &PropertyObject) -> ConnectorAuth {
        let identity = o.text(&["identity"]);
        let (ranges, cut) = o
            .get(&["remoteipranges"])
            .map(|v| v.as_items())
            .unwrap_or_default();
        let mut remote_ip_ranges = Vec::new();
        let mut unparsed = Vec::new();
        for r in ranges {
            match IpRange::parse(&r) {
                Some(x) => remote_ip_ranges.push(x),
                None => unparsed.push(r),
            }
        }
        let server = o.text(&["server"]).or_else(|| {
            identity
                .as_deref()
                .and_then(|i| i.split_once('\\'))
                .map(|(s, _)| s.to_string())
        });
        ConnectorAuth {
            location: o.location,
            name: o.text(&["name"]),
            server,
            identity,
            bindings: o
                .get(&["bindings"])
                .map(|v| v.as_items().0.iter().map(|b| Binding::parse(b)).collect())
                .unwrap_or_default(),
            remote_ip_ranges,
            unparsed_remote_ip_ranges: unparsed,
            remote_ip_ranges_cut: cut,
            auth_mechanism: o.get(&["authmechanism"]).map(|v| match v.as_items() {
                (items, _) if items.len() > 1 => AuthMechanisms::parse(&items.join(",")),
                _ => AuthMechanisms::parse(&v.text().unwrap_or_default()),
            }),
            permission_groups: o
                .get(&["permissiongroups"])
                .map(|v| v.as_items().0)
                .unwrap_or_default(),
            transport_role: o.text(&["transportrole"]),
            fqdn: o.text(&["fqdn"]),
            enabled: o.get(&["enabled"]).and_then(|v| v.as_bool()),
            protocol_logging_level: o.text(&["protocollogginglevel"]),
        }
    }

    /// The most specific of this connector's ranges containing `ip`.
    pub fn best_match(&self, ip: IpAddr) -> Option<&IpRange> {
        self.remote_ip_ranges
            .iter()
            .filter(|r| r.contains(ip))
            .min_by_key(|r| r.address_count())
    }
}

/// Picks the connector Exchange would use for a connection from `remote_ip`
/// to `local_ip:port`: enabled, binding accepts, most specific range; a
/// binding to the exact IP beats `0.0.0.0` on ties.
pub fn select_connector(
    connectors: &[ConnectorAuth],
    local_ip: IpAddr,
    port: u16,
    remote_ip: IpAddr,
) -> Option<&ConnectorAuth> {
    connectors
        .iter()
        .filter(|c| c.enabled != Some(false))
        .filter_map(|c| {
            let bind = c.bindings.iter().find(|b| b.accepts(local_ip, port))?;
            let range = c.best_match(remote_ip)?;
            let unspecified = bind.address.is_some_and(|a| a.is_unspecified());
            Some(((range.address_count(), unspecified), c))
        })
        .min_by_key(|(k, _)| *k)
        .map(|(_, c)| c)
}

/// Cheap check: FL with Bindings and RemoteIPRanges properties.
pub fn looks_like_format_list(text_head: &str) -> bool {
    let has = |p: &str| {
        text_head.lines().any(|l| {
            format_list::split_property_line(l.trim_start_matches('\u{feff}'))
                .is_some_and(|(n, _, _)| n == p)
        })
    };
    has("Bindings") && (has("RemoteIPRanges") || has("AuthMechanism"))
}

/// Cheap check: CliXml of receive connector objects.
pub fn looks_like_clixml(text_head: &str) -> bool {
    clixml::looks_like(text_head) && text_head.contains("ReceiveConnector")
}

/// The objects a Format-List holds that are receive connectors (any of
/// Bindings, RemoteIPRanges, AuthMechanism).
fn is_connector(o: &PropertyObject) -> bool {
    o.get(&["bindings", "remoteipranges", "authmechanism"])
        .is_some()
}

/// Parses `Get-ReceiveConnector | fl` text.
pub fn parse_format_list(text: &str) -> (Vec<ConnectorAuth>, Problems) {
    gather(text, read_format_list)
}

/// Parses `Get-ReceiveConnector | Export-Clixml`.
pub fn parse_clixml(text: &str) -> (Vec<ConnectorAuth>, Problems) {
    gather(text, read_clixml)
}

/// Either form, by content.
pub fn parse(text: &str) -> (Vec<ConnectorAuth>, Problems) {
    gather(text, read)
}

/// A reader of connectors: each to the callback as read; the problems.
type ReadConnectors = fn(&mut dyn Reread, &mut dyn FnMut(ConnectorAuth)) -> Problems;

/// The connectors a reader hands over, kept, and its problems.
fn gather(text: &str, read: ReadConnectors) -> (Vec<ConnectorAuth>, Problems) {
    let mut connectors = Vec::new();
    let problems = read(&mut text.as_bytes(), &mut |c| connectors.push(c));
    (connectors, problems)
}

/// Reads either form as [`parse`] does (CliXml when the text's first 4,096
/// characters look like it), handing each connector to `each` as its object
/// ends instead of keeping it: `Get-ReceiveConnector | fl` run again and
/// again into one file (a script's every run) repeats its connectors by the
/// thousand. Returns the problems.
pub fn read(text: &mut dyn Reread, each: &mut dyn FnMut(ConnectorAuth)) -> Problems {
    let head = text.read_from_start().and_then(|t| {
        let mut bytes = Vec::new();
        t.take(4096 * 4).read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes)
            .chars()
            .take(4096)
            .collect::<String>())
    });
    match head {
        Ok(head) if clixml::looks_like(&head) => read_clixml(text, each),
        Ok(_) => read_format_list(text, each),
        Err(e) => vec![cannot_read(&e)].into(),
    }
}

/// Reads `Get-ReceiveConnector | fl` text as [`parse_format_list`] does, in
/// two passes (how its values were wrapped, then its objects), each
/// connector to `each` as its object ends.
pub fn read_format_list(text: &mut dyn Reread, each: &mut dyn FnMut(ConnectorAuth)) -> Problems {
    let read = format_list::each_object_in_passes(text, &[], &mut |o| {
        if is_connector(&o) {
            each(ConnectorAuth::from_object(&o));
        }
    });
    match read {
        Ok(found) => found.cut_problems().collect(),
        Err(e) => vec![cannot_read(&e)].into(),
    }
}

/// Reads `Get-ReceiveConnector | Export-Clixml` as [`parse_clixml`] does,
/// each connector to `each` as its top-level object ends.
pub fn read_clixml(text: &mut dyn Reread, each: &mut dyn FnMut(ConnectorAuth)) -> Problems {
    let read = text
        .read_from_start()
        .map(|mut t| clixml::each_object(&mut *t, &mut |o| each(ConnectorAuth::from_object(&o))));
    match read {
        Ok((problems, Ok(()))) => problems,
        Ok((mut problems, Err(e))) => {
            problems.push(cannot_read(&e));
            problems
        }
        Err(e) => vec![cannot_read(&e)].into(),
    }
}

fn cannot_read(e: &std::io::Error) -> Problem {
    Problem::new(Location::File, format!("cannot read the text: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
    }

    /// `Get-ReceiveConnector | fl` of EX02: its default connector, and a
    /// relay whose RemoteIPRanges the console wrapped.
    const FL: &str = "\r\nAuthMechanism        : Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer\r\nBindings             : {0.0.0.0:2525, [::]:2525}\r\nEnabled              : True\r\nPermissionGroups     : ExchangeUsers, ExchangeServers, ExchangeLegacyServers\r\nRemoteIPRanges       : {::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255}\r\nIdentity             : EX02\\Default EX02\r\n\r\nAuthMechanism        : Tls\r\nBindings             : {0.0.0.0:2525}\r\nEnabled              : True\r\nPermissionGroups     : AnonymousUsers\r\nRemoteIPRanges       : {10.0.0.11, 10.0.0.20-10.0.0.29, 192.168.0.0/16,\r\n                       2001:db8::/32}\r\nIdentity             : EX02\\Relay EX02\r\n";

    /// The same two connectors as `Export-Clixml` writes them.
    const CLIXML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n  <Obj RefId=\"0\">\r\n    <TN RefId=\"0\"><T>Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector</T></TN>\r\n    <Props><S N=\"Identity\">EX02\\Default EX02</S><S N=\"AuthMechanism\">Tls, ExchangeServer</S></Props>\r\n  </Obj>\r\n  <Obj RefId=\"1\">\r\n    <TNRef RefId=\"0\" />\r\n    <Props><S N=\"Identity\">EX02\\Relay EX02</S><S N=\"AuthMechanism\">Tls</S></Props>\r\n  </Obj>\r\n</Objs>\r\n";

    /// What `read` hands over and its problems: what `parse` keeps.
    fn assert_read_is_parse(text: &str) -> (Vec<ConnectorAuth>, Problems) {
        let whole = parse(text);
        let mut handed = Vec::new();
        let problems = read(&mut text.as_bytes(), &mut |c| handed.push(c));
        assert_eq!((handed, problems), whole);
        whole
    }

    fn identities(connectors: &[ConnectorAuth]) -> Vec<&str> {
        connectors
            .iter()
            .map(|c| c.identity.as_deref().unwrap_or(""))
            .collect()
    }

    /// Both forms however saved (CRLF or LF, a byte order mark, trailing
    /// spaces stripped): the same connectors, the wrapped ranges joined.
    #[test]
    fn read_hands_over_what_parse_keeps() {
        let trimmed: String = FL.lines().map(|l| format!("{}\n", l.trim_end())).collect();
        for text in [
            FL.to_string(),
            FL.replace("\r\n", "\n"),
            format!("\u{feff}{FL}"),
            trimmed,
        ] {
            let (connectors, problems) = assert_read_is_parse(&text);
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(
                identities(&connectors),
                ["EX02\\Default EX02", "EX02\\Relay EX02"]
            );
            assert_eq!(connectors[1].remote_ip_ranges.len(), 4);
            assert!(connectors[0]
                .auth_mechanism
                .as_ref()
                .is_some_and(|a| a.exchange_server));
        }
        let (connectors, problems) = assert_read_is_parse(CLIXML);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            identities(&connectors),
            ["EX02\\Default EX02", "EX02\\Relay EX02"]
        );
    }

    /// Listed again and again into one file (5,000 runs), NUL bytes in the
    /// middle and the last run cut: every connector handed over, each at
    /// its own line; an export cut short keeps the connectors before the
    /// cut, its problem said.
    #[test]
    fn runs_in_a_loop_hand_over_each_connector() {
        let cut = FL
            .get(..FL.find("Enabled").unwrap_or(0))
            .unwrap_or_default();
        let text = format!("{}\0\0\r\n{}{cut}", FL.repeat(2_500), FL.repeat(2_500));
        let (connectors, problems) = assert_read_is_parse(&text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(connectors.len(), 10_001);
        let lines = FL.lines().count() as u64;
        assert_eq!(connectors[2].location, Location::Line(lines + 2));
        let cut_clixml = CLIXML
            .get(..CLIXML.find("<TNRef").unwrap_or(0))
            .unwrap_or_default();
        let (connectors, problems) = assert_read_is_parse(cut_clixml);
        assert_eq!(identities(&connectors), ["EX02\\Default EX02"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn ranges() {
        let r = IpRange::parse("10.0.0.0/8");
        assert!(r.is_some_and(|r| r.contains(ip("10.1.2.3")) && !r.contains(ip("11.0.0.1"))));
        assert_eq!(r.map(|r| r.specificity_bits()), Some(8));
        let r = IpRange::parse("10.0.0.1-10.0.0.9");
        assert_eq!(r.map(|r| r.address_count()), Some(9));
        assert_eq!(
            IpRange::parse("10.0.0.0(255.255.255.0)").map(|r| r.address_count()),
            Some(256)
        );
        let all6 = IpRange::parse("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assert!(all6.is_some_and(|r| r.contains(ip("2001:db8::1"))));
        assert_eq!(IpRange::parse("10.0.0.9-10.0.0.1"), None);
        assert_eq!(
            IpRange::parse("10.0.0.1").map(|r| r.specificity_bits()),
            Some(32)
        );
    }
}
