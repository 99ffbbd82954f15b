//! Console transcripts and pasted console text, split into command blocks.
//!
//! Admins hand over `Start-Transcript` files and console text copied from an
//! Exchange Management Shell, a PowerShell remoting session or cmd.exe
//! (FORMATS.md §7.10). Each command's output is one of the forms the other
//! parsers read (`w32tm`, `setspn`, `Get-Queue | fl`, `ipconfig`, …);
//! [`split`] cuts the text into [`Block`]s — the command, its output and the
//! host it is about — and the caller routes each block's text to its parser.
//!
//! * Transcript banner: a line of `*`, `Windows PowerShell transcript start`
//!   (PowerShell 7: `PowerShell transcript start`; localized banners are
//!   accepted by shape: a short `… PowerShell …` line after the stars), then
//!   `Name: value` lines (`Machine: RESOLUTE (Microsoft Windows NT …)`,
//!   `Start time: yyyyMMddHHmmss`, local, no zone) until the next `*` line.
//!   Each command may be preceded by `*` / `Command start time: …` / `*`;
//!   the end block reads `Windows PowerShell transcript end`, `End time: …`.
//! * Prompts: EMS `[PS] C:\…>cmd`, PowerShell `PS C:\…> cmd`, remoting
//!   `[host]: PS C:\…> cmd`, `PS>cmd` (inside transcripts of remote
//!   sessions), cmd.exe `C:\Users\x>cmd`; `>> ` continues a command.
//!   Output lines are unmarked: everything up to the next prompt.
//! * The host of a block: a `-Server`/`-Identity`/`-ComputerName`/
//!   `/computer:` argument of its command (for `-Identity EX01\Default EX01`
//!   the part before `\`), else the remote prompt's `[host]`, else the
//!   transcript's `Machine`.

use crate::detect::{Disposition, Form, Format, Kind};
use crate::problem::{Location, Problem};
use jiff::civil::DateTime;
use serde::{Serialize, Serializer};

/// Console transcripts and pasted console text (prompts and outputs).
pub const KIND: Kind = Kind::new("console-transcript");

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[KIND],
    describes: "`Windows PowerShell transcript start`, or prompts (`[PS] C:\\…>`, `PS C:\\…>`, `C:\\…>`) with output",
    detect: |head| {
        (head.encoding.is_some() && looks_like(head.text)).then_some((
            KIND,
            Form::CommandOutput,
            Disposition::Used,
            None,
        ))
    },
    name_prefix: None,
};

/// Which prompt introduced a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    /// `[PS] C:\Windows\system32>` (Exchange Management Shell).
    Ems,
    /// `PS C:\Users\Administrator> `.
    PowerShell,
    /// `[192.168.0.3]: PS C:\…> ` (PowerShell remoting).
    Remote,
    /// `PS>` (transcripts of remote sessions).
    Bare,
    /// `C:\Users\TEST>` (cmd.exe).
    Cmd,
}

/// One command and its output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    /// The command as typed (continuation lines joined with a newline);
    /// `None` for text before the first prompt.
    pub command: Option<String>,
    pub prompt: Option<PromptKind>,
    /// 1-based line of the prompt (or of the first output line without one).
    pub first_line: u64,
    /// 1-based line of the first output line: line `k` (1-based) of `text`
    /// is line `text_first_line + k - 1` of the input.
    pub text_first_line: u64,
    /// The output lines, `\n`-joined, trailing blank lines dropped.
    pub text: String,
    /// The host the output is about (see the module docs).
    pub host: Option<String>,
    /// `Command start time:` of a transcript (local, no zone).
    #[serde(serialize_with = "ser_opt_dt")]
    pub command_time: Option<DateTime>,
}

/// A split transcript or console paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transcript {
    /// A `Start-Transcript` banner was seen.
    pub is_transcript: bool,
    /// `Machine: NAME (…)` → `NAME`.
    pub machine: Option<String>,
    /// `Username: DOMAIN\user`.
    pub username: Option<String>,
    /// `Start time:` (local, no zone).
    #[serde(serialize_with = "ser_opt_dt")]
    pub start_time: Option<DateTime>,
    #[serde(serialize_with = "ser_opt_dt")]
    pub end_time: Option<DateTime>,
    pub blocks: Vec<Block>,
    pub problems: Vec<Problem>,
}

fn ser_opt_dt<S: Serializer>(t: &Option<DateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

/// A line of stars (the transcript's block separator).
fn is_star_line(t: &str) -> bool {
    t.len() >= 10 && t.bytes().all(|b| b == b'*')
}

/// The first line of a banner block: `Windows PowerShell transcript start`,
/// `… end`, localized (`Windows PowerShell 脚本结束`).
fn is_banner_title(t: &str) -> bool {
    let l = t.to_lowercase();
    l.contains("transcript start")
        || l.contains("transcript end")
        || ((l.starts_with("windows powershell") || l.starts_with("powershell"))
            && !t.contains(':')
            && t.chars().count() < 60)
}

/// `20191203063201` → a civil date-time.
fn parse_stamp(s: &str) -> Option<DateTime> {
    let s = s.trim();
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |a: usize, b: usize| s.get(a..b).and_then(|x| x.parse::<i16>().ok());
    let year = num(0, 4)?;
    let month = i8::try_from(num(4, 6)?).ok()?;
    let day = i8::try_from(num(6, 8)?).ok()?;
    let hour = i8::try_from(num(8, 10)?).ok()?;
    let minute = i8::try_from(num(10, 12)?).ok()?;
    let second = i8::try_from(num(12, 14)?).ok()?;
    DateTime::new(year, month, day, hour, minute, second, 0).ok()
}

/// A prompt line: (kind, remote host, command text).
fn prompt(line: &str) -> Option<(PromptKind, Option<String>, &str)> {
    let t = line.trim_start_matches('\u{feff}');
    if let Some(rest) = t.strip_prefix("[PS] ") {
        let (_, cmd) = path_prompt(rest)?;
        return Some((PromptKind::Ems, None, cmd));
    }
    if let Some(rest) = t.strip_prefix('[') {
        let close = rest.find("]: ")?;
        let host = rest.get(..close)?.trim();
        let after = rest.get(close + 3..)?;
        let (_, cmd) = ps_prompt(after)?;
        if host.is_empty() || host.contains(char::is_whitespace) {
            return None;
        }
        return Some((PromptKind::Remote, Some(host.to_string()), cmd));
    }
    if let Some((kind, cmd)) = ps_prompt(t) {
        return Some((kind, None, cmd));
    }
    let (_, cmd) = path_prompt(t)?;
    Some((PromptKind::Cmd, None, cmd))
}

/// `PS C:\…> cmd` or `PS>cmd`.
fn ps_prompt(t: &str) -> Option<(PromptKind, &str)> {
    if let Some(cmd) = t.strip_prefix("PS>") {
        return Some((PromptKind::Bare, cmd.trim()));
    }
    let rest = t.strip_prefix("PS ")?;
    let gt = rest.find('>')?;
    let path = rest.get(..gt)?;
    // `C:\x`, `HKLM:\`, `Microsoft.PowerShell.Core\FileSystem::\\srv\share`.
    if !(path.contains(':') || path.starts_with('\\')) || path.contains('<') {
        return None;
    }
    Some((PromptKind::PowerShell, rest.get(gt + 1..)?.trim()))
}

/// `C:\Windows\system32>cmd` → (path, cmd).
fn path_prompt(t: &str) -> Option<(&str, &str)> {
    let b = t.as_bytes();
    if !(b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\') {
        return None;
    }
    let gt = t.find('>')?;
    let path = t.get(..gt)?;
    if path.contains(['<', '|', '"']) {
        return None;
    }
    Some((path, t.get(gt + 1..)?.trim()))
}

/// Splits a command line into words; quotes group, and are removed.
fn words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in cmd.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            None => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The host a command is about, from its arguments.
pub fn command_host(cmd: &str) -> Option<String> {
    let w = words(cmd);
    for (i, word) in w.iter().enumerate() {
        let lower = word.to_ascii_lowercase();
        // `/computer:X`, `-computer:X`, `/server:X`, `-Server:X`
        for key in [
            "computer",
            "computers",
            "server",
            "computername",
            "identity",
            "cn",
        ] {
            for lead in ['-', '/'] {
                let flag = format!("{lead}{key}");
                let value = if lower == flag {
                    w.get(i + 1).map(String::as_str)
                } else if lower.starts_with(&format!("{flag}:")) {
                    word.get(flag.len() + 1..)
                } else {
                    None
                };
                let Some(v) = value else { continue };
                let v = v.trim().trim_end_matches([',', ';']);
                if v.is_empty() || v.starts_with(['-', '$', '(', '@']) {
                    continue;
                }
                let v = v.split(',').next().unwrap_or(v);
                let v = if key == "identity" {
                    match v.split_once('\\') {
                        Some((h, _)) => h,
                        None => v,
                    }
                } else {
                    v
                };
                let v = v.trim_start_matches('\\').trim();
                if !v.is_empty() {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

/// Cheap content check: a transcript banner, or a prompt line followed by output.
pub fn looks_like(text_head: &str) -> bool {
    let lines: Vec<&str> = text_head.lines().take(80).collect();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start_matches('\u{feff}').trim();
        if is_star_line(t)
            && lines.get(i + 1).is_some_and(|n| {
                is_banner_title(n.trim())
                    && (n.to_lowercase().contains("transcript") || n.contains("脚本"))
            })
        {
            return true;
        }
        if let Some((_, _, cmd)) = prompt(l.trim_end()) {
            if cmd.is_empty() {
                continue;
            }
            let next = lines
                .iter()
                .skip(i + 1)
                .map(|n| n.trim())
                .find(|n| !n.is_empty() && !n.starts_with(">>"));
            if next.is_some_and(|n| prompt(n).is_none()) {
                return true;
            }
        }
    }
    false
}

struct Open {
    block: Block,
    lines: Vec<String>,
    /// The last line taken was a prompt: `>> ` lines continue its command.
    in_command: bool,
}

fn close(out: &mut Transcript, open: Option<Open>) {
    let Some(mut o) = open else { return };
    while o.lines.last().is_some_and(|l| l.trim().is_empty()) {
        o.lines.pop();
    }
    let lead = o.lines.iter().take_while(|l| l.trim().is_empty()).count();
    o.block.text_first_line += lead as u64;
    o.block.text = o.lines.get(lead..).unwrap_or_default().join("\n");
    if o.block.command.is_none() && o.block.text.is_empty() {
        return;
    }
    out.blocks.push(o.block);
}

/// Splits a transcript or console paste into command blocks.
pub fn split(text: &str) -> Transcript {
    let mut out = Transcript {
        is_transcript: false,
        machine: None,
        username: None,
        start_time: None,
        end_time: None,
        blocks: Vec::new(),
        problems: Vec::new(),
    };
    let all: Vec<&str> = text.lines().collect();
    let banner = all.iter().enumerate().any(|(i, l)| {
        is_star_line(l.trim()) && all.get(i + 1).is_some_and(|n| is_banner_title(n.trim()))
    });
    out.is_transcript = banner;
    let mut open: Option<Open> = None;
    let mut in_meta = false;
    let mut command_time: Option<DateTime> = None;
    for (i, raw) in all.iter().enumerate() {
        let n = i as u64 + 1;
        let line = raw.trim_start_matches('\u{feff}').trim_end_matches('\r');
        let t = line.trim();
        if banner && is_star_line(t) {
            if in_meta {
                in_meta = false;
            } else if all.get(i + 1).is_some_and(|l| is_banner_title(l.trim())) {
                close(&mut out, open.take());
                in_meta = true;
            }
            continue;
        }
        if in_meta {
            if let Some((label, value)) = t.split_once(':') {
                let value = value.trim();
                let stamp = |out: &mut Transcript| {
                    let v = parse_stamp(value);
                    if v.is_none() {
                        out.problems.push(Problem::new(
                            Location::Line(n),
                            format!("{label}: not a yyyyMMddHHmmss time"),
                        ));
                    }
                    v
                };
                match label.trim().to_ascii_lowercase().as_str() {
                    "machine" => {
                        let name = value.split(" (").next().unwrap_or(value).trim();
                        if !name.is_empty() {
                            out.machine = Some(name.to_string());
                        }
                    }
                    "username" => out.username = Some(value.to_string()),
                    "start time" => out.start_time = stamp(&mut out),
                    "end time" => out.end_time = stamp(&mut out),
                    _ => {}
                }
            }
            continue;
        }
        if banner {
            if let Some(v) = t.strip_prefix("Command start time:") {
                close(&mut out, open.take());
                command_time = parse_stamp(v);
                if command_time.is_none() {
                    out.problems.push(Problem::new(
                        Location::Line(n),
                        "Command start time: not a yyyyMMddHHmmss time",
                    ));
                }
                continue;
            }
        }
        if let Some(o) = open.as_mut() {
            if o.in_command {
                if let Some(more) = t.strip_prefix(">>") {
                    if let Some(c) = o.block.command.as_mut() {
                        c.push('\n');
                        c.push_str(more.trim());
                    }
                    o.block.text_first_line = n + 1;
                    continue;
                }
            }
        }
        if let Some((kind, remote, cmd)) = prompt(line) {
            close(&mut out, open.take());
            let command = (!cmd.is_empty()).then(|| cmd.to_string());
            let host = command.as_deref().and_then(command_host).or(remote);
            open = Some(Open {
                block: Block {
                    command,
                    prompt: Some(kind),
                    first_line: n,
                    text_first_line: n + 1,
                    text: String::new(),
                    host,
                    command_time: command_time.take(),
                },
                lines: Vec::new(),
                in_command: true,
            });
            continue;
        }
        let o = open.get_or_insert_with(|| Open {
            block: Block {
                command: None,
                prompt: None,
                first_line: n,
                text_first_line: n,
                text: String::new(),
                host: None,
                command_time: command_time.take(),
            },
            lines: Vec::new(),
            in_command: false,
        });
        o.in_command = false;
        o.lines.push(line.to_string());
    }
    close(&mut out, open.take());
    if let Some(m) = out.machine.clone() {
        for b in &mut out.blocks {
            if b.host.is_none() {
                b.host = Some(m.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FORMATS.md §7.10, real (HTB Resolute), verbatim, plus the real end block.
    const RESOLUTE: &str = "**********************
Windows PowerShell transcript start
Start time: 20191203063201
Username: MEGABANK\\ryan
RunAs User: MEGABANK\\ryan
Machine: RESOLUTE (Microsoft Windows NT 10.0.14393.0)
Host Application: C:\\Windows\\system32\\wsmprovhost.exe -Embedding
Process ID: 2800
PSVersion: 5.1.14393.2273
PSEdition: Desktop
PSCompatibleVersions: 1.0, 2.0, 3.0, 4.0, 5.0, 5.1.14393.2273
BuildVersion: 10.0.14393.2273
CLRVersion: 4.0.30319.42000
WSManStackVersion: 3.0
PSRemotingProtocolVersion: 2.3
SerializationVersion: 1.1.0.1
**********************
Command start time: 20191203063455
**********************
PS>TerminatingError(): \"System error.\"
";

    #[test]
    fn resolute_banner() {
        assert!(looks_like(RESOLUTE));
        let t = split(RESOLUTE);
        assert!(t.is_transcript);
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert_eq!(t.machine.as_deref(), Some("RESOLUTE"));
        assert_eq!(t.username.as_deref(), Some("MEGABANK\\ryan"));
        assert_eq!(
            t.start_time.map(|d| d.to_string()).as_deref(),
            Some("2019-12-03T06:32:01")
        );
        assert_eq!(t.blocks.len(), 1);
        let b = &t.blocks[0];
        assert_eq!(
            b.command.as_deref(),
            Some("TerminatingError(): \"System error.\"")
        );
        assert_eq!(b.prompt, Some(PromptKind::Bare));
        assert_eq!(b.first_line, 20);
        assert_eq!(b.host.as_deref(), Some("RESOLUTE"));
        assert_eq!(
            b.command_time.map(|d| d.to_string()).as_deref(),
            Some("2019-12-03T06:34:55")
        );
    }

    #[test]
    fn transcript_with_commands_and_end_block_crlf() {
        let text = format!(
            "{}PS C:\\Users\\admin> w32tm /query /source\nFree-running System Clock\n**********************\nCommand start time: 20191203063501\n**********************\nPS C:\\Users\\admin> Get-Queue -Server EX02 | fl Identity,LastError\n\nIdentity  : EX02\\3\nLastError : 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\n\n**********************\nWindows PowerShell transcript end\nEnd time: 20191203063600\n**********************\n",
            RESOLUTE
        )
        .replace('\n', "\r\n");
        let t = split(&text);
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert_eq!(
            t.end_time.map(|d| d.to_string()).as_deref(),
            Some("2019-12-03T06:36:00")
        );
        let cmds: Vec<Option<&str>> = t.blocks.iter().map(|b| b.command.as_deref()).collect();
        assert_eq!(
            cmds,
            [
                Some("TerminatingError(): \"System error.\""),
                Some("w32tm /query /source"),
                Some("Get-Queue -Server EX02 | fl Identity,LastError"),
            ]
        );
        assert_eq!(t.blocks[1].text, "Free-running System Clock");
        assert_eq!(t.blocks[1].host.as_deref(), Some("RESOLUTE"));
        let q = &t.blocks[2];
        assert_eq!(q.host.as_deref(), Some("EX02"));
        assert!(q
            .text
            .starts_with("Identity  : EX02\\3\nLastError : 451 4.4.0"));
        assert!(!q.text.contains("transcript end"));
        // The block's text starts after the blank line that follows the prompt.
        assert_eq!(q.text_first_line, q.first_line + 2);
    }

    #[test]
    fn pasted_prompts_of_every_kind() {
        let text = "[PS] C:\\Windows\\system32>Get-ReceiveConnector -Identity \"EX01\\Default EX01\" | fl AuthMechanism\n\nAuthMechanism : Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer\n\n[192.168.0.3]: PS C:\\Users\\Administrator\\Documents> w32tm /query /status\nLeap Indicator: 0(no warning)\nStratum: 3 (secondary reference - syncd by (S)NTP)\nPS C:\\Users\\Administrator> Stop-Transcript\nC:\\Users\\TEST>ipconfig /all\n\nWindows IP Configuration\n\n   Host Name . . . . . . . . . . . . : dc01\n\nC:\\Users\\TEST>w32tm /stripchart /computer:dc01.contoso.com /samples:1 /dataonly\nTracking dc01.contoso.com [10.0.0.10:123].\n";
        assert!(looks_like(text));
        let t = split(text);
        assert!(!t.is_transcript);
        let summary: Vec<(Option<PromptKind>, Option<&str>, u64)> = t
            .blocks
            .iter()
            .map(|b| (b.prompt, b.host.as_deref(), b.first_line))
            .collect();
        assert_eq!(
            summary,
            [
                (Some(PromptKind::Ems), Some("EX01"), 1),
                (Some(PromptKind::Remote), Some("192.168.0.3"), 5),
                (Some(PromptKind::PowerShell), None, 8),
                (Some(PromptKind::Cmd), None, 9),
                (Some(PromptKind::Cmd), Some("dc01.contoso.com"), 15),
            ]
        );
        assert_eq!(
            t.blocks[1].text,
            "Leap Indicator: 0(no warning)\nStratum: 3 (secondary reference - syncd by (S)NTP)"
        );
        assert_eq!(t.blocks[1].text_first_line, 6);
        assert_eq!(t.blocks[3].command.as_deref(), Some("ipconfig /all"));
        assert!(t.blocks[3].text.starts_with("Windows IP Configuration\n"));
        assert_eq!(t.blocks[2].text, "");
    }

    #[test]
    fn text_before_first_prompt_and_continuations() {
        let text = "some notes from the admin\nPS C:\\> Get-Queue |\n>> fl Identity,LastError\nIdentity : EX01\\1\n";
        let t = split(text);
        assert_eq!(t.blocks.len(), 2);
        assert_eq!(t.blocks[0].command, None);
        assert_eq!(t.blocks[0].text, "some notes from the admin");
        assert_eq!(
            t.blocks[1].command.as_deref(),
            Some("Get-Queue |\nfl Identity,LastError")
        );
        assert_eq!(t.blocks[1].text, "Identity : EX01\\1");
        assert_eq!(t.blocks[1].text_first_line, 4);
    }

    #[test]
    fn hosts_from_arguments() {
        assert_eq!(
            command_host("Get-Queue -Server EX02").as_deref(),
            Some("EX02")
        );
        assert_eq!(
            command_host("w32tm /stripchart /computer:dc01 /dataonly").as_deref(),
            Some("dc01")
        );
        assert_eq!(
            command_host("nltest /server:DC02 /sc_verify:contoso").as_deref(),
            Some("DC02")
        );
        assert_eq!(
            command_host("Get-ExchangeServer -Identity 'EX 03'").as_deref(),
            Some("EX 03")
        );
        assert_eq!(
            command_host("Test-NetConnection -ComputerName dc01 -Port 88").as_deref(),
            Some("dc01")
        );
        assert_eq!(command_host("Get-Queue -Server $s"), None);
        assert_eq!(command_host("Get-Queue"), None);
    }

    #[test]
    fn bad_stamp_is_a_problem() {
        let t = split(&RESOLUTE.replace("Start time: 20191203063201", "Start time: 2019-12-03"));
        assert_eq!(t.problems.len(), 1);
        assert_eq!(t.problems[0].location, Location::Line(3));
        assert_eq!(t.machine.as_deref(), Some("RESOLUTE"));
    }

    #[test]
    fn not_a_transcript() {
        assert!(!looks_like("Leap Indicator: 0(no warning)\nStratum: 2\n"));
        assert!(!looks_like("C:\\Users\\TEST>\nC:\\Users\\TEST>\n"));
        assert!(!looks_like("   Host Name . . . . : dc01\n"));
    }
}
