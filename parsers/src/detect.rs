//! Format detection by content.
