//! Walking JSON text that is already known to be valid (a value nested in a line `strict_json` has
//! accepted): only where each key and value begins and ends is found, nothing is checked again.
//! A record's metrics block, sources and tags are read this way after the line's one strict pass,
//! instead of being scanned strictly a second time. Text that does not have the expected shape
//! gives `None`, never a panic. Not here: judging whether text is valid JSON (see `strict_json`).

use std::borrow::Cow;

use super::strict_json::plain_run;

/// Calls `entry` with each key (unescaped) and value text of the object `text` holds, in the
/// order written; `None` when `text` is not an object.
pub fn object<'a>(text: &'a str, mut entry: impl FnMut(Cow<'a, str>, &'a str)) -> Option<()> {
    let mut w = Walk::new(text);
    w.open(b'{')?;
    if w.close(b'}') {
        return w.at_end();
    }
    loop {
        let key = w.key()?;
        w.space();
        w.eat(b':')?;
        entry(key, w.value()?);
        if w.close(b'}') {
            return w.at_end();
        }
        w.eat(b',')?;
    }
}

/// Calls `item` with the text of each item of the array `text` holds; `None` when `text` is
/// not an array.
pub fn array<'a>(text: &'a str, mut item: impl FnMut(&'a str)) -> Option<()> {
    let mut w = Walk::new(text);
    w.open(b'[')?;
    if w.close(b']') {
        return w.at_end();
    }
    loop {
        item(w.value()?);
        if w.close(b']') {
            return w.at_end();
        }
        w.eat(b',')?;
    }
}

struct Walk<'a> {
    text: &'a str,
    i: usize,
}

impl<'a> Walk<'a> {
    fn new(text: &'a str) -> Self {
        Walk { text, i: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn space(&mut self) {
        while self
            .bytes()
            .get(self.i)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.space();
        (self.bytes().get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn open(&mut self, c: u8) -> Option<()> {
        self.eat(c)
    }

    /// Eats `c` (after spaces) when it is next.
    fn close(&mut self, c: u8) -> bool {
        self.eat(c).is_some()
    }

    fn at_end(&mut self) -> Option<()> {
        self.space();
        (self.i == self.text.len()).then_some(())
    }

    fn key(&mut self) -> Option<Cow<'a, str>> {
        self.space();
        let start = self.i;
        let (end, escaped) = string_end(self.bytes(), start)?;
        self.i = end;
        let quoted = &self.text[start..end];
        if escaped {
            serde_json::from_str::<String>(quoted).ok().map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(&quoted[1..quoted.len() - 1]))
        }
    }

    fn value(&mut self) -> Option<&'a str> {
        self.space();
        let b = self.bytes();
        let start = self.i;
        let end = match *b.get(start)? {
            b'"' => string_end(b, start)?.0,
            b'{' | b'[' => container_end(b, start)?,
            _ => {
                let mut i = start;
                while b.get(i).is_some_and(|c| {
                    !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    i += 1;
                }
                i
            }
        };
        if end == start {
            return None;
        }
        self.i = end;
        Some(&self.text[start..end])
    }
}

/// The end (one past the closing quote) of the string opening at `start`, and whether it holds
/// an escape.
fn string_end(b: &[u8], start: usize) -> Option<(usize, bool)> {
    if b.get(start) != Some(&b'"') {
        return None;
    }
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        // Strings in records are short: a short run scan (`plain_run`) beats a vector search set
        // up per string.
        i = plain_run(b, i);
        match *b.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            // A control character: not in valid text, and not the end either.
            _ => i += 1,
        }
    }
}

/// The end (one past the closing bracket) of the object or array opening at `start`.
fn container_end(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    loop {
        match *b.get(i)? {
            b'"' => {
                i = string_end(b, i)?.0;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        object(text, |k, v| out.push((k.into_owned(), v.to_string())))?;
        Some(out)
    }

    fn items(text: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        array(text, |v| out.push(v.to_string()))?;
        Some(out)
    }

    #[test]
    fn an_object_gives_each_key_and_value_text_as_written() {
        let text = r#" { "a" : 1 , "b\"q" :"x,}]\"y" ,"c":{"d":[1,{"e":"}"}]},"f":[],"g":-0.5,"h":null } "#;
        assert_eq!(
            entries(text).unwrap(),
            [
                ("a", "1"),
                ("b\"q", r#""x,}]\"y""#),
                ("c", r#"{"d":[1,{"e":"}"}]}"#),
                ("f", "[]"),
                ("g", "-0.5"),
                ("h", "null"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(entries("{}").unwrap(), []);
    }

    #[test]
    fn an_array_gives_each_item_text() {
        assert_eq!(
            items(r#"["a\\", 2, {"k":[3]}, [ ], true]"#).unwrap(),
            [r#""a\\""#, "2", r#"{"k":[3]}"#, "[ ]", "true"]
        );
        assert_eq!(items(" [ ] ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn text_of_another_shape_gives_none_without_panicking() {
        for text in [
            "",
            "[1]",
            "\"s\"",
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\":\"x",
            "{\"a\":[1}",
        ] {
            assert_eq!(entries(text), None, "{text:?}");
        }
        for text in ["", "{}", "[", "[1", "[\"x", "[1,", "[{]"] {
            assert_eq!(items(text), None, "{text:?}");
        }
    }
}
