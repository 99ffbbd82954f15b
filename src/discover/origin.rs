//! Where an artifact came from: a chain of containers down to the file.

use serde::{Serialize, Serializer};
use std::fmt;

/// The chain of containers an artifact sits in, outermost first:
/// `collection.zip!EX01-1126.zip!Hub_Send_Protocol_Logs.zip!SEND20261126-1.LOG`.
///
/// The first link is a path on disk as the user named it (or below a folder
/// the user named); each further link is an entry name inside the archive
/// before it, as stored (it may contain `/`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    links: Vec<String>,
}

impl Origin {
    pub fn file(path: impl Into<String>) -> Self {
        Origin {
            links: vec![path.into()],
        }
    }

    /// The origin of an entry named `name` inside this artifact.
    pub fn child(&self, name: impl Into<String>) -> Self {
        let mut links = self.links.clone();
        links.push(name.into());
        Origin { links }
    }

    /// Reads back the printed form (`a.zip!b.zip!c.LOG`). An entry name that
    /// itself contains `!` cannot be told apart; it comes back split.
    pub fn parse(text: &str) -> Origin {
        Origin {
            links: text.split('!').map(str::to_string).collect(),
        }
    }

    /// The archive this artifact is an entry of (`None` for a plain file).
    pub fn parent(&self) -> Option<Origin> {
        match self.links.split_last() {
            Some((_, parent)) if !parent.is_empty() => Some(Origin {
                links: parent.to_vec(),
            }),
            _ => None,
        }
    }

    pub fn links(&self) -> &[String] {
        &self.links
    }

    /// How many archives deep this artifact is (0 for a plain file).
    pub fn depth(&self) -> usize {
        self.links.len() - 1
    }

    /// The artifact's own file name (last path segment of the last link).
    pub fn file_name(&self) -> &str {
        let last = self.links.last().map(String::as_str).unwrap_or("");
        last.rsplit(['/', '\\']).next().unwrap_or(last)
    }

    /// Every path segment along the chain, outermost first, with a flag that
    /// says whether the segment is the last one of its link (a file or
    /// archive rather than a folder).
    pub fn segments(&self) -> impl Iterator<Item = (&str, bool)> {
        self.links.iter().flat_map(|link| {
            let parts: Vec<&str> = link.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
            let n = parts.len();
            parts
                .into_iter()
                .enumerate()
                .map(move |(i, part)| (part, i + 1 == n))
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, link) in self.links.iter().enumerate() {
            if i > 0 {
                f.write_str("!")?;
            }
            f.write_str(link)?;
        }
        Ok(())
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_a_bang_chain() {
        let o = Origin::file("collection.zip")
            .child("EX01-1126.zip")
            .child("Hub_Send_Protocol_Logs.zip")
            .child("SEND20261126-1.LOG");
        assert_eq!(
            o.to_string(),
            "collection.zip!EX01-1126.zip!Hub_Send_Protocol_Logs.zip!SEND20261126-1.LOG"
        );
        assert_eq!(o.depth(), 3);
        assert_eq!(Origin::parse(&o.to_string()), o);
        assert_eq!(o.file_name(), "SEND20261126-1.LOG");
    }

    #[test]
    fn segments_split_folders_inside_links() {
        let o =
            Origin::file("in/EX01-1126.zip").child("Windows_Event_Logs/Windows-Logs/System.evtx");
        let segs: Vec<(&str, bool)> = o.segments().collect();
        assert_eq!(
            segs,
            vec![
                ("in", false),
                ("EX01-1126.zip", true),
                ("Windows_Event_Logs", false),
                ("Windows-Logs", false),
                ("System.evtx", true)
            ]
        );
    }
}
