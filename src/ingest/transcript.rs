//! Console transcripts and pasted console text: split at the prompts
//! (`[PS] C:\…>` of the Exchange Management Shell, `PS C:\…>`, remoting
//! `[host]: PS …>`, `C:\…>`), each block's output detected and read by the
//! input for its own kind (a `Get-Queue | fl`, a `w32tm /query /status`, a
//! `setspn -L` …), attributed to the host the prompt or the command names,
//! else to the transcript's `Machine:`, else to where the file sits.
//!
//! The transcript is spooled and split in passes (`transcript::split_each`),
//! each block's output spooled as its lines come and read by its input when
//! the block ends: a transcript of any size, a block of any size (a
//! `Get-Message | fl` thousands deep), is never held whole — `read_into`
//! hands each block's facts over as its input reads them.
//!
//! Evidence from a block keeps file line numbers (`transcript.txt:57`);
//! output no input reads is still searched for failure signatures.

use super::text::{Content, SPOOL_IN_MEMORY};
use super::{
    input_for, signature_evidence, Extracted, HandOver, IngestOptions, Input, Part, Place, Records,
    RowSink,
};
use crate::discover::Artifact;
use crate::evidence::Evidence;
use crate::model::{normalize_host, Source};
use exauth_parsers::detect::{self, Kind, HEAD_LEN};
use exauth_parsers::problem::{Location, Problem, Problems};
use exauth_parsers::signature::{SignatureHit, SignatureScanner};
use exauth_parsers::transcript::{self, Block, BlockSink};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};

pub struct TranscriptInput;

impl Input for TranscriptInput {
    fn kinds(&self) -> &'static [Kind] {
        &[transcript::KIND]
    }

    fn source(&self, _kind: Kind, _file_name: &str) -> Option<Source> {
        Some(Source::Transcript)
    }

    /// Each block read by its input's `read`, its records kept.
    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let mut kept = Vec::new();
        let mut records = split(artifact, content, options, &mut |read| {
            let records = read.input.read(read.artifact, read.content, read.options)?;
            let problems = records.problems().clone();
            kept.push(KeptBlock {
                offset: read.offset,
                server: read.artifact.server_hint.clone(),
                records,
            });
            Ok(problems)
        })?;
        records.blocks = kept;
        Ok(Box::new(records))
    }

    /// Each block read by its input's `read_into` as the block ends: its
    /// facts, their lines made the transcript's, go as its input hands them
    /// over.
    fn read_into(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        mut rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        let mut records = split(artifact, content, options, &mut |read| {
            let server = read.artifact.server_hint.as_deref();
            let at = Place {
                origin: place.origin,
                server,
            };
            let block_rows = rows.as_mut().map(|(sink, rows_at)| {
                (
                    &mut **sink as &mut dyn RowSink,
                    Place {
                        origin: rows_at.origin,
                        server,
                    },
                )
            });
            let offset = read.offset;
            // What the pipeline takes while the block is read, its lines made
            // the transcript's first.
            let mut parent = facts.hand_over.take();
            let handing_over = parent.is_some();
            let mut shifted = |part: &mut Part| {
                shift_origins(&mut part.evidence, place.origin, offset);
                if let Some(HandOver(take)) = &mut parent {
                    take(part);
                }
            };
            let mut block = Extracted {
                sessions: facts.sessions.take(),
                pairing_gate: facts.pairing_gate.take(),
                hand_over: None,
                ..Extracted::default()
            };
            if handing_over {
                block.hand_over = Some(HandOver(&mut shifted));
            }
            let read_block = read.input.read_into(
                read.artifact,
                read.content,
                read.options,
                at,
                &mut block,
                block_rows,
            );
            let Extracted {
                mut evidence,
                hints,
                pairing,
                claims,
                sessions,
                pairing_gate,
                queue_copies,
                ..
            } = block;
            facts.queue_copies += queue_copies;
            facts.hand_over = parent;
            facts.sessions = sessions;
            facts.pairing_gate = pairing_gate;
            shift_origins(&mut evidence, place.origin, offset);
            facts.evidence.append(&mut evidence);
            facts.hints.extend(hints);
            facts.pairing.extend(pairing);
            facts.claims.extend(claims);
            facts.hand_over_when_holding(options.hand_over_at);
            Ok(read_block?.problems().clone())
        })?;
        let loose = std::mem::take(&mut records.loose);
        facts
            .evidence
            .extend(loose.iter().map(|hit| signature_evidence(hit, place, None)));
        Ok(Box::new(records))
    }
}

/// One block's output as its input reads it.
struct BlockRead<'r, 'c> {
    input: &'static dyn Input,
    artifact: &'r Artifact<'r>,
    content: &'r mut Content<'c>,
    options: &'r IngestOptions,
    /// Added to the block's line numbers to give the file's.
    offset: u64,
}

/// Reads a block; the problems of its records.
type ReadBlock<'f> = dyn FnMut(BlockRead<'_, '_>) -> Result<Problems, String> + 'f;

/// The transcript spooled and split, each block to `read_block` once it is
/// spooled: the records hold the transcript's problems and the blocks' (their
/// lines the file's), and the failure-signature lines of output no input
/// reads.
fn split(
    artifact: &Artifact<'_>,
    content: &mut Content<'_>,
    options: &IngestOptions,
    read_block: &mut ReadBlock<'_>,
) -> Result<TranscriptRecords, String> {
    let mut text = content.spooled_text()?;
    let mut blocks = Blocks {
        artifact,
        options,
        read_block,
        current: None,
        records: TranscriptRecords::default(),
    };
    let split = transcript::split_each(&mut text, &mut blocks)
        .map_err(|e| format!("cannot read the spooled text: {e}"))?;
    let mut records = blocks.records;
    let mut problems = split.problems;
    problems.append(std::mem::take(&mut records.problems));
    records.problems = problems;
    Ok(records)
}

/// The block being spooled.
/// Bytes of a block's output gathered before they go to its spool.
const SPOOL_WRITE_BUFFER: usize = 64 << 10;

struct Current {
    block: Block,
    /// The block's output, `\n`-joined, as it comes. Buffered: past its
    /// first 4 MiB the spool is a file, and each line written straight to it
    /// was two system calls (a 200 MB transcript: 58 % of its scan).
    text: std::io::BufWriter<tempfile::SpooledTempFile>,
    bytes: u64,
    /// A write failed (the temporary directory full): the block is not read.
    error: Option<String>,
}

/// Takes the blocks of a split as they come and reads each when it ends.
struct Blocks<'b, 'r> {
    artifact: &'b Artifact<'b>,
    options: &'b IngestOptions,
    read_block: &'b mut ReadBlock<'r>,
    current: Option<Current>,
    records: TranscriptRecords,
}

impl BlockSink for Blocks<'_, '_> {
    fn machine(&mut self, machine: Option<&str>) {
        self.records.machine = machine.and_then(normalize_host).map(|(short, _)| short);
    }

    fn start(&mut self, block: &Block) {
        self.current = Some(Current {
            block: block.clone(),
            text: std::io::BufWriter::with_capacity(
                SPOOL_WRITE_BUFFER,
                tempfile::spooled_tempfile(SPOOL_IN_MEMORY),
            ),
            bytes: 0,
            error: None,
        });
    }

    fn line(&mut self, line: &str) {
        let Some(current) = self.current.as_mut() else {
            return;
        };
        let separator: &[u8] = if current.bytes > 0 { b"\n" } else { b"" };
        let written = current
            .text
            .write_all(separator)
            .and_then(|()| current.text.write_all(line.as_bytes()));
        match written {
            Ok(()) => current.bytes += (separator.len() + line.len()) as u64,
            Err(e) => {
                current.error.get_or_insert(e.to_string());
            }
        }
    }

    fn end(&mut self) {
        if let Some(current) = self.current.take() {
            self.read(current);
        }
    }
}

impl Blocks<'_, '_> {
    /// Reads one block's output with the input for its kind (or searches it
    /// for failure signatures when none reads it).
    fn read(&mut self, current: Current) {
        let Current {
            block,
            text,
            bytes,
            error,
        } = current;
        if let Some(e) = error {
            self.problem(&block, &format!("could not be spooled: {e}"));
            return;
        }
        let mut text = match text.into_inner() {
            Ok(text) => text,
            Err(e) => {
                self.problem(&block, &format!("could not be spooled: {}", e.error()));
                return;
            }
        };
        // Line n of the block is line n + offset of the file.
        let offset = block.text_first_line.saturating_sub(1);
        let mut head = Vec::with_capacity(HEAD_LEN);
        let rewound = text
            .seek(SeekFrom::Start(0))
            .and_then(|_| (&mut text).take(HEAD_LEN as u64).read_to_end(&mut head))
            .and_then(|_| text.seek(SeekFrom::Start(0)));
        if let Err(e) = rewound {
            self.problem(&block, &format!("could not be read again: {e}"));
            return;
        }
        if head.iter().all(u8::is_ascii_whitespace) {
            // A command without output.
            return;
        }
        let tool = block
            .command
            .as_deref()
            .and_then(|c| c.split_whitespace().next())
            .map(|w| format!("{}.txt", w.to_ascii_lowercase()))
            .unwrap_or_default();
        let detection = detect::detect(&head, &tool);
        let input = input_for(detection.kind).filter(|_| detection.kind != transcript::KIND);
        let Some(input) = input else {
            let hits = scan(BufReader::new(&mut text));
            match hits {
                Ok(hits) => self.records.loose.extend(hits.into_iter().map(|mut hit| {
                    hit.line += offset;
                    hit
                })),
                Err(e) => self.problem(&block, &format!("could not be read again: {e}")),
            }
            return;
        };
        // w32tm measures the machine it runs on against `/computer:`;
        // every other command's host argument names where its data is. (The
        // splitter gave a block that names no host the transcript's Machine.)
        let machine = self.records.machine.clone();
        let named = block
            .host
            .as_deref()
            .and_then(normalize_host)
            .map(|(s, _)| s);
        let server = if detection.kind == Kind::W32TM {
            machine
        } else {
            named.or(machine)
        }
        .or_else(|| self.artifact.server_hint.clone());
        let sub = Artifact {
            origin: self.artifact.origin,
            server_hint: server,
            size: Some(bytes),
            head: &head,
            detection,
            path: None,
        };
        let mut reader = BufReader::new(&mut text);
        let mut sub_content = Content::new(&mut reader, &sub.detection);
        let read = (self.read_block)(BlockRead {
            input,
            artifact: &sub,
            content: &mut sub_content,
            options: self.options,
            offset,
        });
        match read {
            Ok(problems) => {
                let finished = sub_content.finish(sub.size);
                let shifted = |p: &Problem| match p.location {
                    Location::Line(n) => Problem::new(Location::Line(n + offset), &p.message),
                    _ => Problem::new(
                        Location::Line(block.first_line),
                        format!(
                            "output of `{}`: {}",
                            block.command.as_deref().unwrap_or(""),
                            p.message
                        ),
                    ),
                };
                self.records
                    .problems
                    .extend(finished.problems.iter().chain(&problems).map(shifted));
                self.records.read += 1;
            }
            Err(reason) => self.problem(&block, &format!("could not be read: {reason}")),
        }
    }

    fn problem(&mut self, block: &Block, what: &str) {
        self.records.problems.push(Problem::new(
            Location::Line(block.first_line),
            format!(
                "output of `{}` {what}",
                block.command.as_deref().unwrap_or("")
            ),
        ));
    }
}

/// The failure-signature lines of a block's output (lines as `str::lines`
/// splits them).
fn scan(mut text: impl BufRead) -> std::io::Result<Vec<SignatureHit>> {
    let mut scanner = SignatureScanner::new();
    exauth_parsers::reread::each_line(&mut text, &mut |_, line| {
        scanner.line(line);
        std::ops::ControlFlow::Continue(())
    })?;
    Ok(scanner.finish())
}

/// One block's output, read by its own input and kept (`read`).
#[derive(Debug)]
struct KeptBlock {
    /// Added to the block's line numbers to give the file's.
    offset: u64,
    server: Option<String>,
    records: Box<dyn Records>,
}

/// The blocks of one transcript.
#[derive(Debug, Default)]
pub struct TranscriptRecords {
    /// The blocks kept, when read whole (`read`).
    blocks: Vec<KeptBlock>,
    /// Blocks read, kept or not.
    read: u64,
    /// The transcript's `Machine`.
    machine: Option<String>,
    /// Failure-signature lines in output no input reads.
    loose: Vec<SignatureHit>,
    problems: Problems,
}

/// `file.txt:12` → `file.txt:{12 + offset}` for the evidence of one block.
fn shift_origins(evidence: &mut [Evidence], origin: &str, offset: u64) {
    for e in evidence {
        let shifted = e
            .origin
            .strip_prefix(origin)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| crate::model::origin_at(origin, n + offset));
        if let Some(shifted) = shifted {
            e.origin = shifted;
        }
    }
}

impl Records for TranscriptRecords {
    fn problems(&self) -> &Problems {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.read == 0 && self.loose.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        for block in &self.blocks {
            let first = out.evidence.len();
            block.records.extract(
                Place {
                    origin: place.origin,
                    server: block.server.as_deref(),
                },
                out,
            );
            shift_origins(&mut out.evidence[first..], place.origin, block.offset);
        }
        for hit in &self.loose {
            out.evidence.push(signature_evidence(hit, place, None));
        }
    }

    fn rows(&self, place: Place<'_>, out: &mut dyn RowSink) {
        for block in &self.blocks {
            block.records.rows(
                Place {
                    origin: place.origin,
                    server: block.server.as_deref(),
                },
                out,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Origin;
    use crate::ingest::Row;

    /// A Start-Transcript of EX01: a `Get-Queue | fl` of queues with the 454
    /// LastError, `w32tm /query /status` (CMOS), `setspn -L EX02`, output no
    /// input reads with a 454 line, and a `Get-Message | fl` a few thousand
    /// deep.
    fn transcript() -> String {
        let mut text = String::from("\u{feff}**********************\r\nWindows PowerShell transcript start\r\nStart time: 20261126104000\r\nUsername: CONTOSO\\admin\r\nMachine: EX01 (Microsoft Windows NT 10.0.17763.0)\r\n**********************\r\n");
        text.push_str("[PS] C:\\Windows\\system32>Get-Queue | fl Identity,Status,NextHopDomain,LastError,RetryCount\r\n\r\n");
        for i in 0..40 {
            text.push_str(&format!("Identity      : EX01\\{}\r\nStatus        : Retry\r\nNextHopDomain : dag1\r\nLastError     : [{{LRT=26.11.2026 10:40:05}};{{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"}};{{FQDN=EX02.contoso.local}};{{IP=10.0.0.12}}]\r\nRetryCount    : {}\r\n\r\n", i + 3, i + 1));
        }
        text.push_str("[PS] C:\\Windows\\system32>w32tm /query /status\r\nLeap Indicator: 0(no warning)\r\nStratum: 1 (primary reference - syncd by radio clock)\r\nSource: Local CMOS Clock\r\n\r\n");
        text.push_str("[PS] C:\\Windows\\system32>setspn -L EX02\r\nRegistered ServicePrincipalNames for CN=EX02,OU=Servers,DC=contoso,DC=local:\r\n\tSMTPSVC/EX02\r\n\tSMTPSVC/EX02.contoso.local\r\n\r\n");
        text.push_str("[PS] C:\\Windows\\system32>Get-Content notes.txt\r\nThe ticket said: 454 4.7.0 Temporary authentication failure\r\n\r\n");
        text.push_str("[PS] C:\\Windows\\system32>Get-Message -Queue EX01\\3 | fl Identity,Subject,LastError\r\n\r\n");
        for i in 0..3_000 {
            text.push_str(&format!("Identity  : EX01\\3\\{i}\r\nSubject   : report {i}\r\nLastError : 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"\r\n\r\n"));
        }
        text.push_str("**********************\r\nWindows PowerShell transcript end\r\nEnd time: 20261126110000\r\n**********************\r\n");
        text
    }

    /// A block whose output outgrows the spool's memory (written to its
    /// file through the write buffer, read back whole): a `Get-Queue | fl`
    /// of 16,000 queues after a `w32tm` block, every queue a fact at its
    /// Identity line, the last one's too, and the block after it still read.
    #[test]
    fn a_block_larger_than_the_spools_memory_reads_whole() {
        let mut text = String::from("**********************\r\nWindows PowerShell transcript start\r\nStart time: 20261126104000\r\nUsername: CONTOSO\\admin\r\nMachine: EX01 (Microsoft Windows NT 10.0.17763.0)\r\n**********************\r\n");
        text.push_str("[PS] C:\\Windows\\system32>Get-Queue | fl Identity,Status,NextHopDomain,LastError,RetryCount\r\n\r\n");
        let queues = 16_000;
        let first_line = text.lines().count() as u64 + 1;
        for i in 0..queues {
            text.push_str(&format!("Identity      : EX01\\{}\r\nStatus        : Retry\r\nNextHopDomain : dag1\r\nLastError     : [{{LRT=26.11.2026 10:40:05}};{{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"}};{{FQDN=EX02.contoso.local}};{{IP=10.0.0.12}}]\r\nRetryCount    : {}\r\n\r\n", i + 3, i % 7 + 1));
        }
        assert!(text.len() > SPOOL_IN_MEMORY + SPOOL_WRITE_BUFFER);
        text.push_str("[PS] C:\\Windows\\system32>w32tm /query /status\r\nLeap Indicator: 0(no warning)\r\nStratum: 1 (primary reference - syncd by radio clock)\r\nSource: Local CMOS Clock\r\n\r\n");
        let bytes = text.as_bytes();
        let origin = Origin::file("PowerShell_transcript.EX01.txt");
        let artifact = transcript_artifact(&origin, bytes);
        let origin_text = origin.to_string();
        let place = Place {
            origin: &origin_text,
            server: None,
        };
        let mut facts = Extracted::default();
        let mut raw = bytes;
        let mut content = Content::new(&mut raw, &artifact.detection);
        let records = TranscriptInput
            .read_into(
                &artifact,
                &mut content,
                &IngestOptions::default(),
                place,
                &mut facts,
                None,
            )
            .expect("read_into");
        assert!(records.problems().is_empty(), "{:?}", records.problems());
        let mut lines: Vec<u64> = facts
            .evidence
            .iter()
            .filter(|e| e.fact.kind() == "queue-last-error")
            .filter_map(|e| e.origin.rsplit_once(':')?.1.parse().ok())
            .collect();
        lines.sort_unstable();
        // Each queue at its Identity line, six lines apart.
        assert_eq!(lines.len(), queues);
        let expected = (0..queues as u64).map(|i| first_line + 6 * i);
        assert!(
            lines.iter().copied().eq(expected),
            "first {:?}, last {:?}",
            lines.first(),
            lines.last()
        );
        assert!(facts
            .evidence
            .iter()
            .any(|e| e.fact.kind() == "time-sync-status"));
    }

    /// `bytes` as the artifact discovery gives for a file of that origin.
    fn transcript_artifact<'a>(origin: &'a Origin, bytes: &'a [u8]) -> Artifact<'a> {
        let head = &bytes[..bytes.len().min(HEAD_LEN)];
        Artifact {
            origin,
            server_hint: None,
            size: Some(bytes.len() as u64),
            head,
            detection: detect::detect(head, &origin.to_string()),
            path: None,
        }
    }

    fn sorted(evidence: &[Evidence]) -> Vec<String> {
        let mut all: Vec<String> = evidence.iter().map(|e| format!("{e:?}")).collect();
        all.sort();
        all
    }

    /// Read a block at a time (`read_into`, the transcript handed over a few
    /// bytes a read, every block's facts handed over as its input reads them)
    /// or with every block's records kept (`read`): the same facts, at the
    /// transcript's lines, the same problems and rows; each block's facts
    /// attributed as its command says.
    #[test]
    fn a_transcript_read_a_block_at_a_time_gives_what_it_gives_kept_whole() {
        let text = transcript();
        let bytes = text.as_bytes();
        let origin = Origin::file("PowerShell_transcript.EX01.txt");
        let artifact = transcript_artifact(&origin, bytes);
        assert_eq!(artifact.detection.kind, transcript::KIND);
        let origin_text = origin.to_string();
        let place = Place {
            origin: &origin_text,
            server: None,
        };
        let options = IngestOptions {
            hand_over_at: 1,
            ..IngestOptions::default()
        };
        let mut raw = bytes;
        let mut content = Content::new(&mut raw, &artifact.detection);
        let kept = TranscriptInput
            .read(&artifact, &mut content, &options)
            .expect("read");
        let mut whole = Extracted::default();
        kept.extract(place, &mut whole);
        let mut whole_rows: Vec<Row> = Vec::new();
        kept.rows(place, &mut whole_rows);

        let mut parts = Vec::new();
        let mut take = |part: &mut Part| parts.push(std::mem::take(&mut part.evidence));
        let mut facts = Extracted {
            hand_over: Some(HandOver(&mut take)),
            ..Extracted::default()
        };
        let mut rows: Vec<Row> = Vec::new();
        let mut raw = crate::ingest::text::Trickle {
            bytes,
            at_a_time: 7,
        };
        let mut content = Content::new(&mut raw, &artifact.detection);
        let streamed = TranscriptInput
            .read_into(
                &artifact,
                &mut content,
                &options,
                place,
                &mut facts,
                Some((&mut rows, place)),
            )
            .expect("read_into");
        let left = std::mem::take(&mut facts.evidence);
        drop(facts);
        assert!(
            parts.len() >= 2,
            "handed over as read: {} parts",
            parts.len()
        );
        let mut got: Vec<Evidence> = parts.into_iter().flatten().collect();
        got.extend(left);

        assert_eq!(sorted(&got), sorted(&whole.evidence));
        assert_eq!(streamed.problems(), kept.problems());
        assert_eq!(rows, whole_rows);
        assert!(!streamed.is_empty());

        // Each queue at the line of its object in the transcript (its
        // Identity line), EX01's.
        let identity_lines: Vec<u64> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("Identity      : EX01\\"))
            .map(|(i, _)| i as u64 + 1)
            .collect();
        assert_eq!(identity_lines.len(), 40);
        let mut queue_lines: Vec<u64> = got
            .iter()
            .filter(|e| e.fact.kind() == "queue-last-error")
            .inspect(|e| assert_eq!(e.server.as_deref(), Some("EX01")))
            .filter_map(|e| e.origin.rsplit_once(':')?.1.parse().ok())
            .collect();
        queue_lines.sort_unstable();
        assert_eq!(queue_lines, identity_lines);
        // The notes' 454 line, found by the net where it lies.
        let notes = text
            .lines()
            .position(|l| l.starts_with("The ticket said"))
            .map(|i| i + 1)
            .expect("the notes");
        assert!(got.iter().any(|e| e.fact.kind() == "failure-signature"
            && e.origin == format!("{origin_text}:{notes}")));
        // setspn -L EX02: the listing of EX02's account, read on EX01.
        assert!(got.iter().any(|e| matches!(
            &e.fact,
            crate::evidence::Fact::SpnListing { account, .. } if account == "EX02"
        ) && e.server.as_deref() == Some("EX01")));
    }
}
