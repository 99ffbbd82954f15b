//! Text encodings.
