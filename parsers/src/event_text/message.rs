//! The catalogued events recognised from their rendered message text, and their
//! insertion strings read back out of it.
//!
//! A pasted event has no `<Data>` items, only the message Windows rendered from the
//! template (FORMATS.md §3.2–3.8). Matching the template's fixed text gives back the
//! insertion strings `%1..%n` in template order, which is exactly what the `.evtx`
//! path hands to [`crate::evtx::records`]'s decoder for a classic event, so the typed
//! details come out the same.
//!
//! Matching works on the text with every whitespace run collapsed to one space (line
//! wraps, Format-List continuation, Markdown, the KB's one-line flattening), looks for
//! each fixed piece in turn, and takes what lies between as the insertion string. A
//! message cut short (`...` in a table, `…` in a KB) yields the strings before the cut.

use memchr::memmem::Finder;
use std::sync::OnceLock;

/// One message template. `%n` is insertion string n; `%*` skips text.
pub(crate) struct Template {
    pub provider: &'static str,
    pub id: u16,
    pub text: &'static str,
    /// Recognise the event from this text alone (else only used when captions name
    /// the event: the text is unverified).
    pub recognise: bool,
}

const fn t(provider: &'static str, id: u16, text: &'static str) -> Template {
    Template {
        provider,
        id,
        text,
        recognise: true,
    }
}

const TRANSPORT: &str = "MSExchangeTransport";
const KERBEROS: &str = "Microsoft-Windows-Security-Kerberos";
const KDC: &str = "Microsoft-Windows-Kerberos-Key-Distribution-Center";
const LSASRV: &str = "LsaSrv";
const NETLOGON: &str = "NETLOGON";
const TIME: &str = "Microsoft-Windows-Time-Service";

/// Templates, verbatim from FORMATS.md §3 (TN-EV, MSGTBL, KB texts), most specific
/// first where two share a beginning.
pub(crate) static TEMPLATES: &[Template] = &[
    t(TRANSPORT, 1035, "Inbound authentication failed with error %1 for Receive connector %2. The authentication mechanism is %3. The source IP address of the client who tried to authenticate to Microsoft Exchange is [%4]."),
    // KB979174 (nl-NL, machine translated): "Receive connector Default X" became
    // "de standaardinstelling connector X"; %2 is kept as printed.
    t(TRANSPORT, 1035, "Binnenkomende verificatie is mislukt met de fout %1 voor de %2. Het authenticatiemechanisme is %3. Het bron-IP-adres van de client%*is [%4]."),
    t(TRANSPORT, 2017, "Outbound authentication failed with error %1 for Send connector %2. The authentication mechanism is %3. The target is %4."),
    t(TRANSPORT, 2016, "An authentication credential initialization error %1 occurred with Send connector %2. The authentication mechanism used was %3. The name of the server that we were trying to authenticate to was %4. This server was using the name %5."),
    t(TRANSPORT, 1012, "Receive connector %1: Authentication failures have exceeded the maximum of %2 for the connection from %3. Disconnecting."),
    t(TRANSPORT, 1020, "The account '%1' provided valid credentials, but is not authorized to use the server; failing authentication."),
    // 1034: template text unverified (FORMATS §3.2: "same 4 args" as 1035); read only
    // when the captions say 1034, by the parts it must share with 1035.
    Template {
        provider: TRANSPORT,
        id: 1034,
        text: "%1 for Receive connector %2. The authentication mechanism is %3.%*[%4]",
        recognise: false,
    },
    t(KERBEROS, 3, "A Kerberos error message was received: on logon session %1 Client Time: %2 Server Time: %3 Error Code: %4 %5 Extended Error: %6 Client Realm: %7 Client Name: %8 Server Realm: %9 Server Name: %10 Target Name: %11 Error Text: %12 File: %13 Line: %14 Error Data is in record data."),
    t(KERBEROS, 4, "The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server %1. The target name used was %3. This indicates"),
    t(KERBEROS, 5, "The Kerberos client received a KRB_AP_ERR_TKT_NYV error from the server %1. This indicates"),
    t(KERBEROS, 7, "The digitally signed Privilege Attribute Certificate (PAC) that contains the authorization information for client %1 in realm %2 could not be validated."),
    t(KERBEROS, 10, "The Kerberos subsystem currently cannot retrieve tickets from your domain controller using the UDP network protocol."),
    t(KERBEROS, 100, "The service principal name (SPN) %1 is not registered, which caused Kerberos authentication to fail: %2."),
    t(KERBEROS, 101, "The service principal name (SPN) %1 is registered on multiple accounts which caused Kerberos authentication to fail: %2."),
    t(KERBEROS, 200, "The Kerberos client could not locate a domain controller for domain %1: %2."),
    t(KDC, 11, "The KDC encountered duplicate names while processing a Kerberos authentication request. The duplicate name is %1 (of type %2)."),
    // Server 2003 wording of the same event.
    t(KDC, 11, "There are multiple accounts with name %1 of type %2."),
    t(KDC, 7, "The Security Account Manager failed a KDC request in an unexpected way. The error is in the data field. The account name was %1 and lookup type %2."),
    t(KDC, 14, "While processing an AS request for target service %1, the account %2 did not have a suitable key for generating a Kerberos ticket (the missing key has an ID of %3). The requested etypes were %4. The accounts available etypes were %5."),
    t(KDC, 16, "While processing a TGS request for the target server %1, the account %2 did not have a suitable key for generating a Kerberos ticket (the missing key has an ID of %3). The requested etypes were %4. The accounts available etypes were %5."),
    t(LSASRV, 40960, "The Security System detected an authentication error for the server %1. The failure code from authentication protocol %2 was %3."),
    t(LSASRV, 40961, "The Security System could not establish a secured connection with the server %1. No authentication protocol was available."),
    t(LSASRV, 40962, "The Security System was unable to authenticate to the server %1 because the server has completed the authentication, but the client authentication protocol %2 has not."),
    t(LSASRV, 40970, "The Security System has detected a downgrade attempt when contacting the 3-part SPN %1 with error code %2. Authentication was denied."),
    t(NETLOGON, 5719, "This computer was not able to set up a secure session with a domain controller in domain %1 due to the following: %2 This may lead to authentication problems."),
    t(NETLOGON, 5721, "The session setup to the Windows NT or Windows 2000 Domain Controller %1 for the domain %2 failed because the Domain Controller did not have an account %4 needed to set up the session by this computer %3."),
    t(NETLOGON, 5722, "The session setup from the computer %1 failed to authenticate. The name of the account referenced in the security database is %2. The following error occurred: %3"),
    t(NETLOGON, 3210, "Failed to authenticate with %1, a Windows NT domain controller for domain %2."),
    t(TIME, 34, "The time service has detected that the system time needs to be changed by %1 seconds. The time service will not change the system time by more than %2 seconds."),
    t(TIME, 36, "The time service has not synchronized the system time for the last %1 seconds because none of the time service providers provided a usable time stamp."),
    t(TIME, 50, "The time service detected a time difference of greater than %1 milliseconds for %2 seconds."),
    t(TIME, 29, "The time provider NtpClient is configured to acquire time from one or more time sources, however none of the sources are currently accessible. No attempt to contact a source will be made for %1 minutes."),
    t(TIME, 24, "Time Provider NtpClient: No valid response has been received from domain controller %1 after 8 attempts to contact it."),
    t(TIME, 47, "Time Provider NtpClient: No valid response has been received from manually configured peer %1 after 8 attempts"),
    t(TIME, 12, "Time Provider NtpClient: This machine is configured to use the domain hierarchy to determine its time source, but it is the AD PDC emulator for the domain at the root of the forest"),
    t(TIME, 35, "The time service is now synchronizing the system time with the time source %1 with reference id %2."),
];

/// A message matched against a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extracted {
    /// Insertion strings `%1..%n` ("" where the text did not give one).
    pub items: Vec<String>,
    /// False when the text ended (or was cut) before the template did.
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Slot(usize),
    Skip,
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find('%') {
        let after = rest.get(at + 1..).unwrap_or("");
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let (piece, used) = if after.starts_with('*') {
            (Some(Piece::Skip), 1)
        } else if digits > 0 {
            (
                after
                    .get(..digits)
                    .and_then(|d| d.parse().ok())
                    .map(Piece::Slot),
                digits,
            )
        } else {
            (None, 0)
        };
        match piece {
            Some(piece) => {
                if at > 0 {
                    out.push(Piece::Text(rest.get(..at).unwrap_or("")));
                }
                out.push(piece);
                rest = after.get(used..).unwrap_or("");
            }
            None => {
                // A literal `%`: keep it in the text.
                out.push(Piece::Text(rest.get(..at + 1).unwrap_or("")));
                rest = after;
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// Every whitespace run as one space, trimmed; `…` kept.
pub(crate) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The first fixed piece of a template, trimmed (what recognition looks for).
fn lead(template: &str) -> &str {
    match pieces(template).first() {
        Some(Piece::Text(s)) => s.trim(),
        _ => "",
    }
}

/// The catalogued template whose fixed beginning the message holds (the earliest in
/// the text wins). Only templates marked `recognise`.
pub(crate) fn recognise(normalized: &str) -> Option<&'static Template> {
    leads()
        .iter()
        .filter_map(|(lead, t)| lead.find(normalized.as_bytes()).map(|at| (at, *t)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, t)| t)
}

/// The fixed beginnings recognition looks for (20 bytes or more), a searcher each,
/// built once: one built per template for every message was a fifth of reading a
/// large Event Viewer CSV (a profile taken by hand).
fn leads() -> &'static [(Finder<'static>, &'static Template)] {
    static LEADS: OnceLock<Vec<(Finder<'static>, &'static Template)>> = OnceLock::new();
    LEADS.get_or_init(|| {
        TEMPLATES
            .iter()
            .filter(|t| t.recognise)
            .filter_map(|t| {
                let lead = lead(t.text);
                (lead.len() >= 20).then(|| (Finder::new(lead.as_bytes()), t))
            })
            .collect()
    })
}

/// The templates of one (provider family, id), for extraction when captions name it.
pub(crate) fn templates_for(id: u16, family_of: impl Fn(&str) -> bool) -> Vec<&'static Template> {
    TEMPLATES
        .iter()
        .filter(|t| t.id == id && family_of(t.provider))
        .collect()
}

/// Where a value that ends a sentence (`… is %4.`) stops: at a `.` followed by a
/// space or the end; a value opening with `"` runs to its closing quote first.
fn sentence_end(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut from = 0;
    if bytes.first() == Some(&b'"') {
        if let Some(close) = text.get(1..).and_then(|r| r.find('"')) {
            from = close + 2;
        }
    }
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'.' && bytes.get(i + 1).is_none_or(|b| *b == b' ') {
            return i;
        }
        i += 1;
    }
    text.len()
}

/// Where a text cut with `...`/`…` ends in the first words of `literal`: the byte
/// offset where that beginning starts.
fn cut_inside(text: &str, literal: &str) -> Option<usize> {
    let body = text
        .strip_suffix("...")
        .or_else(|| text.strip_suffix('…'))?
        .trim_end();
    body.char_indices()
        .filter(|&(i, _)| i > 0 && body.as_bytes().get(i - 1) == Some(&b' '))
        .map(|(i, _)| i)
        .find(|&i| {
            let tail = body.get(i..).unwrap_or("");
            tail.len() >= 2 && literal.starts_with(tail)
        })
        .map(|i| i.saturating_sub(1))
}

/// Text cut short by the writer: drop a trailing `...`/`…` and sentence dot.
fn trim_cut(value: &str) -> &str {
    let v = value.trim();
    let v = v
        .strip_suffix("...")
        .or_else(|| v.strip_suffix('…'))
        .unwrap_or(v);
    v.trim_end().trim_end_matches('.').trim_end()
}

/// Match `normalized` (see [`normalize`]) against a template. `None` when the text
/// does not hold the template's first fixed piece.
pub(crate) fn extract(template: &str, normalized: &str) -> Option<Extracted> {
    match compiled(template) {
        Some(c) => extract_with(&c.pieces, |j, hay| c.find(j, hay), normalized),
        None => {
            let pieces = pieces(template);
            let find = |j: usize, hay: &str| match pieces.get(j) {
                Some(Piece::Text(s)) => hay.find(s.trim()),
                _ => None,
            };
            extract_with(&pieces, find, normalized)
        }
    }
}

/// A catalogued template's pieces, each fixed one with its searcher, made once: the
/// pieces parsed and a searcher set up for each of them at every event matched were a
/// tenth of reading events copied as text (callgrind).
struct Compiled {
    pieces: Vec<Piece<'static>>,
    /// The searcher of each fixed piece, trimmed (as matching looks for it), by index.
    finders: Vec<Option<Finder<'static>>>,
}

impl Compiled {
    /// Where fixed piece `j` (trimmed) first is in `haystack`, as `str::find` says.
    fn find(&self, j: usize, haystack: &str) -> Option<usize> {
        self.finders.get(j)?.as_ref()?.find(haystack.as_bytes())
    }
}

/// The compiled form of `template` when it is one of [`TEMPLATES`] (the same text, not
/// merely equal: the catalogue's own).
fn compiled(template: &str) -> Option<&'static Compiled> {
    static COMPILED: OnceLock<Vec<Compiled>> = OnceLock::new();
    let index = TEMPLATES
        .iter()
        .position(|t| std::ptr::eq(t.text, template))?;
    COMPILED
        .get_or_init(|| {
            TEMPLATES
                .iter()
                .map(|t| {
                    let pieces = pieces(t.text);
                    let finders = pieces
                        .iter()
                        .map(|p| match p {
                            Piece::Text(s) => Some(Finder::new(s.trim().as_bytes()).into_owned()),
                            _ => None,
                        })
                        .collect();
                    Compiled { pieces, finders }
                })
                .collect()
        })
        .get(index)
}

/// [`extract`] over a template's `pieces`, `find(j, haystack)` saying where fixed piece
/// `j`, trimmed, first is in `haystack`.
fn extract_with(
    pieces: &[Piece<'_>],
    find: impl Fn(usize, &str) -> Option<usize>,
    normalized: &str,
) -> Option<Extracted> {
    let slots = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Slot(n) => Some(*n),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let mut items = vec![String::new(); slots];
    let mut pos = 0usize;
    let mut i = 0usize;
    let text = normalized;
    // The first fixed piece anchors the match.
    if let Some(Piece::Text(first)) = pieces.first() {
        let first = first.trim();
        let at = find(0, text)?;
        pos = at + first.len();
        i = 1;
    }
    while i < pieces.len() {
        // A run of slots/skips separated by blank text, then the next fixed piece.
        let mut run: Vec<&Piece<'_>> = Vec::new();
        let mut j = i;
        while j < pieces.len() {
            match &pieces[j] {
                Piece::Text(s) if s.trim().is_empty() => j += 1,
                Piece::Text(_) => break,
                p => {
                    run.push(p);
                    j += 1;
                }
            }
        }
        let next = match pieces.get(j) {
            Some(Piece::Text(s)) => Some(s.trim()),
            _ => None,
        };
        let rest = text.get(pos..).unwrap_or("");
        let rest_trimmed = rest.trim_start();
        let lead_ws = rest.len() - rest_trimmed.len();
        // The span the run covers, and where matching goes on.
        let (span, resume, found) = match next {
            Some(".") | None => {
                let end = sentence_end(rest_trimmed);
                let span = rest_trimmed.get(..end).unwrap_or(rest_trimmed);
                let resume = pos + lead_ws + (end + 1).min(rest_trimmed.len());
                // A last value may lose its closing dot to an edit.
                let last = j + 1 >= pieces.len();
                (span, resume, last || end < rest_trimmed.len())
            }
            Some(lit) => match find(j, rest_trimmed) {
                Some(at) => (
                    rest_trimmed.get(..at).unwrap_or(""),
                    pos + lead_ws + at + lit.len(),
                    true,
                ),
                None => {
                    // Cut short: the run gets what is left up to the sentence end, or
                    // up to where the cut fell inside the fixed text (`… for Rec...`).
                    let end =
                        cut_inside(rest_trimmed, lit).unwrap_or_else(|| sentence_end(rest_trimmed));
                    (
                        rest_trimmed.get(..end).unwrap_or(rest_trimmed),
                        text.len(),
                        false,
                    )
                }
            },
        };
        let span = if found { span.trim() } else { trim_cut(span) };
        fill_run(&run, span, &mut items);
        if !found {
            return Some(Extracted {
                items,
                complete: false,
            });
        }
        pos = resume;
        i = j + 1;
    }
    Some(Extracted {
        items,
        complete: true,
    })
}

/// Share `span` among a run of slots: all but the last take one word each (`%4 %5`
/// = `0x7 KDC_ERR_S_PRINCIPAL_UNKNOWN`); a skip takes nothing.
fn fill_run(run: &[&Piece<'_>], span: &str, items: &mut [String]) {
    let slots: Vec<usize> = run
        .iter()
        .filter_map(|p| match p {
            Piece::Slot(n) => Some(*n),
            _ => None,
        })
        .collect();
    let mut rest = span;
    for (k, n) in slots.iter().enumerate() {
        let value = if k + 1 == slots.len() {
            rest.trim()
        } else {
            let trimmed = rest.trim_start();
            let end = trimmed.find(' ').unwrap_or(trimmed.len());
            let word = trimmed.get(..end).unwrap_or("");
            rest = trimmed.get(end..).unwrap_or("");
            word
        };
        if let Some(slot) = n.checked_sub(1).and_then(|i| items.get_mut(i)) {
            *slot = value.to_string();
        }
    }
}

/// NTSTATUS of the reason texts Windows prints for the common secure-channel
/// failures; the `.evtx` record carries the code in its binary data, the text only
/// the words.
pub(crate) fn ntstatus_of_reason(reason: &str) -> Option<u32> {
    const KNOWN: &[(&str, u32)] = &[
        (
            "There are currently no logon servers available to service the logon request",
            0xC000_005E,
        ),
        (
            "The trust relationship between this workstation and the primary domain failed",
            0xC000_018D,
        ),
        (
            "The trust relationship between the primary domain and the trusted domain failed",
            0xC000_018C,
        ),
        ("Access is denied", 0xC000_0022),
    ];
    let r = normalize(reason);
    KNOWN
        .iter()
        .find(|(text, _)| r.starts_with(text))
        .map(|(_, code)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalogued template matched with its searchers made once reads what the
    /// same text matched afresh reads: every template, filled in, cut short at
    /// every tenth of its length, and a text it is not.
    #[test]
    fn compiled_templates_read_as_templates_matched_afresh() {
        for t in TEMPLATES {
            let fresh = t.text.to_string();
            assert!(compiled(t.text).is_some(), "{}", t.text);
            assert!(compiled(&fresh).is_none());
            let mut filled = t.text.replace("%*", "and so on");
            for n in (1..=14).rev() {
                filled = filled.replace(&format!("%{n}"), &format!("value{n} x"));
            }
            let text = normalize(&format!("Preamble. {filled} Trailer words."));
            let mut cuts: Vec<String> = (1..10)
                .map(|k| {
                    let at = text.len() * k / 10;
                    let at = (at..=text.len())
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(text.len());
                    format!("{}...", &text[..at])
                })
                .collect();
            cuts.push(text.clone());
            cuts.push("Nothing like any template.".into());
            for cut in &cuts {
                assert_eq!(
                    extract(t.text, cut),
                    extract(&fresh, cut),
                    "{} / {cut}",
                    t.text
                );
            }
        }
    }

    fn ex(template: &str, text: &str) -> Extracted {
        extract(template, &normalize(text)).unwrap_or(Extracted {
            items: vec![],
            complete: false,
        })
    }

    #[test]
    fn transport_1035_items() {
        let e = ex(TEMPLATES[0].text, "Inbound authentication failed with error UnexpectedExchangeAuthBlob for Receive connector Default SiteCServer. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.0.5].");
        assert!(e.complete);
        assert_eq!(
            e.items,
            [
                "UnexpectedExchangeAuthBlob",
                "Default SiteCServer",
                "ExchangeAuth",
                "10.0.0.5"
            ]
        );
    }

    #[test]
    fn cut_message_keeps_what_it_has() {
        let e = ex(
            TEMPLATES[0].text,
            "Inbound authentication failed with error IllegalMessage for Receive connector Default <Server>. …",
        );
        assert!(!e.complete);
        assert_eq!(e.items[0], "IllegalMessage");
        assert_eq!(e.items[1], "Default <Server>");
        assert_eq!(e.items[2], "");
    }

    #[test]
    fn kerberos_3_with_empty_items_and_code_pair() {
        let text = "A Kerberos error message was received:\n on logon session \n Client Time: \n Server Time: 13:55:10.0000 9/10/2024 Z\n Error Code: 0x7  KDC_ERR_S_PRINCIPAL_UNKNOWN\n Extended Error: \n Client Realm: \n Client Name: \n Server Realm: CONTOSO.COM\n Server Name: SMTPSVC/ex02.contoso.com\n Target Name: SMTPSVC/ex02.contoso.com@CONTOSO.COM\n Error Text: \n File: 9\n Line: efb\n Error Data is in record data.";
        let tpl = TEMPLATES
            .iter()
            .find(|t| t.id == 3)
            .map(|t| t.text)
            .unwrap_or("");
        let e = ex(tpl, text);
        assert!(e.complete, "{e:?}");
        assert_eq!(e.items[1], "");
        assert_eq!(e.items[2], "13:55:10.0000 9/10/2024 Z");
        assert_eq!(e.items[3], "0x7");
        assert_eq!(e.items[4], "KDC_ERR_S_PRINCIPAL_UNKNOWN");
        assert_eq!(e.items[9], "SMTPSVC/ex02.contoso.com");
        assert_eq!(e.items[13], "efb");
    }

    #[test]
    fn quoted_final_value_keeps_its_inner_sentence() {
        let tpl = TEMPLATES
            .iter()
            .find(|t| t.id == 40960)
            .map(|t| t.text)
            .unwrap_or("");
        let e = ex(tpl, "The Security System detected an authentication error for the server ldap/dca.acc.local. The failure code from authentication protocol Kerberos was \"There are currently no logon servers available to service the logon request.\n (0xc000005e)\".");
        assert!(e.complete);
        assert_eq!(e.items[0], "ldap/dca.acc.local");
        assert_eq!(
            e.items[2],
            "\"There are currently no logon servers available to service the logon request. (0xc000005e)\""
        );
    }

    #[test]
    fn recognition_picks_the_template() {
        let n = normalize("Outbound authentication failed with error LogonDenied for Send connector 组织内 SMTP 发送连接器. The authentication mechanism is ExchangeAuth. The target is SMTPSVC/M10-SD-MLCH02.sd.cnc.intra.");
        let t = recognise(&n).map(|t| t.id);
        assert_eq!(t, Some(2017));
        let e = ex(TEMPLATES[2].text, &n);
        assert_eq!(e.items[1], "组织内 SMTP 发送连接器");
        assert_eq!(e.items[3], "SMTPSVC/M10-SD-MLCH02.sd.cnc.intra");
        assert!(recognise("nothing here").is_none());
    }
}
