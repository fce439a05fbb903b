//! Placeholder names: a handle or display name made of test/demo/mock words (`Test User x`,
//! `test_`, `mock_`, `sample_`). Words are matched whole, so `contest` or `Testa` stay clean.

use super::PlaceholderFlag;
use crate::dataset::AuthorView;

const PLACEHOLDER_WORDS: &[&str] = &[
    "test",
    "demo",
    "mock",
    "fake",
    "dummy",
    "sample",
    "placeholder",
    "lorem",
    "ipsum",
];

/// Words that, glued to a placeholder word, still make a placeholder (`testuser`, `demoaccount`).
const GLUED_TAILS: &[&str] = &["user", "account", "acct", "handle", "name", "author"];

/// The placeholder word a text is built on, if any: split on anything but letters and digits
/// (so `Test User x`, `test_1` and `mock-author` split), digits trimmed from each word's end.
pub(super) fn placeholder_word(text: &str) -> Option<&'static str> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
        .find_map(|w| {
            // An ASCII word is compared ignoring case where it stands; only other scripts are
            // lower-cased into a new string (their case rules can turn a letter into ASCII).
            if w.is_ascii() {
                placeholder_of(w)
            } else {
                placeholder_of(&w.to_lowercase())
            }
        })
}

/// The placeholder word `word` is, or is glued to a tail of; ASCII case is ignored.
fn placeholder_of(word: &str) -> Option<&'static str> {
    // Most words start with a letter no placeholder word starts with: one byte says so.
    let first = word.as_bytes().first()?.to_ascii_lowercase();
    if !PLACEHOLDER_WORDS.iter().any(|p| p.as_bytes()[0] == first) {
        return None;
    }
    PLACEHOLDER_WORDS.iter().copied().find(|p| {
        word.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
            && (word.len() == p.len()
                || GLUED_TAILS
                    .iter()
                    .any(|tail| word[p.len()..].eq_ignore_ascii_case(tail)))
    })
}

pub(super) fn flags(record: &AuthorView<'_>, out: &mut Vec<PlaceholderFlag>) {
    for (field, value) in [("handle", record.handle()), ("name", record.name())] {
        let Some(value) = value else { continue };
        if let Some(word) = placeholder_word(value) {
            out.push(PlaceholderFlag {
                detector: "placeholder_name",
                reason: format!(
                    "its {field} \"{value}\" is built on the placeholder word \"{word}\""
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_user_names_and_prefixed_handles_are_placeholders() {
        assert_eq!(placeholder_word("Test User someone"), Some("test"));
        assert_eq!(placeholder_word("test_42"), Some("test"));
        assert_eq!(placeholder_word("mock_author"), Some("mock"));
        assert_eq!(placeholder_word("sample_1"), Some("sample"));
        assert_eq!(placeholder_word("TestUser7"), Some("test"));
        assert_eq!(placeholder_word("demoaccount"), Some("demo"));
    }

    /// The definition `placeholder_word` implements without a string per word.
    fn placeholder_word_by_definition(text: &str) -> Option<&'static str> {
        text.split(|c: char| !c.is_alphanumeric())
            .map(|w| {
                w.trim_end_matches(|c: char| c.is_ascii_digit())
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .find_map(|w| {
                PLACEHOLDER_WORDS.iter().copied().find(|p| {
                    w == *p
                        || w.strip_prefix(p)
                            .is_some_and(|tail| GLUED_TAILS.contains(&tail))
                })
            })
    }

    #[test]
    fn words_are_found_as_the_lower_cased_definition_finds_them_in_any_script() {
        for text in [
            "Test User someone",
            "TESTUSER",
            "tEsT_42",
            "Author 0",
            "gen_1_0",
            "contest",
            "Moc\u{212a}",
            "Moc\u{212a}Account",
            "\u{130}psum",
            "Lorem İpsum",
            "straße sample",
            "Démo",
            "demo\u{301}",
            "placeholders",
            "placeholderNAME9",
            "fakeuser12x",
            "",
            "__",
            "日本 test",
        ] {
            assert_eq!(
                placeholder_word(text),
                placeholder_word_by_definition(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn real_names_that_contain_the_letters_are_not() {
        for clean in [
            "contest",
            "Testa Rossa",
            "fakhri",
            "latest_news",
            "Demos Kratos",
            "samplerate",
            "Elon Musk",
        ] {
            assert_eq!(placeholder_word(clean), None, "{clean}");
        }
    }
}
