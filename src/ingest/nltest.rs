//! `nltest /dsgetdc` output: which DC the server finds, or why it finds none.
//!
//! Streamed ([`CommandOutput::stream`]): `nltest /dsgetdc:` run every
//! minute for days into one file says its DC (or its failure) by the
//! hundred thousand. The output is one fact, as one run has always read:
//! the DC named last and the first failure; it stands for the lines that
//! said that failure again (none: those that named that DC).

use super::diag::{CommandOutput, Streamed, DISTINCT_A_BATCH};
use super::{untimed, Extracted, Place, Records};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::nltest::{self, DcLocator, NetStatus, NltestRecord};
use exauth_parsers::problem::Problems;
use rustc_hash::FxHashMap;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<NltestRecords> = CommandOutput {
    kinds: &[Kind::NLTEST],
    source: Source::Nltest,
    parse: |_, text, _| NltestRecords(nltest::parse(text)),
    stream: Some(|_, text, _, place, facts| {
        let mut said = Said::default();
        let mut read = 0u64;
        let locator = nltest::read(text, &mut |record| {
            read += 1;
            match record {
                NltestRecord::Dc { name, .. } => said.dc(name),
                NltestRecord::Status(s) => said.status(&s),
            }
        });
        said.finish(locator.dc.clone(), place, facts);
        Streamed {
            read,
            problems: locator.problems,
        }
    }),
};

/// One nltest output.
#[derive(Debug)]
pub struct NltestRecords(pub DcLocator);

impl Records for NltestRecords {
    fn problems(&self) -> &Problems {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.dc.is_none() && self.0.statuses.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let mut said = Said::default();
        for s in &self.0.statuses {
            said.status(s);
        }
        said.finish(self.0.dc.clone(), place, out);
    }
}

/// What an output said, counted: its first failure and how many statuses
/// said it, and how many lines named each DC (the first
/// [`DISTINCT_A_BATCH`] DCs: no domain has more).
#[derive(Default)]
struct Said {
    error: Option<String>,
    error_said: u64,
    dcs: FxHashMap<String, u64>,
}

impl Said {
    fn dc(&mut self, name: String) {
        if let Some(count) = self.dcs.get_mut(&name) {
            *count += 1;
        } else if self.dcs.len() < DISTINCT_A_BATCH {
            self.dcs.insert(name, 1);
        }
    }

    fn status(&mut self, s: &NetStatus) {
        if s.code == 0 {
            return;
        }
        let text = format!("{} {}", s.code, s.name.clone().unwrap_or_default());
        match &self.error {
            None => {
                self.error = Some(text);
                self.error_said = 1;
            }
            Some(first) if *first == text => self.error_said += 1,
            Some(_) => {}
        }
    }

    /// The fact of the output whose last DC is `dc`.
    fn finish(self, dc: Option<String>, place: Place<'_>, out: &mut Extracted) {
        let represents = match (&self.error, &dc) {
            (Some(_), _) => self.error_said,
            (None, Some(dc)) => self.dcs.get(dc).copied().unwrap_or(1),
            (None, None) => 1,
        };
        let mut e = untimed(
            place,
            None,
            Fact::DcLocator {
                dc,
                error: self.error,
            },
        );
        e.represents = represents.max(1);
        out.evidence.push(e);
    }
}
