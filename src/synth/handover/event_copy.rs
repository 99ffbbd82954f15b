//! Event Viewer's "Copy" → "Copy details as text" of the events the `.evtx`
//! writer gets (FORMATS.md §7.1): the same records, rendered.
//!
//! Nine caption lines with the value at column 15 (a caption of 15 characters
//! or more abuts its value: `Gebeurtenis-id:1035`), empty values keeping the
//! padding; `Description:` and the message on the lines after it; `Event Xml:`
//! and the event's XML pretty-printed with a 2-space indent. `Date:` is the
//! logging machine's clock in local time and the culture's short date and long
//! time, without a zone; `SystemTime` in the XML is UTC with nine fractional
//! digits. Classic events have the `<System>` Windows gives them (no Version,
//! Opcode, Correlation, Execution), as the writer does.
//!
//! Dutch captions and values are the ones Microsoft's Dutch documentation shows
//! (`Logboeknaam:`, `Bron:`, `Datum:`, `Gebeurtenis-id:`, `Taakcategorie:`,
//! `Niveau:`, `Trefwoorden:`, `Gebruiker:`, `Computer:`, `Beschrijving:`); the
//! log name stays the channel's (`Application`, `System`), as real German
//! copies keep it. The 1035 text is the Dutch one of KB979174; no Dutch text of
//! the Kerberos, LsaSrv, NETLOGON or KDC messages is known, so those keep the
//! English text (and their copies keep the full XML).

use super::super::world::World;
use super::Ui;
use exauth_parsers::evtx_writer::{DataValue, EventData, EventRecord};

/// How much of the `Event Xml:` block the copy keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Xml {
    /// The whole event.
    Full,
    /// Cut after `<TimeCreated …/>`, as pasters do when the ticket gets long.
    Cut,
    /// No `Event Xml:` caption at all.
    Omitted,
}

struct Captions {
    log_name: &'static str,
    source: &'static str,
    date: &'static str,
    event_id: &'static str,
    task: &'static str,
    level: &'static str,
    keywords: &'static str,
    user: &'static str,
    computer: &'static str,
    description: &'static str,
    xml: &'static str,
    none: &'static str,
    classic: &'static str,
    na: &'static str,
    error: &'static str,
    warning: &'static str,
    information: &'static str,
}

const EN: Captions = Captions {
    log_name: "Log Name",
    source: "Source",
    date: "Date",
    event_id: "Event ID",
    task: "Task Category",
    level: "Level",
    keywords: "Keywords",
    user: "User",
    computer: "Computer",
    description: "Description",
    xml: "Event Xml",
    none: "None",
    classic: "Classic",
    na: "N/A",
    error: "Error",
    warning: "Warning",
    information: "Information",
};

const NL: Captions = Captions {
    log_name: "Logboeknaam",
    source: "Bron",
    date: "Datum",
    event_id: "Gebeurtenis-id",
    task: "Taakcategorie",
    level: "Niveau",
    keywords: "Trefwoorden",
    user: "Gebruiker",
    computer: "Computer",
    description: "Beschrijving",
    xml: "Gebeurtenis-XML",
    none: "Geen",
    classic: "Klassiek",
    na: "N.v.t.",
    error: "Fout",
    warning: "Waarschuwing",
    information: "Informatie",
};

/// `Caption:` padded so the value starts at column 15.
fn caption_line(out: &mut String, caption: &str, value: &str) {
    let head = format!("{caption}:");
    out.push_str(&head);
    let width = head.chars().count();
    if width < 15 {
        out.push_str(&" ".repeat(15 - width));
    }
    out.push_str(value);
    out.push_str("\r\n");
}

/// The insertion strings of a record, by position (classic) or name (manifest).
fn data(record: &EventRecord) -> Vec<(Option<String>, String)> {
    match &record.data {
        EventData::Classic { strings, .. } => strings.iter().map(|s| (None, s.clone())).collect(),
        EventData::Named { items, .. } => items
            .iter()
            .map(|(n, v)| (Some(n.clone()), value_text(v)))
            .collect(),
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A data value as the XML view shows it.
fn value_text(v: &DataValue) -> String {
    match v {
        DataValue::String(s) => s.clone(),
        DataValue::UInt8(n) => n.to_string(),
        DataValue::UInt16(n) => n.to_string(),
        DataValue::UInt32(n) => n.to_string(),
        DataValue::UInt64(n) => n.to_string(),
        DataValue::Int32(n) => n.to_string(),
        DataValue::Int64(n) => n.to_string(),
        DataValue::HexInt32(n) => format!("0x{n:x}"),
        DataValue::HexInt64(n) => format!("0x{n:x}"),
        DataValue::Bool(b) => b.to_string(),
        DataValue::Guid(g) => g.to_string(),
        DataValue::Sid(s) => {
            let mut text = format!("S-{}-{}", s.revision, s.authority);
            for sub in &s.sub_authorities {
                text.push_str(&format!("-{sub}"));
            }
            text
        }
        DataValue::FileTime(t) => system_time(*t),
        DataValue::Binary(b) => hex_upper(b),
    }
}

/// `2026-11-26T07:16:05.123456700Z`: Event Viewer's nine digits.
fn system_time(t: jiff::Timestamp) -> String {
    let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}00Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 100
    )
}

fn named<'a>(items: &'a [(Option<String>, String)], name: &str) -> &'a str {
    items
        .iter()
        .find(|(n, _)| n.as_deref() == Some(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn nth(items: &[(Option<String>, String)], i: usize) -> &str {
    items.get(i).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// The rendered message of the events the hand-over copies.
fn message(record: &EventRecord, ui: Ui) -> String {
    let d = data(record);
    let p = record.provider.name.as_str();
    match (p, record.event_id) {
        ("MSExchangeTransport" | "MSExchangeFrontEndTransport", 1035) => match ui {
            Ui::English => format!(
                "Inbound authentication failed with error {} for Receive connector {}. The authentication mechanism is {}. The source IP address of the client who tried to authenticate to Microsoft Exchange is [{}].",
                nth(&d, 0), nth(&d, 1), nth(&d, 2), nth(&d, 3)
            ),
            // KB979174 in Dutch: "Receive connector Default <Server>" became
            // "de standaardinstelling connector <Server>".
            Ui::Dutch => format!(
                "Binnenkomende verificatie is mislukt met de fout {} voor de standaardinstelling connector {}. Het authenticatiemechanisme is {}. Het bron-IP-adres van de client die heeft geprobeerd om te verifiëren bij Microsoft Exchange is [{}].",
                nth(&d, 0),
                nth(&d, 1).strip_prefix("Default ").unwrap_or(nth(&d, 1)),
                nth(&d, 2),
                nth(&d, 3)
            ),
        },
        ("MSExchangeTransport", 2017) => format!(
            "Outbound authentication failed with error {} for Send connector {}. The authentication mechanism is {}. The target is {}.",
            nth(&d, 0), nth(&d, 1), nth(&d, 2), nth(&d, 3)
        ),
        ("Microsoft-Windows-Security-Kerberos", 3) => format!(
            "A Kerberos error message was received:\r\n on logon session {}\r\n Client Time: {}\r\n Server Time: {}\r\n Error Code: {} {}\r\n Extended Error: {}\r\n Client Realm: {}\r\n Client Name: {}\r\n Server Realm: {}\r\n Server Name: {}\r\n Target Name: {}\r\n Error Text: {}\r\n File: {}\r\n Line: {}\r\n Error Data is in record data.",
            named(&d, "LogonSession"),
            named(&d, "ClientTime"),
            named(&d, "ServerTime"),
            named(&d, "ErrorCode"),
            named(&d, "ErrorMessage"),
            named(&d, "ExtendedError"),
            named(&d, "ClientRealm"),
            named(&d, "ClientName"),
            named(&d, "ServerRealm"),
            named(&d, "ServerName"),
            named(&d, "TargetName"),
            named(&d, "ErrorText"),
            named(&d, "File"),
            named(&d, "Line"),
        ),
        ("Microsoft-Windows-Security-Kerberos", 4) => format!(
            "The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server {}. The target name used was {}. This indicates that the target server failed to decrypt the ticket provided by the client. This can occur when the target server principal name (SPN) is registered on an account other than the account the target service is using. Ensure that the target SPN is only registered on the account used by the server. This error can also happen if the target service account password is different than what is configured on the Kerberos Key Distribution Center for that target service. Ensure that the service on the server and the KDC are both configured to use the same password. If the server name is not fully qualified, and the target domain ({}) is different from the client domain ({}), check if there are identically named server accounts in these two domains, or use the fully-qualified name to identify the server.",
            named(&d, "Server"),
            named(&d, "Targetname"),
            named(&d, "TargetRealm"),
            named(&d, "ClientRealm"),
        ),
        ("LsaSrv", 40960) => format!(
            "The Security System detected an authentication error for the server {}. The failure code from authentication protocol {} was {}.",
            named(&d, "Target"),
            named(&d, "Protocol"),
            named(&d, "Error"),
        ),
        ("NETLOGON", 5719) => format!(
            "This computer was not able to set up a secure session with a domain controller in domain {} due to the following: \r\n{}\r\nThis may lead to authentication problems. Make sure that this computer is connected to the network. If the problem persists, please contact your domain administrator. \r\n\r\nADDITIONAL INFO \r\nIf this computer is a domain controller for the specified domain, it sets up the secure session to the primary domain controller emulator in the specified domain. Otherwise, this computer sets up the secure session to any domain controller in the specified domain.",
            nth(&d, 0),
            nth(&d, 1),
        ),
        ("Microsoft-Windows-Kerberos-Key-Distribution-Center", 11) => format!(
            "The KDC encountered duplicate names while processing a Kerberos authentication request. The duplicate name is {0} (of type {1}). This may result in authentication failures or downgrades to NTLM. In order to prevent this from occurring remove the duplicate entries for {0} in Active Directory.",
            nth(&d, 0),
            nth(&d, 1),
        ),
        _ => d
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn xml_escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The event's XML as Event Viewer pretty-prints it (2-space indent, CRLF).
pub fn event_xml(record: &EventRecord) -> String {
    let classic = matches!(record.data, EventData::Classic { .. });
    let mut lines: Vec<String> = vec![
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">".into(),
        "  <System>".into(),
    ];
    let mut provider = format!(
        "    <Provider Name=\"{}\"",
        xml_escape(&record.provider.name, true)
    );
    if let Some(g) = &record.provider.guid {
        provider.push_str(&format!(" Guid=\"{}\"", g.to_string().to_ascii_lowercase()));
    }
    if let Some(s) = &record.provider.event_source_name {
        provider.push_str(&format!(" EventSourceName=\"{}\"", xml_escape(s, true)));
    }
    provider.push_str(" />");
    lines.push(provider);
    lines.push(match record.qualifiers {
        Some(q) => format!(
            "    <EventID Qualifiers=\"{q}\">{}</EventID>",
            record.event_id
        ),
        None => format!("    <EventID>{}</EventID>", record.event_id),
    });
    if !classic {
        lines.push(format!("    <Version>{}</Version>", record.version));
    }
    lines.push(format!("    <Level>{}</Level>", record.level));
    lines.push(format!("    <Task>{}</Task>", record.task));
    if !classic {
        lines.push(format!("    <Opcode>{}</Opcode>", record.opcode));
    }
    lines.push(format!("    <Keywords>0x{:x}</Keywords>", record.keywords));
    lines.push(format!(
        "    <TimeCreated SystemTime=\"{}\" />",
        system_time(record.time)
    ));
    lines.push(format!(
        "    <EventRecordID>{}</EventRecordID>",
        record.record_id.unwrap_or(0)
    ));
    if !classic {
        let mut correlation = String::from("    <Correlation");
        if let Some(a) = &record.activity_id {
            correlation.push_str(&format!(" ActivityID=\"{a}\""));
        }
        if let Some(a) = &record.related_activity_id {
            correlation.push_str(&format!(" RelatedActivityID=\"{a}\""));
        }
        correlation.push_str(" />");
        lines.push(correlation);
        lines.push(format!(
            "    <Execution ProcessID=\"{}\" ThreadID=\"{}\" />",
            record.process_id, record.thread_id
        ));
    }
    lines.push(format!(
        "    <Channel>{}</Channel>",
        xml_escape(&record.channel, false)
    ));
    lines.push(format!(
        "    <Computer>{}</Computer>",
        xml_escape(&record.computer, false)
    ));
    lines.push(match &record.user_sid {
        Some(sid) => format!(
            "    <Security UserID=\"{}\" />",
            value_text(&DataValue::Sid(sid.clone()))
        ),
        None => "    <Security />".into(),
    });
    lines.push("  </System>".into());
    let (items, binary) = match &record.data {
        EventData::Classic { strings, binary } => (
            strings
                .iter()
                .map(|s| (None, s.clone()))
                .collect::<Vec<_>>(),
            binary.as_ref(),
        ),
        EventData::Named { items, binary, .. } => (
            items
                .iter()
                .map(|(n, v)| (Some(n.clone()), value_text(v)))
                .collect(),
            binary.as_ref(),
        ),
    };
    let event_data_name = match &record.data {
        EventData::Named { name: Some(n), .. } => format!(" Name=\"{}\"", xml_escape(n, true)),
        _ => String::new(),
    };
    if items.is_empty() && binary.is_none() {
        lines.push(format!("  <EventData{event_data_name} />"));
    } else {
        lines.push(format!("  <EventData{event_data_name}>"));
        for (name, value) in &items {
            let open = match name {
                Some(n) => format!("<Data Name=\"{}\"", xml_escape(n, true)),
                None => "<Data".to_string(),
            };
            if value.is_empty() {
                lines.push(format!("    {open} />"));
            } else {
                lines.push(format!("    {open}>{}</Data>", xml_escape(value, false)));
            }
        }
        if let Some(b) = binary {
            lines.push(format!("    <Binary>{}</Binary>", hex_upper(b)));
        }
        lines.push("  </EventData>".into());
    }
    lines.push("</Event>".into());
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

fn task_name(record: &EventRecord, c: &Captions) -> String {
    match (record.provider.name.as_str(), record.task) {
        ("MSExchangeTransport" | "MSExchangeFrontEndTransport", 1) => "SmtpReceive".into(),
        ("MSExchangeTransport", 2) => "SmtpSend".into(),
        (_, 0) => c.none.into(),
        (_, n) => format!("({n})"),
    }
}

/// One event as "Copy details as text" gives it, in `ui`'s language.
pub fn viewer_copy(world: &World, record: &EventRecord, ui: Ui, xml: Xml) -> String {
    let c = match ui {
        Ui::English => &EN,
        Ui::Dutch => &NL,
    };
    let mut out = String::new();
    caption_line(&mut out, c.log_name, &record.channel);
    caption_line(&mut out, c.source, &record.provider.name);
    let date = world
        .wall
        .locale
        .general_date(world.wall.local(record.time));
    caption_line(&mut out, c.date, &date);
    caption_line(&mut out, c.event_id, &record.event_id.to_string());
    caption_line(&mut out, c.task, &task_name(record, c));
    let level = match record.level {
        1 | 2 => c.error,
        3 => c.warning,
        _ => c.information,
    };
    caption_line(&mut out, c.level, level);
    let keywords = if record.keywords == 0x0080_0000_0000_0000 {
        c.classic
    } else {
        ""
    };
    caption_line(&mut out, c.keywords, keywords);
    caption_line(&mut out, c.user, c.na);
    caption_line(&mut out, c.computer, &record.computer);
    out.push_str(&format!("{}:\r\n", c.description));
    out.push_str(&message(record, ui));
    out.push_str("\r\n");
    match xml {
        Xml::Omitted => {}
        Xml::Full | Xml::Cut => {
            out.push_str(&format!("{}:\r\n", c.xml));
            let text = event_xml(record);
            if xml == Xml::Full {
                out.push_str(&text);
            } else {
                for line in text.split_inclusive("\r\n") {
                    out.push_str(line);
                    if line.trim_start().starts_with("<TimeCreated") {
                        break;
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use exauth_parsers::evtx_writer::Provider;

    fn e1035() -> EventRecord {
        EventRecord {
            provider: Provider::classic("MSExchangeTransport"),
            event_id: 1035,
            qualifiers: Some(32768),
            level: 3,
            task: 1,
            time: "2026-11-26T07:16:05.1234567Z".parse().unwrap(),
            record_id: Some(4711),
            computer: "EX02.contoso.com".into(),
            data: EventData::classic(["TimeSkew", "Default EX02", "ExchangeAuth", "10.0.1.11"]),
            ..Default::default()
        }
    }

    #[test]
    fn captions_sit_at_column_15_and_long_ones_abut() {
        let mut s = String::new();
        caption_line(&mut s, "Task Category", "SmtpReceive");
        caption_line(&mut s, "Gebeurtenis-id", "1035");
        caption_line(&mut s, "Keywords", "");
        assert_eq!(
            s,
            "Task Category: SmtpReceive\r\nGebeurtenis-id:1035\r\nKeywords:      \r\n"
        );
    }

    #[test]
    fn classic_xml_has_the_classic_system() {
        let xml = event_xml(&e1035());
        assert!(xml.starts_with("<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n  <System>\r\n    <Provider Name=\"MSExchangeTransport\" />\r\n    <EventID Qualifiers=\"32768\">1035</EventID>\r\n    <Level>3</Level>\r\n"));
        assert!(
            xml.contains("    <TimeCreated SystemTime=\"2026-11-26T07:16:05.123456700Z\" />\r\n")
        );
        assert!(xml.contains("  <EventData>\r\n    <Data>TimeSkew</Data>\r\n"));
        assert!(!xml.contains("<Version>"));
        assert!(xml.ends_with("</Event>\r\n"));
    }
}
