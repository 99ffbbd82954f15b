//! The Transport Queue Log (`TRANSPORTQUEUE*.LOG`, Exchange 2013+): periodic
//! queue snapshots in the W3C-style log format of the protocol logs.
//!
//! Header lines `#Software:`, `#Version:`, `#Log-type: Transport Queue Log`,
//! `#Date:`, `#Fields: Timestamp,SequenceNumber,EventId,QueueIdentity,…`;
//! rows are CSV in `#Fields` order with UTC timestamps. Its LastError column
//! is cut at [`LAST_ERROR_LIMIT`] characters, so values of that length are
//! marked truncated ([`LastError::truncated`]) and never completed by guess.
//! Rows stream one by one ([`TransportQueueLogReader`]).

use super::last_error::LastError;
use super::records::{DeliveryType, QueueStatus};
use crate::problem::{Location, Problem};
use jiff::Timestamp;
use serde::Serialize;
use std::io::BufRead;

/// Characters the Transport Queue Log keeps of a LastError.
pub const LAST_ERROR_LIMIT: usize = 100;

/// Column order used when a file has no `#Fields` line (EXSRC `QueueLogSchema`).
pub const DEFAULT_FIELDS: &[&str] = &[
    "Timestamp",
    "SequenceNumber",
    "EventId",
    "QueueIdentity",
    "Status",
    "DeliveryType",
    "NextHopDomain",
    "NextHopKey",
    "MessageCount",
    "DeferredMessageCount",
    "LockedMessageCount",
    "IncomingRate",
    "OutgoingRate",
    "Velocity",
    "NextHopCategory",
    "RiskLevel",
    "OutboundIPPool",
    "NextHopConnector",
    "TlsDomain",
    "LastError",
    "Data",
    "CustomData",
];

/// Cheap content check: the `#Log-type:` header line.
pub fn looks_like(text_head: &str) -> bool {
    text_head.lines().take(8).any(|l| {
        l.trim_start_matches('\u{feff}')
            .strip_prefix("#Log-type:")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("Transport Queue Log"))
    })
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransportQueueLogRow {
    pub line: u64,
    pub timestamp: Option<Timestamp>,
    pub sequence_number: Option<u64>,
    /// `QUEUE` for per-queue rows; service and aggregate rows differ.
    pub event_id: Option<String>,
    pub queue_identity: Option<String>,
    /// Server part of `queue_identity` (`EX01\42` → `EX01`).
    pub server: Option<String>,
    pub status: Option<QueueStatus>,
    pub delivery_type: Option<DeliveryType>,
    pub next_hop_domain: Option<String>,
    pub next_hop_key: Option<String>,
    pub message_count: Option<u64>,
    pub deferred_message_count: Option<u64>,
    pub locked_message_count: Option<u64>,
    pub next_hop_category: Option<String>,
    pub next_hop_connector: Option<String>,
    pub tls_domain: Option<String>,
    pub last_error: Option<LastError>,
    pub data: Option<String>,
    pub custom_data: Option<String>,
}

fn split_csv_line(line: &str) -> Option<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let rec = r.records().next()?.ok()?;
    Some(rec.iter().map(str::to_string).collect())
}

/// Server part of a queue identity.
pub fn server_of_identity(identity: &str) -> Option<String> {
    identity
        .split_once('\\')
        .map(|(s, _)| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Streams rows of a Transport Queue Log.
pub struct TransportQueueLogReader<R: BufRead> {
    input: R,
    fields: Vec<String>,
    line_no: u64,
    buf: String,
}

impl<R: BufRead> TransportQueueLogReader<R> {
    pub fn new(input: R) -> Self {
        TransportQueueLogReader {
            input,
            fields: DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect(),
            line_no: 0,
            buf: String::new(),
        }
    }

    fn row(&self, cells: Vec<String>) -> TransportQueueLogRow {
        let get = |name: &str| -> Option<&str> {
            let i = self
                .fields
                .iter()
                .position(|f| f.eq_ignore_ascii_case(name))?;
            cells.get(i).map(|s| s.trim()).filter(|s| !s.is_empty())
        };
        let num = |name: &str| get(name).and_then(|v| v.parse().ok());
        let text = |name: &str| get(name).map(str::to_string);
        TransportQueueLogRow {
            line: self.line_no,
            timestamp: get("Timestamp").and_then(|t| t.parse().ok()),
            sequence_number: num("SequenceNumber"),
            event_id: text("EventId"),
            queue_identity: text("QueueIdentity"),
            server: get("QueueIdentity").and_then(server_of_identity),
            status: get("Status").map(QueueStatus::from_name),
            delivery_type: get("DeliveryType").map(DeliveryType::from_name),
            next_hop_domain: text("NextHopDomain"),
            next_hop_key: text("NextHopKey"),
            message_count: num("MessageCount"),
            deferred_message_count: num("DeferredMessageCount"),
            locked_message_count: num("LockedMessageCount"),
            next_hop_category: text("NextHopCategory"),
            next_hop_connector: text("NextHopConnector"),
            tls_domain: text("TlsDomain"),
            last_error: get("LastError")
                .map(|e| LastError::parse_with_limit(e, Some(LAST_ERROR_LIMIT))),
            data: text("Data"),
            custom_data: text("CustomData"),
        }
    }
}

impl<R: BufRead> Iterator for TransportQueueLogReader<R> {
    type Item = Result<TransportQueueLogRow, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.input.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    return Some(Err(Problem::new(
                        Location::Line(self.line_no + 1),
                        format!("unreadable line: {e}"),
                    )))
                }
            }
            self.line_no += 1;
            let line = self.buf.trim_end_matches(['\r', '\n']);
            let line = if self.line_no == 1 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            if line.trim().is_empty() {
                continue;
            }
            if let Some(header) = line.strip_prefix('#') {
                if let Some(f) = header.strip_prefix("Fields:") {
                    self.fields = f.split(',').map(|s| s.trim().to_string()).collect();
                }
                continue;
            }
            let Some(cells) = split_csv_line(line) else {
                return Some(Err(Problem::new(
                    Location::Line(self.line_no),
                    "row is not valid CSV",
                )));
            };
            let row = self.row(cells);
            if row.timestamp.is_none() {
                return Some(Err(Problem::new(
                    Location::Line(self.line_no),
                    "row without a valid UTC timestamp",
                )));
            }
            return Some(Ok(row));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_truncated_last_error() {
        let le: String = r#"[{LRT=};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover"#.chars().take(100).collect();
        let text = format!(
            "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2507.006\r\n#Log-type: Transport Queue Log\r\n#Date: 2026-11-26T10:00:00.000Z\r\n#Fields: {}\r\n2026-11-26T10:40:05.123Z,7,QUEUE,EX01\\42,Retry,SmtpRelayToMailboxDeliveryGroup,dag2,,3,0,0,0,0,0,Internal,Normal,0,,,\"{}\",,\r\n2026-11-26T10:40:05.200Z,8,QUEUE,,,,,,,,,,,,,,,,,,TotalMessageCount = 3; PoisonMessageCount = 0,\r\n",
            DEFAULT_FIELDS.join(","),
            le.replace('"', "\"\"")
        );
        assert!(looks_like(&text));
        let rows: Vec<_> = TransportQueueLogReader::new(text.as_bytes()).collect();
        assert_eq!(rows.len(), 2);
        let Some(Ok(r)) = rows.first() else {
            panic!("{rows:?}")
        };
        assert_eq!(r.server.as_deref(), Some("EX01"));
        assert_eq!(r.status, Some(QueueStatus::Retry));
        assert_eq!(r.message_count, Some(3));
        assert_eq!(r.line, 6);
        let le = r.last_error.as_ref();
        assert_eq!(le.map(|l| l.truncated), Some(true));
        assert_eq!(
            le.and_then(|l| l.inner_response()).and_then(|r| r.code),
            Some(454)
        );
        let Some(Ok(agg)) = rows.get(1) else { panic!() };
        assert_eq!(
            agg.data.as_deref(),
            Some("TotalMessageCount = 3; PoisonMessageCount = 0")
        );
    }
}
