//! Typed queue and message records, whatever the export form.
//!
//! Each form's reader yields [`PropertyObject`]s; this module names the
//! enums (numbers or strings), splits identities, parses LastError and —
//! after looking at *every* time value of the file — decides the day/month
//! order once and resolves all times with it. Buffering a whole export is
//! fine: queue exports are small (a server has tens of queues), and a late
//! row may be the only one that settles the order.

use super::last_error::LastError;
use super::local_time::{DateOrderChoice, DateOrderInference, DateOrderOption, ExportedTime};
use super::transport_queue_log::{server_of_identity, TransportQueueLogReader};
use super::{
    clixml, csv_export, format_list, json_export, queue_viewer, transport_queue_log,
    PropertyObject, PropertyValue,
};
use crate::problem::{Location, Problem, Problems};
use crate::reread::Reread;
use jiff::Timestamp;
use serde::Serialize;
use std::io;
use std::net::IpAddr;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $num:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant,)*
            /// A name or number this table does not know, as printed.
            Other(String),
        }

        impl $name {
            /// From the enum's numeric value (ConvertTo-Json, CliXml `<I32>`).
            pub fn from_number(n: i64) -> Self {
                match n {
                    $($num => Self::$variant,)*
                    _ => Self::Other(n.to_string()),
                }
            }

            /// From its name (case-insensitive) or a number in text.
            pub fn from_name(s: &str) -> Self {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case(stringify!($variant)) {
                    return Self::$variant;
                })*
                match t.parse::<i64>() {
                    Ok(n) => Self::from_number(n),
                    Err(_) => Self::Other(t.to_string()),
                }
            }

            /// From any property value (name preferred over number).
            pub fn from_value(v: &PropertyValue) -> Option<Self> {
                match v {
                    PropertyValue::Integer(n) => Some(Self::from_number(*n)),
                    PropertyValue::Enum { text: None, value: Some(n) } => {
                        Some(Self::from_number(*n))
                    }
                    other => other.text().map(|t| Self::from_name(&t)),
                }
            }
        }
    };
}

named_enum!(
    /// `QueueStatus` (EXSRC; 6 = Throttled from later builds).
    QueueStatus {
        None = 0,
        Active = 1,
        Ready = 2,
        Retry = 3,
        Suspended = 4,
        Connecting = 5,
        Throttled = 6,
    }
);

named_enum!(
    /// `DeliveryType`, numbered in EXSRC declaration order.
    DeliveryType {
        Undefined = 0,
        DnsConnectorDelivery = 1,
        MapiDelivery = 2,
        NonSmtpGatewayDelivery = 3,
        SmartHostConnectorDelivery = 4,
        SmtpRelayToRemoteAdSite = 5,
        SmtpRelayToTiRg = 6,
        SmtpRelayWithinAdSite = 7,
        SmtpRelayWithinAdSiteToEdge = 8,
        Unreachable = 9,
        ShadowRedundancy = 10,
        Heartbeat = 11,
        DeliveryAgent = 12,
        SmtpDeliveryToMailbox = 13,
        SmtpRelayToDag = 14,
        SmtpRelayToMailboxDeliveryGroup = 15,
        SmtpRelayToConnectorSourceServers = 16,
        SmtpRelayToServers = 17,
        SmtpRelayToRemoteForest = 18,
        SmtpDeliveryToExo = 19,
        HttpDeliveryToMailbox = 20,
        HttpDeliveryToExo = 21,
        Delay = 22,
        SmtpSubmissionToEop = 23,
        SmtpSubmissionToExo = 24,
        HttpDeliveryToApp = 25,
    }
);

named_enum!(
    /// `MessageStatus` of Get-Message.
    MessageStatus {
        None = 0,
        Active = 1,
        PendingRemove = 2,
        PendingSuspend = 3,
        Ready = 4,
        Retry = 5,
        Suspended = 6,
        Locked = 7,
    }
);

/// Which export form a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportForm {
    FormatList,
    Csv,
    Json,
    CliXml,
    QueueViewer,
    TransportQueueLog,
}

impl ExportForm {
    /// Content detection over the first few KB of decoded text.
    pub fn detect(text_head: &str) -> Option<ExportForm> {
        if clixml::looks_like(text_head) {
            Some(ExportForm::CliXml)
        } else if transport_queue_log::looks_like(text_head) {
            Some(ExportForm::TransportQueueLog)
        } else if json_export::looks_like(text_head) {
            Some(ExportForm::Json)
        } else if csv_export::looks_like(text_head) {
            Some(ExportForm::Csv)
        } else if queue_viewer::looks_like(text_head) {
            Some(ExportForm::QueueViewer)
        } else if format_list::looks_like(text_head) {
            Some(ExportForm::FormatList)
        } else {
            None
        }
    }
}

/// One queue (Get-Queue object, Queue Viewer row or queue-log snapshot).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueRecord {
    pub location: Location,
    /// `Server\Id`, e.g. `DAGSERVER5\322120`.
    pub identity: Option<String>,
    /// Server part of the identity: the server that holds the queue.
    pub server: Option<String>,
    pub delivery_type: Option<DeliveryType>,
    pub next_hop_domain: Option<String>,
    pub next_hop_connector: Option<String>,
    pub tls_domain: Option<String>,
    pub status: Option<QueueStatus>,
    pub message_count: Option<u64>,
    pub retry_count: Option<u64>,
    pub last_retry_time: Option<ExportedTime>,
    pub next_retry_time: Option<ExportedTime>,
    pub first_retry_time: Option<ExportedTime>,
    pub last_error: Option<LastError>,
    /// UTC time of the snapshot (Transport Queue Log rows only).
    pub snapshot_time: Option<Timestamp>,
}

/// One message (Get-Message object or Queue Viewer message row).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRecord {
    pub location: Location,
    /// `Server\QueueId\MessageId`.
    pub identity: Option<String>,
    pub server: Option<String>,
    /// The queue's identity (`Server\QueueId`).
    pub queue: Option<String>,
    pub subject: Option<String>,
    pub from_address: Option<String>,
    pub status: Option<MessageStatus>,
    pub last_error: Option<LastError>,
    pub retry_count: Option<u64>,
    pub source_ip_text: Option<String>,
    pub source_ip: Option<IpAddr>,
    pub date_received: Option<ExportedTime>,
}

/// Options for [`parse_queue_export`].
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueExportOptions {
    pub date_order: DateOrderOption,
    /// Read as this form instead of detecting it.
    pub form: Option<ExportForm>,
}

/// Everything read from one queue export file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueExport {
    pub form: Option<ExportForm>,
    /// Type names seen (`#TYPE`, CliXml `<TN>`), deduplicated.
    pub type_names: Vec<String>,
    pub queues: Vec<QueueRecord>,
    pub messages: Vec<MessageRecord>,
    /// Day/month order used for culture-formatted times.
    pub date_order: DateOrderChoice,
    pub problems: Problems,
}

/// The properties `Get-Queue` and `Get-Message` print with `Format-List`
/// (EXSRC `ExtensibleQueueInfo`, `ExtensibleMessageInfo`, plus what
/// remoting adds): a mangled caption that still names one of them is read
/// as it, with a problem saying so.
const FL_CAPTIONS: &[&str] = &[
    "RunspaceId",
    "DeliveryType",
    "NextHopDomain",
    "TlsDomain",
    "NextHopConnector",
    "Status",
    "MessageCount",
    "LastError",
    "RetryCount",
    "LastRetryTime",
    "NextRetryTime",
    "FirstRetryTime",
    "DeferredMessageCount",
    "LockedMessageCount",
    "MessageCountsPerPriority",
    "DeferredMessageCountsPerPriority",
    "RiskLevel",
    "OutboundIPPool",
    "NextHopCategory",
    "IncomingRate",
    "OutgoingRate",
    "Velocity",
    "OverrideSource",
    "QueueIdentity",
    "PriorityDescriptions",
    "Identity",
    "IsValid",
    "ObjectState",
    "Queue",
    "Subject",
    "InternetMessageId",
    "FromAddress",
    "Size",
    "MessageSourceName",
    "SourceIP",
    "SCL",
    "DateReceived",
    "ExpirationTime",
    "Recipients",
    "ComponentLatency",
    "MessageLatency",
    "DeferReason",
    "LockReason",
    "Priority",
    "ExternalDirectoryOrganizationId",
    "Directionality",
    "OriginalFromAddress",
    "AccountForest",
];

const TIME_FIELDS: &[&str] = &[
    "lastretrytime",
    "nextretrytime",
    "firstretrytime",
    "datereceived",
];

fn is_message(o: &PropertyObject) -> bool {
    if o.type_names.iter().any(|t| t.contains("MessageInfo")) {
        return true;
    }
    if o.type_names.iter().any(|t| t.contains("QueueInfo")) {
        return false;
    }
    let msg_props = [
        "fromaddress",
        "subject",
        "datereceived",
        "internetmessageid",
    ];
    msg_props.iter().any(|p| o.get(&[p]).is_some())
        && o.get(&["nexthopdomain", "deliverytype"]).is_none()
}

fn count(o: &PropertyObject, names: &[&str]) -> Option<u64> {
    o.get(names)
        .and_then(PropertyValue::as_i64)
        .and_then(|i| u64::try_from(i).ok())
}

struct Builder {
    choice: DateOrderChoice,
}

impl Builder {
    /// The queue or message an object is, into its list; an object with no
    /// property at all (a bare `<Obj>`, an empty JSON object) is neither.
    fn record(
        &self,
        o: &PropertyObject,
        queues: &mut Vec<QueueRecord>,
        messages: &mut Vec<MessageRecord>,
    ) {
        if o.properties.is_empty() {
        } else if is_message(o) {
            messages.push(self.message(o));
        } else {
            queues.push(self.queue(o));
        }
    }

    fn time(&self, o: &PropertyObject, name: &str) -> Option<ExportedTime> {
        match o.get(&[name])? {
            PropertyValue::Time(t) => Some(*t),
            other => self.choice.read(&other.text()?),
        }
    }

    fn last_error(&self, o: &PropertyObject) -> Option<LastError> {
        let mut le = LastError::parse(&o.text(&["lasterror"])?);
        le.read_retry_time(&self.choice);
        Some(le)
    }

    fn queue(&self, o: &PropertyObject) -> QueueRecord {
        let identity = o.text(&["identity", "queueidentity"]);
        QueueRecord {
            location: o.location,
            server: identity.as_deref().and_then(server_of_identity),
            identity,
            delivery_type: o.get(&["deliverytype"]).and_then(DeliveryType::from_value),
            next_hop_domain: o.text(&["nexthopdomain"]),
            next_hop_connector: o.text(&["nexthopconnector"]),
            tls_domain: o.text(&["tlsdomain"]),
            status: o.get(&["status"]).and_then(QueueStatus::from_value),
            message_count: count(o, &["messagecount"]),
            retry_count: count(o, &["retrycount"]),
            last_retry_time: self.time(o, "lastretrytime"),
            next_retry_time: self.time(o, "nextretrytime"),
            first_retry_time: self.time(o, "firstretrytime"),
            last_error: self.last_error(o),
            snapshot_time: None,
        }
    }

    fn message(&self, o: &PropertyObject) -> MessageRecord {
        let identity = o.text(&["identity", "messageidentity"]);
        let queue = o.text(&["queue", "queueid"]).or_else(|| {
            identity
                .as_deref()
                .and_then(|i| i.rsplit_once('\\'))
                .map(|(q, _)| q.to_string())
        });
        let source_ip_text = o.text(&["sourceip"]);
        MessageRecord {
            location: o.location,
            server: identity.as_deref().and_then(server_of_identity),
            identity,
            queue,
            subject: o.text(&["subject"]),
            from_address: o.text(&["fromaddress"]),
            status: o.get(&["status"]).and_then(MessageStatus::from_value),
            last_error: self.last_error(o),
            retry_count: count(o, &["retrycount"]),
            source_ip: source_ip_text.as_deref().and_then(|t| t.parse().ok()),
            source_ip_text,
            date_received: self.time(o, "datereceived"),
        }
    }
}

/// The culture-formatted times of an object, for the file's day/month order.
fn observe_dates(o: &PropertyObject, inference: &mut DateOrderInference) {
    for name in TIME_FIELDS {
        if let Some(PropertyValue::Text(t)) = o.get(&[name]) {
            inference.observe(t);
        }
    }
    if let Some(le) = o.text(&["lasterror"]) {
        if let Some(lrt) = LastError::parse(&le).retry_time_text {
            inference.observe(&lrt);
        }
    }
}

/// A `Format-List` queue export (`Get-Queue | fl`, `Get-Message | fl`) read
/// from a text read again from its start as often as asked (in memory, or
/// spooled): how its values were wrapped, its dates (one day/month order for
/// the file), then its objects, whose queues and messages go to `each`
/// `batch` at a time as they are read. Nothing of the text is held but an
/// object and a batch: an export of any size reads in the same memory. The
/// export that comes back holds the problems and the order chosen, no queue
/// or message.
pub fn read_format_list_export(
    text: &mut dyn Reread,
    options: QueueExportOptions,
    batch: usize,
    each: &mut dyn FnMut(Vec<QueueRecord>, Vec<MessageRecord>),
) -> QueueExport {
    let wrapping = text
        .read_from_start()
        .and_then(|mut t| format_list::wrapping_of(&mut *t, FL_CAPTIONS));
    let wrapping = match wrapping {
        Ok(wrapping) => wrapping,
        Err(e) => return cannot_read(ExportForm::FormatList, e),
    };
    read_in_passes(
        text,
        options,
        batch,
        each,
        ExportForm::FormatList,
        &mut |t, object| {
            let (found, read) = format_list::each_object(t, FL_CAPTIONS, wrapping, object);
            (format_list_problems(found), read)
        },
    )
}

impl ExportForm {
    /// Reads an export of this form in passes from a text read again from
    /// its start as often as asked, as [`read_format_list_export`] reads
    /// `Format-List`: its dates, then its objects, whose queues and messages
    /// go to `each` `batch` at a time as they are read (`Export-Csv` rows;
    /// JSON array items, whether on lines or all on one; CliXml top-level
    /// objects; Queue Viewer rows; the queue log's snapshots, in one pass:
    /// its times are UTC). The export that comes back holds the problems
    /// and the order chosen, no queue or message.
    pub fn read_in_passes(
        self,
        text: &mut dyn Reread,
        options: QueueExportOptions,
        batch: usize,
        each: &mut dyn FnMut(Vec<QueueRecord>, Vec<MessageRecord>),
    ) -> QueueExport {
        let objects: &mut super::EachObject<'_> = match self {
            ExportForm::FormatList => return read_format_list_export(text, options, batch, each),
            ExportForm::TransportQueueLog => return read_queue_log(text, batch, each),
            ExportForm::Csv => &mut |t, object| csv_export::each_delimited(t, b',', object),
            ExportForm::Json => &mut json_export::each_object,
            ExportForm::CliXml => &mut clixml::each_object,
            ExportForm::QueueViewer => &mut queue_viewer::each_object,
        };
        read_in_passes(text, options, batch, each, self, objects)
    }
}

/// A queue export whose `objects` are read twice: their dates, for one
/// day/month order, then their queues and messages, to `each` `batch` at a
/// time.
fn read_in_passes(
    text: &mut dyn Reread,
    options: QueueExportOptions,
    batch: usize,
    each: &mut dyn FnMut(Vec<QueueRecord>, Vec<MessageRecord>),
    form: ExportForm,
    objects: &mut super::EachObject<'_>,
) -> QueueExport {
    let mut inference = DateOrderInference::new();
    let observed = text
        .read_from_start()
        .and_then(|mut t| objects(&mut *t, &mut |o| observe_dates(&o, &mut inference)).1);
    if let Err(e) = observed {
        return cannot_read(form, e);
    }
    let builder = Builder {
        choice: inference.decide(options.date_order),
    };
    let mut export = QueueExport {
        form: Some(form),
        type_names: Vec::new(),
        queues: Vec::new(),
        messages: Vec::new(),
        date_order: builder.choice,
        problems: Problems::new(),
    };
    let (mut queues, mut messages) = (Vec::new(), Vec::new());
    let type_names = &mut export.type_names;
    let read = text.read_from_start().map(|mut t| {
        objects(&mut *t, &mut |o| {
            for t in &o.type_names {
                if !type_names.contains(t) {
                    type_names.push(t.clone());
                }
            }
            builder.record(&o, &mut queues, &mut messages);
            if queues.len() + messages.len() >= batch {
                each(std::mem::take(&mut queues), std::mem::take(&mut messages));
            }
        })
    });
    if !queues.is_empty() || !messages.is_empty() {
        each(queues, messages);
    }
    let read = match read {
        Ok((found, read)) => {
            export.problems = found;
            read
        }
        Err(e) => Err(e),
    };
    if let Err(e) = read {
        export.problems.push(Problem::new(
            Location::File,
            format!("cannot read the text again: {e}; the objects after it were not read"),
        ));
    }
    export
}

/// The export of a text that could not be read.
fn cannot_read(form: ExportForm, e: io::Error) -> QueueExport {
    QueueExport {
        form: Some(form),
        type_names: Vec::new(),
        queues: Vec::new(),
        messages: Vec::new(),
        date_order: DateOrderChoice::default(),
        problems: vec![Problem::new(Location::File, format!("cannot read: {e}"))].into(),
    }
}

/// The stray lines and repaired captions of a `Format-List` read, as
/// problems in line order.
fn format_list_problems(read: format_list::FormatListRead) -> Problems {
    let not_kept = read.not_kept;
    let cut: Vec<(u64, Problem)> = read
        .cut
        .iter()
        .zip(read.cut_problems())
        .map(|(c, p)| (c.line, p))
        .collect();
    let mut problems: Vec<(u64, Problem)> = read
        .stray
        .into_iter()
        .map(|s| {
            let message = format!("line is neither a property nor a continuation: {}", s.text);
            (s.line, Problem::new(Location::Line(s.line), message))
        })
        .chain(read.repairs.into_iter().map(|r| {
            let message = format!("{}: `{}` read as {}", r.why, r.text.trim(), r.read_as);
            (r.line, Problem::new(Location::Line(r.line), message))
        }))
        .chain(cut)
        .collect();
    problems.sort_by_key(|(line, _)| *line);
    let mut problems: Problems = problems.into_iter().map(|(_, p)| p).collect();
    problems.count_more(not_kept);
    problems
}

fn queue_from_log_row(row: transport_queue_log::TransportQueueLogRow) -> QueueRecord {
    QueueRecord {
        location: Location::Line(row.line),
        identity: row.queue_identity,
        server: row.server,
        delivery_type: row.delivery_type,
        next_hop_domain: row.next_hop_domain,
        next_hop_connector: row.next_hop_connector,
        tls_domain: row.tls_domain,
        status: row.status,
        message_count: row.message_count,
        retry_count: None,
        last_retry_time: None,
        next_retry_time: None,
        first_retry_time: None,
        last_error: row.last_error,
        snapshot_time: row.timestamp,
    }
}

/// Reads a queue export in any supported form (detected from content unless
/// `options.form` says). Transport Queue Log rows become [`QueueRecord`]s
/// with `snapshot_time` set; its aggregate and service rows are skipped.
pub fn parse_queue_export(text: &str, options: QueueExportOptions) -> QueueExport {
    let head: String = text.chars().take(4096).collect();
    let Some(form) = options.form.or_else(|| ExportForm::detect(&head)) else {
        return not_a_queue_export();
    };
    let (mut queues, mut messages) = (Vec::new(), Vec::new());
    let mut read = form.read_in_passes(&mut text.as_bytes(), options, usize::MAX, &mut |q, m| {
        queues.extend(q);
        messages.extend(m);
    });
    read.queues = queues;
    read.messages = messages;
    read
}

/// What a text of no queue export form reads as.
pub fn not_a_queue_export() -> QueueExport {
    QueueExport {
        form: None,
        type_names: Vec::new(),
        queues: Vec::new(),
        messages: Vec::new(),
        date_order: DateOrderChoice::default(),
        problems: vec![Problem::new(
            Location::File,
            "not a recognised queue export (FL, CSV, JSON, CliXml, Queue Viewer, Transport Queue Log)",
        )]
        .into(),
    }
}

/// A TRANSPORTQUEUE log read once, its queues' snapshots to `each` `batch`
/// at a time.
fn read_queue_log(
    text: &mut dyn Reread,
    batch: usize,
    each: &mut dyn FnMut(Vec<QueueRecord>, Vec<MessageRecord>),
) -> QueueExport {
    let form = ExportForm::TransportQueueLog;
    let reader = match text.read_from_start() {
        Ok(reader) => reader,
        Err(e) => return cannot_read(form, e),
    };
    let mut export = QueueExport {
        form: Some(form),
        type_names: Vec::new(),
        queues: Vec::new(),
        messages: Vec::new(),
        date_order: DateOrderChoice::default(),
        problems: Problems::new(),
    };
    let mut queues = Vec::new();
    for row in TransportQueueLogReader::new(reader) {
        match row {
            Ok(r) if r.queue_identity.is_some() => {
                queues.push(queue_from_log_row(r));
                if queues.len() >= batch {
                    each(std::mem::take(&mut queues), Vec::new());
                }
            }
            Ok(_) => {}
            Err(p) => export.problems.push(p),
        }
    }
    if !queues.is_empty() {
        each(queues, Vec::new());
    }
    export
}
