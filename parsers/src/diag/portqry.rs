//! `portqry -n <DC> -e 88 -p both` and `Test-NetConnection` share the
//! [`PortProbe`] record defined here: can this server reach Kerberos (88),
//! kpasswd (464), LDAP, RPC, DNS, NTP or SMTP on its peer?
//!
//! portqry prints one line per protocol, `TCP port 88 (kerberos service):
//! LISTENING`, with states LISTENING, NOT LISTENING, FILTERED and `LISTENING
//! or FILTERED` (usual for UDP, which cannot be confirmed); the target is
//! on the line after `Querying target system called:` and `Name resolved to
//! <ip>` gives the address. portqry is not localized.

use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem, Problems};
use crate::reread::{each_line, Reread};
use nom::bytes::complete::{tag_no_case, take_until, take_while1};
use nom::character::complete::{char as ch, digit1, space1};
use nom::combinator::map_res;
use nom::{IResult, Parser};
use serde::Serialize;
use std::net::IpAddr;
use std::ops::ControlFlow;

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[Kind::PORTQRY],
    describes: "portqry: `Querying target system called:` / `TCP port 88 …: LISTENING`",
    detect: |head| Format::command_output(Kind::PORTQRY, head, looks_like),
    name_prefix: Some("portqry"),
};

/// Which tool produced a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeTool {
    Portqry,
    TestNetConnection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Tcp,
    Udp,
}

/// What the probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortState {
    Listening,
    NotListening,
    Filtered,
    /// UDP without an answer: open or dropped, cannot tell.
    ListeningOrFiltered,
    /// Test-NetConnection `TcpTestSucceeded : False`: closed or filtered.
    NotReachable,
}

/// In words, as a report says it.
impl std::fmt::Display for PortState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PortState::Listening => "listening",
            PortState::NotListening => "not listening",
            PortState::Filtered => "filtered",
            PortState::ListeningOrFiltered => "listening or filtered",
            PortState::NotReachable => "not reachable",
        })
    }
}

impl PortState {
    /// portqry's state text.
    pub fn parse(text: &str) -> Option<PortState> {
        let t = text.trim().trim_end_matches('.').to_ascii_uppercase();
        match t.as_str() {
            "LISTENING" => Some(PortState::Listening),
            "NOT LISTENING" => Some(PortState::NotListening),
            "FILTERED" => Some(PortState::Filtered),
            "LISTENING OR FILTERED" => Some(PortState::ListeningOrFiltered),
            _ => None,
        }
    }
}

/// One port test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortProbe {
    pub tool: ProbeTool,
    pub line: u64,
    pub target: Option<String>,
    pub remote_address: Option<IpAddr>,
    pub port: Option<u16>,
    pub transport: Transport,
    pub state: Option<PortState>,
    /// portqry's `(kerberos service)` name.
    pub service: Option<String>,
    /// Test-NetConnection `SourceAddress`.
    pub source_address: Option<String>,
    /// `WARNING: …` lines printed for this test.
    pub warnings: Vec<String>,
}

/// Cheap content check.
pub fn looks_like(text_head: &str) -> bool {
    text_head
        .lines()
        .take(60)
        .any(|l| port_line(l.trim()).is_ok())
        || text_head.contains("Querying target system called:")
}

type PortLine<'a> = (Transport, u16, &'a str, &'a str);

/// `TCP port 88 (kerberos service): LISTENING`.
fn port_line(i: &str) -> IResult<&str, PortLine<'_>> {
    let (i, proto) = take_while1(|c: char| c.is_ascii_alphabetic()).parse(i)?;
    let transport = match proto.to_ascii_uppercase().as_str() {
        "TCP" => Transport::Tcp,
        "UDP" => Transport::Udp,
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Tag,
            )))
        }
    };
    let (i, _) = (space1, tag_no_case("port"), space1).parse(i)?;
    let (i, port) = map_res(digit1, str::parse::<u16>).parse(i)?;
    let (i, _) = (space1, ch('(')).parse(i)?;
    let (i, service) = take_until("):").parse(i)?;
    let (state, _) = nom::bytes::complete::tag("):").parse(i)?;
    Ok(("", (transport, port, service, state.trim())))
}

/// Parses portqry output.
pub fn parse(text: &str) -> (Vec<PortProbe>, Problems) {
    let mut probes = Vec::new();
    let problems = read(&mut text.as_bytes(), &mut |p| probes.push(p));
    (probes, problems)
}

/// Reads portqry output a line at a time as [`parse`] does, handing each
/// probe to `each` as its line is read instead of keeping it: an output of
/// portqry run in a loop (every few seconds for days, to catch a firewall
/// that drops Kerberos now and then) holds hundreds of thousands. Returns
/// the problems.
pub fn read(text: &mut dyn Reread, each: &mut dyn FnMut(PortProbe)) -> Problems {
    let mut lines = Lines::default();
    let read = text.read_from_start().and_then(|mut t| {
        each_line(&mut *t, &mut |n, line| {
            lines.line(n, line, each);
            ControlFlow::Continue(())
        })
    });
    if let Err(e) = read {
        lines.problems.push(Problem::new(
            Location::File,
            format!("cannot read the text: {e}"),
        ));
    }
    lines.problems
}

/// What the lines read so far say about the ones to come.
#[derive(Default)]
struct Lines {
    target: Option<String>,
    address: Option<IpAddr>,
    /// `Querying target system called:` ended its line: the target is on
    /// the next one that is not blank.
    want_target: bool,
    problems: Problems,
}

impl Lines {
    fn line(&mut self, n: u64, raw: &str, each: &mut dyn FnMut(PortProbe)) {
        let t = raw.trim().trim_start_matches('\u{feff}');
        if t.is_empty() {
            return;
        }
        if self.want_target {
            self.target = Some(t.to_string());
            self.want_target = false;
            return;
        }
        if t.starts_with("Querying target system called") {
            let after = t.split_once(':').map(|(_, r)| r.trim()).unwrap_or("");
            if after.is_empty() {
                self.want_target = true;
            } else {
                self.target = Some(after.to_string());
            }
            return;
        }
        if let Some(rest) = t.strip_prefix("Name resolved to ") {
            self.address = rest.trim().trim_end_matches('.').parse().ok();
            return;
        }
        if let Ok((_, (transport, port, service, state))) = port_line(t) {
            let parsed = PortState::parse(state);
            if parsed.is_none() {
                self.problems.push(Problem::new(
                    Location::Line(n),
                    format!("unknown port state `{state}`"),
                ));
            }
            each(PortProbe {
                tool: ProbeTool::Portqry,
                line: n,
                target: self.target.clone(),
                remote_address: self
                    .address
                    .or_else(|| self.target.as_deref().and_then(|t| t.parse().ok())),
                port: Some(port),
                transport,
                state: parsed,
                service: Some(service.trim().trim_end_matches(" service").to_string())
                    .filter(|s| !s.is_empty()),
                source_address: None,
                warnings: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// portqry run once per DC and pasted into one file, CRLF, a byte order
    /// mark: each probe names the target and address of its own block, at its
    /// own line, handed over as read and the same as parse() keeps.
    #[test]
    fn each_block_names_its_own_target() {
        let text = "\u{feff}Querying target system called:\r\n\r\n dc01.contoso.com\r\n\r\nName resolved to 10.0.0.10\r\n\r\nTCP port 88 (kerberos service): LISTENING\r\n\r\nQuerying target system called: dc02.contoso.com\r\nName resolved to 10.0.0.11.\r\nTCP port 464 (kpasswd service): FILTERED\r\nUDP port 88 (kerberos service): STRANGE\r\n";
        let mut handed = Vec::new();
        let problems = read(&mut text.as_bytes(), &mut |p| handed.push(p));
        let (parsed, parsed_problems) = parse(text);
        assert_eq!(handed, parsed);
        assert_eq!(problems, parsed_problems);
        let seen: Vec<_> = handed
            .iter()
            .map(|p| {
                (
                    p.line,
                    p.target.as_deref(),
                    p.remote_address.map(|a| a.to_string()),
                    p.port,
                    p.state,
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    7,
                    Some("dc01.contoso.com"),
                    Some("10.0.0.10".into()),
                    Some(88),
                    Some(PortState::Listening)
                ),
                (
                    11,
                    Some("dc02.contoso.com"),
                    Some("10.0.0.11".into()),
                    Some(464),
                    Some(PortState::Filtered)
                ),
                (
                    12,
                    Some("dc02.contoso.com"),
                    Some("10.0.0.11".into()),
                    Some(88),
                    None
                ),
            ]
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location, Location::Line(12));
    }

    #[test]
    fn both_protocols() {
        let (p, problems) = parse("Querying target system called:\r\n\r\n dc01.contoso.com\r\n\r\nAttempting to resolve name to IP address...\r\n\r\nName resolved to 10.0.0.10\r\n\r\nquerying...\r\n\r\nTCP port 88 (kerberos service): LISTENING\r\n\r\nUDP port 88 (kerberos service): LISTENING or FILTERED\r\n");
        assert!(problems.is_empty());
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].state, Some(PortState::Listening));
        assert_eq!(p[0].service.as_deref(), Some("kerberos"));
        assert_eq!(p[1].transport, Transport::Udp);
        assert_eq!(p[1].state, Some(PortState::ListeningOrFiltered));
        assert_eq!(p[1].target.as_deref(), Some("dc01.contoso.com"));
        assert_eq!(p[1].remote_address, "10.0.0.10".parse().ok());
    }
}
