//! `Test-NetConnection <DC> -Port 88` output (a Format-List object).
//!
//! Fields `ComputerName`, `RemoteAddress`, `RemotePort`, `InterfaceAlias`,
//! `SourceAddress`, `TcpTestSucceeded : True|False`; a failure also prints
//! `WARNING: TCP connect to (<ip> : 88) failed` before the object. TCP only —
//! UDP 88 cannot be tested with it. Read with the generic Format-List reader;
//! each `WARNING:` line is attached to the object that follows it.

use super::portqry::{PortProbe, PortState, ProbeTool, Transport};
use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem};
use crate::queue::format_list;

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[Kind::TEST_NETCONNECTION],
    describes: "Test-NetConnection output (`TcpTestSucceeded`)",
    detect: |head| Format::command_output(Kind::TEST_NETCONNECTION, head, looks_like),
    name_prefix: None,
};

/// Cheap content check.
pub fn looks_like(text_head: &str) -> bool {
    text_head.lines().any(|l| {
        format_list::split_property_line(l.trim_start_matches('\u{feff}'))
            .is_some_and(|(n, _, _)| n == "TcpTestSucceeded" || n == "PingSucceeded")
    })
}

/// Parses one or more Test-NetConnection results.
pub fn parse(text: &str) -> (Vec<PortProbe>, Vec<Problem>) {
    let (objs, stray) = format_list::read_objects(text);
    let mut problems = Vec::new();
    let mut out: Vec<PortProbe> = Vec::new();
    for o in &objs {
        if o.get(&["computername", "remoteaddress", "tcptestsucceeded"])
            .is_none()
        {
            continue;
        }
        let line = match o.location {
            Location::Line(n) => n,
            _ => 0,
        };
        let tcp = o.get(&["tcptestsucceeded"]).and_then(|v| v.as_bool());
        out.push(PortProbe {
            tool: ProbeTool::TestNetConnection,
            line,
            target: o.text(&["computername"]),
            remote_address: o.text(&["remoteaddress"]).and_then(|a| a.parse().ok()),
            port: o.text(&["remoteport"]).and_then(|p| p.parse().ok()),
            transport: Transport::Tcp,
            state: tcp.map(|ok| {
                if ok {
                    PortState::Listening
                } else {
                    PortState::NotReachable
                }
            }),
            service: None,
            source_address: o.text(&["sourceaddress"]),
            warnings: Vec::new(),
        });
    }
    for s in stray {
        let text = s.text.trim();
        let Some(w) = text
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("WARNING:"))
            .and_then(|_| text.get(8..))
        else {
            problems.push(Problem::new(
                Location::Line(s.line),
                format!("unexpected line: {text}"),
            ));
            continue;
        };
        let idx = out
            .iter()
            .position(|p| p.line > s.line)
            .or_else(|| out.len().checked_sub(1));
        match idx.and_then(|k| out.get_mut(k)) {
            Some(p) => p.warnings.push(w.trim().to_string()),
            None => problems.push(Problem::new(
                Location::Line(s.line),
                format!("warning without a result: {}", w.trim()),
            )),
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_tcp_test_with_warning() {
        let (p, problems) = parse("WARNING: TCP connect to (10.0.0.10 : 88) failed\r\n\r\n\r\nComputerName           : dc01.contoso.com\r\nRemoteAddress          : 10.0.0.10\r\nRemotePort             : 88\r\nInterfaceAlias         : Ethernet\r\nSourceAddress          : 10.0.0.11\r\nPingSucceeded          : True\r\nPingReplyDetails (RTT) : 0 ms\r\nTcpTestSucceeded       : False\r\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].state, Some(PortState::NotReachable));
        assert_eq!(p[0].port, Some(88));
        assert_eq!(p[0].remote_address, "10.0.0.10".parse().ok());
        assert_eq!(p[0].warnings, ["TCP connect to (10.0.0.10 : 88) failed"]);
    }
}
