//! Identical artifacts, found before anything is read, so that each content
//! is read once.
//!
//! Collections arrive with copies: every file again as `name (2).ext` (how
//! Windows names a second copy), a collection zipped and unzipped side by
//! side (`EX01-1126.zip` next to the folder `EX01-1126/`), a log copied twice
//! while it grew. Read twice, a copy doubles every failure, every piece of
//! evidence and every timeline line.
//!
//! Discovery knows every file's size before reading; only files of the same
//! size can be identical, and of those only the ones whose first 4 KiB (read
//! for every file) agree are hashed whole (xxh3-128, streamed). The
//! entries of the zips on disk come with their size and CRC-32 in the central
//! directory, free: an entry is the same as another artifact when both have
//! the same size and CRC-32 (a loose file's CRC-32 is computed while it is
//! hashed, and only when an entry shares its size). That is zip's own
//! integrity check, and the copy kept is checked against it when it is read;
//! confirming every match with a second hash would mean inflating both copies
//! before either is read, for a collision a CRC-32 over equal sizes almost
//! never has. Entries of zips inside zips are not compared as files (their
//! directory is only known once the outer zip is read); their records still
//! are (`ingest::dedup`).
//!
//! A loose file whose bytes are the first bytes of a longer file in the same
//! place is a shorter copy of it (a log copied while it was being written,
//! then again later): the longer one holds every byte of it and is read alone.
//!
//! Which copy is read: loose files before archive entries (no inflating, and
//! an `.evtx` gets random access), then the shortest origin (a copy's name
//! is the longer one: `Security (2).evtx`, `Security - Copy.evtx`), then the
//! smallest — the same in every run, whatever the order files are listed or
//! read in. The others are reported with the copy that was read.
//!
//! Only copies in the same *place* are duplicates: where a file sits names
//! its server (`EX01/…`, `EX01-1126.zip`, `EX01_w32tm.txt`: the name the
//! inventory shows, a copy's suffix aside), and the same bytes under two
//! servers (`setspn -X` saved on two machines) say something about each.

use super::server_hint::server_hint;
use super::{DiskFile, Limits, Origin};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use xxhash_rust::xxh3::{xxh3_64, Xxh3Default};

/// How a set-aside artifact relates to the copy that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sameness {
    /// The same bytes.
    Identical,
    /// Its bytes are the first bytes of the copy read (a shorter copy).
    ShorterCopy,
}

/// An artifact that is not read: another copy holds all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// The copy that is read.
    pub kept: Origin,
    pub how: Sameness,
}

const SAME: (&str, &str) = ("same content as ", ": not read again");
const SHORTER: (&str, &str) = (
    "a shorter copy of ",
    " (its bytes are the start of it): not read again",
);

impl SetAside {
    /// Why the artifact is not read, for its inventory row.
    pub fn reason(&self) -> String {
        let (head, tail) = match self.how {
            Sameness::Identical => SAME,
            Sameness::ShorterCopy => SHORTER,
        };
        format!("{head}{}{tail}", self.kept)
    }

    /// Reads back [`SetAside::reason`] (an inventory row's reason, also as
    /// an evidence set stores it).
    pub fn from_reason(reason: &str) -> Option<SetAside> {
        [
            (SAME, Sameness::Identical),
            (SHORTER, Sameness::ShorterCopy),
        ]
        .into_iter()
        .find_map(|((head, tail), how)| {
            let kept = reason.strip_prefix(head)?.strip_suffix(tail)?;
            Some(SetAside {
                kept: Origin::parse(kept),
                how,
            })
        })
    }
}

/// The artifacts of a run that are copies of others.
#[derive(Debug, Default)]
pub struct Duplicates {
    set_aside: HashMap<Origin, SetAside>,
}

impl Duplicates {
    /// The copy that is read instead of `origin`, when `origin` is a copy.
    pub fn get(&self, origin: &Origin) -> Option<&SetAside> {
        if self.set_aside.is_empty() {
            return None;
        }
        self.set_aside.get(origin)
    }

    pub fn len(&self) -> usize {
        self.set_aside.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set_aside.is_empty()
    }

    /// Finds the copies among `files` (the plan) and the entries of the zips
    /// among them. Files that cannot be read here are left to the walk, which
    /// reports them.
    pub(super) fn find(files: &[DiskFile], limits: &Limits) -> Duplicates {
        let mut found = Finder::default();
        let disk: Vec<Loose> = files
            .par_iter()
            .filter(|f| f.size > 0)
            .filter_map(|f| Loose::open(f).ok())
            .collect();
        found.loose_identical(&disk);
        found.loose_shorter_copies(&disk);
        let mut entries = Vec::new();
        let mut listed = 0usize;
        for file in disk.iter().filter(|f| f.is_zip) {
            if found.set_aside.contains_key(&file.origin) || listed >= limits.max_entries {
                continue;
            }
            listed += zip_entries(file, limits.max_entries - listed, &mut entries);
        }
        found.entries_identical(&disk, entries);
        let Finder { mut set_aside } = found;
        // A copy of a shorter copy is a copy of what that one points to.
        let pointers: Vec<(Origin, Origin)> = set_aside
            .iter()
            .map(|(o, s)| (o.clone(), s.kept.clone()))
            .collect();
        for (origin, mut kept) in pointers {
            let mut hops = 0;
            while let Some(next) = set_aside.get(&kept).filter(|_| hops < 64) {
                kept = next.kept.clone();
                hops += 1;
            }
            if let Some(s) = set_aside.get_mut(&origin) {
                s.kept = kept;
            }
        }
        Duplicates { set_aside }
    }
}

/// Bytes of a file compared to find shorter copies cheaply: files whose
/// first bytes differ are never compared further.
const HEAD: usize = 4096;

/// A loose file, with what the search needs of it.
struct Loose<'p> {
    origin: Origin,
    path: &'p Path,
    size: u64,
    place: Option<String>,
    is_zip: bool,
    /// xxh3 of the first [`HEAD`] bytes (files at least that long).
    head: Option<u64>,
}

impl<'p> Loose<'p> {
    fn open(file: &'p DiskFile) -> io::Result<Self> {
        let mut head = Vec::with_capacity(HEAD);
        File::open(&file.path)?
            .take(HEAD as u64)
            .read_to_end(&mut head)?;
        let origin = Origin::file(file.shown.clone());
        Ok(Loose {
            place: place(&origin),
            origin,
            path: &file.path,
            size: file.size,
            is_zip: head.starts_with(b"PK\x03\x04"),
            head: (head.len() == HEAD).then(|| xxh3_64(&head)),
        })
    }
}

/// The groups of loose files that may be identical: the same place, size and first [`HEAD`]
/// bytes. The head comes free (it is read for every file); hashing every file of one size
/// would read most of a collection twice, as protocol logs roll at one size (10 MB) and fall
/// within a few hundred bytes of it: a month of them on one server shares sizes by the dozen.
fn same_size_and_head<'a, 'p>(disk: &'a [Loose<'p>]) -> Vec<Vec<&'a Loose<'p>>> {
    type Key<'a> = (&'a Option<String>, u64, Option<u64>);
    let mut groups: BTreeMap<Key<'a>, Vec<&'a Loose<'p>>> = BTreeMap::new();
    for file in disk {
        groups
            .entry((&file.place, file.size, file.head))
            .or_default()
            .push(file);
    }
    groups.into_values().filter(|g| g.len() > 1).collect()
}

/// An entry of a zip on disk, from its central directory.
struct Entry {
    origin: Origin,
    size: u64,
    crc: u32,
    place: Option<String>,
}

#[derive(Default)]
struct Finder {
    set_aside: HashMap<Origin, SetAside>,
}

impl Finder {
    /// Loose files of the same place and size with the same xxh3-128.
    fn loose_identical(&mut self, disk: &[Loose<'_>]) {
        let groups = same_size_and_head(disk);
        let hashed: Vec<Vec<(&Loose<'_>, u128)>> = groups
            .into_par_iter()
            .map(|group| {
                group
                    .into_iter()
                    .filter_map(|f| Some((f, digest(f.path, f.size, false).ok()?.0)))
                    .collect()
            })
            .collect();
        for mut group in hashed {
            group.sort_by(|a, b| rank(&a.0.origin).cmp(&rank(&b.0.origin)));
            let mut kept: Vec<(&Loose<'_>, u128)> = Vec::new();
            for (file, hash) in group {
                match kept.iter().find(|(_, h)| *h == hash) {
                    Some((first, _)) => {
                        self.aside(&file.origin, &first.origin, Sameness::Identical)
                    }
                    None => kept.push((file, hash)),
                }
            }
        }
    }

    /// Loose files whose bytes begin a longer loose file of the same place:
    /// each compared with the next longer file that has the same first
    /// [`HEAD`] bytes (a copy of a growing log is a prefix of the later one).
    fn loose_shorter_copies(&mut self, disk: &[Loose<'_>]) {
        let mut by_head: BTreeMap<(&Option<String>, u64), Vec<&Loose<'_>>> = BTreeMap::new();
        for file in disk {
            if let (Some(head), false) = (file.head, self.set_aside.contains_key(&file.origin)) {
                by_head.entry((&file.place, head)).or_default().push(file);
            }
        }
        let pairs: Vec<(&Loose<'_>, &Loose<'_>)> = by_head
            .into_values()
            .filter(|g| g.len() > 1)
            .flat_map(|mut group| {
                group.sort_by(|a, b| (a.size, &a.origin).cmp(&(b.size, &b.origin)));
                let mut pairs = Vec::new();
                for (i, short) in group.iter().enumerate() {
                    if let Some(long) = group[i + 1..].iter().find(|l| l.size > short.size) {
                        pairs.push((*short, *long));
                    }
                }
                pairs
            })
            .collect();
        let shorter: Vec<(&Loose<'_>, &Loose<'_>)> = pairs
            .into_par_iter()
            .filter(|(short, long)| {
                let whole = digest(short.path, short.size, false);
                let start = digest(long.path, short.size, false);
                matches!((whole, start), (Ok(a), Ok(b)) if a.0 == b.0)
            })
            .collect();
        for (short, long) in shorter {
            self.aside(&short.origin, &long.origin, Sameness::ShorterCopy);
        }
    }

    /// Entries of zips on disk that are the same as a loose file or an
    /// earlier entry of the same place: same size and CRC-32.
    fn entries_identical(&mut self, disk: &[Loose<'_>], entries: Vec<Entry>) {
        if entries.is_empty() {
            return;
        }
        enum Member<'a, 'p> {
            Loose(&'a Loose<'p>),
            Entry(Entry),
        }
        let mut by_size: BTreeMap<(Option<String>, u64), Vec<Member<'_, '_>>> = BTreeMap::new();
        for entry in entries {
            by_size
                .entry((entry.place.clone(), entry.size))
                .or_default()
                .push(Member::Entry(entry));
        }
        for file in disk {
            if self.set_aside.contains_key(&file.origin) {
                continue;
            }
            if let Some(group) = by_size.get_mut(&(file.place.clone(), file.size)) {
                group.push(Member::Loose(file));
            }
        }
        let groups: Vec<Vec<Member<'_, '_>>> =
            by_size.into_values().filter(|g| g.len() > 1).collect();
        // (origin, depth, crc) of each member; a loose file's CRC-32 computed.
        let keyed: Vec<Vec<(Origin, u32)>> = groups
            .into_par_iter()
            .map(|group| {
                let mut keyed: Vec<(Origin, u32)> = group
                    .into_iter()
                    .filter_map(|m| match m {
                        Member::Entry(e) => Some((e.origin, e.crc)),
                        Member::Loose(f) => {
                            let (_, crc) = digest(f.path, f.size, true).ok()?;
                            Some((f.origin.clone(), crc))
                        }
                    })
                    .collect();
                keyed.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)));
                keyed
            })
            .collect();
        for group in keyed {
            let mut kept: Vec<&(Origin, u32)> = Vec::new();
            for member in &group {
                match kept.iter().find(|k| k.1 == member.1) {
                    // Two loose files were compared by their xxh3 already.
                    Some(first) if first.0.depth() + member.0.depth() > 0 => {
                        self.aside(&member.0, &first.0, Sameness::Identical)
                    }
                    _ => kept.push(member),
                }
            }
        }
    }

    fn aside(&mut self, origin: &Origin, kept: &Origin, how: Sameness) {
        self.set_aside.insert(
            origin.clone(),
            SetAside {
                kept: kept.clone(),
                how,
            },
        );
    }
}

/// The server where `origin` sits, as the inventory names it
/// ([`server_hint`]), with the names Windows gives copies taken off first:
/// `EX01-1126 (2).zip` sits where `EX01-1126.zip` does.
fn place(origin: &Origin) -> Option<String> {
    let links: Vec<String> = origin
        .links()
        .iter()
        .map(|link| {
            link.split_inclusive(['/', '\\'])
                .map(without_copy_suffix)
                .collect()
        })
        .collect();
    let mut plain = Origin::file(links.first().cloned().unwrap_or_default());
    for link in links.iter().skip(1) {
        plain = plain.child(link.clone());
    }
    server_hint(&plain)
}

/// A path segment without the suffix Windows gives a copy: `Security (2).evtx`,
/// `Security - Copy.evtx`, `Security - Copy (3).evtx` → `Security.evtx` (the
/// separator after the segment, if any, kept).
fn without_copy_suffix(segment: &str) -> String {
    let (name, sep) = match segment.strip_suffix(['/', '\\']) {
        Some(name) => (name, &segment[name.len()..]),
        None => (segment, ""),
    };
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    let mut stem = stem;
    let numbered = |s: &str| -> Option<usize> {
        let inner = s.strip_suffix(')')?;
        let open = inner.rfind(" (")?;
        let digits = &inner[open + 2..];
        (!digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(open)
    };
    if let Some(at) = numbered(stem) {
        stem = &stem[..at];
    }
    for copy in [
        " - Copy", " - copy", " - Kopie", " - kopie", " - Copie", " - copie",
    ] {
        if let Some(rest) = stem.strip_suffix(copy) {
            stem = rest;
            break;
        }
    }
    format!("{stem}{ext}{sep}")
}

/// The order in which copies are chosen to be read, first first: loose
/// files before archive entries, then the shortest origin, then the smallest.
pub fn rank(origin: &Origin) -> (usize, usize, &Origin) {
    let len = origin.links().iter().map(String::len).sum::<usize>();
    (origin.depth(), len, origin)
}

/// Lists up to `room` file entries of the zip `file` (from its central
/// directory; nothing is inflated) into `out`; returns how many.
fn zip_entries(file: &Loose<'_>, room: usize, out: &mut Vec<Entry>) -> usize {
    let Ok(archive) = File::open(file.path)
        .map(io::BufReader::new)
        .map_err(zip::result::ZipError::Io)
        .and_then(zip::ZipArchive::new)
    else {
        return 0;
    };
    let mut listed = 0;
    for index in 0..archive.len() {
        if listed >= room {
            break;
        }
        let Ok(entry) = archive.by_index_data(index) else {
            continue;
        };
        listed += 1;
        if entry.is_dir() || entry.is_symlink() || entry.size() == 0 {
            continue;
        }
        // Named as the walk names it (`archive::zip_entry`).
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
        };
        let origin = file.origin.child(name);
        out.push(Entry {
            place: place(&origin),
            size: entry.size(),
            crc: entry.crc32(),
            origin,
        });
    }
    listed
}

/// xxh3-128 of the first `len` bytes of the file at `path` (and their
/// CRC-32 with `crc`), read in large pieces.
fn digest(path: &Path, len: u64, crc: bool) -> io::Result<(u128, u32)> {
    let mut reader = File::open(path)?.take(len);
    let mut hash = Xxh3Default::new();
    let mut crc32 = crc.then(crc32fast::Hasher::new);
    let mut buffer = vec![0u8; 256 << 10];
    let mut read = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hash.update(&buffer[..n]);
        if let Some(crc32) = &mut crc32 {
            crc32.update(&buffer[..n]);
        }
        read += n as u64;
    }
    if read != len {
        // Changed since it was listed: no claim about it.
        return Err(io::Error::other("file changed while read"));
    }
    Ok((hash.digest128(), crc32.map_or(0, |c| c.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn plan(dir: &Path) -> Vec<DiskFile> {
        let mut files: Vec<DiskFile> = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| DiskFile {
                shown: e.path().to_string_lossy().into_owned(),
                size: e.metadata().unwrap().len(),
                path: e.into_path(),
            })
            .collect();
        files.sort_by(|a, b| a.shown.cmp(&b.shown));
        files
    }

    fn origin(dir: &Path, rel: &str) -> Origin {
        Origin::file(dir.join(rel).to_string_lossy().into_owned())
    }

    fn write(dir: &Path, rel: &str, bytes: &[u8]) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn a_second_copy_is_set_aside_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let log = b"#Software: Microsoft Exchange Server\r\nrow\r\n".repeat(200);
        write(d, "EX01/SEND-1.LOG", &log);
        write(d, "EX01/SEND-1 (2).LOG", &log);
        write(d, "EX01/other.LOG", &[b'x'; 20]);
        write(d, "EX01/same-size.LOG", &[b'y'; 20]);
        let found = Duplicates::find(&plan(d), &Limits::default());
        assert_eq!(found.len(), 1);
        let aside = found.get(&origin(d, "EX01/SEND-1 (2).LOG")).unwrap();
        assert_eq!(aside.kept, origin(d, "EX01/SEND-1.LOG"));
        assert_eq!(aside.how, Sameness::Identical);
    }

    /// Files of one size are hashed whole only when their first bytes agree: logs that roll at
    /// one size share it without being copies.
    #[test]
    fn only_files_alike_in_their_head_are_hashed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let row = |c: u8| [&[c][..], &b",row\r\n".repeat(1000)].concat();
        write(d, "EX01/SEND-1.LOG", &row(b'a'));
        write(d, "EX01/SEND-2.LOG", &row(b'b'));
        write(d, "EX01/SEND-2 (2).LOG", &row(b'b'));
        write(d, "EX01/x.txt", b"small");
        write(d, "EX01/y.txt", b"short");
        let files = plan(d);
        let disk: Vec<Loose<'_>> = files.iter().map(|f| Loose::open(f).unwrap()).collect();
        let mut groups: Vec<Vec<String>> = same_size_and_head(&disk)
            .into_iter()
            .map(|g| g.iter().map(|f| f.origin.to_string()).collect())
            .collect();
        groups.sort();
        let name = |rel: &str| origin(d, rel).to_string();
        // The two small files have no head to tell them apart: they are hashed.
        assert_eq!(
            groups,
            [
                vec![name("EX01/SEND-2 (2).LOG"), name("EX01/SEND-2.LOG")],
                vec![name("EX01/x.txt"), name("EX01/y.txt")],
            ]
        );
        let found = Duplicates::find(&files, &Limits::default());
        assert_eq!(found.len(), 1);
        assert_eq!(
            found.get(&origin(d, "EX01/SEND-2 (2).LOG")).unwrap().kept,
            origin(d, "EX01/SEND-2.LOG")
        );
    }

    #[test]
    fn reasons_read_back() {
        for how in [Sameness::Identical, Sameness::ShorterCopy] {
            let aside = SetAside {
                kept: Origin::file("in/EX01-1126.zip").child("odd: name (2).LOG"),
                how,
            };
            assert_eq!(SetAside::from_reason(&aside.reason()), Some(aside));
        }
        assert_eq!(SetAside::from_reason("permission denied"), None);
    }

    #[test]
    fn copy_suffixes_come_off_for_the_place() {
        for (name, plain) in [
            ("Security (2).evtx", "Security.evtx"),
            ("Security - Copy.evtx", "Security.evtx"),
            ("Security - Copy (3).evtx", "Security.evtx"),
            ("EX01-1126 (2)/", "EX01-1126/"),
            ("SEND (x).LOG", "SEND (x).LOG"),
            ("(2)", "(2)"),
            ("résumé (2).txt", "résumé.txt"),
        ] {
            assert_eq!(without_copy_suffix(name), plain);
        }
        let zip = Origin::file("in/EX01-1126 (2).zip").child("Hub_Send_Protocol_Logs.zip");
        assert_eq!(place(&zip), Some("EX01".into()));
    }

    #[test]
    fn the_same_bytes_under_two_servers_are_both_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "EX01/EX01_setspn-X.txt", b"Checking domain DC=contoso");
        write(d, "EX02/EX02_setspn-X.txt", b"Checking domain DC=contoso");
        assert!(Duplicates::find(&plan(d), &Limits::default()).is_empty());
    }

    #[test]
    fn a_shorter_copy_of_a_growing_log_is_set_aside_for_the_longer() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let log: Vec<u8> = (0..2000)
            .flat_map(|i| format!("2026-11-26T07:00:{:02}.000Z,row {i}\r\n", i % 60).into_bytes())
            .collect();
        write(d, "EX01/SEND-1.LOG", &log[..log.len() / 2 + 7]);
        write(d, "EX01/SEND-1 (2).LOG", &log);
        let mut other = log.clone();
        other.truncate(log.len() / 3);
        other.extend_from_slice(b"different from here on");
        write(d, "EX01/SEND-2.LOG", &other);
        let found = Duplicates::find(&plan(d), &Limits::default());
        assert_eq!(found.len(), 1);
        let aside = found.get(&origin(d, "EX01/SEND-1.LOG")).unwrap();
        assert_eq!(aside.kept, origin(d, "EX01/SEND-1 (2).LOG"));
        assert_eq!(aside.how, Sameness::ShorterCopy);
    }

    #[test]
    fn zip_entries_are_the_same_as_the_loose_files_they_were_unzipped_to() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let files: [(&str, Vec<u8>); 2] = [
            (
                "Hub_Send_Protocol_Logs.zip",
                b"PK\x03\x04 inner zip bytes".to_vec(),
            ),
            ("EX01_w32tm.txt", b"Leap Indicator: 0(no warning)".to_vec()),
        ];
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in &files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
            write(d, &format!("EX01-1126/{name}"), bytes);
        }
        write(d, "EX01-1126.zip", &zip.finish().unwrap().into_inner());
        let found = Duplicates::find(&plan(d), &Limits::default());
        assert_eq!(found.len(), 2, "{found:?}");
        for (name, _) in &files {
            let entry = origin(d, "EX01-1126.zip").child(*name);
            let aside = found.get(&entry).unwrap();
            assert_eq!(aside.kept, origin(d, &format!("EX01-1126/{name}")));
        }
    }

    #[test]
    fn a_copy_of_a_zip_is_set_aside_whole_and_its_entries_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"some text").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        write(d, "EX01-1126.zip", &bytes);
        write(d, "EX01-1126 (2).zip", &bytes);
        let found = Duplicates::find(&plan(d), &Limits::default());
        assert_eq!(found.len(), 1, "{found:?}");
        let aside = found.get(&origin(d, "EX01-1126 (2).zip")).unwrap();
        assert_eq!(aside.kept, origin(d, "EX01-1126.zip"));
    }
}
