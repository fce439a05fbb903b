//! The organisation rules measured on real accounts: every distinct handle of the old
//! pipeline's dataset (tests/fixtures/latest-2025-11-14.jsonl) labelled by hand as org or
//! person in tests/fixtures/org-labels.tsv. Those records carry a handle and a name but no
//! description and no `verified_type` beyond blue/none, so this measures the name and handle
//! heuristics alone: the floor the rules keep on the thinnest records they will see.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};

use super::{CandidateFacts, Rules};
use crate::dataset::parse_line;

const DATASET: &str = include_str!("../../../tests/fixtures/latest-2025-11-14.jsonl");
const LABELS: &str = include_str!("../../../tests/fixtures/org-labels.tsv");

/// Precision and recall of "excluded as an organisation" on the labelled handles.
struct Measure {
    precision: f64,
    recall: f64,
    false_orgs: Vec<String>,
    missed_orgs: Vec<String>,
    /// Orgs that an org rule at least sent to review (excluded ones included).
    orgs_flagged: usize,
    orgs: usize,
    labelled: usize,
}

fn measure() -> Measure {
    let labels: HashMap<String, bool> = LABELS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let handle = f.next().expect("handle").to_ascii_lowercase();
            let org = match f.next() {
                Some("org") => true,
                Some("person") => false,
                other => panic!("label of {handle}: {other:?}"),
            };
            (handle, org)
        })
        .collect();
    let rules = Rules::bundled();
    let now = Utc.with_ymd_and_hms(2025, 11, 14, 0, 0, 0).unwrap();
    // The first copy of each handle: the copies differ in counts, not in names.
    let mut seen = HashMap::new();
    for (i, line) in DATASET.lines().enumerate() {
        let record = parse_line(i + 1, line).expect("fixture line");
        let key = record.handle_key().expect("handle");
        if seen.contains_key(&key) {
            continue;
        }
        let verdict = rules.decide(&CandidateFacts::from_record(&record), now);
        let said = format!(
            "{} ({})",
            record.handle().unwrap_or(""),
            record.name().unwrap_or("")
        );
        let flagged = verdict.reasons.iter().any(|r| {
            matches!(
                r.rule.as_str(),
                "org_verified_type" | "org" | "media" | "event"
            )
        });
        seen.insert(key, (verdict.excluded_as_organisation(), flagged, said));
    }
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    let (mut false_orgs, mut missed_orgs) = (Vec::new(), Vec::new());
    let mut orgs_flagged = 0;
    for (handle, is_org) in &labels {
        let (predicted, flagged, said) = seen
            .get(handle)
            .unwrap_or_else(|| panic!("{handle} labelled but not in the dataset"));
        if *is_org && *flagged {
            orgs_flagged += 1;
        }
        match (*predicted, *is_org) {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                false_orgs.push(said.clone());
            }
            (false, true) => {
                fneg += 1;
                missed_orgs.push(said.clone());
            }
            (false, false) => {}
        }
    }
    false_orgs.sort();
    missed_orgs.sort();
    Measure {
        precision: tp as f64 / (tp + fp).max(1) as f64,
        recall: tp as f64 / (tp + fneg).max(1) as f64,
        false_orgs,
        missed_orgs,
        orgs_flagged,
        orgs: tp + fneg,
        labelled: labels.len(),
    }
}

#[test]
fn organisations_among_real_accounts_are_found_with_the_measured_precision_and_recall() {
    let m = measure();
    println!(
        "org rules on {} real handles ({} orgs): precision {:.3}, recall {:.3}, {} orgs at least \
         sent to review\n  taken for orgs: {:?}\n  orgs missed: {:?}",
        m.labelled, m.orgs, m.precision, m.recall, m.orgs_flagged, m.false_orgs, m.missed_orgs
    );
    assert!(m.labelled >= 300, "every distinct handle is labelled");
    assert!(
        m.precision >= PRECISION,
        "precision {:.3} fell below {PRECISION}",
        m.precision
    );
    assert!(
        m.recall >= RECALL,
        "recall {:.3} fell below {RECALL}",
        m.recall
    );
}

/// What the bundled rules achieve on names and handles alone (see the module's note).
const PRECISION: f64 = 1.0;
const RECALL: f64 = 0.63;
