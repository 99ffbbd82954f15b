//! Issue 13 item 3, tolerant grammars: `Get-Queue | fl` text as it reaches
//! us — wrapped at the console width with the trailing blanks at the wrap
//! points kept or stripped (copied from a console, mailed, saved by an
//! editor), word- or character-wrapped (en vs zh-CN sessions), CRLF or LF,
//! with a mangled caption in the middle — still gives what a user checks:
//! the inner response `454 4.7.0 Temporary authentication failure`, the
//! target IP and FQDN, the queue's status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::queue::{
    format_list, parse_queue_export, ExportForm, LastError, QueueExport, QueueExportOptions,
    QueueStatus,
};
use proptest::prelude::*;

mod support;
use std::net::IpAddr;
use support::read_export_in_pieces;

/// What Windows PowerShell 5.1 wrote for one Exchange 2016 queue with
/// `Get-Queue | fl | Out-File` in an 80-column en-US console, after an
/// editor stripped the trailing blanks: every word-wrapped line lost the
/// blank at its end (`responded with:` / `"454 4.7.0`), and the last line
/// but one is a word wider than the field, cut by character
/// (`EX02.cont` / `oso.com`).
const STRIPPED_80: &str = r#"
RunspaceId                       : a0d5a162-912b-454c-8cd0-07e056f48b82
DeliveryType                     : SmtpRelayToMailboxDeliveryGroup
NextHopDomain                    : site:Default-First-Site-Name; version: 15
TlsDomain                        :
NextHopConnector                 : 8dec5353-41df-4594-a6ea-9dc3a001fad6
Status                           : Retry
MessageCount                     : 26
LastError                        : [{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0
                                   Primary target IP address responded with:
                                   "454 4.7.0 Temporary authentication
                                   failure." Attempted failover to alternate
                                   host, but that did not succeed. Either there
                                   are no alternate hosts, or delivery failed
                                   to all alternate hosts. The last endpoint
                                   attempted was 10.0.1.12:2525};{FQDN=EX02.cont
                                   oso.com};{IP=10.0.1.12}]
RetryCount                       : 7
LastRetryTime                    : 11/26/2026 2:56:50 AM
NextRetryTime                    : 11/26/2026 3:06:50 AM
FirstRetryTime                   : 11/26/2026 1:46:48 AM
DeferredMessageCount             : 0
LockedMessageCount               : 0
MessageCountsPerPriority         : {0, 26, 0, 0}
DeferredMessageCountsPerPriority : {0, 0, 0, 0}
RiskLevel                        : Normal
OutboundIPPool                   : 0
NextHopCategory                  : Internal
IncomingRate                     : 0
OutgoingRate                     : 0
Velocity                         : 0
OverrideSource                   :
QueueIdentity                    : EX01\3
PriorityDescriptions             : {High, Normal, Low, None}
Identity                         : EX01\3
IsValid                          : True
ObjectState                      : New

RunspaceId                       : a0d5a162-912b-454c-8cd0-07e056f48b82
DeliveryType                     : Undefined
NextHopDomain                    : Submission
TlsDomain                        :
NextHopConnector                 : 69e2f643-2763-4b33-a260-c43769723958
Status                           : Ready
MessageCount                     : 0
LastError                        :
RetryCount                       : 0
Identity                         : EX01\Submission
"#;

const KB_LAST_ERROR: &str = r#"[{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.1.12:2525};{FQDN=EX02.contoso.com};{IP=10.0.1.12}]"#;

fn read(text: &str) -> QueueExport {
    let export = parse_queue_export(text, QueueExportOptions::default());
    assert_eq!(export.form, Some(ExportForm::FormatList));
    export
}

/// The facts a user reads off a LastError.
fn assert_kb_454(le: &LastError, ip: &str, fqdn: &str) {
    let inner = le.inner_response().expect("inner response");
    assert_eq!(inner.code, Some(454), "{le:#?}");
    assert_eq!(
        inner.enhanced_code.map(|c| c.to_string()).as_deref(),
        Some("4.7.0")
    );
    assert_eq!(inner.text, "Temporary authentication failure");
    assert_eq!(le.target_ip(), ip.parse::<IpAddr>().ok(), "{le:#?}");
    assert_eq!(le.fqdn.as_deref(), Some(fqdn));
    assert!(!le.truncated);
}

#[test]
fn stripped_trailing_blanks_at_80_columns() {
    let export = read(STRIPPED_80);
    assert!(export.problems.is_empty(), "{:?}", export.problems);
    assert_eq!(export.queues.len(), 2);
    let q = &export.queues[0];
    assert_eq!(q.status, Some(QueueStatus::Retry));
    assert_eq!(q.message_count, Some(26));
    let le = q.last_error.as_ref().expect("last error");
    // Joined back exactly: a blank where word wrap broke, none inside the
    // character-cut host name.
    assert_eq!(le.raw, KB_LAST_ERROR);
    assert_kb_454(le, "10.0.1.12", "EX02.contoso.com");
    let ep = le
        .description
        .as_ref()
        .and_then(|d| d.last_endpoint.clone());
    assert_eq!(ep.and_then(|e| e.port), Some(2525));
    assert_eq!(export.queues[1].status, Some(QueueStatus::Ready));
    assert_eq!(export.queues[1].last_error, None);
}

/// Fed line by line (the streaming reader), the first object is joined
/// with what its own lines say, and comes out the same.
#[test]
fn streaming_reader_joins_the_same() {
    let mut p = format_list::FormatListParser::new();
    let mut objects = Vec::new();
    for (i, line) in STRIPPED_80.lines().enumerate() {
        objects.extend(p.push_line(i as u64 + 1, line));
    }
    objects.extend(p.finish());
    assert_eq!(objects.len(), 2);
    assert_eq!(
        objects[0].text(&["lasterror"]).as_deref(),
        Some(KB_LAST_ERROR)
    );
    assert_eq!(format_list::read_objects(STRIPPED_80).0, objects);
}

/// Console cells of a character as the Windows console counts them (the
/// CJK and fullwidth ranges these tests use take two).
fn cells(c: char) -> usize {
    let u = c as u32;
    if (0x2e80..=0xa4cf).contains(&u) || (0xff00..=0xff60).contains(&u) {
        2
    } else {
        1
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wrap {
    /// en, fr, de, it, pt, es sessions.
    Word,
    /// Every other culture.
    Char,
}

/// How an export was wrapped and handed over.
#[derive(Debug, Clone, Copy)]
struct Form {
    width: usize,
    wrap: Wrap,
    /// Widths in console cells (a console copy) rather than characters
    /// (`Out-File` in Windows PowerShell 5.1).
    cells: bool,
    /// Trailing blanks stripped.
    strip: bool,
    eol: &'static str,
}

/// PowerShell's `GenerateLines` for one value (test-side copy).
fn wrap_value(value: &str, field: usize, form: Form) -> Vec<String> {
    let w = |c: char| if form.cells { cells(c) } else { 1 };
    let width = |s: &str| s.chars().map(w).sum::<usize>();
    if width(value) <= field {
        return vec![value.to_string()];
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut left = field;
    let push_char = |c: char, line: &mut String, left: &mut usize, lines: &mut Vec<String>| {
        if w(c) > *left {
            lines.push(std::mem::take(line));
            *left = field;
        }
        line.push(c);
        *left -= w(c);
    };
    match form.wrap {
        Wrap::Char => {
            for c in value.chars() {
                push_char(c, &mut line, &mut left, &mut lines);
            }
        }
        Wrap::Word => {
            for word in value.split_inclusive(' ') {
                if width(word) > field {
                    for c in word.chars() {
                        push_char(c, &mut line, &mut left, &mut lines);
                    }
                } else {
                    if width(word) > left {
                        lines.push(std::mem::take(&mut line));
                        left = field;
                    }
                    line.push_str(word);
                    left -= width(word);
                }
            }
        }
    }
    lines.push(line);
    lines
}

/// `objects | Format-List | Out-File` in `form`.
fn format_list(objects: &[Vec<(&str, String)>], form: Form) -> String {
    let label = objects
        .iter()
        .flatten()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0);
    let mut out = vec![String::new(), String::new()];
    for o in objects {
        for (name, value) in o {
            for (i, l) in wrap_value(value, form.width - label - 3, form)
                .into_iter()
                .enumerate()
            {
                let line = if i == 0 {
                    format!("{name:label$} : {l}")
                } else {
                    format!("{}{l}", " ".repeat(label + 3))
                };
                out.push(if form.strip {
                    line.trim_end().to_string()
                } else {
                    line
                });
            }
        }
        out.push(String::new());
    }
    out.push(String::new());
    out.join(form.eol)
}

fn queue(identity: &str, status: &str, last_error: &str) -> Vec<(&'static str, String)> {
    [
        ("RunspaceId", "a0d5a162-912b-454c-8cd0-07e056f48b82"),
        ("DeliveryType", "SmtpRelayToMailboxDeliveryGroup"),
        ("NextHopDomain", "site:Default-First-Site-Name; version: 15"),
        ("TlsDomain", ""),
        ("NextHopConnector", "8dec5353-41df-4594-a6ea-9dc3a001fad6"),
        ("Status", status),
        ("MessageCount", "26"),
        ("LastError", last_error),
        ("RetryCount", "7"),
        ("LastRetryTime", "11/26/2026 2:56:50 AM"),
        ("MessageCountsPerPriority", "{0, 26, 0, 0}"),
        ("DeferredMessageCountsPerPriority", "{0, 0, 0, 0}"),
        ("QueueIdentity", identity),
        ("PriorityDescriptions", "{High, Normal, Low, None}"),
        ("Identity", identity),
        ("IsValid", "True"),
        ("ObjectState", "New"),
    ]
    .into_iter()
    .map(|(n, v)| (n, v.to_string()))
    .collect()
}

const CANNOT_ACHIEVE: &str = r#"[{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary target IP address responded with: "451 5.7.3 Cannot achieve Exchange Server authentication." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 2001:db8::12:25};{FQDN=EX03.contoso.com};{IP=2001:db8::12}]"#;

fn en_forms() -> Vec<Form> {
    let mut forms = Vec::new();
    for width in [80, 120] {
        for strip in [false, true] {
            for eol in ["\r\n", "\n"] {
                forms.push(Form {
                    width,
                    wrap: Wrap::Word,
                    cells: false,
                    strip,
                    eol,
                });
            }
        }
    }
    forms
}

#[test]
fn word_wrap_at_80_and_120_trailing_blanks_kept_or_stripped_crlf_or_lf() {
    let objects = [
        queue("EX01\\3", "Retry", KB_LAST_ERROR),
        queue("EX01\\4", "Retry", CANNOT_ACHIEVE),
        queue("EX01\\Submission", "Ready", ""),
    ];
    for form in en_forms() {
        let text = format_list(&objects, form);
        let export = read(&text);
        assert!(
            export.problems.is_empty(),
            "{form:?}: {:?}",
            export.problems
        );
        assert_eq!(export.queues.len(), 3, "{form:?}");
        let le = export.queues[0].last_error.as_ref().expect("le");
        assert_eq!(le.raw, KB_LAST_ERROR, "{form:?}\n{text}");
        assert_kb_454(le, "10.0.1.12", "EX02.contoso.com");
        let le = export.queues[1].last_error.as_ref().expect("le");
        assert_eq!(le.raw, CANNOT_ACHIEVE, "{form:?}\n{text}");
        let inner = le.inner_response().expect("inner");
        assert_eq!(
            (inner.code, inner.text.as_str()),
            (Some(451), "Cannot achieve Exchange Server authentication")
        );
        assert_eq!(le.target_ip(), "2001:db8::12".parse().ok());
        assert_eq!(export.queues[0].status, Some(QueueStatus::Retry));
        assert_eq!(export.queues[2].status, Some(QueueStatus::Ready));
        assert_eq!(
            export.queues[2].identity.as_deref(),
            Some("EX01\\Submission")
        );
    }
}

/// A zh-CN session: character wrap, dates `yyyy/M/d`, and a Get-Message
/// whose subject and localized Winsock text are Chinese.
#[test]
fn character_wrap_zh_cn_in_cells_and_characters() {
    let le_queue = KB_LAST_ERROR.replace("11/26/2026 2:56:50 AM", "2026/11/26 2:56:50");
    let le_message = "[{LRT=2026/11/26 2:56:50};{LED=441 4.4.1 Error encountered while communicating with primary target IP address: \"Failed to connect. Winsock error code: 10060, Win32 error code: 10060, Error message: 由于连接方在一段时间后没有正确答复或连接的主机没有反应，连接尝试失败。\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.1.13:25};{FQDN=EX03.contoso.com};{IP=10.0.1.13}]";
    let subject = "关于第四季度财务报告的最终审核意见以及下一步工作安排的通知（请各部门负责人务必在周五之前回复）";
    let message: Vec<(&str, String)> = [
        ("RunspaceId", "a0d5a162-912b-454c-8cd0-07e056f48b82"),
        ("Identity", "EX01\\5\\12884901889"),
        ("Queue", "EX01\\5"),
        ("Subject", subject),
        ("FromAddress", "zhang.wei@contoso.com"),
        ("Status", "Retry"),
        ("LastError", le_message),
        ("RetryCount", "3"),
        ("DateReceived", "2026/11/26 1:46:48"),
        (
            "ExternalDirectoryOrganizationId",
            "00000000-0000-0000-0000-000000000000",
        ),
    ]
    .into_iter()
    .map(|(n, v)| (n, v.to_string()))
    .collect();
    for width in [80, 120] {
        for cells in [false, true] {
            for strip in [false, true] {
                let form = Form {
                    width,
                    wrap: Wrap::Char,
                    cells,
                    strip,
                    eol: "\r\n",
                };
                // One Format-List per object type, as separate commands print them.
                let text = format!(
                    "{}{}",
                    format_list(&[queue("EX01\\3", "Retry", &le_queue)], form),
                    format_list(std::slice::from_ref(&message), form)
                );
                let export = read(&text);
                assert!(
                    export.problems.is_empty(),
                    "{form:?}: {:?}",
                    export.problems
                );
                let le = export.queues[0].last_error.as_ref().expect("le");
                assert_eq!(le.raw, le_queue, "{form:?}\n{text}");
                assert_kb_454(le, "10.0.1.12", "EX02.contoso.com");
                let m = &export.messages[0];
                assert_eq!(m.subject.as_deref(), Some(subject), "{form:?}\n{text}");
                let le = m.last_error.as_ref().expect("le");
                assert_eq!(le.raw, le_message, "{form:?}\n{text}");
                assert_eq!(le.target_ip(), "10.0.1.13".parse().ok());
                assert_eq!(
                    le.inner_response().map(|r| r.text.as_str()),
                    Some("Failed to connect. Winsock error code: 10060, Win32 error code: 10060, Error message: 由于连接方在一段时间后没有正确答复或连接的主机没有反应，连接尝试失败。")
                );
            }
        }
    }
}

/// Character wrap that cuts `Temp` / `orary`: joined without a blank,
/// whether the trailing blanks survived or not.
#[test]
fn character_wrap_inside_a_word() {
    let field_start = KB_LAST_ERROR.find("Temporary").expect("word") + 4;
    // Widths whose character wrap lands right after `Temp` on some line.
    let label = "DeferredMessageCountsPerPriority : ".len();
    let widths: Vec<usize> = (label + 20..label + 140)
        .filter(|w| field_start % (w - label) == 0)
        .collect();
    assert!(!widths.is_empty());
    for width in widths {
        for strip in [false, true] {
            let form = Form {
                width,
                wrap: Wrap::Char,
                cells: false,
                strip,
                eol: "\n",
            };
            let text = format_list(&[queue("EX01\\3", "Retry", KB_LAST_ERROR)], form);
            assert!(text.contains("Temp\n"), "{text}");
            let export = read(&text);
            let le = export.queues[0].last_error.as_ref().expect("le");
            assert_eq!(le.raw, KB_LAST_ERROR, "{form:?}\n{text}");
            assert_kb_454(le, "10.0.1.12", "EX02.contoso.com");
        }
    }
}

#[test]
fn mangled_captions_are_problems_and_the_record_goes_on() {
    let text = format_list(
        &[queue("EX01\\3", "Retry", KB_LAST_ERROR)],
        Form {
            width: 120,
            wrap: Wrap::Word,
            cells: false,
            strip: true,
            eol: "\r\n",
        },
    );
    let lines: Vec<&str> = text.split("\r\n").collect();
    let at = |name: &str| lines.iter().position(|l| l.starts_with(name)).expect(name);
    let (count, last_error, retry) = (at("MessageCount"), at("LastError"), at("RetryCount"));
    let mangle = |edit: &dyn Fn(&mut Vec<String>)| {
        let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        edit(&mut l);
        l.join("\r\n")
    };
    let cases: Vec<(&str, String, usize)> = vec![
        (
            "caption spelled apart",
            mangle(&|l| l[count] = "Messa geCount                     : 26".into()),
            count,
        ),
        (
            "caption without the blank before its colon",
            mangle(&|l| l[count] = "Messa geCount: 26".into()),
            count,
        ),
        (
            "caption misspelt",
            mangle(&|l| l[last_error] = l[last_error].replacen("LastError", "LastErorr", 1)),
            last_error,
        ),
        (
            "caption without the blank before its colon",
            mangle(&|l| {
                l[last_error] =
                    l[last_error].replacen("LastError                        : ", "LastError:", 1)
            }),
            last_error,
        ),
        (
            "caption line starts with blanks",
            mangle(&|l| l[last_error] = format!("  {}", l[last_error])),
            last_error,
        ),
        (
            "caption without the blank after its colon",
            mangle(&|l| {
                l[last_error] =
                    l[last_error].replacen("LastError                        : ", "LastError :", 1)
            }),
            last_error,
        ),
        (
            "caption spelled apart",
            mangle(&|l| l.insert(retry, "Message Count : 26".into())),
            retry,
        ),
        (
            "caption without its colon",
            mangle(&|l| l[last_error] = l[last_error].replacen(" : ", "   ", 1)),
            last_error,
        ),
        (
            "neither a property nor a continuation",
            mangle(&|l| l.insert(last_error, "-----Original Message----- (pasted)".into())),
            last_error,
        ),
        (
            "neither a property nor a continuation",
            mangle(&|l| l[count] = "Mess@ge-Count 26 (edited by hand)".into()),
            count,
        ),
    ];
    for (why, text, line) in cases {
        let export = read(&text);
        assert_eq!(export.queues.len(), 1, "{why}: {export:#?}");
        let q = &export.queues[0];
        // The record went on: what follows the mangled line is still read.
        assert_eq!(q.status, Some(QueueStatus::Retry), "{why}");
        assert_eq!(q.retry_count, Some(7), "{why}");
        assert_eq!(q.identity.as_deref(), Some("EX01\\3"), "{why}");
        let le = q
            .last_error
            .as_ref()
            .unwrap_or_else(|| panic!("{why}: {text}"));
        assert_eq!(le.raw, KB_LAST_ERROR, "{why}");
        assert_kb_454(le, "10.0.1.12", "EX02.contoso.com");
        if line == count && !why.starts_with("neither") {
            assert_eq!(q.message_count, Some(26), "{why}");
        }
        assert_eq!(export.problems.len(), 1, "{why}: {:?}", export.problems);
        let p = &export.problems[0];
        assert_eq!(
            p.location,
            exauth_parsers::problem::Location::Line(line as u64 + 1),
            "{why}"
        );
        assert!(p.message.contains(why), "{why}: {p}");
    }
}

/// Inner responses the sender quotes (EXSRC `SmtpResponse`).
const INNER: &[(u16, &str, &str)] = &[
    (454, "4.7.0", "Temporary authentication failure"),
    (454, "4.7.0", "Temporary authorization failure"),
    (
        451,
        "5.7.3",
        "Cannot achieve Exchange Server authentication",
    ),
    (535, "5.7.3", "Authentication unsuccessful"),
    (421, "4.4.2", "Connection dropped due to SocketError"),
    (451, "4.4.0", "Security status InvalidToken"),
];

const LRT: &[&str] = &[
    "11/26/2026 2:56:50 AM",
    "26.11.2026 02:56:50",
    "2026/11/26 2:56:50",
    "26-11-26 02:56:50",
    "26-11-2026 02:56:50",
];

fn ip_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u8..=254, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        (1u16..=0xffff, 1u16..=0xffff).prop_map(|(a, b)| format!("2001:db8:{a:x}::{b:x}")),
    ]
}

/// One LastError as Exchange 2013+ writes it, with what it should give back.
#[derive(Debug, Clone)]
struct Case {
    text: String,
    fqdn: String,
    code: u16,
    enhanced: &'static str,
    inner: &'static str,
    ip: String,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(INNER),
        prop::sample::select(LRT),
        ip_strategy(),
        prop::sample::select(vec![25u16, 2525, 465, 587]),
        (1u8..=99, prop::sample::select(vec!["contoso.com", "corp.fabrikam.local", "sd.cnc.intra"])),
        any::<bool>(),
    )
        .prop_map(|((code, enhanced, inner), lrt, ip, port, (n, domain), frontend)| {
            let responded = format!(
                "451 4.4.0 Primary target IP address responded with: \"{code} {enhanced} {inner}.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was {ip}:{port}"
            );
            let led = if frontend {
                format!("450 4.7.0 Proxy session setup failed on Frontend with '{responded}'")
            } else {
                responded
            };
            let fqdn = format!("EX{n:02}.{domain}");
            Case {
                text: format!("[{{LRT={lrt}}};{{LED={led}}};{{FQDN={fqdn}}};{{IP={ip}}}]"),
                fqdn,
                code,
                enhanced,
                inner,
                ip,
            }
        })
}

fn form_strategy() -> impl Strategy<Value = Form> {
    (
        60usize..=220,
        prop_oneof![Just(Wrap::Word), Just(Wrap::Char)],
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just("\r\n"), Just("\n")],
    )
        .prop_map(|(width, wrap, cells, strip, eol)| Form {
            width,
            wrap,
            cells,
            strip,
            eol,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Re-wrapped at any width, word or character wise, counted in
    /// characters or console cells, with or without the trailing blanks, a
    /// queue's LastError gives the same inner response, target IP and FQDN
    /// back.
    #[test]
    fn rewrapped_last_error_gives_the_same_response_and_ip(
        cases in prop::collection::vec(case_strategy(), 1..4),
        form in form_strategy(),
        subject in prop::option::of("[一-龥，。（）]{20,90}"),
    ) {
        let mut objects: Vec<_> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| queue(&format!("EX01\\{}", i + 3), "Retry", &c.text))
            .collect();
        // A queue's NextHopDomain may be anything an admin named: here a
        // Chinese one, wide characters in the same wrap.
        if let Some(s) = &subject {
            if let Some(q) = objects.first_mut() {
                q[2].1 = format!("site:{s}; version: 15");
            }
        }
        let text = format_list(&objects, form);
        let export = read(&text);
        prop_assert!(export.problems.is_empty(), "{:?}", export.problems);
        prop_assert_eq!(export.queues.len(), cases.len());
        for (q, c) in export.queues.iter().zip(&cases) {
            let le = q.last_error.as_ref().expect("last error");
            let inner = le.inner_response().expect("inner");
            prop_assert_eq!(inner.code, Some(c.code), "{}", text);
            prop_assert_eq!(inner.enhanced_code.map(|e| e.to_string()), Some(c.enhanced.to_string()), "{}", text);
            prop_assert_eq!(&inner.text, c.inner, "{}", text);
            prop_assert_eq!(le.target_ip(), c.ip.parse::<IpAddr>().ok(), "{}", text);
            prop_assert_eq!(le.ip, c.ip.parse::<IpAddr>().ok(), "{}", text);
            prop_assert_eq!(le.fqdn.as_deref(), Some(c.fqdn.as_str()), "{}", text);
            prop_assert_eq!(q.status.clone(), Some(QueueStatus::Retry));
        }
        if let Some(s) = subject {
            let want = format!("site:{s}; version: 15");
            prop_assert_eq!(export.queues[0].next_hop_domain.as_deref(), Some(want.as_str()), "{}", text);
        }
    }
}

/// A `Get-Queue | fl` export read in passes (its wrapping, its dates, its
/// objects) a piece at a time and handed over a batch at a time gives what
/// it gives read whole, in every wrapping — 300 queues, more wrapped values
/// than the wrapping is judged by, a mangled caption and a stray line among
/// them — and the queues go as they are read, not at the end.
#[test]
fn a_format_list_export_read_in_passes_and_batches_reads_as_whole() {
    let objects: Vec<Vec<(&str, String)>> = (0..300)
        .map(|i| {
            let last_error = if i % 3 == 0 {
                KB_LAST_ERROR
            } else {
                CANNOT_ACHIEVE
            };
            queue(&format!("EX01\\{}", i + 3), "Retry", last_error)
        })
        .collect();
    for form in en_forms() {
        let text = format_list(&objects, form)
            .replacen("RetryCount ", "RetyrCount ", 1)
            .replacen(
                "RunspaceId",
                "WARNING: The object was truncated.\nRunspaceId",
                1,
            );
        let whole = read(&text);
        assert_eq!(whole.queues.len(), 300, "{form:?}");
        assert_eq!(whole.problems.len(), 2, "{form:?}: {:?}", whole.problems);
        for (piece, batch) in [(5, 1), (64 << 10, 7)] {
            let read = read_export_in_pieces(ExportForm::FormatList, &text, piece, batch);
            assert_eq!(
                read.export, whole,
                "{form:?}, pieces of {piece}, batches of {batch}"
            );
            // The wrapping, the dates, the objects.
            assert_eq!(read.opened, 3);
            // (A reader hands over a piece at a time.)
            assert!(
                read.first_batch_at < text.len() / 10 + piece,
                "first batch after {} of {} bytes",
                read.first_batch_at,
                text.len()
            );
        }
    }
}
