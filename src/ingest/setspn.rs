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
            out.hand_over_when_holding(HAND_OVER_AT);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A `setspn -Q */*` of more accounts than an input holds before handing
    /// them over: each account's listing, with its SPNs, handed over a part at
    /// a time in the order listed.
    #[test]
    fn a_domain_wide_listing_is_handed_over_in_parts() {
        let accounts = HAND_OVER_AT + 7;
        let mut text = String::from("Checking domain DC=contoso,DC=com\n");
        for i in 0..accounts {
            text.push_str(&format!(
                "CN=WS{i:05},OU=Workstations,DC=contoso,DC=com\n\tHOST/WS{i:05}.contoso.com\n\tHOST/WS{i:05}\n"
            ));
        }
        text.push_str("\nExisting SPN found!\n");
        let records = SetspnRecords(setspn::parse(&text));
        let place = Place {
            origin: "DC01/DC01_setspn-Q.txt",
            server: Some("DC01"),
        };
        let (parts, rest, _) = crate::ingest::extract_in_parts(&records, place);
        assert_eq!(parts.len(), 1, "a full part handed over while read");
        let all: Vec<_> = parts.into_iter().flatten().chain(rest).collect();
        assert_eq!(all.len(), accounts);
        for (i, e) in all.iter().enumerate() {
            let name = format!("WS{i:05}");
            assert!(
                matches!(&e.fact, Fact::SpnListing { account, spns }
                    if *account == name && *spns == [format!("HOST/{name}.contoso.com"), format!("HOST/{name}")]),
                "{:?}",
                e.fact
            );
        }
    }
}
