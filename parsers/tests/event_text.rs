//! Pasted Windows event text → the typed records the `.evtx` reader produces.
//! Samples quote FORMATS.md §7 verbatim where it gives them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::event_text::{local_time, looks_like, parse, read_events};
use exauth_parsers::evtx::{
    event_order, EventDetails, EventFileReport, EventRecord, ExchangeTransportEvent, TimeProvenance,
};
use exauth_parsers::problem::Location;
use exauth_parsers::queue::local_time::{DateOrder, DateOrderOption};

mod support;
use support::Pieces;

fn read(text: &str) -> EventFileReport {
    assert!(looks_like(text), "looks_like refused:\n{text}");
    parse(text, DateOrderOption::Infer)
}

fn only(report: &EventFileReport) -> &EventRecord {
    assert_eq!(report.events.len(), 1, "{:#?}", report.events);
    &report.events[0]
}

fn transport(e: &EventRecord) -> &ExchangeTransportEvent {
    match &e.details {
        EventDetails::ExchangeTransport(t) => t,
        other => panic!("not a transport event: {other:?}"),
    }
}

fn utc(e: &EventRecord) -> String {
    e.time.map(|t| t.to_string()).unwrap_or_default()
}

fn local(e: &EventRecord) -> String {
    local_time(e)
        .map(|t| t.local.to_string())
        .unwrap_or_default()
}

/// EXCA-1035, verbatim: no `Description:` caption, `Computer:` off-column, XML cut.
const EXCA_1035: &str = r#"Log Name:      Application
Source:        MSExchangeTransport
Date:          8/24/2016 1:21:43 PM
Event ID:      1035
Task Category: SmtpReceive
Level:         Warning
Keywords:      Classic
User:          N/A
Computer:     SiteCserver.contoso.com
Inbound authentication failed with error UnexpectedExchangeAuthBlob for Receive connector Default SiteCServer. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [IP of Site A exchange server (or site B)].
Event Xml:
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
    <Provider Name="MSExchangeTransport" />
    <EventID Qualifiers="32772">1035</EventID>
    <TimeCreated SystemTime="2016-08-24T17:21:43.000000000Z" />
"#;

#[test]
fn english_copy_with_cut_xml_reads_captions_message_and_system_time() {
    let r = read(EXCA_1035);
    let e = only(&r);
    assert_eq!(e.provider, "MSExchangeTransport");
    assert_eq!(e.event_id, 1035);
    assert_eq!(e.qualifiers, Some(32772));
    assert_eq!(e.computer, "SiteCserver.contoso.com");
    assert_eq!(e.channel, "Application");
    assert_eq!(e.level, Some(3));
    // The cut XML still gives the UTC SystemTime, which beats the zone-less Date.
    assert_eq!(utc(e), "2016-08-24T17:21:43Z");
    assert_eq!(e.time_provenance, TimeProvenance::NativeUtc);
    let t = transport(e);
    assert_eq!(t.status.as_deref(), Some("UnexpectedExchangeAuthBlob"));
    assert_eq!(t.connector.as_deref(), Some("Default SiteCServer"));
    assert_eq!(t.mechanism.as_deref(), Some("ExchangeAuth"));
    assert_eq!(
        t.source_ip.as_deref(),
        Some("IP of Site A exchange server (or site B)")
    );
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].location, Location::Line(12));
    assert!(r.problems[0].message.contains("Event Xml"));
}

const COPY_WITH_XML: &str = r#"Log Name:      Application
Source:        MSExchangeTransport
Date:          5/6/2024 12:01:02 PM
Event ID:      1035
Task Category: SmtpReceive
Level:         Warning
Keywords:      Classic
User:          N/A
Computer:      EX02.contoso.com
Description:
Inbound authentication failed with error TimeSkew for Receive connector Default EX02. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.0.21].
Event Xml:
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="MSExchangeTransport" />
    <EventID Qualifiers="32772">1035</EventID>
    <Level>3</Level>
    <Task>1</Task>
    <Keywords>0x80000000000000</Keywords>
    <TimeCreated SystemTime="2024-05-06T10:01:02.1234567Z" />
    <EventRecordID>4711</EventRecordID>
    <Channel>Application</Channel>
    <Computer>EX02.contoso.com</Computer>
    <Security />
  </System>
  <EventData>
    <Data>TimeSkew</Data>
    <Data>Default EX02</Data>
    <Data>ExchangeAuth</Data>
    <Data>10.0.0.21</Data>
  </EventData>
</Event>
"#;

#[test]
fn english_copy_with_complete_xml_is_read_from_the_xml() {
    let r = read(COPY_WITH_XML);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let e = only(&r);
    assert_eq!(e.record_id, Some(4711));
    assert_eq!(utc(e), "2024-05-06T10:01:02.1234567Z");
    assert_eq!(e.time_provenance, TimeProvenance::NativeUtc);
    assert_eq!(e.data.len(), 4);
    let t = transport(e);
    assert_eq!(t.status.as_deref(), Some("TimeSkew"));
    assert_eq!(t.source_ip.as_deref(), Some("10.0.0.21"));
}

#[test]
fn copy_without_xml_matches_what_the_xml_gives() {
    let text_only = COPY_WITH_XML
        .split("Event Xml:")
        .next()
        .unwrap_or_default()
        .to_string();
    let from_text = read(&text_only);
    let from_xml = read(COPY_WITH_XML);
    let (a, b) = (only(&from_text), only(&from_xml));
    assert_eq!(a.details, b.details);
    assert_eq!(a.family, b.family);
    assert_eq!(
        (a.provider.as_str(), a.event_id),
        (b.provider.as_str(), b.event_id)
    );
    assert_eq!(a.computer, b.computer);
    assert_eq!(a.channel, b.channel);
    assert_eq!(a.level, b.level);
    // The zone-less local Date stays a local time.
    assert_eq!(a.time_provenance, TimeProvenance::LocalUnzoned);
    assert_eq!(local(a), "2024-05-06T12:01:02");
    assert!(from_text.problems.is_empty(), "{:?}", from_text.problems);
}

/// NITZ (real German paste, HTML `&nbsp;` runs, masked host), then a German-caption
/// 1035 whose text Exchange renders in English (FORMATS §7.6).
const GERMAN: &str = "Protokollname: Application
Quelle:&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; Microsoft-SharePoint Products-SharePoint Foundation
Datum:&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; 20.07.2010 00:00:01
Ereignis-ID:&nbsp;&nbsp; 2137
Aufgabenkategorie:Integrit&auml;t
Ebene:&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; Fehler
Schl&uuml;sselw&ouml;rter:
Benutzer:&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; NETZWERKDIENST
Computer:&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; Miami.****
Beschreibung:
SharePoint-Integrit&auml;tsanalyse: Fehler. …
Protokollname: Application
Quelle:        MSExchangeTransport
Datum:         09.08.2010 16:51:10
Ereignis-ID:   1035
Aufgabenkategorie:SmtpReceive
Ebene:         Warnung
Schlüsselwörter:Klassisch
Benutzer:      N/V
Computer:      EX01.contoso.de
Beschreibung:
Inbound authentication failed with error LogonDenied for Receive connector Default EX01. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [192.168.10.12].
";

#[test]
fn german_copy_reads_long_captions_and_entities() {
    let r = read(GERMAN);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.records_read, 2);
    assert_eq!(r.other_counts.len(), 1);
    assert_eq!(
        r.other_counts[0].provider,
        "Microsoft-SharePoint Products-SharePoint Foundation"
    );
    assert_eq!(r.other_counts[0].event_id, 2137);
    let e = only(&r);
    assert_eq!(e.event_id, 1035);
    assert_eq!(e.level, Some(3));
    assert_eq!(e.computer, "EX01.contoso.de");
    // `.`-separated dates are day first.
    assert_eq!(local(e), "2010-08-09T16:51:10");
    let t = transport(e);
    assert_eq!(t.status.as_deref(), Some("LogonDenied"));
    assert_eq!(t.source_ip.as_deref(), Some("192.168.10.12"));
}

/// Dutch captions (MSDOC-L10N, unverified as Event Viewer output) around the KB's
/// Dutch 1035 text.
const DUTCH: &str = "Logboeknaam:   Application
Bron:          MSExchangeTransport
Datum:         26-11-2024 10:40:05
Gebeurtenis-id:1035
Taakcategorie: SmtpReceive
Niveau:        Waarschuwing
Trefwoorden:   Klassiek
Gebruiker:     N.V.T.
Computer:      EX02.contoso.nl
Beschrijving:
Binnenkomende verificatie is mislukt met de fout IllegalMessage voor de standaardinstelling connector EX02. Het authenticatiemechanisme is ExchangeAuth. Het bron-IP-adres van de client die heeft geprobeerd om te verifiëren bij Microsoft Exchange is [10.1.2.11].
";

#[test]
fn dutch_captions_and_dutch_1035_text() {
    let r = read(DUTCH);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let e = only(&r);
    assert_eq!(e.event_id, 1035);
    assert_eq!(e.level, Some(3));
    assert_eq!(local(e), "2024-11-26T10:40:05");
    let t = transport(e);
    assert_eq!(t.status.as_deref(), Some("IllegalMessage"));
    assert_eq!(
        t.connector.as_deref(),
        Some("standaardinstelling connector EX02")
    );
    assert_eq!(t.mechanism.as_deref(), Some("ExchangeAuth"));
    assert_eq!(t.source_ip.as_deref(), Some("10.1.2.11"));
}

#[test]
fn dutch_1035_text_alone_names_the_event() {
    let text = "Time: 11/26/2024 10:40:05 AM\nID: 1035\nLevel: Warning\nSource: MSExchangeTransport\nMachine: EX02\nMessage: Binnenkomende verificatie is mislukt met de fout IllegalMessage voor de standaardinstelling connector <Server>. Het authenticatiemechanisme is ExchangeAuth. Het bron-IP-adres van de client … is [10.1.2.11].\n";
    let r = read(text);
    let t = transport(only(&r));
    assert_eq!(t.status.as_deref(), Some("IllegalMessage"));
    assert_eq!(t.source_ip.as_deref(), Some("10.1.2.11"));
}

/// French captions (unverified): a space before every colon.
const FRENCH: &str = "Nom du journal : Application
Source : MSExchangeTransport
Date : 24/08/2016 13:21:43
ID de l’événement : 2017
Catégorie de la tâche : SmtpSend
Niveau : Erreur
Mots clés : Classique
Utilisateur : N/A
Ordinateur : EX01.contoso.fr
Description :
Outbound authentication failed with error LogonDenied for Send connector Intra-Org. The authentication mechanism is ExchangeAuth. The target is SMTPSVC/EX02.contoso.fr.
";

#[test]
fn french_captions_with_space_before_colon() {
    let r = read(FRENCH);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let e = only(&r);
    assert_eq!(e.event_id, 2017);
    assert_eq!(e.level, Some(2));
    assert_eq!(e.computer, "EX01.contoso.fr");
    assert_eq!(local(e), "2016-08-24T13:21:43");
    let t = transport(e);
    assert_eq!(t.status.as_deref(), Some("LogonDenied"));
    assert_eq!(t.connector.as_deref(), Some("Intra-Org"));
    assert_eq!(t.target_spn.as_deref(), Some("SMTPSVC/EX02.contoso.fr"));
}

/// W2K3-P verbatim (SQLServerAgent 103), then a 2003-style LsaSrv 40960 with `Data:`.
const SERVER_2003: &str = "Event Type: Error
Event Source: SQLSERVERAGENT
Event Category: Service Control
Event ID: 103
Date:  2/24/2010
Time:  6:35:23 PM
User:  N/A
Computer: MySERVER
Description:
SQLServerAgent could not be started (reason: Unable to connect to server 'MySERVER Local Host Connection'; SQLServerAgent cannot start).

For more information, see Help and Support Center at http://go.microsoft.com/fwlink/events.asp.

Event Type: Warning
Event Source: LSASRV
Event Category: SPNEGO (Negotiator)
Event ID: 40960
Date:  4/21/2009
Time:  9:12:05 AM
User:  N/A
Computer: EX2003
Description:
The Security System detected an authentication error for the server ldap/dca.acc.local. The failure code from authentication protocol Kerberos was \"There are currently no logon servers available to service the logon request.
 (0xc000005e)\".For more information, see Help and Support Center at http://go.microsoft.com/fwlink/events.asp.
Data:
0000: c000005e
";

#[test]
fn server_2003_copies_with_separate_date_and_time() {
    let r = read(SERVER_2003);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.records_read, 2);
    assert_eq!(r.other_counts[0].provider, "SQLSERVERAGENT");
    let e = only(&r);
    assert_eq!(e.event_id, 40960);
    assert_eq!(e.computer, "EX2003");
    assert_eq!(e.level, Some(3));
    assert_eq!(local(e), "2009-04-21T09:12:05");
    let EventDetails::LsaSrv(l) = &e.details else {
        panic!("wrong family {:?}", e.details)
    };
    assert_eq!(l.target.as_deref(), Some("ldap/dca.acc.local"));
    assert_eq!(l.protocol.as_deref(), Some("Kerberos"));
    assert_eq!(l.ntstatus, Some(0xC000_005E));
}

#[test]
fn kb_flattened_one_line_form() {
    // KB979174, as printed (one line, cut with an ellipsis).
    let text = "Event Type: Error Event Source: MSExchangeTransport Event Category: SmtpReceive Event ID: 1035 Description: Inbound authentication failed with error IllegalMessage for Receive connector Default <Server>. …";
    let r = read(text);
    let e = only(&r);
    assert_eq!(e.event_id, 1035);
    assert_eq!(e.level, Some(2));
    assert_eq!(e.time_provenance, TimeProvenance::Unknown);
    let t = transport(e);
    assert_eq!(t.status.as_deref(), Some("IllegalMessage"));
    assert_eq!(t.connector.as_deref(), Some("Default <Server>"));
    assert_eq!(t.mechanism, None);
    // The cut message is a problem: the fields after the cut are missing.
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].location, Location::Line(1));
}

/// PSSAMPLES verbatim (Russian box), then a Kerberos 3 event in the same form.
const WEVTUTIL: &str = "Event[0]:
  Log Name: log4jna_sample
  Source: example.log4jna_sample
  Date: 2024-01-25T18:02:54.0220000Z
  Event ID: 4096
  Task: Info
  Level: Сведения
  Opcode: Сведения
  Keyword: Классический
  User: N/A
  User Name: N/A
  Computer: DESKTOP-82V9KDO
  Description:
the quick brown fox jumps over the lazy dog  - this is a test

Event[1]:
  Log Name: System
  Source: Microsoft-Windows-Security-Kerberos
  Date: 2024-09-10T13:55:10.5000000Z
  Event ID: 3
  Task: N/A
  Level: Error
  Opcode: Info
  Keyword: Classic
  User: N/A
  User Name: N/A
  Computer: EX01.contoso.com
  Description:
A Kerberos error message was received:
 on logon session 
 Client Time: 14:02:10.0000 9/10/2024 Z
 Server Time: 13:55:10.0000 9/10/2024 Z
 Error Code: 0x25 KRB_AP_ERR_SKEW
 Extended Error: 
 Client Realm: 
 Client Name: 
 Server Realm: CONTOSO.COM
 Server Name: SMTPSVC/ex02.contoso.com
 Target Name: SMTPSVC/ex02.contoso.com@CONTOSO.COM
 Error Text: 
 File: 9
 Line: efb
 Error Data is in record data.
";

#[test]
fn wevtutil_text_dates_are_utc() {
    let r = read(WEVTUTIL);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.records_read, 2);
    assert_eq!(r.other_counts[0].provider, "example.log4jna_sample");
    let e = only(&r);
    assert_eq!(e.event_id, 3);
    assert_eq!(e.channel, "System");
    assert_eq!(e.level, Some(2));
    assert_eq!(utc(e), "2024-09-10T13:55:10.5Z");
    assert_eq!(e.time_provenance, TimeProvenance::NativeUtc);
    let EventDetails::KerberosClient(k) = &e.details else {
        panic!("wrong family")
    };
    assert_eq!(k.error_code, Some(0x25));
    assert_eq!(k.error_name.as_deref(), Some("KRB_AP_ERR_SKEW"));
    assert_eq!(k.skew_seconds, Some(420.0));
    assert_eq!(k.server_name.as_deref(), Some("SMTPSVC/ex02.contoso.com"));
    assert_eq!(k.server_realm.as_deref(), Some("CONTOSO.COM"));
}

const WIN_EVENT_FL: &str = "PS C:\\> Get-WinEvent -FilterHashtable @{LogName='Application';Id=1035} -MaxEvents 1 | fl

TimeCreated  : 11/26/2024 10:40:05 AM
ProviderName : MSExchangeTransport
Id           : 1035
Message      : Inbound authentication failed with error IllegalMessage for Receive connector Default EX02. The
               authentication mechanism is ExchangeAuth. The source IP address of the client who tried to
               authenticate to Microsoft Exchange is [10.1.2.11].

TimeCreated  : 11/26/2024 9:00:00 AM
ProviderName : Microsoft-Windows-Time-Service
Id           : 36
Message      : The time service has not synchronized the system time for the last 86400 seconds because none of
               the time service providers provided a usable time stamp. The time service will not update the
               local system time until it is able to synchronize with a time source.

PS C:\\>
";

#[test]
fn get_winevent_format_list() {
    let r = read(WIN_EVENT_FL);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.events.len(), 2);
    let time = &r.events[0];
    assert_eq!(time.event_id, 36);
    let EventDetails::TimeService(ts) = &time.details else {
        panic!("wrong family")
    };
    assert_eq!(ts.unsynchronized_seconds, Some(86400));
    let e = &r.events[1];
    assert_eq!(local(e), "2024-11-26T10:40:05");
    let t = transport(e);
    assert_eq!(t.status.as_deref(), Some("IllegalMessage"));
    assert_eq!(t.mechanism.as_deref(), Some("ExchangeAuth"));
    assert_eq!(t.source_ip.as_deref(), Some("10.1.2.11"));
}

const EVENT_LOG_FL: &str = "Index              : 88412
EntryType          : Error
InstanceId         : 5719
Message            : This computer was not able to set up a secure session with a domain controller in domain
                     CONTOSO due to the following:
                     There are currently no logon servers available to service the logon request.
                     This may lead to authentication problems. Make sure that this computer is connected to
                     the network. If the problem persists, please contact your domain administrator.

                     ADDITIONAL INFO
                     If this computer is a domain controller for the specified domain, it sets up the secure
                     session to the primary domain controller emulator in the specified domain. Otherwise,
                     this computer sets up the secure session to any domain controller in the specified domain.
Category           : (0)
CategoryNumber     : 0
ReplacementStrings : {CONTOSO, There are currently no logon servers available to service the logon request.
                     }
Source             : NETLOGON
TimeGenerated      : 25.01.2024 8:07:00
TimeWritten        : 25.01.2024 8:07:00
UserName           :

Index              : 88413
EntryType          : Warning
InstanceId         : 2147746827
Message            : Inbound authentication failed with error TimeSkew for Receive connector Default EX02. The
                     authentication mechanism is ExchangeAuth. The source IP address of the client who tried to
                     authenticate to Microsoft Exchange is [10.1.2.11].
Category           : (1)
CategoryNumber     : 1
ReplacementStrings : {TimeSkew, Default EX02, ExchangeAuth, 10.1.2.11}
Source             : MSExchangeTransport
TimeGenerated      : 25.01.2024 8:09:00
TimeWritten        : 25.01.2024 8:09:00
UserName           :
";

#[test]
fn get_eventlog_format_list() {
    let r = read(EVENT_LOG_FL);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.events.len(), 2);
    let n = &r.events[0];
    assert_eq!(n.event_id, 5719);
    assert_eq!(n.record_id, Some(88412));
    assert_eq!(n.level, Some(2));
    assert_eq!(local(n), "2024-01-25T08:07:00");
    let EventDetails::Netlogon(nl) = &n.details else {
        panic!("wrong family")
    };
    assert_eq!(nl.domain.as_deref(), Some("CONTOSO"));
    assert_eq!(nl.status, Some(0xC000_005E));
    let e = &r.events[1];
    // InstanceId = Qualifiers 32772 << 16 | 1035.
    assert_eq!(e.event_id, 1035);
    assert_eq!(e.qualifiers, Some(32772));
    assert_eq!(transport(e).status.as_deref(), Some("TimeSkew"));
}

/// QSV's real `Security.csv` row, then rows with the description column holding
/// quoted line breaks (LOGWIZ).
const CSV: &str = "Level,Date and Time,Source,Event ID,Task Category
Information,10/7/2016 06:38:24 PM,Microsoft-Windows-Security-Auditing,4658,File System,The handle to an object was closed.
Warning,10/7/2016 06:40:01 PM,MSExchangeTransport,1035,SmtpReceive,\"Inbound authentication failed with error LogonDenied for Receive connector Default EX02.
The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.1.2.11].\"
Error,10/7/2016 06:41:00 PM,W32Time,50,None,\"The time service detected a time difference of greater than 5000 milliseconds for 900 seconds. The time difference might be caused by synchronization with low-accuracy time sources or by suboptimal network conditions.\"
";

#[test]
fn event_viewer_csv_with_multi_line_descriptions() {
    let r = read(CSV);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.records_read, 3);
    assert_eq!(r.events.len(), 2);
    let e = &r.events[0];
    assert_eq!(e.event_id, 1035);
    assert_eq!(e.level, Some(3));
    assert_eq!(local(e), "2016-10-07T18:40:01");
    let t = transport(e);
    assert_eq!(t.connector.as_deref(), Some("Default EX02"));
    assert_eq!(t.source_ip.as_deref(), Some("10.1.2.11"));
    let w = &r.events[1];
    assert_eq!(w.provider, "W32Time");
    let EventDetails::TimeService(ts) = &w.details else {
        panic!("wrong family")
    };
    assert_eq!(ts.threshold_ms, Some(5000.0));
    assert_eq!(ts.duration_seconds, Some(900.0));
}

/// A "Save As" CSV whose 1035 description runs into 2 MB of junk before its
/// quote closes: the description keeps a megabyte (the 1035 still read),
/// its row a problem saying so, and the W32Time row after it is read.
#[test]
fn event_viewer_csv_with_a_description_past_a_megabyte() {
    let junk = "junk in the description\n".repeat(90_000);
    let text = CSV.replace(
        "authenticate to Microsoft Exchange is [10.1.2.11].\"",
        &format!("authenticate to Microsoft Exchange is [10.1.2.11].\n{junk}\""),
    );
    let r = read(&text);
    assert_eq!(r.events.len(), 2, "{:?}", r.problems);
    assert_eq!(
        transport(&r.events[0]).source_ip.as_deref(),
        Some("10.1.2.11")
    );
    assert_eq!(r.events[1].provider, "W32Time");
    let [p] = r.problems.as_slice() else {
        panic!("{:?}", r.problems)
    };
    assert_eq!(p.location, Location::Line(3));
    assert!(
        p.message
            .starts_with("a quoted field runs past 1 MiB in this row: "),
        "{}",
        p.message
    );
}

#[test]
fn get_winevent_table_rows_with_cut_messages() {
    // PSSAMPLES shape (DSC logging page), then a second provider group.
    let text = "
   ProviderName: Microsoft-Windows-Security-Auditing

TimeCreated                     Id LevelDisplayName Message
-----------                     -- ---------------- -------
5/11/2017 8:36:51 PM          4720 Information      A user account was created....

   ProviderName: MSExchangeTransport

TimeCreated                     Id LevelDisplayName Message
-----------                     -- ---------------- -------
5/11/2017 8:40:02 PM          1035 Warning          Inbound authentication failed with error LogonDenied for Rec...

PS C:\\>
";
    let r = read(text);
    assert_eq!(r.records_read, 2);
    assert_eq!(
        r.other_counts[0].provider,
        "Microsoft-Windows-Security-Auditing"
    );
    assert_eq!(r.other_counts[0].event_id, 4720);
    let e = only(&r);
    assert_eq!(e.event_id, 1035);
    assert_eq!(e.level, Some(3));
    assert_eq!(local(e), "2017-05-11T20:40:02");
    assert_eq!(transport(e).status.as_deref(), Some("LogonDenied"));
    // The table cut the message: that is said, with the row's line.
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].location, Location::Line(12));
}

#[test]
fn minimal_time_id_rendering_and_message_recognition() {
    let text = "Time: 9/10/2024 2:00:00 PM
ID: 11
Level: Error
Source: KDC
Machine: DC01.contoso.com
Message: The KDC encountered duplicate names while processing a Kerberos authentication request. The duplicate name is SMTPSVC/ex02.contoso.com (of type DS_SERVICE_PRINCIPAL_NAME). This may result in authentication failures or downgrades to NTLM.
Time: 9/10/2024 2:05:00 PM
ID: 4
Level: Error
Source: Security-Kerberos
Machine: EX01.contoso.com
Message: The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server ex02$. The target name used was SMTPSVC/ex02.contoso.com. This indicates that the target server failed to decrypt the ticket provided by the client.
";
    let r = read(text);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.events.len(), 2);
    let kdc = &r.events[0];
    assert_eq!(kdc.computer, "DC01.contoso.com");
    let EventDetails::Kdc(k) = &kdc.details else {
        panic!("wrong family")
    };
    assert_eq!(
        k.duplicate_name.as_deref(),
        Some("SMTPSVC/ex02.contoso.com")
    );
    assert_eq!(k.name_type.as_deref(), Some("DS_SERVICE_PRINCIPAL_NAME"));
    let krb = &r.events[1];
    // Event Viewer's short provider name, as the catalog knows it.
    assert_eq!(krb.provider, "Microsoft-Windows-Security-Kerberos");
    let EventDetails::KerberosClient(c) = &krb.details else {
        panic!("wrong family")
    };
    assert_eq!(c.server.as_deref(), Some("ex02$"));
    assert_eq!(c.target_name.as_deref(), Some("SMTPSVC/ex02.contoso.com"));
    assert_eq!(c.error_name.as_deref(), Some("KRB_AP_ERR_MODIFIED"));
}

#[test]
fn message_alone_names_the_event_when_captions_are_missing() {
    // A paste that lost the Event ID and Source lines.
    let text = "Log Name:      System
Date:          9/10/2024 2:00:00 PM
Level:         Error
Computer:      EX01.contoso.com
Description:
The Security System detected an authentication error for the server SMTPSVC/ex02.contoso.com. The failure code from authentication protocol Kerberos was \"The time at the Primary Domain Controller is different than the time at the Backup Domain Controller or member server by too large an amount.
 (0xc0000133)\".
";
    let r = read(text);
    let e = only(&r);
    assert_eq!((e.provider.as_str(), e.event_id), ("LsaSrv", 40960));
    let EventDetails::LsaSrv(l) = &e.details else {
        panic!("wrong family")
    };
    assert_eq!(l.ntstatus, Some(0xC000_0133));
    assert_eq!(l.target.as_deref(), Some("SMTPSVC/ex02.contoso.com"));
}

#[test]
fn several_events_between_prompts_and_other_output() {
    let text = format!(
        "[PS] C:\\Windows\\system32>Get-Queue | fl\n\nIdentity      : EX01\\3\nNextHopDomain : ex02.contoso.com\n\n{EXCA_1035}Log Name:      Application\n{}\nPS C:\\Users\\Administrator> w32tm /query /source\nDC01.contoso.com\n{}",
        DUTCH.trim_start_matches("Logboeknaam:   Application\n"),
        WIN_EVENT_FL
    );
    let r = read(&text);
    assert_eq!(r.events.len(), 4, "{:#?}", r.events);
    let ids: Vec<u16> = r.events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.iter().filter(|&&i| i == 1035).count(), 3);
    assert!(ids.contains(&36));
    // Copies from an en-US and a nl-NL machine: the Dutch date is still read (its
    // day > 12 decides), and the mix is reported beside the cut XML of EXCA-1035.
    let dutch = r
        .events
        .iter()
        .find(|e| e.computer == "EX02.contoso.nl")
        .expect("the Dutch copy");
    assert_eq!(local(dutch), "2024-11-26T10:40:05");
    assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
    assert!(r.problems.iter().any(|p| p.message.contains("day/month")));
}

#[test]
fn other_output_with_look_alike_captions_is_no_event_and_no_complaint() {
    let text = format!(
        "PS C:\\> w32tm /query /status\nLeap Indicator: 0(no warning)\nStratum: 2 (secondary reference - syncd by (S)NTP)\nSource: DC01.contoso.com\nPoll Interval: 10 (1024s)\n\nPS C:\\> Get-Message | fl\n\nIdentity    : EX01\\3\\12\nSubject     : test\nStatus      : Retry\n\n{FRENCH}"
    );
    let r = read(&text);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.records_read, 1);
    assert_eq!(only(&r).event_id, 2017);
}

#[test]
fn captions_decide_when_the_message_is_another_events_text() {
    let text = FRENCH.replace("ID de l’événement : 2017", "ID de l’événement : 1035");
    let r = read(&text);
    let e = only(&r);
    assert_eq!(e.event_id, 1035);
    assert_eq!(transport(e).status, None);
    assert!(
        r.problems
            .iter()
            .any(|p| p.message.contains("captions were used")),
        "{:?}",
        r.problems
    );
}

#[test]
fn damaged_input_still_yields_what_it_can() {
    // Trailing spaces stripped (`Keywords:` empty), a wrapped message, a missing
    // Description caption, a nonsense Event ID, an unreadable date, cut XML.
    let text = "Log Name:      Application
Source:        MSExchangeTransport
Date:          sometime yesterday
Event ID:      1035
Task Category: SmtpReceive
Level:         Warning
Keywords:
User:          N/A
Computer:      EX02.contoso.com
Inbound authentication failed with error TimeSkew for Receive
connector Default EX02. The authentication mechanism is
ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.0.21].
Log Name:      Application
Source:        MSExchangeTransport
Date:          5/6/2024 12:01:02 PM
Event ID:      ten-thirty-five
Computer:      EX03.contoso.com
Description:
Something else entirely.
Log Name:      Application
Source:        MSExchangeTransport
Date:          5/6/2024 12:05:00 PM
Event ID:      2017
Level:         Error
Computer:      EX01.contoso.com
Description:
Outbound authentication failed with error LogonDenied for Send connector Intra-Org. The authentication mechanism is ExchangeAuth. The target is SMTPSVC/EX02.contoso.com.
Event Xml:
<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">
  <System>
    <Provider Name=\"MSExchangeTransport\" />
    <EventID Qualifiers=\"49156\">2017</EventID>
    <TimeCreated SystemTime=\"2024-05-06T10:05:00.0000000Z\" />
    <EventRecordID>77";
    let r = read(text);
    assert_eq!(r.events.len(), 2, "{:#?}", r.events);
    let first = r
        .events
        .iter()
        .find(|e| e.event_id == 1035)
        .expect("the 1035");
    assert_eq!(first.time_provenance, TimeProvenance::Unknown);
    assert_eq!(transport(first).source_ip.as_deref(), Some("10.0.0.21"));
    assert_eq!(transport(first).connector.as_deref(), Some("Default EX02"));
    let second = r
        .events
        .iter()
        .find(|e| e.event_id == 2017)
        .expect("the 2017");
    assert_eq!(utc(second), "2024-05-06T10:05:00Z");
    assert_eq!(second.qualifiers, Some(49156));
    assert_eq!(
        transport(second).target_spn.as_deref(),
        Some("SMTPSVC/EX02.contoso.com")
    );
    let lines: Vec<Location> = r.problems.iter().map(|p| p.location).collect();
    // The date (line 3), the event id (line 16), the event it left unnamed (line
    // 13) and the cut XML (line 29).
    assert!(lines.contains(&Location::Line(3)), "{:?}", r.problems);
    assert!(lines.contains(&Location::Line(16)), "{:?}", r.problems);
    assert!(lines.contains(&Location::Line(13)), "{:?}", r.problems);
    assert!(lines.contains(&Location::Line(29)), "{:?}", r.problems);
}

#[test]
fn forced_date_order_wins_over_inference() {
    let text = COPY_WITH_XML
        .split("Event Xml:")
        .next()
        .unwrap_or_default()
        .replace("5/6/2024 12:01:02 PM", "05/06/2024 12:01:02");
    let r = parse(&text, DateOrderOption::Force(DateOrder::DayMonthYear));
    assert_eq!(local(only(&r)), "2024-06-05T12:01:02");
}

#[test]
fn looks_like_claims_only_event_text() {
    for text in ALL_FORMS {
        assert!(looks_like(text), "{text}");
    }
    let table = "\n   ProviderName: Microsoft-Windows-Security-Auditing\n\nTimeCreated                     Id LevelDisplayName Message\n-----------                     -- ---------------- -------\n5/11/2017 8:36:51 PM          4720 Information      A user account was created....\n";
    assert!(looks_like(table));
    let not_events = [
        "<?xml version=\"1.0\"?>\n<Events><Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System/></Event></Events>",
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchangeTransport' /></System></Event>",
        "Identity      : EX01\\3\nDeliveryType  : SmtpRelayToRemoteAdSite\nStatus        : Retry\nNextHopDomain : ex02.contoso.com\nLastError     : 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\n",
        "#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: SMTP Receive Protocol Log\n#Date: 2024-10-15T12:00:00.000Z\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n2024-10-15T12:00:00.000Z,EX02\\Default EX02,08DC,5,10.0.0.2:25,10.0.0.1:41234,>,454 4.7.0 Temporary authentication failure,\n",
        "Leap Indicator: 0(no warning)\nStratum: 2 (secondary reference - syncd by (S)NTP)\nLast Successful Sync Time: 5/30/2025 09:07:01\nSource: time.nist.gov,0x9\n",
        "**********************\nWindows PowerShell transcript start\nStart time: 20191203063201\nUsername: MEGABANK\\ryan\nMachine: RESOLUTE (Microsoft Windows NT 10.0.14393.0)\n",
        "",
    ];
    for text in not_events {
        assert!(!looks_like(text), "{text}");
    }
}

#[test]
fn realworld_event_xml_is_not_claimed() {
    let Some(root) = std::env::var_os("EXAUTH_REALWORLD") else {
        eprintln!("note: EXAUTH_REALWORLD unset; real-world sample not checked");
        return;
    };
    let path = std::path::Path::new(&root)
        .join("events")
        .join("IPBan_MSExchangeTransport_1035_LogonDenied_Ntlm_event.xml");
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("note: {} not readable; skipped", path.display());
        return;
    };
    let text = String::from_utf8_lossy(&bytes);
    let head: String = text.chars().take(4096).collect();
    assert!(!looks_like(&head));
    // Even when handed over anyway, parsing it is not a panic and invents nothing.
    let r = parse(&text, DateOrderOption::Infer);
    assert!(r.events.len() <= 1);
}

/// Every form above, one sample each.
const ALL_FORMS: [&str; 10] = [
    EXCA_1035,
    COPY_WITH_XML,
    GERMAN,
    DUTCH,
    FRENCH,
    SERVER_2003,
    WEVTUTIL,
    WIN_EVENT_FL,
    EVENT_LOG_FL,
    CSV,
];

#[test]
fn no_panic_on_any_cut_of_any_form() {
    let all = ALL_FORMS.concat();
    for (i, (at, _)) in all.char_indices().enumerate() {
        if i % 13 != 0 {
            continue;
        }
        let (head, tail) = all.split_at(at);
        let _ = looks_like(head);
        let _ = parse(head, DateOrderOption::Infer);
        let _ = parse(tail, DateOrderOption::Infer);
    }
}

/// Read a piece at a time and handed over a batch at a time, every form gives
/// the report it gives read whole: the same events (in the report's order once
/// sorted), counts and problems, the day/month order decided over all the
/// dates (the Dutch copy's day > 12 decides for the en-US one beside it).
#[test]
fn read_a_piece_at_a_time_and_handed_over_in_batches_reads_as_whole() {
    let mixed = format!(
        "[PS] C:\\> Get-Queue | fl\n\n{EXCA_1035}Log Name:      Application\n{}\n{}",
        DUTCH.trim_start_matches("Logboeknaam:   Application\n"),
        WIN_EVENT_FL
    );
    let csv_bom_crlf = format!("\u{feff}{}", CSV.replace('\n', "\r\n"));
    for text in ALL_FORMS.into_iter().chain([&csv_bom_crlf[..], &mixed[..]]) {
        let whole = parse(text, DateOrderOption::Infer);
        assert!(whole.records_read > 0, "{text}");
        for (piece, batch) in [(1, 1), (7, 2), (64 << 10, usize::MAX)] {
            let mut pieces = Pieces::new(text.as_bytes(), piece);
            let mut events = Vec::new();
            let mut report = read_events(&mut pieces, DateOrderOption::Infer, batch, &mut |got| {
                assert!(!got.is_empty() && got.len() <= batch);
                events.extend(got);
            });
            assert!(report.events.is_empty());
            events.sort_by_key(event_order);
            report.events = events;
            assert_eq!(
                report, whole,
                "pieces of {piece}, batches of {batch}:\n{text}"
            );
            // The form, the dates, the events: three reads from the start.
            assert_eq!(pieces.opened, 3);
        }
    }
}

/// The events go as they are read, not at the end of the text: a large text is
/// never held, nor are its events.
#[test]
fn events_go_before_the_text_is_read() {
    let text = COPY_WITH_XML.repeat(200);
    let mut pieces = Pieces::new(text.as_bytes(), 512);
    let read = pieces.read.clone();
    let mut read_at_batch = Vec::new();
    let report = read_events(&mut pieces, DateOrderOption::Infer, 10, &mut |got| {
        read_at_batch.push((got.len(), read.get()));
    });
    assert_eq!(report.records_read, 200);
    assert_eq!(read_at_batch.len(), 20);
    let (first, at) = read_at_batch[0];
    assert_eq!(first, 10);
    assert!(
        at < text.len() / 10,
        "the first batch came after {at} of {} bytes",
        text.len()
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// The lines of every form but the CSV (whose rows span lines).
    fn sample_lines() -> Vec<&'static str> {
        ALL_FORMS
            .iter()
            .filter(|s| **s != CSV)
            .flat_map(|s| s.lines())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Shuffled, mangled sample lines and arbitrary text: never a panic, and every
        /// problem points at a line of the text.
        #[test]
        fn shuffled_lines_never_panic(
            picks in proptest::collection::vec((0usize..1000, any::<bool>(), ".{0,12}"), 0..60)
        ) {
            let lines = sample_lines();
            let mut text = String::new();
            for (i, mangle, junk) in &picks {
                let line = lines[i % lines.len()];
                if *mangle {
                    let cut = line.char_indices().nth(junk.len()).map_or(line.len(), |(at, _)| at);
                    text.push_str(&line[..cut]);
                    text.push_str(junk);
                } else {
                    text.push_str(line);
                }
                text.push('\n');
            }
            let _ = looks_like(&text);
            let r = parse(&text, DateOrderOption::Infer);
            let n = text.lines().count() as u64;
            for p in &r.problems {
                if let Location::Line(l) = p.location {
                    prop_assert!(l >= 1 && l <= n.max(1), "{p:?} of {n} lines");
                }
            }
            prop_assert!(r.records_read >= r.events.len() as u64);
        }
    }
}
