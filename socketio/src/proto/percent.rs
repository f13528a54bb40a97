//! Percent-decoding (RFC 3986 `%XX` escapes) for query strings, URL paths and broker URLs.

/// Decode `%XX` escapes. `None` when an escape is malformed or the result is not UTF-8.
///
/// ```
/// use socketio::proto::percent::decode;
/// assert_eq!(decode("a%2Fb%20c").as_deref(), Some("a/b c"));
/// assert_eq!(decode("100%"), None);
/// ```
pub fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            out.push(hex_byte(bytes.get(i + 1..i + 3)?)?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Decode one `application/x-www-form-urlencoded` component (a query parameter): `+` is a
/// space, a malformed escape is kept as it is and invalid UTF-8 is replaced, as browsers do.
///
/// ```
/// use socketio::proto::percent::decode_form;
/// assert_eq!(decode_form("a+b%21"), "a b!");
/// assert_eq!(decode_form("100%"), "100%");
/// ```
pub fn decode_form(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3).and_then(hex_byte) {
                Some(v) => {
                    out.push(v);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            _ => out.push(b),
        }
        i += 1;
    }
    // Valid UTF-8 (the usual case) keeps the buffer: one allocation, not two.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`decode_form`], borrowing `s` when it has nothing to decode (no `+`, no `%`): a query
/// parameter costs an allocation only when it has escapes.
pub(crate) fn decode_form_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b == b'+' || b == b'%') {
        std::borrow::Cow::Owned(decode_form(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn hex_byte(hex: &[u8]) -> Option<u8> {
    u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn decode_form_cow_borrows_plain_text_and_decodes_escapes() {
        assert!(matches!(
            decode_form_cow("websocket"),
            Cow::Borrowed("websocket")
        ));
        assert!(matches!(decode_form_cow(""), Cow::Borrowed("")));
        assert_eq!(decode_form_cow("a+b%2Fc"), "a b/c");
        assert!(matches!(decode_form_cow("a+b"), Cow::Owned(_)));
        // A malformed escape is kept, invalid UTF-8 replaced, as with `decode_form`.
        assert_eq!(decode_form_cow("100%"), "100%");
        assert_eq!(decode_form_cow("%FF"), "\u{FFFD}");
    }
}
