//! Finding the rules' terms in a candidate's name, handle and description on word boundaries,
//! so that "inc" never fires inside "incoming" nor "news" inside "newsletter". A term may hold
//! punctuation ("18+", ".io", "he/him", "ex-"): a boundary is only required where the term
//! itself starts or ends with a letter or digit.

use super::rules_file::{Field, Position, Term};

/// A candidate's fields lower-cased once, ready for every term of every rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldTexts {
    /// The name with a space where a capital follows a small letter ("DevTools" has "tools").
    pub name: String,
    /// The handle split into words at underscores, digits and capitals ("BlackHatEvents" has
    /// "events"), as `score::lexicon` splits handles.
    pub handle: String,
    pub description: String,
}

impl FieldTexts {
    pub(super) fn new(name: Option<&str>, handle: Option<&str>, description: Option<&str>) -> Self {
        FieldTexts {
            name: split_camel(name.unwrap_or("")).to_lowercase(),
            handle: handle_words(handle.unwrap_or("")),
            description: description.unwrap_or("").to_lowercase(),
        }
    }

    pub(super) fn get(&self, field: Field) -> &str {
        match field {
            Field::Name => &self.name,
            Field::Handle => &self.handle,
            Field::Description => &self.description,
        }
    }
}

/// The first field of `term.fields` the term is found in.
pub(crate) fn find(texts: &FieldTexts, term: &Term) -> Option<Field> {
    term.fields
        .iter()
        .copied()
        .find(|&f| contains(texts.get(f), &term.text, term.at))
}

/// Whether lower-cased `text` holds lower-cased `term` on word boundaries (at its end, for
/// [`Position::End`], where trailing emoji and punctuation do not count).
pub(crate) fn contains(text: &str, term: &str, at: Position) -> bool {
    let starts_word = term.chars().next().is_some_and(char::is_alphanumeric);
    let ends_word = term.chars().last().is_some_and(char::is_alphanumeric);
    let text = match at {
        Position::Anywhere => text,
        Position::End => text.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '.'),
    };
    let mut from = 0;
    while let Some(i) = text[from..].find(term) {
        let start = from + i;
        let end = start + term.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let left = !starts_word || !before.is_some_and(char::is_alphanumeric);
        let right = !ends_word || !after.is_some_and(char::is_alphanumeric);
        let placed = match at {
            Position::Anywhere => true,
            Position::End => text[end..].trim_end_matches('.').is_empty(),
        };
        if left && right && placed {
            return true;
        }
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn split_camel(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut prev_lower = false;
    for c in text.chars() {
        if prev_lower && c.is_uppercase() {
            out.push(' ');
        }
        prev_lower = c.is_lowercase();
        out.push(c);
    }
    out
}

fn handle_words(handle: &str) -> String {
    let handle = handle.trim_start_matches('@');
    let mut out = String::with_capacity(handle.len() + 4);
    let mut prev: Option<char> = None;
    for c in handle.chars() {
        let split = match prev {
            Some(p) => {
                (p.is_lowercase() && c.is_uppercase()) || (p.is_ascii_digit() != c.is_ascii_digit())
            }
            None => false,
        };
        if c == '_' {
            out.push(' ');
        } else {
            if split && !out.ends_with(' ') {
                out.push(' ');
            }
            out.extend(c.to_lowercase());
        }
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(text: &str, term: &str) -> bool {
        contains(&text.to_lowercase(), term, Position::Anywhere)
    }

    #[test]
    fn terms_match_whole_words_only() {
        assert!(has("Acme Inc.", "inc"));
        assert!(!has("incoming tide", "inc"));
        assert!(!has("newsletter writer", "news"));
        assert!(has("ex-CNN news anchor", "news"));
        assert!(has("ex-CNN news anchor", "ex-"));
        assert!(!has("apex-predator", "ex-"));
    }

    #[test]
    fn terms_with_punctuation_match_where_they_stand() {
        assert!(has("NSFW 18+ only", "18+"));
        assert!(!has("118+ countries", "18+"));
        assert!(has("fast.ai", ".ai"));
        assert!(!has("fast.aiming", ".ai"));
        assert!(has("Dad. he/him", "he/him"));
    }

    #[test]
    fn a_term_at_the_end_must_be_the_last_word() {
        let end = |t: &str, term: &str| contains(&t.to_lowercase(), term, Position::End);
        assert!(end("Daily Planet News", "news"));
        assert!(end("Daily Planet News 📰", "news"));
        assert!(!end("News junkie and dad", "news"));
        assert!(end("DeepLearning.AI", ".ai"));
    }

    #[test]
    fn handles_split_at_capitals_underscores_and_digits() {
        assert_eq!(handle_words("BlackHatEvents"), "black hat events");
        assert_eq!(handle_words("MIT_CSAIL"), "mit csail");
        assert_eq!(handle_words("punk6529"), "punk 6529");
        assert_eq!(split_camel("Chrome DevTools"), "Chrome Dev Tools");
    }
}
