//! The admission rules as data (assets/admission/rules.json, later overridable from
//! influx.toml): their serde shape, and the checks that a file makes sense before any candidate
//! is judged by it. Errors name the line (syntax, unknown or missing fields) or the field path
//! (values that parse but cannot work). How the rules are applied lives in `decide`.

use serde::Deserialize;

/// The rules shipped with influx.
const BUNDLED: &str = include_str!("../../../assets/admission/rules.json");

/// A rules file that cannot be used, located for the person who edits it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RulesError {
    #[error("admission rules, line {line} column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("admission rules, {field}: {problem}")]
    Invalid { field: String, problem: String },
}

/// What a rule does to a candidate when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Exclude,
    Review,
}

/// The part of a candidate a term is looked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Handle,
    Description,
}

impl Field {
    pub(crate) fn words(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Handle => "handle",
            Field::Description => "description",
        }
    }
}

/// Where in the field a term must stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    #[default]
    Anywhere,
    /// The field's last word ("News" ending a name; a bio that mentions news is no outlet).
    End,
}

/// The rules file as stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Which rules decided a candidate: recorded with each decision.
    pub version: String,
    pub threshold: Threshold,
    pub activity: Activity,
    pub exclude_protected: bool,
    pub exclude_parody: bool,
    /// `verified_type` values that only organisations get (X's gold and grey checks).
    pub org_verified_types: Vec<String>,
    pub org: OrgRules,
    pub risk: Vec<RiskCategory>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Followers an unverified account needs.
    pub followers: u64,
    /// Followers an account with any `verified_type` but `none` needs.
    pub followers_verified: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// No post for this many days: inactive.
    pub inactive_after_days: u32,
    /// What to do with a public account whose answer names no last post at all.
    pub never_posted: Action,
}

/// Organisation heuristics: weighted terms summed per category, less the person evidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgRules {
    pub exclude_at: f64,
    pub review_at: f64,
    pub categories: Vec<OrgCategory>,
    pub person: PersonEvidence,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgCategory {
    /// The rule named in a reason (`org`, `media`, `event`).
    pub rule: String,
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonEvidence {
    pub terms: Vec<Term>,
    /// A name shaped like "First Last" (2-3 capitalised words, none of them an org term).
    pub name_shape_weight: f64,
    /// An affiliation badge: a person affiliated with an organisation, not the organisation.
    pub affiliation_weight: f64,
}

/// One weighted term, matched on word boundaries ignoring case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub text: String,
    pub weight: f64,
    #[serde(rename = "in")]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub at: Position,
}

/// Terms whose single match fires the category's action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskCategory {
    pub rule: String,
    pub action: Action,
    #[serde(rename = "in")]
    pub fields: Vec<Field>,
    pub terms: Vec<String>,
}

impl Rules {
    /// The rules shipped in assets/admission/rules.json.
    pub(crate) fn bundled() -> Rules {
        Rules::parse(BUNDLED).expect("the bundled admission rules parse (pinned by a test)")
    }

    /// The bundled rules, read once for the process (every harvested record is judged).
    pub fn shared() -> &'static Rules {
        static RULES: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();
        RULES.get_or_init(Rules::bundled)
    }

    /// Reads and checks a rules file; terms are lower-cased once here, not per candidate.
    pub(crate) fn parse(text: &str) -> Result<Rules, RulesError> {
        let mut rules: Rules = serde_json::from_str(text).map_err(|e| RulesError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        rules.check()?;
        rules.fold_case();
        Ok(rules)
    }

    fn check(&self) -> Result<(), RulesError> {
        let invalid = |field: String, problem: &str| {
            Err(RulesError::Invalid {
                field,
                problem: problem.to_string(),
            })
        };
        if self.version.trim().is_empty() {
            return invalid("version".into(), "must name the rules' version");
        }
        if self.threshold.followers_verified > self.threshold.followers {
            return invalid(
                "threshold.followers_verified".into(),
                "must not be above threshold.followers (a check mark lowers the bar)",
            );
        }
        let org = &self.org;
        if !(org.review_at > 0.0 && org.review_at <= org.exclude_at) {
            return invalid(
                "org.review_at".into(),
                "must be above 0 and at most org.exclude_at",
            );
        }
        let mut terms: Vec<(String, &Term)> = Vec::new();
        for (c, category) in org.categories.iter().enumerate() {
            if category.rule.trim().is_empty() {
                return invalid(format!("org.categories[{c}].rule"), "must not be empty");
            }
            for (t, term) in category.terms.iter().enumerate() {
                terms.push((format!("org.categories[{c}].terms[{t}]"), term));
            }
        }
        for (t, term) in org.person.terms.iter().enumerate() {
            terms.push((format!("org.person.terms[{t}]"), term));
        }
        for (path, term) in terms {
            if term.text.trim().is_empty() {
                return invalid(format!("{path}.text"), "must not be empty");
            }
            if !(term.weight.is_finite() && term.weight > 0.0) {
                return invalid(format!("{path}.weight"), "must be a number above 0");
            }
            if term.fields.is_empty() {
                return invalid(format!("{path}.in"), "must name at least one field");
            }
        }
        for (r, risk) in self.risk.iter().enumerate() {
            if risk.fields.is_empty() {
                return invalid(format!("risk[{r}].in"), "must name at least one field");
            }
            if let Some(t) = risk.terms.iter().position(|t| t.trim().is_empty()) {
                return invalid(format!("risk[{r}].terms[{t}]"), "must not be empty");
            }
        }
        Ok(())
    }

    fn fold_case(&mut self) {
        let org = &mut self.org;
        let terms = org
            .categories
            .iter_mut()
            .flat_map(|c| c.terms.iter_mut())
            .chain(org.person.terms.iter_mut());
        for term in terms {
            term.text = term.text.to_lowercase();
        }
        for risk in &mut self.risk {
            for term in &mut risk.terms {
                *term = term.to_lowercase();
            }
        }
        for kind in &mut self.org_verified_types {
            *kind = kind.to_ascii_lowercase();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_rules_parse_and_carry_a_version() {
        let rules = Rules::parse(BUNDLED).expect("bundled rules");
        assert!(!rules.version.is_empty());
        assert_eq!(rules.threshold.followers, 50_000);
        assert_eq!(rules.threshold.followers_verified, 30_000);
        assert_eq!(rules.activity.inactive_after_days, 180);
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let text = BUNDLED.replacen(
            "\"exclude_protected\": true,",
            "\"exclude_protected\": true",
            1,
        );
        match Rules::parse(&text) {
            Err(RulesError::Syntax { line, .. }) => assert_eq!(line, 12),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_field_is_refused_with_its_name_and_line() {
        let text = BUNDLED.replacen("\"exclude_parody\"", "\"exclude_parodies\"", 1);
        let err = Rules::parse(&text).unwrap_err();
        assert!(err.to_string().contains("exclude_parodies"), "{err}");
        assert!(
            matches!(err, RulesError::Syntax { line: 12, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_term_without_weight_is_refused_with_its_path() {
        let text = BUNDLED.replacen("\"weight\": 3,", "\"weight\": 0,", 1);
        let err = Rules::parse(&text).unwrap_err();
        assert_eq!(
            err,
            RulesError::Invalid {
                field: "org.categories[0].terms[0].weight".into(),
                problem: "must be a number above 0".into()
            }
        );
    }

    #[test]
    fn a_review_threshold_above_the_exclude_threshold_is_refused() {
        let text = BUNDLED.replacen("\"review_at\": 2.0", "\"review_at\": 4.0", 1);
        let err = Rules::parse(&text).unwrap_err();
        assert!(err.to_string().contains("org.review_at"), "{err}");
    }
}
