//! Issue 9: files that change under exauth's feet, through the library's
//! discovery (plan, then run): a file deleted between the two, one that grows
//! while it is read, one replaced by a folder. Each is reported with its
//! origin and the walk goes on to the other files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth::discover::{self, Artifact, ArtifactVisitor, Limits, Origin};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Default)]
struct Recorder {
    /// (origin, bytes read to the end).
    read: Mutex<Vec<(String, u64)>>,
    /// (origin, reason).
    failed: Mutex<Vec<(String, String)>>,
    /// A file to append to when it is visited, before it is read.
    grow: Option<PathBuf>,
}

impl ArtifactVisitor for Recorder {
    fn visit(&self, artifact: &Artifact<'_>, content: &mut dyn Read) {
        if let (Some(grow), Some(path)) = (&self.grow, artifact.path) {
            if grow == path {
                let mut file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(path)
                    .expect("open for append");
                file.write_all(&vec![b'x'; 1 << 20]).expect("append");
            }
        }
        let n = std::io::copy(content, &mut std::io::sink()).expect("read to the end");
        self.read
            .lock()
            .unwrap()
            .push((artifact.origin.to_string(), n));
    }

    fn duplicate(&self, artifact: &Artifact<'_>, set_aside: &discover::duplicates::SetAside) {
        self.failed
            .lock()
            .unwrap()
            .push((artifact.origin.to_string(), set_aside.reason()));
    }

    fn failed(&self, origin: &Origin, _: Option<String>, _: Option<u64>, reason: String) {
        self.failed
            .lock()
            .unwrap()
            .push((origin.to_string(), reason));
    }
}

fn two_files() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    std::fs::write(&a, "first\n").expect("write");
    std::fs::write(&b, "second\n").expect("write");
    (dir, a, b)
}

fn ends_with(list: &[(String, impl Sized)], path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    list.iter()
        .any(|(origin, _)| origin.ends_with(name.as_ref()))
}

#[test]
fn file_deleted_between_plan_and_run_is_reported() {
    let (dir, a, b) = two_files();
    let recorder = Recorder::default();
    let plan = discover::plan(&[dir.path().to_path_buf()], &recorder);
    assert_eq!(plan.file_count(), 2);
    std::fs::remove_file(&a).expect("delete");
    discover::run(&plan, &Limits::default(), &recorder);

    let failed = recorder.failed.into_inner().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].0.ends_with("a.txt"), "{failed:?}");
    assert_eq!(failed[0].1, "no such file or directory");
    let read = recorder.read.into_inner().unwrap();
    assert!(ends_with(&read, &b), "the other file is read: {read:?}");
}

#[test]
fn file_that_grows_while_read_is_read_to_its_new_end() {
    let (dir, a, b) = two_files();
    let recorder = Recorder {
        grow: Some(a.clone()),
        ..Recorder::default()
    };
    let plan = discover::plan(&[dir.path().to_path_buf()], &recorder);
    discover::run(&plan, &Limits::default(), &recorder);

    let read = recorder.read.into_inner().unwrap();
    let grown = read
        .iter()
        .find(|(origin, _)| origin.ends_with("a.txt"))
        .expect("a.txt read");
    assert_eq!(grown.1, 6 + (1 << 20), "read to the end it had when read");
    assert!(ends_with(&read, &b));
    assert!(recorder.failed.into_inner().unwrap().is_empty());
}

#[test]
fn file_replaced_by_a_folder_between_plan_and_run_is_reported() {
    let (dir, a, b) = two_files();
    let recorder = Recorder::default();
    let plan = discover::plan(&[dir.path().to_path_buf()], &recorder);
    std::fs::remove_file(&a).expect("delete");
    std::fs::create_dir(&a).expect("mkdir");
    discover::run(&plan, &Limits::default(), &recorder);

    let failed = recorder.failed.into_inner().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].0.ends_with("a.txt"), "{failed:?}");
    assert!(!failed[0].1.is_empty());
    assert!(ends_with(&recorder.read.into_inner().unwrap(), &b));
}

#[cfg(unix)]
#[test]
fn fifo_is_reported_not_opened() {
    let (dir, _, b) = two_files();
    let fifo = dir.path().join("pipe.LOG");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: mkfifo not available; skipped");
        return;
    }
    let recorder = Recorder::default();
    // Both as a folder's entry and named directly.
    let plan = discover::plan(&[dir.path().to_path_buf(), fifo.clone()], &recorder);
    discover::run(&plan, &Limits::default(), &recorder);
    let failed = recorder.failed.into_inner().unwrap();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for (origin, reason) in &failed {
        assert!(origin.ends_with("pipe.LOG"), "{origin}");
        assert!(reason.contains("not a regular file"), "{reason}");
    }
    assert!(ends_with(&recorder.read.into_inner().unwrap(), &b));
}
