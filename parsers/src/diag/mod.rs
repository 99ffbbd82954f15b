//! Saved outputs of the diagnostic commands KB 979174 asks for: `setspn`,
//! `w32tm`, `repadmin`, `Get-ReceiveConnector`, `Test-NetConnection`,
//! `portqry`, `nltest`, `klist`.
//!
//! These are console texts, often localized (`跳跃指示器: 0(无警告)`), so each
//! parser keys on structure — indentation, `label: value` shape, numbers,
//! `0x` codes, DNs, `ip:port` — and uses English labels only where the
//! structure alone is ambiguous (with positional fallbacks where Windows
//! prints a fixed order). Times are local to the machine that ran the
//! command and use its culture; the day/month order is decided per file
//! ([`crate::queue::local_time`]). Every module has a cheap `looks_like`
//! detector and registers itself with one `FORMAT` line in
//! `detect::FORMATS`.

pub mod ipconfig;
pub mod klist;
pub mod nltest;
pub mod portqry;
pub mod receive_connector;
pub mod repadmin;
pub mod setspn;
pub mod test_netconnection;
pub mod w32tm;

use crate::queue::local_time::{
    parse_local_datetime, DateOrderChoice, DateOrderInference, DateOrderOption, ExportedTime,
};

/// Finds a culture-formatted date-time inside a line (`The current time is
/// 1/16/2026 2:23:45 PM.`) and returns the text from its first digit.
pub(crate) fn find_datetime(line: &str) -> Option<&str> {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if prev_space && c.is_ascii_digit() {
            let rest = line.get(i..)?;
            if parse_local_datetime(rest, crate::queue::DateOrder::MonthDayYear).is_some()
                || parse_local_datetime(rest, crate::queue::DateOrder::DayMonthYear).is_some()
            {
                return Some(rest);
            }
        }
        prev_space = c.is_whitespace() || c == '@' || c == ':' || c == '：';
    }
    None
}

/// Decides the day/month order over a file's time texts, then parses them.
pub(crate) fn resolve_times(
    texts: &[Option<String>],
    option: DateOrderOption,
) -> (Vec<Option<ExportedTime>>, DateOrderChoice) {
    let mut inference = DateOrderInference::new();
    for t in texts.iter().flatten() {
        inference.observe(t);
    }
    let choice = inference.decide(option);
    let parsed = texts
        .iter()
        .map(|t| t.as_deref().and_then(|t| choice.read(t)))
        .collect();
    (parsed, choice)
}

/// Leading (optionally signed) integer of a value like `0(no warning)`.
pub(crate) fn leading_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let sign = usize::from(t.starts_with(['-', '+']));
    let n = t
        .get(sign..)?
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    t.get(..sign + n)?.parse().ok()
}

/// Signed seconds like `+312.1234567s` or `-0.0038147s` inside a text.
pub(crate) fn seconds_value(s: &str) -> Option<f64> {
    s.split_whitespace().find_map(|tok| {
        let tok = tok.trim_end_matches([',', '.']);
        let body = tok.strip_suffix('s')?;
        let body = body
            .strip_prefix("o:")
            .or_else(|| body.strip_prefix("d:"))
            .unwrap_or(body);
        if body.is_empty() || !body.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        body.parse::<f64>().ok().filter(|v| v.is_finite())
    })
}

/// `label: value` with the label trimmed (ASCII or full-width colon).
pub(crate) fn label_value(line: &str) -> Option<(&str, &str)> {
    let idx = line.find([':', '：'])?;
    let label = line.get(..idx)?.trim();
    let sep_len = line.get(idx..)?.chars().next()?.len_utf8();
    let value = line.get(idx + sep_len..)?.trim();
    (!label.is_empty()).then_some((label, value))
}

/// Number of leading spaces (tabs count as 8).
pub(crate) fn indent_of(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 8 } else { 1 })
        .sum()
}
