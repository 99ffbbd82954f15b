//! The culture and time zone a collection's servers run with.
//!
//! Get-Queue prints dates with `DateTime.ToString()` of the server's culture
//! (`5/6/2024 12:09:31 PM`, `6-5-2024 12:09:31`, `06.05.2024 12:09:31`,
//! `2024/5/6 12:09:31`), banners and event 6013 carry the server's zone, and a
//! Chinese Exchange names its Send connector `组织内 SMTP 发送连接器`. The
//! Windows UI language stays English for everything else (command outputs,
//! event templates), as on most servers with a regional format set.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A Windows culture (regional format) and the time zone that goes with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    EnUs,
    NlNl,
    DeDe,
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 4] = [Locale::EnUs, Locale::NlNl, Locale::DeDe, Locale::ZhCn];

    pub fn name(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::NlNl => "nl-NL",
            Locale::DeDe => "de-DE",
            Locale::ZhCn => "zh-CN",
        }
    }

    pub fn from_name(name: &str) -> Option<Locale> {
        Locale::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(name))
    }

    /// The IANA zone the servers are in.
    /// Whether Windows PowerShell word-wraps Format-List values in this
    /// culture (en, fr, de, it, pt, es) or cuts them by character count.
    pub fn word_wraps(self) -> bool {
        matches!(self, Locale::EnUs | Locale::DeDe)
    }

    pub fn iana_zone(self) -> &'static str {
        match self {
            Locale::EnUs => "America/New_York",
            Locale::NlNl => "Europe/Amsterdam",
            Locale::DeDe => "Europe/Berlin",
            Locale::ZhCn => "Asia/Shanghai",
        }
    }

    /// Windows' names of that zone: (standard, daylight).
    pub fn windows_zone(self) -> (&'static str, &'static str) {
        match self {
            Locale::EnUs => ("Eastern Standard Time", "Eastern Daylight Time"),
            Locale::NlNl | Locale::DeDe => ("W. Europe Standard Time", "W. Europe Daylight Time"),
            Locale::ZhCn => ("China Standard Time", "China Daylight Time"),
        }
    }

    pub fn time_zone(self) -> TimeZone {
        TimeZone::get(self.iana_zone()).unwrap_or(TimeZone::UTC)
    }

    /// The implicit intra-organization Send connector's name, as Exchange
    /// localizes it at setup.
    pub fn intra_org_connector(self) -> &'static str {
        match self {
            Locale::ZhCn => "组织内 SMTP 发送连接器",
            _ => "Intra-Organization SMTP Send Connector",
        }
    }

    /// `DateTime.ToString()` ("G": short date + long time) in this culture.
    pub fn general_date(self, local: jiff::civil::DateTime) -> String {
        let (y, mo, d) = (local.year(), local.month(), local.day());
        let (h, mi, s) = (local.hour(), local.minute(), local.second());
        match self {
            Locale::EnUs => {
                let h12 = if h % 12 == 0 { 12 } else { h % 12 };
                let ampm = if h < 12 { "AM" } else { "PM" };
                format!("{mo}/{d}/{y} {h12}:{mi:02}:{s:02} {ampm}")
            }
            Locale::NlNl => format!("{d}-{mo}-{y} {h:02}:{mi:02}:{s:02}"),
            Locale::DeDe => format!("{d:02}.{mo:02}.{y} {h:02}:{mi:02}:{s:02}"),
            Locale::ZhCn => format!("{y}/{mo}/{d} {h}:{mi:02}:{s:02}"),
        }
    }

    /// The culture's short date and a 24-hour `HH:mm:ss`, as w32tm prints
    /// "Last Successful Sync Time".
    pub fn short_date_24h(self, local: jiff::civil::DateTime) -> String {
        let (y, mo, d) = (local.year(), local.month(), local.day());
        let time = format!(
            "{:02}:{:02}:{:02}",
            local.hour(),
            local.minute(),
            local.second()
        );
        match self {
            Locale::EnUs => format!("{mo}/{d}/{y} {time}"),
            Locale::NlNl => format!("{d}-{mo}-{y} {time}"),
            Locale::DeDe => format!("{d:02}.{mo:02}.{y} {time}"),
            Locale::ZhCn => format!("{y}/{mo}/{d} {time}"),
        }
    }
}

/// A server's wall clock: its zone, for rendering its own (possibly wrong)
/// idea of the time.
#[derive(Debug, Clone)]
pub struct Wall {
    pub zone: TimeZone,
    pub locale: Locale,
}

impl Wall {
    pub fn local(&self, t: Timestamp) -> jiff::civil::DateTime {
        t.to_zoned(self.zone.clone()).datetime()
    }

    /// Offset from UTC in seconds at `t`.
    pub fn offset_seconds(&self, t: Timestamp) -> i32 {
        self.zone.to_offset(t).seconds()
    }

    /// RFC 2822 date as the SMTP banner prints it:
    /// `Mon, 6 May 2024 12:09:31 +0200` (day not zero-padded).
    pub fn rfc2822(&self, t: Timestamp) -> String {
        let local = self.local(t);
        let offset = self.offset_seconds(t);
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.unsigned_abs();
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let weekday = DAYS[(local.weekday().to_monday_zero_offset()) as usize];
        let month = MONTHS[(local.month() - 1) as usize];
        format!(
            "{weekday}, {} {month} {} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            local.day(),
            local.year(),
            local.hour(),
            local.minute(),
            local.second(),
            abs / 3600,
            abs % 3600 / 60
        )
    }

    /// Whether daylight saving time is in effect at `t`.
    pub fn is_dst(&self, t: Timestamp) -> bool {
        self.zone.to_offset_info(t).dst().is_dst()
    }

    /// The zone as event 6013 prints it: Windows' bias in minutes (UTC =
    /// local + bias) and the zone's name, `-60 W. Europe Standard Time`.
    pub fn event_6013_zone(&self, t: Timestamp) -> String {
        let bias = -self.offset_seconds(t) / 60;
        let (standard, daylight) = self.locale.windows_zone();
        let name = if self.is_dst(t) { daylight } else { standard };
        format!("{bias} {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_dates_are_rfc2822_local_with_offset() {
        let wall = Wall {
            zone: Locale::NlNl.time_zone(),
            locale: Locale::NlNl,
        };
        let t: Timestamp = "2024-05-06T10:09:31.7Z".parse().unwrap();
        assert_eq!(wall.rfc2822(t), "Mon, 6 May 2024 12:09:31 +0200");
        let us = Wall {
            zone: Locale::EnUs.time_zone(),
            locale: Locale::EnUs,
        };
        assert_eq!(us.rfc2822(t), "Mon, 6 May 2024 06:09:31 -0400");
        assert_eq!(wall.event_6013_zone(t), "-120 W. Europe Daylight Time");
    }

    #[test]
    fn general_dates_per_culture() {
        let local: jiff::civil::DateTime = "2024-05-06T13:09:31".parse().unwrap();
        assert_eq!(Locale::EnUs.general_date(local), "5/6/2024 1:09:31 PM");
        assert_eq!(Locale::NlNl.general_date(local), "6-5-2024 13:09:31");
        assert_eq!(Locale::DeDe.general_date(local), "06.05.2024 13:09:31");
        assert_eq!(Locale::ZhCn.general_date(local), "2024/5/6 13:09:31");
    }
}
