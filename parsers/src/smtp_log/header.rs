//! The `#…` header block of a protocol log and the column map it defines.
//!
//! Exchange writes the block whenever it (re)opens a file, so it can appear in the middle of a
//! file too; every `#` line is a header line, and a new `#Fields:` replaces the column map. The
//! field order has been the same since Exchange 2007, but the map is built from `#Fields` anyway so
//! other orders and extra columns still parse.

use super::LogKind;
use jiff::Timestamp;
use serde::Serialize;

/// The header lines seen so far in one file (later lines override earlier ones).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileHeader {
    pub software: Option<String>,
    pub version: Option<String>,
    /// Raw `#Log-type` value, e.g. `SMTP Send Protocol Log`.
    pub log_type: Option<String>,
    /// `#Date`: UTC time the writer opened the file.
    #[serde(serialize_with = "super::ser_opt_ts")]
    pub date: Option<Timestamp>,
    pub fields: Vec<String>,
}

impl FileHeader {
    /// Send or Receive, from `#Log-type`.
    pub fn kind(&self) -> Option<LogKind> {
        self.log_type.as_deref().and_then(log_kind_from_type)
    }
}

/// Send/Receive from a `#Log-type` value (`SMTP Send Protocol Log`, `SMTP Receive Protocol Log`).
pub fn log_kind_from_type(value: &str) -> Option<LogKind> {
    let lower = value.to_ascii_lowercase();
    if lower.contains("send") {
        Some(LogKind::Send)
    } else if lower.contains("receive") {
        Some(LogKind::Receive)
    } else {
        None
    }
}

/// What a header line told us.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderLine {
    /// A known key was set on the header.
    Updated,
    /// `#Fields:` replaced the column map.
    Fields,
    /// Another `#` line (comment, unknown key).
    Other,
}

impl FileHeader {
    /// Applies one `#…` line (without line end) to the header. `columns` is replaced on `#Fields:`.
    pub fn apply(&mut self, line: &str, columns: &mut ColumnMap) -> HeaderLine {
        let body = line.trim_start_matches('#');
        let Some((key, value)) = body.split_once(':') else {
            return HeaderLine::Other;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "software" => self.software = Some(value.to_owned()),
            "version" => self.version = Some(value.to_owned()),
            "log-type" => self.log_type = Some(value.to_owned()),
            "date" => self.date = value.parse().ok(),
            "fields" => {
                self.fields = value.split(',').map(|f| f.trim().to_owned()).collect();
                *columns = ColumnMap::from_fields(&self.fields);
                return HeaderLine::Fields;
            }
            _ => return HeaderLine::Other,
        }
        HeaderLine::Updated
    }
}

/// Column index of each field exauth reads (`None` when `#Fields` lacks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnMap {
    pub date_time: Option<usize>,
    pub connector_id: Option<usize>,
    pub session_id: Option<usize>,
    pub sequence_number: Option<usize>,
    pub local_endpoint: Option<usize>,
    pub remote_endpoint: Option<usize>,
    pub event: Option<usize>,
    pub data: Option<usize>,
    pub context: Option<usize>,
    /// Number of columns `#Fields` declared.
    pub count: usize,
    /// Fewest fields a row needs to carry every column up to `event` (data/context may be missing).
    pub required: usize,
}

impl Default for ColumnMap {
    /// The order every Exchange version writes: used when a file has no `#Fields` line.
    fn default() -> Self {
        ColumnMap::from_fields(&[
            "date-time",
            "connector-id",
            "session-id",
            "sequence-number",
            "local-endpoint",
            "remote-endpoint",
            "event",
            "data",
            "context",
        ])
    }
}

impl ColumnMap {
    pub fn from_fields<S: AsRef<str>>(fields: &[S]) -> Self {
        let find = |name: &str| {
            fields
                .iter()
                .position(|f| f.as_ref().trim().eq_ignore_ascii_case(name))
        };
        let mut map = ColumnMap {
            date_time: find("date-time"),
            connector_id: find("connector-id"),
            session_id: find("session-id"),
            sequence_number: find("sequence-number"),
            local_endpoint: find("local-endpoint"),
            remote_endpoint: find("remote-endpoint"),
            event: find("event"),
            data: find("data"),
            context: find("context"),
            count: fields.len(),
            required: 0,
        };
        map.required = [
            map.date_time,
            map.connector_id,
            map.session_id,
            map.sequence_number,
            map.local_endpoint,
            map.remote_endpoint,
            map.event,
        ]
        .into_iter()
        .flatten()
        .max()
        .map_or(0, |i| i + 1);
        map
    }

    /// True for the layout every Exchange version writes (the fast path's).
    pub fn is_standard(&self) -> bool {
        *self
            == ColumnMap {
                date_time: Some(0),
                connector_id: Some(1),
                session_id: Some(2),
                sequence_number: Some(3),
                local_endpoint: Some(4),
                remote_endpoint: Some(5),
                event: Some(6),
                data: Some(7),
                context: Some(8),
                count: 9,
                required: 7,
            }
    }

    /// True when `context` is the last column, so surplus commas in a row belong to it.
    pub fn context_is_last(&self) -> bool {
        self.context.is_some_and(|c| c + 1 == self.count)
    }

    /// The columns the reassembler cannot work without.
    pub fn is_usable(&self) -> bool {
        self.session_id.is_some() && self.event.is_some()
    }
}
