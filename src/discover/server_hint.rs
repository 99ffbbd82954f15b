//! Which server an artifact belongs to, judged from where it sits.
//!
//! Admins hand over one folder or zip per server, in ExchangeLogCollector's
//! shape (`<SERVER>-<Md>.zip` holding `Hub_Send_Protocol_Logs.zip`, …, and
//! `Exchange_Server_Data/<SERVER>_InstantQueueInfo.txt`), as folders named
//! after the servers, or as one flat folder of files whose names start with
//! the server's (`EX01_SEND2024101512-1.LOG`, `EX02-RECV….LOG`, `EX01 w32tm.txt`).
//!
//! Only ExchangeLogCollector's own shape names a server for sure
//! ([`Basis::Collector`]). Every other name — a folder word, a file-name
//! prefix, an IP — is a *candidate* ([`Candidates`]): correlation confirms it
//! against the host names found in the collection's content and leaves the
//! file's server unknown otherwise. A tool or folder word (`w32tm`, `logs`,
//! `export`, …) is never even a candidate.

use super::origin::Origin;
use crate::model::short_name;
use std::net::IpAddr;

/// Folder names ExchangeLogCollector creates below a server's root.
const ELC_FOLDERS: &[&str] = &[
    "hub_send_protocol_logs",
    "hub_receive_protocol_logs",
    "fe_send_protocol_logs",
    "fe_receive_protocol_logs",
    "mbx_send_protocol_logs",
    "mbx_receive_protocol_logs",
    "hub_connectivity_logs",
    "fe_connectivity_logs",
    "message_tracking_logs",
    "queue_v15_data",
    "windows_event_logs",
    "exchange_server_data",
    "connectors",
    "general_server_info",
];

/// Tools whose names end up on folders and files (`w32tm/`,
/// `W32TM_output.txt`, `portqry-DC01-88.txt`): never a server, and never a
/// part of one's name.
const TOOL_WORDS: &[&str] = &[
    "w32tm",
    "repadmin",
    "setspn",
    "nltest",
    "klist",
    "portqry",
    "portqryui",
    "ipconfig",
    "netstat",
    "gpresult",
    "dcdiag",
    "nslookup",
    "ping",
    "tracert",
    "pathping",
    "systeminfo",
    "msinfo32",
    "hotfixes",
    "whoami",
    "netsh",
    "certutil",
    "wevtutil",
    "eventvwr",
    "telnet",
    "tnc",
    "test",
    "get",
    "powershell",
    "transcript",
    "exchangelogcollector",
];

/// Folder and file words that look like host names but never are.
const NOT_SERVERS: &[&str] = &[
    "logs",
    "log",
    "evtx",
    "evt",
    "events",
    "event",
    "eventlog",
    "eventlogs",
    "protocollog",
    "protocollogs",
    "smtpsend",
    "smtpreceive",
    "smtp",
    "smtpsvc",
    "send",
    "recv",
    "receive",
    "hub",
    "fe",
    "mbx",
    "frontend",
    "mailbox",
    "edge",
    "transportroles",
    "exchange",
    "collection",
    "collections",
    "collected",
    "export",
    "exports",
    "exported",
    "queue",
    "queues",
    "data",
    "windows",
    "system32",
    "winevt",
    "servers",
    "server",
    "samples",
    "sample",
    "tmp",
    "temp",
    "output",
    "outputs",
    "input",
    "result",
    "results",
    "report",
    "reports",
    "dump",
    "dumps",
    "files",
    "misc",
    "tools",
    "diag",
    "diags",
    "diagnostics",
    "trace",
    "traces",
    "ms_logs_collection",
    "v14",
    "v15",
    "dns",
    "ntp",
    "kdc",
    "ldap",
    "http",
    "https",
    "tls",
    "csv",
    "txt",
    "xml",
    "json",
];

/// How a candidate name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Basis {
    /// ExchangeLogCollector's own shape: a `<SERVER>-<Md>.zip`, or a folder
    /// holding its folders. Taken as the server.
    Collector,
    /// A folder named like a host, or a file-name prefix (`EX01_…`,
    /// `EX01-…`, `EX01 …`): the server only if the collection's content
    /// knows a host of that name.
    Place,
    /// A folder or file-name prefix that is an IP address: the server the
    /// collection's content says owns it, if exactly one does.
    Address,
}

impl Basis {
    fn tag(self) -> char {
        match self {
            Basis::Collector => 'c',
            Basis::Place => 'p',
            Basis::Address => 'a',
        }
    }

    fn from_tag(tag: char) -> Option<Basis> {
        match tag {
            'c' => Some(Basis::Collector),
            'p' => Some(Basis::Place),
            'a' => Some(Basis::Address),
            _ => None,
        }
    }
}

/// One name where an artifact sits suggests for its server: a short,
/// upper-case host name, or an IP address's text ([`Basis::Address`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Candidate {
    pub name: String,
    pub basis: Basis,
}

/// The candidate server names of one artifact, the most specific (deepest
/// in the path) first; a name found both ways counts as
/// [`Basis::Collector`].
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Candidates(pub Vec<Candidate>);

/// Starts a place key ([`Candidates::place_key`]); no host name or IP
/// address holds it.
const KEY_MARK: char = '\u{1}';

impl Candidates {
    /// The name the reading half gives an artifact's records before
    /// correlation has decided: the server itself when ExchangeLogCollector's
    /// shape names it, otherwise a *place key* that stands for these
    /// candidates (never a host name: it starts with a control character)
    /// and that correlation replaces with the confirmed server or nothing.
    /// `None` when there is no candidate at all.
    pub fn place_key(&self) -> Option<String> {
        let first = self.0.first()?;
        if first.basis == Basis::Collector {
            return Some(first.name.clone());
        }
        let mut key = String::new();
        for c in &self.0 {
            key.push(KEY_MARK);
            key.push(c.basis.tag());
            key.push_str(&c.name);
            if c.basis == Basis::Collector {
                // Nothing after a sure name is ever chosen.
                break;
            }
        }
        Some(key)
    }

    /// True for a key [`Candidates::place_key`] made (not a server name).
    pub fn is_place_key(text: &str) -> bool {
        text.starts_with(KEY_MARK)
    }

    /// The candidates a place key stands for; `None` for anything else.
    pub fn from_place_key(key: &str) -> Option<Candidates> {
        let rest = key.strip_prefix(KEY_MARK)?;
        let mut out = Vec::new();
        for part in rest.split(KEY_MARK) {
            let mut chars = part.chars();
            let basis = Basis::from_tag(chars.next()?)?;
            let name = chars.as_str();
            if name.is_empty() {
                return None;
            }
            out.push(Candidate {
                name: name.to_string(),
                basis,
            });
        }
        Some(Candidates(out))
    }

    fn push(&mut self, name: String, basis: Basis) {
        match self.0.iter_mut().find(|c| c.name == name) {
            Some(existing) => existing.basis = existing.basis.min(basis),
            None => self.0.push(Candidate { name, basis }),
        }
    }
}

/// Every server name where `origin` sits suggests, the deepest first.
pub fn candidates(origin: &Origin) -> Candidates {
    let segments: Vec<(&str, bool)> = origin.segments().collect();
    // Per segment, outermost first; each segment's own list most specific first.
    let mut found: Vec<Vec<(String, Basis)>> = Vec::with_capacity(segments.len());
    for (i, &(segment, is_file_or_archive)) in segments.iter().enumerate() {
        let mut here = Vec::new();
        let last = i + 1 == segments.len();
        if last {
            match elc_server_zip(strip_zip(segment)) {
                Some(server) if strip_zip(segment).len() < segment.len() => {
                    here.push((server, Basis::Collector));
                }
                _ => file_name_candidates(segment, &mut here),
            }
            found.push(here);
            continue;
        }
        let stem = strip_zip(segment);
        let is_zip = is_file_or_archive && stem.len() < segment.len();
        // <SERVER>-<Md>.zip, the per-server zip ExchangeLogCollector writes.
        if is_zip {
            if let Some(server) = elc_server_zip(stem) {
                here.push((server, Basis::Collector));
                found.push(here);
                continue;
            }
        }
        // A folder (or zip) holding ExchangeLogCollector's folders.
        let next_is_elc = segments
            .get(i + 1)
            .is_some_and(|(next, _)| is_elc_folder(strip_zip(next)));
        if next_is_elc && looks_like_host(stem) {
            // `EX01-1126/`: an ExchangeLogCollector server zip, unzipped.
            let server = elc_server_folder(stem).unwrap_or_else(|| short_name(stem));
            here.push((server, Basis::Collector));
        } else if !is_file_or_archive || is_zip {
            if let Some(candidate) = name_candidate(stem) {
                here.push(candidate);
            } else if is_zip {
                file_name_candidates(stem, &mut here);
            }
        }
        found.push(here);
    }
    let mut out = Candidates::default();
    for (name, basis) in found.into_iter().rev().flatten() {
        out.push(name, basis);
    }
    out
}

/// The single server name discovery shows for `origin` (the inventory):
/// its most specific host-name candidate. Correlation, which reads the
/// content, may still leave the artifact unattributed.
pub fn server_hint(origin: &Origin) -> Option<String> {
    candidates(origin)
        .0
        .into_iter()
        .find(|c| c.basis != Basis::Address)
        .map(|c| c.name)
}

fn strip_zip(segment: &str) -> &str {
    // `get`, not slicing: a hostile name may end inside a multi-byte character.
    let cut = segment.len().saturating_sub(4);
    match (segment.get(..cut), segment.get(cut..)) {
        (Some(stem), Some(ext)) if cut > 0 && ext.eq_ignore_ascii_case(".zip") => stem,
        _ => segment,
    }
}

fn is_elc_folder(name: &str) -> bool {
    ELC_FOLDERS.contains(&name.to_ascii_lowercase().as_str())
}

/// `EX01-1126` → `EX01`: a host name, `-`, and the month+day (2–4 digits).
fn elc_server_zip(stem: &str) -> Option<String> {
    let (host, md) = stem.rsplit_once('-')?;
    let md_ok = (2..=4).contains(&md.len()) && md.bytes().all(|b| b.is_ascii_digit());
    (md_ok && looks_like_host(host)).then(|| short_name(host))
}

/// A folder named like ExchangeLogCollector's server zip (`EX01-1126`, the
/// zip unzipped) → its server, when what follows the `-` is a month and day
/// (`EXCH-2019` stays a host name).
fn elc_server_folder(stem: &str) -> Option<String> {
    let (_, md) = stem.rsplit_once('-')?;
    if !md.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month_day = |m: &str, d: &str| {
        matches!(m.parse::<u8>(), Ok(1..=12)) && matches!(d.parse::<u8>(), Ok(1..=31))
    };
    let plausible = match md.len() {
        2 => month_day(&md[..1], &md[1..]),
        3 => month_day(&md[..1], &md[1..]) || month_day(&md[..2], &md[2..]),
        4 => month_day(&md[..2], &md[2..]),
        _ => false,
    };
    elc_server_zip(stem).filter(|_| plausible)
}

/// A whole folder name (or archive stem) as a candidate: a host name or an
/// IP address.
fn name_candidate(name: &str) -> Option<(String, Basis)> {
    if is_elc_folder(name) {
        return None;
    }
    if let Some(ip) = address(name) {
        return Some((ip.to_string(), Basis::Address));
    }
    looks_like_host(name).then(|| (short_name(name), Basis::Place))
}

/// The prefixes of a file name that may name its server, most specific
/// first: the text before the first `_` or space (`EX01_SEND….LOG`,
/// `EX01 w32tm.txt`), and the texts before each `-` of that (or of the stem
/// when there is no `_` or space: `EX01-RECV….LOG`, `EXCH-2019-SEND….LOG`).
fn file_name_candidates(file_name: &str, out: &mut Vec<(String, Basis)>) {
    let head = match file_name.find(['_', ' ']) {
        Some(i) => {
            let head = file_name.get(..i).unwrap_or("");
            push_prefix(head, out);
            head
        }
        // Without `_` or space the whole stem is no prefix: `-` splits it.
        None => file_name
            .rsplit_once('.')
            .map(|(stem, _)| stem)
            .unwrap_or(file_name),
    };
    let dashes: Vec<usize> = head.match_indices('-').map(|(i, _)| i).collect();
    for &i in dashes.iter().rev() {
        push_prefix(head.get(..i).unwrap_or(""), out);
    }
}

fn push_prefix(prefix: &str, out: &mut Vec<(String, Basis)>) {
    if prefix.is_empty() || prefix.split('-').any(is_log_stem) {
        return;
    }
    if let Some(candidate) = name_candidate(prefix) {
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
}

/// An IPv4 address (Windows names cannot hold IPv6's colons).
fn address(name: &str) -> Option<IpAddr> {
    let ip: std::net::Ipv4Addr = name.parse().ok()?;
    (!ip.is_unspecified() && !ip.is_loopback() && !ip.is_broadcast()).then_some(IpAddr::V4(ip))
}

/// A log file's own date-stamped stem (`SEND2024101512`, `RECV20261126`,
/// `MSGTRK2024101512`, `CONNECTLOG20241015`): letters, then 6 or more digits.
fn is_log_stem(name: &str) -> bool {
    let letters = name.bytes().take_while(u8::is_ascii_alphabetic).count();
    let digits = name.len() - letters;
    letters > 0 && digits >= 6 && name.bytes().skip(letters).all(|b| b.is_ascii_digit())
}

/// A NetBIOS name or FQDN that names a machine rather than a generic folder
/// or a tool: valid host-name characters, and a digit, all upper case, or
/// dots (FQDN).
fn looks_like_host(name: &str) -> bool {
    let first_label = name.split('.').next().unwrap_or("");
    let syntax = !first_label.is_empty()
        && first_label.len() <= 63
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && first_label.bytes().any(|b| b.is_ascii_alphabetic())
        && !first_label.starts_with('-');
    if !syntax || is_word(first_label) {
        return false;
    }
    let has_digit = first_label.bytes().any(|b| b.is_ascii_digit());
    let all_upper = first_label.bytes().all(|b| !b.is_ascii_lowercase());
    let fqdn = name.contains('.') && name.split('.').count() >= 3;
    has_digit || all_upper || fqdn
}

/// A folder or tool word: the label itself, its first `-` part, or any `-`
/// part that is a tool (`portqry-DC01`, `EX01-w32tm`).
fn is_word(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    let listed = |word: &str| NOT_SERVERS.contains(&word) || TOOL_WORDS.contains(&word);
    listed(&lower)
        || lower.split('-').next().is_some_and(listed)
        || lower.split('-').any(|part| TOOL_WORDS.contains(&part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(links: &[&str]) -> Option<String> {
        let mut o = Origin::file(links[0]);
        for l in &links[1..] {
            o = o.child(*l);
        }
        server_hint(&o)
    }

    #[test]
    fn names_ending_in_a_multibyte_character_never_panic() {
        // Found by fuzzing the archive walker: an entry named `…╥` (3 bytes).
        assert_eq!(hint(&["c.zip", "a\u{2565}\u{2565}", "x.LOG"]), None);
        assert_eq!(
            hint(&["EX01-1126.zip", "Hub_Send_Protocol_Logs\u{e9}.zip"]),
            Some("EX01".into())
        );
        assert_eq!(strip_zip("\u{2565}\u{2565}"), "\u{2565}\u{2565}");
        assert_eq!(strip_zip("EX01-1126.ZIP"), "EX01-1126");
        assert_eq!(strip_zip(".zip"), ".zip");
    }

    #[test]
    fn elc_server_zip_names_the_server() {
        assert_eq!(
            hint(&[
                "in/collection.zip",
                "EX01-1126.zip",
                "Hub_Send_Protocol_Logs.zip",
                "SEND20261126-1.LOG"
            ]),
            Some("EX01".into())
        );
        assert_eq!(
            hint(&[
                "EXCH-2019-126.zip",
                "Windows_Event_Logs/Windows-Logs/System.evtx"
            ]),
            Some("EXCH-2019".into())
        );
    }

    #[test]
    fn elc_root_folder_and_data_file_prefix() {
        assert_eq!(
            hint(&["C:/MS_Logs_Collection/EX02/Exchange_Server_Data/EX02_InstantQueueInfo.txt"]),
            Some("EX02".into())
        );
        assert_eq!(hint(&["x/EX03_ReceiveConnectors.xml"]), Some("EX03".into()));
        assert_eq!(hint(&["mail/Hub_Send_Protocol_Logs/SEND1.LOG"]), None);
    }

    /// An ExchangeLogCollector server zip unzipped (`EX01-1126/` holding its
    /// folders) names its server as the zip does.
    #[test]
    fn elc_server_zip_unzipped_to_a_folder() {
        assert_eq!(
            hint(&["in/EX01-1126/Hub_Send_Protocol_Logs.zip"]),
            Some("EX01".into())
        );
        assert_eq!(
            hint(&["in/EX01-1126/Hub_Send_Protocol_Logs/SEND20261126-1.LOG"]),
            Some("EX01".into())
        );
        assert_eq!(
            hint(&["in/EXCH-2019/Hub_Send_Protocol_Logs/SEND20261126-1.LOG"]),
            Some("EXCH-2019".into())
        );
    }

    #[test]
    fn folder_named_after_the_server() {
        assert_eq!(
            hint(&["samples/clock-skew/EX01/SEND20261126-1.LOG"]),
            Some("EX01".into())
        );
        assert_eq!(
            hint(&["dump/ex02.contoso.local/logs/RECV20261126-1.LOG"]),
            Some("EX02".into())
        );
        assert_eq!(hint(&["samples/clock-skew/logs/SEND20261126-1.LOG"]), None);
        assert_eq!(hint(&["SEND20261126-1.LOG"]), None);
    }

    fn all(links: &[&str]) -> Vec<(String, Basis)> {
        let mut o = Origin::file(links[0]);
        for l in &links[1..] {
            o = o.child(*l);
        }
        candidates(&o)
            .0
            .into_iter()
            .map(|c| (c.name, c.basis))
            .collect()
    }

    fn place(name: &str) -> (String, Basis) {
        (name.to_string(), Basis::Place)
    }

    #[test]
    fn file_name_prefixes_are_candidates() {
        assert_eq!(all(&["in/EX01_SEND2024101512-1.LOG"]), vec![place("EX01")]);
        assert_eq!(all(&["in/EX02-RECV2024101512-1.LOG"]), vec![place("EX02")]);
        assert_eq!(all(&["in/EX01 Application.evtx"]), vec![place("EX01")]);
        assert_eq!(
            all(&["in/EXCH-2019-SEND2024101512-1.LOG"]),
            vec![place("EXCH-2019"), place("EXCH")]
        );
        assert_eq!(all(&["in/ex01.contoso.com_w32tm.txt"]), vec![place("EX01")]);
        assert_eq!(
            all(&["in/10.1.2.11_SEND2024101512-1.LOG"]),
            vec![("10.1.2.11".to_string(), Basis::Address)]
        );
        // A log's own date-stamped name is no prefix.
        assert_eq!(all(&["in/SEND2024101512-1.LOG"]), vec![]);
        assert_eq!(all(&["in/RECV20261126-12.LOG"]), vec![]);
        assert_eq!(all(&["in/MSGTRK2024101512-1.LOG"]), vec![]);
    }

    #[test]
    fn tool_and_folder_words_are_never_candidates() {
        for path in [
            "c/w32tm/status.txt",
            "c/W32TM/status.txt",
            "c/repadmin/showrepl.txt",
            "c/REPADMIN/showrepl.txt",
            "c/logs/x.txt",
            "c/LOGS/x.txt",
            "c/export/x.txt",
            "c/EXPORT/x.txt",
            "c/x/w32tm_output.txt",
            "c/x/W32TM_output.txt",
            "c/x/setspn-L.txt",
            "c/x/SETSPN-L.txt",
            "c/x/repadmin_showrepl.txt",
            "c/x/portqry-DC01-88.txt",
            "c/x/Test-NetConnection-DC01-88.txt",
            "c/x/NLTEST_dsgetdc.txt",
            "c/x/KLIST tickets.txt",
            "c/FE_Receive_Protocol_Logs/RECV2024101512-1.LOG",
        ] {
            assert_eq!(all(&[path]), vec![], "{path}");
        }
        // The host part of a name that also holds a tool word still counts.
        assert_eq!(all(&["c/x/EX01-w32tm-status.txt"]), vec![place("EX01")]);
    }

    #[test]
    fn deepest_first_and_collector_shape_wins_a_tie() {
        assert_eq!(
            all(&["C:/MS_Logs_Collection/EX02/Exchange_Server_Data/EX02_InstantQueueInfo.txt"]),
            vec![("EX02".to_string(), Basis::Collector)]
        );
        assert_eq!(
            all(&["CASE12345/EX01/SEND20261126-1.LOG"]),
            vec![place("EX01"), place("CASE12345")]
        );
        assert_eq!(
            all(&[
                "EX01-1126.zip",
                "Exchange_Server_Data/EX03_InstantQueueInfo.txt"
            ]),
            vec![place("EX03"), ("EX01".to_string(), Basis::Collector)]
        );
        assert_eq!(
            all(&["10.1.2.11/x.txt"]),
            vec![("10.1.2.11".into(), Basis::Address)]
        );
        assert_eq!(
            all(&["EX05.zip", "SEND20261126-1.LOG"]),
            vec![place("EX05")]
        );
    }

    #[test]
    fn place_keys_stand_for_candidates_and_never_for_a_host() {
        let mut o = Origin::file("EX01-1126.zip");
        o = o.child("Hub_Send_Protocol_Logs.zip").child("SEND1.LOG");
        assert_eq!(candidates(&o).place_key().as_deref(), Some("EX01"));
        assert_eq!(candidates(&Origin::file("x/SEND1.LOG")).place_key(), None);
        let flat = candidates(&Origin::file("CASE12345/EX01_SEND20261126-1.LOG"));
        let key = flat.place_key().unwrap_or_default();
        assert!(Candidates::is_place_key(&key));
        assert_eq!(crate::model::normalize_host(&key), None);
        assert_eq!(Candidates::from_place_key(&key), Some(flat));
        assert_eq!(Candidates::from_place_key("EX01"), None);
        assert_eq!(Candidates::from_place_key("\u{1}"), None);
        assert_eq!(Candidates::from_place_key("\u{1}zEX01"), None);
        // Nothing after a sure name is kept.
        let mixed = Candidates(vec![
            Candidate {
                name: "EX03".into(),
                basis: Basis::Place,
            },
            Candidate {
                name: "EX01".into(),
                basis: Basis::Collector,
            },
            Candidate {
                name: "OLD9".into(),
                basis: Basis::Place,
            },
        ]);
        let back = Candidates::from_place_key(&mixed.place_key().unwrap_or_default());
        assert_eq!(back.map(|c| c.0.len()), Some(2));
    }
}
