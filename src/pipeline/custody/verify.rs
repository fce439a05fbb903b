//! Proving one record against the answers: the answer it names exists and hashes as recorded,
//! and every field the record took from the API equals the answer's. A field carried by several
//! answers (a record merged from several harvests) is compared with the newest that carries it.

use serde_json::{Map, Value};

use super::answer_fields::AnswerFields;
use super::answers::AnswerIndex;
use super::claim::Claim;
use crate::dataset::Record;

/// What custody says of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Custody {
    /// No source claims the X API: nothing to prove.
    NotClaimed,
    /// Every API field equals the answer at `run`, line `response_line` (the newest used).
    Verified { run: String, response_line: u64 },
    /// No answer to compare with: old data, a run not kept, or a batch forged with care.
    Unverifiable { reason: String },
    /// The answer says otherwise: which fields, or why the answer named is not the one recorded.
    Mismatch {
        run: String,
        response_line: u64,
        diffs: Vec<FieldDiff>,
        reason: Option<String>,
    },
}

/// One field whose value in the record differs from the answer's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldDiff {
    pub field: String,
    /// JSON text, or `absent`.
    pub record: String,
    pub answer: String,
}

impl Custody {
    /// The outcome's name, as the audit reports it.
    pub(crate) fn outcome(&self) -> &'static str {
        match self {
            Custody::NotClaimed => "not_claimed",
            Custody::Verified { .. } => "verified",
            Custody::Unverifiable { .. } => "unverifiable",
            Custody::Mismatch { .. } => "mismatch",
        }
    }

    /// Unverified: the record claims an API source that could not be proved (unverifiable or
    /// mismatch). What the audit lists and the console's `unverified` counter counts.
    pub(crate) fn is_unverified(&self) -> bool {
        matches!(
            self,
            Custody::Unverifiable { .. } | Custody::Mismatch { .. }
        )
    }

    /// One line of words.
    pub(crate) fn words(&self) -> String {
        match self {
            Custody::NotClaimed => "no API source claimed".into(),
            Custody::Verified { run, response_line } => {
                format!("verified against run {run}, responses.jsonl line {response_line}")
            }
            Custody::Unverifiable { reason } => format!("unverifiable: {reason}"),
            Custody::Mismatch {
                run,
                response_line,
                diffs,
                reason,
            } => {
                let mut text =
                    format!("mismatch with run {run}, responses.jsonl line {response_line}");
                if let Some(reason) = reason {
                    text.push_str(&format!(": {reason}"));
                }
                for d in diffs {
                    text.push_str(&format!(
                        "; {}: record {}, answer {}",
                        d.field, d.record, d.answer
                    ));
                }
                text
            }
        }
    }
}

/// An answer found for a record: where, and what its user object says.
struct Found<'i> {
    run: &'i str,
    line: u64,
    user: AnswerFields<'i>,
}

pub(crate) fn verify_record(record: &Record, index: &AnswerIndex) -> Custody {
    verify(&Claim::of_record(record), index)
}

/// [`verify`] for one record at a time (the console's detail pane): a run the record names
/// that the index does not hold but that exists in the index's `runs/` (a run written since the
/// index was read, such as the console's own harvest) is read and the record proved against it.
pub(crate) fn verify_one(claim: &Claim<'_>, index: &AnswerIndex) -> Custody {
    let custody = verify(claim, index);
    let (Custody::Unverifiable { .. }, Some(runs_dir), Ok(refs)) =
        (&custody, index.runs_dir(), &claim.refs)
    else {
        return custody;
    };
    let Some(new_run) = refs
        .iter()
        .find(|r| !index.has_run(&r.run) && is_plain_name(&r.run))
        .map(|r| runs_dir.join(&*r.run))
        .filter(|dir| dir.is_dir())
    else {
        return custody;
    };
    match AnswerIndex::open(&new_run) {
        Ok(fresh) => verify(claim, &fresh),
        Err(_) => custody,
    }
}

/// A run id that names a directory inside `runs/`, not a path out of it.
fn is_plain_name(run: &str) -> bool {
    !run.is_empty() && run != "." && run != ".." && !run.contains(['/', '\\'])
}

pub(crate) fn verify(claim: &Claim<'_>, index: &AnswerIndex) -> Custody {
    if !claim.claims_api {
        return Custody::NotClaimed;
    }
    let refs = match &claim.refs {
        Ok(refs) => refs,
        Err(why) => {
            return Custody::Unverifiable {
                reason: why.clone(),
            };
        }
    };
    let mut found: Vec<Found> = Vec::new();
    for (k, r) in refs.iter().enumerate() {
        let Some(number) = index.run_number(&r.run) else {
            if k == 0 {
                // Older answers hold older values: without the newest, nothing can be proved.
                return Custody::Unverifiable {
                    reason: format!(
                        "its newest answer's run {} is not among the runs read ({})",
                        r.run,
                        index.describe()
                    ),
                };
            }
            // An older answer not kept: the fields it carried are compared with the newest.
            continue;
        };
        let Some(user) = index.user_at(number, r.response_line, &r.sha256) else {
            return Custody::Mismatch {
                run: r.run.to_string(),
                response_line: r.response_line,
                diffs: Vec::new(),
                reason: Some(format!(
                    "responses.jsonl line {} holds no user object whose bytes hash to {}",
                    r.response_line, r.sha256
                )),
            };
        };
        found.push(Found {
            run: &r.run,
            line: r.response_line,
            user: user.fields,
        });
    }
    if refs.is_empty() {
        // Harvested before records named their answer: the provenance hash alone finds it.
        let first = claim.provenance_hash.as_deref();
        if let Some((run, line, user)) = first.and_then(|h| index.user_by_hash(h)) {
            found.push(Found {
                run: index.run(run).0,
                line,
                user: user.fields,
            });
        }
    }
    let Some(newest) = found.first() else {
        let reason = if claim.provenance_hash.is_some() {
            format!(
                "no answer in {} holds a user object hashing to its meta.provenance_hash",
                index.describe()
            )
        } else {
            "it names no answer (no meta.custody, no meta.provenance_hash)".into()
        };
        return Custody::Unverifiable { reason };
    };
    let diffs = compare(claim, &found);
    if diffs.is_empty() {
        Custody::Verified {
            run: newest.run.to_string(),
            response_line: newest.line,
        }
    } else {
        Custody::Mismatch {
            run: newest.run.to_string(),
            response_line: newest.line,
            diffs,
            reason: None,
        }
    }
}

fn compare(claim: &Claim<'_>, found: &[Found<'_>]) -> Vec<FieldDiff> {
    let mut diffs = Vec::new();
    for (k, field) in super::claim::API_FIELDS.iter().enumerate() {
        let Some(answer) = found.iter().find_map(|f| f.user.at(k)) else {
            continue;
        };
        let record = claim.field_at(k);
        // Written the same way: equal. Otherwise the values decide (a spelling may differ).
        if record == Some(answer) {
            continue;
        }
        let answer: Value = serde_json::from_str(answer).unwrap_or(Value::Null);
        let record: Option<Value> = record.and_then(|text| serde_json::from_str(text).ok());
        match (record, field) {
            (Some(Value::Object(r)), &"public_metrics") => {
                if let Value::Object(a) = &answer {
                    diff_metrics(&r, a, &mut diffs);
                }
            }
            (Some(r), _) if r == answer => {}
            (r, _) => diffs.push(FieldDiff {
                field: field.to_string(),
                record: r.map_or("absent".into(), |v| v.to_string()),
                answer: answer.to_string(),
            }),
        }
    }
    diffs
}

/// Metric by metric: absent and null are facts, so either side lacking one the other has differs.
fn diff_metrics(
    record: &Map<String, Value>,
    answer: &Map<String, Value>,
    out: &mut Vec<FieldDiff>,
) {
    let keys = answer
        .keys()
        .chain(record.keys().filter(|k| !answer.contains_key(*k)));
    for key in keys {
        let (r, a) = (record.get(key), answer.get(key));
        if r != a {
            let show = |v: Option<&Value>| v.map_or("absent".into(), Value::to_string);
            out.push(FieldDiff {
                field: format!("public_metrics.{key}"),
                record: show(r),
                answer: show(a),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER: &str = r#"{"id":"7","name":"Seven","username":"Seven","created_at":"2020-01-01T00:00:00.000Z","description":"d","protected":false,"verified":false,"verified_type":"none","public_metrics":{"followers_count":10,"following_count":2,"tweet_count":3,"listed_count":0}}"#;

    fn runs() -> (tempfile::TempDir, AnswerIndex) {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("20260101T000000.000Z");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(
            run.join("responses.jsonl"),
            format!("{{\"status\":200,\"body\":{{\"data\":[{USER}]}}}}\n"),
        )
        .unwrap();
        let index = AnswerIndex::open(tmp.path()).unwrap();
        (tmp, index)
    }

    fn harvested() -> Record {
        let sha = crate::digest::sha256_hex(USER.as_bytes());
        Record::from_value(json!({
            "id": "7", "handle": "Seven", "name": "Seven", "verified": "none",
            "followers_count": 10, "created_at": "2020-01-01T00:00:00.000Z", "description": "d",
            "protected": false,
            "public_metrics": {"followers_count":10,"following_count":2,"tweet_count":3,"listed_count":0},
            "meta": {"sources": [{"method": "x-api-v2", "fetched_at": "2026-01-01T00:00:00.000Z", "evidence": "e"}],
                     "provenance_hash": sha,
                     "custody": [{"run": "20260101T000000.000Z", "response_line": 1, "sha256": sha,
                                  "fetched_at": "2026-01-01T00:00:00.000Z"}]}
        }))
        .unwrap()
    }

    #[test]
    fn an_untouched_record_verifies_against_its_answer() {
        let (_tmp, index) = runs();
        assert_eq!(
            verify_record(&harvested(), &index),
            Custody::Verified {
                run: "20260101T000000.000Z".into(),
                response_line: 1
            }
        );
    }

    #[test]
    fn an_edited_metric_or_name_is_a_mismatch_naming_the_field_and_both_values() {
        let (_tmp, index) = runs();
        let mut edited = harvested();
        edited.fields_mut().insert("name".into(), json!("Eight"));
        edited.fields_mut()["public_metrics"]["followers_count"] = json!(99);
        let Custody::Mismatch { diffs, .. } = verify_record(&edited, &index) else {
            panic!("not a mismatch")
        };
        assert_eq!(
            diffs,
            vec![
                FieldDiff {
                    field: "name".into(),
                    record: "\"Eight\"".into(),
                    answer: "\"Seven\"".into()
                },
                FieldDiff {
                    field: "public_metrics.followers_count".into(),
                    record: "99".into(),
                    answer: "10".into()
                },
            ]
        );
    }

    #[test]
    fn a_record_naming_an_answer_that_does_not_hash_as_recorded_is_a_mismatch() {
        let (_tmp, index) = runs();
        let mut forged = harvested();
        forged.meta_mut()["custody"][0]["sha256"] = json!("0".repeat(64));
        assert!(matches!(
            verify_record(&forged, &index),
            Custody::Mismatch { reason: Some(r), .. } if r.contains("hash")
        ));
    }

    #[test]
    fn records_with_no_answer_are_unverifiable_and_records_claiming_no_api_are_not_asked() {
        let (_tmp, index) = runs();
        let mut forged = harvested();
        let meta = forged.meta_mut();
        meta.remove("custody");
        meta.insert("provenance_hash".into(), json!("1".repeat(64)));
        assert!(matches!(
            verify_record(&forged, &index),
            Custody::Unverifiable { .. }
        ));
        let mut elsewhere = harvested();
        elsewhere.meta_mut()["custody"][0]["run"] = json!("gone");
        assert!(matches!(
            verify_record(&elsewhere, &index),
            Custody::Unverifiable { reason } if reason.contains("gone")
        ));
        let manual = Record::from_value(json!({"handle": "m", "meta": {"sources": [
            {"method": "manual", "fetched_at": "2026-01-01T00:00:00Z", "evidence": "typed"}]}}))
        .unwrap();
        assert_eq!(verify_record(&manual, &index), Custody::NotClaimed);
    }
}
