//! Issue 13, the invariant: a failure signature in any readable input makes
//! a failing pair, and the verdict is then never `healthy`. The worst answer
//! exauth can give is `healthy` beside a real 454; each form an admin hands
//! over is scanned alone here, the way it arrives (pasted, copied, excerpted,
//! in a folder named after nothing, in Dutch).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn scan_one(file_name: &str, content: &[u8]) -> (Value, i32) {
    let dir = tempfile::tempdir().expect("temp dir");
    // A folder named after no host: nothing attributes the file.
    let folder = dir.path().join("export");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(folder.join(file_name), content).expect("write");
    scan(dir.path())
}

fn scan(path: &Path) -> (Value, i32) {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["scan", "-q", "--format", "json"])
        .arg(path)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"));
    (json, output.status.code().unwrap_or(-1))
}

/// The verdict is not healthy, exit 1, and a failing pair stands with the
/// expected side and, where the text names one, the expected peer.
fn assert_failure(
    form: &str,
    (json, code): (Value, i32),
    side: &str,
    sender: &str,
    receiver: &str,
) {
    let verdict = json["verdict"]["primary_cause"].as_str().unwrap_or("");
    assert_ne!(verdict, "healthy", "{form}: healthy beside a failure");
    assert_eq!(code, 1, "{form}: exit code says failure evidence found");
    let pairs = json["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 1, "{form}: one failing pair: {pairs:?}");
    let pair = &pairs[0];
    assert_eq!(pair["side"], side, "{form}: {pair}");
    assert_eq!(pair["sender"], sender, "{form}: {pair}");
    assert_eq!(pair["receiver"], receiver, "{form}: {pair}");
    assert!(
        pair["failures"].as_u64().unwrap_or(0) >= 1,
        "{form}: {pair}"
    );
}

/// No failing pair and no "failure evidence found" exit code. (A text that
/// no parser reads yet and that holds no failure may still be reported as
/// "nothing readable", exit 2.)
fn assert_no_failure(form: &str, (json, code): (Value, i32)) {
    assert_ne!(code, 1, "{form}: {json}");
    assert!(
        json["pairs"].as_array().is_none_or(|p| p.is_empty()),
        "{form}: {json}"
    );
}

#[test]
fn a_pasted_queue_without_server_or_target_is_a_failure() {
    // The case: no Identity server, no endpoint, a mangled caption
    // line, zh-CN dates.
    let paste = "Identity : \r\nDeliveryType : SmtpRelayToMailboxDeliveryGroup\r\nStatus : Retry\r\nMessa geCount: 42\r\nLastError : 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed.\r\nLastRetryTime : 2024/7/9 14:55:34\r\n";
    assert_failure(
        "queue paste",
        scan_one("queue.txt", paste.as_bytes()),
        "unknown",
        "unknown",
        "unknown",
    );
}

#[test]
fn an_event_viewer_copy_of_1035_is_a_failure() {
    let copy = "Log Name:      Application\r\nSource:        MSExchangeTransport\r\nDate:          8/24/2016 1:21:43 PM\r\nEvent ID:      1035\r\nTask Category: SmtpReceive\r\nLevel:         Warning\r\nKeywords:      Classic\r\nUser:          N/A\r\nComputer:      SiteCserver.contoso.com\r\nDescription:\r\nInbound authentication failed with error UnexpectedExchangeAuthBlob for Receive connector Default SiteCServer. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.1.11].\r\nEvent Xml:\r\n<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n    <Provider Name=\"MSExchangeTransport\" />\r\n";
    assert_failure(
        "viewer copy",
        scan_one("event.txt", copy.as_bytes()),
        "receiver-rejected",
        "10.0.1.11",
        // The copy's Computer caption names the receiver.
        "SITECSERVER",
    );
}

#[test]
fn a_dutch_1035_text_is_a_failure() {
    let text = "Binnenkomende verificatie is mislukt met de fout IllegalMessage voor de standaardinstelling connector EX02. Het authenticatiemechanisme is ExchangeAuth. Het bron-IP-adres van de client die heeft geprobeerd om te verifiëren bij Microsoft Exchange is [10.0.1.11].\n";
    // Saved by Notepad as UTF-16LE with a BOM.
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    assert_failure(
        "Dutch 1035",
        scan_one("gebeurtenis.txt", &bytes),
        "receiver-rejected",
        "10.0.1.11",
        "unknown",
    );
}

#[test]
fn a_headerless_send_log_excerpt_is_a_failure() {
    let rows = "2019-11-04T06:00:35.480Z,组织内 SMTP 发送连接器,08D760DF231F00BC,43,10.0.1.11:37964,10.0.1.12:25,<,250 XEXCH50,\n2019-11-04T06:00:35.496Z,组织内 SMTP 发送连接器,08D760DF231F00BC,45,10.0.1.11:37964,10.0.1.12:25,*,,Outbound Authentication failed with LogonDenied\n";
    assert_failure(
        "headerless excerpt",
        scan_one("excerpt.txt", rows.as_bytes()),
        "sender-synthesized",
        "unknown",
        "10.0.1.12",
    );
}

#[test]
fn a_console_transcript_is_a_failure() {
    let transcript = "**********************\r\nWindows PowerShell transcript start\r\nStart time: 20240709145501\r\n**********************\r\n[PS] C:\\Windows\\system32>Get-Queue | ft Identity,Status,LastError -AutoSize\r\n\r\nIdentity      Status LastError\r\n--------      ------ ---------\r\nEX01\\12       Retry  [{LRT=7/9/2024 2:55:34 PM};{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"};{FQDN=ex02.contoso.com};{IP=10.0.1.12}]\r\n\r\n[PS] C:\\Windows\\system32>w32tm /query /source\r\nLocal CMOS Clock\r\n";
    assert_failure(
        "transcript",
        scan_one("PowerShell_transcript.txt", transcript.as_bytes()),
        "unknown",
        "unknown",
        "EX02",
    );
}

#[test]
fn an_event_text_rendering_of_2017_is_a_failure() {
    let text = "Time:    9/7/2024 2:55:34 PM\nID:      2017\nLevel:   Error\nSource:  MSExchangeTransport\nMachine: EX01.contoso.com\nMessage: Outbound authentication failed with error TargetUnknown for Send connector Intra-Organization SMTP Send Connector. The authentication mechanism is ExchangeAuth. The target is SMTPSVC/EX02.contoso.com.\n";
    assert_failure(
        "event rendering",
        scan_one("2017.txt", text.as_bytes()),
        "sender-synthesized",
        // The rendering's Machine caption names the sender.
        "EX01",
        "EX02",
    );
}

#[test]
fn a_connector_refusal_in_any_text_is_a_failure() {
    let ndr = "Delivery has failed to these recipients or groups:\n\nRemote Server returned '451 5.7.3 Cannot achieve Exchange Server authentication'\n";
    assert_failure(
        "451 5.7.3",
        scan_one("ndr.txt", ndr.as_bytes()),
        "connector-refused",
        "unknown",
        "unknown",
    );
}

/// The command outputs read a line at a time (a domain's `setspn -Q`, a
/// `w32tm /stripchart`, `portqry`, `Test-NetConnection`, `repadmin
/// /replsummary`, `/showrepl` and its `/csv` run in a loop) with a 454 pasted
/// among their lines: the net under their parsers still finds it.
#[test]
fn a_454_inside_a_streamed_command_output_is_a_failure() {
    let listing = "Checking domain DC=contoso,DC=com\r\nCN=WS1,OU=W,DC=contoso,DC=com\r\n\tHOST/WS1\r\nRemote Server returned 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n\r\nExisting SPN found!\r\n";
    assert_failure(
        "setspn -Q with a 454",
        scan_one("setspn-Q.txt", listing.as_bytes()),
        "unknown",
        "unknown",
        "unknown",
    );
    let stripchart = "Tracking DC01.contoso.com [10.0.0.10:123].\r\nThe current time is 11/26/2026 4:11:00 AM.\r\n04:11:00, +00.0001s\r\nnote: 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n04:11:02, +00.0001s\r\n";
    assert_failure(
        "w32tm /stripchart with a 454",
        scan_one("w32tm-stripchart.txt", stripchart.as_bytes()),
        "unknown",
        "unknown",
        "unknown",
    );
    let portqry = "Querying target system called:\r\n\r\n DC01.contoso.com\r\n\r\nTCP port 88 (kerberos service): LISTENING\r\nnote: 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\nTCP port 88 (kerberos service): LISTENING\r\n";
    let netconnection = "ComputerName           : DC01.contoso.com\r\nRemoteAddress          : 10.0.0.10\r\nRemotePort             : 88\r\nTcpTestSucceeded       : True\r\n\r\nnote: 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n\r\nComputerName           : DC01.contoso.com\r\nRemoteAddress          : 10.0.0.10\r\nRemotePort             : 88\r\nTcpTestSucceeded       : True\r\n";
    let replsummary = "Replication Summary Start Time: 2026-11-26 08:54:00\r\n\r\nSource DSA          largest delta    fails/total %%   error\r\n DC01                      14m:05s    0 /   5    0\r\n\r\nnote: 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n";
    let showrepl = "Repadmin: running command /showrepl against full DC localhost\r\nDefault-First-Site-Name\\DC01\r\n\r\n==== INBOUND NEIGHBORS ======================================\r\n\r\nDC=contoso,DC=com\r\n    Default-First-Site-Name\\DC02 via RPC\r\n        Last attempt @ 2026-11-26 07:33:38 was successful.\r\nnote: 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n";
    let showrepl_csv = "showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,Last Failure Status\r\nshowrepl_INFO,Site,DC01,\"DC=contoso,DC=com\",Site,DC02,RPC,0,0,2026-11-26 07:30:00,0\r\nnote: 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n";
    for (form, name, text) in [
        ("portqry with a 454", "portqry-DC01-88.txt", portqry),
        (
            "repadmin /showrepl with a 454",
            "repadmin-showrepl.txt",
            showrepl,
        ),
        (
            "repadmin /showrepl /csv with a 454",
            "repadmin-showrepl.csv",
            showrepl_csv,
        ),
        (
            "Test-NetConnection with a 454",
            "Test-NetConnection-DC01-88.txt",
            netconnection,
        ),
        (
            "repadmin /replsummary with a 454",
            "repadmin-replsummary.txt",
            replsummary,
        ),
    ] {
        assert_failure(
            form,
            scan_one(name, text.as_bytes()),
            "unknown",
            "unknown",
            "unknown",
        );
    }
}

#[test]
fn internet_auth_login_noise_stays_out() {
    // A 1035 for an Internet client's NTLM/Login attempt and Receive-log
    // AUTH LOGIN failures are not server-to-server authentication.
    let noise = "Inbound authentication failed with error LogonDenied for Receive connector Default DC. The authentication mechanism is Ntlm. The source IP address of the client who tried to authenticate to Microsoft Exchange is [212.48.88.133].\n2020-04-02T07:00:16.411Z,SRV-XCH03\\External Authenticated Relay,08D7D4D2EFBC4CC8,9,10.0.0.2:10587,180.20.20.20:61234,*,,Inbound AUTH LOGIN failed because of LogonDenied\n2020-04-02T07:00:16.412Z,SRV-XCH03\\External Authenticated Relay,08D7D4D2EFBC4CC8,10,10.0.0.2:10587,180.20.20.20:61234,>,535 5.7.3 Authentication unsuccessful,\n";
    assert_no_failure("AUTH LOGIN noise", scan_one("noise.txt", noise.as_bytes()));
}
