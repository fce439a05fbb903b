//! Applying the rules to one candidate: every rule that fires is listed with what fired it, and
//! the decision follows from the worst action among them. The rules themselves are data
//! (`rules_file`); how terms are found is `terms`.

use chrono::{DateTime, Utc};

use super::facts::CandidateFacts;
use super::rules_file::{Action, Field, Position, Rules, Term};
use super::terms::{self, FieldTexts};
use super::{Decision, Reason, Verdict};

impl Rules {
    /// The verdict on `candidate` at `now`.
    pub fn decide(&self, candidate: &CandidateFacts<'_>, now: DateTime<Utc>) -> Verdict {
        let mut reasons = Vec::new();
        self.threshold_reasons(candidate, &mut reasons);
        self.activity_reasons(candidate, now, &mut reasons);
        if self.exclude_protected && candidate.protected == Some(true) {
            reasons.push(Reason::new("protected", Action::Exclude, "protected: true"));
        }
        if self.exclude_parody && candidate.parody == Some(true) {
            reasons.push(Reason::new("parody", Action::Exclude, "parody: true"));
        }
        if let Some(kind) = candidate.verified_type {
            let folded = kind.to_ascii_lowercase();
            if self.org_verified_types.contains(&folded) {
                reasons.push(Reason::new(
                    "org_verified_type",
                    Action::Exclude,
                    format!("verified_type \"{kind}\""),
                ));
            }
        }
        let texts = FieldTexts::new(candidate.name, candidate.handle, candidate.description);
        self.org_reasons(candidate, &texts, &mut reasons);
        self.risk_reasons(&texts, &mut reasons);
        for flag in &candidate.placeholders {
            reasons.push(Reason::new(
                "sample_data",
                Action::Exclude,
                format!("{}: {}", flag.detector, flag.reason),
            ));
        }
        Verdict::of(reasons)
    }

    fn threshold_reasons(&self, c: &CandidateFacts<'_>, out: &mut Vec<Reason>) {
        let verified = c
            .verified_type
            .is_some_and(|v| !v.eq_ignore_ascii_case("none"));
        let (need, kind) = if verified {
            (self.threshold.followers_verified, " (verified)")
        } else {
            (self.threshold.followers, "")
        };
        match c.followers {
            None => out.push(Reason::new(
                "followers_unknown",
                Action::Review,
                "followers unknown",
            )),
            Some(n) if n < need => out.push(Reason::new(
                "below_threshold",
                Action::Exclude,
                format!("followers {} < {}{kind}", thousands(n), thousands(need)),
            )),
            Some(_) => {}
        }
    }

    fn activity_reasons(&self, c: &CandidateFacts<'_>, now: DateTime<Utc>, out: &mut Vec<Reason>) {
        let limit = i64::from(self.activity.inactive_after_days);
        match c.last_post_at {
            Some(at) => {
                let days = (now - at).num_days();
                if days > limit {
                    out.push(Reason::new(
                        "inactive",
                        Action::Exclude,
                        format!(
                            "last post {}, {days} days before now (limit {limit})",
                            at.format("%Y-%m-%d")
                        ),
                    ));
                }
            }
            // A protected account's answer never names its posts: its silence is not news.
            None if c.last_post_asked && c.protected != Some(true) => out.push(Reason::new(
                "never_posted",
                self.activity.never_posted,
                "no last post in the answer",
            )),
            None => {}
        }
    }

    fn org_reasons(&self, c: &CandidateFacts<'_>, texts: &FieldTexts, out: &mut Vec<Reason>) {
        let org = &self.org;
        let found: Vec<Vec<(&Term, Field)>> = org
            .categories
            .iter()
            .map(|category| matches(&category.terms, texts))
            .collect();
        // "Black Hat" is shaped like a person's name; its handle, BlackHatEvents, says otherwise.
        let names_org = found
            .iter()
            .flatten()
            .any(|(_, f)| matches!(f, Field::Name | Field::Handle));
        let mut person = matches(&org.person.terms, texts);
        let mut person_extra: Vec<(String, f64)> = Vec::new();
        if !names_org && c.name.is_some_and(is_personal_name) {
            person_extra.push(("a \"First Last\" name".into(), org.person.name_shape_weight));
        }
        if c.affiliation {
            person_extra.push(("an affiliation badge".into(), org.person.affiliation_weight));
        }
        person.sort_by(|a, b| b.0.weight.total_cmp(&a.0.weight));
        let person_total: f64 = person.iter().map(|(t, _)| t.weight).sum::<f64>()
            + person_extra.iter().map(|(_, w)| w).sum::<f64>();
        for (category, hits) in org.categories.iter().zip(&found) {
            if hits.is_empty() {
                continue;
            }
            let total: f64 = hits.iter().map(|(t, _)| t.weight).sum::<f64>() - person_total;
            let action = if total >= org.exclude_at {
                Action::Exclude
            } else if total >= org.review_at {
                Action::Review
            } else {
                continue;
            };
            let limit = match action {
                Action::Exclude => org.exclude_at,
                Action::Review => org.review_at,
            };
            out.push(Reason::new(
                &category.rule,
                action,
                evidence(hits, &person, &person_extra, total, limit),
            ));
        }
    }

    fn risk_reasons(&self, texts: &FieldTexts, out: &mut Vec<Reason>) {
        for risk in &self.risk {
            let hits: Vec<String> = risk
                .terms
                .iter()
                .filter_map(|term| {
                    risk.fields
                        .iter()
                        .find(|&&f| terms::contains(texts.get(f), term, Position::Anywhere))
                        .map(|f| format!("\"{term}\" in {}", f.words()))
                })
                .collect();
            if !hits.is_empty() {
                out.push(Reason::new(&risk.rule, risk.action, hits.join(", ")));
            }
        }
    }
}

/// The terms found, each with the field it was found in.
fn matches<'t>(list: &'t [Term], texts: &FieldTexts) -> Vec<(&'t Term, Field)> {
    list.iter()
        .filter_map(|t| terms::find(texts, t).map(|f| (t, f)))
        .collect()
}

/// `"Inc." in name +3, "we are a" in description +3, person "she/her" in description -2: 4 ≥ 3`.
fn evidence(
    hits: &[(&Term, Field)],
    person: &[(&Term, Field)],
    person_extra: &[(String, f64)],
    total: f64,
    limit: f64,
) -> String {
    let mut parts: Vec<String> = hits
        .iter()
        .map(|(t, f)| format!("\"{}\" in {} +{}", t.text, f.words(), t.weight))
        .collect();
    parts.extend(
        person
            .iter()
            .map(|(t, f)| format!("person \"{}\" in {} -{}", t.text, f.words(), t.weight)),
    );
    parts.extend(
        person_extra
            .iter()
            .map(|(what, w)| format!("person: {what} -{w}")),
    );
    format!("{}: {total} ≥ {limit}", parts.join(", "))
}

/// A name shaped like a person's: two or three words, each a capital then small letters
/// ("Ada Lovelace", "Guido van Rossum" has a small "van" and still counts). Weak evidence:
/// "Black Hat" has the same shape, which is why org terms in the name switch it off.
fn is_personal_name(name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    if !(2..=4).contains(&words.len()) {
        return false;
    }
    let capitalised = |w: &&str| {
        let mut chars = w.chars();
        chars.next().is_some_and(char::is_uppercase)
            && w.chars().count() >= 2
            && chars.all(|c| c.is_lowercase() || c == '-' || c == '\'')
    };
    let particle = |w: &&str| {
        matches!(
            *w,
            "van" | "von" | "de" | "da" | "del" | "der" | "di" | "le" | "la" | "bin"
        )
    };
    let first = words[0];
    let last = words[words.len() - 1];
    capitalised(&first) && capitalised(&last) && words.iter().all(|w| capitalised(w) || particle(w))
}

/// `12400` as `12,400`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Verdict {
    /// Excluded if any exclude rule fired, else Review if any review rule did, else Admitted.
    fn of(reasons: Vec<Reason>) -> Verdict {
        let decision = if reasons.iter().any(|r| r.action == Action::Exclude) {
            Decision::Excluded
        } else if reasons.is_empty() {
            Decision::Admitted
        } else {
            Decision::Review
        };
        Verdict { decision, reasons }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(thousands(12_400), "12,400");
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn personal_names_have_two_to_four_capitalised_words() {
        assert!(is_personal_name("Andrej Karpathy"));
        assert!(is_personal_name("Guido van Rossum"));
        assert!(is_personal_name("François Chollet"));
        assert!(!is_personal_name("jack"));
        assert!(!is_personal_name("Stability AI"));
        assert!(!is_personal_name("DeepLearning.AI"));
    }
}
