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
