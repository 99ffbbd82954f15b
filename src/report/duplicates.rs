//! Copies set aside, as every report's coverage says them: the files not read
//! because another copy was (a line per copy read, naming the copies), and
//! the records set aside inside files that were read.

use crate::discover::duplicates::{Sameness, SetAside};
use crate::inventory::{Inventory, Status};
use exauth_parsers::problem::thousands;
use serde::Serialize;
use std::collections::BTreeMap;

/// Groups of copies listed one by one; beyond, one counted line (the
/// inventory lists every copy).
pub const GROUPS_SHOWN: usize = 100;

/// The copies set aside in a run.
#[derive(Debug, Default, Serialize)]
pub struct DuplicatesReport {
    /// Files not read because another copy of them was.
    pub files: u64,
    /// Per copy read, the copies of it not read again (by the copy read);
    /// the first [`GROUPS_SHOWN`].
    pub groups: Vec<DuplicateGroup>,
    /// The groups beyond those, as one counted line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<String>,
    /// Files that were read, with the records in them set aside as copies
    /// of records read (earlier in the file, or from another file).
    pub records: Vec<RecordsSetAside>,
}

/// A copy that was read and the copies of it that were not.
#[derive(Debug, Serialize)]
pub struct DuplicateGroup {
    /// The copy read.
    pub kept: String,
    /// `identical`, or `shorter-copy` (the copies' bytes are the start of it).
    pub how: &'static str,
    pub copies: Vec<String>,
}

/// Records set aside inside one file.
#[derive(Debug, Serialize)]
pub struct RecordsSetAside {
    pub origin: String,
    /// What was set aside and why (`3,012 duplicate events (same
    /// EventRecordID) set aside`).
    pub note: String,
}

impl DuplicatesReport {
    pub fn is_empty(&self) -> bool {
        self.files == 0 && self.records.is_empty()
    }

    /// Every line of it as a sentence, each origin through `escape`.
    pub fn sentences(&self, escape: impl Fn(&str) -> String) -> Vec<String> {
        let mut lines: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                let copies: Vec<String> = g.copies.iter().map(|c| escape(c)).collect();
                let relation = match g.how {
                    "shorter-copy" => "shorter copies of",
                    _ => "same content as",
                };
                format!(
                    "{relation} {}: {} — not read again",
                    escape(&g.kept),
                    copies.join(", ")
                )
            })
            .collect();
        lines.extend(self.more.iter().cloned());
        lines.extend(
            self.records
                .iter()
                // The note names files too (the copy read): escaped whole.
                .map(|r| format!("{} in {}", escape(&r.note), escape(&r.origin))),
        );
        lines
    }
}

/// The copies set aside, from the inventory: its `duplicate` rows (each
/// names the copy read in its reason) and the notes of the rows read.
pub fn build(inventory: &Inventory) -> DuplicatesReport {
    let mut groups: BTreeMap<(String, &'static str), Vec<String>> = BTreeMap::new();
    let mut files = 0u64;
    for row in inventory
        .rows
        .iter()
        .filter(|r| r.status == Status::Duplicate)
    {
        files += 1;
        let Some(aside) = row.reason.as_deref().and_then(SetAside::from_reason) else {
            continue;
        };
        let how = match aside.how {
            Sameness::Identical => "identical",
            Sameness::ShorterCopy => "shorter-copy",
        };
        groups
            .entry((aside.kept.to_string(), how))
            .or_default()
            .push(row.origin.to_string());
    }
    let total_groups = groups.len();
    let mut shown: Vec<DuplicateGroup> = Vec::new();
    let mut hidden_copies = 0usize;
    for ((kept, how), copies) in groups {
        if shown.len() < GROUPS_SHOWN {
            shown.push(DuplicateGroup { kept, how, copies });
        } else {
            hidden_copies += copies.len();
        }
    }
    let more = (total_groups > GROUPS_SHOWN).then(|| {
        format!(
            "{} more duplicate files, copies of {} files read (`exauth inventory` lists each)",
            thousands(hidden_copies as u64),
            thousands((total_groups - GROUPS_SHOWN) as u64)
        )
    });
    let records = inventory
        .rows
        .iter()
        .filter_map(|r| {
            Some(RecordsSetAside {
                origin: r.origin.to_string(),
                note: r.set_aside.clone()?,
            })
        })
        .collect();
    DuplicatesReport {
        files,
        groups: shown,
        more,
        records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Origin;
    use crate::inventory::Row;
    use exauth_parsers::detect::Kind;

    fn copy(origin: &str, kept: &str) -> Row {
        Row {
            origin: Origin::parse(origin),
            kind: Kind::EVTX,
            server: None,
            encoding: None,
            bytes: 1,
            status: Status::Duplicate,
            reason: Some(
                SetAside {
                    kept: Origin::parse(kept),
                    how: Sameness::Identical,
                }
                .reason(),
            ),
            set_aside: None,
        }
    }

    #[test]
    fn a_line_per_copy_read_then_one_counted_line() {
        let mut rows = vec![
            copy("EX01/Security (2).evtx", "EX01/Security.evtx"),
            copy("EX01/Security - Copy.evtx", "EX01/Security.evtx"),
        ];
        for i in 0..GROUPS_SHOWN + 10 {
            rows.push(copy(
                &format!("x/f{i:03} (2).txt"),
                &format!("x/f{i:03}.txt"),
            ));
            rows.push(copy(
                &format!("x/f{i:03} (3).txt"),
                &format!("x/f{i:03}.txt"),
            ));
        }
        let report = build(&Inventory {
            rows,
            ..Inventory::default()
        });
        assert_eq!(report.files, 2 + 2 * (GROUPS_SHOWN as u64 + 10));
        let lines = report.sentences(|t| t.to_string());
        assert_eq!(
            lines[0],
            "same content as EX01/Security.evtx: EX01/Security (2).evtx, EX01/Security - Copy.evtx — not read again"
        );
        assert_eq!(lines.len(), GROUPS_SHOWN + 1);
        assert_eq!(
            lines[GROUPS_SHOWN],
            "22 more duplicate files, copies of 11 files read (`exauth inventory` lists each)"
        );
    }
}
