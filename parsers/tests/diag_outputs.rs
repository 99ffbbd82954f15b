//! Diagnostic command outputs: the real samples of FORMATS.md §4 and variants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::detect::Kind;
use exauth_parsers::diag::portqry::{PortState, ProbeTool, Transport};
use exauth_parsers::diag::receive_connector::{self, select_connector, IpRange};
use exauth_parsers::diag::repadmin::{self, ReplDelta, ReplSummaryTable};
use exauth_parsers::diag::w32tm::{self, ClockSourceKind};
use exauth_parsers::diag::{klist, nltest, portqry, setspn, test_netconnection};

/// The kind the format registry gives a text (a neutral file name: content
/// decides).
fn detect(text: &str) -> Kind {
    exauth_parsers::detect::detect(text.as_bytes(), "output.txt").kind
}
use exauth_parsers::queue::DateOrderOption;
use jiff::civil::date;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test IP")
}

#[test]
fn setspn_list_real_shape_with_tabs() {
    let text = "Registered ServicePrincipalNames for CN=iis_service,CN=Users,DC=corp,DC=com:\n\tHTTP/web01.corp.com\n\tHTTP/web01\n";
    assert_eq!(detect(text), Kind::SETSPN);
    let o = setspn::parse(text);
    assert_eq!(o.listings.len(), 1);
    assert_eq!(
        o.listings[0].account_dn,
        "CN=iis_service,CN=Users,DC=corp,DC=com"
    );
    assert_eq!(o.listings[0].spns, ["HTTP/web01.corp.com", "HTTP/web01"]);
}

#[test]
fn setspn_x_with_two_duplicate_groups() {
    let text = "Checking forest DC=company,DC=com\r\nOperation will be performed forestwide, it might take a while.\r\nProcessing entry 0\r\nMSSQLSvc/sqlserver.corp.firma.com is registered on these accounts:\r\n    CN=sqlservice_old,OU=Service Accounts,DC=corp,DC=firma,DC=com\r\n    CN=sqlservice,OU=Service Accounts,DC=corp,DC=firma,DC=com\r\n\r\nProcessing entry 1\r\nSMTPSVC/EX02.contoso.com is registered on these accounts:\r\n    CN=EX02,OU=Servers,DC=contoso,DC=com\r\n    CN=EX02-OLD,OU=Disabled,DC=contoso,DC=com\r\n\r\nfound 2 groups of duplicate SPNs.\r\n";
    let o = setspn::parse(text);
    assert_eq!(o.scopes_checked, ["DC=company,DC=com"]);
    let d = o.duplicates.expect("duplicates");
    assert!(d.forest_wide);
    assert_eq!(d.reported_group_count, Some(2));
    assert_eq!(d.groups.len(), 2);
    assert_eq!(d.groups[1].spn, "SMTPSVC/EX02.contoso.com");
    assert_eq!(d.groups[1].accounts.len(), 2);
    assert_eq!(
        d.groups[1].accounts[1],
        "CN=EX02-OLD,OU=Disabled,DC=contoso,DC=com"
    );
    assert!(o.problems.is_empty(), "{:?}", o.problems);
}

#[test]
fn setspn_x_none_and_query_outcomes() {
    let o = setspn::parse(
        "Checking domain DC=company,DC=com\nProcessing entry 0\nfound 0 group of duplicate SPNs.\n",
    );
    let d = o.duplicates.expect("dups");
    assert_eq!(d.reported_group_count, Some(0));
    assert!(d.groups.is_empty() && !d.forest_wide);
    let q = setspn::parse("Checking domain DC=contoso,DC=com\nCN=EX02,OU=Servers,DC=contoso,DC=com\n        SMTPSVC/EX02.contoso.com\n        SMTPSVC/EX02\n\nExisting SPN found!\n");
    assert_eq!(q.query_outcome, Some(setspn::SpnQueryOutcome::Found));
    assert_eq!(
        q.listings[0].account_dn,
        "CN=EX02,OU=Servers,DC=contoso,DC=com"
    );
    assert_eq!(q.listings[0].spns.len(), 2);
    let q = setspn::parse("Checking domain DC=contoso,DC=com\n\nNo such SPN found.\n");
    assert_eq!(q.query_outcome, Some(setspn::SpnQueryOutcome::NotFound));
    assert!(q.listings.is_empty());
}

#[test]
fn w32tm_status_unsynchronized_and_verbose() {
    let o = w32tm::parse("Leap Indicator: 3(not synchronized)\nStratum: 0 (unspecified)\nPrecision: -23 (119.209ns per tick)\nRoot Delay: 0.0000000s\nRoot Dispersion: 0.0000000s\nReferenceId: 0x4C4F434C (source name:  \"LOCL\")\nLast Successful Sync Time: unspecified\nSource: Local CMOS Clock\nPoll Interval: 6 (64s)\n\nPhase Offset: -0.0038147s\nLast Sync Error: 2 (The computer did not resync because only stale time data was available.)\nTime since Last Good Sync Time: 2820.1997480s\n", DateOrderOption::Infer);
    let st = o.status.expect("status");
    assert_eq!(st.synchronized, Some(false));
    assert!(st.local_clock_source);
    assert_eq!(st.last_successful_sync, None);
    assert_eq!(st.phase_offset_seconds, Some(-0.0038147));
    assert_eq!(st.time_since_last_good_sync_seconds, Some(2820.199748));
    assert_eq!(o.measurements.len(), 1);
    assert_eq!(o.measurements[0].kind, ClockSourceKind::QueryStatus);
}

#[test]
fn w32tm_status_localized_positional() {
    let text = "跳跃指示器: 0(无警告)\n层次: 2 (次引用 - 与(S)NTP 同步)\n精度: -23 (每刻度 119.209ns)\n根延迟: 0.0312500s\n根分散: 7.8125000s\n引用 ID: 0x0A000001 (源 IP:  10.0.0.1)\n上次成功同步时间: 2026/9/15 10:00:00\n源: DC01.contoso.com\n轮询间隔: 10 (1024s)\n";
    let o = w32tm::parse(text, DateOrderOption::Infer);
    let st = o.status.expect("status");
    assert_eq!(st.stratum, Some(2));
    assert_eq!(st.source.as_deref(), Some("DC01.contoso.com"));
    assert_eq!(
        st.last_successful_sync.map(|t| t.local),
        Some(date(2026, 9, 15).at(10, 0, 0, 0))
    );
}

#[test]
fn w32tm_stripchart_dataonly_and_full() {
    let text = "Tracking ntp1.dc1.example.com [10.0.1.10:123].\nCollecting 5 samples.\nThe current time is 1/16/2026 2:23:45 PM.\n14:23:45, +00.0002450s\n14:23:47, -88.4500000s\n14:23:49, error: 0x800705B4\n";
    assert_eq!(detect(text), Kind::W32TM);
    let o = w32tm::parse(text, DateOrderOption::Infer);
    let m = &o.measurements;
    assert_eq!(m.len(), 3);
    assert!(m.iter().all(|x| x.kind == ClockSourceKind::Stripchart));
    assert_eq!(m[0].target.as_deref(), Some("ntp1.dc1.example.com"));
    assert_eq!(m[0].target_address.as_deref(), Some("10.0.1.10:123"));
    assert_eq!(m[0].offset_seconds, Some(0.000245));
    assert_eq!(m[1].offset_seconds, Some(-88.45));
    assert_eq!(
        m[1].sample_time.map(|t| t.local),
        Some(date(2026, 1, 16).at(14, 23, 47, 0))
    );
    assert_eq!(m[2].error.as_deref(), Some("0x800705B4"));
    assert_eq!(m[2].offset_seconds, None);
    let full = w32tm::parse("Tracking dc01 [10.0.0.10:123].\nThe current time is 26.11.2026 10:40:05.\n10:40:05, d:+00.0009766s o:+312.1234567s  [                           |                           ]\n", DateOrderOption::Infer);
    assert_eq!(full.measurements[0].offset_seconds, Some(312.1234567));
    assert_eq!(full.measurements[0].delay_seconds, Some(0.0009766));
    assert_eq!(
        full.measurements[0].sample_time.map(|t| t.local),
        Some(date(2026, 11, 26).at(10, 40, 5, 0))
    );
}

/// A `/monitor` of one host, then a stripchart of `samples` offsets every
/// 2 s from 10:40:05 on 26.11.2026 (+300 s to +349 s, by turns).
fn monitor_then_stripchart(samples: u32) -> String {
    let mut text = String::from("DC1.example.com[10.0.0.1:123]:\n    ICMP: 0ms delay\n    NTP: -0.0063029s offset from PDC.example.com\n        Stratum: 5\nTracking dc01 [10.0.0.10:123].\nThe current time is 26.11.2026 10:40:05.\n");
    for i in 0..samples {
        let t = 10 * 3600 + 40 * 60 + 5 + 2 * i;
        text.push_str(&format!(
            "{:02}:{:02}:{:02}, +{}.0000000s\n",
            t / 3600 % 24,
            t / 60 % 60,
            t % 60,
            300 + i % 50
        ));
    }
    text
}

/// A stripchart after a `/monitor` in one file (outputs pasted together): the
/// monitor's hosts come first, then the stripchart's samples in their order,
/// each dated by the stripchart's `The current time is …`, however many.
#[test]
fn w32tm_monitor_then_a_long_stripchart() {
    const SAMPLES: u32 = 20_000;
    let text = monitor_then_stripchart(SAMPLES);
    let o = w32tm::parse(&text, DateOrderOption::Infer);
    let m = &o.measurements;
    assert_eq!(m.len(), SAMPLES as usize + 1);
    assert_eq!(m[0].kind, ClockSourceKind::Monitor);
    assert_eq!(m[0].target.as_deref(), Some("DC1.example.com"));
    for (i, sample) in m[1..].iter().enumerate() {
        assert_eq!(sample.kind, ClockSourceKind::Stripchart);
        assert_eq!(sample.target.as_deref(), Some("dc01"));
        assert_eq!(sample.line, i as u64 + 7);
        assert_eq!(sample.offset_seconds, Some(f64::from(300 + i as u32 % 50)));
    }
    let last = SAMPLES - 1;
    let t = 10 * 3600 + 40 * 60 + 5 + 2 * last;
    assert_eq!(
        m[SAMPLES as usize].sample_time.map(|t| t.local),
        Some(date(2026, 11, 26).at(
            (t / 3600 % 24) as i8,
            (t / 60 % 60) as i8,
            (t % 60) as i8,
            0
        ))
    );
}

/// The stripchart `w32tm::read` streams: every sample handed over once, in
/// line order, as `parse` keeps it (dated alike), none kept in the output;
/// the monitor's host, the status and the count in the output.
#[test]
fn w32tm_read_hands_each_sample_over_as_parse_keeps_it() {
    let mut text = monitor_then_stripchart(3000);
    text.push_str("Leap Indicator: 0(no warning)\nStratum: 2 (secondary reference - syncd by (S)NTP)\nPrecision: -23 (119.209ns per tick)\nPhase Offset: 0.0001000s\nSource: DC01.example.com\n");
    let whole = w32tm::parse(&text, DateOrderOption::Infer);
    let mut handed = Vec::new();
    let streamed = w32tm::read(&mut text.as_bytes(), DateOrderOption::Infer, &mut |m| {
        handed.push(m)
    });
    let kept: Vec<_> = whole
        .measurements
        .iter()
        .filter(|m| m.kind == ClockSourceKind::Stripchart)
        .cloned()
        .collect();
    assert_eq!(handed.len(), 3000);
    assert_eq!(handed, kept);
    assert!(handed.iter().all(|m| m.sample_time.is_some()));
    assert_eq!(streamed.stripchart_samples, 3000);
    let rest: Vec<_> = streamed.measurements.iter().map(|m| m.kind).collect();
    assert_eq!(
        rest,
        [ClockSourceKind::Monitor, ClockSourceKind::QueryStatus],
        "no sample kept"
    );
    assert_eq!(streamed.status, whole.status);
    assert_eq!(streamed.date_order, whole.date_order);
    assert!(streamed.problems.is_empty(), "{:?}", streamed.problems);
}

/// An excerpt whose samples come before `The current time is …` (pasted in
/// another order), and one with no such line at all: each sample handed
/// over once, dated on the date found later, undated when there is none.
#[test]
fn w32tm_read_samples_before_their_date_or_without_one() {
    let late = "Tracking dc01 [10.0.0.10:123].\n10:40:05, +300.0000000s\n10:40:07, +301.0000000s\nThe current time is 26.11.2026 10:40:09.\n10:40:09, +302.0000000s\n";
    let mut handed = Vec::new();
    let out = w32tm::read(&mut late.as_bytes(), DateOrderOption::Infer, &mut |m| {
        handed.push(m)
    });
    let offsets: Vec<_> = handed.iter().map(|m| m.offset_seconds).collect();
    assert_eq!(offsets, [Some(300.0), Some(301.0), Some(302.0)]);
    assert_eq!(
        handed[0].sample_time.map(|t| t.local),
        Some(date(2026, 11, 26).at(10, 40, 5, 0))
    );
    assert_eq!(
        handed,
        w32tm::parse(late, DateOrderOption::Infer).measurements
    );
    assert_eq!(out.stripchart_samples, 3);
    let bare = "10:40:05, +300.0000000s\n10:40:07, +301.0000000s\n";
    let mut handed = Vec::new();
    let out = w32tm::read(&mut bare.as_bytes(), DateOrderOption::Infer, &mut |m| {
        handed.push(m)
    });
    assert_eq!(handed.len(), 2);
    assert!(handed.iter().all(|m| m.sample_time.is_none()));
    assert!(!out.is_empty());
}

/// A text that cannot be read again (its spool gone) is a problem of the
/// file, not a panic.
#[test]
fn w32tm_read_of_an_unreadable_text_is_a_problem() {
    struct Gone;
    impl exauth_parsers::reread::Reread for Gone {
        fn read_from_start(&mut self) -> std::io::Result<Box<dyn std::io::BufRead + '_>> {
            Err(std::io::Error::other("spool removed"))
        }
    }
    let out = w32tm::read(&mut Gone, DateOrderOption::Infer, &mut |_| {
        panic!("nothing to hand over")
    });
    assert!(out.is_empty());
    assert!(
        out.problems
            .iter()
            .any(|p| p.message.contains("spool removed")),
        "{:?}",
        out.problems
    );
}

#[test]
fn w32tm_monitor_real_sample_and_errors() {
    let text = "PDC.example.com *** PDC ***[192.168.xx.xx:123]:\n    ICMP: 0ms delay\n    NTP: +0.0000000s offset from PDC.example.com\n        RefID: time.cloudflare.com [162.159.200.123]\n        Stratum: 4\nDC1.example.com[192.168.x.xx:123]:\n    ICMP: 0ms delay\n    NTP: -0.0063029s offset from PDC.example.com\n        RefID: dc2k12.example.com [192.168.xx.xx]\n        Stratum: 5\nDC3.example.com [error WSAHOST_NOT_FOUND]\nDC4.example.com[10.0.0.4:123]:\n    ICMP: error IP_REQ_TIMED_OUT - no response in 1000ms\n    NTP: error ERROR_TIMEOUT - no response from server in 1000ms\n\nWarning:\nReverse name resolution is best effort. It may not be\ncorrect since RefID field in time packets differs across\nNTP implementations and may not be using IP addresses.\n";
    let o = w32tm::parse(text, DateOrderOption::Infer);
    let m = &o.measurements;
    assert_eq!(m.len(), 4, "{m:#?}");
    assert!(m[0].is_pdc);
    assert_eq!(m[0].target.as_deref(), Some("PDC.example.com"));
    assert_eq!(m[0].stratum, Some(4));
    assert_eq!(m[1].target.as_deref(), Some("DC1.example.com"));
    assert_eq!(m[1].offset_seconds, Some(-0.0063029));
    assert_eq!(m[1].reference.as_deref(), Some("PDC.example.com"));
    assert_eq!(m[1].delay_seconds, Some(0.0));
    assert_eq!(m[2].error.as_deref(), Some("WSAHOST_NOT_FOUND"));
    assert!(m[3]
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("ERROR_TIMEOUT")));
}

#[test]
fn repadmin_replsummary_real_and_failures() {
    let text = "Replication Summary Start Time: 2025-07-24 07:36:21\n\nBeginning data collection for replication summary, this may take awhile:\n  .....\n\n\nSource DSA          largest delta    fails/total %%   error\n AD-PICH                   42m:40s    0 /   5    0\n PICH-AD16                 43m:15s    0 /   5    0\n DC02                      09m:55s    1 /   4   25  (8524) The DSA operation is unable to proceed because of a DNS lookup failure.\n DC03                  3d.04h:02m:16s    5 /   5  100  (-2146893022) The target principal name is incorrect.\n DC04                     >60 days    5 /   5  100  (8614) The directory service cannot replicate with this server because the time since the last replication with this server has exceeded the tombstone lifetime.\n DC05                    (unknown)    1 /   1  100  (1722) The RPC server is unavailable.\n\nDestination DSA     largest delta    fails/total %%   error\n AD-PICH                   43m:15s    0 /   5    0\n\n\nExperienced the following operational errors trying to retrieve replication information:\n          58 - dc06.contoso.com\n";
    assert_eq!(detect(text), Kind::REPADMIN);
    let s = repadmin::parse_replsummary(text);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(
        s.start_time.map(|t| t.local),
        Some(date(2025, 7, 24).at(7, 36, 21, 0))
    );
    assert_eq!(s.rows.len(), 7);
    assert_eq!(
        s.rows[0].largest_delta,
        Some(ReplDelta::Seconds(42 * 60 + 40))
    );
    let dc02 = &s.rows[2];
    assert_eq!((dc02.fails, dc02.total, dc02.percent), (1, 4, Some(25)));
    assert_eq!(dc02.error_code, Some(8524));
    assert!(dc02
        .error_text
        .as_deref()
        .is_some_and(|t| t.contains("DNS lookup failure")));
    assert_eq!(s.rows[3].error_code, Some(-2146893022));
    assert_eq!(s.rows[4].largest_delta, Some(ReplDelta::MoreThanDays(60)));
    assert_eq!(s.rows[5].largest_delta, Some(ReplDelta::Unknown));
    assert_eq!(s.rows[6].table, ReplSummaryTable::Destination);
    assert_eq!(s.operational_errors, [(58, "dc06.contoso.com".to_string())]);
}

#[test]
fn repadmin_showrepl_text_and_csv() {
    let text = "Repadmin: running command /showrepl against full DC localhost\nDefault-First-Site-Name\\PICH-AD16\nDSA Options: IS_GC\nSite Options: (none)\nDSA object GUID: 6f0e4e4a-0000-0000-0000-000000000000\nDSA invocationID: 6f0e4e4a-0000-0000-0000-000000000001\n\n==== INBOUND NEIGHBORS ======================================\n\nDC=iconic,DC=local\n    Default-First-Site-Name\\AD-PICH via RPC\n        DSA object GUID: 1a2b3c4d-0000-0000-0000-000000000000\n        Last attempt @ 2025-07-24 07:33:38 was successful.\n\nCN=Configuration,DC=iconic,DC=local\n    Default-First-Site-Name\\AD-PICH via RPC\n        DSA object GUID: 1a2b3c4d-0000-0000-0000-000000000000\n        Last attempt @ 2025-07-24 07:33:38 failed, result 8418 (0x20e2):\n            The replication operation failed because of a schema mismatch between the servers involved.\n        3 consecutive failure(s).\n        Last success @ 2025-07-20 10:00:00.\n";
    assert_eq!(detect(text), Kind::REPADMIN);
    let (rows, problems) = repadmin::parse_showrepl(text);
    assert!(problems.is_empty());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].destination_dsa.as_deref(), Some("PICH-AD16"));
    assert_eq!(
        rows[0].naming_context.as_deref(),
        Some("DC=iconic,DC=local")
    );
    assert_eq!(rows[0].source_dsa.as_deref(), Some("AD-PICH"));
    assert_eq!(rows[0].transport.as_deref(), Some("RPC"));
    assert_eq!(rows[0].last_attempt_succeeded, Some(true));
    assert_eq!(
        rows[0].last_attempt.map(|t| t.local),
        Some(date(2025, 7, 24).at(7, 33, 38, 0))
    );
    let f = &rows[1];
    assert_eq!(f.last_attempt_succeeded, Some(false));
    assert_eq!(f.result_code, Some(8418));
    assert!(f
        .result_text
        .as_deref()
        .is_some_and(|t| t.contains("schema mismatch")));
    assert_eq!(f.consecutive_failures, Some(3));
    assert_eq!(
        f.last_success.map(|t| t.local),
        Some(date(2025, 7, 20).at(10, 0, 0, 0))
    );

    let csv = "Repadmin: running command /showrepl against full DC dc01.contoso.com\nshowrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,Last Failure Status\nshowrepl_INFO,Default-First-Site-Name,DC01,\"DC=contoso,DC=com\",Default-First-Site-Name,DC02,RPC,4,2025-07-24 07:33:38,2025-07-20 10:00:00,-2146893022\nshowrepl_INFO,Default-First-Site-Name,DC01,\"CN=Configuration,DC=contoso,DC=com\",Default-First-Site-Name,DC02,RPC,0,0,2025-07-24 07:30:00,0\n";
    assert_eq!(detect(csv), Kind::REPADMIN);
    let (rows, problems) = repadmin::parse_showrepl_csv(csv);
    assert!(problems.is_empty());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].naming_context.as_deref(), Some("DC=contoso,DC=com"));
    assert_eq!(rows[0].consecutive_failures, Some(4));
    assert_eq!(rows[0].result_code, Some(-2146893022));
    assert_eq!(rows[0].last_attempt_succeeded, Some(false));
    assert_eq!(
        rows[0].last_failure.map(|t| t.local),
        Some(date(2025, 7, 24).at(7, 33, 38, 0))
    );
    assert_eq!(rows[1].last_attempt_succeeded, Some(true));
    assert_eq!(rows[1].last_failure, None);
}

const RC_FL: &str = "\r\nRunspaceId           : 8b1c0000-0000-0000-0000-000000000000\r\nAuthMechanism        : Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer\r\nBindings             : {0.0.0.0:2525, [::]:2525}\r\nEnabled              : True\r\nFqdn                 : EX02.contoso.com\r\nMaxLogonFailures     : 3\r\nPermissionGroups     : ExchangeUsers, ExchangeServers, ExchangeLegacyServers\r\nProtocolLoggingLevel : None\r\nRemoteIPRanges       : {::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255}\r\nTransportRole        : HubTransport\r\nServer               : EX02\r\nName                 : Default EX02\r\nIdentity             : EX02\\Default EX02\r\n\r\nRunspaceId           : 8b1c0000-0000-0000-0000-000000000000\r\nAuthMechanism        : Tls\r\nBindings             : {0.0.0.0:2525}\r\nEnabled              : True\r\nFqdn                 : relay.contoso.com\r\nPermissionGroups     : AnonymousUsers\r\nProtocolLoggingLevel : Verbose\r\nRemoteIPRanges       : {10.0.0.11, 10.0.0.20-10.0.0.29, 192.168.0.0/16, 2001:db8::/32}\r\nTransportRole        : FrontendTransport\r\nName                 : Relay EX02\r\nIdentity             : EX02\\Relay EX02\r\n";

#[test]
fn receive_connectors_format_list_and_selection() {
    assert_eq!(detect(RC_FL), Kind::RECEIVE_CONNECTOR_EXPORT);
    let (conns, problems) = receive_connector::parse(RC_FL);
    assert!(problems.is_empty());
    assert_eq!(conns.len(), 2);
    let def = &conns[0];
    assert_eq!(def.server.as_deref(), Some("EX02"));
    assert_eq!(def.bindings.len(), 2);
    assert_eq!(def.bindings[1].address, Some(ip("::")));
    assert_eq!(def.bindings[1].port, Some(2525));
    let auth = def.auth_mechanism.as_ref().expect("auth");
    assert!(auth.exchange_server && auth.integrated && auth.tls);
    assert!(def.permission_groups.iter().any(|g| g == "ExchangeServers"));
    assert_eq!(def.enabled, Some(true));
    assert_eq!(def.transport_role.as_deref(), Some("HubTransport"));
    let relay = &conns[1];
    assert_eq!(relay.server.as_deref(), Some("EX02"));
    assert_eq!(
        relay.remote_ip_ranges,
        [
            IpRange::Single {
                address: ip("10.0.0.11")
            },
            IpRange::Range {
                start: ip("10.0.0.20"),
                end: ip("10.0.0.29")
            },
            IpRange::Cidr {
                network: ip("192.168.0.0"),
                prefix_len: 16
            },
            IpRange::Cidr {
                network: ip("2001:db8::"),
                prefix_len: 32
            },
        ]
    );
    assert!(!relay.auth_mechanism.as_ref().expect("auth").exchange_server);
    // EX01 (10.0.0.11) hits the relay connector — the classic misconfiguration.
    let chosen = select_connector(&conns, ip("10.0.0.12"), 2525, ip("10.0.0.11")).expect("one");
    assert_eq!(chosen.name.as_deref(), Some("Relay EX02"));
    let chosen = select_connector(&conns, ip("10.0.0.12"), 2525, ip("10.0.0.50")).expect("one");
    assert_eq!(chosen.name.as_deref(), Some("Default EX02"));
    assert!(select_connector(&conns, ip("10.0.0.12"), 25, ip("10.0.0.50")).is_none());
}

#[test]
fn receive_connector_clixml() {
    let text = r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0"><T>Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector</T><T>Deserialized.System.Object</T></TN>
    <ToString>Default EX02</ToString>
    <Props>
      <Obj N="AuthMechanism" RefId="1"><TN RefId="1"><T>Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms</T><T>Deserialized.System.Enum</T></TN><ToString>Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer</ToString><I32>118</I32></Obj>
      <Obj N="Bindings" RefId="2"><TN RefId="2"><T>Deserialized.Microsoft.Exchange.Data.MultiValuedProperty`1[[Microsoft.Exchange.Data.IPBinding]]</T></TN><LST><S>0.0.0.0:2525</S><S>[::]:2525</S></LST></Obj>
      <Obj N="RemoteIPRanges" RefId="3"><TNRef RefId="2" /><LST><S>10.0.0.0/8</S><S>10.0.0.11</S></LST></Obj>
      <B N="Enabled">true</B>
      <S N="Name">Default EX02</S>
      <S N="Identity">EX02\Default EX02</S>
      <Obj N="PermissionGroups" RefId="4"><TN RefId="4"><T>Deserialized.Microsoft.Exchange.Data.PermissionGroups</T></TN><ToString>ExchangeUsers, ExchangeServers, ExchangeLegacyServers</ToString><I32>11</I32></Obj>
    </Props>
  </Obj>
</Objs>"#;
    assert_eq!(detect(text), Kind::RECEIVE_CONNECTOR_EXPORT);
    let (conns, problems) = receive_connector::parse(text);
    assert!(problems.is_empty(), "{problems:?}");
    let c = &conns[0];
    assert_eq!(c.server.as_deref(), Some("EX02"));
    assert_eq!(c.bindings.len(), 2);
    assert_eq!(c.remote_ip_ranges.len(), 2);
    assert_eq!(
        c.best_match(ip("10.0.0.11")).map(|r| r.address_count()),
        Some(1)
    );
    assert!(c.auth_mechanism.as_ref().is_some_and(|a| a.exchange_server));
    assert_eq!(c.permission_groups.len(), 3);
    assert_eq!(c.enabled, Some(true));
}

#[test]
fn test_netconnection_success() {
    let text = "\r\n\r\nComputerName     : dc01.contoso.com\r\nRemoteAddress    : 10.0.0.10\r\nRemotePort       : 88\r\nInterfaceAlias   : Ethernet0\r\nSourceAddress    : 10.0.0.11\r\nTcpTestSucceeded : True\r\n\r\n";
    assert_eq!(detect(text), Kind::TEST_NETCONNECTION);
    let (p, problems) = test_netconnection::parse(text);
    assert!(problems.is_empty());
    assert_eq!(p[0].tool, ProbeTool::TestNetConnection);
    assert_eq!(p[0].state, Some(PortState::Listening));
    assert_eq!(p[0].target.as_deref(), Some("dc01.contoso.com"));
    assert_eq!(p[0].source_address.as_deref(), Some("10.0.0.11"));
}

#[test]
fn portqry_states() {
    let text = "Querying target system called:\n\n dc01.contoso.com\n\nName resolved to 10.0.0.10\n\nTCP port 88 (kerberos service): NOT LISTENING\nUDP port 88 (kerberos service): FILTERED\nTCP port 464 (kpasswd service): LISTENING\n";
    assert_eq!(detect(text), Kind::PORTQRY);
    let (p, _) = portqry::parse(text);
    assert_eq!(p.len(), 3);
    assert_eq!(p[0].state, Some(PortState::NotListening));
    assert_eq!(
        (p[1].transport, p[1].state),
        (Transport::Udp, Some(PortState::Filtered))
    );
    assert_eq!(p[2].port, Some(464));
}

#[test]
fn nltest_dsgetdc_success_and_localized_failure() {
    let text = "           DC: \\\\DC01.contoso.com\n      Address: \\\\10.0.0.10\n     Dom Guid: 0c4e5b4e-0000-0000-0000-000000000000\n     Dom Name: contoso.com\n  Forest Name: contoso.com\n Dc Site Name: Default-First-Site-Name\nOur Site Name: Default-First-Site-Name\n        Flags: PDC GC DS LDAP KDC TIMESERV GTIMESERV WRITABLE DNS_DC DNS_DOMAIN DNS_FOREST CLOSE_SITE FULL_SECRET WS\nThe command completed successfully\n";
    assert_eq!(detect(text), Kind::NLTEST);
    let o = nltest::parse(text);
    assert_eq!(o.dc.as_deref(), Some("DC01.contoso.com"));
    assert_eq!(o.address.as_deref(), Some("10.0.0.10"));
    assert_eq!(o.dom_name.as_deref(), Some("contoso.com"));
    assert!(o.flags.iter().any(|f| f == "KDC"));
    assert_eq!(o.succeeded, Some(true));
    let o =
        nltest::parse("I_NetGetDCList 失败：Status = 6118 0x17e6 ERROR_NO_BROWSER_SERVERS_FOUND\n");
    assert_eq!(o.succeeded, Some(false));
    assert_eq!(o.statuses[0].code, 6118);
    assert_eq!(
        o.statuses[0].name.as_deref(),
        Some("ERROR_NO_BROWSER_SERVERS_FOUND")
    );
    let o = nltest::parse("Flags: 30\nTrusted DC Name \\\\DC01.contoso.com\nTrusted DC Connection Status Status = 0 0x0 NERR_Success\nThe command completed successfully\n");
    assert_eq!(o.statuses[0].code, 0);
    assert_eq!(o.succeeded, Some(true));
}

#[test]
fn klist_real_sample_and_smtpsvc_ticket() {
    let text = "\r\nCurrent LogonId is 0:0xa48995\r\n\r\nCached Tickets: (2)\r\n\r\n#0>     Client: mike @ LAB.VX\r\n        Server: krbtgt/LAB.VX @ LAB.VX\r\n        KerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n        Ticket Flags 0x40e10000 -> forwardable renewable initial pre_authent name_canonicalize\r\n        Start Time: 4/16/2022 9:53:54 (local)\r\n        End Time:   4/16/2022 19:53:54 (local)\r\n        Renew Time: 4/23/2022 9:53:54 (local)\r\n        Session Key Type: AES-256-CTS-HMAC-SHA1-96\r\n        Cache Flags: 0x1 -> PRIMARY\r\n        Kdc Called: DC.lab.vx\r\n\r\n#1>     Client: EX01$ @ CONTOSO.LOCAL\r\n        Server: SMTPSVC/ex02.contoso.local @ CONTOSO.LOCAL\r\n        KerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n        Ticket Flags 0x40a10000 -> forwardable renewable pre_authent name_canonicalize\r\n        Start Time: 4/16/2022 10:00:00 (local)\r\n        End Time:   4/16/2022 20:00:00 (local)\r\n        Renew Time: 4/23/2022 10:00:00 (local)\r\n        Session Key Type: AES-256-CTS-HMAC-SHA1-96\r\n        Cache Flags: 0\r\n        Kdc Called: DC01.contoso.local\r\n";
    assert_eq!(detect(text), Kind::KLIST);
    let k = klist::parse(text, DateOrderOption::Infer);
    assert!(k.problems.is_empty(), "{:?}", k.problems);
    assert_eq!(k.logon_id.as_deref(), Some("0:0xa48995"));
    assert_eq!(k.cached_ticket_count, Some(2));
    assert_eq!(k.tickets.len(), 2);
    let t = &k.tickets[0];
    assert_eq!(t.client.as_ref().map(|c| c.name.as_str()), Some("mike"));
    assert_eq!(t.ticket_flags, Some(0x40e1_0000));
    assert!(t.ticket_flag_names.iter().any(|f| f == "forwardable"));
    assert_eq!(
        t.start_time.map(|x| x.local),
        Some(date(2022, 4, 16).at(9, 53, 54, 0))
    );
    assert_eq!(
        t.end_time.map(|x| x.local),
        Some(date(2022, 4, 16).at(19, 53, 54, 0))
    );
    assert_eq!(
        t.renew_time.map(|x| x.local),
        Some(date(2022, 4, 23).at(9, 53, 54, 0))
    );
    assert_eq!(t.kdc_called.as_deref(), Some("DC.lab.vx"));
    let smtp: Vec<_> = k.tickets_for_service("smtpsvc").collect();
    assert_eq!(smtp.len(), 1);
    let server = smtp[0].server.as_ref().expect("server");
    assert_eq!(server.host.as_deref(), Some("ex02.contoso.local"));
    assert_eq!(server.realm.as_deref(), Some("CONTOSO.LOCAL"));
    assert_eq!(smtp[0].kdc_called.as_deref(), Some("DC01.contoso.local"));

    let err = klist::parse("\nCurrent LogonId is 0:0x3e7\nError calling API LsaCallAuthenticationPackage (GetTicket substatus): 0x6fb\n\nklist failed with 0xc000018b/-1073741429: The SAM database on the Windows Server does not have a computer account for this workstation trust relationship.\n", DateOrderOption::Infer);
    assert_eq!(err.errors.len(), 2);
    assert_eq!(err.errors[1].code, Some(0xc000_018b));
    assert!(err.tickets.is_empty());
}

#[test]
fn detectors_reject_each_other() {
    assert_eq!(detect("just some text\nnothing here\n"), Kind::UNKNOWN);
    assert_eq!(
        detect(
            "Leap Indicator: 0(no warning)\nStratum: 2 (secondary reference - syncd by (S)NTP)\n"
        ),
        Kind::W32TM
    );
}
