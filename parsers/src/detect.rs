//! Format detection by content; the file name is only a hint.
//!
//! Collections arrive renamed, re-zipped and re-encoded: `EX01_InstantQueueInfo.txt`
//! is Format-List text in UTF-16LE, a `.LOG` may be a protocol log or a queue
//! log, a `.txt` may hold any command's output. So each file is recognised from
//! its first KiB after decoding. Every format is one entry in [`FORMATS`]
//! (ripgrep keeps its flags in one slice the same way): adding a format is one
//! detector function and one line there.

use crate::encoding::{self, Sniffed, TextEncoding};
use serde::Serialize;
use std::fmt;

/// How many bytes of a file detection looks at.
pub const HEAD_LEN: usize = 4096;

/// What a file is: a stable kind id (`smtp-receive-log`, `setspn`, …), the
/// name the inventory, reports and JSON use. A format module names its kind
/// (`pub const KIND: Kind = Kind::new("…")`) and registers it with one line
/// in [`FORMATS`]; the kinds below are the ones that came before that rule,
/// and the few that discovery itself deals with (archives, unknown files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind(&'static str);

impl Kind {
    pub const EVTX: Kind = Kind("evtx");
    pub const SMTP_RECEIVE_LOG: Kind = Kind("smtp-receive-log");
    pub const SMTP_SEND_LOG: Kind = Kind("smtp-send-log");
    pub const TRANSPORT_QUEUE_LOG: Kind = Kind("transport-queue-log");
    pub const QUEUE_EXPORT: Kind = Kind("queue-export");
    pub const MESSAGE_EXPORT: Kind = Kind("message-export");
    pub const RECEIVE_CONNECTOR_EXPORT: Kind = Kind("receive-connector-export");
    pub const EVENT_EXPORT: Kind = Kind("event-export");
    pub const SETSPN: Kind = Kind("setspn");
    pub const W32TM: Kind = Kind("w32tm");
    pub const REPADMIN: Kind = Kind("repadmin");
    pub const TEST_NETCONNECTION: Kind = Kind("test-netconnection");
    pub const PORTQRY: Kind = Kind("portqry");
    pub const NLTEST: Kind = Kind("nltest");
    pub const KLIST: Kind = Kind("klist");
    /// An Exchange W3C log that is not used for this diagnosis (message
    /// tracking, connectivity, …): recognised and skipped with the reason.
    pub const EXCHANGE_LOG_OTHER: Kind = Kind("exchange-log-other");
    /// `Get-SendConnector` output: recognised and skipped with the reason.
    pub const SEND_CONNECTOR_EXPORT: Kind = Kind("send-connector-export");
    /// A zip archive (discovery opens it; it is never an artifact itself).
    pub const ZIP: Kind = Kind("zip");
    /// A gzip stream (discovery decompresses it).
    pub const GZIP: Kind = Kind("gzip");
    pub const UNKNOWN: Kind = Kind("unknown");

    /// A kind with this id: for format modules' `KIND` constants.
    pub const fn new(id: &'static str) -> Kind {
        Kind(id)
    }

    /// Every kind: those the registry can claim, in its order, then `unknown`.
    pub fn all() -> Vec<Kind> {
        let mut all: Vec<Kind> = Vec::new();
        for format in FORMATS {
            for kind in format.kinds {
                if !all.contains(kind) {
                    all.push(*kind);
                }
            }
        }
        all.push(Kind::UNKNOWN);
        all
    }

    /// The kind with this stable id, if any.
    pub fn from_id(id: &str) -> Option<Kind> {
        Kind::all().into_iter().find(|k| k.id() == id)
    }

    /// The stable id used in reports and JSON (`smtp-receive-log`, …).
    pub fn id(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

/// The form a structured export takes; parsers need it, the inventory shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// Binary `.evtx`.
    Evtx,
    /// W3C-style Exchange log (`#Software: Microsoft Exchange Server`).
    ExchangeLog,
    /// `Format-List` text (`Name : value` blocks).
    FormatList,
    /// `Export-Csv` (with or without `#TYPE`), or a Queue Viewer list export.
    Csv,
    /// `ConvertTo-Json`.
    Json,
    /// `Export-Clixml`.
    CliXml,
    /// Event XML (`wevtutil qe /f:xml`, Event Viewer "Save as XML").
    EventXml,
    /// Console output of a command (setspn, w32tm, repadmin, …).
    CommandOutput,
    /// Anything else.
    Other,
}

/// Whether a detected file is used, skipped on purpose, or not recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disposition {
    /// A format exauth reads.
    Used,
    /// Recognised, but not evidence for this diagnosis.
    Skipped,
    /// Not recognised.
    Unknown,
}

/// The outcome of detection for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub kind: Kind,
    pub form: Form,
    /// `None` for binary formats.
    pub encoding: Option<TextEncoding>,
    pub disposition: Disposition,
    /// Why a file was skipped or not recognised (for the inventory).
    pub reason: Option<String>,
}

/// The head of a file, decoded once for all detectors.
pub struct Head<'a> {
    /// The raw first bytes.
    pub bytes: &'a [u8],
    /// The decoded text (empty for binary heads).
    pub text: &'a str,
    /// The encoding the text was decoded from (`None` for binary).
    pub encoding: Option<TextEncoding>,
    /// The file name (last origin component), lower-cased: a hint only.
    pub name: &'a str,
}

/// What a detector says of a head: kind, form, disposition and the reason
/// for skipping, or `None` to pass.
pub type Claim = Option<(Kind, Form, Disposition, Option<String>)>;

/// One registered format: the kinds it can claim, what it looks for, and
/// its detector. A format module defines its own (`pub const FORMAT:
/// Format`) and adds one line to [`FORMATS`]; a family detector (all
/// Export-Clixml, all CSV exports) lists every kind it tells apart.
pub struct Format {
    /// The kinds this entry may claim.
    pub kinds: &'static [Kind],
    /// What the detector looks for, for documentation and `--help`.
    pub describes: &'static str,
    /// Claims a head for one of `kinds`, or passes.
    pub detect: fn(&Head<'_>) -> Claim,
    /// A file-name prefix that names the format when no detector recognised
    /// the content (localized command output saved as `setspn-X.txt` or
    /// `EX01_w32tm.txt`): the first kind, as command output.
    pub name_prefix: Option<&'static str>,
}

impl Format {
    /// A command's console output recognised by its module's `looks_like`.
    pub(crate) fn command_output(
        kind: Kind,
        head: &Head<'_>,
        looks_like: fn(&str) -> bool,
    ) -> Claim {
        looks_like(head.text).then_some((kind, Form::CommandOutput, Disposition::Used, None))
    }
}

/// The registry: every format, most specific first. The first entry that
/// claims a head wins. Adding a format is one line here.
pub static FORMATS: &[Format] = &[
    Format {
        kinds: &[Kind::EVTX],
        describes: "`ElfFile\\0`: Windows event log (.evtx)",
        detect: detect_evtx,
        name_prefix: None,
    },
    Format {
        kinds: &[Kind::ZIP, Kind::GZIP],
        describes: "`PK\\x03\\x04` / `\\x1f\\x8b`: zip archive / gzip stream",
        detect: detect_archive,
        name_prefix: None,
    },
    crate::exchange_logs::CONNECTIVITY_FORMAT,
    crate::exchange_logs::MESSAGE_TRACKING_FORMAT,
    Format {
        kinds: &[
            Kind::SMTP_RECEIVE_LOG,
            Kind::SMTP_SEND_LOG,
            Kind::TRANSPORT_QUEUE_LOG,
            Kind::EXCHANGE_LOG_OTHER,
        ],
        describes: "`#Software: Microsoft Exchange Server` + `#Log-type`: Exchange W3C logs",
        detect: detect_exchange_log,
        name_prefix: None,
    },
    Format {
        kinds: &[Kind::SMTP_RECEIVE_LOG, Kind::SMTP_SEND_LOG],
        describes: "headerless protocol-log rows in a RECV*/SEND* file",
        detect: detect_headerless_protocol_log,
        name_prefix: None,
    },
    crate::smtp_log::excerpt::FORMAT,
    Format {
        kinds: &[Kind::SEND_CONNECTOR_EXPORT],
        describes: "Export-Clixml of Get-SendConnector: recognised, not used",
        detect: detect_send_connector,
        name_prefix: None,
    },
    Format {
        kinds: &[
            Kind::QUEUE_EXPORT,
            Kind::MESSAGE_EXPORT,
            Kind::RECEIVE_CONNECTOR_EXPORT,
            Kind::EVENT_EXPORT,
            Kind::TEST_NETCONNECTION,
        ],
        describes: "`<Objs … powershell/2004/04>`: Export-Clixml, by its type names",
        detect: detect_clixml,
        name_prefix: None,
    },
    Format {
        kinds: &[Kind::EVENT_EXPORT],
        describes: "`<Events>` / `<Event xmlns=…/win/2004/08/events/event>`: event XML",
        detect: detect_event_xml,
        name_prefix: None,
    },
    crate::event_text::FORMAT,
    crate::transcript::FORMAT,
    Format {
        kinds: &[
            Kind::QUEUE_EXPORT,
            Kind::MESSAGE_EXPORT,
            Kind::RECEIVE_CONNECTOR_EXPORT,
            Kind::TEST_NETCONNECTION,
            Kind::REPADMIN,
        ],
        describes:
            "`#TYPE …` or a CSV header of Get-Queue/Get-Message/Get-ReceiveConnector properties",
        detect: detect_csv_export,
        name_prefix: None,
    },
    Format {
        kinds: &[
            Kind::QUEUE_EXPORT,
            Kind::MESSAGE_EXPORT,
            Kind::RECEIVE_CONNECTOR_EXPORT,
            Kind::TEST_NETCONNECTION,
        ],
        describes: "JSON with Get-Queue/Get-Message/Get-ReceiveConnector properties",
        detect: detect_json_export,
        name_prefix: None,
    },
    crate::diag::repadmin::FORMAT,
    crate::diag::test_netconnection::FORMAT,
    crate::diag::klist::FORMAT,
    crate::diag::nltest::FORMAT,
    crate::diag::portqry::FORMAT,
    crate::diag::ipconfig::FORMAT,
    crate::diag::setspn::FORMAT,
    crate::diag::w32tm::FORMAT,
    Format {
        kinds: &[
            Kind::QUEUE_EXPORT,
            Kind::MESSAGE_EXPORT,
            Kind::RECEIVE_CONNECTOR_EXPORT,
            Kind::TEST_NETCONNECTION,
        ],
        describes: "`Name : value` blocks (Format-List) of known cmdlets",
        detect: detect_format_list,
        name_prefix: None,
    },
];

/// Detects the kind of a file from its first bytes (up to [`HEAD_LEN`]) and
/// its name (a hint only).
pub fn detect(head_bytes: &[u8], file_name: &str) -> Detection {
    let name = file_name.to_ascii_lowercase();
    let (text, encoding) = match encoding::sniff(head_bytes) {
        Sniffed::Text(enc) => (encoding::decode_head(head_bytes, enc), Some(enc)),
        Sniffed::Binary => (String::new(), None),
    };
    let head = Head {
        bytes: head_bytes,
        text: &text,
        encoding,
        name: &name,
    };
    for format in FORMATS {
        if let Some((kind, form, disposition, reason)) = (format.detect)(&head) {
            debug_assert!(
                kind == Kind::UNKNOWN || format.kinds.contains(&kind),
                "{kind} claimed by a registry entry that does not list it"
            );
            let encoding = match form {
                Form::Evtx => None,
                _ if matches!(kind, Kind::ZIP | Kind::GZIP) => None,
                _ => encoding,
            };
            return Detection {
                kind,
                form,
                encoding,
                disposition,
                reason,
            };
        }
    }
    // Localized output: trust a file name like `setspn-X.txt` or
    // `EX01_w32tm.txt` for a text file.
    if encoding.is_some() {
        let stem = name.rsplit('_').next().unwrap_or(&name);
        if let Some(format) = FORMATS
            .iter()
            .find(|f| f.name_prefix.is_some_and(|prefix| stem.starts_with(prefix)))
        {
            return Detection {
                kind: format.kinds[0],
                form: Form::CommandOutput,
                encoding,
                disposition: Disposition::Used,
                reason: None,
            };
        }
    }
    let reason = if head_bytes.is_empty() {
        EMPTY_FILE
    } else if encoding.is_none() {
        UNKNOWN_BINARY
    } else {
        UNKNOWN_TEXT
    };
    Detection {
        kind: Kind::UNKNOWN,
        form: Form::Other,
        encoding,
        disposition: Disposition::Unknown,
        reason: Some(reason.to_string()),
    }
}

/// The reasons [`detect`] gives a file of no known kind: nothing but these
/// (no note added by reading it) marks a file as merely unknown.
pub const EMPTY_FILE: &str = "empty file";
pub const UNKNOWN_BINARY: &str = "binary content of no known format";
pub const UNKNOWN_TEXT: &str = "text of no known format";

fn used(kind: Kind, form: Form) -> Claim {
    Some((kind, form, Disposition::Used, None))
}

fn detect_evtx(head: &Head<'_>) -> Claim {
    head.bytes.starts_with(b"ElfFile\0").then_some((
        Kind::EVTX,
        Form::Evtx,
        Disposition::Used,
        None,
    ))
}

fn detect_archive(head: &Head<'_>) -> Claim {
    if head.bytes.starts_with(b"PK\x03\x04") || head.bytes.starts_with(b"PK\x05\x06") {
        return Some((Kind::ZIP, Form::Other, Disposition::Used, None));
    }
    if head.bytes.starts_with(&[0x1F, 0x8B]) {
        return Some((Kind::GZIP, Form::Other, Disposition::Used, None));
    }
    None
}

/// The value of a `#Name: value` header line in the first lines of `text`.
fn header_value<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    text.lines().take(16).find_map(|line| {
        let rest = line.trim_start_matches('\u{FEFF}').strip_prefix('#')?;
        let (key, value) = rest.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

fn detect_exchange_log(head: &Head<'_>) -> Claim {
    let software = header_value(head.text, "Software")?;
    if !software.starts_with("Microsoft Exchange") {
        return None;
    }
    let log_type = header_value(head.text, "Log-type").unwrap_or("");
    let kind = match log_type.to_ascii_lowercase().as_str() {
        "smtp receive protocol log" => Kind::SMTP_RECEIVE_LOG,
        "smtp send protocol log" => Kind::SMTP_SEND_LOG,
        "transport queue log" => Kind::TRANSPORT_QUEUE_LOG,
        "" => {
            return Some((
                Kind::EXCHANGE_LOG_OTHER,
                Form::ExchangeLog,
                Disposition::Skipped,
                Some("Exchange log without a #Log-type header".into()),
            ))
        }
        _ => {
            return Some((
                Kind::EXCHANGE_LOG_OTHER,
                Form::ExchangeLog,
                Disposition::Skipped,
                Some(format!("{log_type}: not used for this diagnosis")),
            ))
        }
    };
    used(kind, Form::ExchangeLog)
}

/// A protocol-log row: `2019-03-21T13:00:45.039Z,` then 8 more fields.
fn looks_like_protocol_row(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 25
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[23] == b'Z'
        && b[24] == b','
        && b[..4].iter().all(u8::is_ascii_digit)
}

fn detect_headerless_protocol_log(head: &Head<'_>) -> Claim {
    let first = head.text.trim_start_matches('\u{FEFF}').lines().next()?;
    if !looks_like_protocol_row(first) {
        return None;
    }
    let kind = if head.name.starts_with("recv") {
        Kind::SMTP_RECEIVE_LOG
    } else if head.name.starts_with("send") {
        Kind::SMTP_SEND_LOG
    } else {
        return None;
    };
    used(kind, Form::ExchangeLog)
}

/// Kinds of PowerShell objects, by a distinctive part of their type name.
const CLIXML_TYPES: &[(&str, Kind)] = &[
    ("QueueViewer.PropertyBagBasedQueueInfo", Kind::QUEUE_EXPORT),
    ("QueueViewer.ExtensibleQueueInfo", Kind::QUEUE_EXPORT),
    ("QueueViewer.QueueInfo", Kind::QUEUE_EXPORT),
    (
        "QueueViewer.PropertyBagBasedMessageInfo",
        Kind::MESSAGE_EXPORT,
    ),
    ("QueueViewer.ExtensibleMessageInfo", Kind::MESSAGE_EXPORT),
    ("QueueViewer.MessageInfo", Kind::MESSAGE_EXPORT),
    ("ReceiveConnector", Kind::RECEIVE_CONNECTOR_EXPORT),
    ("System.Diagnostics.EventLogEntry", Kind::EVENT_EXPORT),
    (
        "System.Diagnostics.Eventing.Reader.EventLogRecord",
        Kind::EVENT_EXPORT,
    ),
    ("TestNetConnectionResult", Kind::TEST_NETCONNECTION),
];

/// ExchangeLogCollector file-name endings, used when the head is too short
/// to show a type name.
const ELC_NAMES: &[(&str, Kind)] = &[
    ("_instantqueueinfo", Kind::QUEUE_EXPORT),
    ("_receiveconnectors", Kind::RECEIVE_CONNECTOR_EXPORT),
    ("_application", Kind::EVENT_EXPORT),
    ("_system", Kind::EVENT_EXPORT),
];

fn kind_from_elc_name(name: &str) -> Option<Kind> {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    ELC_NAMES
        .iter()
        .find(|(suffix, _)| stem.ends_with(suffix))
        .map(|&(_, kind)| kind)
}

fn detect_clixml(head: &Head<'_>) -> Claim {
    let text = head.text.trim_start_matches('\u{FEFF}').trim_start();
    if !(text.starts_with("<Objs") || text.starts_with("<?xml")) {
        return None;
    }
    if !text.contains("schemas.microsoft.com/powershell/2004/04") {
        return None;
    }
    let by_type = CLIXML_TYPES
        .iter()
        .find(|(needle, _)| text.contains(needle))
        .map(|&(_, kind)| kind);
    match by_type.or_else(|| kind_from_elc_name(head.name)) {
        Some(kind) => used(kind, Form::CliXml),
        None => {
            let type_name = first_between(text, "<T>", "</T>").unwrap_or("an unrecognised type");
            Some((
                Kind::UNKNOWN,
                Form::CliXml,
                Disposition::Skipped,
                Some(format!("PowerShell CliXml of {type_name}: not used")),
            ))
        }
    }
}

fn detect_send_connector(head: &Head<'_>) -> Claim {
    let text = head.text;
    (text.contains("schemas.microsoft.com/powershell/2004/04")
        && text.contains("SmtpSendConnectorConfig"))
    .then(|| {
        (
            Kind::SEND_CONNECTOR_EXPORT,
            Form::CliXml,
            Disposition::Skipped,
            Some(
                "Get-SendConnector output: Send connectors take no part in authentication between Exchange servers (they use the implicit intra-organization connector)"
                    .into(),
            ),
        )
    })
}

fn first_between<'t>(text: &'t str, open: &str, close: &str) -> Option<&'t str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

fn detect_event_xml(head: &Head<'_>) -> Claim {
    let text = head.text.trim_start_matches('\u{FEFF}').trim_start();
    let xml = text.starts_with('<');
    if xml
        && (text.contains("schemas.microsoft.com/win/2004/08/events/event")
            || text.contains("<Events>") && text.contains("<Event"))
    {
        return used(Kind::EVENT_EXPORT, Form::EventXml);
    }
    None
}

/// Property names that tell one cmdlet's objects from another's, in the order
/// checked (most specific first). Used for CSV headers, JSON keys and
/// Format-List blocks alike.
const PROPERTY_SIGNATURES: &[(&[&str], Kind)] = &[
    (&["FromAddress", "Subject"], Kind::MESSAGE_EXPORT),
    (&["InternetMessageId", "Queue"], Kind::MESSAGE_EXPORT),
    (&["DeliveryType", "NextHopDomain"], Kind::QUEUE_EXPORT),
    (&["NextHopDomain", "LastError"], Kind::QUEUE_EXPORT),
    (&["DeliveryType", "LastError"], Kind::QUEUE_EXPORT),
    (&["LastError", "LastRetryTime"], Kind::QUEUE_EXPORT),
    (
        &["AuthMechanism", "Bindings"],
        Kind::RECEIVE_CONNECTOR_EXPORT,
    ),
    (
        &["RemoteIPRanges", "PermissionGroups"],
        Kind::RECEIVE_CONNECTOR_EXPORT,
    ),
    (&["TcpTestSucceeded"], Kind::TEST_NETCONNECTION),
    // Queue Viewer "Export List": on-screen captions, not property names.
    (&["Next Hop Domain", "Delivery Type"], Kind::QUEUE_EXPORT),
    (&["Next Hop Domain", "Last Error"], Kind::QUEUE_EXPORT),
];

fn kind_from_properties(has: impl Fn(&str) -> bool) -> Option<Kind> {
    PROPERTY_SIGNATURES
        .iter()
        .find(|(names, _)| names.iter().all(|name| has(name)))
        .map(|&(_, kind)| kind)
}

fn detect_csv_export(head: &Head<'_>) -> Claim {
    let mut lines = head.text.trim_start_matches('\u{FEFF}').lines();
    let mut first = lines.next()?;
    let type_line = first.strip_prefix("#TYPE ");
    if type_line.is_some() {
        first = lines.next().unwrap_or("");
    }
    let delimiter = if first.contains('\t') { '\t' } else { ',' };
    let columns: Vec<&str> = first
        .split(delimiter)
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    if columns.len() < 2 {
        return None;
    }
    if let Some(kind) = kind_from_properties(|name| columns.contains(&name)) {
        return used(kind, Form::Csv);
    }
    if let Some(type_name) = type_line {
        if let Some(&(_, kind)) = CLIXML_TYPES.iter().find(|(n, _)| type_name.contains(n)) {
            return used(kind, Form::Csv);
        }
        return Some((
            Kind::UNKNOWN,
            Form::Csv,
            Disposition::Skipped,
            Some(format!("Export-Csv of {}: not used", type_name.trim())),
        ));
    }
    if first.starts_with("showrepl_COLUMNS") {
        return used(Kind::REPADMIN, Form::Csv);
    }
    None
}

fn detect_json_export(head: &Head<'_>) -> Claim {
    let text = head.text.trim_start_matches('\u{FEFF}').trim_start();
    if !(text.starts_with('{') || text.starts_with('[')) {
        return None;
    }
    let kind = kind_from_properties(|name| text.contains(&format!("\"{name}\"")))?;
    used(kind, Form::Json)
}

/// A Format-List line: a property name, padding, ` : ` and the value.
fn format_list_property(line: &str) -> Option<&str> {
    let (name, _) = line.split_once(" :")?;
    let name = name.trim_end();
    let valid = !name.is_empty()
        && !name.starts_with(' ')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.');
    valid.then_some(name)
}

fn detect_format_list(head: &Head<'_>) -> Claim {
    let names: Vec<&str> = head
        .text
        .trim_start_matches('\u{FEFF}')
        .lines()
        .filter_map(format_list_property)
        .collect();
    if names.len() < 2 {
        return None;
    }
    let kind = kind_from_properties(|name| names.contains(&name))?;
    used(kind, Form::FormatList)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        for unit in s.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    fn kind_of(text: &str, name: &str) -> Kind {
        detect(text.as_bytes(), name).kind
    }

    const RECV_HEADER: &str = "\u{FEFF}#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Receive Protocol Log\r\n#Date: 2019-03-21T13:01:06.525Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n";

    #[test]
    fn protocol_logs_by_log_type_not_name() {
        assert_eq!(kind_of(RECV_HEADER, "whatever.txt"), Kind::SMTP_RECEIVE_LOG);
        let send = RECV_HEADER.replace("SMTP Receive", "SMTP Send");
        assert_eq!(kind_of(&send, "RECV20261126-1.LOG"), Kind::SMTP_SEND_LOG);
        let queue = RECV_HEADER.replace("SMTP Receive Protocol Log", "Transport Queue Log");
        assert_eq!(
            kind_of(&queue, "TRANSPORTQUEUE.LOG"),
            Kind::TRANSPORT_QUEUE_LOG
        );
        let d = detect(RECV_HEADER.as_bytes(), "x");
        assert_eq!(d.encoding, Some(TextEncoding::Utf8Bom));
        assert_eq!(d.disposition, Disposition::Used);
    }

    #[test]
    fn other_exchange_logs_are_skipped_with_reason() {
        let tracking = RECV_HEADER.replace("SMTP Receive Protocol Log", "Message Tracking Log");
        let d = detect(tracking.as_bytes(), "MSGTRK2026112601-1.LOG");
        assert_eq!(
            d.kind,
            crate::exchange_logs::MESSAGE_TRACKING_KIND,
            "read now"
        );
        let agent = RECV_HEADER.replace("SMTP Receive Protocol Log", "Agent Log");
        let d = detect(agent.as_bytes(), "AGENTLOG20261126-1.LOG");
        assert_eq!(d.kind, Kind::EXCHANGE_LOG_OTHER);
        assert_eq!(d.disposition, Disposition::Skipped);
        assert_eq!(
            d.reason.as_deref(),
            Some("Agent Log: not used for this diagnosis")
        );
    }

    #[test]
    fn headerless_rows_need_the_file_name() {
        let row = "2019-01-25T00:03:58.478Z,TAIL-EXCH-1\\Internet Mail,08D675E58CA1DA38,0,10.0.0.6:25,185.234.217.220:61061,+,,\r\n";
        assert_eq!(kind_of(row, "RECV20190125-3.LOG"), Kind::SMTP_RECEIVE_LOG);
        assert_eq!(kind_of(row, "notes.txt"), Kind::UNKNOWN);
    }

    #[test]
    fn get_queue_format_list_in_utf16() {
        let fl = "\r\nRunspaceId                       : 779ae3c8-728b-4078-aa88-1e8b7f3d0b43\r\nDeliveryType                     : DnsConnectorDelivery\r\nNextHopDomain                    : destination.com\r\nStatus                           : Retry\r\nLastError                        : [{LRT=15-01-21 23:50:05};{LED=450 4.7.0 Proxy\r\n";
        let d = detect(&utf16le_bom(fl), "EX01_InstantQueueInfo.txt");
        assert_eq!(d.kind, Kind::QUEUE_EXPORT);
        assert_eq!(d.form, Form::FormatList);
        assert_eq!(d.encoding, Some(TextEncoding::Utf16LeBom));
    }

    #[test]
    fn receive_connector_format_list() {
        let fl = "Identity         : EX02\\Default EX02\r\nBindings         : {0.0.0.0:2525, [::]:2525}\r\nAuthMechanism    : Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer\r\n";
        assert_eq!(kind_of(fl, "x.txt"), Kind::RECEIVE_CONNECTOR_EXPORT);
    }

    #[test]
    fn clixml_by_type_name_then_by_elc_name() {
        let queue = "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n  <Obj RefId=\"0\">\r\n    <TN RefId=\"0\">\r\n      <T>Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo</T>";
        let d = detect(&utf16le_bom(queue), "a.xml");
        assert_eq!((d.kind, d.form), (Kind::QUEUE_EXPORT, Form::CliXml));
        let bare =
            "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">";
        assert_eq!(kind_of(bare, "EX01_System.xml"), Kind::EVENT_EXPORT);
        let other = format!("{bare}<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.String</T>");
        let d = detect(other.as_bytes(), "x.xml");
        assert_eq!(d.kind, Kind::UNKNOWN);
        assert_eq!(d.disposition, Disposition::Skipped);
        assert!(d.reason.unwrap().contains("System.String"));
    }

    #[test]
    fn csv_exports_with_and_without_type_line() {
        let csv = "#TYPE Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo\r\n\"RunspaceId\",\"DeliveryType\",\"NextHopDomain\",\"Status\"\r\n";
        assert_eq!(kind_of(csv, "q.csv"), Kind::QUEUE_EXPORT);
        let no_type = "\"Identity\",\"Queue\",\"FromAddress\",\"Subject\",\"Status\"\r\n";
        assert_eq!(kind_of(no_type, "m.csv"), Kind::MESSAGE_EXPORT);
        let viewer = "Next Hop Domain\tDelivery Type\tStatus\tMessage Count\tLast Error\r\n";
        assert_eq!(kind_of(viewer, "queues.txt"), Kind::QUEUE_EXPORT);
        let repadmin = "showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context\r\n";
        assert_eq!(kind_of(repadmin, "r.csv"), Kind::REPADMIN);
    }

    #[test]
    fn json_export() {
        let json = "[\r\n    {\r\n        \"DeliveryType\":  3,\r\n        \"NextHopDomain\":  \"site:shandong; version: 14\",";
        let d = detect(json.as_bytes(), "q.json");
        assert_eq!((d.kind, d.form), (Kind::QUEUE_EXPORT, Form::Json));
    }

    #[test]
    fn command_outputs() {
        let cases = [
            ("Registered ServicePrincipalNames for CN=EX02,OU=Servers,DC=contoso,DC=local:\r\n\tSMTPSVC/EX02\r\n", Kind::SETSPN),
            ("Checking domain DC=contoso,DC=local\r\nProcessing entry 7\r\nfound 2 groups of duplicate SPNs.\r\n", Kind::SETSPN),
            ("Leap Indicator: 0(no warning)\r\nStratum: 4 (secondary reference - syncd by (S)NTP)\r\n", Kind::W32TM),
            ("Tracking ntp1.dc1.example.com [10.0.1.10:123].\r\nThe current time is 1/16/2026 2:23:45 PM.\r\n14:23:45, +00.0002450s\r\n", Kind::W32TM),
            ("Replication Summary Start Time: 2025-07-24 07:36:21\r\n", Kind::REPADMIN),
            ("           DC: \\\\DC01.contoso.com\r\n      Address: \\\\10.0.0.10\r\n     Dom Name: contoso.com\r\n", Kind::NLTEST),
            ("\r\nCurrent LogonId is 0:0xa48995\r\n\r\nCached Tickets: (2)\r\n", Kind::KLIST),
            ("TCP port 88 (kerberos service): LISTENING\r\n", Kind::PORTQRY),
        ];
        for (text, kind) in cases {
            assert_eq!(kind_of(text, "out.txt"), kind, "{text}");
        }
    }

    #[test]
    fn localized_command_output_by_file_name() {
        assert_eq!(
            kind_of("Geregistreerde namen voor CN=EX02\r\n", "EX01_setspn-L.txt"),
            Kind::SETSPN
        );
    }

    #[test]
    fn evtx_zip_gzip_by_magic() {
        assert_eq!(kind_of("ElfFile\0\0\0\0", "x.bin"), Kind::EVTX);
        assert_eq!(detect(b"ElfFile\0", "x").encoding, None);
        assert_eq!(detect(b"PK\x03\x04\x14\0", "x").kind, Kind::ZIP);
        assert_eq!(detect(&[0x1F, 0x8B, 8, 0], "x.gz").kind, Kind::GZIP);
    }

    #[test]
    fn unknown_files_carry_a_reason() {
        let d = detect(b"", "empty.LOG");
        assert_eq!(d.kind, Kind::UNKNOWN);
        assert_eq!(d.reason.as_deref(), Some("empty file"));
        let garbage: Vec<u8> = (0..1024u32).map(|i| (i * 7919 % 251) as u8).collect();
        let d = detect(&garbage, "SEND20261126-1.LOG");
        assert_eq!(d.kind, Kind::UNKNOWN);
        assert_eq!(d.disposition, Disposition::Unknown);
        let d = detect(b"hello world\r\n", "readme.txt");
        assert_eq!(d.reason.as_deref(), Some("text of no known format"));
    }

    #[test]
    fn kinds_round_trip_through_their_id() {
        for kind in Kind::all() {
            assert_eq!(Kind::from_id(kind.id()), Some(kind));
        }
        assert_eq!(Kind::from_id("nonsense"), None);
    }

    #[test]
    fn every_kind_has_a_distinct_id() {
        let all = Kind::all();
        let mut ids: Vec<&str> = all.iter().map(|k| k.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
    }
}
