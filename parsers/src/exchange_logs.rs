//! Exchange **connectivity logs** (`CONNECTLOG*.LOG`, `#Log-type: Transport
//! Connectivity Log`) and **message tracking logs** (`MSGTRK*.LOG`,
//! `#Log-type: Message Tracking Log`), FORMATS.md §7.7 and §7.8.
//!
//! Both share the protocol logs' `#` header block and CSV rules (a field with
//! a comma or quote is quoted, inner quotes doubled), so rows are split by
//! [`crate::smtp_log::split_fields`] and the column map comes from `#Fields:`
//! (read again wherever it appears; 30 tracking fields in 2013+, 26 in 2010).
//! Both are large, so both read a [`BufRead`] line by line through one
//! buffer.
//!
//! * Connectivity: every row becomes a [`ConnectivityRow`]; the rows that
//!   say a delivery attempt failed become [`ConnectivityFailure`]s —
//!   `Failed connection to {ip}:{port} ({SocketError}:{code})`, a `-` row
//!   with `(Retry : <reason>)`, and any description carrying `451 4.4.0`,
//!   `454 4.7.0` or `451 5.7.3` (a real row with that text was not found:
//!   the text is matched, not a shape).
//! * Message tracking: only `DEFER`/`FAIL` rows whose `recipient-status` or
//!   `source-context` carries one of those codes are kept, as
//!   [`TrackingFailure`]s; the other rows are counted per event id. A cheap
//!   byte test discards most rows before they are split.

use crate::detect::{Disposition, Form, Format, Kind};
use crate::problem::{Location, Problem, Problems};
use crate::smtp_log::{split_fields, ColumnMap, FieldSpan, FileHeader};
use jiff::Timestamp;
use memchr::memmem;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;

/// `#Log-type: Transport Connectivity Log` (`CONNECTLOG*.LOG`).
pub const CONNECTIVITY_KIND: Kind = Kind::new("connectivity-log");
/// `#Log-type: Message Tracking Log` (`MSGTRK*.LOG`).
pub const MESSAGE_TRACKING_KIND: Kind = Kind::new("message-tracking-log");

/// The registry lines (`detect::FORMATS`): both logs by their header.
pub const CONNECTIVITY_FORMAT: Format = Format {
    kinds: &[CONNECTIVITY_KIND],
    describes: "`#Log-type: Transport Connectivity Log`: Exchange connectivity logs",
    detect: |head| {
        looks_like_connectivity(head.text).then_some((
            CONNECTIVITY_KIND,
            Form::ExchangeLog,
            Disposition::Used,
            None,
        ))
    },
    name_prefix: None,
};

pub const MESSAGE_TRACKING_FORMAT: Format = Format {
    kinds: &[MESSAGE_TRACKING_KIND],
    describes: "`#Log-type: Message Tracking Log`: Exchange message tracking logs",
    detect: |head| {
        looks_like_message_tracking(head.text).then_some((
            MESSAGE_TRACKING_KIND,
            Form::ExchangeLog,
            Disposition::Used,
            None,
        ))
    },
    name_prefix: None,
};

/// Which Exchange log a text is, by its `#Log-type:` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeLogKind {
    Connectivity,
    MessageTracking,
}

/// Cheap content check by the `#Log-type:` header (first 16 lines).
pub fn looks_like(text_head: &str) -> Option<ExchangeLogKind> {
    text_head.lines().take(16).find_map(|line| {
        let rest = line.trim_start_matches('\u{feff}').strip_prefix('#')?;
        let (key, value) = rest.split_once(':')?;
        if !key.trim().eq_ignore_ascii_case("log-type") {
            return None;
        }
        match value.trim().to_ascii_lowercase().as_str() {
            "transport connectivity log" => Some(ExchangeLogKind::Connectivity),
            "message tracking log" => Some(ExchangeLogKind::MessageTracking),
            _ => None,
        }
    })
}

/// `#Log-type: Transport Connectivity Log`.
pub fn looks_like_connectivity(text_head: &str) -> bool {
    looks_like(text_head) == Some(ExchangeLogKind::Connectivity)
}

/// `#Log-type: Message Tracking Log`.
pub fn looks_like_message_tracking(text_head: &str) -> bool {
    looks_like(text_head) == Some(ExchangeLogKind::MessageTracking)
}

/// The SMTP failure texts of the 454 scenario found in a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FailureCode {
    /// `451 4.4.0` (the sender's wrapper: "Primary target IP address responded with …").
    #[serde(rename = "451 4.4.0")]
    Code451_4_4_0,
    /// `454 4.7.0` Temporary authentication failure.
    #[serde(rename = "454 4.7.0")]
    Code454_4_7_0,
    /// `451 5.7.3` Cannot achieve Exchange Server authentication.
    #[serde(rename = "451 5.7.3")]
    Code451_5_7_3,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::Code451_4_4_0 => "451 4.4.0",
            FailureCode::Code454_4_7_0 => "454 4.7.0",
            FailureCode::Code451_5_7_3 => "451 5.7.3",
        }
    }
}

const CODES: [FailureCode; 3] = [
    FailureCode::Code451_4_4_0,
    FailureCode::Code454_4_7_0,
    FailureCode::Code451_5_7_3,
];

/// Every code in `text`, in the order of [`FailureCode`].
pub fn failure_codes(text: &str) -> Vec<FailureCode> {
    CODES
        .iter()
        .copied()
        .filter(|c| text.contains(c.as_str()))
        .collect()
}

fn has_code(bytes: &[u8]) -> bool {
    CODES
        .iter()
        .any(|c| memmem::find(bytes, c.as_str().as_bytes()).is_some())
}

fn ser_opt_ts<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

// ---------------------------------------------------------------------------
// Lines and fields

/// Reads lines through one buffer; strips `\r`, the BOM; decodes lossily.
struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    number: u64,
}

impl<R: BufRead> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            inner,
            buf: Vec::with_capacity(4096),
            number: 0,
        }
    }

    /// The next line's bytes, or `None` at the end (a read error ends the input, reported).
    fn next(&mut self, problems: &mut Problems) -> Option<(u64, &[u8])> {
        self.buf.clear();
        match self.inner.read_until(b'\n', &mut self.buf) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => {
                problems.push(Problem::new(
                    Location::Line(self.number + 1),
                    format!("read error, rest of input dropped: {e}"),
                ));
                return None;
            }
        }
        self.number += 1;
        let mut b: &[u8] = &self.buf;
        if let Some(r) = b.strip_suffix(b"\n") {
            b = r;
        }
        if let Some(r) = b.strip_suffix(b"\r") {
            b = r;
        }
        if let Some(r) = b.strip_prefix(b"\xEF\xBB\xBF") {
            b = r;
        }
        Some((self.number, b))
    }
}

fn field_text<'a>(line: &'a [u8], span: Option<&FieldSpan>) -> Cow<'a, str> {
    let Some(span) = span else {
        return Cow::Borrowed("");
    };
    let raw = line.get(span.start..span.end).unwrap_or_default();
    let text = String::from_utf8_lossy(raw);
    if span.escaped {
        Cow::Owned(text.replace("\"\"", "\""))
    } else {
        text
    }
}

/// Column positions by (lower-case) field name.
#[derive(Debug, Clone, Default)]
struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn from_fields(fields: &[String]) -> Self {
        Columns {
            names: fields
                .iter()
                .map(|f| f.trim().to_ascii_lowercase())
                .collect(),
        }
    }

    fn of(names: &[&str]) -> Self {
        Columns {
            names: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// Applies a `#…` line to the header; true when `#Fields:` replaced the columns.
fn header_line(header: &mut FileHeader, line: &[u8], columns: &mut Columns) -> bool {
    let text = String::from_utf8_lossy(line);
    let mut unused = ColumnMap::default();
    let fields = header.apply(&text, &mut unused) == crate::smtp_log::header::HeaderLine::Fields;
    if fields {
        *columns = Columns::from_fields(&header.fields);
    }
    fields
}

fn parse_time(s: &str) -> Option<Timestamp> {
    s.trim().parse().ok()
}

// ---------------------------------------------------------------------------
// Connectivity log

const CONNECTIVITY_FIELDS: &[&str] = &[
    "date-time",
    "session",
    "source",
    "destination",
    "direction",
    "description",
];

/// The `direction` column of a connectivity row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnDirection {
    /// `+`: a connection attempt starts.
    Start,
    /// `>`: progress or failure of an existing connection.
    Progress,
    /// `*`: information.
    Info,
    /// `-`: the connection ends.
    Stop,
}

/// One connectivity log row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectivityRow {
    pub line: u64,
    /// UTC.
    #[serde(serialize_with = "ser_opt_ts")]
    pub time: Option<Timestamp>,
    /// 16 hex digits; empty for MAPI rows with id 0.
    pub session: String,
    /// `SMTP`, `MapiDelivery`, `MapiSubmission`, `DeliveryAgent`, `Transport`.
    pub source: String,
    /// The next hop (domain, server, queue name).
    pub destination: String,
    pub direction: ConnDirection,
    pub description: String,
}

/// What a failing connectivity row says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ConnectivityFailureKind {
    /// `Failed connection to {ip}:{port} ({SocketErrorCode}:{ErrorCode})[…]`.
    FailedConnection {
        address: String,
        port: Option<u16>,
        /// `TimedOut`, `ConnectionRefused`, …
        socket_error: Option<String>,
        /// The `X8` error code (`0000274C`).
        error_code: Option<String>,
        /// `[TargetHost:name:port|…]`.
        target_host: Option<String>,
        /// `MarkedUnhealthy` (true) / `NotMarkedUnhealthy` (false).
        marked_unhealthy: Option<bool>,
        /// The other `|`-separated bracket items as printed.
        details: Vec<String>,
    },
    /// A `-` row ending in `(Retry : <reason>)`.
    Retry { reason: String },
    /// Any other row whose description carries a failure code.
    FailureText,
}

/// A connectivity row that shows a failed delivery attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectivityFailure {
    pub row: ConnectivityRow,
    pub kind: ConnectivityFailureKind,
    /// `451 4.4.0` / `454 4.7.0` / `451 5.7.3` in the description.
    pub codes: Vec<FailureCode>,
}

/// Everything read from one connectivity log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectivityOutput {
    pub header: FileHeader,
    /// Rows read (data lines that parsed).
    pub rows_read: u64,
    /// All rows, when read with [`parse_connectivity`]; empty with [`read_connectivity`].
    pub rows: Vec<ConnectivityRow>,
    pub failures: Vec<ConnectivityFailure>,
    pub problems: Problems,
}

/// Reads a connectivity log, keeping every row.
pub fn parse_connectivity<R: BufRead>(reader: R) -> ConnectivityOutput {
    let mut rows = Vec::new();
    let mut out = read_connectivity(reader, |r| rows.push(r.clone()));
    out.rows = rows;
    out
}

/// Reads a connectivity log, handing each row to `on_row` (rows are not kept;
/// failures are).
pub fn read_connectivity<R: BufRead>(
    reader: R,
    mut on_row: impl FnMut(&ConnectivityRow),
) -> ConnectivityOutput {
    let mut out = ConnectivityOutput {
        header: FileHeader::default(),
        rows_read: 0,
        rows: Vec::new(),
        failures: Vec::new(),
        problems: Problems::new(),
    };
    let mut columns = Columns::of(CONNECTIVITY_FIELDS);
    let mut spans = Vec::new();
    let mut lines = Lines::new(reader);
    let mut problems = Problems::new();
    while let Some((n, line)) = lines.next(&mut problems) {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.first() == Some(&b'#') {
            header_line(&mut out.header, line, &mut columns);
            continue;
        }
        let row = connectivity_row(line, n, &columns, &mut spans, &mut out.problems);
        let Some(row) = row else { continue };
        out.rows_read += 1;
        on_row(&row);
        if let Some(f) = connectivity_failure(&row) {
            out.failures.push(f);
        }
    }
    out.problems.extend(problems);
    out
}

fn connectivity_row(
    line: &[u8],
    n: u64,
    columns: &Columns,
    spans: &mut Vec<FieldSpan>,
    problems: &mut Problems,
) -> Option<ConnectivityRow> {
    split_fields(line, spans);
    let col = |name: &str| columns.index(name).and_then(|i| spans.get(i));
    let (Some(_), Some(dir)) = (col("date-time"), col("direction")) else {
        problems.push(Problem::new(
            Location::Line(n),
            format!(
                "{} field(s), a connectivity row needs {}",
                spans.len(),
                columns.names.len()
            ),
        ));
        return None;
    };
    let direction = match field_text(line, Some(dir)).trim() {
        "+" => ConnDirection::Start,
        ">" => ConnDirection::Progress,
        "*" => ConnDirection::Info,
        "-" => ConnDirection::Stop,
        other => {
            problems.push(Problem::new(
                Location::Line(n),
                format!("unknown direction {other:?}"),
            ));
            return None;
        }
    };
    let time_text = field_text(line, col("date-time"));
    let time = parse_time(&time_text);
    if time.is_none() {
        problems.push(Problem::new(
            Location::Line(n),
            format!(
                "bad date-time {:?}",
                time_text.chars().take(40).collect::<String>()
            ),
        ));
    }
    // An unquoted description with commas (a damaged row): keep the rest of the line.
    let desc_index = columns.index("description");
    let description = match desc_index.and_then(|i| spans.get(i)) {
        Some(span)
            if spans.len() > columns.names.len() && desc_index == Some(columns.names.len() - 1) =>
        {
            String::from_utf8_lossy(line.get(span.start..).unwrap_or_default()).into_owned()
        }
        span => field_text(line, span).into_owned(),
    };
    Some(ConnectivityRow {
        line: n,
        time,
        session: field_text(line, col("session")).into_owned(),
        source: field_text(line, col("source")).into_owned(),
        destination: field_text(line, col("destination")).into_owned(),
        direction,
        description,
    })
}

/// The failure a row shows, if any.
pub fn connectivity_failure(row: &ConnectivityRow) -> Option<ConnectivityFailure> {
    let d = row.description.as_str();
    let codes = failure_codes(d);
    let kind = if let Some(rest) = d.strip_prefix("Failed connection to ") {
        failed_connection(rest)
    } else if let (ConnDirection::Stop, Some(at)) = (row.direction, d.find("(Retry :")) {
        let body = d.get(at + "(Retry :".len()..).unwrap_or("");
        let body = match body.rfind(')') {
            Some(close) => body.get(..close).unwrap_or(body),
            None => body,
        };
        ConnectivityFailureKind::Retry {
            reason: body.trim().to_string(),
        }
    } else if !codes.is_empty() {
        ConnectivityFailureKind::FailureText
    } else {
        return None;
    };
    Some(ConnectivityFailure {
        row: row.clone(),
        kind,
        codes,
    })
}

/// `10.0.0.5:25 (TimedOut:0000274C)[TargetHost:ex02:25|MarkedUnhealthy|FailureCount:1]`.
fn failed_connection(rest: &str) -> ConnectivityFailureKind {
    let endpoint = rest.split_whitespace().next().unwrap_or("");
    let endpoint = endpoint.split('[').next().unwrap_or(endpoint);
    let (address, port) = match endpoint.rsplit_once(':') {
        Some((a, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => {
            (a.trim_matches(['[', ']']).to_string(), p.parse().ok())
        }
        _ => (endpoint.to_string(), None),
    };
    let (mut socket_error, mut error_code) = (None, None);
    if let (Some(o), Some(c)) = (rest.find('('), rest.find(')')) {
        if c > o {
            let inner = rest.get(o + 1..c).unwrap_or("");
            match inner.split_once(':') {
                Some((s, e)) => {
                    socket_error = Some(s.trim().to_string());
                    error_code = Some(e.trim().to_string());
                }
                None => socket_error = Some(inner.trim().to_string()),
            }
        }
    }
    let (mut target_host, mut marked_unhealthy, mut details) = (None, None, Vec::new());
    if let (Some(o), Some(c)) = (rest.find('['), rest.rfind(']')) {
        if c > o {
            for item in rest.get(o + 1..c).unwrap_or("").split('|') {
                let item = item.trim();
                if let Some(h) = item.strip_prefix("TargetHost:") {
                    target_host = Some(h.to_string());
                } else if item.eq_ignore_ascii_case("MarkedUnhealthy") {
                    marked_unhealthy = Some(true);
                } else if item.eq_ignore_ascii_case("NotMarkedUnhealthy") {
                    marked_unhealthy = Some(false);
                } else if !item.is_empty() {
                    details.push(item.to_string());
                }
            }
        }
    }
    ConnectivityFailureKind::FailedConnection {
        address,
        port,
        socket_error,
        error_code,
        target_host,
        marked_unhealthy,
        details,
    }
}

// ---------------------------------------------------------------------------
// Message tracking log

/// The Exchange 2013+ field list (used when a file has no `#Fields:` line).
pub const TRACKING_FIELDS_2013: &[&str] = &[
    "date-time",
    "client-ip",
    "client-hostname",
    "server-ip",
    "server-hostname",
    "source-context",
    "connector-id",
    "source",
    "event-id",
    "internal-message-id",
    "message-id",
    "network-message-id",
    "recipient-address",
    "recipient-status",
    "total-bytes",
    "recipient-count",
    "related-recipient-address",
    "reference",
    "message-subject",
    "sender-address",
    "return-path",
    "message-info",
    "directionality",
    "tenant-id",
    "original-client-ip",
    "original-server-ip",
    "custom-data",
    "transport-traffic-type",
    "log-id",
    "schema-version",
];

/// A `DEFER`/`FAIL` tracking row carrying a failure code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackingFailure {
    pub line: u64,
    /// UTC.
    #[serde(serialize_with = "ser_opt_ts")]
    pub time: Option<Timestamp>,
    /// `DEFER` or `FAIL`.
    pub event_id: String,
    pub source: String,
    pub server_hostname: String,
    pub server_ip: String,
    pub client_hostname: String,
    pub client_ip: String,
    pub connector_id: String,
    pub message_id: String,
    pub sender_address: String,
    /// `recipient-address` split at `;`.
    pub recipients: Vec<String>,
    /// As printed (`;`-separated, same order as the recipients).
    pub recipient_status: String,
    pub source_context: String,
    pub codes: Vec<FailureCode>,
}

/// What one message tracking log holds for this diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageTrackingOutput {
    pub header: FileHeader,
    pub rows_read: u64,
    /// Rows per `event-id` (`RECEIVE`, `SEND`, `DEFER`, …).
    pub event_counts: BTreeMap<String, u64>,
    pub failures: Vec<TrackingFailure>,
    pub problems: Problems,
}

/// Reads a message tracking log.
pub fn read_message_tracking<R: BufRead>(reader: R) -> MessageTrackingOutput {
    let mut out = MessageTrackingOutput {
        header: FileHeader::default(),
        rows_read: 0,
        event_counts: BTreeMap::new(),
        failures: Vec::new(),
        problems: Problems::new(),
    };
    let mut columns = Columns::of(TRACKING_FIELDS_2013);
    let mut declared: Option<usize> = None;
    let mut warned_no_fields = false;
    let mut spans = Vec::new();
    let mut lines = Lines::new(reader);
    let mut problems = Problems::new();
    while let Some((n, line)) = lines.next(&mut problems) {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.first() == Some(&b'#') {
            if header_line(&mut out.header, line, &mut columns) {
                declared = Some(columns.names.len());
            }
            continue;
        }
        if declared.is_none() && !warned_no_fields {
            warned_no_fields = true;
            out.problems.push(Problem::new(
                Location::Line(n),
                "no #Fields line: the Exchange 2013+ field order is assumed",
            ));
        }
        split_fields(line, &mut spans);
        let expected = columns.names.len();
        let Some(event_span) = columns.index("event-id").and_then(|i| spans.get(i)) else {
            out.problems.push(Problem::new(
                Location::Line(n),
                format!("{} field(s), #Fields declares {expected}", spans.len()),
            ));
            continue;
        };
        if spans.len() != expected {
            out.problems.push(Problem::new(
                Location::Line(n),
                format!("{} field(s), #Fields declares {expected}", spans.len()),
            ));
        }
        out.rows_read += 1;
        let event = field_text(line, Some(event_span));
        let event = event.trim();
        match out.event_counts.get_mut(event) {
            Some(c) => *c += 1,
            None => {
                out.event_counts.insert(event.to_string(), 1);
            }
        }
        if !(event.eq_ignore_ascii_case("DEFER") || event.eq_ignore_ascii_case("FAIL")) {
            continue;
        }
        let event = event.to_ascii_uppercase();
        if !has_code(line) {
            continue;
        }
        let col = |name: &str| -> String {
            field_text(line, columns.index(name).and_then(|i| spans.get(i))).into_owned()
        };
        let recipient_status = col("recipient-status");
        let source_context = col("source-context");
        let mut codes = failure_codes(&recipient_status);
        for c in failure_codes(&source_context) {
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
        codes.sort();
        if codes.is_empty() {
            continue;
        }
        let time_text = col("date-time");
        let time = parse_time(&time_text);
        if time.is_none() {
            out.problems.push(Problem::new(
                Location::Line(n),
                format!(
                    "bad date-time {:?}",
                    time_text.chars().take(40).collect::<String>()
                ),
            ));
        }
        out.failures.push(TrackingFailure {
            line: n,
            time,
            event_id: event,
            source: col("source"),
            server_hostname: col("server-hostname"),
            server_ip: col("server-ip"),
            client_hostname: col("client-hostname"),
            client_ip: col("client-ip"),
            connector_id: col("connector-id"),
            message_id: col("message-id"),
            sender_address: col("sender-address"),
            recipients: col("recipient-address")
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            recipient_status,
            source_context,
            codes,
        });
    }
    out.problems.extend(problems);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONN_HEADER: &str = "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: Transport Connectivity Log\r\n#Date: 2013-06-27T21:00:00.000Z\r\n#Fields: date-time,session,source,Destination,direction,description\r\n";

    /// FORMATS.md §7.7, real rows (CONNLOG support article), verbatim.
    const CONN_ROWS: &str = "2013-06-27T21:08:37.520Z,08D03F2DE58E0D70,MapiSubmission,89294a5c-bf90-4ae2-a3ff-7f2b81b4ba71,+,Exchange-Server.contoso.com
2013-06-27T21:08:37.536Z,08D03F2DE58E0D71,SMTP,mailboxtransportsubmissioninternalproxy,+,Undefined 00000000-0000-0000-0000-000000000000;QueueLength=0
2013-06-27T21:08:37.536Z,08D03F2DE58E0D71,SMTP,mailboxtransportsubmissioninternalproxy,>,Exchange-Server.contoso[192.168.0.12]
2013-06-27T21:08:37.536Z,08D03F2DE58E0D71,SMTP,mailboxtransportsubmissioninternalproxy,>,Established connection to 192.168.0.12
2013-06-27T21:08:37.583Z,08D03F2DE58E0D71,SMTP,mailboxtransportsubmissioninternalproxy,-,Messages: 0 Bytes: 0 (Retry : Service not active)
";

    #[test]
    fn connectivity_real_rows() {
        let text = format!("{CONN_HEADER}{CONN_ROWS}");
        assert_eq!(looks_like(&text), Some(ExchangeLogKind::Connectivity));
        let o = parse_connectivity(text.as_bytes());
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        assert_eq!(
            o.header.log_type.as_deref(),
            Some("Transport Connectivity Log")
        );
        assert_eq!(o.rows_read, 5);
        assert_eq!(o.rows[0].source, "MapiSubmission");
        assert_eq!(o.rows[0].direction, ConnDirection::Start);
        assert_eq!(
            o.rows[2].destination,
            "mailboxtransportsubmissioninternalproxy"
        );
        assert_eq!(
            o.rows[4].time.map(|t| t.to_string()).as_deref(),
            Some("2013-06-27T21:08:37.583Z")
        );
        assert_eq!(o.failures.len(), 1);
        let f = &o.failures[0];
        assert_eq!(f.row.line, 10);
        assert_eq!(f.row.session, "08D03F2DE58E0D71");
        assert_eq!(
            f.kind,
            ConnectivityFailureKind::Retry {
                reason: "Service not active".into()
            }
        );
        assert!(f.codes.is_empty());
    }

    #[test]
    fn connectivity_failed_connection_and_auth_text() {
        // Shapes from the EXSRC format strings (FORMATS.md §7.7) [unverified as real rows].
        let rows = "2024-05-06T10:00:01.000Z,08DC6DA1B2C3D4E5,SMTP,ex02.contoso.com,>,Failed connection to 10.0.0.12:25 (TimedOut:0000274C)[TargetHost:ex02.contoso.com:25|MarkedUnhealthy|FailureCount:1|NextRetryTime:2024-05-06T10:01:01.000Z]\r\n\
2024-05-06T10:00:02.000Z,08DC6DA1B2C3D4E6,SMTP,ex02.contoso.com,-,\"Messages: 0 Bytes: 0 (Retry : 451 4.4.0 Primary target IP address responded with: \"\"454 4.7.0 Temporary authentication failure.\"\" Attempted failover to alternate host, but that did not succeed.)\"\r\n\
2024-05-06T10:00:03.000Z,08DC6DA1B2C3D4E7,SMTP,ex03.contoso.com,>,451 5.7.3 Cannot achieve Exchange Server authentication\r\n";
        let o = parse_connectivity(format!("\u{feff}{CONN_HEADER}{rows}").as_bytes());
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        assert_eq!(o.failures.len(), 3);
        match &o.failures[0].kind {
            ConnectivityFailureKind::FailedConnection {
                address,
                port,
                socket_error,
                error_code,
                target_host,
                marked_unhealthy,
                details,
            } => {
                assert_eq!(address, "10.0.0.12");
                assert_eq!(*port, Some(25));
                assert_eq!(socket_error.as_deref(), Some("TimedOut"));
                assert_eq!(error_code.as_deref(), Some("0000274C"));
                assert_eq!(target_host.as_deref(), Some("ex02.contoso.com:25"));
                assert_eq!(*marked_unhealthy, Some(true));
                assert_eq!(details.len(), 2);
            }
            k => panic!("{k:?}"),
        }
        let retry = &o.failures[1];
        assert_eq!(
            retry.codes,
            [FailureCode::Code451_4_4_0, FailureCode::Code454_4_7_0]
        );
        match &retry.kind {
            ConnectivityFailureKind::Retry { reason } => {
                assert!(reason.starts_with("451 4.4.0 Primary target"), "{reason}");
                assert!(reason.contains("\"454 4.7.0 Temporary authentication failure.\""));
            }
            k => panic!("{k:?}"),
        }
        assert_eq!(o.failures[2].kind, ConnectivityFailureKind::FailureText);
        assert_eq!(o.failures[2].codes, [FailureCode::Code451_5_7_3]);
        assert_eq!(o.failures[2].row.destination, "ex03.contoso.com");
    }

    #[test]
    fn connectivity_bad_lines_are_problems() {
        let rows = "garbage\n2013-06-27T21:08:37.536Z,08D03F2DE58E0D71,SMTP,x,?,what\nnot-a-time,1,SMTP,x,-,Messages: 0 Bytes: 0 (Retry : 454 4.7.0 Temporary authentication failure)\n";
        let o = parse_connectivity(format!("{CONN_HEADER}{rows}").as_bytes());
        let lines: Vec<Location> = o.problems.iter().map(|p| p.location).collect();
        assert_eq!(
            lines,
            [Location::Line(6), Location::Line(7), Location::Line(8)]
        );
        assert_eq!(o.rows_read, 1);
        assert_eq!(o.failures.len(), 1);
        assert_eq!(o.failures[0].row.time, None);
    }

    const TRK_HEADER: &str = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2375.007\r\n#Log-type: Message Tracking Log\r\n#Date: 2024-05-06T10:00:00.000Z\r\n#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version\r\n";

    fn trk_row(event: &str, status: &str, context: &str) -> String {
        let mut f = vec![String::new(); 30];
        f[0] = "2024-05-06T10:00:05.123Z".into();
        f[1] = "10.0.0.11".into();
        f[2] = "EX01.contoso.com".into();
        f[3] = "10.0.0.12".into();
        f[4] = "EX02.contoso.com".into();
        f[5] = context.into();
        f[6] = "Intra-Organization SMTP Send Connector".into();
        f[7] = "SMTP".into();
        f[8] = event.into();
        f[10] = "<abc@contoso.com>".into();
        f[12] = "a@contoso.com;b@contoso.com".into();
        f[13] = status.into();
        f[19] = "s@contoso.com".into();
        f.iter()
            .map(|v| {
                if v.contains(',') || v.contains('"') {
                    format!("\"{}\"", v.replace('"', "\"\""))
                } else {
                    v.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
            + "\r\n"
    }

    #[test]
    fn tracking_keeps_only_defer_fail_with_codes() {
        // Rows built to the documented 30-field layout; a real DEFER with 454 text was not
        // found [unverified].
        let text = format!(
            "{TRK_HEADER}{}{}{}{}",
            trk_row("RECEIVE", "", "08DC6DA1B2C3D4E5;250 2.0.0 OK"),
            trk_row(
                "DEFER",
                "451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed.",
                ""
            ),
            trk_row("DEFER", "", "LED=441 4.4.1 Error encountered while communicating with primary target IP address, Failover"),
            trk_row("FAIL", "550 4.4.7 QUEUE.Expired;451 5.7.3 Cannot achieve Exchange Server authentication", "x, y"),
        );
        assert_eq!(looks_like(&text), Some(ExchangeLogKind::MessageTracking));
        let o = read_message_tracking(text.as_bytes());
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        assert_eq!(o.header.fields.len(), 30);
        assert_eq!(o.rows_read, 4);
        assert_eq!(o.event_counts.get("DEFER"), Some(&2));
        assert_eq!(o.failures.len(), 2);
        let d = &o.failures[0];
        assert_eq!(d.line, 7);
        assert_eq!(d.event_id, "DEFER");
        assert_eq!(d.server_hostname, "EX02.contoso.com");
        assert_eq!(d.server_ip, "10.0.0.12");
        assert_eq!(d.client_hostname, "EX01.contoso.com");
        assert_eq!(d.client_ip, "10.0.0.11");
        assert_eq!(d.connector_id, "Intra-Organization SMTP Send Connector");
        assert_eq!(d.recipients, ["a@contoso.com", "b@contoso.com"]);
        assert_eq!(
            d.codes,
            [FailureCode::Code451_4_4_0, FailureCode::Code454_4_7_0]
        );
        assert!(d.recipient_status.contains("\"454 4.7.0"));
        assert_eq!(
            d.time.map(|t| t.to_string()).as_deref(),
            Some("2024-05-06T10:00:05.123Z")
        );
        assert_eq!(o.failures[1].event_id, "FAIL");
        assert_eq!(o.failures[1].codes, [FailureCode::Code451_5_7_3]);
        assert_eq!(o.failures[1].source_context, "x, y");
    }

    #[test]
    fn tracking_2010_fields_and_short_rows() {
        let fields26: Vec<&str> = TRACKING_FIELDS_2013
            .iter()
            .copied()
            .filter(|f| {
                !matches!(
                    *f,
                    "network-message-id" | "transport-traffic-type" | "log-id" | "schema-version"
                )
            })
            .collect();
        assert_eq!(fields26.len(), 26);
        let mut row = vec![""; 26];
        row[0] = "2016-01-02T03:04:05.678Z";
        row[4] = "EX2010.contoso.com";
        row[8] = "DEFER";
        // 2010 has no network-message-id: the recipient columns sit one to the left.
        row[11] = "x@contoso.com";
        row[12] = "454 4.7.0 Temporary authentication failure";
        let text = format!(
            "\u{feff}#Software: Microsoft Exchange Server\n#Version: 14.0.0.0\n#Log-type: Message Tracking Log\n#Fields: {}\n{}\nshort,row\n",
            fields26.join(","),
            row.join(",")
        );
        let o = read_message_tracking(text.as_bytes());
        assert_eq!(o.failures.len(), 1);
        assert_eq!(o.failures[0].server_hostname, "EX2010.contoso.com");
        assert_eq!(o.failures[0].recipients, ["x@contoso.com"]);
        assert_eq!(o.problems.len(), 1, "{:?}", o.problems);
        assert_eq!(o.problems[0].location, Location::Line(6));
    }

    #[test]
    fn detectors() {
        assert_eq!(
            looks_like("#Software: Microsoft Exchange Server\n#Log-type: SMTP Send Protocol Log\n"),
            None
        );
        assert!(looks_like_connectivity(CONN_HEADER));
        assert!(looks_like_message_tracking(TRK_HEADER));
        assert!(!looks_like_connectivity(TRK_HEADER));
    }
}
