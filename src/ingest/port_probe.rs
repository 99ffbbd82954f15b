//! Port tests: `Test-NetConnection` and `portqry` output (Kerberos 88 and
//! 464 to the DCs, SMTP between the servers).
//!
//! Both are streamed ([`CommandOutput::stream`]): run in a loop to catch a
//! firewall that drops Kerberos now and then, their output holds a probe
//! every few seconds for days. A probe repeated in one output (same target, port,
//! protocol and result) is one fact that counts them ([`RepeatedFacts`]).

use super::diag::{CommandOutput, RepeatedFacts, Streamed};
use super::{Extracted, Place, Records};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::portqry::{self, PortProbe, PortState, Transport};
use exauth_parsers::diag::test_netconnection;
use exauth_parsers::problem::Problems;

/// The input of port tests (one line in `ingest::INPUTS`): parsed when held
/// whole, otherwise streamed ([`CommandOutput`]) — each probe counted
/// as it is read (a portqry line, a Test-NetConnection result as its object
/// ends).
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
    stream: Some(|kind, text, _, place, facts| {
        let mut repeated = RepeatedFacts::default();
        let mut read = 0u64;
        let mut each = |probe: PortProbe| {
            read += 1;
            if let Some(fact) = probe_fact(&probe) {
                repeated.add(fact, probe.line, place, facts);
            }
        };
        let problems = if kind == Kind::PORTQRY {
            portqry::read(text, &mut each)
        } else {
            test_netconnection::read(text, &mut each)
        };
        repeated.finish(place, facts);
        Streamed { read, problems }
    }),
};

/// The probes of one output.
#[derive(Debug)]
pub struct PortProbeRecords {
    pub probes: Vec<PortProbe>,
    pub problems: Problems,
}

impl Records for PortProbeRecords {
    fn problems(&self) -> &Problems {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.probes.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let mut repeated = RepeatedFacts::default();
        for p in &self.probes {
            if let Some(fact) = probe_fact(p) {
                repeated.add(fact, p.line, place, out);
            }
        }
        repeated.finish(place, out);
    }
}

/// A probe's fact; `None` for one that names no port.
fn probe_fact(p: &PortProbe) -> Option<Fact> {
    let port = p.port?;
    let reachable = match p.state {
        Some(PortState::Listening) => Some(true),
        Some(PortState::NotListening | PortState::Filtered | PortState::NotReachable) => {
            Some(false)
        }
        Some(PortState::ListeningOrFiltered) | None => None,
    };
    Some(Fact::PortProbe {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::diag::DISTINCT_A_BATCH;
    use exauth_parsers::diag::portqry::ProbeTool;

    fn probe(line: u64, target: &str, state: PortState) -> PortProbe {
        PortProbe {
            tool: ProbeTool::Portqry,
            line,
            target: Some(target.to_string()),
            remote_address: None,
            port: Some(88),
            transport: Transport::Tcp,
            state: Some(state),
            service: Some("kerberos".into()),
            source_address: None,
            warnings: Vec::new(),
        }
    }

    /// One output of more distinct probes than a batch holds, each said
    /// twice, and one result that changes: every probe is counted once, in a
    /// fact per distinct probe at its first line, in the order read.
    #[test]
    fn repeated_probes_are_counted_in_facts_of_the_first_line() {
        let distinct = DISTINCT_A_BATCH + 10;
        let mut probes = Vec::new();
        for i in 0..distinct {
            let line = probes.len() as u64 + 1;
            probes.push(probe(line, &format!("DC{i}"), PortState::Listening));
            probes.push(probe(line + 1, &format!("DC{i}"), PortState::Listening));
        }
        let flaky = probes.len() as u64 + 1;
        probes.push(probe(flaky, "DC0", PortState::Filtered));
        let read = probes.len() as u64;
        let records = PortProbeRecords {
            probes,
            problems: Problems::new(),
        };
        let place = Place {
            origin: "EX01/EX01_portqry.txt",
            server: Some("EX01"),
        };
        let (parts, rest, _) = crate::ingest::extract_in_parts(&records, place);
        let all: Vec<_> = parts.into_iter().flatten().chain(rest).collect();
        assert_eq!(all.len(), distinct + 1);
        assert_eq!(all.iter().map(|e| e.represents).sum::<u64>(), read);
        for (i, e) in all.iter().take(distinct).enumerate() {
            assert_eq!(e.origin, format!("{}:{}", place.origin, 2 * i + 1));
            assert_eq!(e.represents, 2);
            assert!(
                matches!(&e.fact, Fact::PortProbe { target, reachable: Some(true), .. } if *target == format!("DC{i}")),
                "{:?}",
                e.fact
            );
        }
        let last = all.last().unwrap();
        assert_eq!(last.origin, format!("{}:{flaky}", place.origin));
        assert!(matches!(
            &last.fact,
            Fact::PortProbe {
                reachable: Some(false),
                ..
            }
        ));
        assert_eq!(last.represents, 1);
    }
}
