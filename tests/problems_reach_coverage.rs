//! Issue 12: every parser's problems reach the report. One malformed input
//! per format (a bad row, a bad line, a cut object, a count that does not
//! add up, a damaged chunk) is scanned, and the file must be named in the
//! scan's `coverage` — `read_with_problems` when the rest of it was read,
//! `not_read` when nothing was — with the problem's own words. Before the
//! input registry, receive connectors, `repadmin /showrepl`,
//! Test-NetConnection and portqry dropped theirs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// (file name, content, words the reported problem contains).
fn malformed() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let fields = "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n";
    vec![
        (
            "RECV20241015-1.LOG",
            format!("#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Receive Protocol Log\r\n#Date: 2024-10-15T12:00:00.000Z\r\n{fields}2024-10-15T12:00:00.000Z,EX02\\Default EX02,08DCED3A1B2C3D4E,0,10.0.1.12:25,10.0.1.11:41522,+,,\r\nthis is not a row\r\n").into_bytes(),
            "row has 1 fields",
        ),
        (
            "EX01_queues.txt",
            b"Identity     : EX01\\3\r\nDeliveryType : SmtpRelayToMailboxDeliveryGroup\r\nNextHopDomain : site-b\r\nthis is garbage\r\nStatus       : Retry\r\nLastError    : 451 4.4.0 DNS query failed\r\n".to_vec(),
            "neither a property nor a continuation",
        ),
        (
            "EX02_ReceiveConnectors.xml",
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n  <Obj RefId=\"0\">\r\n    <TN RefId=\"0\"><T>Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector</T></TN>\r\n    <Props><S N=\"Identity\">EX02\\Default EX02</S><S N=\"AuthMechanism\">Tls, ExchangeServer</S></Props>\r\n  </Obj>\r\n  <Obj RefId=\"1\"><Props><S N=\"Identity\">broken\r\n".to_vec(),
            "unexpected end of file",
        ),
        (
            "setspn-L.txt",
            b"\tSMTPSVC/stray\r\nRegistered ServicePrincipalNames for CN=EX02,OU=Servers,DC=contoso,DC=com:\r\n\tSMTPSVC/EX02\r\n".to_vec(),
            "indented line outside any account",
        ),
        (
            "w32tm-peers.txt",
            b"#Peers: 3\r\n\r\nPeer: dc01.contoso.com\r\nState: Active\r\n".to_vec(),
            "#Peers says 3, 1 listed",
        ),
        (
            "repadmin-showrepl.csv",
            b"showrepl_INFO,Default-First-Site-Name,DC01,\"DC=contoso,DC=com\",Default-First-Site-Name,DC02,RPC,0,0,2025-07-24 07:30:00,0\r\nshowrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,Last Failure Status\r\nshowrepl_INFO,Default-First-Site-Name,DC01,\"DC=contoso,DC=com\",Default-First-Site-Name,DC02,RPC,0,0,2025-07-24 07:30:00,0\r\n".to_vec(),
            "showrepl_INFO row before showrepl_COLUMNS",
        ),
        (
            "tnc.txt",
            b"ComputerName     : DC01\r\nRemoteAddress    : 10.0.0.10\r\nthis line is garbage\r\nRemotePort       : 88\r\nTcpTestSucceeded : False\r\n".to_vec(),
            "unexpected line",
        ),
        (
            "portqry.txt",
            b"Querying target system called:\r\n\r\n dc01\r\n\r\nAttempting to resolve name to IP address...\r\n\r\nName resolved to 10.0.0.10\r\n\r\nquerying...\r\n\r\nTCP port 88 (kerberos service): WEIRDSTATE\r\n".to_vec(),
            "unknown port state",
        ),
        (
            "nltest.txt",
            b"Getting DC name failed: Status = garbage\r\n".to_vec(),
            "neither a DC nor a status",
        ),
        (
            "klist.txt",
            b"\r\nCurrent LogonId is 0:0x3e7\r\n\r\nCached Tickets: (3)\r\n\r\n#0>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: SMTPSVC/EX02.contoso.com @ CONTOSO.COM\r\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n".to_vec(),
            "header says 3 ticket(s), 1 listed",
        ),
        (
            "ipconfig.txt",
            b"Windows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : ex01\r\n\r\nEthernet adapter Ethernet:\r\n\r\n   IPv4 Address. . . . . . . . . . . : 10.0.1.999(Preferred)\r\n".to_vec(),
            "not an address",
        ),
        (
            "event-copy.txt",
            b"Log Name:      Application\r\nSource:        MSExchangeTransport\r\nDate:          99/99/2016 1:21:43 PM\r\nEvent ID:      1035\r\nComputer:      EX02\r\nDescription:\r\nInbound authentication failed with error IllegalMessage for Receive connector Default EX02. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.1.11].\r\n".to_vec(),
            "is not a date",
        ),
        (
            "events.xml",
            b"<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider Name=\"MSExchangeTransport\"/><EventID>1035</EventID>".to_vec(),
            "input ended inside an <Event>",
        ),
        (
            "transcript.txt",
            b"**********************\r\nWindows PowerShell transcript start\r\nStart time: garbage\r\nMachine: EX01 (x)\r\n**********************\r\nPS C:\\> setspn -L EX02\r\nRegistered ServicePrincipalNames for CN=EX02,DC=contoso,DC=com:\r\n\tSMTPSVC/EX02\r\n".to_vec(),
            "not a yyyyMMddHHmmss time",
        ),
        (
            "CONNECTLOG20241015-1.LOG",
            b"#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: Transport Connectivity Log\r\n#Date: 2024-10-15T12:00:00.000Z\r\n#Fields: date-time,session,source,Destination,direction,description\r\nnot,a,valid\r\n".to_vec(),
            "a connectivity row needs 6",
        ),
        (
            "MSGTRK20241015-1.LOG",
            b"#Software: Microsoft Exchange Server\r\n#Version: 15.01.2375.007\r\n#Log-type: Message Tracking Log\r\n#Date: 2024-10-15T12:00:00.000Z\r\n#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id\r\nbad row without enough fields\r\n".to_vec(),
            "#Fields declares 9",
        ),
        ("System.evtx", damaged_evtx(), "CRC32 mismatch"),
    ]
}

/// A committed sample's System log with one byte of its first chunk's
/// records flipped: the chunk's CRC no longer matches.
fn damaged_evtx() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/healthy/EX02/Windows_Event_Logs/Windows-Logs/System.evtx");
    let mut bytes = std::fs::read(path).expect("sample System.evtx");
    // File header 4 KiB, chunk header 512 bytes: flip a byte of the first
    // record's data.
    let at = 4096 + 512 + 40;
    bytes[at] ^= 0x20;
    bytes
}

#[test]
fn every_format_reports_its_problems_in_coverage() {
    let mut missing = Vec::new();
    for (name, content, words) in malformed() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(name), &content).expect("write");
        // A readable companion, so that a file nothing could be read from is
        // reported in a scan document (not as "nothing readable").
        std::fs::write(
            dir.path().join("companion-setspn-L.txt"),
            "Registered ServicePrincipalNames for CN=EX02,OU=Servers,DC=contoso,DC=com:\r\n\tSMTPSVC/EX02\r\n",
        )
        .expect("write");
        let output = Command::cargo_bin("exauth")
            .expect("binary")
            .args(["scan", "-q", "--format", "json"])
            .arg(dir.path())
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let json: Value = match serde_json::from_str(&text) {
            Ok(json) => json,
            Err(e) => panic!("{name}: not a scan document ({e}): {text}"),
        };
        let coverage = &json["coverage"];
        let reported = ["read_with_problems", "not_read"].iter().any(|list| {
            coverage[list].as_array().is_some_and(|rows| {
                rows.iter().any(|r| {
                    r["origin"].as_str().is_some_and(|o| o.ends_with(name))
                        && r["reason"].as_str().is_some_and(|why| why.contains(words))
                })
            })
        });
        if !reported {
            missing.push(format!("{name} (expected \"{words}\"): {coverage}"));
        }
    }
    assert!(
        missing.is_empty(),
        "problems that did not reach coverage:\n  {}",
        missing.join("\n  ")
    );
}
