//! Console transcripts split a line at a time (`transcript::split_each`) as
//! `transcript::split` splits them whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::transcript::{split, split_each, Block, BlockSink};

mod support;
use support::Pieces;

/// Blocks gathered from the sink, and how far the pass had read when each
/// block's first output line came.
struct Recording {
    read: std::rc::Rc<std::cell::Cell<usize>>,
    blocks: Vec<Block>,
    lines: usize,
    first_line_at: Vec<usize>,
    machine: Option<String>,
}

impl BlockSink for Recording {
    fn machine(&mut self, machine: Option<&str>) {
        self.machine = machine.map(str::to_string);
    }

    fn start(&mut self, block: &Block) {
        assert!(
            block.text.is_empty(),
            "a block's text comes a line at a time"
        );
        self.blocks.push(block.clone());
        self.lines = 0;
        self.first_line_at.push(usize::MAX);
    }

    fn line(&mut self, line: &str) {
        let (Some(block), Some(at)) = (self.blocks.last_mut(), self.first_line_at.last_mut())
        else {
            panic!("a line before any block");
        };
        if *at == usize::MAX {
            *at = self.read.get();
        }
        if self.lines > 0 {
            block.text.push('\n');
        }
        block.text.push_str(line);
        self.lines += 1;
    }

    fn end(&mut self) {}
}

const TRANSCRIPT: &str = "\u{feff}**********************\r\nWindows PowerShell transcript start\r\nStart time: 20261126104000\r\nUsername: CONTOSO\\admin\r\nMachine: EX01 (Microsoft Windows NT 10.0.17763.0)\r\n**********************\r\n**********************\r\nCommand start time: 20261126104012\r\n**********************\r\n[PS] C:\\Windows\\system32>Get-Queue -Server EX02 |\r\n>> fl Identity,LastError\r\n\r\n\r\nIdentity  : EX02\\7\r\nLastError : 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n   \r\n\r\n[PS] C:\\Windows\\system32>w32tm /query /status /computer:dc01\r\nLeap Indicator: 0(no warning)\r\nSource: Local CMOS Clock\r\n[PS] C:\\Windows\\system32>Stop-Transcript\r\n**********************\r\nWindows PowerShell transcript end\r\nEnd time: 20261126110000\r\n**********************\r\n";

/// Read a byte, 7 bytes or 64 KiB at a time, a transcript's blocks come as
/// `split` gives them — the Machine first, so that a block is attributed when
/// it starts, leading and trailing blank output lines dropped, blank lines
/// between kept —, a line at a time as read: the output of a `Get-Message |
/// fl` 20,000 objects deep begins before a tenth of the text is read.
#[test]
fn blocks_go_a_line_at_a_time_as_read() {
    let mut deep = String::from(TRANSCRIPT);
    deep.push_str("PS C:\\> Get-Message -Queue EX01\\3 | fl\r\n\r\n");
    for i in 0..20_000 {
        deep.push_str(&format!(
            "Identity    : EX01\\3\\{i}\r\nStatus      : Retry\r\n\r\n"
        ));
    }
    deep.push_str("\r\n\r\n");
    let pasted = "C:\\Users\\admin>w32tm /query /status\r\n  \r\nLeap Indicator: 0(no warning)\r\nSource: Local CMOS Clock\r\n\r\nC:\\Users\\admin>setspn -L EX02\r\n";
    let whole = split(TRANSCRIPT);
    assert_eq!(whole.machine.as_deref(), Some("EX01"));
    let hosts: Vec<Option<&str>> = whole.blocks.iter().map(|b| b.host.as_deref()).collect();
    assert_eq!(hosts, [Some("EX02"), Some("dc01"), Some("EX01")]);
    assert!(whole.blocks[0].text.starts_with("Identity  : EX02\\7\n"));
    assert!(whole.blocks[0].text.ends_with("authentication failure.\""));
    for text in [TRANSCRIPT, pasted, deep.as_str()] {
        let whole = split(text);
        assert!(!whole.blocks.is_empty());
        for piece in [1, 7, 64 << 10] {
            if piece < 7 && text.len() > 100_000 {
                continue;
            }
            let mut pieces = Pieces::new(text.as_bytes(), piece);
            let mut sink = Recording {
                read: pieces.read.clone(),
                blocks: Vec::new(),
                lines: 0,
                first_line_at: Vec::new(),
                machine: None,
            };
            let mut got = split_each(&mut pieces, &mut sink).expect("in memory");
            assert_eq!(sink.machine, whole.machine, "pieces of {piece}");
            got.blocks = sink.blocks;
            assert_eq!(got, whole, "pieces of {piece}");
            if text.len() > 100_000 {
                let last = sink.first_line_at.last().copied().unwrap_or(usize::MAX);
                assert!(last < text.len() / 10, "{last} of {}", text.len());
            }
        }
    }
}
