//! The candidates of the index (`DIR/candidates.jsonl`): every account a discovery found, where
//! it was found, the admission rules' decision with every rule that fired, and the operator's
//! word, which outranks every rule and holds across later discoveries and refreshes. Kept in
//! the data directory so that an excluded account is not bought again next week, and written
//! all or nothing (a crash leaves the old file or the new one). Not here: the rules themselves
//! (see `admission`) or finding candidates (see `jobs::discover`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::sync::Arc;

use crate::dataset::{AtomicFile, Record, format_time};
use crate::pipeline::admission::{
    CandidateFacts, Decision, Reason, Rules, RulesInForceError, Verdict,
};

use crate::pipeline::data_dir::DataDir;

/// The operator's words, by folded handle.
pub(crate) type OperatorWords = std::collections::HashMap<String, OperatorWord>;

/// What an operator said of one account: it outranks the rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorWord {
    pub decision: Decision,
    pub why: String,
    pub at: String,
}

/// One candidate, as `influx candidates` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub handle: String,
    /// `None` for an account the operator named before any discovery read it.
    pub id: Option<String>,
    /// The decision in force: the operator's when there is one, else the rules'.
    pub decision: Decision,
    /// Every rule that fired, with the text or value it matched.
    pub reasons: Vec<Reason>,
    /// Where the account was found (`meta.discovered` entries: source, list or seed, when).
    pub sources: Vec<Value>,
    /// `operator` or `rules <version>`.
    pub decided_by: String,
    pub decided_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_post_at: Option<String>,
    /// The rules' own decision, kept beside an operator's word that overrules it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorWord>,
}

impl Candidate {
    /// A candidate known by its handle only, not yet decided by anyone.
    fn new(handle: String, decision: Decision) -> Candidate {
        Candidate {
            handle,
            id: None,
            decision,
            reasons: Vec::new(),
            sources: Vec::new(),
            decided_by: String::new(),
            decided_at: String::new(),
            name: None,
            followers: None,
            last_post_at: None,
            rules_decision: None,
            operator: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CandidatesError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a candidate: {reason}")]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(transparent)]
    Write(#[from] crate::dataset::DatasetError),
}

/// Every candidate of a data directory, by lower-cased handle.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    by_handle: BTreeMap<String, Candidate>,
}

impl Candidates {
    /// The data directory's candidates; none when it has no file yet.
    pub fn load(data_dir: &DataDir) -> Result<Candidates, CandidatesError> {
        let path = data_dir.candidates();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Candidates::default()),
            Err(source) => return Err(CandidatesError::Read { path, source }),
        };
        let mut by_handle = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let c: Candidate = serde_json::from_str(line).map_err(|e| CandidatesError::Line {
                path: path.clone(),
                line: i + 1,
                reason: e.to_string(),
            })?;
            by_handle.insert(c.handle.to_ascii_lowercase(), c);
        }
        Ok(Candidates { by_handle })
    }

    /// Writes every candidate, all or nothing.
    pub fn save(&self, data_dir: &DataDir) -> Result<(), CandidatesError> {
        let mut text = String::new();
        for c in self.by_handle.values() {
            text.push_str(&serde_json::to_string(c).expect("a candidate serialises"));
            text.push('\n');
        }
        AtomicFile::write_bytes(&data_dir.candidates(), text.as_bytes())?;
        Ok(())
    }

    pub fn get(&self, handle: &str) -> Option<&Candidate> {
        self.by_handle
            .get(&handle.trim_start_matches('@').to_ascii_lowercase())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Candidate> {
        self.by_handle.values()
    }

    pub fn len(&self) -> usize {
        self.by_handle.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_handle.is_empty()
    }

    /// Files what a discovery read of one account and the rules' verdict on it. Its sources
    /// join those already known; an operator's word stays in force.
    pub(crate) fn discovered(
        &mut self,
        record: &Record,
        verdict: Verdict,
        rules_version: &str,
        now: DateTime<Utc>,
    ) -> &Candidate {
        let handle = record.handle().unwrap_or_default().to_string();
        let sources: Vec<Value> = record
            .meta()
            .and_then(|m| m.get("discovered"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let view = record.view();
        let followers = view.metrics().followers;
        let key = handle.to_ascii_lowercase();
        let entry = self
            .by_handle
            .entry(key)
            .or_insert_with(|| Candidate::new(handle.clone(), verdict.decision));
        entry.handle = handle;
        entry.id = record.id().map(str::to_string).or(entry.id.take());
        entry.name = record
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(entry.name.take());
        entry.followers = followers.or(entry.followers);
        entry.last_post_at = record
            .get("last_post_at")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(entry.last_post_at.take());
        for s in sources {
            if !entry.sources.iter().any(|known| same_source(known, &s)) {
                entry.sources.push(s);
            }
        }
        entry.reasons = verdict.reasons;
        match &entry.operator {
            Some(word) => {
                entry.decision = word.decision;
                entry.rules_decision = Some(verdict.decision);
            }
            None => {
                entry.decision = verdict.decision;
                entry.rules_decision = None;
                entry.decided_by = format!("rules {rules_version}");
                entry.decided_at = format_time(now);
            }
        }
        entry
    }

    /// Records an operator's decision on `handle` (a candidate or not yet one), with why.
    pub fn operator(
        &mut self,
        handle: &str,
        decision: Decision,
        why: &str,
        now: DateTime<Utc>,
    ) -> &Candidate {
        let handle = handle.trim_start_matches('@').to_string();
        let at = format_time(now);
        let entry = self
            .by_handle
            .entry(handle.to_ascii_lowercase())
            .or_insert_with(|| Candidate::new(handle.clone(), decision));
        if entry.operator.is_none() && !entry.decided_by.is_empty() {
            entry.rules_decision = Some(entry.decision);
        }
        entry.decision = decision;
        entry.decided_by = "operator".into();
        entry.decided_at = at.clone();
        entry.operator = Some(OperatorWord {
            decision,
            why: why.to_string(),
            at,
        });
        entry
    }

    /// Every operator's word, by folded handle (what a harvest judges records with).
    pub(crate) fn operator_words(&self) -> OperatorWords {
        self.by_handle
            .iter()
            .filter_map(|(k, c)| c.operator.clone().map(|w| (k.clone(), w)))
            .collect()
    }

    /// How many candidates stand at each decision.
    pub fn counts(&self) -> BTreeMap<Decision, usize> {
        let mut counts = BTreeMap::new();
        for c in self.by_handle.values() {
            *counts.entry(c.decision).or_default() += 1;
        }
        counts
    }
}

/// How a data directory judges an account: its admission rules in force and its operator's
/// words, which outrank them. One rule for every record a harvest, a discovery or a refresh
/// writes (`meta.admission`).
#[derive(Debug, Clone)]
pub struct Judgement {
    pub rules: Arc<Rules>,
    pub operator: Arc<OperatorWords>,
}

#[derive(Debug, thiserror::Error)]
pub enum JudgementError {
    #[error(transparent)]
    Rules(#[from] RulesInForceError),
    #[error(transparent)]
    Candidates(#[from] CandidatesError),
}

impl Judgement {
    /// The bundled rules, no operator's word.
    pub(crate) fn bundled() -> Judgement {
        Judgement {
            rules: Arc::new(Rules::shared().clone()),
            operator: Arc::default(),
        }
    }

    /// As `data_dir` says: `admission_rules` of its influx.toml, the words of its candidates.
    pub(crate) fn of_data_dir(data_dir: &DataDir) -> Result<Judgement, JudgementError> {
        Ok(Judgement {
            rules: Arc::new(Rules::in_force(data_dir)?),
            operator: Arc::new(Candidates::load(data_dir)?.operator_words()),
        })
    }

    /// `meta.admission` of a record read at `now`: the decision in force (the operator's when
    /// there is one), every rule that fired with what it matched, and the rules' version.
    pub(crate) fn admission(&self, record: &Record, now: DateTime<Utc>) -> Value {
        let verdict = self.rules.decide(&CandidateFacts::from_record(record), now);
        let reasons: Vec<Value> = verdict
            .reasons
            .iter()
            .map(|r| serde_json::json!({"rule": r.rule, "matched": r.matched}))
            .collect();
        let word = record.handle_key().and_then(|h| self.operator.get(&h));
        match word {
            Some(word) => serde_json::json!({
                "decision": word.decision,
                "decided_by": "operator",
                "why": word.why,
                "rules_decision": verdict.decision,
                "reasons": reasons,
                "rules": self.rules.version,
            }),
            None => serde_json::json!({
                "decision": verdict.decision,
                "reasons": reasons,
                "rules": self.rules.version,
            }),
        }
    }
}

/// Two `meta.discovered` entries name the same source (the time aside).
fn same_source(a: &Value, b: &Value) -> bool {
    ["source", "list", "seed"]
        .iter()
        .all(|k| a.get(k) == b.get(k))
}
