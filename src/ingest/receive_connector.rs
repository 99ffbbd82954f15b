//! `Get-ReceiveConnector` output (Format-List or CliXml): bindings, remote
//! IP ranges and authentication mechanisms of each connector.
//!
//! Streamed ([`CommandOutput::stream`]), both forms: `Get-ReceiveConnector
//! | fl` run again and again into one file (a script's every run) repeats
//! its connectors by the thousand. Each connector is a fact as its object
//! ends, as read whole (of the output, no line: the connector carries its
//! own); one said again — the same settings at another line — is counted
//! in the first's [`Evidence::represents`](crate::evidence::Evidence)
//! ([`RepeatedFacts`]).

use super::diag::{CommandOutput, RepeatedFacts, Streamed};
use super::{Extracted, Place, Records};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::receive_connector::{self, ConnectorAuth};
use exauth_parsers::problem::{Location, Problems};

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<ConnectorRecords> = CommandOutput {
    kinds: &[Kind::RECEIVE_CONNECTOR_EXPORT],
    source: Source::ReceiveConnectors,
    parse: |_, text, _| {
        let (connectors, problems) = receive_connector::parse(text);
        ConnectorRecords {
            connectors,
            problems,
        }
    },
    stream: Some(|_, text, _, place, facts| {
        let mut repeated = RepeatedFacts::default();
        let mut read = 0u64;
        let problems = receive_connector::read(text, &mut |c| {
            read += 1;
            count(c, &mut repeated, place, facts);
        });
        repeated.finish(place, facts);
        Streamed { read, problems }
    }),
};

/// The connectors of one export.
#[derive(Debug)]
pub struct ConnectorRecords {
    pub connectors: Vec<ConnectorAuth>,
    pub problems: Problems,
}

impl Records for ConnectorRecords {
    fn problems(&self) -> &Problems {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.connectors.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let mut repeated = RepeatedFacts::default();
        for c in &self.connectors {
            count(c.clone(), &mut repeated, place, out);
        }
        repeated.finish(place, out);
    }
}

/// A connector's fact, counted with those of the same settings wherever
/// they were read.
fn count(c: ConnectorAuth, repeated: &mut RepeatedFacts, place: Place<'_>, out: &mut Extracted) {
    let key = serde_json::to_string(&ConnectorAuth {
        location: Location::File,
        ..c.clone()
    })
    .unwrap_or_default();
    repeated.add_keyed(Fact::ConnectorAuth(c), key, None, place, out);
}
