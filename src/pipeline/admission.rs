//! Admission: which discovered candidates enter the index, "a rigorously filtered list of
//! individual authors". The rules are data (assets/admission/rules.json: thresholds,
//! activity, protected and parody accounts, organisation and media heuristics, risk terms,
//! sample data); this module reads them and gives a verdict per candidate with every reason
//! that fired. An operator's own admit/exclude outranks the verdict elsewhere (candidates).

mod decide;
mod facts;
mod in_force;
#[cfg(test)]
mod real_accounts;
mod rules_file;
mod terms;
#[cfg(test)]
mod verdicts;

use serde::{Deserialize, Serialize};

pub use facts::CandidateFacts;
pub(crate) use in_force::RulesInForceError;
pub use rules_file::{Action, Rules, RulesError};

/// What happens to a candidate.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Admitted,
    Excluded,
    /// A person has to look: a review rule fired and no exclude rule did.
    Review,
}

impl Decision {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Decision::Admitted => "admitted",
            Decision::Excluded => "excluded",
            Decision::Review => "review",
        }
    }
}

/// One rule that fired, with the text or value that fired it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// `below_threshold`, `inactive`, `protected`, `parody`, `org_verified_type`, `org`,
    /// `media`, `event`, `risk_nsfw`, `sample_data`, ...
    pub rule: String,
    /// What the rule does: the decision is the worst action among the reasons.
    pub action: Action,
    /// E.g. `followers 12,400 < 50,000` or `"inc" in name +3: 3 ≥ 3`.
    pub matched: String,
}

impl Reason {
    fn new(rule: &str, action: Action, matched: impl Into<String>) -> Reason {
        Reason {
            rule: rule.to_string(),
            action,
            matched: matched.into(),
        }
    }
}

/// The decision on one candidate and every reason behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub reasons: Vec<Reason>,
}

impl Verdict {
    #[cfg(test)]
    /// Whether an organisation rule (verified type, org, media or event terms) excluded it.
    pub(crate) fn excluded_as_organisation(&self) -> bool {
        self.reasons.iter().any(|r| {
            r.action == Action::Exclude
                && matches!(
                    r.rule.as_str(),
                    "org_verified_type" | "org" | "media" | "event"
                )
        })
    }
}
