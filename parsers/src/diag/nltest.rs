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
use crate::problem::{Location, Problem};
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{space0, space1};
use nom::combinator::{map_res, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use serde::Serialize;

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
    pub problems: Vec<Problem>,
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

/// Parses nltest output.
pub fn parse(text: &str) -> DcLocator {
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
        problems: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let t = raw.trim().trim_start_matches('\u{feff}');
        if t.is_empty() {
            continue;
        }
        let found = t
            .match_indices("Status")
            .find_map(|(at, _)| status(t.get(at..).unwrap_or("")).ok().map(|(_, s)| (at, s)));
        {
            if let Some((at, (code, hex, name))) = found {
                out.statuses.push(NetStatus {
                    line: n,
                    context: t.get(..at).unwrap_or("").trim().to_string(),
                    code,
                    hex: hex.map(|h| format!("0x{h}")),
                    name: name.map(str::to_string),
                });
                if code != 0 {
                    out.succeeded = Some(false);
                }
                continue;
            }
        }
        if t.to_ascii_lowercase().contains("completed successfully") {
            out.succeeded.get_or_insert(true);
            continue;
        }
        let Some((label, value)) = super::label_value(t) else {
            continue;
        };
        let v = Some(value.trim_start_matches('\\').to_string()).filter(|s| !s.is_empty());
        match label.to_ascii_lowercase().as_str() {
            "dc" => out.dc = v,
            "address" => out.address = v,
            "dom guid" => out.dom_guid = v,
            "dom name" => out.dom_name = v,
            "forest name" => out.forest_name = v,
            "dc site name" => out.dc_site_name = v,
            "our site name" => out.our_site_name = v,
            "flags" => out.flags = value.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    if out.dc.is_none() && out.statuses.is_empty() {
        out.problems.push(Problem::new(
            Location::File,
            "neither a DC nor a status found",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
