//! Console transcripts and pasted console text: split at the prompts
//! (`[PS] C:\…>` of the Exchange Management Shell, `PS C:\…>`, remoting
//! `[host]: PS …>`, `C:\…>`), each block's output detected and read by the
//! input for its own kind (a `Get-Queue | fl`, a `w32tm /query /status`, a
//! `setspn -L` …), attributed to the host the prompt or the command names,
//! else to the transcript's `Machine:`, else to where the file sits.
//!
//! Evidence from a block keeps file line numbers (`transcript.txt:57`);
//! output no input reads is still searched for failure signatures.

use super::text::Content;
use super::{
    input_for, signature_evidence, Extracted, IngestOptions, Input, Place, Records, RowSink,
};
use crate::discover::Artifact;
use crate::evidence::Evidence;
use crate::model::{normalize_host, Source};
use exauth_parsers::detect::{self, Kind, HEAD_LEN};
use exauth_parsers::problem::{Location, Problem};
use exauth_parsers::signature::{scan_text, SignatureHit};
use exauth_parsers::transcript;

pub struct TranscriptInput;

impl Input for TranscriptInput {
    fn kinds(&self) -> &'static [Kind] {
        &[transcript::KIND]
    }

    fn source(&self, _kind: Kind, _file_name: &str) -> Option<Source> {
        Some(Source::Transcript)
    }

    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let text = content.text()?;
        let split = transcript::split(&text);
        let machine = split
            .machine
            .as_deref()
            .and_then(normalize_host)
            .map(|(short, _)| short);
        let mut records = TranscriptRecords {
            blocks: Vec::new(),
            loose: Vec::new(),
            problems: split.problems.clone(),
        };
        for block in &split.blocks {
            if block.text.trim().is_empty() {
                continue;
            }
            // Line n of the block is line n + offset of the file.
            let offset = block.text_first_line.saturating_sub(1);
            let tool = block
                .command
                .as_deref()
                .and_then(|c| c.split_whitespace().next())
                .map(|w| format!("{}.txt", w.to_ascii_lowercase()))
                .unwrap_or_default();
            let bytes = block.text.as_bytes();
            let detection = detect::detect(&bytes[..bytes.len().min(HEAD_LEN)], &tool);
            let input = input_for(detection.kind).filter(|_| detection.kind != transcript::KIND);
            let Some(input) = input else {
                records
                    .loose
                    .extend(scan_text(&block.text).into_iter().map(|mut hit| {
                        hit.line += offset;
                        hit
                    }));
                continue;
            };
            // w32tm measures the machine it runs on against `/computer:`;
            // every other command's host argument names where its data is.
            let named = block
                .host
                .as_deref()
                .and_then(normalize_host)
                .map(|(s, _)| s);
            let server = if detection.kind == Kind::W32TM {
                machine.clone()
            } else {
                named.or_else(|| machine.clone())
            }
            .or_else(|| artifact.server_hint.clone());
            let sub = Artifact {
                origin: artifact.origin,
                server_hint: server.clone(),
                size: Some(bytes.len() as u64),
                head: &bytes[..bytes.len().min(HEAD_LEN)],
                detection,
                path: None,
            };
            let mut reader: &[u8] = bytes;
            let mut sub_content = Content::new(&mut reader, &sub.detection);
            match input.read(&sub, &mut sub_content, options) {
                Ok(read) => {
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
                    records
                        .problems
                        .extend(finished.problems.iter().chain(read.problems()).map(shifted));
                    records.blocks.push(Block {
                        offset,
                        server,
                        records: read,
                    });
                }
                Err(reason) => records.problems.push(Problem::new(
                    Location::Line(block.first_line),
                    format!(
                        "output of `{}` could not be read: {reason}",
                        block.command.as_deref().unwrap_or("")
                    ),
                )),
            }
        }
        Ok(Box::new(records))
    }
}

/// One block's output, read by its own input.
#[derive(Debug)]
struct Block {
    /// Added to the block's line numbers to give the file's.
    offset: u64,
    server: Option<String>,
    records: Box<dyn Records>,
}

/// The blocks of one transcript.
#[derive(Debug)]
pub struct TranscriptRecords {
    blocks: Vec<Block>,
    /// Failure-signature lines in output no input reads.
    loose: Vec<SignatureHit>,
    problems: Vec<Problem>,
}

/// `file.txt:12` → `file.txt:{12 + offset}` for the evidence of one block.
fn shift_origins(evidence: &mut [Evidence], origin: &str, offset: u64) {
    for e in evidence {
        let shifted = e
            .origin
            .strip_prefix(origin)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| format!("{origin}:{}", n + offset));
        if let Some(shifted) = shifted {
            e.origin = shifted;
        }
    }
}

impl Records for TranscriptRecords {
    fn problems(&self) -> &[Problem] {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.loose.is_empty()
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
