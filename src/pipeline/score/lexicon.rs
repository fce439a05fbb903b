//! The topic lexicon (assets/m2/lexicon.json) and the Relevance it gives a record: which topics
//! its handle, name, description and topic tags mention, and a saturating 0-100 value.
//! Not here: the other components, or where the lexicon file comes from (see `model`).

use std::collections::HashMap;

use serde::Deserialize;

/// The lexicon file as stored.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct LexiconFile {
    pub field_weights: FieldWeights,
    /// Weighted hits at which Relevance reaches 1 - 1/e (63%) of its maximum.
    pub saturation_hits: f64,
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) struct FieldWeights {
    pub topic_tags: f64,
    pub description: f64,
    pub name: f64,
    pub handle: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Topic {
    pub id: String,
    pub label: String,
    pub terms: Vec<String>,
}

/// Which part of a record a topic was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    TopicTags,
    Description,
    Name,
    Handle,
}

impl Field {
    pub(crate) fn words(self) -> &'static str {
        match self {
            Field::TopicTags => "tags",
            Field::Description => "description",
            Field::Name => "name",
            Field::Handle => "handle",
        }
    }
}

/// A term split into words; the first word is the lookup key.
#[derive(Debug, Clone)]
struct Term {
    rest: Vec<String>,
    topic: usize,
}

/// The lexicon ready for matching: words to the terms that start with them.
#[derive(Debug, Clone)]
pub struct Lexicon {
    file: LexiconFile,
    /// Every word of every record is looked up here, and SipHash's set-up would cost more
    /// than the lookup; the keys are the lexicon's own words, so flood resistance buys nothing.
    by_first_word: HashMap<String, Vec<Term>, rustc_hash::FxBuildHasher>,
    first_words: WordFilter,
}

/// A set of the (first byte, last byte, length) shapes of the lexicon's first words: nearly every
/// word of a record starts no term, and this says so for most of them without hashing the word.
/// A word whose shape is in the set may still start none (the map answers that).
#[derive(Debug, Clone)]
struct WordFilter {
    bits: Box<[u64; WordFilter::WORDS]>,
}

impl WordFilter {
    const WORDS: usize = 32 * 32 * 16 / 64;

    fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut filter = WordFilter {
            bits: Box::new([0; Self::WORDS]),
        };
        for word in words {
            if let Some(i) = Self::shape(word) {
                filter.bits[i / 64] |= 1 << (i % 64);
            }
        }
        filter
    }

    /// The bit of a word's shape; `None` for the empty word. An ASCII letter and its capital
    /// differ only in bit 5, which the shape leaves out: a word as written and lower-cased
    /// have the same shape.
    fn shape(word: &str) -> Option<usize> {
        let b = word.as_bytes();
        let (first, last) = (*b.first()? as usize & 31, *b.last()? as usize & 31);
        Some((first << 9) | (last << 4) | b.len().min(15))
    }

    fn may_contain(&self, word: &str) -> bool {
        Self::shape(word).is_some_and(|i| self.bits[i / 64] & (1 << (i % 64)) != 0)
    }
}

#[cfg(test)]
/// The text fields of a record that Relevance reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RelevanceInput<'a> {
    pub handle: Option<&'a str>,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub topic_tags: &'a [&'a str],
}

/// Relevance of one record: the value and what earned it.
#[derive(Debug, Clone, PartialEq)]
pub struct RelevanceMatch {
    /// 0-100, saturating in weighted hits.
    pub value: f64,
    /// Weighted hits: each field's weight times the distinct topics found in it.
    pub hits: f64,
    /// (topic index, field) pairs found, sorted, without repeats.
    pub found: Vec<(usize, Field)>,
    pub has_description: bool,
}

impl Lexicon {
    pub(crate) fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let file: LexiconFile = serde_json::from_str(text)?;
        let mut by_first_word: HashMap<String, Vec<Term>, rustc_hash::FxBuildHasher> =
            HashMap::default();
        for (topic, t) in file.topics.iter().enumerate() {
            for term in &t.terms {
                let mut words = Vec::new();
                for_each_word(term, false, |w| words.push(w.to_string()));
                let Some((first, rest)) = words.split_first() else {
                    continue;
                };
                by_first_word.entry(first.clone()).or_default().push(Term {
                    rest: rest.to_vec(),
                    topic,
                });
            }
        }
        let first_words = WordFilter::new(by_first_word.keys().map(String::as_str));
        Ok(Lexicon {
            file,
            by_first_word,
            first_words,
        })
    }

    pub(crate) fn topic(&self, index: usize) -> &Topic {
        &self.file.topics[index]
    }

    #[cfg(test)]
    /// Finds the topics a record mentions and turns the weighted hits into 0-100.
    pub(crate) fn relevance(&self, input: &RelevanceInput<'_>) -> RelevanceMatch {
        self.relevance_of(
            input.topic_tags,
            input.handle,
            input.name,
            input.description,
        )
    }

    /// [`Lexicon::relevance`] with the topic tags as the caller holds them (a record view keeps
    /// them as `Cow`s: no list of `&str` is made per record).
    pub(super) fn relevance_of<T: AsRef<str>>(
        &self,
        topic_tags: &[T],
        handle: Option<&str>,
        name: Option<&str>,
        description: Option<&str>,
    ) -> RelevanceMatch {
        // One buffer for the words of every field of every record on this thread: no
        // allocation per word, nor per record once it has grown.
        thread_local! {
            static WORDS: std::cell::RefCell<Words> = std::cell::RefCell::default();
        }
        let w = self.file.field_weights;
        let mut found = Vec::new();
        WORDS.with_borrow_mut(|words| {
            let mut scan = |field: Field, text: &str, split_camel: bool| {
                words.split(text, split_camel);
                self.topics_in(words, text, |topic| found.push((topic, field)));
            };
            for tag in topic_tags {
                scan(Field::TopicTags, tag.as_ref(), true);
            }
            if let Some(d) = description {
                scan(Field::Description, d, false);
            }
            if let Some(n) = name {
                scan(Field::Name, n, true);
            }
            if let Some(h) = handle {
                scan(Field::Handle, h, true);
            }
        });
        found.sort_unstable();
        found.dedup();
        let hits: f64 = found
            .iter()
            .map(|(_, field)| match field {
                Field::TopicTags => w.topic_tags,
                Field::Description => w.description,
                Field::Name => w.name,
                Field::Handle => w.handle,
            })
            .sum();
        let value = 100.0 * (1.0 - (-hits / self.file.saturation_hits).exp());
        RelevanceMatch {
            value,
            hits,
            found,
            has_description: description.is_some_and(|d| !d.trim().is_empty()),
        }
    }

    /// The ids of the topics an author's own words mention (handle, name, description), in
    /// lexicon order: the record's `topic_tags` as influx derives them. The same matching as
    /// [`Lexicon::relevance`]'s, with no tags read, so that a record's derived tags are exactly
    /// the topics its relevance found in its text.
    pub(crate) fn topics_of_text(
        &self,
        handle: Option<&str>,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Vec<&str> {
        let found = self
            .relevance_of::<&str>(&[], handle, name, description)
            .found;
        let mut topics: Vec<usize> = found.into_iter().map(|(topic, _)| topic).collect();
        topics.dedup();
        topics
            .into_iter()
            .map(|t| self.file.topics[t].id.as_str())
            .collect()
    }

    /// Calls `on_topic` for every term found in `text`, split into `words`.
    fn topics_in(&self, words: &Words, text: &str, mut on_topic: impl FnMut(usize)) {
        for i in 0..words.len() {
            let word = words.as_written(text, i);
            if !self.first_words.may_contain(word) {
                continue;
            }
            let mut buf = [0u8; 32];
            let long;
            // Most words are written in lower case already: they are their own key.
            let key = if !words.in_text || !word.bytes().any(|b| b.is_ascii_uppercase()) {
                word
            } else if word.len() <= buf.len() {
                let folded = &mut buf[..word.len()];
                folded.copy_from_slice(word.as_bytes());
                folded.make_ascii_lowercase();
                std::str::from_utf8(folded).expect("ASCII stays UTF-8")
            } else {
                long = word.to_ascii_lowercase();
                &long
            };
            let Some(terms) = self.by_first_word.get(key) else {
                continue;
            };
            for term in terms {
                if i + term.rest.len() < words.len()
                    && term
                        .rest
                        .iter()
                        .enumerate()
                        .all(|(k, a)| words.is(text, i + 1 + k, a))
                {
                    on_topic(term.topic);
                }
            }
        }
    }
}

/// The words of one text as spans, so that splitting a field allocates nothing once the buffers
/// have grown. An all-ASCII text (nearly every field) is not copied: its spans point into it and
/// its words are lower-cased only when compared. Any other text is lower-cased into `folded`,
/// which its spans point into (lower-casing can change its length).
#[derive(Debug, Default)]
struct Words {
    folded: String,
    spans: Vec<(usize, usize)>,
    /// The spans point into the (all-ASCII) text itself, not into `folded`.
    in_text: bool,
}

impl Words {
    /// Replaces the words with those of `text` (see [`for_each_word`] for what a word is).
    fn split(&mut self, text: &str, split_camel: bool) {
        self.folded.clear();
        self.spans.clear();
        self.in_text = text.is_ascii();
        if self.in_text {
            self.split_ascii(text.as_bytes(), split_camel);
            return;
        }
        let mut start = 0;
        let mut prev_lower = false;
        for c in text.chars() {
            // ASCII answers first: the same answers as the char methods, without their tables.
            let (alphanumeric, upper, lower) = if c.is_ascii() {
                (
                    c.is_ascii_alphanumeric(),
                    c.is_ascii_uppercase(),
                    c.is_ascii_lowercase(),
                )
            } else {
                (c.is_alphanumeric(), c.is_uppercase(), c.is_lowercase())
            };
            if alphanumeric {
                if split_camel && prev_lower && upper && self.folded.len() > start {
                    self.spans.push((start, self.folded.len()));
                    start = self.folded.len();
                }
                prev_lower = lower;
                if c.is_ascii() {
                    self.folded.push(c.to_ascii_lowercase());
                } else {
                    self.folded.extend(c.to_lowercase());
                }
            } else {
                if self.folded.len() > start {
                    self.spans.push((start, self.folded.len()));
                    start = self.folded.len();
                }
                prev_lower = false;
            }
        }
        if self.folded.len() > start {
            self.spans.push((start, self.folded.len()));
        }
    }

    /// [`Words::split`] of an all-ASCII text: spans into the text, nothing copied. Each run of
    /// letters and digits is read in a loop of its own, so no state is carried from byte to byte.
    fn split_ascii(&mut self, text: &[u8], split_camel: bool) {
        let n = text.len();
        let mut i = 0;
        while i < n {
            while i < n && !text[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i == n {
                break;
            }
            let mut start = i;
            i += 1;
            while i < n && text[i].is_ascii_alphanumeric() {
                if split_camel && text[i].is_ascii_uppercase() && text[i - 1].is_ascii_lowercase() {
                    self.spans.push((start, i));
                    start = i;
                }
                i += 1;
            }
            self.spans.push((start, i));
        }
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    /// Word `i` as its spans hold it: as written in `text` (all ASCII) or lower-cased.
    #[inline]
    fn as_written<'s>(&'s self, text: &'s str, i: usize) -> &'s str {
        let (a, b) = self.spans[i];
        if self.in_text {
            &text[a..b]
        } else {
            &self.folded[a..b]
        }
    }

    /// Whether word `i`, lower-cased, is `lower` (a lower-cased word of the lexicon).
    #[inline]
    fn is(&self, text: &str, i: usize, lower: &str) -> bool {
        let word = self.as_written(text, i);
        if self.in_text {
            word.len() == lower.len()
                && word
                    .bytes()
                    .zip(lower.bytes())
                    .all(|(w, l)| w.to_ascii_lowercase() == l)
        } else {
            word == lower
        }
    }
}

/// Calls `each` with every lower-cased word of `text`. Words are runs of letters and digits;
/// with `split_camel`, `VitalikButerin` and `aidotEngineer` split where a capital follows a
/// lower-case letter, as handles and tags run words together.
fn for_each_word(text: &str, split_camel: bool, mut each: impl FnMut(&str)) {
    let mut words = Words::default();
    words.split(text, split_camel);
    for i in 0..words.len() {
        let word = words.as_written(text, i);
        if words.in_text {
            each(&word.to_ascii_lowercase());
        } else {
            each(word);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        Lexicon::parse(include_str!("../../../assets/m2/lexicon.json")).unwrap()
    }

    fn words(text: &str, camel: bool) -> Vec<String> {
        let mut out = Vec::new();
        for_each_word(text, camel, |w| out.push(w.to_string()));
        out
    }

    /// The definition `Words::split` implements faster: char methods, one `String` per word.
    fn words_by_definition(text: &str, split_camel: bool) -> Vec<String> {
        let (mut out, mut word, mut prev_lower) = (Vec::new(), String::new(), false);
        for c in text.chars() {
            if c.is_alphanumeric() {
                if split_camel && prev_lower && c.is_uppercase() && !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                prev_lower = c.is_lowercase();
                word.extend(c.to_lowercase());
            } else {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                prev_lower = false;
            }
        }
        if !word.is_empty() {
            out.push(word);
        }
        out
    }

    #[test]
    fn words_split_as_defined_for_ascii_and_any_other_script() {
        for text in [
            "VitalikButerin",
            "aidotEngineer builds AI/ML @ Acme_Labs 2024!",
            "ÉcoleNormale Supérieure: straße, İstanbul, ΣΟΦΙΑσοφία",
            "日本語のテキストとEnglishMix",
            "  ",
            "",
            "a",
            "ǅungla ǈubljana",
        ] {
            for camel in [false, true] {
                assert_eq!(
                    words(text, camel),
                    words_by_definition(text, camel),
                    "{text:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        #[test]
        fn words_of_any_ascii_text_split_as_defined(
            text in "[a-cA-C0-9 _/.-]{0,24}",
            camel in proptest::bool::ANY
        ) {
            proptest::prop_assert_eq!(words(&text, camel), words_by_definition(&text, camel));
        }
    }

    /// The topics of one text as first defined: lower-cased words, each looked up in the map.
    fn topics_by_definition(lex: &Lexicon, text: &str, split_camel: bool) -> Vec<usize> {
        let words = words_by_definition(text, split_camel);
        let mut out = Vec::new();
        for (i, word) in words.iter().enumerate() {
            for term in lex.by_first_word.get(word.as_str()).into_iter().flatten() {
                if i + term.rest.len() < words.len()
                    && term.rest.iter().zip(&words[i + 1..]).all(|(a, w)| a == w)
                {
                    out.push(term.topic);
                }
            }
        }
        out
    }

    #[test]
    fn topics_are_found_as_the_definition_finds_them_in_any_case_and_script() {
        let lex = lexicon();
        let long = format!("{} machine learning", "x".repeat(40));
        for text in [
            "Working on Machine Learning; OPEN SOURCE maintainer",
            "MachineLearning OpenSource DevOps AI/ML",
            "Writing about robotics and product.",
            "Machine Learning für Straße, ÉCOLE open source",
            "日本語 AI and Open Source",
            "Deep learning",
            "deep",
            "learning machines said",
            long.as_str(),
            "VitalikButerin",
            "vc_investing",
            "ai_core",
            "",
        ] {
            for camel in [false, true] {
                let mut words = Words::default();
                words.split(text, camel);
                let mut found = Vec::new();
                lex.topics_in(&words, text, |t| found.push(t));
                assert_eq!(found, topics_by_definition(&lex, text, camel), "{text:?}");
            }
        }
    }

    #[test]
    fn every_word_that_starts_a_term_passes_the_word_filter() {
        let lex = lexicon();
        assert!(!lex.by_first_word.is_empty());
        for word in lex.by_first_word.keys() {
            assert!(lex.first_words.may_contain(word), "{word:?}");
        }
        assert!(!lex.first_words.may_contain(""));
        // The filter is there to turn most other words away before the map is asked.
        let turned_away = [
            "writing", "about", "author", "gen", "and", "the", "builds", "0",
        ]
        .into_iter()
        .filter(|w| !lex.first_words.may_contain(w))
        .count();
        assert!(turned_away >= 6, "{turned_away}");
    }

    #[test]
    fn handles_split_at_camel_case_and_underscores() {
        assert_eq!(words("VitalikButerin", true), ["vitalik", "buterin"]);
        assert_eq!(words("vc_investing", true), ["vc", "investing"]);
        assert_eq!(words("DevOps/Security", true), ["dev", "ops", "security"]);
        assert_eq!(words("DevOps", false), ["devops"]);
    }

    #[test]
    fn phrases_match_only_as_whole_words_in_order() {
        let lex = lexicon();
        let m = lex.relevance(&RelevanceInput {
            description: Some("Working on machine learning; open source maintainer"),
            ..Default::default()
        });
        let ids: Vec<&str> = m
            .found
            .iter()
            .map(|(t, _)| lex.topic(*t).id.as_str())
            .collect();
        assert!(ids.contains(&"ai_ml"), "{ids:?}");
        assert!(ids.contains(&"open_source"), "{ids:?}");
        let none = lex.relevance(&RelevanceInput {
            description: Some("learning machines said"),
            ..Default::default()
        });
        assert!(none.found.is_empty(), "{:?}", none.found);
    }

    #[test]
    fn relevance_saturates_and_no_match_is_zero() {
        let lex = lexicon();
        let nothing = lex.relevance(&RelevanceInput {
            name: Some("Chris Sacca"),
            ..Default::default()
        });
        assert_eq!(nothing.value, 0.0);
        assert!(!nothing.has_description);
        let tags = ["vc_investing"];
        let one = lex.relevance(&RelevanceInput {
            topic_tags: &tags,
            ..Default::default()
        });
        let many = lex.relevance(&RelevanceInput {
            topic_tags: &tags,
            description: Some("AI researcher, security, devops, crypto, open source, policy"),
            ..Default::default()
        });
        assert!(one.value > 50.0 && one.value < many.value && many.value < 100.0);
    }
}
