//! `nltest /dsgetdc` output: which DC the server finds, or why it finds none.

use super::diag::CommandOutput;
use super::{untimed, Extracted, Place, Records};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::nltest::{self, DcLocator};
use exauth_parsers::problem::Problem;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<NltestRecords> = CommandOutput {
    kinds: &[Kind::NLTEST],
    source: Source::Nltest,
    parse: |_, text, _| NltestRecords(nltest::parse(text)),
    stream: None,
};

/// One nltest output.
#[derive(Debug)]
pub struct NltestRecords(pub DcLocator);

impl Records for NltestRecords {
    fn problems(&self) -> &[Problem] {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.dc.is_none() && self.0.statuses.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let push = |line: Option<u64>, fact: Fact, out: &mut Extracted| {
            out.evidence.push(untimed(place, line, fact))
        };
        let _ = &push;
        push(
            None,
            Fact::DcLocator {
                dc: self.0.dc.clone(),
                error: self
                    .0
                    .statuses
                    .iter()
                    .find(|s| s.code != 0)
                    .map(|s| format!("{} {}", s.code, s.name.clone().unwrap_or_default())),
            },
            out,
        );
    }
}
