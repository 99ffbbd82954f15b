//! Sinks over result models: terminal text, JSON (and, as they come, Markdown,
//! HTML and table exports). Everything that came from a collected file is
//! untrusted and escaped for the sink's format.

pub mod escape;
#[cfg(feature = "tables")]
pub mod evidence_set;
pub mod export;
pub mod html;
pub mod inventory;
pub mod markdown;
pub mod scan;
pub mod style;
#[cfg(feature = "tables")]
pub mod tables;
pub mod timeline;
