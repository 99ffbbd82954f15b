//! `klist` output: the service tickets a server holds (SMTPSVC for its peers).

use super::diag::CommandOutput;
use super::{untimed, Extracted, Place, Records};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::klist::{self, TicketCache};
use exauth_parsers::problem::Problem;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<KlistRecords> = CommandOutput {
    kinds: &[Kind::KLIST],
    source: Source::Klist,
    parse: |_, text, options| KlistRecords(klist::parse(text, options.date_order)),
};

/// One klist output.
#[derive(Debug)]
pub struct KlistRecords(pub TicketCache);

impl Records for KlistRecords {
    fn problems(&self) -> &[Problem] {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.tickets.is_empty() && self.0.errors.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let push = |line: Option<u64>, fact: Fact, out: &mut Extracted| {
            out.evidence.push(untimed(place, line, fact))
        };
        let _ = &push;
        push(
            None,
            Fact::TicketCache {
                servers: self
                    .0
                    .tickets
                    .iter()
                    .filter_map(|k| k.server.as_ref().map(|p| p.text.clone()))
                    .collect(),
            },
            out,
        );
    }
}
