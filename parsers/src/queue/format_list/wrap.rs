//! Rejoining values that `Format-List` wrapped at the output width.
//!
//! Windows PowerShell wraps a value that does not fit its field
//! (`StringManipulationHelper.GenerateLines`) in one of two ways, chosen by
//! the culture of the session:
//! * word wrap (en, fr, de, it, pt, es): each word keeps its trailing space, a
//!   word that does not fit starts the next line, and a word wider than the
//!   whole field is cut by character;
//! * character wrap (every other culture: zh-CN, ja-JP, ru-RU, …): lines are
//!   cut at the field width wherever that falls.
//!
//! Continuation lines are indented to the value column, and all lines of one
//! output share one width `W` (label column + field). Joining the lines back
//! without a separator is exact while each line keeps its trailing blanks. A
//! file copied from a console, mailed or saved by an editor loses them: a
//! word-wrapped line then ends one blank short, and `responded with:` meets
//! `"454 4.7.0` with nothing between.
//!
//! The join rule: a break whose line ends (or whose continuation starts) with
//! a blank joins as is. Otherwise a line that reached `W` was cut by
//! character (character wrap, or a word wider than the field) and joins as
//! is, and a shorter line lost the blank at its end and joins with one space.
//!
//! `W`, the mode, and whether widths count characters (`Out-File` in Windows
//! PowerShell) or console cells (a console copy, where CJK characters take
//! two) are inferred once per file ([`infer`]): each hypothesis rejoins the
//! file's wrapped values with that rule and wraps them again the way
//! PowerShell does; the hypothesis that reproduces the most values wins. The
//! hypotheses that remain tied differ only at lines exactly as long as the
//! longest one (character wrap at that width, or word wrap one wider with the
//! blank stripped); those are settled by what stands on each side of such
//! breaks ([`junction`]): `with:` + `"454` had a blank between, `Temp` +
//! `orary` did not.

use std::collections::{BTreeSet, HashMap};

/// One physical line of a (possibly wrapped) value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Piece {
    /// The value's text on this line (after the caption, or after the
    /// indentation of a continuation), trailing blanks as found.
    pub(super) seg: String,
    /// Width of the whole physical line in characters.
    chars: usize,
    /// Width of the whole physical line in console cells.
    cells: usize,
}

impl Piece {
    pub(super) fn new(line: &str, seg: &str) -> Piece {
        Piece {
            seg: seg.to_string(),
            chars: line.chars().count(),
            cells: line.chars().map(cell_width).sum(),
        }
    }

    pub(super) fn into_seg(self) -> String {
        self.seg
    }

    fn len(&self, m: Measure) -> usize {
        match m {
            Measure::Chars => self.chars,
            Measure::Cells => self.cells,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Measure {
    /// One per character (`Out-File` in Windows PowerShell 5.1).
    Chars,
    /// Console cells: East Asian wide characters take two.
    Cells,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    Word,
    Char,
}

/// How one file was wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Model {
    measure: Measure,
    mode: Mode,
    /// Width of a full line (value column + field).
    width: usize,
}

/// Console cells of a character, as the Windows console host counts them
/// (East Asian wide and fullwidth ranges take two).
pub(super) fn cell_width(c: char) -> usize {
    let u = c as u32;
    let wide = u >= 0x1100
        && (u <= 0x115f
            || u == 0x2329
            || u == 0x232a
            || ((0x2e80..=0xa4cf).contains(&u) && u != 0x303f)
            || (0xac00..=0xd7a3).contains(&u)
            || (0xf900..=0xfaff).contains(&u)
            || (0xfe10..=0xfe19).contains(&u)
            || (0xfe30..=0xfe6f).contains(&u)
            || (0xff00..=0xff60).contains(&u)
            || (0xffe0..=0xffe6).contains(&u)
            || (0x20000..=0x3fffd).contains(&u));
    if wide {
        2
    } else {
        1
    }
}

fn char_width(c: char, m: Measure) -> usize {
    match m {
        Measure::Chars => 1,
        Measure::Cells => cell_width(c),
    }
}

fn str_width(s: &str, m: Measure) -> usize {
    s.chars().map(|c| char_width(c, m)).sum()
}

/// The break shows its blank: kept at the end of the line, or at the start
/// of the continuation (character wrap that cut right before a space).
fn explicit(left: &Piece, right: &Piece) -> bool {
    left.seg.is_empty()
        || right.seg.is_empty()
        || left.seg.ends_with(char::is_whitespace)
        || right.seg.starts_with(char::is_whitespace)
}

/// Whether the break between `left` and `right` lost a blank, under `model`.
fn lost_blank(left: &Piece, right: &Piece, model: Option<Model>) -> bool {
    let Some(m) = model else {
        return false;
    };
    if explicit(left, right) {
        return false;
    }
    let len = left.len(m.measure);
    if len >= m.width {
        return false;
    }
    // A cut by character leaves one cell empty when a wide character is
    // next (character wrap, or a word wider than the field).
    let wide_next = right.seg.chars().next().is_some_and(|c| cell_width(c) == 2);
    !(m.measure == Measure::Cells && len + 1 == m.width && wide_next)
}

/// The value the pieces were cut from.
pub(super) fn join(pieces: &[Piece], model: Option<Model>) -> String {
    let mut out = String::new();
    let mut prev: Option<&Piece> = None;
    for p in pieces {
        if prev.is_some_and(|l| lost_blank(l, p, model)) {
            out.push(' ');
        }
        out.push_str(&p.seg);
        prev = Some(p);
    }
    out
}

/// Wraps `text` into lines of `field` the way PowerShell does
/// (`GenerateLinesWithWordWrap` / `…WithoutWordWrap`), handing each line to
/// `emit` until it says stop; whether it never did. Lines are slices of
/// `text`: word wrap keeps each word's trailing blank on its line and cuts
/// a word wider than the field by character, starting on the current line;
/// character wrap cuts wherever the field is full. (PowerShell prints `?`
/// for a character wider than the whole field: such a layout is never
/// reproduced here.)
fn wrap_into(
    text: &str,
    field: usize,
    mode: Mode,
    m: Measure,
    emit: &mut dyn FnMut(&str) -> bool,
) -> bool {
    if field == 0 {
        return false;
    }
    if str_width(text, m) <= field {
        return emit(text);
    }
    let mut lines = Lines {
        text,
        field,
        start: 0,
        left: field,
        emit,
    };
    let ok = match mode {
        Mode::Char => lines.by_char(0, text, m),
        Mode::Word => {
            let mut at = 0;
            text.split_inclusive([' ', '\t']).all(|word| {
                let from = at;
                at += word.len();
                let width = str_width(word, m);
                if width > field {
                    lines.by_char(from, word, m)
                } else {
                    lines.place(from, width)
                }
            })
        }
    };
    ok && (lines.emit)(text.get(lines.start..).unwrap_or(""))
}

/// The line being filled by [`wrap_into`].
struct Lines<'t, 'e> {
    text: &'t str,
    field: usize,
    /// Where the current line starts in `text`.
    start: usize,
    /// Width still free on it.
    left: usize,
    emit: &'e mut dyn FnMut(&str) -> bool,
}

impl Lines<'_, '_> {
    /// Places what starts at `at` and is `width` wide: on this line if it
    /// fits, else the line ends before it.
    fn place(&mut self, at: usize, width: usize) -> bool {
        if width > self.left {
            if !(self.emit)(self.text.get(self.start..at).unwrap_or("")) {
                return false;
            }
            self.start = at;
            self.left = self.field;
        }
        self.left = self.left.saturating_sub(width);
        true
    }

    /// Places `piece` (at `from`) character by character.
    fn by_char(&mut self, from: usize, piece: &str, m: Measure) -> bool {
        piece.char_indices().all(|(i, c)| {
            let w = char_width(c, m);
            w <= self.field && self.place(from + i, w)
        })
    }
}

/// Whether rejoining `pieces` under `model` and wrapping again gives the
/// same lines (trailing blanks aside, since they may have been stripped).
fn reproduces(pieces: &[Piece], model: Model) -> bool {
    let Some(first) = pieces.first() else {
        return false;
    };
    let column = first
        .len(model.measure)
        .saturating_sub(str_width(&first.seg, model.measure));
    let Some(field) = model.width.checked_sub(column) else {
        return false;
    };
    let text = join(pieces, Some(model));
    let mut expected = pieces.iter();
    let same = wrap_into(&text, field, model.mode, model.measure, &mut |line| {
        expected
            .next()
            .is_some_and(|p| p.seg.trim_end() == line.trim_end())
    });
    same && expected.next().is_none()
}

/// How far above the longest line the wrap width is searched (a stripped
/// word wrap leaves every line short of it by a blank at least).
const MAX_EXTRA: usize = 64;

/// Distinct wrapped values looked at (a file repeats the same LastError on
/// many queues; 64 different ones settle any file), and the lines they may
/// have together: the work stays bounded whatever the input.
const DISTINCT: usize = 64;
const DISTINCT_LINES: usize = 2048;

/// Line lengths below the longest tried as the width: the most common
/// lengths of lines that end without their blank (a file whose longest line
/// is an outlier still wraps at the width most lines reach).
const COMMON_LENGTHS: usize = 8;

/// A wrapped value and how many times the sample has it.
type Weighted<'p> = (&'p [Piece], usize);

/// Infers how the wrapped `values` (each two pieces or more) were wrapped.
/// `None` when no break needs a decision (every break shows its blank).
pub(super) fn infer(values: &[&[Piece]]) -> Option<Model> {
    let mut distinct: Vec<Weighted> = Vec::new();
    let mut index: HashMap<&[Piece], usize> = HashMap::new();
    let mut lines = 0;
    for v in values {
        match index.get(v) {
            Some(&i) => {
                if let Some((_, n)) = distinct.get_mut(i) {
                    *n += 1;
                }
            }
            None if distinct.len() < DISTINCT && lines + v.len() <= DISTINCT_LINES => {
                index.insert(v, distinct.len());
                distinct.push((v, 1));
                lines += v.len();
            }
            None => {}
        }
    }
    let vocab = Vocabulary::new();
    let bare: Vec<Break> = distinct
        .iter()
        .flat_map(|(v, n)| v.windows(2).map(move |w| (w, *n)))
        .filter_map(|(w, n)| match w {
            [l, r] if !explicit(l, r) => Some(Break {
                left: l,
                right: r,
                junction: junction(&l.seg, &r.seg, &vocab),
                weight: n,
            }),
            _ => None,
        })
        .collect();
    if bare.is_empty() {
        return None;
    }
    let wide = distinct
        .iter()
        .any(|(v, _)| v.iter().any(|p| p.cells != p.chars));
    let measures: &[Measure] = if wide {
        &[Measure::Chars, Measure::Cells]
    } else {
        &[Measure::Chars]
    };
    let mut best: Option<(Score, Model)> = None;
    for &measure in measures {
        let all = distinct.iter().flat_map(|(v, _)| v.iter());
        let Some(lo) = all.map(|p| p.len(measure)).max() else {
            continue;
        };
        let mut widths: BTreeSet<usize> = (lo..=lo + MAX_EXTRA).collect();
        let mut lengths: HashMap<usize, usize> = HashMap::new();
        for b in &bare {
            *lengths.entry(b.left.len(measure)).or_default() += b.weight;
        }
        let mut common: Vec<(usize, usize)> = lengths.into_iter().collect();
        common.sort_by_key(|&(len, n)| (std::cmp::Reverse(n), std::cmp::Reverse(len)));
        for (len, _) in common.into_iter().take(COMMON_LENGTHS) {
            widths.insert(len);
            widths.insert(len + 1);
        }
        for &width in &widths {
            for mode in [Mode::Word, Mode::Char] {
                let model = Model {
                    measure,
                    mode,
                    width,
                };
                let score = score(&distinct, &bare, model);
                if best.as_ref().is_none_or(|(b, _)| score > *b) {
                    best = Some((score, model));
                }
            }
        }
    }
    best.map(|(_, m)| m)
}

/// A break that shows no blank, and what the text around it says.
struct Break<'p> {
    left: &'p Piece,
    right: &'p Piece,
    junction: i32,
    weight: usize,
}

/// What ranks hypotheses, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    /// Wrapped values the hypothesis reproduces.
    reproduced: usize,
    /// How well its join decisions fit the text at the breaks.
    plausible: i64,
    /// Fewer inserted blanks: with no other evidence, join as found.
    fewer_blanks: std::cmp::Reverse<usize>,
    /// Word wrap is the likelier when all else is equal (English cultures).
    word: bool,
    /// Among equal word-wrap hypotheses the widest keeps every line shorter
    /// than it joined with a blank, which is right for values outside the
    /// sample too.
    width: usize,
}

fn score(values: &[Weighted], bare: &[Break], model: Model) -> Score {
    let reproduced = values
        .iter()
        .filter(|(v, _)| reproduces(v, model))
        .map(|(_, n)| n)
        .sum();
    let mut plausible = 0i64;
    let mut blanks = 0usize;
    for b in bare {
        let j = i64::from(b.junction) * i64::try_from(b.weight).unwrap_or(i64::MAX / 4);
        if lost_blank(b.left, b.right, Some(model)) {
            plausible = plausible.saturating_add(j);
            blanks += b.weight;
        } else {
            plausible = plausible.saturating_sub(j);
        }
    }
    Score {
        reproduced,
        plausible,
        fewer_blanks: std::cmp::Reverse(blanks),
        word: model.mode == Mode::Word,
        width: model.width,
    }
}

/// Words of the texts that get wrapped: Exchange's LastError sentences and
/// the SMTP responses they quote (EXSRC `SmtpOutConnection`, `SmtpResponse`),
/// queue property values, and the small words around them.
const WORDS: &str = "primary target ip address responded with attempted failover to \
alternate host hosts but that did not succeed either there are no or delivery failed all the \
last endpoint was queue will be resubmitted for routing mapi error encountered while \
communicating outbound frontend proxy session setup on temporary authentication failure \
authorization because negotiated tls cipher strength is too weak cannot achieve exchange \
server unsuccessful unrecognized type certificate validation unable connect connection \
timed out socket dropped due remote response rfc conformant timeout waiting client input \
security status invalid token invalidtoken winsock code message resolver authrequired \
required logon denied logondenied socketerror failed connection win32 retry ready active \
suspended normal high low none true false internal external submission mailbox database \
site version default first name smtp relay dag group unreachable poison shadow heartbeat \
am pm and as at be by from has have if in into it its of than then this were \
not found target's service principal kerberos ntlm negotiate anonymous permission \
receive send connector domain local";

/// Lower-case word list for [`junction`].
struct Vocabulary(BTreeSet<&'static str>);

impl Vocabulary {
    fn new() -> Self {
        Vocabulary(WORDS.split_whitespace().collect())
    }

    fn has(&self, word: &str) -> bool {
        !word.is_empty() && self.0.contains(word.to_lowercase().as_str())
    }
}

/// Trailing run of `pred` characters of `s`.
fn tail_run(s: &str, pred: impl Fn(char) -> bool) -> &str {
    let start = s
        .char_indices()
        .rev()
        .take_while(|(_, c)| pred(*c))
        .last()
        .map_or(s.len(), |(i, _)| i);
    s.get(start..).unwrap_or("")
}

/// Leading run of `pred` characters of `s`.
fn head_run(s: &str, pred: impl Fn(char) -> bool) -> &str {
    let end = s.find(|c: char| !pred(c)).unwrap_or(s.len());
    s.get(..end).unwrap_or("")
}

fn is_status_code(s: &str) -> bool {
    s.len() == 3 && matches!(s.as_bytes().first(), Some(b'2'..=b'5'))
}

/// How strongly the text on both sides of a break says a blank stood there:
/// positive for a blank, negative for none, 0 when it cannot tell.
fn junction(left: &str, right: &str, vocab: &Vocabulary) -> i32 {
    let mut lc = left.chars().rev();
    let (Some(l), Some(r)) = (lc.next(), right.chars().next()) else {
        return 0;
    };
    let l_prev = lc.next();
    let r_next = right.chars().nth(1);
    if cell_width(l) == 2 && cell_width(r) == 2 {
        return -2; // CJK text has no blanks between characters
    }
    if cell_width(l) == 2 || cell_width(r) == 2 {
        return 0;
    }
    // Openers glue to what follows, closers and separators to what precedes.
    if matches!(l, '[' | '{' | '(' | '=' | '\\' | '/' | '@' | '-' | '_')
        || matches!(
            r,
            ']' | '}' | ')' | ';' | ',' | '.' | ':' | '=' | '\\' | '/' | '@' | '-' | '_'
        )
    {
        return -2;
    }
    let quote = |c: char| c == '"' || c == '\'';
    if quote(l) {
        // A closing quote (after text) is followed by a blank, an opening
        // one by its text.
        return match l_prev {
            Some(p) if p.is_alphanumeric() || p == '.' => {
                if r.is_alphanumeric() {
                    2
                } else {
                    0
                }
            }
            _ => -2,
        };
    }
    if quote(r) {
        let opening = r_next.is_some_and(|c| c.is_alphanumeric());
        return match (opening, l) {
            (true, l) if l.is_alphabetic() || l == ':' => 2,
            (true, _) => 0,
            (false, _) => -2,
        };
    }
    match l {
        '.' => {
            let word = tail_run(left.trim_end_matches('.'), char::is_alphanumeric);
            return if l_prev.is_some_and(|p| p.is_ascii_digit()) && r.is_ascii_digit() {
                -2 // 4.7.0, 10.0.1.12
            } else if r.is_uppercase() && word.chars().any(char::is_lowercase) {
                2 // end of a sentence
            } else {
                -2 // contoso.com, MAILSERVER.DOMAIN.LOCAL
            };
        }
        ':' => {
            return match l_prev {
                Some(p) if p.is_ascii_hexdigit() && r.is_ascii_alphanumeric() => -2, // 10:40, ::12
                Some(p) if p.is_alphabetic() && (r.is_ascii_digit() || r.is_uppercase()) => 2,
                _ => 0,
            };
        }
        ',' => {
            return if l_prev.is_some_and(|p| p.is_ascii_digit()) && r.is_ascii_digit() {
                0 // {0, 0} or 262,144
            } else {
                2
            };
        }
        ';' => return if r.is_alphanumeric() { 2 } else { -2 },
        _ => {}
    }
    // The letter runs at the break, and whether each is a whole word (not
    // part of a longer token such as `a5a3` or `EX02`).
    let lw = tail_run(left, char::is_alphabetic);
    let rw = head_run(right, char::is_alphabetic);
    let lw_whole = left
        .get(..left.len() - lw.len())
        .and_then(|b| b.chars().next_back())
        .is_none_or(|c| !c.is_alphanumeric());
    let rw_whole = right
        .get(rw.len()..)
        .and_then(|a| a.chars().next())
        .is_none_or(|c| !c.is_alphanumeric());
    if l.is_alphabetic() && r.is_alphabetic() {
        let joined = format!("{lw}{rw}");
        return match (vocab.has(&joined), vocab.has(lw), vocab.has(rw)) {
            (true, true, true) => -1,
            (true, _, _) => -2,
            (false, true, true) if lw_whole && rw_whole => 2,
            _ => 0,
        };
    }
    if l.is_ascii_digit() && r.is_ascii_digit() {
        let ld = tail_run(left, |c| c.is_ascii_digit());
        let before = left.get(..left.len() - ld.len()).unwrap_or("");
        // `11/26/2026`, `26.11.2026`, `26-11-26`: two separators, no more.
        let date = tail_run(left, |c| c.is_ascii_digit() || matches!(c, '/' | '.' | '-'));
        let separators = date.chars().filter(|c| !c.is_ascii_digit()).count();
        let date_before = separators == 2 && ld.len() >= 2 && !date.starts_with(['/', '.', '-']);
        let time_after = head_run(right, |c| c.is_ascii_digit()).len() <= 2
            && right
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with(':');
        let code_before =
            is_status_code(ld) && (before.is_empty() || before.ends_with([' ', '=', '"', '\'']));
        let enhanced_after = right.as_bytes().get(1) == Some(&b'.');
        return if (date_before && time_after) || (code_before && enhanced_after) {
            2 // 11/26/2026 2:56:50, 454 4.7.0
        } else {
            -1
        };
    }
    if l.is_ascii_digit() && r.is_alphabetic() {
        return if rw_whole && vocab.has(rw) { 2 } else { -1 };
    }
    if l.is_alphabetic() && r.is_ascii_digit() {
        return if lw_whole && vocab.has(lw) { 2 } else { -1 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KB: &str = r#"[{LRT=11/26/2026 2:56:50 AM};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.1.12:2525};{FQDN=EX02.contoso.com};{IP=10.0.1.12}]"#;

    const QA: &str = r#"[{LRT=15-01-21 23:50:05};{LED=450 4.7.0 Proxy session setup failed on Frontend with '451 4.4.0 Primary target IP address responded with: "451 4.4.0 Security status InvalidToken." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 2a0X:3cXX:XX2:XXX::XX00:25'};{FQDN=MAILSERVER.DOMAIN.LOCAL};{IP=192.168.12.4}]"#;

    /// Splits `text` at every position between two non-blank characters and
    /// asks the junction scorer; blanks are where word wrap breaks.
    #[test]
    fn junction_scores_word_boundaries_and_cuts_apart() {
        let vocab = Vocabulary::new();
        for text in [KB, QA] {
            let chars: Vec<char> = text.chars().collect();
            let (mut blank_ok, mut blank_all, mut cut_wrong, mut cut_all) = (0, 0, 0, 0);
            for i in 1..chars.len() - 1 {
                if chars[i].is_whitespace() {
                    // A word-wrap break: left ends before the blank.
                    if chars[i - 1].is_whitespace() || chars[i + 1].is_whitespace() {
                        continue;
                    }
                    let left: String = chars[..i].iter().collect();
                    let right: String = chars[i + 1..].iter().collect();
                    blank_all += 1;
                    if junction(&left, &right, &vocab) > 0 {
                        blank_ok += 1;
                    }
                } else if !chars[i - 1].is_whitespace() {
                    let left: String = chars[..i].iter().collect();
                    let right: String = chars[i..].iter().collect();
                    cut_all += 1;
                    if junction(&left, &right, &vocab) > 0 {
                        cut_wrong += 1;
                    }
                }
            }
            assert!(
                blank_ok * 10 >= blank_all * 9,
                "{blank_ok}/{blank_all} blanks seen"
            );
            assert!(
                cut_wrong * 20 <= cut_all,
                "{cut_wrong}/{cut_all} cuts taken for blanks"
            );
        }
    }

    fn wrap_lines(text: &str, field: usize, mode: Mode, m: Measure) -> Vec<String> {
        let mut lines = Vec::new();
        assert!(wrap_into(text, field, mode, m, &mut |l| {
            lines.push(l.to_string());
            true
        }));
        lines
    }

    fn pieces(lines: &[String], column: usize) -> Vec<Piece> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let line = if i == 0 {
                    format!("{}: {l}", "X".repeat(column - 2))
                } else {
                    format!("{}{l}", " ".repeat(column))
                };
                Piece::new(&line, l)
            })
            .collect()
    }

    fn strip(lines: Vec<String>) -> Vec<String> {
        lines
            .into_iter()
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    #[test]
    fn stripped_word_wrap_is_told_from_character_wrap() {
        for width in [80, 100, 119, 120, 160] {
            let column = 35;
            let field = width - column;
            for (text, mode) in [(KB, Mode::Word), (QA, Mode::Word), (KB, Mode::Char)] {
                let lines = wrap_lines(text, field, mode, Measure::Chars);
                for lines in [lines.clone(), strip(lines)] {
                    let p = pieces(&lines, column);
                    let model = infer(&[&p]);
                    assert_eq!(join(&p, model), text, "{width} {mode:?} {model:?}");
                }
            }
        }
    }

    #[test]
    fn cjk_lines_counted_in_cells() {
        let text = "Failed to connect. Winsock error code: 10060, Error message: 由于连接方在一段时间后没有正确答复或连接的主机没有反应，连接尝试失败。 10.0.1.12:25";
        for measure in [Measure::Chars, Measure::Cells] {
            let lines = wrap_lines(text, 45, Mode::Char, measure);
            let p = pieces(&strip(lines), 35);
            assert_eq!(join(&p, infer(&[&p])), text, "{measure:?}");
        }
    }
}
