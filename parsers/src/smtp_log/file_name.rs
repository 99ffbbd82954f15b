//! Protocol-log file names: `RECVyyyyMMdd-n.LOG` (daily) and `RECVyyyyMMddHH-n.LOG` (hourly).
//!
//! The name carries the UTC date (and hour) the file was opened and a roll-over counter that
//! restarts each period, so it is how the files of one server are put in order before being fed
//! to one [`super::Reassembler`] (sessions run across roll-overs). Content detection stays the
//! job of `detect`; the name is only a hint for the log type when a file has lost its header.

use super::LogKind;
use jiff::civil::Date;

/// A parsed protocol-log file name. Orders by (kind, date, hour, number): feeding order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogFileName {
    pub kind: LogKind,
    /// UTC date the file was opened.
    pub date: Date,
    /// UTC hour for hourly names (`yyyyMMddHH`), `None` for daily names.
    pub hour: Option<u8>,
    /// Roll-over counter (`-n`), 1-based.
    pub number: u32,
}

/// Parses `^(RECV|SEND)(\d{8})(\d{0,2})-(\d+)\.LOG$` case-insensitively. A path is accepted: only
/// the part after the last `/` or `\` is read. `None` for any other name.
pub fn parse_file_name(name: &str) -> Option<LogFileName> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let upper = base.to_ascii_uppercase();
    let stem = upper.strip_suffix(".LOG")?;
    let (kind, rest) = if let Some(rest) = stem.strip_prefix("RECV") {
        (LogKind::Receive, rest)
    } else {
        (LogKind::Send, stem.strip_prefix("SEND")?)
    };
    let (stamp, number) = rest.split_once('-')?;
    if !stamp.bytes().all(|b| b.is_ascii_digit()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u32 = number.parse().ok()?;
    let (ymd, hour) = match stamp.len() {
        8 => (stamp, None),
        9 | 10 => {
            let (ymd, hh) = stamp.split_at(8);
            let hour: u8 = hh.parse().ok()?;
            if hour > 23 {
                return None;
            }
            (ymd, Some(hour))
        }
        _ => return None,
    };
    let year: i16 = ymd.get(0..4)?.parse().ok()?;
    let month: i8 = ymd.get(4..6)?.parse().ok()?;
    let day: i8 = ymd.get(6..8)?.parse().ok()?;
    let date = Date::new(year, month, day).ok()?;
    Some(LogFileName {
        kind,
        date,
        hour,
        number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_daily_and_hourly_names() {
        let hourly = parse_file_name("RECV2023020100-1.LOG").unwrap();
        assert_eq!(hourly.kind, LogKind::Receive);
        assert_eq!(hourly.date, date(2023, 2, 1));
        assert_eq!(hourly.hour, Some(0));
        assert_eq!(hourly.number, 1);

        let daily =
            parse_file_name(r"C:\Logs\Hub\ProtocolLog\SmtpSend\send20190221-12.log").unwrap();
        assert_eq!(daily.kind, LogKind::Send);
        assert_eq!(daily.date, date(2019, 2, 21));
        assert_eq!(daily.hour, None);
        assert_eq!(daily.number, 12);
    }

    #[test]
    fn rejects_other_names_and_orders_roll_overs() {
        for bad in [
            "RECV20230201.LOG",
            "RECV20231301-1.LOG",
            "RECV2023020125-1.LOG",
            "MSGTRK20230201-1.LOG",
            "RECV20230201-1.txt",
            "RECV20230201-x.LOG",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
        let mut names: Vec<_> = [
            "SEND20240506-10.LOG",
            "SEND20240506-2.LOG",
            "SEND20240505-7.LOG",
        ]
        .iter()
        .filter_map(|n| parse_file_name(n))
        .map(|n| (n.date.day(), n.number))
        .collect();
        names.sort();
        assert_eq!(names, [(5, 7), (6, 2), (6, 10)]);
    }
}
