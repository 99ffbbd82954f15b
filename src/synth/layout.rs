//! How a generated collection is laid out on disk.
//!
//! * `flat`: a folder per machine (what an admin zips up by hand).
//! * `elc`: ExchangeLogCollector's shape, a `<SERVER>-<Md>.zip` per Exchange
//!   server holding a zip per log folder (`Hub_Send_Protocol_Logs.zip`, …,
//!   `Windows_Event_Logs.zip` with `Windows-Logs/*.evtx`,
//!   `Exchange_Server_Data.zip`); what the admin added by hand (command
//!   outputs) and the DCs' logs stay in plain folders beside them.
//! * `zip`: the flat layout in one `collection.zip`.
//! * `handover`: no collection at all, but what an admin pastes into a
//!   ticket (`ticket/`, see [`super::handover`]).
//!
//! Zips are built from the flat layout in a staging folder, streamed entry by
//! entry (never a whole log in memory), in sorted order with a fixed
//! timestamp, so the bytes do not depend on the machine or the day.

use super::world::World;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Elc,
    Flat,
    Zip,
    Handover,
}

impl Layout {
    pub const ALL: [Layout; 4] = [Layout::Elc, Layout::Flat, Layout::Zip, Layout::Handover];

    pub fn name(self) -> &'static str {
        match self {
            Layout::Elc => "elc",
            Layout::Flat => "flat",
            Layout::Zip => "zip",
            Layout::Handover => "handover",
        }
    }

    pub fn from_name(name: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// The folders ExchangeLogCollector zips one by one.
const ELC_FOLDERS: &[&str] = &[
    "Exchange_Server_Data",
    "FE_Receive_Protocol_Logs",
    "Hub_Receive_Protocol_Logs",
    "Hub_Send_Protocol_Logs",
    "Windows_Event_Logs",
];

/// Files below `dir`, relative, `/`-separated, sorted.
fn files_below(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).map_err(io::Error::other)?;
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    out.sort();
    Ok(out)
}

fn options(world: &World, method: CompressionMethod) -> SimpleFileOptions {
    // The collection's end in local time, as the collector stamps entries.
    let local = world.wall.local(world.end);
    let when = DateTime::from_date_and_time(
        local.year() as u16,
        local.month() as u8,
        local.day() as u8,
        local.hour() as u8,
        local.minute() as u8,
        local.second() as u8,
    )
    .unwrap_or_default();
    SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(when)
        .unix_permissions(0o644)
        .large_file(false)
}

/// Zips `files` (relative to `base`) into `target`.
fn zip_files(
    world: &World,
    base: &Path,
    files: &[String],
    target: &Path,
    method: CompressionMethod,
) -> io::Result<()> {
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut zip = ZipWriter::new(BufWriter::new(File::create(target)?));
    let large = SimpleFileOptions::large_file(options(world, method), true);
    for name in files {
        let path = base.join(name);
        let len = std::fs::metadata(&path)?.len();
        let opts = if len >= 0xFFFF_FFFF {
            large
        } else {
            options(world, method)
        };
        zip.start_file(name.as_str(), opts)
            .map_err(io::Error::other)?;
        io::copy(&mut File::open(&path)?, &mut zip)?;
    }
    let mut out = zip.finish().map_err(io::Error::other)?;
    out.flush()
}

/// Moves `from` to `to`, creating folders.
fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::rename(from, to)
}

/// Turns the flat layout in `staging` into `layout` in `out`, removing
/// `staging` when it is not `out` itself.
pub fn arrange(world: &World, layout: Layout, staging: &Path, out: &Path) -> io::Result<()> {
    match layout {
        Layout::Flat | Layout::Handover => return Ok(()),
        Layout::Zip => {
            let files = files_below(staging)?;
            zip_files(
                world,
                staging,
                &files,
                &out.join("collection.zip"),
                CompressionMethod::Deflated,
            )?;
        }
        Layout::Elc => {
            let local = world.wall.local(world.end);
            for host in &world.exchange {
                let dir = staging.join(&host.name);
                if !dir.exists() {
                    continue;
                }
                let inner_dir = staging.join(format!(".{}-zips", host.name));
                let mut inner = Vec::new();
                for folder in ELC_FOLDERS {
                    let src = dir.join(folder);
                    if !src.exists() {
                        continue;
                    }
                    let files = files_below(&src)?;
                    let name = format!("{folder}.zip");
                    zip_files(
                        world,
                        &src,
                        &files,
                        &inner_dir.join(&name),
                        CompressionMethod::Deflated,
                    )?;
                    inner.push(name);
                    std::fs::remove_dir_all(&src)?;
                }
                inner.sort();
                let outer = out.join(format!(
                    "{}-{}{}.zip",
                    host.name,
                    local.month(),
                    local.day()
                ));
                zip_files(world, &inner_dir, &inner, &outer, CompressionMethod::Stored)?;
                std::fs::remove_dir_all(&inner_dir)?;
            }
            // Everything else (command outputs, DC logs) as plain files.
            for name in files_below(staging)? {
                let to: PathBuf = out.join(&name);
                move_file(&staging.join(&name), &to)?;
            }
        }
    }
    std::fs::remove_dir_all(staging)
}
