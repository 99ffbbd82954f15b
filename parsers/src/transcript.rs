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
use crate::problem::{Location, Problem, Problems};
use crate::reread::{each_line, Reread};
use jiff::civil::DateTime;
use serde::{Serialize, Serializer};
use std::io;
use std::ops::ControlFlow;

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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
    pub problems: Problems,
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

/// What a streaming split ([`split_each`]) hands a block's output to, a line
/// at a time: a block is never held whole.
pub trait BlockSink {
    /// The transcript's `Machine` (its banner's), before the first block.
    fn machine(&mut self, _machine: Option<&str>) {}
    /// A block begins: its command, prompt, lines and host (the transcript's
    /// `Machine` when neither names one); `text` is empty. Called for a
    /// block with output once its first output line is read (`text_first_line`
    /// is then final), for one without at its end.
    fn start(&mut self, block: &Block);
    /// The next line of the block's output, without its line end.
    fn line(&mut self, line: &str);
    /// The block ends (trailing blank lines are not handed over).
    fn end(&mut self);
}

/// Blank lines held back at a block's end at most (hostile input: a run of
/// blanks longer than this is handed over, not held).
const MAX_HELD_BLANKS: usize = 1 << 20;

/// The block being read.
struct Open {
    block: Block,
    /// The block was started on the sink.
    started: bool,
    /// Blank lines before the first output line.
    leading_blanks: u64,
    /// Blank lines since the last line handed over (dropped at the end).
    held_blanks: Vec<String>,
    held_bytes: usize,
    /// The last line taken was a prompt: `>> ` lines continue its command.
    in_command: bool,
}

/// The state of a split, a line at a time.
struct Splitter<'s> {
    /// A `Start-Transcript` banner is somewhere in the text.
    banner: bool,
    /// The host given to blocks that name none (the transcript's `Machine`,
    /// known from a first pass).
    machine: Option<String>,
    out: Transcript,
    open: Option<Open>,
    in_meta: bool,
    command_time: Option<DateTime>,
    sink: &'s mut dyn BlockSink,
}

impl Splitter<'_> {
    /// Line `n`, with the next line for the banner's look-ahead.
    fn line(&mut self, n: u64, raw: &str, next: Option<&str>) {
        let line = raw.trim_start_matches('\u{feff}').trim_end_matches('\r');
        let t = line.trim();
        if self.banner && is_star_line(t) {
            if self.in_meta {
                self.in_meta = false;
            } else if next.is_some_and(|l| is_banner_title(l.trim())) {
                self.close();
                self.in_meta = true;
            }
            return;
        }
        if self.in_meta {
            self.meta(n, t);
            return;
        }
        if self.banner {
            if let Some(v) = t.strip_prefix("Command start time:") {
                self.close();
                self.command_time = parse_stamp(v);
                if self.command_time.is_none() {
                    self.out.problems.push(Problem::new(
                        Location::Line(n),
                        "Command start time: not a yyyyMMddHHmmss time",
                    ));
                }
                return;
            }
        }
        if let Some(o) = self.open.as_mut() {
            if o.in_command {
                if let Some(more) = t.strip_prefix(">>") {
                    if let Some(c) = o.block.command.as_mut() {
                        c.push('\n');
                        c.push_str(more.trim());
                    }
                    o.block.text_first_line = n + 1;
                    return;
                }
            }
        }
        if let Some((kind, remote, cmd)) = prompt(line) {
            self.close();
            let command = (!cmd.is_empty()).then(|| cmd.to_string());
            let host = command.as_deref().and_then(command_host).or(remote);
            self.open = Some(Open::new(Block {
                command,
                prompt: Some(kind),
                first_line: n,
                text_first_line: n + 1,
                text: String::new(),
                host,
                command_time: self.command_time.take(),
            }));
            if let Some(o) = self.open.as_mut() {
                o.in_command = true;
            }
            return;
        }
        let command_time = &mut self.command_time;
        let o = self.open.get_or_insert_with(|| {
            Open::new(Block {
                command: None,
                prompt: None,
                first_line: n,
                text_first_line: n,
                text: String::new(),
                host: None,
                command_time: command_time.take(),
            })
        });
        o.in_command = false;
        o.output(line, &self.machine, &mut *self.sink);
    }

    /// A `Name: value` line of a banner block.
    fn meta(&mut self, n: u64, t: &str) {
        let Some((label, value)) = t.split_once(':') else {
            return;
        };
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
                    self.out.machine = Some(name.to_string());
                }
            }
            "username" => self.out.username = Some(value.to_string()),
            "start time" => self.out.start_time = stamp(&mut self.out),
            "end time" => self.out.end_time = stamp(&mut self.out),
            _ => {}
        }
    }

    fn close(&mut self) {
        if let Some(o) = self.open.take() {
            o.close(&self.machine, &mut *self.sink);
        }
    }
}

impl Open {
    fn new(block: Block) -> Self {
        Open {
            block,
            started: false,
            leading_blanks: 0,
            held_blanks: Vec::new(),
            held_bytes: 0,
            in_command: false,
        }
    }

    /// Starts the block on the sink, its host the machine's when it names none.
    fn start(&mut self, machine: &Option<String>, sink: &mut dyn BlockSink) {
        self.started = true;
        if self.block.host.is_none() {
            self.block.host.clone_from(machine);
        }
        sink.start(&self.block);
    }

    /// An output line: blank ones wait for the next line that is not.
    fn output(&mut self, line: &str, machine: &Option<String>, sink: &mut dyn BlockSink) {
        if line.trim().is_empty() {
            if !self.started {
                self.leading_blanks += 1;
            } else if self.held_bytes + line.len() <= MAX_HELD_BLANKS {
                self.held_bytes += line.len();
                self.held_blanks.push(line.to_string());
            } else {
                self.hand_held(sink);
                sink.line(line);
            }
            return;
        }
        if !self.started {
            self.block.text_first_line += self.leading_blanks;
            self.start(machine, sink);
        }
        self.hand_held(sink);
        sink.line(line);
    }

    fn hand_held(&mut self, sink: &mut dyn BlockSink) {
        for blank in self.held_blanks.drain(..) {
            sink.line(&blank);
        }
        self.held_bytes = 0;
    }

    /// The end of the block: a block with neither command nor output is none.
    fn close(mut self, machine: &Option<String>, sink: &mut dyn BlockSink) {
        if !self.started {
            if self.block.command.is_none() {
                return;
            }
            self.start(machine, sink);
        }
        sink.end();
    }
}

/// Splits a transcript or console paste into command blocks.
pub fn split(text: &str) -> Transcript {
    let mut blocks = Collect::default();
    // A text in memory has no reading error to give.
    let mut out = split_each(&mut text.as_bytes(), &mut blocks).unwrap_or_default();
    out.blocks = blocks.blocks;
    out
}

/// Blocks gathered whole, for [`split`].
#[derive(Default)]
struct Collect {
    blocks: Vec<Block>,
    lines: usize,
}

impl BlockSink for Collect {
    fn start(&mut self, block: &Block) {
        self.blocks.push(block.clone());
        self.lines = 0;
    }

    fn line(&mut self, line: &str) {
        if let Some(block) = self.blocks.last_mut() {
            if self.lines > 0 {
                block.text.push('\n');
            }
            block.text.push_str(line);
            self.lines += 1;
        }
    }

    fn end(&mut self) {}
}

/// A sink that takes nothing (the first pass).
struct Nothing;

impl BlockSink for Nothing {
    fn start(&mut self, _: &Block) {}
    fn line(&mut self, _: &str) {}
    fn end(&mut self) {}
}

/// [`split`] of a text read again from its start (a spool): whether it has a
/// banner, then its `Machine` (every block that names no host is about it),
/// then its blocks, each handed to `sink` a line at a time as read. The
/// transcript that comes back has its banner's fields and problems, no
/// blocks.
pub fn split_each(text: &mut dyn Reread, sink: &mut dyn BlockSink) -> io::Result<Transcript> {
    let mut banner = false;
    let mut previous_star = false;
    each_line(&mut *text.read_from_start()?, &mut |_, line| {
        let t = line.trim();
        banner = previous_star && is_banner_title(t);
        previous_star = is_star_line(t);
        if banner {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    let first = run(text, banner, None, &mut Nothing)?;
    sink.machine(first.machine.as_deref());
    run(text, banner, first.machine, sink)
}

/// One pass of the splitter over the text.
fn run(
    text: &mut dyn Reread,
    banner: bool,
    machine: Option<String>,
    sink: &mut dyn BlockSink,
) -> io::Result<Transcript> {
    let mut splitter = Splitter {
        banner,
        machine,
        out: Transcript {
            is_transcript: banner,
            ..Transcript::default()
        },
        open: None,
        in_meta: false,
        command_time: None,
        sink,
    };
    // Each line is taken when the next is read (the banner's look-ahead).
    let mut held: Option<(u64, String)> = None;
    each_line(&mut *text.read_from_start()?, &mut |n, line| {
        if let Some((at, previous)) = held.take() {
            splitter.line(at, &previous, Some(line));
        }
        held = Some((n, line.to_string()));
        ControlFlow::Continue(())
    })?;
    if let Some((at, last)) = held.take() {
        splitter.line(at, &last, None);
    }
    splitter.close();
    Ok(splitter.out)
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
