//! The console's candidates view, review counter, operator's word and discovery: the reducer
//! driven by keys and answers, whole-screen snapshots at 120x40, 80x24 and 60x20, and the
//! console's real `Operations` writing the operator's word to the candidates file.

use chrono::{TimeZone, Utc};
use influx::cli::console_ops::ConsoleOps;
use influx::dataset::read_dataset;
use influx::pipeline::admission::Decision;
use influx::pipeline::candidates::{Candidate, Candidates};
use influx::pipeline::data_dir::DataDir;
use influx::ui::Action;
use influx::ui::CandidateFilter;
use influx::ui::action_for;
use influx::ui::{App, Settings, render, update};
use influx::ui::{Confirm, Effect, Mode};
use influx::ui::{DiscoveryAsk, DiscoveryPlanView, Operations};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

fn app(readonly: bool) -> App {
    let settings = Settings {
        dataset: "demo".into(),
        readonly,
        color: false,
    };
    let records = read_dataset(std::path::Path::new(
        "tests/fixtures/latest-2025-11-14.jsonl",
    ))
    .expect("fixture readable")
    .records;
    let mut app = App::new(
        settings,
        Utc.with_ymd_and_hms(2025, 11, 14, 12, 0, 0).unwrap(),
    )
    .with_records(records);
    update(&mut app, Action::Resize(120, 40));
    app
}

fn press(app: &mut App, code: KeyCode) {
    if let Some(a) = action_for(app, KeyEvent::new(code, KeyModifiers::NONE)) {
        update(app, a);
    }
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn candidate(handle: &str, decision: &str, sources: serde_json::Value) -> Candidate {
    let reasons = match decision {
        "review" => json!([{"rule": "below_threshold", "action": "review",
            "matched": "followers 12,400 < 50,000"}]),
        "excluded" => json!([
            {"rule": "org", "action": "exclude", "matched": "\"labs\" in name +2, \"official\" in description +1: 3 ≥ 3"},
            {"rule": "inactive", "action": "review", "matched": "last post 2025-03-02, 257 days ago > 180"}
        ]),
        _ => json!([]),
    };
    serde_json::from_value(json!({
        "handle": handle, "id": "100", "decision": decision, "reasons": reasons,
        "sources": sources, "decided_by": "rules 2026.1", "decided_at": "2025-11-14T11:00:00Z",
        "name": format!("{handle} name"), "followers": 123_400,
        "last_post_at": if decision == "excluded" { json!(null) } else { json!("2025-11-10T08:00:00Z") },
    }))
    .expect("a candidate")
}

/// Thirty candidates: every third in review, every third excluded, the rest admitted; some
/// from the AI list, some from the seed's following, some from both.
fn thirty() -> Vec<Candidate> {
    let list =
        json!({"source": "list", "list": "1700000000000000001", "at": "2025-11-14T10:00:00Z"});
    let seed =
        json!({"source": "following", "seed": "ada_lindqvist", "at": "2025-11-14T10:00:00Z"});
    (0..30)
        .map(|i| {
            let decision = ["review", "excluded", "admitted"][i % 3];
            let sources = match i % 4 {
                0 => json!([list]),
                1 => json!([seed]),
                _ => json!([list, seed]),
            };
            candidate(&format!("author_{i:02}"), decision, sources)
        })
        .collect()
}

fn with_candidates(mut app: App) -> App {
    update(&mut app, Action::CandidatesLoaded(Ok(thirty())));
    app
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    update(app, Action::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| render(app, f)).unwrap();
    format!("{}", terminal.backend())
}

#[test]
fn c_opens_the_candidates_view_asking_for_them_afresh_and_esc_closes_it() {
    let mut app = with_candidates(app(false));
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.mode, Mode::Candidates);
    assert!(app.outbox.contains(&Effect::LoadCandidates));
    assert_eq!(app.candidates.shown.len(), 30);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn the_number_keys_in_the_candidates_view_filter_by_decision_not_the_authors() {
    let mut app = with_candidates(app(false));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(
        app.candidates.filter,
        CandidateFilter::Only(Decision::Review)
    );
    assert_eq!(app.candidates.shown.len(), 10);
    assert!(
        app.candidates
            .shown
            .iter()
            .all(|&i| app.candidates.all[i].decision == Decision::Review)
    );
    assert!(
        app.filter.flag.is_none(),
        "the authors' filter is untouched"
    );
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.candidates.shown.len(), 10);
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(app.candidates.shown.len(), 30);
}

#[test]
fn j_k_g_and_capital_g_move_within_the_candidates_and_keep_the_selection_on_screen() {
    let mut app = with_candidates(app(false));
    update(&mut app, Action::Resize(80, 24));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.candidates.selected, 29);
    assert!(app.candidates.offset + app.candidates.height > 29);
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.candidates.selected, 28);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!((app.candidates.selected, app.candidates.offset), (0, 0));
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.candidates.selected, app.candidates.height);
}

#[test]
fn a_asks_why_and_an_empty_reason_is_refused_with_a_message() {
    let mut app = with_candidates(app(false));
    press(&mut app, KeyCode::Char('c'));
    app.outbox.clear();
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(
        app.mode,
        Mode::Reason {
            handle: "author_00".into(),
            decision: Decision::Admitted
        }
    );
    typed(&mut app, "   ");
    press(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.mode, Mode::Reason { .. }),
        "the prompt stays open"
    );
    assert!(app.outbox.is_empty(), "nothing is recorded");
    let notice = app.candidates.notice.clone().unwrap_or_default();
    assert!(notice.contains("a reason is needed"), "{notice}");
}

#[test]
fn x_with_a_reason_asks_the_pipeline_to_record_the_operators_word() {
    let mut app = with_candidates(app(false));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('j'));
    app.outbox.clear();
    press(&mut app, KeyCode::Char('x'));
    typed(&mut app, "a bot");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Candidates);
    assert_eq!(
        app.outbox,
        vec![Effect::DecideCandidate {
            handle: "author_01".into(),
            decision: Decision::Excluded,
            why: "a bot".into()
        }]
    );
}

#[test]
fn esc_at_the_reason_prompt_records_nothing() {
    let mut app = with_candidates(app(false));
    press(&mut app, KeyCode::Char('c'));
    app.outbox.clear();
    press(&mut app, KeyCode::Char('x'));
    typed(&mut app, "oops");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Candidates);
    assert!(app.outbox.is_empty());
}

#[test]
fn readonly_binds_neither_admit_nor_exclude() {
    let mut app = with_candidates(app(true));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.mode, Mode::Candidates);
}

#[test]
fn the_review_counter_counts_the_candidates_in_review_and_follows_each_answer() {
    let mut app = app(false);
    assert!(!app.candidates.loaded, "no figure before the first answer");
    update(&mut app, Action::CandidatesLoaded(Ok(thirty())));
    assert_eq!(app.candidates.review(), 10);
    let mut fewer = thirty();
    fewer[0].decision = Decision::Admitted;
    update(&mut app, Action::CandidatesLoaded(Ok(fewer)));
    assert_eq!(app.candidates.review(), 9);
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("review (candidates)     9"), "{text}");
}

#[test]
fn a_discover_command_asks_for_the_plan_and_the_plan_opens_the_dialog_with_cancel_focused() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "discover list 1700000000000000001");
    press(&mut app, KeyCode::Enter);
    let ask = DiscoveryAsk {
        lists: vec!["1700000000000000001".into()],
        following: vec![],
    };
    assert_eq!(app.outbox, vec![Effect::PlanDiscovery(ask.clone())]);
    app.outbox.clear();
    let plan = DiscoveryPlanView {
        lines: vec![
            "list 1700000000000000001 (AI researchers & engineers): 150 members".into(),
            "requests: 2 list_members (0 s under its window)".into(),
            "at most 150 users billed, $1.50 (same-day re-reads are free)".into(),
        ],
        list_names: vec![(
            "1700000000000000001".into(),
            "AI researchers & engineers".into(),
        )],
    };
    update(&mut app, Action::DiscoveryPlanned(Ok((ask.clone(), plan))));
    assert!(matches!(
        app.mode,
        Mode::Confirm {
            what: Confirm::Discover { .. },
            accept_focused: false
        }
    ));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("at most 150 users billed, $1.50"), "{text}");
    assert!(
        app.outbox.is_empty(),
        "nothing is started before the operator says so"
    );
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.outbox, vec![Effect::StartDiscovery(ask)]);
    assert!(app.discovering);
}

#[test]
fn d_opens_the_command_line_at_discover() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char('d'));
    assert_eq!(app.mode, Mode::Command);
    assert_eq!(app.input, "discover ");
}

#[test]
fn a_discover_command_without_sources_says_how_and_plans_nothing() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "discover list");
    press(&mut app, KeyCode::Enter);
    assert!(app.outbox.is_empty());
    let last = app.log.last(1).next().expect("a log line").text.clone();
    assert!(
        last.contains(":discover list 1700000000000000001"),
        "{last}"
    );
}

#[test]
fn when_a_discovery_ends_the_candidates_and_the_dataset_are_read_again() {
    let mut app = app(false);
    app.discovering = true;
    update(&mut app, Action::EngineGone);
    assert_eq!(app.outbox, vec![Effect::LoadCandidates, Effect::Reload]);
    assert!(!app.discovering);
}

#[test]
fn candidates_view_at_120x40() {
    let mut app = with_candidates(app(false));
    app.candidates.remember_lists(&[(
        "1700000000000000001".into(),
        "AI researchers & engineers".into(),
    )]);
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("list AI researchers & engineers"));
    assert!(text.contains("following @ada_lindqvist"));
    assert!(text.contains("more"), "says there is more below");
    insta::assert_snapshot!(text);
}

#[test]
fn candidates_view_at_80x24() {
    let mut app = with_candidates(app(false));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('j'));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("list 17…01"), "an unnamed list by a short id");
    assert!(
        text.contains("org (excludes)"),
        "every reason of the selected in words"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn candidates_view_at_60x20_hides_two_columns_and_says_so() {
    let mut app = with_candidates(app(false));
    press(&mut app, KeyCode::Char('c'));
    let text = screen(&mut app, 60, 20);
    assert!(text.contains("last post hidden"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_reason_prompt_shows_on_the_bottom_line() {
    let mut app = with_candidates(app(false));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('a'));
    typed(&mut app, "known researcher");
    let text = screen(&mut app, 80, 24);
    let last = text.lines().last().unwrap_or_default().to_string();
    assert!(
        last.contains("why admit @author_00? known researcher"),
        "{last}"
    );
}

#[test]
fn an_admit_through_the_consoles_operations_writes_the_candidates_file_as_the_operators_word() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = Candidates::default();
    all.operator("someone", Decision::Review, "to look at", Utc::now());
    all.save(&DataDir::new(dir.path())).unwrap();
    let ops = ConsoleOps::new(
        DataDir::new(dir.path().to_path_buf()),
        "http://127.0.0.1:9".into(),
    );
    let decided = ops
        .decide_candidate("@someone", Decision::Admitted, "a known researcher")
        .unwrap();
    assert_eq!(decided.decision, Decision::Admitted);
    let text = std::fs::read_to_string(dir.path().join("candidates.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["decided_by"], "operator");
    assert_eq!(line["decision"], "admitted");
    assert_eq!(line["operator"]["why"], "a known researcher");
    let listed = ops.candidates().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].decision, Decision::Admitted);
}
