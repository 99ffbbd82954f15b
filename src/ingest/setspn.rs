//! `setspn -L`, `-X`, `-Q` output: SPN listings and duplicate groups.

use super::diag::account_name;
use super::diag::CommandOutput;
use super::{untimed, Extracted, Place, Records, HAND_OVER_AT};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::setspn::{self, SetspnOutput};
use exauth_parsers::problem::Problem;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<SetspnRecords> = CommandOutput {
    kinds: &[Kind::SETSPN],
    source: Source::Setspn,
    parse: |_, text, _| SetspnRecords(setspn::parse(text)),
};

/// One setspn output.
#[derive(Debug)]
pub struct SetspnRecords(pub SetspnOutput);

impl Records for SetspnRecords {
    fn problems(&self) -> &[Problem] {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        let o = &self.0;
        o.listings.is_empty() && o.duplicates.is_none() && o.query_outcome.is_none()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let push = |line: Option<u64>, fact: Fact, out: &mut Extracted| {
            out.evidence.push(untimed(place, line, fact))
        };
        let _ = &push;
        for listing in &self.0.listings {
            // `setspn -Q */*` lists every account of the domain: tens of
            // thousands, a fact each, handed over as they are made.
            if out.evidence.len() >= HAND_OVER_AT {
                out.hand_over_so_far();
            }
            push(
                Some(listing.line),
                Fact::SpnListing {
                    account: account_name(&listing.account_dn),
                    spns: listing.spns.clone(),
                },
                out,
            );
        }
        if let Some(d) = &self.0.duplicates {
            push(
                d.groups.first().map(|g| g.line),
                Fact::SpnDuplicates {
                    groups: d
                        .groups
                        .iter()
                        .map(|g| {
                            (
                                g.spn.clone(),
                                g.accounts.iter().map(|a| account_name(a)).collect(),
                            )
                        })
                        .collect(),
                },
                out,
            );
        }
    }
}
