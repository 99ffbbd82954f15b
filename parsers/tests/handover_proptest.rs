//! No hand-over parser (issue 13) panics on arbitrary text, and none slices a
//! string off a character boundary (seeds mix multi-byte text into every grammar).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::diag::{ipconfig, setspn, w32tm};
use exauth_parsers::exchange_logs;
use exauth_parsers::queue::DateOrderOption;
use exauth_parsers::smtp_log::excerpt;
use exauth_parsers::transcript;
use proptest::prelude::*;

fn grammar_text() -> impl Strategy<Value = String> {
    "[\\[\\]{};=:\"' \\-/.,0-9A-Fa-z_<>#x\t\r\n@\\\\()+*%>äü组织…]{0,400}"
}

fn seeded() -> impl Strategy<Value = String> {
    let seeds = prop::sample::select(vec![
        "Windows IP Configuration\n",
        "Ethernet-Adapter Ethernet:\n",
        "   IPv4-Adresse  . . . . . . . . . . : 10.1.2.3(Bevorzugt)\n",
        "   DNS Servers . . . . . . . . . . . : fec0:0:0:ffff::1%1\n",
        "                                       fec0:0:0:ffff::2%1\n",
        "   Verbindungsspezifisches DNS-Suffix:\n",
        "[Configuration]\n",
        "[TimeProviders]\n",
        "NtpClient (Local)\n",
        "Type: NT5DS (Policy)\n",
        "AnnounceFlags: 5 (Local)\n",
        "#Peers: 2\n",
        "Peer: time.windows.com,0x8\n",
        "Local CMOS Clock\n",
        "PS C:\\> w32tm /query /status\n",
        "CN=EX01,OU=Servers,DC=contoso,DC=com\n",
        "\tSMTPSVC/EX01\n",
        "Existing SPN found!\n",
        "C:\\>setspn -Q */*\n",
        "**********************\n",
        "Windows PowerShell transcript start\n",
        "Machine: RESOLUTE (Microsoft Windows NT 10.0.14393.0)\n",
        "Command start time: 20191203063455\n",
        "PS>TerminatingError(): \"System error.\"\n",
        "[10.0.0.1]: PS C:\\> Get-Queue -Server EX02\n",
        "[PS] C:\\Windows\\system32>Get-Queue -Identity \"EX01\\3\"\n",
        ">> fl\n",
        "#Log-type: Transport Connectivity Log\n",
        "#Fields: date-time,session,source,Destination,direction,description\n",
        "2013-06-27T21:08:37.583Z,08D03F2DE58E0D71,SMTP,x,-,Messages: 0 Bytes: 0 (Retry : 454 4.7.0 x)\n",
        "2024-05-06T10:00:01.000Z,1,SMTP,x,>,Failed connection to [::1]:25 (TimedOut:0000274C)[TargetHost:组织:25|MarkedUnhealthy]\n",
        "#Log-type: Message Tracking Log\n",
        "2024-05-06T10:00:05.123Z,,,,,\"a,b\",c,SMTP,DEFER,,,,x,451 4.4.0 \"\"454 4.7.0\"\"\n",
        "2019-11-04T06:00:35.496Z,组织内 SMTP 发送连接器,08D760DF231F00BC,45,10.**.**.31:37964,10.**.**.168:25,*,,Outbound Authentication failed with LogonDenied\n",
        "2016-12-14T01:17:34.808Z,EX\\Default ,0000000000000000,2,x.x.x.x:25,91.112.61.94:55171,>,\"220 mail.x.x ready\",\n",
    ]);
    prop::collection::vec(
        prop_oneof![seeds.prop_map(str::to_string), grammar_text()],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), grammar_text(), seeded()]
}

proptest! {
    #[test]
    fn handover_parsers_never_panic(s in any_text()) {
        let _ = ipconfig::looks_like(&s);
        let _ = ipconfig::parse(&s);
        let _ = setspn::looks_like(&s);
        let _ = setspn::parse(&s);
        let _ = w32tm::looks_like(&s);
        let _ = w32tm::parse(&s, DateOrderOption::Infer);
        let _ = transcript::looks_like(&s);
        let t = transcript::split(&s);
        for b in &t.blocks {
            prop_assert!(b.text_first_line >= b.first_line);
        }
        let _ = excerpt::looks_like_excerpt(&s);
        let _ = excerpt::read_excerpt(&s);
        let _ = exchange_logs::looks_like(&s);
        let _ = exchange_logs::parse_connectivity(s.as_bytes());
        let _ = exchange_logs::read_message_tracking(s.as_bytes());
    }
}
