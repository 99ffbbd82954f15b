//! Exchange logs beyond the protocol logs: Connectivity logs (one row per
//! connection attempt; a failure carries the 451 4.4.0 / 454 4.7.0 text) and
//! message tracking (DEFER/FAIL rows whose status carries it). Both are
//! streamed; only the failure rows are kept, as failure facts.

use super::text::Content;
use super::{signature_evidence, Extracted, IngestOptions, Input, Place, Records};
use crate::discover::Artifact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::exchange_logs::{
    self, ConnectivityOutput, MessageTrackingOutput, CONNECTIVITY_KIND, MESSAGE_TRACKING_KIND,
};
use exauth_parsers::problem::Problems;
use exauth_parsers::signature;

pub struct ExchangeLogInput;

impl Input for ExchangeLogInput {
    fn kinds(&self) -> &'static [Kind] {
        &[CONNECTIVITY_KIND, MESSAGE_TRACKING_KIND]
    }

    fn source(&self, kind: Kind, _file_name: &str) -> Option<Source> {
        Some(if kind == CONNECTIVITY_KIND {
            Source::ConnectivityLog
        } else {
            Source::MessageTrackingLog
        })
    }

    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        _options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let lines = content.lines(1 << 20);
        Ok(if artifact.detection.kind == CONNECTIVITY_KIND {
            Box::new(LogRecords::Connectivity(exchange_logs::read_connectivity(
                lines,
                |_| {},
            )))
        } else {
            Box::new(LogRecords::Tracking(exchange_logs::read_message_tracking(
                lines,
            )))
        })
    }
}

/// The failure rows of one log.
#[derive(Debug)]
pub enum LogRecords {
    Connectivity(ConnectivityOutput),
    Tracking(MessageTrackingOutput),
}

impl Records for LogRecords {
    fn problems(&self) -> &Problems {
        match self {
            LogRecords::Connectivity(o) => &o.problems,
            LogRecords::Tracking(o) => &o.problems,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            LogRecords::Connectivity(o) => o.rows_read == 0,
            LogRecords::Tracking(o) => o.rows_read == 0,
        }
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        // A failure row is a failure signature with a UTC time: the text it
        // carries says which (454 4.7.0, 451 5.7.3) and names the peer.
        let mut push = |line: u64, time, text: &str| {
            if let Some(hit) = signature::scan_line(text, line) {
                out.evidence.push(signature_evidence(&hit, place, time));
            }
        };
        match self {
            LogRecords::Connectivity(o) => {
                for failure in &o.failures {
                    push(failure.row.line, failure.row.time, &failure.row.description);
                }
            }
            LogRecords::Tracking(o) => {
                for failure in &o.failures {
                    let text = format!("{} {}", failure.recipient_status, failure.source_context);
                    push(failure.line, failure.time, &text);
                }
            }
        }
    }
}
