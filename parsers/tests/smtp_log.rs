//! Protocol-log parsing and session reassembly, on the real lines quoted in FORMATS.md §1 and on
//! the odd inputs the format allows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::problem::Location;
use exauth_parsers::smtp_log::{
    AuthOutcome, ClockBasis, FileReport, LogKind, Reassembler, SessionSummary, TlsOutcome,
};

const FIELDS: &str = "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context";

fn header(kind: &str) -> String {
    format!("#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP {kind} Protocol Log\r\n#Date: 2019-03-21T13:01:06.525Z\r\n{FIELDS}\r\n")
}

fn crlf(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// Parses one file with a fresh reassembler and flushes what is left open.
fn parse(input: &[u8], hint: Option<LogKind>) -> (Vec<SessionSummary>, FileReport) {
    let mut r = Reassembler::new();
    let mut out = Vec::new();
    let report = r.feed(input, hint, |s| out.push(s));
    r.finish(|s| out.push(s));
    (out, report)
}

/// The one session of a Receive log of `rows`, read without a problem.
fn one_receive_session(rows: &[String]) -> SessionSummary {
    let lines: Vec<&str> = rows.iter().map(String::as_str).collect();
    let input = header("Receive") + &crlf(&lines);
    let (sessions, report) = parse(input.as_bytes(), None);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    match <[SessionSummary; 1]>::try_from(sessions) {
        Ok([s]) => s,
        Err(sessions) => panic!("{sessions:?}"),
    }
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

const RECEIVE_2010: &[&str] = &[
    "2016-12-14T01:17:34.808Z,EX\\Default ,0000000000000000,0,x.x.x.x:25,91.112.61.94:55171,+,,",
    "2016-12-14T01:17:34.808Z,EX\\Default ,0000000000000000,1,x.x.x.x:25,91.112.61.94:55171,*,SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders,Set Session Permissions",
    "2016-12-14T01:17:34.808Z,EX\\Default ,0000000000000000,2,x.x.x.x:25,91.112.61.94:55171,>,\"220 mail.x.x Microsoft ESMTP MAIL Service ready at Tue, 13 Dec 2016 20:17:34 -0500\",",
    "2016-12-14T01:17:36.340Z,EX\\Default ,0000000000000000,3,x.x.x.x:25,91.112.61.94:55171,<,EHLO ylmf-pc,",
    "2016-12-14T01:17:36.340Z,EX\\Default ,0000000000000000,4,x.x.x.x:25,91.112.61.94:55171,>,250-mail.x.x Hello [91.112.61.94],",
    "2016-12-14T01:17:36.496Z,EX\\Default ,0000000000000000,14,x.x.x.x:25,91.112.61.94:55171,<,AUTH LOGIN,",
    "2016-12-14T01:17:36.496Z,EX\\Default ,0000000000000000,15,x.x.x.x:25,91.112.61.94:55171,*,Tarpit for '0.00:00:05',",
    "2016-12-14T01:17:41.496Z,EX\\Default ,0000000000000000,16,x.x.x.x:25,91.112.61.94:55171,>,504 5.7.4 Unrecognized authentication type,",
    "2016-12-14T01:17:42.074Z,EX\\Default ,0000000000000000,17,x.x.x.x:25,91.112.61.94:55171,-,,Remote",
];

#[test]
fn exchange_2010_receive_session() {
    let input = header("Receive") + &crlf(RECEIVE_2010);
    let (sessions, report) = parse(input.as_bytes(), None);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.kind, Some(LogKind::Receive));
    assert_eq!(report.rows, 9);
    let [s] = sessions.as_slice() else {
        panic!("{sessions:?}")
    };
    assert_eq!(s.log, LogKind::Receive);
    assert_eq!(s.session_id, "0000000000000000");
    assert_eq!(s.connector, "EX\\Default ");
    assert_eq!(s.start, Some(ts("2016-12-14T01:17:34.808Z")));
    assert_eq!(s.end, Some(ts("2016-12-14T01:17:42.074Z")));
    assert_eq!(s.local_endpoint.as_deref(), Some("x.x.x.x:25"));
    assert_eq!(s.remote_endpoint.as_deref(), Some("91.112.61.94:55171"));
    assert_eq!(s.ehlo.as_deref(), Some("ylmf-pc"));
    assert_eq!(s.hello_reply_host.as_deref(), Some("mail.x.x"));
    assert_eq!(s.banner_host.as_deref(), Some("mail.x.x"));
    assert_eq!(
        s.permissions_before_auth.as_deref(),
        Some("SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders")
    );
    assert_eq!(s.permissions_after_auth, None);
    assert_eq!(s.disconnect_reason.as_deref(), Some("Remote"));
    assert!(!s.partial && s.has_start && s.has_end);
    assert_eq!((s.first_line, s.last_line, s.rows), (6, 14, 9));
    // A receive log shows the logging server's own clock in its banner: no sample.
    assert!(s.clock_samples.is_empty());
    let [a] = s.auth_attempts.as_slice() else {
        panic!("{:?}", s.auth_attempts)
    };
    assert_eq!(a.mechanism, "AUTH LOGIN");
    assert_eq!(a.outcome, AuthOutcome::Other);
    assert_eq!(
        a.reply.as_deref(),
        Some("504 5.7.4 Unrecognized authentication type")
    );
    assert_eq!(a.time, Some(ts("2016-12-14T01:17:36.496Z")));
    assert_eq!(a.line, 11);
}

#[test]
fn exchange_2013_send_session_to_exchange_online_gives_a_banner_clock_sample() {
    let input = header("Send")
        + &crlf(&[
            "2019-03-21T13:00:45.039Z,Outbound to Office 365,08D6A8D416004F77,0,,x.x.x.x:25,*,SendRoutingHeaders,Set Session Permissions",
            "2019-03-21T13:00:45.039Z,Outbound to Office 365,08D6A8D416004F77,1,,x.x.x.x:25,*,,attempting to connect",
            "2019-03-21T13:00:45.040Z,Outbound to Office 365,08D6A8D416004F77,2,192.168.1.100:44276,x.x.x.x:25,+,,",
            "2019-03-21T13:00:45.157Z,Outbound to Office 365,08D6A8D416004F78,3,192.168.1.100:44277,x.x.x.x:25,<,\"220 VI1EUR04FT012.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Thu, 21 Mar 2019 13:00:44 +0000\",",
            "2019-03-21T13:00:45.157Z,Outbound to Office 365,08D6A8D416004F78,4,192.168.1.100:44277,x.x.x.x:25,>,EHLO mail.domain.com,",
        ]);
    let (sessions, report) = parse(input.as_bytes(), None);
    assert!(report.problems.is_empty());
    assert_eq!(sessions.len(), 2);
    let first = &sessions[0];
    assert_eq!(first.session_id, "08D6A8D416004F77");
    assert_eq!(first.log, LogKind::Send);
    assert!(first.has_start && !first.has_end && first.partial);
    assert_eq!(first.local_endpoint.as_deref(), Some("192.168.1.100:44276"));
    assert_eq!(first.connect_time, Some(ts("2019-03-21T13:00:45.040Z")));
    assert_eq!(
        first.permissions_before_auth.as_deref(),
        Some("SendRoutingHeaders")
    );

    let second = &sessions[1];
    assert_eq!(second.session_id, "08D6A8D416004F78");
    assert!(!second.has_start && second.partial);
    assert_eq!(second.ehlo.as_deref(), Some("mail.domain.com"));
    let [sample] = second.clock_samples.as_slice() else {
        panic!()
    };
    assert_eq!(sample.basis, ClockBasis::Banner);
    assert_eq!(
        sample.remote_server.as_deref(),
        Some("VI1EUR04FT012.mail.protection.outlook.com")
    );
    assert_eq!(sample.remote_ip.as_deref(), Some("x.x.x.x"));
    assert_eq!(sample.time, ts("2019-03-21T13:00:45.157Z"));
    assert!(
        (sample.offset_s - -1.157).abs() < 1e-9,
        "{}",
        sample.offset_s
    );
}

#[test]
fn appendix_a_send_log_receiver_rejects_and_runs_ten_minutes_fast() {
    let input = "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: 2024-05-06T10:00:00.000Z\r\n".to_owned()
        + FIELDS + "\r\n"
        + &crlf(&[
            "2024-05-06T10:00:01.100Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,0,,10.0.0.12:2525,*,,attempting to connect",
            "2024-05-06T10:00:01.102Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,1,10.0.0.11:51000,10.0.0.12:2525,+,,",
            "2024-05-06T10:00:01.110Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,2,10.0.0.11:51000,10.0.0.12:2525,<,\"220 EX02.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 6 May 2024 12:09:31 +0200\",",
            "2024-05-06T10:00:01.111Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,3,10.0.0.11:51000,10.0.0.12:2525,>,EHLO EX01.contoso.com,",
            "2024-05-06T10:00:01.120Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,4,10.0.0.11:51000,10.0.0.12:2525,<,250-EX02.contoso.com Hello [10.0.0.11],",
            "2024-05-06T10:00:01.121Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,5,10.0.0.11:51000,10.0.0.12:2525,<,250-AUTH NTLM LOGIN,",
            "2024-05-06T10:00:01.122Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,6,10.0.0.11:51000,10.0.0.12:2525,<,250-X-EXPS EXCHANGEAUTH GSSAPI NTLM,",
            "2024-05-06T10:00:01.123Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,7,10.0.0.11:51000,10.0.0.12:2525,<,250-X-EXCHANGEAUTH SHA256,",
            "2024-05-06T10:00:01.124Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,8,10.0.0.11:51000,10.0.0.12:2525,<,250-XEXCH50,",
            "2024-05-06T10:00:01.125Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,9,10.0.0.11:51000,10.0.0.12:2525,<,250 XSHADOW,",
            "2024-05-06T10:00:01.300Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,20,10.0.0.11:51000,10.0.0.12:2525,>,X-EXPS EXCHANGEAUTH SHA256 ,",
            "2024-05-06T10:00:01.320Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,21,10.0.0.11:51000,10.0.0.12:2525,<,454 4.7.0 Temporary authentication failure,",
            "2024-05-06T10:00:01.321Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,22,10.0.0.11:51000,10.0.0.12:2525,*,,Flushed Kerberos ticket cache",
            "2024-05-06T10:00:01.330Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,23,10.0.0.11:51000,10.0.0.12:2525,-,,Remote",
        ]);
    let (sessions, report) = parse(input.as_bytes(), None);
    assert!(report.problems.is_empty());
    let [s] = sessions.as_slice() else { panic!() };
    assert!(!s.partial);
    assert_eq!(s.ehlo.as_deref(), Some("EX01.contoso.com"));
    assert_eq!(s.hello_reply_host.as_deref(), Some("EX02.contoso.com"));
    assert_eq!(s.advertised.auth, ["NTLM", "LOGIN"]);
    assert_eq!(s.advertised.exps, ["EXCHANGEAUTH", "GSSAPI", "NTLM"]);
    assert_eq!(s.advertised.exchange_auth, ["SHA256"]);
    assert_eq!(
        s.ticket_cache_flush.as_deref(),
        Some("Flushed Kerberos ticket cache")
    );
    let [a] = s.auth_attempts.as_slice() else {
        panic!()
    };
    assert_eq!(a.mechanism, "X-EXPS EXCHANGEAUTH SHA256");
    assert_eq!(a.outcome, AuthOutcome::Rejected);
    assert_eq!(
        a.reply.as_deref(),
        Some("454 4.7.0 Temporary authentication failure")
    );
    assert_eq!(a.status, None);
    let [c] = s.clock_samples.as_slice() else {
        panic!()
    };
    assert!((c.offset_s - 569.89).abs() < 1e-9, "{}", c.offset_s);
    assert_eq!(c.remote_ip.as_deref(), Some("10.0.0.12"));
}

#[test]
fn chinese_connector_sender_side_kerberos_failure() {
    let input = header("Send")
        + &crlf(&["2019-11-04T06:00:35.496Z,组织内 SMTP 发送连接器,08D760DF231F00BC,45,10.**.**.31:37964,10.**.**.168:25,*,,Outbound Authentication failed with LogonDenied"]);
    let (sessions, report) = parse(input.as_bytes(), None);
    assert!(report.problems.is_empty());
    let [s] = sessions.as_slice() else { panic!() };
    assert_eq!(s.connector, "组织内 SMTP 发送连接器");
    assert!(s.partial && !s.has_start && !s.has_end);
    let [a] = s.auth_attempts.as_slice() else {
        panic!()
    };
    assert_eq!(a.outcome, AuthOutcome::SenderFailed);
    assert_eq!(a.status.as_deref(), Some("LogonDenied"));
    assert_eq!(a.reply, None);
    assert_eq!(a.session_id, "08D760DF231F00BC");
    assert_eq!(a.line, 6);
}

#[test]
fn russian_connector_banner_and_frontend_proxy_link() {
    let send = header("Send")
        + &crlf(&["2017-12-12T13:18:04.540Z,Внутренний соединитель отправки для вход. подкл. прокси-сервера,08D54162A04116F0,3,10.1.1.1:15820,10.1.1.2:2525,<,\"220 EX2.domain.local Microsoft ESMTP MAIL Service ready at Tue, 12 Dec 2017 16:18:04 +0300\","]);
    let (sessions, _) = parse(send.as_bytes(), None);
    let [s] = sessions.as_slice() else { panic!() };
    assert_eq!(
        s.connector,
        "Внутренний соединитель отправки для вход. подкл. прокси-сервера"
    );
    let [c] = s.clock_samples.as_slice() else {
        panic!()
    };
    assert_eq!(c.remote_server.as_deref(), Some("EX2.domain.local"));
    assert!((c.offset_s - -0.540).abs() < 1e-9);

    let receive = header("Receive")
        + &crlf(&["2017-12-12T13:18:04.530Z,EX2\\Default Frontend EX2,08D54162A04116E0,5,10.1.1.2:25,203.0.113.7:40000,*,,Proxying inbound session with session id 08D54162A04116F1"]);
    let (sessions, _) = parse(receive.as_bytes(), None);
    assert_eq!(
        sessions[0].proxy_session_id.as_deref(),
        Some("08D54162A04116F1")
    );
}

#[test]
fn tls_success_and_failure_rows() {
    let input = header("Send")
        + &crlf(&[
            "2019-03-21T13:00:45.300Z,Outbound to Office 365,08D6A8D416004F79,10,192.168.1.100:44278,x.x.x.x:25,>,STARTTLS,",
            "2019-03-21T13:00:45.400Z,Outbound to Office 365,08D6A8D416004F79,11,192.168.1.100:44278,x.x.x.x:25,*,,\"TLS protocol SP_PROT_TLS1_0_CLIENT negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDHE with strength 256 bits\"",
            "2019-03-21T13:00:45.401Z,Outbound to Office 365,08D6A8D416004F79,12,192.168.1.100:44278,x.x.x.x:25,*,,Received certificate",
            "2019-03-21T13:00:45.402Z,Outbound to Office 365,08D6A8D416004F79,13,192.168.1.100:44278,x.x.x.x:25,*,352D244A535D94B576232ECC4A4000CFE06BE106,Certificate thumbprint",
            "2019-03-21T13:00:46.000Z,Outbound to Office 365,08D6A8D416004F80,10,192.168.1.100:44279,x.x.x.x:25,>,X-ANONYMOUSTLS,",
            "2019-03-21T13:00:46.100Z,Outbound to Office 365,08D6A8D416004F80,11,192.168.1.100:44279,x.x.x.x:25,*,,TLS negotiation failed with error UnknownCredentials",
        ]);
    let (sessions, report) = parse(input.as_bytes(), None);
    assert!(report.problems.is_empty());
    let [ok, failed] = sessions.as_slice() else {
        panic!()
    };
    assert_eq!(ok.tls_command.as_deref(), Some("STARTTLS"));
    assert_eq!(ok.tls_outcome, Some(TlsOutcome::Succeeded));
    assert_eq!(ok.tls_detail.as_deref(), Some("SP_PROT_TLS1_0_CLIENT"));
    assert_eq!(failed.tls_command.as_deref(), Some("X-ANONYMOUSTLS"));
    assert_eq!(failed.tls_outcome, Some(TlsOutcome::Failed));
    assert_eq!(failed.tls_detail.as_deref(), Some("UnknownCredentials"));
}

#[test]
fn receiver_side_failure_success_and_not_offered() {
    let rows = crlf(&[
        // Receiver rejects with a status.
        "2024-05-06T10:09:31.300Z,EX02\\Default EX02,08DC6D1B00000001,20,10.0.0.12:2525,10.0.0.11:51000,<,X-EXPS EXCHANGEAUTH,",
        "2024-05-06T10:09:31.301Z,EX02\\Default EX02,08DC6D1B00000001,21,10.0.0.12:2525,10.0.0.11:51000,*,,Inbound ExchangeAuth negotiation failed because of TimeSkew",
        "2024-05-06T10:09:31.302Z,EX02\\Default EX02,08DC6D1B00000001,22,10.0.0.12:2525,10.0.0.11:51000,>,454 4.7.0 Temporary authentication failure,",
        "2024-05-06T10:09:31.303Z,EX02\\Default EX02,08DC6D1B00000001,23,10.0.0.12:2525,10.0.0.11:51000,-,,DroppedSession",
        // Success: permissions before and after.
        "2024-05-06T10:09:32.000Z,EX02\\Default EX02,08DC6D1B00000002,1,10.0.0.12:2525,10.0.0.11:51001,*,SMTPSubmit SMTPAcceptAnySender,Set Session Permissions",
        "2024-05-06T10:09:32.100Z,EX02\\Default EX02,08DC6D1B00000002,20,10.0.0.12:2525,10.0.0.11:51001,<,X-EXPS EXCHANGEAUTH,",
        "2024-05-06T10:09:32.101Z,EX02\\Default EX02,08DC6D1B00000002,21,10.0.0.12:2525,10.0.0.11:51001,>,235 <authentication response>,",
        "2024-05-06T10:09:32.102Z,EX02\\Default EX02,08DC6D1B00000002,22,10.0.0.12:2525,10.0.0.11:51001,*,SMTPSubmit SMTPAcceptAnyRecipient AcceptOrganizationHeaders,Set Session Permissions",
        "2024-05-06T10:09:32.103Z,EX02\\Default EX02,08DC6D1B00000002,23,10.0.0.12:2525,10.0.0.11:51001,-,,QuitVerb",
    ]);
    let (sessions, _) = parse((header("Receive") + &rows).as_bytes(), None);
    let [rejected, ok] = sessions.as_slice() else {
        panic!()
    };
    let a = &rejected.auth_attempts[0];
    assert_eq!(
        (a.outcome, a.status.as_deref()),
        (AuthOutcome::Rejected, Some("TimeSkew"))
    );
    assert_eq!(a.mechanism, "X-EXPS EXCHANGEAUTH");
    assert_eq!(
        rejected.disconnect_reason.as_deref(),
        Some("DroppedSession")
    );
    assert_eq!(ok.auth_attempts[0].outcome, AuthOutcome::Success);
    assert_eq!(
        ok.permissions_before_auth.as_deref(),
        Some("SMTPSubmit SMTPAcceptAnySender")
    );
    assert_eq!(
        ok.permissions_after_auth.as_deref(),
        Some("SMTPSubmit SMTPAcceptAnyRecipient AcceptOrganizationHeaders")
    );

    let send = header("Send")
        + &crlf(&[
            "2024-05-06T10:00:01.300Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D60,14,10.0.0.11:51010,10.0.0.12:25,*,,\"451 5.7.3 Cannot achieve Exchange Server authentication\"",
            "2024-05-06T10:00:01.310Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D61,20,10.0.0.11:51011,10.0.0.12:25,*,,Outbound Authentication failed to initialize with TargetUnknown",
        ]);
    let (sessions, _) = parse(send.as_bytes(), None);
    assert_eq!(
        sessions[0].auth_attempts[0].outcome,
        AuthOutcome::NotOffered
    );
    assert_eq!(
        sessions[0].auth_attempts[0].reply.as_deref(),
        Some("451 5.7.3 Cannot achieve Exchange Server authentication")
    );
    let a = &sessions[1].auth_attempts[0];
    assert_eq!(
        (a.outcome, a.status.as_deref()),
        (AuthOutcome::SenderFailed, Some("TargetUnknown"))
    );
}

#[test]
fn odd_quoting_and_context_with_commas() {
    let input = header("Receive")
        + &crlf(&[
            // Doubled quotes inside data; a quoted context holding commas.
            "2024-05-06T10:00:00.000Z,\"EX\\Recv, \"\"special\"\"\",0000000000000001,0,10.0.0.12:25,10.0.0.11:1,+,,",
            "2024-05-06T10:00:00.001Z,\"EX\\Recv, \"\"special\"\"\",0000000000000001,1,10.0.0.12:25,10.0.0.11:1,<,\"EHLO a\"\"b\",",
            "2024-05-06T10:00:00.002Z,\"EX\\Recv, \"\"special\"\"\",0000000000000001,2,10.0.0.12:25,10.0.0.11:1,-,,\"Remote(a, b, c)\"",
            // An unquoted context with commas (a writer that did not escape): surplus columns join it.
            "2024-05-06T10:00:00.003Z,EX\\Recv,0000000000000002,0,10.0.0.12:25,10.0.0.11:2,+,,",
            "2024-05-06T10:00:00.004Z,EX\\Recv,0000000000000002,1,10.0.0.12:25,10.0.0.11:2,-,,Remote(x, y)",
        ]);
    let (sessions, report) = parse(input.as_bytes(), None);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let [a, b] = sessions.as_slice() else {
        panic!()
    };
    assert_eq!(a.connector, "EX\\Recv, \"special\"");
    assert_eq!(a.ehlo.as_deref(), Some("a\"b"));
    assert_eq!(a.disconnect_reason.as_deref(), Some("Remote(a, b, c)"));
    assert_eq!(b.disconnect_reason.as_deref(), Some("Remote(x, y)"));
}

#[test]
fn interesting_prefixes_in_odd_quoting() {
    // The parser looks at data only for some event characters and first bytes; quoting must not
    // hide a command or reply from it, nor make it see one that is not there.
    let row = |seq: u32, event: &str, data: &str, context: &str| {
        format!("2024-05-06T10:00:00.{seq:03}Z,\"EX\\Recv, x\",08DC6D1A2B3C4D5E,{seq},10.0.0.12:25,10.0.0.11:51000,{event},{data},{context}")
    };
    let rows = [
        row(0, "+", "", ""),
        row(
            1,
            "*",
            "\"SMTPSubmit, SMTPAcceptAnySender\"",
            "\" Set Session Permissions \"",
        ),
        row(2, "<", "\"\"\"EHLO\"\"\"", ""),
        row(3, "<", "\" EHLO x\"", ""),
        row(4, "<", "\"EHLO a,b\"", ""),
        row(5, ">", "\"250 EX02 Hello [10.0.0.11], pleased\"", ""),
        row(6, ">", "\"250-AUTH NTLM LOGIN\"", ""),
        row(7, ">", "250 AUTH=LOGIN PLAIN", ""),
        row(8, "<", "\"X-EXPS GSSAPI dGVz,xx\"", ""),
        row(
            9,
            ">",
            "\"454 4.7.0 Temporary authentication failure, again\"",
            "",
        ),
        row(10, "-", "", "\"Local\""),
    ];
    let s = one_receive_session(&rows);
    assert_eq!(s.connector, "EX\\Recv, x");
    assert_eq!(s.session_id, "08DC6D1A2B3C4D5E");
    assert_eq!(
        s.permissions_before_auth.as_deref(),
        Some("SMTPSubmit, SMTPAcceptAnySender")
    );
    assert_eq!(s.ehlo.as_deref(), Some("a,b"));
    assert_eq!(s.ehlo_time, Some(ts("2024-05-06T10:00:00.004Z")));
    assert_eq!(s.hello_reply_host.as_deref(), Some("EX02"));
    assert_eq!(s.advertised.auth, ["NTLM", "LOGIN", "PLAIN"]);
    let [a] = s.auth_attempts.as_slice() else {
        panic!("{:?}", s.auth_attempts)
    };
    assert_eq!(a.mechanism, "X-EXPS GSSAPI");
    assert_eq!(a.outcome, AuthOutcome::Rejected);
    assert_eq!(
        a.reply.as_deref(),
        Some("454 4.7.0 Temporary authentication failure, again")
    );
    assert_eq!(a.line, 14);
    assert_eq!(s.disconnect_reason.as_deref(), Some("Local"));
    assert!(!s.partial);
}

#[test]
fn bom_lf_mid_file_header_and_reordered_fields() {
    // BOM, LF line ends, a repeated header block that changes the column order.
    let input = format!(
        "\u{feff}{}{}\n#Software: Microsoft Exchange Server\n#Log-type: SMTP Receive Protocol Log\n#Fields: session-id,sequence-number,date-time,connector-id,local-endpoint,remote-endpoint,event,data,context,extra\n{}\n",
        header("Receive").replace("\r\n", "\n"),
        "2024-05-06T10:00:00.000Z,EX\\Recv,00000000000000AA,0,10.0.0.12:25,10.0.0.11:1,+,,",
        "00000000000000AA,1,2024-05-06T10:00:05.000Z,EX\\Recv,10.0.0.12:25,10.0.0.11:1,-,,Local,whatever",
    );
    let (sessions, report) = parse(input.as_bytes(), None);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let [s] = sessions.as_slice() else {
        panic!("{sessions:?}")
    };
    assert!(!s.partial);
    assert_eq!(s.end, Some(ts("2024-05-06T10:00:05Z")));
    assert_eq!(s.disconnect_reason.as_deref(), Some("Local"));
    assert_eq!(report.header.fields.len(), 10);
    assert_eq!(
        report.header.software.as_deref(),
        Some("Microsoft Exchange Server")
    );
}

#[test]
fn truncated_last_line_is_reported_and_the_rest_kept() {
    let mut input = header("Receive") + &crlf(RECEIVE_2010);
    input.push_str("2016-12-14T01:17:43.000Z,EX\\Default ,0000000000000001,0,x.x.x.x:25,91.11");
    let (sessions, report) = parse(input.as_bytes(), None);
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_id, "0000000000000000");
    let [p] = report.problems.as_slice() else {
        panic!("{:?}", report.problems)
    };
    assert_eq!(p.location, Location::Line(15));
    assert!(p.message.contains("truncated"));
}

#[test]
fn session_spanning_two_files_is_one_session() {
    let (first, second) = RECEIVE_2010.split_at(4);
    let mut r = Reassembler::new();
    let mut out = Vec::new();
    let rep1 = r.feed((header("Receive") + &crlf(first)).as_bytes(), None, |s| {
        out.push(s)
    });
    assert!(out.is_empty());
    assert_eq!(r.open_sessions(), 1);
    let rep2 = r.feed((header("Receive") + &crlf(second)).as_bytes(), None, |s| {
        out.push(s)
    });
    r.finish(|s| out.push(s));
    assert_eq!((rep1.file, rep2.file), (0, 1));
    let [s] = out.as_slice() else { panic!() };
    assert!(!s.partial);
    assert_eq!(
        (s.first_file, s.first_line, s.last_file, s.last_line),
        (0, 6, 1, 10)
    );
    assert_eq!(s.auth_attempts[0].file, 1);
    assert_eq!(r.open_sessions(), 0);
}

#[test]
fn rows_out_of_order_are_applied_by_sequence_number() {
    let mut rows: Vec<&str> = RECEIVE_2010.to_vec();
    rows.swap(5, 7); // 504 reply before the AUTH command in the file
    let (sessions, _) = parse((header("Receive") + &crlf(&rows)).as_bytes(), None);
    // The `-` row still ends the session; the reply is matched to the command by sequence.
    let a = &sessions[0].auth_attempts[0];
    assert_eq!(
        (a.mechanism.as_str(), a.outcome),
        ("AUTH LOGIN", AuthOutcome::Other)
    );
    assert_eq!(
        a.reply.as_deref(),
        Some("504 5.7.4 Unrecognized authentication type")
    );
}

#[test]
fn invalid_utf8_and_bad_rows_become_problems_not_panics() {
    let mut input = header("Receive").into_bytes();
    input.extend_from_slice(b"2024-05-06T10:00:00.000Z,EX\\Caf\xE9 \xFF,0000000000000003,0,10.0.0.12:25,10.0.0.11:1,+,,\r\n");
    input.extend_from_slice(b"not,a,row\r\n");
    input.extend_from_slice(b"2024-05-06T10:00:00.000Z,EX,NOT-HEX,0,a,b,+,,\r\n");
    let (sessions, report) = parse(&input, None);
    assert_eq!(sessions[0].connector, "EX\\Caf\u{FFFD} \u{FFFD}");
    assert_eq!(report.problems.len(), 2);
    assert_eq!(report.problems[0].location, Location::Line(7));
    assert_eq!(report.problems[1].location, Location::Line(8));
}

#[test]
fn headerless_file_uses_the_file_name_hint() {
    let (sessions, report) = parse(crlf(RECEIVE_2010).as_bytes(), Some(LogKind::Receive));
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].ehlo.as_deref(), Some("ylmf-pc"));
    assert!(report.problems.is_empty());

    let (sessions, report) = parse(crlf(RECEIVE_2010).as_bytes(), None);
    assert!(sessions.is_empty());
    assert_eq!(report.problems.len(), 1);
}

#[test]
fn records_serialize_with_the_contract_field_names() {
    let input = header("Send")
        + &crlf(&["2019-11-04T06:00:35.496Z,组织内 SMTP 发送连接器,08D760DF231F00BC,45,10.0.0.31:37964,10.0.0.168:25,*,,Outbound Authentication failed with LogonDenied"]);
    let (sessions, _) = parse(input.as_bytes(), None);
    let json = serde_json::to_value(&sessions[0]).unwrap();
    assert_eq!(json["log"], "send");
    assert_eq!(json["session_id"], "08D760DF231F00BC");
    assert_eq!(json["start"], "2019-11-04T06:00:35.496Z");
    assert_eq!(json["partial"], true);
    let attempt = &json["auth_attempts"][0];
    assert_eq!(attempt["outcome"], "sender-failed");
    assert_eq!(attempt["status"], "LogonDenied");
    assert_eq!(attempt["reply"], serde_json::Value::Null);
    assert_eq!(attempt["line"], 6);
    for key in [
        "end",
        "local_endpoint",
        "remote_endpoint",
        "connector",
        "time",
        "mechanism",
    ] {
        assert!(
            json.get(key).is_some() || attempt.get(key).is_some(),
            "{key}"
        );
    }
}

/// A session's endpoints are its first row's that has them, and a connect row's (`+`) replace
/// them: the addresses the connection used, whatever rows of the session came before (a log
/// pasted together out of order). Held on the standard-layout path and on the general one (a
/// quoted connector), which must agree.
#[test]
fn the_connect_rows_endpoints_replace_earlier_ones() {
    for connector in ["EX01\\Default EX01", "\"EX01\\Default EX01\""] {
        let rows = [
            "2026-11-26T06:00:00.101Z,{c},08DF48BCBCC4DE31,1,10.0.1.11:2525,10.0.1.99:50000,*,None,Set Session Permissions",
            "2026-11-26T06:00:00.101Z,{c},08DF48BCBCC4DE31,0,10.0.1.11:25,10.0.1.23:57140,+,,",
            "2026-11-26T06:00:00.105Z,{c},08DF48BCBCC4DE31,2,10.0.1.11:2525,10.0.1.98:50001,<,EHLO EX13.contoso.com,",
            "2026-11-26T06:00:00.110Z,{c},08DF48BCBCC4DE31,3,10.0.1.11:2525,10.0.1.98:50001,-,,Remote",
        ]
        .map(|row| row.replace("{c}", connector));
        let s = one_receive_session(&rows);
        assert_eq!(s.connector, "EX01\\Default EX01", "{connector}");
        assert_eq!(
            s.local_endpoint.as_deref(),
            Some("10.0.1.11:25"),
            "{connector}"
        );
        assert_eq!(
            s.remote_endpoint.as_deref(),
            Some("10.0.1.23:57140"),
            "{connector}"
        );
    }
}
