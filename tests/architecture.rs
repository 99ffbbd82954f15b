//! Issue 12: the pipeline's shape is enforced here, not claimed in a comment.
//!
//! The `exauth` crate is a stack of stages; a stage may use the stages below
//! it and never one above (`discover` knows nothing of evidence, rules never
//! render, nothing below the CLI reads flags). This test reads every `crate::`
//! and `super::` path in `src/` (comments left out), maps it to the top-level
//! module it names, and fails on any import that points up the stack — which
//! also rules out every cycle between stages. It also fails when a new
//! top-level module is not placed in [`STAGES`], and when the `parsers`
//! crate mentions the `exauth` crate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stages, lowest first. A module may import only modules listed before
/// it (and itself). `model` is the shared vocabulary under everything;
/// `progress` a leaf utility; `evidence` the fact vocabulary, below `ingest`
/// because each input module turns its records into those facts; `synth`
/// generates collections and uses nothing of the analysis.
const STAGES: &[&str] = &[
    "model",
    "progress",
    "discover",
    "inventory",
    "evidence",
    "ingest",
    "pipeline",
    "correlate",
    "diagnose",
    "report",
    "synth",
    "cli",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments (line and block), so that doc links and
/// prose do not count as imports. String literals are kept: a path inside
/// one is rare and would only make the test stricter.
fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut depth = 1;
                let mut prev = ' ';
                for c in chars.by_ref() {
                    match (prev, c) {
                        ('*', '/') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            prev = ' ';
                            continue;
                        }
                        ('/', '*') => depth += 1,
                        _ => {}
                    }
                    prev = c;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The top-level module a file belongs to (`src/correlate/case.rs` →
/// `correlate`); `None` for the crate roots.
fn stage_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The top-level modules that `code` refers to through `crate::` paths,
/// `use crate::{a, b::c}` groups and `super::super::…` climbing out of its
/// own stage. `depth` is how deep the file sits below `src/` (a file in
/// `src/correlate/` is depth 1: one `super` from a submodule file reaches
/// its stage's root).
fn referenced_stages(code: &str, depth: usize) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut at = 0;
    while let Some(pos) = code[at..].find("crate::") {
        let start = at + pos;
        at = start + "crate::".len();
        // `exauth_crate::` or `my_crate::` are not the `crate` keyword.
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let rest = &code[at..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first segment of each entry
            // at the top level of the group.
            let mut level = 0;
            let mut entry_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => level += 1,
                    '}' if level == 0 => break,
                    '}' => level -= 1,
                    ',' if level == 0 => entry_start = true,
                    c if entry_start && (c.is_alphanumeric() || c == '_') => {
                        found.insert(ident(&group[i..]));
                        entry_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    // `super::super::x` from a file `depth` levels down names stage `x` when
    // it climbs to the crate root.
    if depth >= 1 {
        let climb = "super::".repeat(depth + 1);
        let mut at = 0;
        while let Some(pos) = code[at..].find(&climb) {
            at += pos + climb.len();
            let name = ident(&code[at..]);
            if !name.is_empty() && name != "super" {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn every_import_points_down_the_pipeline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let rank: BTreeMap<&str, usize> = STAGES.iter().enumerate().map(|(i, s)| (*s, i)).collect();

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unplaced = BTreeSet::new();
    let mut against = Vec::new();
    for file in &files {
        let Some(stage) = stage_of(&src, file) else {
            continue;
        };
        if !rank.contains_key(stage.as_str()) {
            unplaced.insert(stage.clone());
            continue;
        }
        let depth = file
            .strip_prefix(&src)
            .expect("under src")
            .components()
            .count()
            - 1;
        let code = strip_comments(&std::fs::read_to_string(file).expect("readable"));
        for target in referenced_stages(&code, depth) {
            if target == stage || !rank.contains_key(target.as_str()) {
                // Items of the crate root (`crate::Exit`) and the stage itself.
                continue;
            }
            if rank[target.as_str()] > rank[stage.as_str()] {
                against.push(format!(
                    "{} ({stage}) imports {target}, a later stage",
                    file.strip_prefix(root).expect("under root").display()
                ));
            }
            edges.entry(stage.clone()).or_default().insert(target);
        }
    }
    assert!(
        unplaced.is_empty(),
        "top-level modules not placed in STAGES: {unplaced:?}"
    );
    assert!(
        against.is_empty(),
        "imports against the stage order {STAGES:?}:\n  {}",
        against.join("\n  ")
    );
    // With every edge pointing down, there is no cycle; say so explicitly,
    // in case the order above is ever loosened.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        node: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) {
        match state.get(node) {
            Some(2) => return,
            Some(1) => panic!("module cycle: {} → {node}", path.join(" → ")),
            _ => {}
        }
        state.insert(node, 1);
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, state, path);
        }
        path.pop();
        state.insert(node, 2);
    }
    for node in edges.keys() {
        visit(node, &edges, &mut state, &mut Vec::new());
    }
    assert!(
        edges.get("model").is_none_or(|e| e.is_empty()),
        "model imports {:?}",
        edges.get("model")
    );
}

#[test]
fn the_parsers_know_nothing_of_exauth() {
    let parsers = Path::new(env!("CARGO_MANIFEST_DIR")).join("parsers");
    let manifest = std::fs::read_to_string(parsers.join("Cargo.toml")).expect("manifest");
    let depends = manifest
        .lines()
        .any(|l| l.trim_start().starts_with("exauth ") || l.trim_start().starts_with("exauth="));
    assert!(!depends, "parsers/Cargo.toml depends on exauth");
    let mut files = Vec::new();
    rust_files(&parsers.join("src"), &mut files);
    for file in files {
        let code = strip_comments(&std::fs::read_to_string(&file).expect("readable"));
        assert!(
            !code.contains("exauth::"),
            "{} uses the exauth crate",
            file.display()
        );
    }
}

#[test]
fn the_reader_sees_what_it_must() {
    // The test's own reader, on the forms it must catch.
    let code = strip_comments(
        "use crate::{evidence::Fact, model};\n// use crate::report;\nlet x = crate::diagnose::run();\n/* crate::cli */ let s = \"crate::synth\";",
    );
    let found = referenced_stages(&code, 1);
    for stage in ["evidence", "model", "diagnose", "synth"] {
        assert!(found.contains(stage), "{stage} in {found:?}");
    }
    assert!(
        !found.contains("report") && !found.contains("cli"),
        "{found:?}"
    );
    let climbed = referenced_stages("use super::super::report::x;", 1);
    assert!(climbed.contains("report"), "{climbed:?}");
}
