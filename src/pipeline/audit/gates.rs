//! Audit gates: which counters must stay at or under which limit for a file to pass. The defaults
//! are the failures the old pipeline hid (zero scores, placeholders, duplicates, unreadable lines);
//! an operator can relax one (`allow`) or add another (`set`). Not here: computing the counters.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A counter of the audit that can be gated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    ZeroScores,
    Placeholders,
    Duplicates,
    UnreadableLines,
    SchemaViolations,
    Unscored,
    StringScores,
    BatchFlags,
    Precision,
    Mismatch,
    Unverifiable,
}

impl Gate {
    pub(crate) const ALL: [Gate; 11] = [
        Gate::ZeroScores,
        Gate::Placeholders,
        Gate::Duplicates,
        Gate::UnreadableLines,
        Gate::SchemaViolations,
        Gate::Unscored,
        Gate::StringScores,
        Gate::BatchFlags,
        Gate::Precision,
        Gate::Mismatch,
        Gate::Unverifiable,
    ];

    /// The name used on the command line and in JSON.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Gate::ZeroScores => "zero_scores",
            Gate::Placeholders => "placeholders",
            Gate::Duplicates => "duplicates",
            Gate::UnreadableLines => "unreadable_lines",
            Gate::SchemaViolations => "schema_violations",
            Gate::Unscored => "unscored",
            Gate::StringScores => "string_scores",
            Gate::BatchFlags => "batch_flags",
            Gate::Precision => "precision",
            Gate::Mismatch => "mismatch",
            Gate::Unverifiable => "unverifiable",
        }
    }

    /// What the counter measures, for help texts and the human report.
    pub(crate) fn meaning(self) -> &'static str {
        match self {
            Gate::ZeroScores => "records whose meta.score is 0",
            Gate::Placeholders => "records with a record-level placeholder flag",
            Gate::Duplicates => "rows beyond the first for a handle",
            Gate::UnreadableLines => "lines that are not a JSON object",
            Gate::SchemaViolations => "records that break the bigv v1.1.0 schema",
            Gate::Unscored => "records without activity metrics",
            Gate::StringScores => "records whose meta.score is a string",
            Gate::BatchFlags => "batch-level placeholder flags",
            Gate::Precision => "follower counts that are exact thousands",
            Gate::Mismatch => "records an answer they name contradicts (with the runs given)",
            Gate::Unverifiable => {
                "records claiming the API with no answer to prove it (with the runs given)"
            }
        }
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A gate name that does not exist; the message lists the ones that do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown gate \"{given}\"; gates are: {}", Gate::ALL.map(Gate::name).join(", "))]
pub struct UnknownGate {
    pub given: String,
}

impl FromStr for Gate {
    type Err = UnknownGate;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        let alias = match norm.as_str() {
            "duplicate_rows" => "duplicates",
            "unreadable" | "errors" | "bad_lines" => "unreadable_lines",
            "schema" => "schema_violations",
            "zero" => "zero_scores",
            other => other,
        };
        Gate::ALL
            .into_iter()
            .find(|g| g.name() == alias)
            .ok_or_else(|| UnknownGate {
                given: s.to_string(),
            })
    }
}

/// The limit of each gate in force; a gate absent from the map is only reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gates {
    limits: BTreeMap<Gate, usize>,
}

impl Default for Gates {
    /// Zero scores, placeholders, duplicates, unreadable lines and custody mismatches must all
    /// be 0 (mismatches are only counted when the audit is given the runs).
    fn default() -> Self {
        let limits = [
            Gate::ZeroScores,
            Gate::Placeholders,
            Gate::Duplicates,
            Gate::UnreadableLines,
            Gate::Mismatch,
        ]
        .into_iter()
        .map(|g| (g, 0))
        .collect();
        Gates { limits }
    }
}

impl Gates {
    /// No gate at all: every counter is only reported.
    pub fn none() -> Self {
        Gates {
            limits: BTreeMap::new(),
        }
    }

    /// Sets (or adds) a gate: the counter may be at most `max`.
    pub fn set(&mut self, gate: Gate, max: usize) -> &mut Self {
        self.limits.insert(gate, max);
        self
    }

    /// Lifts a gate: its counter is still reported, but never fails the audit.
    pub fn allow(&mut self, gate: Gate) -> &mut Self {
        self.limits.remove(&gate);
        self
    }

    pub(crate) fn limit(&self, gate: Gate) -> Option<usize> {
        self.limits.get(&gate).copied()
    }

    /// Judges each gate in force against the counter `value` gives for it.
    pub(crate) fn evaluate(&self, value: impl Fn(Gate) -> usize) -> Vec<GateResult> {
        self.limits
            .iter()
            .map(|(&gate, &threshold)| {
                let v = value(gate);
                GateResult {
                    name: gate,
                    value: v,
                    threshold,
                    pass: v <= threshold,
                }
            })
            .collect()
    }
}

/// One gate judged: the counter, its limit, and whether it stayed within.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateResult {
    pub name: Gate,
    pub value: usize,
    pub threshold: usize,
    pub pass: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_gates_are_the_failures_the_old_pipeline_hid() {
        let g = Gates::default();
        for gate in [
            Gate::ZeroScores,
            Gate::Placeholders,
            Gate::Duplicates,
            Gate::UnreadableLines,
        ] {
            assert_eq!(g.limit(gate), Some(0), "{gate}");
        }
        assert_eq!(g.limit(Gate::SchemaViolations), None);
    }

    #[test]
    fn gate_names_parse_with_dashes_and_aliases_and_unknown_ones_list_the_known() {
        assert_eq!("zero-scores".parse::<Gate>(), Ok(Gate::ZeroScores));
        assert_eq!("duplicate_rows".parse::<Gate>(), Ok(Gate::Duplicates));
        assert_eq!("schema".parse::<Gate>(), Ok(Gate::SchemaViolations));
        let err = "zeros".parse::<Gate>().unwrap_err().to_string();
        assert!(
            err.contains("zero_scores") && err.contains("\"zeros\""),
            "{err}"
        );
    }

    #[test]
    fn a_gate_fails_only_above_its_threshold_and_an_allowed_gate_never_fails() {
        let mut g = Gates::default();
        g.set(Gate::ZeroScores, 3).allow(Gate::Duplicates);
        let results = g.evaluate(|gate| match gate {
            Gate::ZeroScores => 3,
            Gate::Duplicates => 100,
            _ => 0,
        });
        assert!(results.iter().all(|r| r.pass), "{results:?}");
        assert!(results.iter().all(|r| r.name != Gate::Duplicates));
        g.set(Gate::ZeroScores, 2);
        assert!(!g.evaluate(|_| 3).iter().all(|r| r.pass));
    }
}
