//! `nltest /dsgetdc:<domain>` (and the `Status = …` lines of other nltest
//! commands such as `/sc_verify:` and `/dclist:`).
//!
//! Tells which DC (and so which KDC) a server locates, with its flags (KDC,
//! TIMESERV, …), or why locating failed: `Getting DC name failed: Status =
//! 1355 0x54b ERROR_NO_SUCH_DOMAIN`. The `Status = <dec> 0x<hex> <NAME>`
//! grammar is the same in localized output (`I_NetGetDCList 失败：Status =
//! 6118 0x17e6 ERROR_NO_BROWSER_SERVERS_FOUND`), so it is parsed wherever it
//! appears; field labels are right-aligned `Label: value`.

use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem, Problems};
use crate::reread::{each_line, Reread};
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{space0, space1};
use nom::combinator::{map_res, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use serde::Serialize;
use std::ops::ControlFlow;

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[Kind::NLTEST],
    describes: "nltest /dsgetdc: `DC: \\\\…` / `Getting DC name failed`",
    detect: |head| Format::command_output(Kind::NLTEST, head, looks_like),
    name_prefix: Some("nltest"),
};

/// `Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetStatus {
    pub line: u64,
    /// Text before `Status =` (`Getting DC name failed:`).
    pub context: String,
    pub code: i64,
    pub hex: Option<String>,
    pub name: Option<String>,
}

/// `nltest /dsgetdc:` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DcLocator {
    /// `DC01.contoso.com` (leading `\\` removed).
    pub dc: Option<String>,
    pub address: Option<String>,
    pub dom_guid: Option<String>,
    pub dom_name: Option<String>,
    pub forest_name: Option<String>,
    pub dc_site_name: Option<String>,
    pub our_site_name: Option<String>,
    pub flags: Vec<String>,
    /// Every `Status = …` line.
    pub statuses: Vec<NetStatus>,
    /// `The command completed successfully` seen, or a non-zero status.
    pub succeeded: Option<bool>,
    pub problems: Problems,
}

/// Cheap content check.
pub fn looks_like(text_head: &str) -> bool {
    text_head.lines().take(40).any(|l| {
        let t = l.trim();
        (t.starts_with("DC: \\\\") || t.starts_with("Dom Name:") || t.starts_with("Our Site Name:"))
            || (t.contains("Status = ") && t.contains(" 0x"))
    })
}

fn status(i: &str) -> IResult<&str, (i64, Option<&str>, Option<&str>)> {
    let (i, _) = (tag("Status"), space0, tag("="), space0).parse(i)?;
    let (i, code) = map_res(
        take_while1(|c: char| c == '-' || c.is_ascii_digit()),
        str::parse::<i64>,
    )
    .parse(i)?;
    let (i, hex) = opt(preceded(
        space1,
        preceded(tag("0x"), take_while1(|c: char| c.is_ascii_hexdigit())),
    ))
    .parse(i)?;
    let (i, name) = opt(preceded(
        space1,
        take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)?;
    Ok((i, (code, hex, name)))
}

/// A record of an nltest output, handed over as it is read ([`read`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NltestRecord {
    /// `DC: \\DC01.contoso.com`: the DC located (leading `\\` removed).
    Dc { line: u64, name: String },
    /// A `Status = …` line.
    Status(NetStatus),
}

/// Parses nltest output.
pub fn parse(text: &str) -> DcLocator {
    let mut statuses = Vec::new();
    let mut out = read(&mut text.as_bytes(), &mut |r| {
        if let NltestRecord::Status(s) = r {
            statuses.push(s);
        }
    });
    out.statuses = statuses;
    out
}

/// Reads nltest output a line at a time as [`parse`] does, handing each DC
/// named and each status to `each` as it is read instead of keeping them:
/// `nltest /dsgetdc:` run every minute for days into one file (to catch a
/// DC locator that fails now and then) says them by the hundred thousand.
/// The locator that comes back holds the rest (the DC named last, as
/// `parse` has it; its `statuses` empty).
pub fn read(text: &mut dyn Reread, each: &mut dyn FnMut(NltestRecord)) -> DcLocator {
    let mut out = DcLocator {
        dc: None,
        address: None,
        dom_guid: None,
        dom_name: None,
        forest_name: None,
        dc_site_name: None,
        our_site_name: None,
        flags: Vec::new(),
        statuses: Vec::new(),
        succeeded: None,
        problems: Problems::new(),
    };
    let mut statuses = 0u64;
    let read = text.read_from_start().and_then(|mut t| {
        each_line(&mut *t, &mut |n, line| {
            statuses += u64::from(out.line(n, line, each));
            ControlFlow::Continue(())
        })
    });
    if let Err(e) = read {
        out.problems.push(Problem::new(
            Location::File,
            format!("cannot read the text: {e}"),
        ));
    }
    if out.dc.is_none() && statuses == 0 {
        out.problems.push(Problem::new(
            Location::File,
            "neither a DC nor a status found",
        ));
    }
    out
}

impl DcLocator {
    /// Reads line `n`; whether it was a status.
    fn line(&mut self, n: u64, raw: &str, each: &mut dyn FnMut(NltestRecord)) -> bool {
        let t = raw.trim().trim_start_matches('\u{feff}');
        if t.is_empty() {
            return false;
        }
        let found = t
            .match_indices("Status")
            .find_map(|(at, _)| status(t.get(at..).unwrap_or("")).ok().map(|(_, s)| (at, s)));
        if let Some((at, (code, hex, name))) = found {
            each(NltestRecord::Status(NetStatus {
                line: n,
                context: t.get(..at).unwrap_or("").trim().to_string(),
                code,
                hex: hex.map(|h| format!("0x{h}")),
                name: name.map(str::to_string),
            }));
            if code != 0 {
                self.succeeded = Some(false);
            }
            return true;
        }
        if t.to_ascii_lowercase().contains("completed successfully") {
            self.succeeded.get_or_insert(true);
            return false;
        }
        let Some((label, value)) = super::label_value(t) else {
            return false;
        };
        let v = Some(value.trim_start_matches('\\').to_string()).filter(|s| !s.is_empty());
        match label.to_ascii_lowercase().as_str() {
            "dc" => {
                if let Some(name) = &v {
                    each(NltestRecord::Dc {
                        line: n,
                        name: name.clone(),
                    });
                }
                self.dc = v;
            }
            "address" => self.address = v,
            "dom guid" => self.dom_guid = v,
            "dom name" => self.dom_name = v,
            "forest name" => self.forest_name = v,
            "dc site name" => self.dc_site_name = v,
            "our site name" => self.our_site_name = v,
            "flags" => self.flags = value.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `nltest /dsgetdc:contoso.com` on EX01 that found DC01
    /// (FORMATS.md §4's layout).
    const FOUND: &str = "           DC: \\\\DC01.contoso.com\r\n      Address: \\\\10.0.0.10\r\n     Dom Guid: 2f1f3b4c-0d5e-4a6b-9c8d-7e6f5a4b3c2d\r\n     Dom Name: contoso.com\r\n  Forest Name: contoso.com\r\n Dc Site Name: Default-First-Site-Name\r\nOur Site Name: Default-First-Site-Name\r\n        Flags: PDC GC DS LDAP KDC TIMESERV WRITABLE DNS_DC DNS_DOMAIN DNS_FOREST CLOSE_SITE FULL_SECRET WS\r\nThe command completed successfully\r\n";
    const FAILED: &str = "Getting DC name failed: Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN\r\n";

    /// What `read` hands over, and what it returns.
    fn streamed(text: &str) -> (Vec<NltestRecord>, DcLocator) {
        let mut handed = Vec::new();
        let out = read(&mut text.as_bytes(), &mut |r| handed.push(r));
        (handed, out)
    }

    /// `parse` keeps the statuses `read` hands over, and nothing else
    /// differs.
    fn assert_read_is_parse(text: &str) -> DcLocator {
        let whole = parse(text);
        let (handed, out) = streamed(text);
        let statuses: Vec<NetStatus> = handed
            .into_iter()
            .filter_map(|r| match r {
                NltestRecord::Status(s) => Some(s),
                NltestRecord::Dc { .. } => None,
            })
            .collect();
        assert!(out.statuses.is_empty());
        assert_eq!(DcLocator { statuses, ..out }, whole);
        whole
    }

    /// One run however saved (CRLF or LF, a byte order mark, trailing
    /// spaces): the DC, its address and flags.
    #[test]
    fn one_run_reads_the_same_whatever_its_form() {
        let trailing: String = FOUND.lines().map(|l| format!("{l}  \n")).collect();
        for text in [
            FOUND.to_string(),
            FOUND.replace("\r\n", "\n"),
            format!("\u{feff}{FOUND}"),
            trailing,
        ] {
            let o = assert_read_is_parse(&text);
            assert_eq!(o.dc.as_deref(), Some("DC01.contoso.com"));
            assert_eq!(o.address.as_deref(), Some("10.0.0.10"));
            assert_eq!(o.dom_name.as_deref(), Some("contoso.com"));
            assert!(o.flags.iter().any(|f| f == "KDC"));
            assert_eq!(o.succeeded, Some(true));
            assert!(o.problems.is_empty(), "{:?}", o.problems);
        }
    }

    /// Run every minute into one file, failing now and then, NUL bytes
    /// and a cut last run: each DC named and each status handed over at its
    /// line, the DC named last kept, and the failure said.
    #[test]
    fn runs_in_a_loop_hand_over_each_dc_and_status() {
        let dc02 = FOUND.replace("DC01", "DC02");
        let cut = FOUND.get(..60).unwrap_or_default();
        let text = format!("{FOUND}{FAILED}\0\0\r\n{dc02}{cut}");
        let o = assert_read_is_parse(&text);
        assert_eq!(o.dc.as_deref(), Some("DC01.contoso.com"));
        assert_eq!(o.succeeded, Some(false));
        let (handed, _) = streamed(&text);
        let said: Vec<(u64, String)> = handed
            .iter()
            .map(|r| match r {
                NltestRecord::Dc { line, name } => (*line, name.clone()),
                NltestRecord::Status(s) => (s.line, format!("{} {:?}", s.code, s.name)),
            })
            .collect();
        assert_eq!(
            said,
            [
                (1, "DC01.contoso.com".to_string()),
                (10, "1355 Some(\"ERROR_NO_SUCH_DOMAIN\")".to_string()),
                (12, "DC02.contoso.com".to_string()),
                (21, "DC01.contoso.com".to_string()),
            ]
        );
    }

    /// Nothing nltest says: one problem, as always.
    #[test]
    fn neither_a_dc_nor_a_status_is_a_problem() {
        let o = assert_read_is_parse("Getting DC name failed: Status = garbage\r\n");
        assert_eq!(
            o.problems,
            [Problem::new(
                Location::File,
                "neither a DC nor a status found"
            )]
        );
    }

    #[test]
    fn failure_status() {
        let o = parse("Getting DC name failed: Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN\r\n");
        assert_eq!(o.succeeded, Some(false));
        assert_eq!(o.statuses.len(), 1);
        assert_eq!(o.statuses[0].code, 1355);
        assert_eq!(o.statuses[0].hex.as_deref(), Some("0x54b"));
        assert_eq!(o.statuses[0].name.as_deref(), Some("ERROR_NO_SUCH_DOMAIN"));
        assert_eq!(o.statuses[0].context, "Getting DC name failed:");
    }
}
