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
//!
//! `setspn -Q */*` (or any wildcard query) lists *many* accounts, each a bare
//! DN line followed by its indented SPNs, then `Existing SPN found!`; it may
//! be pasted without its `Checking domain` line, with the indentation lost, or
//! on a localized Windows, so [`looks_like`] also accepts the structure (an
//! unindented `CN=…,DC=…` line followed by an SPN line) and the parser takes
//! an unindented `class/host` line right after an account as one of its SPNs.

use crate::detect::{Format, Kind};
use crate::problem::{thousands, Location, Problem, Problems};
use crate::reread::{each_line, Reread};
use serde::Serialize;
use std::ops::ControlFlow;

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
    /// Found by `setspn -Q` (a bare DN line); `false` for `setspn -L`'s
    /// `Registered ServicePrincipalNames for …:`, an account asked for by name.
    pub queried: bool,
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
    /// The first 4,096 groups (`ITEMS_CAP`), and every one of an SPN a diagnosis
    /// reads.
    pub groups: Vec<DuplicateSpnGroup>,
    /// Groups past those, counted (50 MB of `-X` groups held 151 MB).
    pub groups_not_kept: u64,
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
    /// Accounts listed: in `listings` from [`parse`], handed over one by one
    /// by [`read`].
    pub listings_read: usize,
    /// Present when the output is from `-X` (groups or summary line seen).
    pub duplicates: Option<SpnDuplicates>,
    pub query_outcome: Option<SpnQueryOutcome>,
    /// The SPN pattern of a `setspn -Q <spn>` command line, when the paste holds it.
    pub query: Option<String>,
    /// Error lines setspn printed (`Could not find account …`, `… failed …`).
    pub errors: Vec<String>,
    pub problems: Problems,
}

impl SetspnOutput {
    /// The accounts (from `-L`/`-Q` listings and `-X` groups) holding `spn`,
    /// compared case-insensitively; an account appears once.
    pub fn accounts_with_spn(&self, spn: &str) -> Vec<&str> {
        let mut found: Vec<&str> = Vec::new();
        for l in &self.listings {
            if l.spns.iter().any(|s| s.eq_ignore_ascii_case(spn))
                && !found.contains(&l.account_dn.as_str())
            {
                found.push(&l.account_dn);
            }
        }
        for g in self.duplicates.iter().flat_map(|d| &d.groups) {
            if g.spn.eq_ignore_ascii_case(spn) {
                for a in &g.accounts {
                    if !found.contains(&a.as_str()) {
                        found.push(a);
                    }
                }
            }
        }
        found
    }
}

/// Cheap content check.
pub fn looks_like(text_head: &str) -> bool {
    let mut prev_account = false;
    for l in text_head.lines().take(30) {
        let l = l.trim_start_matches('\u{feff}').trim_end();
        if l.starts_with("Registered ServicePrincipalNames for ")
            || (l.starts_with("Checking domain DC=") || l.starts_with("Checking forest DC="))
            || l.contains("is registered on these accounts:")
            || (l.starts_with("found ") && l.contains("duplicate SPN"))
            || l == "Existing SPN found!"
            || l == "No such SPN found."
        {
            return true;
        }
        // `setspn -Q` structure: an account DN, then one of its SPNs.
        let t = l.trim();
        if prev_account && looks_like_spn(t) && !t.contains(char::is_whitespace) {
            return true;
        }
        prev_account = is_account_dn(l);
    }
    false
}

/// An unindented account DN: `CN=EX01,OU=Servers,DC=contoso,DC=com`.
fn is_account_dn(l: &str) -> bool {
    l.starts_with("CN=") && l.contains(",DC=") && !l.ends_with(':')
}

fn looks_like_spn(token: &str) -> bool {
    token
        .split_once('/')
        .is_some_and(|(class, host)| !class.is_empty() && !host.is_empty() && !class.contains('='))
}

/// Parses any setspn output, every listing kept.
pub fn parse(text: &str) -> SetspnOutput {
    let mut listings = Vec::new();
    let mut out = read(&mut text.as_bytes(), &mut |l| listings.push(l));
    out.listings = listings;
    out
}

/// Reads any setspn output a line at a time as [`parse`] does, but hands each
/// account's listing to `each` once its last SPN is read instead of keeping
/// it: `setspn -Q */*` lists every account of a domain (hundreds of
/// thousands). The output that comes back holds the rest (scopes, `-X`
/// groups, the query and its outcome, errors) and counts the listings
/// ([`SetspnOutput::listings_read`]).
pub fn read(text: &mut dyn Reread, each: &mut dyn FnMut(SpnListing)) -> SetspnOutput {
    let mut lines = Lines::default();
    let read = text.read_from_start().and_then(|mut t| {
        each_line(&mut *t, &mut |n, line| {
            lines.line(n, line, each);
            ControlFlow::Continue(())
        })
    });
    let mut out = lines.finish(each);
    if let Err(e) = read {
        out.problems.push(Problem::new(
            Location::File,
            format!("cannot read the text: {e}"),
        ));
    }
    out
}

/// Where the indented lines being read belong.
enum Block {
    None,
    /// The listing being read (handed over when it ends).
    Listing,
    Group(usize),
    /// A duplicate group past [`ITEMS_CAP`], counted: its accounts dropped.
    GroupNotKept,
}

/// Most SPNs an account keeps, and accounts a duplicate group: an Exchange
/// server's account has 30 to 60 SPNs; indented junk after a listing was
/// an SPN a line (174 MB for 50 MB). Past it, only the SPNs the diagnosis
/// reads (`SMTP/`, `SMTPSVC/`, `HOST/`) are kept, the rest counted.
const ITEMS_CAP: usize = 4096;

/// Whether a diagnosis reads this SPN (kept past [`ITEMS_CAP`]).
fn read_by_diagnosis(spn: &str) -> bool {
    spn.split_once('/').is_some_and(|(class, _)| {
        ["smtp", "smtpsvc", "host"]
            .iter()
            .any(|c| class.eq_ignore_ascii_case(c))
    })
}

/// A setspn text read a line at a time.
struct Lines {
    out: SetspnOutput,
    listing: Option<SpnListing>,
    groups: Vec<DuplicateSpnGroup>,
    count: Option<u32>,
    forest_wide: bool,
    dup_mode: bool,
    block: Block,
    /// Lines of the block being read not kept past [`ITEMS_CAP`]: the
    /// first one's number and how many.
    cut: Option<(u64, u64)>,
    /// Duplicate groups past [`ITEMS_CAP`], counted.
    groups_not_kept: u64,
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            out: SetspnOutput {
                scopes_checked: Vec::new(),
                listings: Vec::new(),
                listings_read: 0,
                duplicates: None,
                query_outcome: None,
                query: None,
                errors: Vec::new(),
                problems: Problems::new(),
            },
            listing: None,
            groups: Vec::new(),
            count: None,
            forest_wide: false,
            dup_mode: false,
            block: Block::None,
            cut: None,
            groups_not_kept: 0,
        }
    }
}

impl Lines {
    /// Line `n` of the block being read not kept (see [`ITEMS_CAP`]).
    fn cut_line(&mut self, n: u64) {
        self.cut.get_or_insert((n, 0)).1 += 1;
    }

    /// The problem of the block that ended, if lines of it were not kept.
    fn report_cut(&mut self) {
        if let Some((first, lines)) = self.cut.take() {
            self.out.problems.push(Problem::new(
                Location::Line(first),
                format!(
                    "more than {} SPNs or accounts in one block: {} from here not kept (SMTP/, SMTPSVC/ and HOST/ SPNs still read)",
                    thousands(ITEMS_CAP as u64),
                    crate::problem::lines(lines),
                ),
            ));
        }
    }

    /// An SPN of the listing being read, kept or counted.
    fn spn(&mut self, n: u64, spn: String) {
        let Some(l) = self.listing.as_mut() else {
            return;
        };
        if l.spns.len() < ITEMS_CAP || read_by_diagnosis(&spn) {
            l.spns.push(spn);
        } else {
            self.cut_line(n);
        }
    }

    /// The listing read so far is complete: handed over.
    fn close(&mut self, each: &mut dyn FnMut(SpnListing)) {
        self.report_cut();
        if let Some(listing) = self.listing.take() {
            self.out.listings_read += 1;
            each(listing);
        }
    }

    fn open(&mut self, listing: SpnListing, each: &mut dyn FnMut(SpnListing)) {
        self.close(each);
        self.listing = Some(listing);
        self.block = Block::Listing;
    }

    fn line(&mut self, n: u64, raw: &str, each: &mut dyn FnMut(SpnListing)) {
        let line = raw.trim_end().trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            return;
        }
        if line.starts_with(char::is_whitespace) {
            let item = line.trim().to_string();
            match self.block {
                Block::Listing => self.spn(n, item),
                Block::Group(k) => match self.groups.get_mut(k) {
                    Some(g) if g.accounts.len() < ITEMS_CAP => g.accounts.push(item),
                    Some(_) => self.cut_line(n),
                    None => {}
                },
                Block::GroupNotKept => {}
                Block::None => self.out.problems.push(Problem::new(
                    Location::Line(n),
                    "indented line outside any account or SPN group",
                )),
            }
            return;
        }
        let lower = line.to_ascii_lowercase();
        let first = line.split_whitespace().next().unwrap_or("");
        // `setspn -Q */*` with its indentation lost: an SPN right under an account.
        if let Block::Listing = self.block {
            if looks_like_spn(first) && first == line.trim() && !first.contains('=') {
                self.spn(n, first.to_string());
                return;
            }
        }
        // Whatever comes now ends the listing being read.
        self.close(each);
        // A command line: `C:\>setspn -Q SMTPSVC/EX02*`.
        if let Some(at) = lower
            .find("setspn ")
            .filter(|&at| at == 0 || lower.get(..at).is_some_and(|p| p.trim_end().ends_with('>')))
        {
            let args: Vec<&str> = line.get(at..).unwrap_or("").split_whitespace().collect();
            if let Some(i) = args
                .iter()
                .position(|a| a.eq_ignore_ascii_case("-q") || a.eq_ignore_ascii_case("/q"))
            {
                self.out.query = args.get(i + 1).map(|a| a.to_string());
            }
            self.block = Block::None;
            return;
        }
        if lower.contains("forestwide") || lower.starts_with("checking forest") {
            self.forest_wide = true;
        }
        if let Some(header) = line.strip_suffix(':') {
            if looks_like_spn(first) && !first.starts_with("CN=") {
                self.dup_mode = true;
                self.report_cut();
                if self.groups.len() >= ITEMS_CAP && !read_by_diagnosis(first) {
                    self.groups_not_kept += 1;
                    self.block = Block::GroupNotKept;
                    return;
                }
                self.groups.push(DuplicateSpnGroup {
                    line: n,
                    spn: first.to_string(),
                    accounts: Vec::new(),
                });
                self.block = Block::Group(self.groups.len() - 1);
                return;
            }
            if let Some(at) = header.find("CN=") {
                let listing = SpnListing {
                    line: n,
                    account_dn: header.get(at..).unwrap_or("").trim().to_string(),
                    spns: Vec::new(),
                    queried: false,
                };
                self.open(listing, each);
                return;
            }
        }
        self.block = Block::None;
        let out = &mut self.out;
        if line.starts_with("CN=") {
            let listing = SpnListing {
                line: n,
                account_dn: line.trim().to_string(),
                spns: Vec::new(),
                queried: true,
            };
            self.open(listing, each);
        } else if let Some(at) = line.find("DC=").filter(|_| !line.contains("CN=")) {
            let scope = line.get(at..).unwrap_or("").trim().to_string();
            if !out.scopes_checked.contains(&scope) {
                out.scopes_checked.push(scope);
            }
        } else if line.contains("SPN") && !line.ends_with(':') {
            let number = line.split_whitespace().find_map(|t| t.parse::<u32>().ok());
            match number {
                Some(c) => {
                    self.dup_mode = true;
                    self.count = Some(c);
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

    /// The output once every line was read (the last listing handed over).
    fn finish(mut self, each: &mut dyn FnMut(SpnListing)) -> SetspnOutput {
        self.close(each);
        self.report_cut();
        let Lines {
            mut out,
            groups,
            count,
            forest_wide,
            dup_mode,
            groups_not_kept,
            ..
        } = self;
        if dup_mode {
            let listed = groups.len() as u64 + groups_not_kept;
            if let Some(c) = count {
                if u64::from(c) != listed {
                    out.problems.push(Problem::new(
                        Location::File,
                        format!("summary says {c} duplicate group(s), {listed} listed"),
                    ));
                }
            }
            if groups_not_kept > 0 {
                out.problems.push(Problem::new(
                    Location::File,
                    format!(
                        "{} duplicate groups past the first {} counted, not kept (every SMTP/, SMTPSVC/ and HOST/ one is)",
                        thousands(groups_not_kept),
                        thousands(ITEMS_CAP as u64)
                    ),
                ));
            }
            out.duplicates = Some(SpnDuplicates {
                groups,
                groups_not_kept,
                reported_group_count: count,
                forest_wide,
            });
        }
        out
    }
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

    /// `setspn -Q */*`: FORMATS.md §4 shape (`Checking domain DC=…`, DN + SPNs per
    /// account, `Existing SPN found!`), several accounts.
    const Q_ALL: &str = "Checking domain DC=contoso,DC=com\r\nCN=DC01,OU=Domain Controllers,DC=contoso,DC=com\r\n\tDfsr-12F9A27C-BF97-4787-9364-D31B6C55EB04/DC01.contoso.com\r\n\tldap/DC01.contoso.com/ForestDnsZones.contoso.com\r\n\tHOST/DC01.contoso.com\r\nCN=krbtgt,CN=Users,DC=contoso,DC=com\r\n\tkadmin/changepw\r\nCN=EX01,OU=Servers,DC=contoso,DC=com\r\n\tSMTPSVC/EX01.contoso.com\r\n\tSMTPSVC/EX01\r\n\tSMTP/EX01.contoso.com\r\nCN=EX02,OU=Servers,DC=contoso,DC=com\r\n\tSMTPSVC/EX02\r\n\tHOST/EX02.contoso.com\r\nCN=svc-old,OU=Service Accounts,DC=contoso,DC=com\r\n\tSMTPSVC/EX02.contoso.com\r\n\r\nExisting SPN found!\r\n";

    /// `read` hands over, one by one and in order, the listings `parse`
    /// keeps — `-Q`'s as found by the query, a `-L`'s as asked for — and
    /// keeps none; the rest of the output is the same.
    /// Indented junk after a listing would be an SPN a line: the account
    /// keeps 4,096 and those a diagnosis reads, the rest is one problem;
    /// the next account is read.
    #[test]
    fn an_account_past_its_spns_keeps_the_smtp_ones_and_counts_the_rest() {
        let junk: String = (0..5_000)
            .map(|i| format!("        junk/{i:08}\r\n"))
            .collect();
        let text = format!("Registered ServicePrincipalNames for CN=EX01,OU=Servers,DC=contoso,DC=com:\r\n{junk}        SMTPSVC/EX01.contoso.com\r\nRegistered ServicePrincipalNames for CN=EX02,OU=Servers,DC=contoso,DC=com:\r\n        SMTP/EX02\r\n");
        let o = parse(&text);
        assert_eq!(o.listings.len(), 2);
        assert_eq!(o.listings[0].spns.len(), ITEMS_CAP + 1);
        assert_eq!(
            o.listings[0].spns.last().map(String::as_str),
            Some("SMTPSVC/EX01.contoso.com")
        );
        assert_eq!(o.listings[1].spns, ["SMTP/EX02"]);
        let [p] = o.problems.as_slice() else {
            panic!("{:?}", o.problems)
        };
        assert_eq!(p.location, Location::Line(ITEMS_CAP as u64 + 2));
        assert!(
            p.message.starts_with(
                "more than 4,096 SPNs or accounts in one block: 904 lines from here not kept"
            ),
            "{}",
            p.message
        );
    }

    /// `setspn -X` of more duplicate groups than are kept: the first 4,096
    /// and every SMTP one stay, the rest is counted (the summary line
    /// agrees with kept + counted).
    #[test]
    fn duplicate_groups_past_the_cap_are_counted_the_smtp_ones_kept() {
        let group = |spn: &str| {
            format!("{spn} is registered on these accounts:\r\n\tCN=A,DC=contoso,DC=com\r\n\tCN=B,DC=contoso,DC=com\r\n\r\n")
        };
        let mut text: String = (0..5_000).map(|i| group(&format!("HTTP/web{i}"))).collect();
        text.push_str(&group("SMTPSVC/EX02.contoso.com"));
        text.push_str("found 5001 group of duplicate SPNs.\r\n");
        let o = parse(&text);
        let d = o.duplicates.expect("groups");
        assert_eq!(d.groups.len(), ITEMS_CAP + 1);
        assert_eq!(d.groups_not_kept, 5_000 - ITEMS_CAP as u64);
        let smtp = d.groups.last().expect("kept");
        assert_eq!(smtp.spn, "SMTPSVC/EX02.contoso.com");
        assert_eq!(smtp.accounts.len(), 2);
        let [p] = o.problems.as_slice() else {
            panic!("{:?}", o.problems)
        };
        assert_eq!(
            p.message,
            "904 duplicate groups past the first 4,096 counted, not kept (every SMTP/, SMTPSVC/ and HOST/ one is)"
        );
    }

    #[test]
    fn read_hands_over_what_parse_keeps() {
        let text = format!("{Q_ALL}C:\\>setspn -L EX03\r\nRegistered ServicePrincipalNames for CN=EX03,OU=Servers,DC=contoso,DC=com:\r\n\tHOST/EX03\r\n");
        let whole = parse(&text);
        let mut handed = Vec::new();
        let streamed = read(&mut text.as_bytes(), &mut |l| handed.push(l));
        assert_eq!(handed, whole.listings);
        assert_eq!(handed.len(), 6);
        assert!(handed[..5].iter().all(|l| l.queried));
        assert!(!handed[5].queried);
        assert_eq!(streamed.listings_read, 6);
        assert!(streamed.listings.is_empty());
        assert_eq!(
            SetspnOutput {
                listings: whole.listings.clone(),
                ..streamed
            },
            whole
        );
    }

    fn check_q_all(o: &SetspnOutput) {
        let accounts: Vec<&str> = o.listings.iter().map(|l| l.account_dn.as_str()).collect();
        assert_eq!(
            accounts,
            [
                "CN=DC01,OU=Domain Controllers,DC=contoso,DC=com",
                "CN=krbtgt,CN=Users,DC=contoso,DC=com",
                "CN=EX01,OU=Servers,DC=contoso,DC=com",
                "CN=EX02,OU=Servers,DC=contoso,DC=com",
                "CN=svc-old,OU=Service Accounts,DC=contoso,DC=com",
            ]
        );
        assert_eq!(
            o.listings[2].spns,
            [
                "SMTPSVC/EX01.contoso.com",
                "SMTPSVC/EX01",
                "SMTP/EX01.contoso.com"
            ]
        );
        assert_eq!(o.listings[4].spns, ["SMTPSVC/EX02.contoso.com"]);
        assert_eq!(
            o.accounts_with_spn("smtpsvc/ex02.contoso.com"),
            ["CN=svc-old,OU=Service Accounts,DC=contoso,DC=com"]
        );
        assert_eq!(o.query_outcome, Some(SpnQueryOutcome::Found));
        assert!(o.duplicates.is_none());
        assert!(o.problems.is_empty(), "{:?}", o.problems);
    }

    #[test]
    fn query_many_accounts() {
        assert!(looks_like(Q_ALL));
        let o = parse(Q_ALL);
        assert_eq!(o.scopes_checked, ["DC=contoso,DC=com"]);
        check_q_all(&o);
    }

    #[test]
    fn query_without_checking_line_or_indentation() {
        // Pasted from the first account on: the detector must see the structure.
        let cut = Q_ALL.replace("Checking domain DC=contoso,DC=com\r\n", "");
        assert!(looks_like(&cut));
        check_q_all(&parse(&cut));
        // Indentation lost (Markdown, a ticket system): the same listings.
        let flat = cut.replace('\t', "");
        assert!(looks_like(&flat));
        check_q_all(&parse(&flat));
        // With a command prompt in front.
        let with_prompt = format!("C:\\Users\\admin>setspn -Q */*\r\n{Q_ALL}");
        let o = parse(&with_prompt);
        assert_eq!(o.query.as_deref(), Some("*/*"));
        check_q_all(&o);
    }

    #[test]
    fn query_not_found() {
        let t = "C:\\>setspn -Q SMTPSVC/EX03.contoso.com\nChecking domain DC=contoso,DC=com\n\nNo such SPN found.\n";
        assert!(looks_like(t));
        let o = parse(t);
        assert_eq!(o.query.as_deref(), Some("SMTPSVC/EX03.contoso.com"));
        assert_eq!(o.query_outcome, Some(SpnQueryOutcome::NotFound));
        assert!(o.listings.is_empty());
    }

    #[test]
    fn not_setspn() {
        assert!(!looks_like(
            "CN=EX01,OU=Servers,DC=contoso,DC=com\nsome text here\n"
        ));
        assert!(!looks_like("Leap Indicator: 0\n"));
    }

    #[test]
    fn account_named_setspn_is_not_a_command() {
        let o = parse("Registered ServicePrincipalNames for CN=setspn svc,CN=Users,DC=corp,DC=com:\n\tHTTP/web01\n");
        assert_eq!(o.listings.len(), 1);
        assert_eq!(o.listings[0].spns, ["HTTP/web01"]);
        assert_eq!(o.query, None);
    }
}
