//! `Test-NetConnection <DC> -Port 88` output (a Format-List object).
//!
//! Fields `ComputerName`, `RemoteAddress`, `RemotePort`, `InterfaceAlias`,
//! `SourceAddress`, `TcpTestSucceeded : True|False`; a failure also prints
//! `WARNING: TCP connect to (<ip> : 88) failed` before the object. TCP only —
//! UDP 88 cannot be tested with it. Read with the generic Format-List reader;
//! each `WARNING:` line is attached to the object that follows it.

use super::portqry::{PortProbe, PortState, ProbeTool, Transport};
use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem, Problems};
use crate::queue::format_list;
use crate::reread::Reread;

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
pub fn parse(text: &str) -> (Vec<PortProbe>, Problems) {
    let mut out: Vec<PortProbe> = Vec::new();
    let (warnings, mut problems) = read_with(&mut text.as_bytes(), &mut |p| out.push(p));
    // Each `WARNING:` line goes to the result printed after it (the last
    // when none is).
    for (line, w) in warnings {
        let idx = out
            .iter()
            .position(|p| p.line > line)
            .or_else(|| out.len().checked_sub(1));
        match idx.and_then(|k| out.get_mut(k)) {
            Some(p) => p.warnings.push(w),
            None => problems.push(warning_without_result(line, &w)),
        }
    }
    (out, problems)
}

/// Reads Test-NetConnection results as [`parse`] does, handing each to
/// `each` as its object ends instead of keeping it: run in a loop (`while
/// ($true) { Test-NetConnection DC01 -Port 88; sleep 5 }`, to catch a firewall
/// that drops Kerberos now and then) it prints a result every few seconds
/// for days. The `WARNING:` lines are not attached to their results (which
/// are gone by then): a warning is a problem only when no result was read.
/// Returns the problems.
pub fn read(text: &mut dyn Reread, each: &mut dyn FnMut(PortProbe)) -> Problems {
    let mut results = 0u64;
    let (warnings, mut problems) = read_with(text, &mut |p| {
        results += 1;
        each(p);
    });
    if results == 0 {
        problems.extend(
            warnings
                .iter()
                .map(|(line, w)| warning_without_result(*line, w)),
        );
    }
    problems
}

fn warning_without_result(line: u64, warning: &str) -> Problem {
    Problem::new(
        Location::Line(line),
        format!("warning without a result: {warning}"),
    )
}

/// The results of a text to `each` as they end (its `Format-List` read in
/// two passes: how values were wrapped, then the objects); the `WARNING:`
/// lines (line, text) and the problems.
fn read_with(
    text: &mut dyn Reread,
    each: &mut dyn FnMut(PortProbe),
) -> (Vec<(u64, String)>, Problems) {
    let mut problems = Problems::new();
    let read = format_list::each_object_in_passes(text, &[], &mut |o| {
        if let Some(p) = result_of(&o) {
            each(p);
        }
    });
    let stray = match read {
        Ok(found) => {
            problems.extend(found.cut_problems());
            problems.count_more(found.not_kept);
            found.stray
        }
        Err(e) => {
            problems.push(Problem::new(
                Location::File,
                format!("cannot read the text: {e}"),
            ));
            Vec::new()
        }
    };
    let mut warnings = Vec::new();
    for s in stray {
        let text = s.text.trim();
        match text
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("WARNING:"))
            .and_then(|_| text.get(8..))
        {
            Some(w) => warnings.push((s.line, w.trim().to_string())),
            None => problems.push(Problem::new(
                Location::Line(s.line),
                format!("unexpected line: {text}"),
            )),
        }
    }
    (warnings, problems)
}

/// The result an object holds; `None` for an object that is none.
fn result_of(o: &crate::queue::PropertyObject) -> Option<PortProbe> {
    o.get(&["computername", "remoteaddress", "tcptestsucceeded"])?;
    let line = match o.location {
        Location::Line(n) => n,
        _ => 0,
    };
    let tcp = o.get(&["tcptestsucceeded"]).and_then(|v| v.as_bool());
    Some(PortProbe {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESULT: &str = "WARNING: TCP connect to (10.0.0.10 : 88) failed\r\n\r\nComputerName           : dc01.contoso.com\r\nRemoteAddress          : 10.0.0.10\r\nRemotePort             : 88\r\nTcpTestSucceeded       : False\r\n\r\nComputerName           : dc02.contoso.com\r\nRemoteAddress          : 10.0.0.11\r\nRemotePort             : 464\r\nTcpTestSucceeded       : True\r\n\r\n";

    /// Results run in a loop, a stray line among them: each handed over as
    /// its object ends, as parse() keeps them (but the warnings, which stay
    /// with parse()); the same problems.
    #[test]
    fn results_read_as_they_end_are_the_results_parsed() {
        let text = format!("{RESULT}{RESULT}something else\r\n{RESULT}");
        let mut handed = Vec::new();
        let problems = read(&mut text.as_bytes(), &mut |p| handed.push(p));
        let (mut parsed, parsed_problems) = parse(&text);
        assert!(parsed.iter().step_by(2).all(|p| p.warnings.len() == 1));
        for p in &mut parsed {
            p.warnings.clear();
        }
        assert_eq!(handed, parsed);
        assert_eq!(handed.len(), 6);
        assert_eq!(problems, parsed_problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let seen: Vec<_> = handed
            .iter()
            .map(|p| (p.line, p.port, p.state))
            .take(2)
            .collect();
        assert_eq!(
            seen,
            [
                (3, Some(88), Some(PortState::NotReachable)),
                (8, Some(464), Some(PortState::Listening))
            ]
        );
    }

    /// A warning with no result at all is a problem; with results, it is not
    /// (it belongs to one).
    #[test]
    fn a_warning_alone_is_a_problem() {
        let alone = "WARNING: Name resolution of dc09 failed\r\n";
        let problems = read(&mut alone.as_bytes(), &mut |_| panic!("no result"));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("warning without a result"));
        assert_eq!(parse(alone).1, problems);
        assert!(read(&mut RESULT.as_bytes(), &mut |_| {}).is_empty());
    }

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
