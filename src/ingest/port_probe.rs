//! Port tests: `Test-NetConnection` and `portqry` output (Kerberos 88 and
//! 464 to the DCs, SMTP between the servers).

use super::diag::CommandOutput;
use super::{untimed, Extracted, Place, Records};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::portqry::{self, PortProbe, PortState, Transport};
use exauth_parsers::diag::test_netconnection;
use exauth_parsers::problem::Problem;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<PortProbeRecords> = CommandOutput {
    kinds: &[Kind::TEST_NETCONNECTION, Kind::PORTQRY],
    source: Source::PortTest,
    parse: |kind, text, _| {
        let (probes, problems) = if kind == Kind::PORTQRY {
            portqry::parse(text)
        } else {
            test_netconnection::parse(text)
        };
        PortProbeRecords { probes, problems }
    },
};

/// The probes of one output.
#[derive(Debug)]
pub struct PortProbeRecords {
    pub probes: Vec<PortProbe>,
    pub problems: Vec<Problem>,
}

impl Records for PortProbeRecords {
    fn problems(&self) -> &[Problem] {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.probes.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let push = |line: Option<u64>, fact: Fact, out: &mut Extracted| {
            out.evidence.push(untimed(place, line, fact))
        };
        let _ = &push;
        for p in &self.probes {
            let Some(port) = p.port else { continue };
            let reachable = match p.state {
                Some(PortState::Listening) => Some(true),
                Some(PortState::NotListening | PortState::Filtered | PortState::NotReachable) => {
                    Some(false)
                }
                Some(PortState::ListeningOrFiltered) | None => None,
            };
            push(
                Some(p.line),
                Fact::PortProbe {
                    target: p
                        .target
                        .clone()
                        .or_else(|| p.remote_address.map(|a| a.to_string()))
                        .unwrap_or_default(),
                    port,
                    protocol: match p.transport {
                        Transport::Tcp => "tcp".into(),
                        Transport::Udp => "udp".into(),
                    },
                    reachable,
                    result: p
                        .state
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "unknown".into()),
                },
                out,
            );
        }
    }
}
