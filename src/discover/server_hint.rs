//! Which server an artifact belongs to, judged from where it sits.
//!
//! Admins hand over one folder or zip per server, in ExchangeLogCollector's
//! shape (`<SERVER>-<Md>.zip` holding `Hub_Send_Protocol_Logs.zip`, …, and
//! `Exchange_Server_Data/<SERVER>_InstantQueueInfo.txt`) or as folders named
//! after the servers. This is only a hint: content (the `.evtx` Computer
//! field, EHLO names) can override it later.

use super::origin::Origin;
use crate::model::short_name;

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

/// File-name endings of ExchangeLogCollector's per-server data files
/// (`<SERVER>_InstantQueueInfo.txt`, …).
const ELC_DATA_NAMES: &[&str] = &[
    "instantqueueinfo",
    "receiveconnectors",
    "transportserver",
    "transportservice",
    "frontendtransportservice",
    "mailboxtransportservice",
    "application",
    "system",
    "exchangeserver",
    "exchangecertificates",
    "ipconfig",
    "netstat",
    "gpresult",
    "hotfixes",
    "setspn",
    "w32tm",
    "klist",
    "nltest",
    "repadmin",
];

/// Folder names that look like host names but never are.
const NOT_SERVERS: &[&str] = &[
    "logs",
    "log",
    "evtx",
    "events",
    "eventlogs",
    "protocollog",
    "smtpsend",
    "smtpreceive",
    "hub",
    "frontend",
    "mailbox",
    "edge",
    "transportroles",
    "exchange",
    "collection",
    "collections",
    "export",
    "exports",
    "queue",
    "queues",
    "data",
    "windows",
    "system32",
    "winevt",
    "servers",
    "samples",
    "sample",
    "tmp",
    "temp",
    "output",
    "input",
    "ms_logs_collection",
    "v14",
    "v15",
];

/// The short, upper-case server name for `origin`, if where it sits says.
pub fn server_hint(origin: &Origin) -> Option<String> {
    let segments: Vec<(&str, bool)> = origin.segments().collect();
    let mut best: Option<String> = None;
    for (i, &(segment, is_file_or_archive)) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if last {
            if let Some(server) = elc_data_file_prefix(segment) {
                best = Some(server);
            }
            continue;
        }
        let stem = strip_zip(segment);
        // <SERVER>-<Md>.zip, the per-server zip ExchangeLogCollector writes.
        if is_file_or_archive && stem.len() < segment.len() {
            if let Some(server) = elc_server_zip(stem) {
                best = Some(server);
                continue;
            }
        }
        // A folder (or zip) holding ExchangeLogCollector's folders.
        let next_is_elc = segments
            .get(i + 1)
            .map(|(next, _)| ELC_FOLDERS.contains(&strip_zip(next).to_ascii_lowercase().as_str()))
            .unwrap_or(false);
        if next_is_elc && looks_like_host(stem) {
            best = Some(short_name(stem));
            continue;
        }
        if !is_file_or_archive && looks_like_host(stem) && !is_elc_folder(stem) {
            best = Some(short_name(stem));
        }
    }
    best
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

/// `EX01_InstantQueueInfo.txt` → `EX01`.
fn elc_data_file_prefix(file_name: &str) -> Option<String> {
    let (prefix, rest) = file_name.split_once('_')?;
    let rest = rest.to_ascii_lowercase();
    let stem = rest.split('.').next().unwrap_or("");
    let known = ELC_DATA_NAMES.iter().any(|name| stem.starts_with(name));
    (known && looks_like_host(prefix)).then(|| short_name(prefix))
}

/// A NetBIOS name or FQDN that names a machine rather than a generic folder:
/// valid host-name characters, and a digit, all upper case, or dots (FQDN).
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
    if !syntax || NOT_SERVERS.contains(&first_label.to_ascii_lowercase().as_str()) {
        return false;
    }
    let has_digit = first_label.bytes().any(|b| b.is_ascii_digit());
    let all_upper = first_label.bytes().all(|b| !b.is_ascii_lowercase());
    let fqdn = name.contains('.') && name.split('.').count() >= 3;
    has_digit || all_upper || fqdn
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
}
