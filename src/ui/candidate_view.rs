//! The candidates view's state: the candidates as `Operations::candidates` answered, the
//! decision shown, the selection and scroll, and the words for where each was found. The pane
//! that draws it is `panes::candidates`; the decisions themselves are the pipeline's.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::pipeline::admission::Decision;
use crate::pipeline::candidates::Candidate;

/// Which candidates the view lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CandidateFilter {
    #[default]
    All,
    Only(Decision),
}

impl CandidateFilter {
    /// In key order: `1` all, `2` review, `3` excluded, `4` admitted.
    pub(crate) const ALL: [CandidateFilter; 4] = [
        CandidateFilter::All,
        CandidateFilter::Only(Decision::Review),
        CandidateFilter::Only(Decision::Excluded),
        CandidateFilter::Only(Decision::Admitted),
    ];

    pub(crate) fn word(self) -> &'static str {
        match self {
            CandidateFilter::All => "all",
            CandidateFilter::Only(d) => d.word(),
        }
    }

    pub(crate) fn keeps(self, c: &Candidate) -> bool {
        match self {
            CandidateFilter::All => true,
            CandidateFilter::Only(d) => c.decision == d,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CandidateView {
    /// Every candidate, in the file's order (by handle).
    pub all: Vec<Candidate>,
    /// False until the first answer: the counter then shows no figure rather than a false 0.
    pub loaded: bool,
    pub filter: CandidateFilter,
    /// Positions in `all` shown, in order.
    pub shown: Vec<usize>,
    /// Position of the selection in `shown`.
    pub selected: usize,
    /// First position of `shown` on screen.
    pub offset: usize,
    /// Table rows that fit on screen, from the last resize.
    pub height: usize,
    /// Names of the lists discoveries were planned on, by id (ids are all the file keeps).
    pub list_names: BTreeMap<String, String>,
    /// The last thing the view has to say (a refused reason, a decision saved).
    pub notice: Option<String>,
}

impl CandidateView {
    /// Takes a fresh answer, keeping the selection on the same handle when it is still shown.
    pub(crate) fn replace(&mut self, all: Vec<Candidate>) {
        let handle = self.selected().map(|c| c.handle.to_ascii_lowercase());
        self.all = all;
        self.loaded = true;
        self.refilter();
        if let Some(h) = handle
            && let Some(at) = self
                .shown
                .iter()
                .position(|&i| self.all[i].handle.eq_ignore_ascii_case(&h))
        {
            self.selected = at;
            self.keep_selection_visible();
        }
    }

    pub(crate) fn set_filter(&mut self, filter: CandidateFilter) {
        self.filter = filter;
        self.selected = 0;
        self.offset = 0;
        self.refilter();
    }

    fn refilter(&mut self) {
        let filter = self.filter;
        self.shown = (0..self.all.len())
            .filter(|&i| filter.keeps(&self.all[i]))
            .collect();
        self.selected = self.selected.min(self.shown.len().saturating_sub(1));
        self.keep_selection_visible();
    }

    pub(crate) fn count(&self, filter: CandidateFilter) -> usize {
        self.all.iter().filter(|c| filter.keeps(c)).count()
    }

    /// The review queue: candidates a person has to look at.
    pub fn review(&self) -> usize {
        self.count(CandidateFilter::Only(Decision::Review))
    }

    pub(crate) fn selected(&self) -> Option<&Candidate> {
        self.shown.get(self.selected).map(|&i| &self.all[i])
    }

    pub(crate) fn move_by(&mut self, by: i64) {
        let last = self.shown.len().saturating_sub(1) as i64;
        self.selected = (self.selected as i64).saturating_add(by).clamp(0, last) as usize;
        self.keep_selection_visible();
    }

    pub(crate) fn keep_selection_visible(&mut self) {
        let h = self.height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        self.offset = self.offset.min(self.shown.len().saturating_sub(h));
    }

    pub fn remember_lists(&mut self, names: &[(String, String)]) {
        for (id, name) in names {
            self.list_names.insert(id.clone(), name.clone());
        }
    }

    /// Where `c` was found, a phrase per source: `list AI researchers & engineers` when the
    /// list's name is known, else `list 17…01`; `following @ada_lindqvist`; `handles file`.
    pub(crate) fn source_words(&self, c: &Candidate) -> Vec<String> {
        c.sources
            .iter()
            .map(|s| source_phrase(s, &self.list_names))
            .collect()
    }
}

fn source_phrase(source: &Value, names: &BTreeMap<String, String>) -> String {
    if let Some(list) = source.get("list").and_then(Value::as_str) {
        return match names.get(list) {
            Some(name) => format!("list {name}"),
            None => format!("list {}", short_id(list)),
        };
    }
    if let Some(seed) = source.get("seed").and_then(Value::as_str) {
        return format!("following @{seed}");
    }
    match source.get("source").and_then(Value::as_str) {
        Some(word) => word.to_string(),
        None => "handles file".into(),
    }
}

/// `17…01` for a long numeric id: enough to tell the lists of one operator apart.
fn short_id(id: &str) -> String {
    if id.chars().count() <= 8 {
        return id.to_string();
    }
    let head: String = id.chars().take(2).collect();
    let tail: String = id.chars().skip(id.chars().count() - 2).collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn candidate(handle: &str, decision: &str, sources: Value) -> Candidate {
        serde_json::from_value(json!({
            "handle": handle, "id": "1", "decision": decision, "reasons": [],
            "sources": sources, "decided_by": "rules 1", "decided_at": "2025-11-14T00:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn a_list_is_named_when_a_plan_said_its_name_and_shortened_when_not() {
        let mut view = CandidateView::default();
        let c = candidate(
            "a",
            "review",
            json!([{"source": "list", "list": "1700000000000000001"},
                   {"source": "following", "seed": "ada"}]),
        );
        assert_eq!(view.source_words(&c), ["list 17…01", "following @ada"]);
        view.remember_lists(&[("1700000000000000001".into(), "AI".into())]);
        assert_eq!(view.source_words(&c), ["list AI", "following @ada"]);
    }

    #[test]
    fn a_fresh_answer_keeps_the_selection_on_the_same_handle() {
        let mut view = CandidateView {
            height: 5,
            ..CandidateView::default()
        };
        view.replace(vec![
            candidate("a", "review", json!([])),
            candidate("b", "review", json!([])),
            candidate("c", "excluded", json!([])),
        ]);
        view.move_by(1);
        view.replace(vec![
            candidate("0", "admitted", json!([])),
            candidate("a", "review", json!([])),
            candidate("b", "review", json!([])),
        ]);
        assert_eq!(view.selected().map(|c| c.handle.as_str()), Some("b"));
        assert_eq!(view.review(), 2);
    }

    #[test]
    fn filtering_by_decision_starts_at_the_top_of_the_shown_list() {
        let mut view = CandidateView::default();
        view.replace(vec![
            candidate("a", "review", json!([])),
            candidate("b", "excluded", json!([])),
            candidate("c", "excluded", json!([])),
        ]);
        view.move_by(2);
        view.set_filter(CandidateFilter::Only(Decision::Excluded));
        assert_eq!(view.shown, [1, 2]);
        assert_eq!(view.selected().map(|c| c.handle.as_str()), Some("b"));
    }
}
