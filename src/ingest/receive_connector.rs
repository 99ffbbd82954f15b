//! `Get-ReceiveConnector` output (Format-List or CliXml): bindings, remote
//! IP ranges and authentication mechanisms of each connector.

use super::diag::CommandOutput;
use super::{untimed, Extracted, Place, Records};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::receive_connector::{self, ConnectorAuth};
use exauth_parsers::problem::Problem;

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
    stream: None,
};

/// The connectors of one export.
#[derive(Debug)]
pub struct ConnectorRecords {
    pub connectors: Vec<ConnectorAuth>,
    pub problems: Vec<Problem>,
}

impl Records for ConnectorRecords {
    fn problems(&self) -> &[Problem] {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.connectors.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let push = |line: Option<u64>, fact: Fact, out: &mut Extracted| {
            out.evidence.push(untimed(place, line, fact))
        };
        let _ = &push;
        for c in &self.connectors {
            push(None, Fact::ConnectorAuth(c.clone()), out);
        }
    }
}
