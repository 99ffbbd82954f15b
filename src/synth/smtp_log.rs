//! Writes SMTP Send and Receive protocol logs the way Exchange does.
//!
//! UTF-8 with BOM, CRLF, the five `#` header lines whenever a file is opened,
//! file names `SENDyyyymmdd-N.LOG` / `RECVyyyymmdd-N.LOG` from the writing
//! server's own (UTC) clock, a new `-N` when the size cap would be passed and
//! a new date when the server's clock passes midnight UTC. Rows are CSV with
//! Exchange's escaping: a field holding `,` or `"` is quoted, inner quotes
//! doubled.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Which log a writer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Send,
    Receive,
}

impl LogKind {
    fn prefix(self) -> &'static str {
        match self {
            LogKind::Send => "SEND",
            LogKind::Receive => "RECV",
        }
    }

    fn log_type(self) -> &'static str {
        match self {
            LogKind::Send => "SMTP Send Protocol Log",
            LogKind::Receive => "SMTP Receive Protocol Log",
        }
    }
}

/// A protocol-log directory being written, one file open at a time.
pub struct ProtocolLogWriter {
    dir: PathBuf,
    kind: LogKind,
    max_bytes: u64,
    open: Option<OpenFile>,
    /// Bytes written over all files.
    pub total_bytes: u64,
    line: String,
}

struct OpenFile {
    out: BufWriter<File>,
    /// Days since 1970-01-01 of the name's date.
    day: i64,
    number: u32,
    bytes: u64,
}

/// One row's fields after the time.
pub struct RowFields<'a> {
    pub connector: &'a str,
    pub session_id: u64,
    pub sequence: u32,
    pub local: &'a str,
    pub remote: &'a str,
    pub event: char,
    pub data: &'a str,
    pub context: &'a str,
}

impl ProtocolLogWriter {
    pub fn new(dir: &Path, kind: LogKind, max_bytes: u64) -> ProtocolLogWriter {
        ProtocolLogWriter {
            dir: dir.to_path_buf(),
            kind,
            max_bytes: max_bytes.max(4096),
            open: None,
            total_bytes: 0,
            line: String::with_capacity(512),
        }
    }

    /// Writes one row stamped `ms` (Unix milliseconds of the writing
    /// server's clock).
    pub fn write_row(&mut self, ms: i64, row: &RowFields<'_>) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        format_row(&mut line, ms, row);
        let result = self.write_line(ms, &line);
        self.line = line;
        result
    }

    fn write_line(&mut self, ms: i64, line: &str) -> io::Result<()> {
        let day = ms.div_euclid(86_400_000);
        let len = line.len() as u64;
        let reopen = match &self.open {
            None => Some((day, 1)),
            Some(f) if day > f.day => Some((day, 1)),
            Some(f) if f.bytes + len > self.max_bytes => Some((f.day, f.number + 1)),
            Some(_) => None,
        };
        if let Some((day, number)) = reopen {
            self.open_file(day, number, ms)?;
        }
        if let Some(f) = &mut self.open {
            f.out.write_all(line.as_bytes())?;
            f.bytes += len;
            self.total_bytes += len;
        }
        Ok(())
    }

    fn open_file(&mut self, day: i64, number: u32, ms: i64) -> io::Result<()> {
        if let Some(mut f) = self.open.take() {
            f.out.flush()?;
        }
        std::fs::create_dir_all(&self.dir)?;
        let (y, m, d) = civil_from_days(day);
        let name = format!("{}{y:04}{m:02}{d:02}-{number}.LOG", self.kind.prefix());
        let mut out = BufWriter::with_capacity(1 << 16, File::create(self.dir.join(name))?);
        let mut header = String::from(
            "\u{FEFF}#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: ",
        );
        header.push_str(self.kind.log_type());
        header.push_str("\r\n#Date: ");
        push_utc_ms(&mut header, ms);
        header.push_str("\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n");
        out.write_all(header.as_bytes())?;
        let bytes = header.len() as u64;
        self.total_bytes += bytes;
        self.open = Some(OpenFile {
            out,
            day,
            number,
            bytes,
        });
        Ok(())
    }

    /// Flushes and closes the open file.
    pub fn finish(mut self) -> io::Result<u64> {
        if let Some(mut f) = self.open.take() {
            f.out.flush()?;
        }
        Ok(self.total_bytes)
    }
}

/// Appends one row, CRLF-terminated, to `line`.
pub fn format_row(line: &mut String, ms: i64, row: &RowFields<'_>) {
    push_utc_ms(line, ms);
    line.push(',');
    push_csv(line, row.connector);
    line.push(',');
    push_hex16(line, row.session_id);
    line.push(',');
    push_u64(line, u64::from(row.sequence));
    line.push(',');
    line.push_str(row.local);
    line.push(',');
    line.push_str(row.remote);
    line.push(',');
    line.push(row.event);
    line.push(',');
    push_csv(line, row.data);
    line.push(',');
    push_csv(line, row.context);
    line.push_str("\r\n");
}

/// Appends a field with Exchange's CSV escaping.
pub fn push_csv(out: &mut String, field: &str) {
    if field.contains([',', '"']) {
        out.push('"');
        for c in field.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn push_hex16(out: &mut String, value: u64) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for shift in (0..16).rev() {
        out.push(HEX[((value >> (shift * 4)) & 0xF) as usize] as char);
    }
}

fn push_u64(out: &mut String, value: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = value;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

fn push_2(out: &mut String, v: u32) {
    out.push((b'0' + (v / 10 % 10) as u8) as char);
    out.push((b'0' + (v % 10) as u8) as char);
}

/// `yyyy-MM-ddTHH:mm:ss.fffZ` for Unix milliseconds, without a calendar
/// library on the hot path (a gigabyte of log is millions of rows).
pub fn push_utc_ms(out: &mut String, ms: i64) {
    let day = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(day);
    push_u64(out, y.max(0) as u64);
    out.push('-');
    push_2(out, m);
    out.push('-');
    push_2(out, d);
    out.push('T');
    let secs = (in_day / 1000) as u32;
    push_2(out, secs / 3600);
    out.push(':');
    push_2(out, secs / 60 % 60);
    out.push(':');
    push_2(out, secs % 60);
    out.push('.');
    let milli = (in_day % 1000) as u32;
    out.push((b'0' + (milli / 100) as u8) as char);
    push_2(out, milli % 100);
    out.push('Z');
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_the_log_format() {
        let t: jiff::Timestamp = "2024-05-06T10:00:01.102Z".parse().unwrap();
        let mut s = String::new();
        push_utc_ms(&mut s, t.as_millisecond());
        assert_eq!(s, "2024-05-06T10:00:01.102Z");
        let mut s = String::new();
        push_utc_ms(&mut s, 0);
        assert_eq!(s, "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn csv_escaping_quotes_commas_and_doubles_quotes() {
        let mut s = String::new();
        push_csv(&mut s, "220 EX02 ready at Mon, 6 May 2024 12:09:31 +0200");
        assert_eq!(s, "\"220 EX02 ready at Mon, 6 May 2024 12:09:31 +0200\"");
        let mut s = String::new();
        push_csv(&mut s, "say \"hi\"");
        assert_eq!(s, "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn rolls_over_with_the_header_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ProtocolLogWriter::new(dir.path(), LogKind::Send, 4096);
        let base: jiff::Timestamp = "2026-11-26T23:59:00Z".parse().unwrap();
        let row = RowFields {
            connector: "Intra-Organization SMTP Send Connector",
            session_id: 0x08DE_2C7A_1600_4F77,
            sequence: 0,
            local: "10.0.1.11:51000",
            remote: "10.0.1.12:2525",
            event: '*',
            data: "",
            context: "attempting to connect",
        };
        for i in 0..40 {
            w.write_row(base.as_millisecond() + i * 1000, &row).unwrap();
        }
        w.write_row(base.as_millisecond() + 61_000, &row).unwrap();
        w.finish().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "SEND20261126-1.LOG",
                "SEND20261126-2.LOG",
                "SEND20261127-1.LOG"
            ]
        );
        let second = std::fs::read(dir.path().join("SEND20261126-2.LOG")).unwrap();
        assert!(second.starts_with(b"\xEF\xBB\xBF#Software: Microsoft Exchange Server\r\n"));
    }
}
