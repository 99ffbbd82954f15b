//! Windows time-zone names → IANA names.
//!
//! Why: EventLog 6013 and `tzutil` report zones by their Windows registry key name
//! ("W. Europe Standard Time"), while jiff (and everything downstream) speaks IANA.
//! This table is the "001" (default territory) column of CLDR's windowsZones.xml for
//! the zones servers commonly run in; no maintained crate offers just this mapping
//! without pulling in a large ICU data set.

const ZONES: &[(&str, &str)] = &[
    ("Dateline Standard Time", "Etc/GMT+12"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Mountain Standard Time", "America/Denver"),
    ("Central America Standard Time", "America/Guatemala"),
    ("Central Standard Time", "America/Chicago"),
    ("Central Standard Time (Mexico)", "America/Mexico_City"),
    ("Canada Central Standard Time", "America/Regina"),
    ("SA Pacific Standard Time", "America/Bogota"),
    ("Eastern Standard Time", "America/New_York"),
    ("US Eastern Standard Time", "America/Indianapolis"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("SA Western Standard Time", "America/La_Paz"),
    ("Pacific SA Standard Time", "America/Santiago"),
    ("Newfoundland Standard Time", "America/St_Johns"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("Argentina Standard Time", "America/Buenos_Aires"),
    ("UTC", "Etc/UTC"),
    ("Coordinated Universal Time", "Etc/UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("W. Central Africa Standard Time", "Africa/Lagos"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("Egypt Standard Time", "Africa/Cairo"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("Arab Standard Time", "Asia/Riyadh"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("Iran Standard Time", "Asia/Tehran"),
    ("Pakistan Standard Time", "Asia/Karachi"),
    ("India Standard Time", "Asia/Calcutta"),
    ("Bangladesh Standard Time", "Asia/Dhaka"),
    ("SE Asia Standard Time", "Asia/Bangkok"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("Taipei Standard Time", "Asia/Taipei"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("Cen. Australia Standard Time", "Australia/Adelaide"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
];

/// The IANA zone for a Windows zone name ("W. Europe Standard Time" → "Europe/Berlin").
/// Also accepts the daylight name ("W. Europe Daylight Time"). Case-insensitive.
pub fn windows_zone_to_iana(name: &str) -> Option<&'static str> {
    let name = name.trim();
    let standard;
    let key = match name.strip_suffix(" Daylight Time") {
        Some(stem) => {
            standard = format!("{stem} Standard Time");
            standard.as_str()
        }
        None => name,
    };
    ZONES
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(key))
        .map(|(_, iana)| *iana)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_zones_map_to_iana() {
        assert_eq!(
            windows_zone_to_iana("W. Europe Standard Time"),
            Some("Europe/Berlin")
        );
        assert_eq!(
            windows_zone_to_iana("Pacific Standard Time"),
            Some("America/Los_Angeles")
        );
        assert_eq!(
            windows_zone_to_iana("china standard time"),
            Some("Asia/Shanghai")
        );
        assert_eq!(
            windows_zone_to_iana("GMT Daylight Time"),
            Some("Europe/London")
        );
        assert_eq!(windows_zone_to_iana("Mars Standard Time"), None);
    }

    #[test]
    fn every_iana_name_is_known_to_jiff() {
        if jiff::tz::TimeZone::get("Europe/Berlin").is_err() {
            eprintln!("skipped: no time zone database on this machine");
            return;
        }
        for (_, iana) in ZONES {
            assert!(jiff::tz::TimeZone::get(iana).is_ok(), "{iana}");
        }
    }
}
