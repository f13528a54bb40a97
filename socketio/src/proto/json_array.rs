//! Splitting a packet's JSON array into its elements, validating all of it in one pass.
//!
//! Every EVENT and ACK is a JSON array whose elements the server keeps as raw text (the
//! handler deserializes the ones it asks for). serde_json can split it (raw values), but its
//! string scan costs about 2.4 instructions per byte, and the depth and surrogate rules of this
//! crate needed a second scan. This scanner does both in one pass: runs of plain string
//! characters are skipped with `memchr2` and checked for control characters by a loop the
//! compiler vectorizes. It accepts exactly what serde_json accepts as a JSON text, with
//! [`MAX_JSON_DEPTH`] and lone-surrogate escapes refused as before (`checks::json_array`, a
//! differential fuzz target against `sio::reference_split`, holds it to that).

use smallvec::SmallVec;

/// Deepest nesting of arrays and objects accepted in a payload. serde_json refuses values
/// nested 128 deep, so anything accepted here can later be deserialized as a whole.
pub const MAX_JSON_DEPTH: usize = 127;

/// Byte spans (start, end) of the elements of a JSON array.
pub(crate) type Spans = SmallVec<[(u32, u32); 4]>;

/// The input is not a JSON array that this crate accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// The spans of the elements of the JSON array `json` (whitespace around it allowed), each
/// without the whitespace around it; `Invalid` unless all of `json` is valid JSON nested at
/// most `MAX_JSON_DEPTH` deep with no lone surrogate escape.
pub(crate) fn split(json: &str) -> Result<Spans, Invalid> {
    let b = json.as_bytes();
    if b.len() > u32::MAX as usize {
        return Err(Invalid);
    }
    let mut p = Scan { b, pos: 0 };
    let mut spans = Spans::new();
    p.ws();
    p.expect(b'[')?;
    p.ws();
    if p.peek() == Some(b']') {
        p.pos += 1;
    } else {
        loop {
            let start = p.pos;
            p.value(1)?;
            spans.push((start as u32, p.pos as u32));
            p.ws();
            match p.next() {
                Some(b',') => p.ws(),
                Some(b']') => break,
                _ => return Err(Invalid),
            }
        }
    }
    p.ws();
    if p.pos == b.len() {
        Ok(spans)
    } else {
        Err(Invalid)
    }
}

struct Scan<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.pos += 1;
        c
    }

    fn expect(&mut self, c: u8) -> Result<(), Invalid> {
        if self.next() == Some(c) {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Invalid> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// One value, nested `depth` deep (the array being split is depth 1); at its first byte.
    fn value(&mut self, depth: usize) -> Result<(), Invalid> {
        match self.peek().ok_or(Invalid)? {
            b'"' => {
                self.pos += 1;
                self.string()
            }
            b'[' | b'{' if depth >= MAX_JSON_DEPTH => Err(Invalid),
            b'[' => {
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.ws();
                    match self.next() {
                        Some(b',') => self.ws(),
                        Some(b']') => return Ok(()),
                        _ => return Err(Invalid),
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.expect(b'"')?;
                    self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.next() {
                        Some(b',') => self.ws(),
                        Some(b'}') => return Ok(()),
                        _ => return Err(Invalid),
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Invalid),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), Invalid> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                // serde_json refuses a leading zero followed by a digit.
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(Invalid);
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Invalid),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        Ok(())
    }

    /// The rest of a string, after its opening quote; ends after the closing one.
    fn string(&mut self) -> Result<(), Invalid> {
        let mut high_surrogate = false;
        loop {
            let rest = self.b.get(self.pos..).ok_or(Invalid)?;
            let skip = memchr::memchr2(b'"', b'\\', rest).ok_or(Invalid)?;
            let run = rest.get(..skip).ok_or(Invalid)?;
            // Vectorized by the compiler: no early exit.
            if run.iter().fold(false, |bad, &c| bad | (c < 0x20)) {
                return Err(Invalid);
            }
            // A high surrogate escape must be followed directly by a low one.
            if high_surrogate && skip > 0 {
                return Err(Invalid);
            }
            self.pos += skip;
            if self.next() == Some(b'"') {
                return if high_surrogate { Err(Invalid) } else { Ok(()) };
            }
            // After a backslash.
            match self.next().ok_or(Invalid)? {
                b'u' => {
                    let hex = self.b.get(self.pos..self.pos + 4).ok_or(Invalid)?;
                    let mut cp: u32 = 0;
                    for &h in hex {
                        cp = cp * 16 + char::from(h).to_digit(16).ok_or(Invalid)?;
                    }
                    self.pos += 4;
                    match (high_surrogate, cp) {
                        (false, 0xD800..=0xDBFF) => high_surrogate = true,
                        (true, 0xDC00..=0xDFFF) => high_surrogate = false,
                        (false, 0xDC00..=0xDFFF) | (true, _) => return Err(Invalid),
                        (false, _) => {}
                    }
                }
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' if !high_surrogate => {}
                _ => return Err(Invalid),
            }
        }
    }
}

/// [`split`], public for the differential fuzz target.
#[doc(hidden)]
pub fn split_for_fuzzing(json: &str) -> Option<Vec<(u32, u32)>> {
    split(json).ok().map(|s| s.to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nesting_up_to_the_limit() {
        let ok = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        let deep = format!(
            "[{}{}]",
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        assert!(split(&ok).is_ok());
        assert_eq!(split(&deep), Err(Invalid));
    }

    #[test]
    fn spans_exclude_the_whitespace_around_each_element() {
        let json = r#" [ "echo" ,{"a": 1 } , 7 ]"#;
        let spans = split(json).unwrap();
        let parts: Vec<&str> = spans
            .iter()
            .map(|&(s, e)| &json[s as usize..e as usize])
            .collect();
        assert_eq!(parts, [r#""echo""#, r#"{"a": 1 }"#, "7"]);
    }
}
