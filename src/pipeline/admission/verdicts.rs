//! The bundled rules' verdicts on candidates of each kind, pinned: thresholds, activity,
//! protected and parody accounts, organisations versus people, risk terms and sample data.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::{CandidateFacts, Decision, Rules, Verdict};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap()
}

/// A snowflake post id made at `t`.
fn post_id(t: DateTime<Utc>) -> String {
    (((t.timestamp_millis() - 1_288_834_974_657) as u64) << 22).to_string()
}

/// An API user with 100k followers who posted yesterday, `extra` fields laid over it.
fn user(extra: Value) -> Value {
    let mut u = json!({
        "id": "15033883", "username": "adalovelace", "name": "Ada Lovelace",
        "description": "Mathematician. I write about engines and numbers.",
        "verified_type": "blue", "protected": false,
        "public_metrics": {"followers_count": 100_000, "following_count": 300,
            "tweet_count": 5000, "listed_count": 900, "like_count": 100, "media_count": 20},
        "most_recent_tweet_id": post_id(now() - Duration::days(1)),
    });
    for (k, v) in extra.as_object().unwrap() {
        u[k] = v.clone();
    }
    u
}

fn verdict(u: &Value) -> Verdict {
    Rules::bundled().decide(&CandidateFacts::from_api_user(u), now())
}

fn rules_of(v: &Verdict) -> Vec<&str> {
    v.reasons.iter().map(|r| r.rule.as_str()).collect()
}

#[test]
fn an_active_person_above_the_threshold_is_admitted() {
    let v = verdict(&user(json!({})));
    assert_eq!(v.decision, Decision::Admitted, "{v:?}");
    assert!(v.reasons.is_empty());
}

#[test]
fn the_threshold_is_lower_for_a_verified_account_and_absent_verified_type_counts_as_none() {
    let metrics = json!({"followers_count": 40_000});
    let v = verdict(&user(json!({"public_metrics": metrics})));
    assert_eq!(v.decision, Decision::Admitted, "blue at 40k: {v:?}");
    let mut none = user(json!({"public_metrics": metrics}));
    none.as_object_mut().unwrap().remove("verified_type");
    let v = verdict(&none);
    assert_eq!(v.decision, Decision::Excluded);
    assert_eq!(v.reasons[0].rule, "below_threshold");
    assert_eq!(v.reasons[0].matched, "followers 40,000 < 50,000");
    let v = verdict(&user(
        json!({"verified_type": "blue", "public_metrics": {"followers_count": 12_400}}),
    ));
    assert_eq!(v.reasons[0].matched, "followers 12,400 < 30,000 (verified)");
}

#[test]
fn a_missing_follower_count_is_never_admitted_on_nothing() {
    let mut u = user(json!({}));
    u.as_object_mut().unwrap().remove("public_metrics");
    let v = verdict(&u);
    assert_eq!(v.decision, Decision::Review);
    assert_eq!(rules_of(&v), ["followers_unknown"]);
}

#[test]
fn no_post_for_more_than_180_days_is_inactive_and_an_absent_last_post_is_not() {
    let old = post_id(now() - Duration::days(200));
    let v = verdict(&user(json!({"most_recent_tweet_id": old})));
    assert_eq!(v.decision, Decision::Excluded);
    assert_eq!(rules_of(&v), ["inactive"]);
    assert!(
        v.reasons[0].matched.contains("200 days"),
        "{}",
        v.reasons[0].matched
    );
    let mut u = user(json!({}));
    u.as_object_mut().unwrap().remove("most_recent_tweet_id");
    assert_eq!(
        verdict(&u).decision,
        Decision::Admitted,
        "not asked: unknown"
    );
}

#[test]
fn a_public_account_whose_answer_names_no_post_is_reviewed_and_a_protected_one_is_not() {
    let mut u = user(json!({}));
    u.as_object_mut().unwrap().remove("most_recent_tweet_id");
    let mut facts = CandidateFacts::from_api_user(&u);
    facts.last_post_asked = true;
    let v = Rules::bundled().decide(&facts, now());
    assert_eq!(
        (v.decision, rules_of(&v)),
        (Decision::Review, vec!["never_posted"])
    );
    facts.protected = Some(true);
    let v = Rules::bundled().decide(&facts, now());
    assert_eq!(rules_of(&v), ["protected"]);
}

#[test]
fn protected_and_parody_accounts_are_excluded() {
    assert_eq!(
        rules_of(&verdict(&user(json!({"protected": true})))),
        ["protected"]
    );
    assert_eq!(
        rules_of(&verdict(&user(json!({"parody": true})))),
        ["parody"]
    );
}

#[test]
fn business_and_government_check_marks_are_organisations() {
    for kind in ["business", "government"] {
        let v = verdict(&user(json!({"verified_type": kind})));
        assert_eq!(v.decision, Decision::Excluded);
        assert_eq!(rules_of(&v), ["org_verified_type"]);
        assert!(v.excluded_as_organisation());
    }
}

#[test]
fn anthropic_is_an_organisation_by_its_check_mark_and_by_its_own_words() {
    // The old pipeline kept Anthropic as an author. Its profile's shape: a company speaking as "we".
    let anthropic = json!({
        "username": "AnthropicAI", "name": "Anthropic", "verified_type": "business",
        "description": "We're an AI safety and research company that builds reliable, \
            interpretable, and steerable AI systems. Talk to our AI assistant Claude at https://claude.ai.",
        "public_metrics": {"followers_count": 800_000},
    });
    let v = verdict(&user(anthropic.clone()));
    assert!(v.excluded_as_organisation(), "{v:?}");
    let blue = user(
        json!({"verified_type": "blue", "username": "AnthropicAI", "name": "Anthropic",
        "description": anthropic["description"]}),
    );
    let v = verdict(&blue);
    assert_eq!(v.decision, Decision::Excluded, "{v:?}");
    assert_eq!(rules_of(&v), ["org"]);
}

#[test]
fn mark_cuban_is_a_person_not_an_official_account() {
    // The old pipeline marked Mark Cuban "official". A person who names his companies is a person.
    let cuban = user(json!({
        "username": "mcuban", "name": "Mark Cuban", "verified_type": "blue",
        "description": "Owner of Cost Plus Drugs and a few other companies. I answer my own DMs. \
            https://costplusdrugs.com",
        "public_metrics": {"followers_count": 8_900_000},
    }));
    let v = verdict(&cuban);
    assert_eq!(v.decision, Decision::Admitted, "{v:?}");
}

#[test]
fn one_weak_word_in_a_persons_bio_never_makes_an_organisation() {
    for bio in [
        "Working on the ML team at Google",
        "PR reviewer, compiler nerd",
        "ex-CNN news anchor. Dad of two.",
        "I run a small shop selling prints",
        "CTO at Acme Inc. Views my own.",
    ] {
        let v = verdict(&user(json!({"description": bio})));
        assert_eq!(v.decision, Decision::Admitted, "{bio}: {v:?}");
    }
}

#[test]
fn strong_organisation_signals_exclude() {
    for (name, bio, rule) in [
        ("Acme Inc.", "Tools for builders.", "org"),
        ("Daily Planet News", "Metropolis, every day.", "media"),
        ("Orbit Labs", "Research on rockets.", "org"),
        ("Widget.io", "Widgets for everyone.", "org"),
        (
            "Widget",
            "The official account of Widget. Follow us for updates!",
            "org",
        ),
        (
            "Widget Help",
            "Customer support for Widget. DM us any time.",
            "org",
        ),
        (
            "RustConf",
            "The annual conference for Rust. Get your tickets!",
            "event",
        ),
    ] {
        let v = verdict(&user(json!({"name": name, "description": bio})));
        assert!(v.excluded_as_organisation(), "{name}: {v:?}");
        assert!(rules_of(&v).contains(&rule), "{name}: {v:?}");
    }
}

#[test]
fn an_affiliation_badge_does_not_make_a_person_an_organisation() {
    let v = verdict(&user(json!({"affiliation": {"description": "Google"}})));
    assert_eq!(v.decision, Decision::Admitted, "{v:?}");
}

#[test]
fn risk_terms_exclude_or_send_to_review_by_category() {
    let v = verdict(&user(
        json!({"description": "NSFW 18+ artist. Links below."}),
    ));
    assert_eq!(
        (v.decision, rules_of(&v)),
        (Decision::Excluded, vec!["risk_nsfw"])
    );
    assert!(v.reasons[0].matched.contains("\"nsfw\" in description"));
    let v = verdict(&user(
        json!({"description": "Daily airdrop and giveaway alerts, 1000x gems"}),
    ));
    assert_eq!(
        (v.decision, rules_of(&v)),
        (Decision::Review, vec!["risk_crypto_pump"])
    );
}

#[test]
fn sample_data_is_excluded_by_the_placeholder_detectors() {
    let v = verdict(&user(
        json!({"username": "test_user_1", "name": "Test User 1"}),
    ));
    assert_eq!(v.decision, Decision::Excluded);
    assert!(rules_of(&v).contains(&"sample_data"), "{v:?}");
}

#[test]
fn every_rule_that_fired_is_listed() {
    let v = verdict(&user(json!({
        "protected": true, "parody": true, "verified_type": "business",
        "public_metrics": {"followers_count": 10},
    })));
    assert_eq!(
        rules_of(&v),
        [
            "below_threshold",
            "protected",
            "parody",
            "org_verified_type"
        ]
    );
}

#[test]
fn the_old_harvesters_two_prefetched_users_are_a_person_and_an_organisation() {
    let text = include_str!("../../../tests/fixtures/prefetched.sample.jsonl");
    let users: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let person = verdict(&users[0]);
    assert_eq!(person.decision, Decision::Admitted, "pmarca: {person:?}");
    let org = verdict(&users[1]);
    assert!(org.excluded_as_organisation(), "Acme Inc.: {org:?}");
    assert_eq!(rules_of(&org), ["org_verified_type", "org"]);
}
