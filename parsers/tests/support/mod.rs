//! What several test files share: a text read again from its start as often as
//! a parser asks ([`Reread`]), a few bytes at a time, saying how far it got.
#![allow(dead_code)]

use exauth_parsers::reread::Reread;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

/// A text read again from its start, `piece` bytes at a time: how often it
/// was opened, and how far the current pass has read.
pub struct Pieces<'a> {
    text: &'a [u8],
    piece: usize,
    pub opened: usize,
    pub read: Rc<Cell<usize>>,
}

impl<'a> Pieces<'a> {
    pub fn new(text: &'a [u8], piece: usize) -> Self {
        Pieces {
            text,
            piece,
            opened: 0,
            read: Rc::default(),
        }
    }
}

struct Counting<'a> {
    inner: &'a [u8],
    read: Rc<Cell<usize>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n);
        Ok(n)
    }
}

impl Reread for Pieces<'_> {
    fn read_from_start(&mut self) -> std::io::Result<Box<dyn BufRead + '_>> {
        self.opened += 1;
        self.read.set(0);
        Ok(Box::new(BufReader::with_capacity(
            self.piece,
            Counting {
                inner: self.text,
                read: self.read.clone(),
            },
        )))
    }
}

/// A queue export read in passes (`ExportForm::read_in_passes`) `piece` bytes
/// at a time and handed over `batch` at a time, its queues and messages put
/// back into what comes back (to compare with the export read whole).
pub struct ReadInPieces {
    pub export: exauth_parsers::queue::QueueExport,
    /// How often the text was read from its start.
    pub opened: usize,
    /// Bytes the pass had read when the first batch came.
    pub first_batch_at: usize,
}

pub fn read_export_in_pieces(
    form: exauth_parsers::queue::ExportForm,
    text: &str,
    piece: usize,
    batch: usize,
) -> ReadInPieces {
    let mut pieces = Pieces::new(text.as_bytes(), piece);
    let read = pieces.read.clone();
    let (mut queues, mut messages, mut first_at) = (Vec::new(), Vec::new(), None);
    let mut export = form.read_in_passes(
        &mut pieces,
        exauth_parsers::queue::QueueExportOptions::default(),
        batch,
        &mut |q, m| {
            let n = q.len() + m.len();
            assert!(n > 0 && n <= batch, "a batch of {n}");
            first_at.get_or_insert(read.get());
            queues.extend(q);
            messages.extend(m);
        },
    );
    assert!(export.queues.is_empty() && export.messages.is_empty());
    export.queues = queues;
    export.messages = messages;
    ReadInPieces {
        export,
        opened: pieces.opened,
        first_batch_at: first_at.unwrap_or(usize::MAX),
    }
}
