//! Zone-less local times as Windows prints them, in whatever culture the
//! exporting host used.
//!
//! Get-Queue converts LastRetryTime/NextRetryTime/FirstRetryTime and the
//! `LRT=` text inside LastError to the local time of the server and renders
//! them with `DateTime.ToString()` in the *current culture*: `11/26/2026
//! 10:40:05 AM` (en-US), `26-11-26 10:40:05` (nl-NL), `26.11.2026 10:40:05`
//! (de-DE), `2019/11/4 13:31:03` (zh-CN). The same holds for w32tm, klist
//! and repadmin output. None of these carries a zone, and day/month order is
//! ambiguous for any day ≤ 12, so the order is decided once per *file* from
//! all of its values ([`DateOrderInference`]): one value with a day > 12
//! settles it, wherever it sits. Values stay [`jiff::civil::DateTime`]; the
//! caller, who knows (or estimates) the server's zone, converts them with
//! [`ExportedTime::to_timestamp`]. When nothing in the file settles the order
//! (every day ≤ 12), each value read with [`DateOrderChoice::read`] also
//! carries the other reading ([`OpenOrder`]), so that a caller holding other
//! evidence (UTC logs of the same server) can still choose.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use serde::Serialize;

/// Order of the day, month and year fields in a numeric short date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `11/26/2026` (en-US).
    MonthDayYear,
    /// `26-11-2026`, `26.11.2026`, `26/11/2026` (nl-NL, de-DE, en-GB, fr-FR …).
    DayMonthYear,
    /// `2026/11/26`, `2026-11-26` (zh-CN, ja-JP, ISO). Always recognisable
    /// from the four-digit first field.
    YearMonthDay,
}

impl DateOrder {
    /// The short-date order of a few common Windows cultures (`en-US`,
    /// `nl-NL`, …); `None` for cultures this table does not know.
    pub fn for_culture(name: &str) -> Option<DateOrder> {
        let lower = name.to_ascii_lowercase();
        let (lang, region) = lower.split_once(['-', '_']).unwrap_or((lower.as_str(), ""));
        match (lang, region) {
            ("en", "us" | "ph") => Some(DateOrder::MonthDayYear),
            ("zh" | "ja" | "ko" | "hu" | "lt", _) => Some(DateOrder::YearMonthDay),
            ("sv", _) | ("en", "ca") => Some(DateOrder::YearMonthDay),
            ("en", _) | ("nl" | "de" | "fr" | "it" | "es" | "pt" | "ru" | "pl" | "da", _) => {
                Some(DateOrder::DayMonthYear)
            }
            ("nb" | "no" | "fi" | "cs" | "tr" | "uk" | "el" | "ro" | "he" | "ar", _) => {
                Some(DateOrder::DayMonthYear)
            }
            _ => None,
        }
    }
}

/// How the caller wants day/month order decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrderOption {
    /// Decide from the values in the file (the default).
    #[default]
    Infer,
    /// The caller knows the exporting culture.
    Force(DateOrder),
}

/// Why a [`DateOrderChoice`] was made — a report can say how sure it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrderBasis {
    /// Given by the caller ([`DateOrderOption::Force`]).
    Forced,
    /// At least one value had a day > 12 in one position.
    Decisive,
    /// No decisive value; guessed from the separator (`.`/`-` ⇒ day first,
    /// `/` with AM/PM ⇒ month first).
    Separator,
    /// Nothing to go on; month first (en-US) assumed.
    Default,
}

/// The day/month order chosen for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateOrderChoice {
    /// Order used for year-last dates (year-first dates are always Y-M-D).
    pub order: DateOrder,
    pub basis: DateOrderBasis,
    /// Some values said day-first and others month-first (mixed cultures in
    /// one file); `order` follows the majority.
    pub conflicting: bool,
    /// Another order every value of the file also reads as a valid date, when
    /// the file's values cannot rule it out: the day/month swap when no day
    /// is above 12, or a two-digit year first (`24/7/9`, `yy/M/d`) when every
    /// value allows one. Values read with [`read`](Self::read) then carry
    /// their reading in this order too ([`OpenOrder`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<DateOrder>,
}

impl DateOrderChoice {
    /// True when the file's own values did not settle the order
    /// ([`alternative`](Self::alternative)).
    pub fn is_open(&self) -> bool {
        self.alternative.is_some()
    }

    /// Parses one value of the file with this order; when the order is
    /// open, the value also carries its reading in the other order.
    pub fn read(&self, text: &str) -> Option<ExportedTime> {
        let raw = RawDateTime::scan(text)?;
        let mut t = raw.resolve(self.order)?;
        if let (Some(other), false) = (self.alternative, raw.year_first()) {
            let days = raw
                .resolve(other)
                .and_then(|o| t.local.date().until(o.local.date()).ok())
                .map(|span| span.get_days());
            if let Some(days) = days {
                if days != 0 {
                    t.open_order = Some(OpenOrder {
                        read_as: self.order,
                        other,
                        other_days: days,
                    });
                }
            }
        }
        Some(t)
    }
}

impl Default for DateOrderChoice {
    fn default() -> Self {
        DateOrderChoice {
            order: DateOrder::MonthDayYear,
            basis: DateOrderBasis::Default,
            conflicting: false,
            alternative: None,
        }
    }
}

/// Collects evidence about day/month order from every date-like value of a
/// file, then decides once ([`DateOrderInference::decide`]).
#[derive(Debug, Clone, Default)]
pub struct DateOrderInference {
    day_first_votes: u32,
    month_first_votes: u32,
    day_first_hints: u32,
    month_first_hints: u32,
    /// Year-last values, and how many read as a valid date in each order.
    values: u32,
    fit_day_first: u32,
    fit_month_first: u32,
    fit_year_first: u32,
}

impl DateOrderInference {
    pub fn new() -> Self {
        Self::default()
    }

    /// Another order every year-last value read as a valid date in, when
    /// `order` is chosen: the day/month swap first, then a two-digit year
    /// first.
    fn alternative(&self, order: DateOrder) -> Option<DateOrder> {
        let all = |n: u32| self.values > 0 && n == self.values;
        let swap = match order {
            DateOrder::MonthDayYear => (DateOrder::DayMonthYear, self.fit_day_first),
            DateOrder::DayMonthYear | DateOrder::YearMonthDay => {
                (DateOrder::MonthDayYear, self.fit_month_first)
            }
        };
        if all(swap.1) {
            Some(swap.0)
        } else if order != DateOrder::YearMonthDay && all(self.fit_year_first) {
            Some(DateOrder::YearMonthDay)
        } else {
            None
        }
    }

    /// Looks at one value; values that are not numeric dates are ignored.
    pub fn observe(&mut self, text: &str) {
        let Some(raw) = RawDateTime::scan(text) else {
            return;
        };
        if raw.year_first() {
            return;
        }
        self.values += 1;
        self.fit_day_first += u32::from(raw.resolve(DateOrder::DayMonthYear).is_some());
        self.fit_month_first += u32::from(raw.resolve(DateOrder::MonthDayYear).is_some());
        self.fit_year_first +=
            u32::from(raw.two_digit_year_first() && raw.resolve(DateOrder::YearMonthDay).is_some());
        let (a, b) = (raw.fields[0].value, raw.fields[1].value);
        if a > 12 && b <= 12 {
            self.day_first_votes += 1;
        } else if b > 12 && a <= 12 {
            self.month_first_votes += 1;
        } else if raw.separator == '.' || raw.separator == '-' {
            self.day_first_hints += 1;
        } else if raw.meridiem.is_some() {
            self.month_first_hints += 1;
        }
    }

    /// The order to use for this file.
    pub fn decide(&self, option: DateOrderOption) -> DateOrderChoice {
        let conflicting = self.day_first_votes > 0 && self.month_first_votes > 0;
        if let DateOrderOption::Force(order) = option {
            return DateOrderChoice {
                order,
                basis: DateOrderBasis::Forced,
                conflicting,
                alternative: None,
            };
        }
        let pick = |day_first: bool, basis| {
            let order = if day_first {
                DateOrder::DayMonthYear
            } else {
                DateOrder::MonthDayYear
            };
            DateOrderChoice {
                order,
                basis,
                conflicting,
                alternative: self.alternative(order),
            }
        };
        if self.day_first_votes + self.month_first_votes > 0 {
            pick(
                self.day_first_votes > self.month_first_votes,
                DateOrderBasis::Decisive,
            )
        } else if self.day_first_hints + self.month_first_hints > 0 {
            pick(
                self.day_first_hints > self.month_first_hints,
                DateOrderBasis::Separator,
            )
        } else {
            DateOrderChoice {
                alternative: self.alternative(DateOrder::MonthDayYear),
                ..DateOrderChoice::default()
            }
        }
    }
}

/// Where an exported time's wall-clock value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeProvenance {
    /// Local time of the server (or console) that rendered it; zone unknown
    /// unless [`ExportedTime::utc_offset_seconds`] is set.
    ServerLocal,
    /// Already UTC (ConvertTo-Json `\/Date(ms)\/`, ISO values ending in `Z`).
    Utc,
}

/// A value whose day/month order its file could not settle: how it was read,
/// and where the other reading lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OpenOrder {
    /// The order the value was read in (the file's guess).
    pub read_as: DateOrder,
    /// The order of its other reading.
    pub other: DateOrder,
    /// Days from the value as read to its other reading (`9/07/2024` read
    /// month first as 7 September: −60, for 9 July).
    pub other_days: i32,
}

/// A time value as found in an export: wall-clock value plus what is known
/// about its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExportedTime {
    pub local: DateTime,
    /// Known only when the export carried one (CliXml `<DT>`, ISO with offset).
    pub utc_offset_seconds: Option<i32>,
    pub provenance: TimeProvenance,
    /// Set when the file could not settle the day/month order and the other
    /// reading is another day ([`DateOrderChoice::read`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_order: Option<OpenOrder>,
}

impl ExportedTime {
    /// A server-local value with no zone information.
    pub fn server_local(local: DateTime) -> Self {
        ExportedTime {
            local,
            utc_offset_seconds: None,
            provenance: TimeProvenance::ServerLocal,
            open_order: None,
        }
    }

    /// A UTC instant (its `local` is the UTC wall clock).
    pub fn utc(ts: Timestamp) -> Self {
        ExportedTime {
            local: ts.to_zoned(TimeZone::UTC).datetime(),
            utc_offset_seconds: Some(0),
            provenance: TimeProvenance::Utc,
            open_order: None,
        }
    }

    /// The value read the other way round, when its file could not settle
    /// the day/month order ([`OpenOrder`]).
    pub fn other_reading(&self) -> Option<ExportedTime> {
        let open = self.open_order?;
        let span = jiff::Span::new().try_days(open.other_days).ok()?;
        let local = self.local.checked_add(span).ok()?;
        Some(ExportedTime {
            local,
            open_order: Some(OpenOrder {
                read_as: open.other,
                other: open.read_as,
                other_days: -open.other_days,
            }),
            ..*self
        })
    }

    /// The instant this value denotes: exact when the export carried an
    /// offset, otherwise by interpreting `local` in `server_zone` (DST gaps
    /// and folds resolved the "compatible" way, as Windows does).
    pub fn to_timestamp(&self, server_zone: &TimeZone) -> Option<Timestamp> {
        match self.utc_offset_seconds {
            Some(secs) => {
                let offset = Offset::from_seconds(secs).ok()?;
                offset.to_timestamp(self.local).ok()
            }
            None => server_zone
                .to_ambiguous_timestamp(self.local)
                .compatible()
                .ok(),
        }
    }
}

/// Parses one culture-formatted (or ISO) date-time with the file's order.
/// Returns `None` for anything that is not a date.
pub fn parse_local_datetime(text: &str, order: DateOrder) -> Option<ExportedTime> {
    let raw = RawDateTime::scan(text)?;
    raw.resolve(order)
}

#[derive(Debug, Clone, Copy)]
struct Field {
    value: u32,
    digits: usize,
}

/// A numeric date-time split into its fields, before the order is known.
#[derive(Debug, Clone)]
struct RawDateTime {
    fields: [Field; 3],
    separator: char,
    time: Option<(u32, u32, u32, u32)>,
    meridiem: Option<bool>,
    offset_seconds: Option<i32>,
}

fn take_number(s: &str, max_digits: usize) -> Option<(Field, &str)> {
    let digits = s
        .bytes()
        .take_while(|b| b.is_ascii_digit())
        .count()
        .min(max_digits);
    if digits == 0 {
        return None;
    }
    let value = s.get(..digits)?.parse().ok()?;
    Some((Field { value, digits }, s.get(digits..)?))
}

impl RawDateTime {
    fn scan(text: &str) -> Option<RawDateTime> {
        let s = text.trim();
        let (a, rest) = take_number(s, 4)?;
        let separator = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '/' | '-' | '.'))?;
        let (b, rest) = take_number(rest.get(1..)?, 2)?;
        let rest = rest.strip_prefix(separator)?;
        let (c, mut rest) = take_number(rest, 4)?;
        if separator == '.' {
            rest = rest.strip_prefix('.').unwrap_or(rest);
        }
        let mut raw = RawDateTime {
            fields: [a, b, c],
            separator,
            time: None,
            meridiem: None,
            offset_seconds: None,
        };
        let rest = rest.strip_prefix(['T', ',']).unwrap_or(rest).trim_start();
        if let Some((h, rest)) = take_number(rest, 2) {
            let rest = rest.strip_prefix(':')?;
            let (m, rest) = take_number(rest, 2)?;
            let (sec, rest) = match rest.strip_prefix(':') {
                Some(r) => take_number(r, 2)?,
                None => (
                    Field {
                        value: 0,
                        digits: 0,
                    },
                    rest,
                ),
            };
            let (nanos, rest) = match rest.strip_prefix(['.', ',']) {
                Some(r) => {
                    let n = r.bytes().take_while(|b| b.is_ascii_digit()).count();
                    let frac = r.get(..n.min(9))?;
                    let mut nanos: u32 = if frac.is_empty() {
                        0
                    } else {
                        frac.parse().ok()?
                    };
                    for _ in frac.len()..9 {
                        nanos *= 10;
                    }
                    (nanos, r.get(n..)?)
                }
                None => (0, rest),
            };
            raw.time = Some((h.value, m.value, sec.value, nanos));
            raw.scan_suffix(rest);
        }
        Some(raw)
    }

    fn scan_suffix(&mut self, rest: &str) {
        let t = rest.trim_start();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("am") || lower.starts_with("a.m.") {
            self.meridiem = Some(false);
        } else if lower.starts_with("pm") || lower.starts_with("p.m.") {
            self.meridiem = Some(true);
        } else if t.starts_with('Z') {
            self.offset_seconds = Some(0);
        } else if let Some(sign) = t.chars().next().filter(|c| *c == '+' || *c == '-') {
            let body = t.get(1..).unwrap_or("");
            if let Some((h, r)) = take_number(body, 2) {
                let m = r
                    .strip_prefix(':')
                    .unwrap_or(r)
                    .get(..2)
                    .and_then(|x| x.parse::<i32>().ok())
                    .unwrap_or(0);
                let secs = (h.value as i32) * 3600 + m * 60;
                self.offset_seconds = Some(if sign == '-' { -secs } else { secs });
            }
        }
    }

    fn year_first(&self) -> bool {
        self.fields[0].digits >= 3 || self.fields[0].value > 31
    }

    /// Could be a two-digit year first (`24/7/9`, `yy/M/d`): two digits
    /// first and at most two last.
    fn two_digit_year_first(&self) -> bool {
        !self.year_first() && self.fields[0].digits == 2 && self.fields[2].digits <= 2
    }

    fn resolve(&self, order: DateOrder) -> Option<ExportedTime> {
        let [a, b, c] = self.fields;
        let (y, m, d) = if self.year_first() {
            (a, b, c)
        } else {
            match order {
                DateOrder::YearMonthDay if self.two_digit_year_first() => (a, b, c),
                DateOrder::DayMonthYear | DateOrder::YearMonthDay => (c, b, a),
                DateOrder::MonthDayYear => (c, a, b),
            }
        };
        let year = if y.digits <= 2 {
            if y.value < 50 {
                2000 + y.value
            } else {
                1900 + y.value
            }
        } else {
            y.value
        };
        let date = Date::new(
            i16::try_from(year).ok()?,
            i8::try_from(m.value).ok()?,
            i8::try_from(d.value).ok()?,
        )
        .ok()?;
        let time = match self.time {
            None => Time::midnight(),
            Some((mut h, mi, s, ns)) => {
                match self.meridiem {
                    Some(true) if h < 12 => h += 12,
                    Some(false) if h == 12 => h = 0,
                    _ => {}
                }
                Time::new(
                    i8::try_from(h).ok()?,
                    i8::try_from(mi).ok()?,
                    i8::try_from(s).ok()?,
                    i32::try_from(ns).ok()?,
                )
                .ok()?
            }
        };
        let local = date.to_datetime(time);
        Some(match self.offset_seconds {
            Some(0) => ExportedTime {
                local,
                utc_offset_seconds: Some(0),
                provenance: TimeProvenance::Utc,
                open_order: None,
            },
            Some(off) => ExportedTime {
                local,
                utc_offset_seconds: Some(off),
                provenance: TimeProvenance::ServerLocal,
                open_order: None,
            },
            None => ExportedTime::server_local(local),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn parse(s: &str, o: DateOrder) -> DateTime {
        parse_local_datetime(s, o)
            .map(|t| t.local)
            .unwrap_or_default()
    }

    #[test]
    fn cultures() {
        let want = date(2026, 11, 26).at(10, 40, 5, 0);
        assert_eq!(
            parse("11/26/2026 10:40:05 AM", DateOrder::MonthDayYear),
            want
        );
        assert_eq!(parse("26-11-2026 10:40:05", DateOrder::DayMonthYear), want);
        assert_eq!(parse("26-11-26 10:40:05", DateOrder::DayMonthYear), want);
        assert_eq!(parse("26.11.2026 10:40:05", DateOrder::DayMonthYear), want);
        assert_eq!(parse("2026/11/26 10:40:05", DateOrder::MonthDayYear), want);
        assert_eq!(parse("2026-11-26T10:40:05", DateOrder::DayMonthYear), want);
        assert_eq!(
            parse("2019/11/4 13:31:03", DateOrder::DayMonthYear),
            date(2019, 11, 4).at(13, 31, 3, 0)
        );
        assert_eq!(
            parse("1/16/2026 2:23:45 PM.", DateOrder::MonthDayYear),
            date(2026, 1, 16).at(14, 23, 45, 0)
        );
        assert_eq!(
            parse("4/16/2022 9:53:54 (local)", DateOrder::MonthDayYear),
            date(2022, 4, 16).at(9, 53, 54, 0)
        );
        assert!(parse_local_datetime("unspecified", DateOrder::MonthDayYear).is_none());
        assert!(parse_local_datetime("13/13/2026 10:00", DateOrder::MonthDayYear).is_none());
    }

    #[test]
    fn iso_with_offset_converts_exactly() {
        let t = parse_local_datetime("2021-01-15T23:50:05.1234567+01:00", DateOrder::MonthDayYear)
            .unwrap_or_else(|| ExportedTime::server_local(DateTime::default()));
        assert_eq!(t.utc_offset_seconds, Some(3600));
        let ts = t.to_timestamp(&TimeZone::UTC).map(|t| t.to_string());
        assert_eq!(ts.as_deref(), Some("2021-01-15T22:50:05.1234567Z"));
    }

    #[test]
    fn late_row_settles_order() {
        let mut inf = DateOrderInference::new();
        for v in [
            "01/02/2026 10:00:00",
            "03/04/2026 10:00:00",
            "05/26/2026 10:00:00",
        ] {
            inf.observe(v);
        }
        let c = inf.decide(DateOrderOption::Infer);
        assert_eq!(c.order, DateOrder::MonthDayYear);
        assert_eq!(c.basis, DateOrderBasis::Decisive);
        let mut inf = DateOrderInference::new();
        inf.observe("01-02-26 10:00:00");
        assert_eq!(
            inf.decide(DateOrderOption::Infer).basis,
            DateOrderBasis::Separator
        );
        assert_eq!(
            inf.decide(DateOrderOption::Force(DateOrder::MonthDayYear))
                .order,
            DateOrder::MonthDayYear
        );
    }

    #[test]
    fn an_open_order_keeps_the_other_reading() {
        // en-AU: day first, `/` and a lower-case pm; nothing above 12.
        let mut inf = DateOrderInference::new();
        inf.observe("9/07/2024 2:55:34 pm");
        let choice = inf.decide(DateOrderOption::Infer);
        assert!(choice.is_open());
        assert_eq!(choice.order, DateOrder::MonthDayYear);
        let t = choice.read("9/07/2024 2:55:34 pm");
        let t = t.unwrap_or_else(|| ExportedTime::server_local(DateTime::default()));
        assert_eq!(t.local, date(2024, 9, 7).at(14, 55, 34, 0));
        let open = t.open_order.map(|o| (o.read_as, o.other, o.other_days));
        assert_eq!(
            open,
            Some((DateOrder::MonthDayYear, DateOrder::DayMonthYear, -60))
        );
        let other = t.other_reading();
        assert_eq!(
            other.map(|o| o.local),
            Some(date(2024, 7, 9).at(14, 55, 34, 0))
        );
        assert_eq!(
            other
                .and_then(|o| o.open_order)
                .map(|o| (o.read_as, o.other_days)),
            Some((DateOrder::DayMonthYear, 60))
        );
        // A settled file, a year-first value or a day equal to the month: nothing open.
        let settled = DateOrderChoice {
            order: DateOrder::DayMonthYear,
            basis: DateOrderBasis::Decisive,
            conflicting: false,
            alternative: None,
        };
        assert_eq!(
            settled
                .read("9/07/2024 14:55:34")
                .and_then(|t| t.open_order),
            None
        );
        assert_eq!(
            choice.read("2024/7/9 14:55:34").and_then(|t| t.open_order),
            None
        );
        assert_eq!(
            choice.read("7/7/2024 14:55:34").and_then(|t| t.open_order),
            None
        );
        let forced =
            DateOrderInference::new().decide(DateOrderOption::Force(DateOrder::DayMonthYear));
        assert!(!forced.is_open());
    }

    #[test]
    fn a_two_digit_year_first_stays_open() {
        // zh-CN with a `yy/M/d` short date: 24 could be the day (24 July
        // 2009) or the year (9 July 2024); the values cannot tell.
        let mut inf = DateOrderInference::new();
        inf.observe("24/7/9 14:55:34");
        inf.observe("24/7/9 15:05:34");
        let choice = inf.decide(DateOrderOption::Infer);
        assert_eq!(choice.order, DateOrder::DayMonthYear);
        assert_eq!(choice.basis, DateOrderBasis::Decisive);
        assert_eq!(choice.alternative, Some(DateOrder::YearMonthDay));
        let t = choice.read("24/7/9 14:55:34");
        assert_eq!(
            t.map(|t| t.local),
            Some(date(2009, 7, 24).at(14, 55, 34, 0))
        );
        let other = t.and_then(|t| t.other_reading()).map(|o| o.local);
        assert_eq!(other, Some(date(2024, 7, 9).at(14, 55, 34, 0)));
        // The culture named: read so, nothing open.
        let forced = inf.decide(DateOrderOption::Force(DateOrder::YearMonthDay));
        assert_eq!(forced.alternative, None);
        assert_eq!(
            forced.read("24/7/9 14:55:34").map(|t| t.local),
            Some(date(2024, 7, 9).at(14, 55, 34, 0))
        );
        // A four-digit year last rules a year first out.
        let mut inf = DateOrderInference::new();
        inf.observe("26-11-2026 10:40:05");
        assert_eq!(inf.decide(DateOrderOption::Infer).alternative, None);
        // A value that cannot be a year first settles it too.
        let mut inf = DateOrderInference::new();
        inf.observe("24/7/9 14:55:34");
        inf.observe("24/7/2009 14:55:34");
        assert_eq!(inf.decide(DateOrderOption::Infer).alternative, None);
    }

    #[test]
    fn utc_helper_uses_zone() {
        let t = ExportedTime::server_local(date(2026, 11, 26).at(10, 40, 5, 0));
        let tz = TimeZone::fixed(jiff::tz::offset(1));
        assert_eq!(
            t.to_timestamp(&tz).map(|t| t.to_string()).as_deref(),
            Some("2026-11-26T09:40:05Z")
        );
    }
}
