//! No diagnostic-output parser panics on arbitrary text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::diag::receive_connector::IpRange;
use exauth_parsers::diag::repadmin::ReplDelta;
use exauth_parsers::diag::{
    klist, nltest, portqry, receive_connector, repadmin, setspn, test_netconnection, w32tm,
};
use exauth_parsers::queue::DateOrderOption;
use proptest::prelude::*;

fn grammar_text() -> impl Strategy<Value = String> {
    "[\\[\\]{};=:\"' \\-/.,0-9A-Fa-z_<>#x\t\r\n@\\\\()+*%>]{0,400}"
}

fn seeded() -> impl Strategy<Value = String> {
    let seeds = prop::sample::select(vec![
        "Registered ServicePrincipalNames for CN=EX01,DC=x:\n",
        "\tSMTPSVC/EX01\n",
        " is registered on these accounts:\n",
        "found 2 groups of duplicate SPNs.\n",
        "Checking domain DC=a,DC=b\n",
        "Leap Indicator: 3(not synchronized)\n",
        "Tracking x [1.2.3.4:123].\n",
        "The current time is 1/16/2026 2:23:45 PM.\n",
        "14:23:45, +00.0002450s\n",
        "x.example.com *** PDC ***[1.2.3.4:123]:\n",
        "    NTP: -0.0063029s offset from PDC\n",
        "Source DSA          largest delta    fails/total %%   error\n",
        " DC02   3d.04h:02m:16s    1 /   4   25  (8524) x\n",
        "==== INBOUND NEIGHBORS ====\n",
        "DC=iconic,DC=local\n",
        "    Site\\DC via RPC\n",
        "        Last attempt @ 2025-07-24 07:33:38 failed, result 8418 (0x20e2):\n",
        "showrepl_COLUMNS,Naming Context\n",
        "showrepl_INFO,\"DC=a,DC=b\"\n",
        "RemoteIPRanges : {10.0.0.1-10.0.0.9, ::/0, 1.2.3.0(255.255.255.0)}\n",
        "Bindings       : {0.0.0.0:2525, [::]:25}\n",
        "TcpTestSucceeded : False\n",
        "WARNING: TCP connect to (10.0.0.10 : 88) failed\n",
        "TCP port 88 (kerberos service): LISTENING\n",
        "Querying target system called:\n",
        "Getting DC name failed: Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN\n",
        "           DC: \\\\DC01\n",
        "#0>     Client: a @ B\n",
        "        Start Time: 4/16/2022 9:53:54 (local)\n",
        "Ticket Flags 0x40e10000 -> forwardable\n",
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
    fn diag_parsers_never_panic(s in any_text()) {
        let _ = exauth_parsers::detect::detect(s.as_bytes(), "output.txt");
        let _ = setspn::parse(&s);
        let _ = w32tm::parse(&s, DateOrderOption::Infer);
        let _ = repadmin::parse_replsummary(&s);
        let _ = repadmin::parse_showrepl(&s);
        let _ = repadmin::parse_showrepl_csv(&s);
        let _ = receive_connector::parse(&s);
        let _ = receive_connector::parse_format_list(&s);
        let _ = test_netconnection::parse(&s);
        let _ = portqry::parse(&s);
        let _ = nltest::parse(&s);
        let _ = klist::parse(&s, DateOrderOption::Infer);
    }

    #[test]
    fn small_grammars_never_panic(s in any_text(), probe in any::<[u8; 16]>()) {
        if let Some(r) = IpRange::parse(&s) {
            let _ = r.contains(std::net::IpAddr::from(probe));
            let _ = r.address_count();
            let _ = r.specificity_bits();
        }
        let _ = ReplDelta::parse(&s);
    }
}
