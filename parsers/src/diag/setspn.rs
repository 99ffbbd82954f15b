//! `setspn -L <host>`, `setspn -Q <spn>`, `setspn -X` / `setspn -F -X`.
//!
//! Exchange server-to-server Kerberos needs `SMTPSVC/<host>` registered on
//! exactly one account. All three forms share a shape, parsed here by
//! structure: a non-indented header (an account DN ending in `:` for -L, a
//! bare DN for -Q, `<SPN> is registered on these accounts:` for -X) followed
//! by indented items (SPNs, or account DNs for -X); `Checking domain
//! DC=…` lines name the scope; the -X summary `found N group(s) of
//! duplicate SPNs.` gives the count (setspn can exit 1 on success, so the
//! summary line is what counts).

use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem};
use serde::Serialize;

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[Kind::SETSPN],
    describes: "setspn -L/-X/-Q: `Registered ServicePrincipalNames for` / `Checking domain`",
    detect: |head| Format::command_output(Kind::SETSPN, head, looks_like),
    name_prefix: Some("setspn"),
};

/// The SPNs registered on one account (`-L`, or an account found by `-Q`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpnListing {
    pub line: u64,
    /// e.g. `CN=EX02,OU=Servers,DC=contoso,DC=com`.
    pub account_dn: String,
    pub spns: Vec<String>,
}

/// One SPN registered on several accounts (`-X`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateSpnGroup {
    pub line: u64,
    pub spn: String,
    pub accounts: Vec<String>,
}

/// The result of `setspn -X`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpnDuplicates {
    pub groups: Vec<DuplicateSpnGroup>,
    /// `found N group(s) of duplicate SPNs.`
    pub reported_group_count: Option<u32>,
    /// `-F`: the whole forest was searched.
    pub forest_wide: bool,
}

/// `setspn -Q` verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpnQueryOutcome {
    Found,
    NotFound,
}

/// Everything in one setspn output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetspnOutput {
    /// DNs from `Checking domain …` / `Checking forest …`.
    pub scopes_checked: Vec<String>,
    pub listings: Vec<SpnListing>,
    /// Present when the output is from `-X` (groups or summary line seen).
    pub duplicates: Option<SpnDuplicates>,
    pub query_outcome: Option<SpnQueryOutcome>,
    /// Error lines setspn printed (`Could not find account …`, `… failed …`).
    pub errors: Vec<String>,
    pub problems: Vec<Problem>,
}

/// Cheap content check.
pub fn looks_like(text_head: &str) -> bool {
    text_head.lines().take(30).any(|l| {
        let l = l.trim_start_matches('\u{feff}');
        l.starts_with("Registered ServicePrincipalNames for ")
            || (l.starts_with("Checking domain DC=") || l.starts_with("Checking forest DC="))
            || l.contains("is registered on these accounts:")
            || (l.starts_with("found ") && l.contains("duplicate SPN"))
    })
}

fn looks_like_spn(token: &str) -> bool {
    token
        .split_once('/')
        .is_some_and(|(class, host)| !class.is_empty() && !host.is_empty() && !class.contains('='))
}

enum Block {
    None,
    Listing(usize),
    Group(usize),
}

/// Parses any setspn output.
pub fn parse(text: &str) -> SetspnOutput {
    let mut out = SetspnOutput {
        scopes_checked: Vec::new(),
        listings: Vec::new(),
        duplicates: None,
        query_outcome: None,
        errors: Vec::new(),
        problems: Vec::new(),
    };
    let mut groups: Vec<DuplicateSpnGroup> = Vec::new();
    let mut count = None;
    let mut forest_wide = false;
    let mut dup_mode = false;
    let mut block = Block::None;
    for (i, raw) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let line = raw.trim_end().trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let item = line.trim().to_string();
            match block {
                Block::Listing(k) => {
                    if let Some(l) = out.listings.get_mut(k) {
                        l.spns.push(item);
                    }
                }
                Block::Group(k) => {
                    if let Some(g) = groups.get_mut(k) {
                        g.accounts.push(item);
                    }
                }
                Block::None => out.problems.push(Problem::new(
                    Location::Line(n),
                    "indented line outside any account or SPN group",
                )),
            }
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let first = line.split_whitespace().next().unwrap_or("");
        if lower.contains("forestwide") || lower.starts_with("checking forest") {
            forest_wide = true;
        }
        if let Some(header) = line.strip_suffix(':') {
            if looks_like_spn(first) && !first.starts_with("CN=") {
                dup_mode = true;
                groups.push(DuplicateSpnGroup {
                    line: n,
                    spn: first.to_string(),
                    accounts: Vec::new(),
                });
                block = Block::Group(groups.len() - 1);
                continue;
            }
            if let Some(at) = header.find("CN=") {
                out.listings.push(SpnListing {
                    line: n,
                    account_dn: header.get(at..).unwrap_or("").trim().to_string(),
                    spns: Vec::new(),
                });
                block = Block::Listing(out.listings.len() - 1);
                continue;
            }
        }
        block = Block::None;
        if line.starts_with("CN=") {
            out.listings.push(SpnListing {
                line: n,
                account_dn: line.trim().to_string(),
                spns: Vec::new(),
            });
            block = Block::Listing(out.listings.len() - 1);
        } else if let Some(at) = line.find("DC=").filter(|_| !line.contains("CN=")) {
            let scope = line.get(at..).unwrap_or("").trim().to_string();
            if !out.scopes_checked.contains(&scope) {
                out.scopes_checked.push(scope);
            }
        } else if line.contains("SPN") && !line.ends_with(':') {
            let number = line.split_whitespace().find_map(|t| t.parse::<u32>().ok());
            match number {
                Some(c) => {
                    dup_mode = true;
                    count = Some(c);
                }
                None if lower.contains("no such spn") => {
                    out.query_outcome = Some(SpnQueryOutcome::NotFound)
                }
                None if lower.contains("existing spn") || line.ends_with('!') => {
                    out.query_outcome = Some(SpnQueryOutcome::Found)
                }
                None => out.query_outcome = Some(SpnQueryOutcome::NotFound),
            }
        } else if lower.contains("failed") || lower.contains("could not") || lower.contains("error")
        {
            out.errors.push(line.trim().to_string());
        }
    }
    if dup_mode {
        if let Some(c) = count {
            if c as usize != groups.len() {
                out.problems.push(Problem::new(
                    Location::File,
                    format!(
                        "summary says {c} duplicate group(s), {} listed",
                        groups.len()
                    ),
                ));
            }
        }
        out.duplicates = Some(SpnDuplicates {
            groups,
            reported_group_count: count,
            forest_wide,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing() {
        let o = parse("Registered ServicePrincipalNames for CN=EX01,OU=Servers,DC=contoso,DC=com:\r\n        SMTPSVC/EX01.contoso.com\r\n        SMTPSVC/EX01\r\n        SMTP/EX01.contoso.com\r\n        SMTP/EX01\r\n");
        assert_eq!(o.listings.len(), 1);
        assert_eq!(
            o.listings[0].account_dn,
            "CN=EX01,OU=Servers,DC=contoso,DC=com"
        );
        assert_eq!(o.listings[0].spns.len(), 4);
        assert_eq!(o.listings[0].spns[0], "SMTPSVC/EX01.contoso.com");
        assert!(o.duplicates.is_none());
    }
}
