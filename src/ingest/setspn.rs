//! `setspn -L`, `-X`, `-Q` output: SPN listings and duplicate groups.
//!
//! Streamed ([`Input::read_into`]): `setspn -Q */*` lists every account of a
//! domain (hundreds of thousands); each listing becomes a fact as it is read.
//! A listing the diagnosis reads SPN by SPN stays whole ([`Fact::SpnListing`]:
//! an account asked for with `-L`, or one carrying an SMTP SPN); the rest of
//! what `-Q` found is kept by name ([`Fact::SpnAccounts`]), so a domain of any
//! size reads in bounded memory.

use super::diag::account_name;
use super::text::Content;
use super::{untimed, Extracted, IngestOptions, Input, Place, Records, RowSink, HAND_OVER_AT};
use crate::discover::Artifact;
use crate::evidence::{spn_hash, Fact, ListedAccount, ListedAccounts};
use crate::model::{is_host_spn, is_smtp_spn, Source};
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::setspn::{self, SetspnOutput, SpnListing};
use exauth_parsers::problem::Problems;

/// The input of setspn outputs (one line in `ingest::INPUTS`).
pub struct SetspnInput;

impl Input for SetspnInput {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::SETSPN]
    }

    fn source(&self, _kind: Kind, _file_name: &str) -> Option<Source> {
        Some(Source::Setspn)
    }

    /// The whole output, every listing kept (a text read whole: a
    /// transcript's part).
    fn read(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        _options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let text = content.text()?;
        Ok(Box::new(SetspnRecords(setspn::parse(&text))))
    }

    /// Streaming: each listing becomes a fact as it is read; the records
    /// that come back hold the rest (`-X` groups, the query's outcome).
    fn read_into(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        _options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        _rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        let mut text = content.spooled_text()?;
        let mut listings = Listings::default();
        let output = setspn::read(&mut text, &mut |listing| {
            listings.push(listing, place, facts);
        });
        listings.finish(place, facts);
        let records = SetspnRecords(output);
        records.extract(place, facts);
        Ok(Box::new(records))
    }
}

/// One setspn output.
#[derive(Debug)]
pub struct SetspnRecords(pub SetspnOutput);

/// Accounts kept by name in one fact, at most.
const ACCOUNTS_A_FACT: usize = 1 << 14;

/// Listings made facts, one at a time.
#[derive(Default)]
struct Listings {
    /// Accounts `-Q` found with no SMTP SPN, not yet a fact.
    by_name: ListedAccounts,
}

impl Listings {
    fn push(&mut self, listing: SpnListing, place: Place<'_>, out: &mut Extracted) {
        // `setspn -Q */*` lists every account of the domain: tens of
        // thousands, a fact each, handed over as they are made.
        out.hand_over_when_holding(HAND_OVER_AT);
        let SpnListing {
            line,
            account_dn,
            spns,
            queried,
        } = listing;
        let account = account_name(&account_dn);
        if !queried || spns.iter().any(|s| is_smtp_spn(s)) {
            out.evidence.push(untimed(
                place,
                Some(line),
                Fact::SpnListing {
                    account,
                    spns,
                    queried,
                },
            ));
            return;
        }
        let computer = spns.iter().any(|s| is_host_spn(s));
        self.by_name
            .spn_hashes
            .extend(spns.iter().map(|s| spn_hash(s)));
        self.by_name.accounts.push(ListedAccount {
            account,
            line,
            spns: u32::try_from(spns.len()).unwrap_or(u32::MAX),
            computer,
        });
        if self.by_name.accounts.len() >= ACCOUNTS_A_FACT {
            self.finish(place, out);
        }
    }

    /// The accounts kept by name so far, one fact.
    fn finish(&mut self, place: Place<'_>, out: &mut Extracted) {
        if self.by_name.accounts.is_empty() {
            return;
        }
        let mut listed = std::mem::take(&mut self.by_name);
        listed.spn_hashes.sort_unstable();
        listed.spn_hashes.dedup();
        let accounts = listed.accounts.len() as u64;
        let mut e = untimed(place, None, Fact::SpnAccounts(Box::new(listed)));
        e.represents = accounts;
        out.evidence.push(e);
    }
}

impl Records for SetspnRecords {
    fn problems(&self) -> &Problems {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        let o = &self.0;
        o.listings.is_empty()
            && o.listings_read == 0
            && o.duplicates.is_none()
            && o.query_outcome.is_none()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let push = |line: Option<u64>, fact: Fact, out: &mut Extracted| {
            out.evidence.push(untimed(place, line, fact))
        };
        let mut listings = Listings::default();
        for listing in &self.0.listings {
            listings.push(listing.clone(), place, out);
        }
        listings.finish(place, out);
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

    /// A `setspn -Q */*` of more accounts than a fact keeps by name, with
    /// two accounts carrying SMTP SPNs among them, then a `setspn -L` of a
    /// server without any: the `-L` listing and the SMTP ones stay whole (in
    /// order), every other account is kept by name — with its line, how
    /// many SPNs, whether a computer account, its SPNs findable — each
    /// account exactly once, and the facts stand for as many.
    #[test]
    fn a_domain_wide_listing_keeps_smtp_accounts_whole_and_the_rest_by_name() {
        let workstations = ACCOUNTS_A_FACT + 7;
        let mut text = String::from("Checking domain DC=contoso,DC=com\n");
        for i in 0..workstations {
            if i == 100 {
                text.push_str(
                    "CN=EX01,OU=Servers,DC=contoso,DC=com\n\tSMTPSVC/EX01\n\tHOST/EX01\n",
                );
            }
            text.push_str(&format!(
                "CN=WS{i:05},OU=Workstations,DC=contoso,DC=com\n\tHOST/WS{i:05}.contoso.com\n\tHOST/WS{i:05}\n"
            ));
        }
        text.push_str(
            "CN=svc-sql,OU=Service Accounts,DC=contoso,DC=com\n\tMSSQLSvc/sql01.contoso.com:1433\n",
        );
        text.push_str("CN=EX02,OU=Servers,DC=contoso,DC=com\n\tSMTP/EX02\n");
        text.push_str("\nExisting SPN found!\n");
        text.push_str("C:\\>setspn -L EX03\nRegistered ServicePrincipalNames for CN=EX03,OU=Servers,DC=contoso,DC=com:\n\tHOST/EX03\n");
        let records = SetspnRecords(setspn::parse(&text));
        let place = Place {
            origin: "DC01/DC01_setspn-Q.txt",
            server: Some("DC01"),
        };
        let (parts, rest, _) = crate::ingest::extract_in_parts(&records, place);
        let all: Vec<_> = parts.into_iter().flatten().chain(rest).collect();
        let whole: Vec<(&str, bool)> = all
            .iter()
            .filter_map(|e| match &e.fact {
                Fact::SpnListing {
                    account, queried, ..
                } => Some((account.as_str(), *queried)),
                _ => None,
            })
            .collect();
        // The two the query found say so; EX03 was asked for with -L.
        assert_eq!(whole, [("EX01", true), ("EX02", true), ("EX03", false)]);
        let by_name: Vec<&ListedAccounts> = all
            .iter()
            .filter_map(|e| match &e.fact {
                Fact::SpnAccounts(listed) => {
                    assert_eq!(e.represents, listed.accounts.len() as u64);
                    assert!(listed.accounts.len() <= ACCOUNTS_A_FACT);
                    assert_eq!(e.origin, place.origin);
                    Some(&**listed)
                }
                _ => None,
            })
            .collect();
        assert_eq!(by_name.len(), 2);
        let accounts: Vec<&ListedAccount> = by_name.iter().flat_map(|l| &l.accounts).collect();
        assert_eq!(accounts.len(), workstations + 1);
        for (i, a) in accounts.iter().take(workstations).enumerate() {
            assert_eq!(a.account, format!("WS{i:05}"));
            assert_eq!((a.spns, a.computer), (2, true));
            // Line 1 the domain, three lines an account, EX01's after WS00099.
            let before = 2 + 3 * i as u64 + if i >= 100 { 3 } else { 0 };
            assert_eq!(a.line, before);
        }
        let sql = accounts[workstations];
        assert_eq!(
            (sql.account.as_str(), sql.spns, sql.computer),
            ("svc-sql", 1, false)
        );
        let lists = |spn: &str| by_name.iter().any(|l| l.lists_spn(spn));
        assert!(lists("host/ws00042.CONTOSO.com"));
        assert!(lists("MSSQLSvc/sql01.contoso.com:1433"));
        assert!(!lists("HOST/WS99999"));
        assert!(!lists("SMTPSVC/EX01"), "kept whole, not by name");
        // The project's FNV-1a of the SPN lower-cased.
        assert_eq!(
            spn_hash("HOST/WS00042.Contoso.COM"),
            crate::model::fnv1a(b"host/ws00042.contoso.com")
        );
    }
}
