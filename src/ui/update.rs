//! The reducer: `update(&mut App, Action)` is the only place the console's state changes.
//! Side effects (engine commands, merges) are queued in `app.outbox` for the event loop to run,
//! so every behaviour here is testable without a terminal or an engine.

use super::action::Action;
use super::app::{App, Confirm, Effect, Focus, Mode, RunState, Zoomed, counter_flag};
use super::author::{AuthorRow, RowFlags, handle_key};
use super::batches::{BatchLine, BatchState};
use super::log_ring::LogLevel;
use crate::pipeline::harvest::events::{HarvestCommand, HarvestEvent};
use ratatui::layout::{Margin, Rect};

pub fn update(app: &mut App, action: Action) {
    let (shown, asked) = (app.selected_row(), app.detail_asked);
    apply(app, action);
    app.ask_detail_if_needed();
    if app.selected_row() != shown || app.detail_asked != asked {
        // Another author, or a fresh record behind the same row: its detail opens at its top,
        // not where the last one was left.
        app.detail_scroll = 0;
    }
    if app.zoomed == Some(Zoomed::Detail) && app.mode == Mode::Normal {
        // The full-screen detail is all there is to see: when a dialog over it closes, the
        // keys are its again.
        app.mode = Mode::Detail;
    }
}

fn apply(app: &mut App, action: Action) {
    match action {
        Action::Tick(now) => app.now = now,
        Action::Resize(w, h) => {
            app.size = (w, h);
            app.table_height = super::render::authors_table_rows(app, w, h);
            app.keep_selection_visible();
            app.candidates.height = super::panes::candidates::table_rows(w, h);
            app.candidates.keep_selection_visible();
            app.overlay_scroll = app
                .overlay_scroll
                .min(super::panes::overlay::max_scroll(app));
        }
        Action::Engine(event) => {
            if app.frozen {
                app.held.push(event);
            } else {
                apply_event(app, event);
            }
        }
        Action::EngineGone => {
            if std::mem::take(&mut app.discovering) {
                // The discovery has kept its candidates and merged its admitted by now.
                app.outbox.push(Effect::LoadCandidates);
                app.outbox.push(Effect::Reload);
            }
            if app.run.in_flight() {
                app.run = RunState::Stopped("the engine stopped without a final report".into());
                app.run_ended = Some(app.now);
                app.log(
                    LogLevel::Error,
                    "harvest engine stopped without a final report",
                );
            }
        }
        Action::OperationFailed(reason) => app.log(LogLevel::Error, reason),
        Action::HarvestPlanned(Ok((handles, plan))) => ask(app, Confirm::Harvest { handles, plan }),
        Action::HarvestPlanned(Err(e)) => {
            app.log(LogLevel::Error, format!("harvest not planned: {e}"))
        }
        Action::MergePlanned(Ok(plan)) => {
            app.mode = Mode::Confirm {
                what: Confirm::Merge(plan),
                accept_focused: false,
            }
        }
        Action::MergePlanned(Err(e)) => app.log(LogLevel::Error, format!("merge plan failed: {e}")),
        Action::MergeApplied(result) => match result {
            Ok(text) => {
                pending_batches_merged(app);
                app.log(LogLevel::Info, format!("merged: {text}"));
            }
            Err(e) => app.log(LogLevel::Error, format!("merge refused: {e}")),
        },
        Action::MergePublishedNotRecorded(words) => {
            pending_batches_merged(app);
            app.log(LogLevel::Error, words);
        }
        Action::Reloaded { dataset, pending } => app.reload(*dataset, pending),
        Action::CandidatesLoaded(Ok(all)) => app.candidates.replace(all),
        Action::CandidatesLoaded(Err(e)) => {
            app.log(LogLevel::Error, format!("candidates not read: {e}"))
        }
        Action::CandidateDecided(result) => {
            let (level, words) = match result {
                Ok(words) => (LogLevel::Info, words),
                Err(e) => (LogLevel::Error, format!("not recorded: {e}")),
            };
            app.candidates.notice = Some(words.clone());
            app.log(level, words);
        }
        Action::DiscoveryPlanned(Ok((discovery, plan))) => {
            app.candidates.remember_lists(&plan.list_names);
            ask(
                app,
                Confirm::Discover {
                    ask: discovery,
                    plan,
                },
            );
        }
        Action::DiscoveryPlanned(Err(e)) => {
            app.log(LogLevel::Error, format!("discovery not planned: {e}"))
        }
        // A late answer for a row no longer on show is dropped: only the last one asked counts.
        Action::DetailReady(answer) => {
            if app.detail_asked == Some((answer.generation, answer.row)) {
                app.detail = Some(*answer);
            }
        }
        Action::RolledBack(result) => match result {
            Ok(text) => app.log(LogLevel::Info, format!("rolled back: {text}")),
            Err(e) => app.log(LogLevel::Error, format!("rollback failed: {e}")),
        },
        key => on_key(app, key),
    }
}

fn on_key(app: &mut App, action: Action) {
    let overlay = matches!(app.mode, Mode::Help | Mode::CandidatesHelp | Mode::Movers);
    if overlay && scroll_overlay(app, &action) {
        return;
    }
    match app.mode.clone() {
        Mode::Filter => on_filter_key(app, action),
        Mode::Command => on_command_key(app, action),
        Mode::Candidates => on_candidates_key(app, action),
        Mode::Reason { handle, decision } => on_reason_key(app, handle, decision, action),
        Mode::Confirm {
            what,
            accept_focused,
        } => on_confirm_key(app, what, accept_focused, action),
        Mode::CandidatesHelp => {
            if matches!(action, Action::Back | Action::ToggleHelp) {
                app.mode = Mode::Candidates;
            } else if matches!(action, Action::Quit) {
                quit(app);
            }
        }
        Mode::Help => {
            if matches!(action, Action::Back | Action::ToggleHelp) {
                app.mode = Mode::Normal;
            } else if matches!(action, Action::Quit) {
                quit(app);
            }
        }
        Mode::Movers => {
            if matches!(action, Action::Back | Action::ToggleMovers) {
                app.mode = Mode::Normal;
            } else if matches!(action, Action::Quit) {
                quit(app);
            }
        }
        Mode::Normal | Mode::Detail => on_main_key(app, action),
    }
}

/// Opens an overlay (help, movers) at its top.
fn open_overlay(app: &mut App, mode: Mode) {
    app.overlay_scroll = 0;
    app.mode = mode;
}

/// Scrolls the open overlay by a navigation key, never past its last line; false for any other
/// key.
fn scroll_overlay(app: &mut App, action: &Action) -> bool {
    let page = super::panes::overlay::page(app).max(1);
    let max = super::panes::overlay::max_scroll(app);
    let at = app.overlay_scroll.min(max);
    app.overlay_scroll = match action {
        Action::Down => at + 1,
        Action::Up => at.saturating_sub(1),
        Action::PageDown => at + page,
        Action::PageUp => at.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => max,
        _ => return false,
    }
    .min(max);
    true
}

fn on_main_key(app: &mut App, action: Action) {
    let detail = app.mode == Mode::Detail;
    match action {
        Action::Quit => quit(app),
        Action::ToggleHelp => open_overlay(app, Mode::Help),
        Action::ToggleMovers => open_overlay(app, Mode::Movers),
        Action::StartFilter => {
            app.input = app.filter.text.clone();
            app.mode = Mode::Filter;
        }
        Action::StartCommand => {
            app.input.clear();
            app.mode = Mode::Command;
        }
        Action::Down if detail => scroll_detail(app, 1),
        Action::Up if detail => scroll_detail(app, -1),
        Action::PageDown if detail => scroll_detail(app, detail_page(app)),
        Action::PageUp if detail => scroll_detail(app, -detail_page(app)),
        Action::Top if detail => scroll_detail(app, i64::MIN / 2),
        Action::Bottom if detail => scroll_detail(app, i64::MAX / 2),
        Action::Down => move_selection(app, 1),
        Action::Up => move_selection(app, -1),
        Action::PageDown => move_selection(app, app.table_height.max(1) as i64),
        Action::PageUp => move_selection(app, -(app.table_height.max(1) as i64)),
        Action::Top => move_selection(app, i64::MIN / 2),
        Action::Bottom => move_selection(app, i64::MAX / 2),
        Action::FocusNext => {
            app.focus = next_focus(app);
            app.zoomed = None;
            if app.mode == Mode::Detail {
                app.mode = Mode::Normal;
            }
        }
        Action::ToggleZoom => toggle_zoom(app),
        Action::OpenDetail if app.focus == Focus::Log => {
            app.log_cursor.expanded = !app.log_cursor.expanded
        }
        Action::OpenDetail if app.selected_row().is_some() => {
            app.focus = Focus::Authors;
            app.detail_scroll = 0;
            app.mode = Mode::Detail;
        }
        Action::Back => {
            if app.zoomed.take().is_some() {
                // Back to the panes first; the detail closes with it.
                if detail {
                    app.mode = Mode::Normal;
                }
            } else if detail {
                app.mode = Mode::Normal;
            } else if !app.filter.is_empty() {
                app.filter = Default::default();
                app.reindex();
            }
        }
        Action::CycleSort => {
            app.sort = app.sort.next();
            app.reindex();
        }
        Action::ReverseSort => {
            app.reverse = !app.reverse;
            app.reindex();
        }
        Action::ShowCounter(c) => {
            app.filter.flag = Some(counter_flag(c));
            app.focus = Focus::Authors;
            app.selected = 0;
            app.table_offset = 0;
            app.reindex();
            app.log(
                LogLevel::Info,
                format!("showing {} ({})", c.word(), app.index.len()),
            );
        }
        Action::ClearFilters => {
            app.filter = Default::default();
            app.reindex();
        }
        Action::ToggleFreeze => {
            app.frozen = !app.frozen;
            if !app.frozen {
                for event in std::mem::take(&mut app.held) {
                    apply_event(app, event);
                }
            }
        }
        Action::TogglePause => toggle_pause(app),
        Action::StartHarvest => start_harvest(app),
        Action::Reharvest => {
            if let Some(row) = app.selected_row() {
                let handle = app.rows[row].handle.clone();
                plan_harvest(app, vec![handle]);
            }
        }
        Action::Merge if !app.settings.readonly => plan_merge(app),
        Action::Rollback => ask(app, Confirm::Rollback),
        Action::ToggleCandidates => open_candidates(app),
        Action::StartDiscovery => start_discovery_prompt(app),
        _ => {}
    }
}

/// Opens the candidates view, reading them again so it shows what is stored now.
fn open_candidates(app: &mut App) {
    app.mode = Mode::Candidates;
    app.candidates.notice = None;
    app.outbox.push(Effect::LoadCandidates);
}

/// Opens the command line at `:discover `: the sources are typed, the plan is asked for.
fn start_discovery_prompt(app: &mut App) {
    if app.settings.readonly {
        return;
    }
    app.input = "discover ".into();
    app.mode = Mode::Command;
}

fn on_candidates_key(app: &mut App, action: Action) {
    let page = app.candidates.height.max(1) as i64;
    match action {
        Action::Back | Action::ToggleCandidates => app.mode = Mode::Normal,
        Action::Quit => quit(app),
        Action::ToggleHelp => open_overlay(app, Mode::CandidatesHelp),
        Action::StartCommand => {
            app.input.clear();
            app.mode = Mode::Command;
        }
        Action::StartDiscovery => start_discovery_prompt(app),
        Action::TogglePause => toggle_pause(app),
        Action::Down => app.candidates.move_by(1),
        Action::Up => app.candidates.move_by(-1),
        Action::PageDown => app.candidates.move_by(page),
        Action::PageUp => app.candidates.move_by(-page),
        Action::Top => app.candidates.move_by(i64::MIN / 2),
        Action::Bottom => app.candidates.move_by(i64::MAX / 2),
        Action::FilterCandidates(filter) => {
            app.candidates.set_filter(filter);
            app.candidates.notice = None;
        }
        Action::DecideCandidate(decision) if !app.settings.readonly => {
            match app.candidates.selected() {
                Some(c) => {
                    let handle = c.handle.clone();
                    app.candidates.notice = None;
                    app.input.clear();
                    app.mode = Mode::Reason { handle, decision };
                }
                None => app.candidates.notice = Some("no candidate is selected".into()),
            }
        }
        _ => {}
    }
}

/// The reason prompt: an empty reason is refused (the operator's word must say why, for the
/// next person who reads the candidates file).
fn on_reason_key(
    app: &mut App,
    handle: String,
    decision: crate::pipeline::admission::Decision,
    action: Action,
) {
    match action {
        Action::Type(c) => app.input.push(c),
        Action::Erase => {
            app.input.pop();
        }
        Action::Back => {
            app.input.clear();
            app.candidates.notice = Some(format!("@{handle}: nothing recorded"));
            app.mode = Mode::Candidates;
        }
        Action::Quit => quit(app),
        Action::Submit => {
            let why = app.input.trim().to_string();
            if why.is_empty() {
                let words = format!(
                    "a reason is needed to {} @{handle}: type why, or Esc to cancel",
                    verb(decision)
                );
                app.candidates.notice = Some(words.clone());
                app.log(LogLevel::Warn, words);
                return;
            }
            app.input.clear();
            app.mode = Mode::Candidates;
            app.candidates.notice = Some(format!("recording: {} @{handle}…", decision.word()));
            app.outbox.push(Effect::DecideCandidate {
                handle,
                decision,
                why,
            });
        }
        _ => {}
    }
}

/// `admit` or `exclude`, for the prompt.
pub(crate) fn verb(decision: crate::pipeline::admission::Decision) -> &'static str {
    use crate::pipeline::admission::Decision;
    match decision {
        Decision::Admitted => "admit",
        Decision::Excluded => "exclude",
        Decision::Review => "send back to review",
    }
}

const DISCOVER_USAGE: &str = ":discover needs sources, e.g. :discover list 1700000000000000001 or :discover following ada_lindqvist";

/// `:discover list ID [following HANDLE …]`: asks for the plan; nothing is billed before the
/// operator confirms it.
fn discover_command(app: &mut App, words: &[&str]) {
    if app.settings.readonly {
        app.log(
            LogLevel::Warn,
            ":discover is not available in --readonly mode",
        );
        return;
    }
    let mut ask = super::ops::DiscoveryAsk::default();
    for pair in words.chunks(2) {
        match pair {
            ["list", id] if id.chars().all(|c| c.is_ascii_digit()) => {
                ask.lists.push(id.to_string())
            }
            ["following", handle] if !handle.trim_start_matches('@').is_empty() => ask
                .following
                .push(handle.trim_start_matches('@').to_string()),
            _ => {
                app.log(LogLevel::Warn, DISCOVER_USAGE);
                return;
            }
        }
    }
    if ask.lists.is_empty() && ask.following.is_empty() {
        app.log(LogLevel::Warn, DISCOVER_USAGE);
        return;
    }
    if app.run.in_flight() {
        app.log(LogLevel::Warn, "a run is going: discover when it has ended");
        return;
    }
    app.log(
        LogLevel::Info,
        format!("planning a discovery of {}", ask.words()),
    );
    app.outbox.push(Effect::PlanDiscovery(ask));
}

/// The next pane Tab focuses: authors, batches, log, skipping those not drawn at this size.
fn next_focus(app: &App) -> Focus {
    let (w, h) = app.size;
    let panes = super::render::layout(app, Rect::new(0, 0, w, h));
    let shown = |f: &Focus| match f {
        Focus::Authors => true,
        Focus::Batches => panes.batches.is_some(),
        Focus::Log => panes.log.is_some(),
    };
    let order = [Focus::Authors, Focus::Batches, Focus::Log];
    let at = order.iter().position(|f| *f == app.focus).unwrap_or(0);
    (1..=order.len())
        .map(|i| order[(at + i) % order.len()])
        .find(shown)
        .unwrap_or(Focus::Authors)
}

/// `z`: the log full screen when it has focus, else the selected author's detail; again: back
/// to the panes (an open detail stays open).
fn toggle_zoom(app: &mut App) {
    if app.zoomed.take().is_some() {
        return;
    }
    if app.focus == Focus::Log {
        app.zoomed = Some(Zoomed::Log);
    } else if app.selected_row().is_some() {
        app.focus = Focus::Authors;
        app.mode = Mode::Detail;
        app.zoomed = Some(Zoomed::Detail);
    }
}

/// Rows of the detail pane's text at this size: a page of scrolling.
fn detail_page(app: &App) -> i64 {
    let inner = detail_inner(app);
    i64::from(inner.height.saturating_sub(1).max(1))
}

fn detail_inner(app: &App) -> Rect {
    let (w, h) = app.size;
    super::render::detail_area(app, Rect::new(0, 0, w, h)).inner(Margin::new(1, 1))
}

/// Scrolls the detail by `by` rows, never past its last row (so that `k` answers at once).
fn scroll_detail(app: &mut App, by: i64) {
    let max = i64::from(super::panes::detail::max_scroll(app, detail_inner(app)));
    app.detail_scroll = i64::from(app.detail_scroll)
        .saturating_add(by)
        .clamp(0, max) as u16;
}

fn move_selection(app: &mut App, by: i64) {
    if app.focus == Focus::Log {
        app.log_cursor.move_by(&app.log, by);
        return;
    }
    if app.focus == Focus::Batches {
        let last = app.batches.len().saturating_sub(1) as i64;
        app.batch_selected = (app.batch_selected as i64 + by).clamp(0, last) as usize;
        return;
    }
    let last = app.index.len().saturating_sub(1) as i64;
    app.selected = (app.selected as i64).saturating_add(by).clamp(0, last) as usize;
    app.keep_selection_visible();
}

fn ask(app: &mut App, what: Confirm) {
    if app.settings.readonly && what != Confirm::Quit {
        return;
    }
    app.mode = Mode::Confirm {
        what,
        accept_focused: false,
    };
}

fn quit(app: &mut App) {
    if app.run.in_flight() {
        ask(app, Confirm::Quit);
    } else {
        app.should_quit = true;
    }
}

fn toggle_pause(app: &mut App) {
    match app.run {
        RunState::Paused => app.outbox.push(Effect::Engine(HarvestCommand::Resume)),
        ref r if r.in_flight() => app.outbox.push(Effect::Engine(HarvestCommand::Pause)),
        _ => app.log(LogLevel::Info, "nothing to pause: no harvest is running"),
    }
}

fn start_harvest(app: &mut App) {
    if app.settings.readonly {
        return;
    }
    if app.run.in_flight() {
        app.log(LogLevel::Warn, "a harvest is already running");
        return;
    }
    let handles = app.handles_needing_harvest();
    let Some(census) = &app.census else {
        app.log(
            LogLevel::Warn,
            "nothing chosen: the refresh's selection was not made (see the log at opening)",
        );
        return;
    };
    // What a harvest does not mend (schema violations, duplicates) is no reason to harvest;
    // said, so that the counters showing them do not read as a contradiction.
    let not_chosen = format!(
        "{} not chosen by a harvest",
        crate::plural::count(
            (app.counts.schema + app.counts.duplicates) as u64,
            "schema violation or duplicate is",
            "schema violations or duplicates are"
        )
    );
    if handles.is_empty() {
        let mut words =
            "no author needs harvesting by the refresh's rule (unscored or zero, flagged, stale)"
                .to_string();
        if app.counts.schema + app.counts.duplicates > 0 {
            words.push_str(&format!("; {not_chosen}"));
        }
        app.log(LogLevel::Info, words);
        return;
    }
    let reasons: Vec<String> = census
        .per_reason()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| format!("{n} {}", r.word()))
        .collect();
    app.log(
        LogLevel::Info,
        format!(
            "planning a harvest of {} (the refresh's selection: {})",
            crate::plural::count(handles.len() as u64, "author", "authors"),
            reasons.join(", ")
        ),
    );
    plan_harvest(app, handles);
}

/// Asks the engine what harvesting `handles` would send and cost; the confirmation opens
/// with that plan (see `Action::HarvestPlanned`). Nothing is spent before the operator says so.
fn plan_harvest(app: &mut App, handles: Vec<String>) {
    if !app.settings.readonly {
        app.outbox.push(Effect::PlanHarvest(handles));
    }
}

fn on_filter_key(app: &mut App, action: Action) {
    match action {
        Action::Type(c) => app.input.push(c),
        Action::Erase => {
            app.input.pop();
        }
        // Esc abandons the text filter (the counter filter stays).
        Action::Back => {
            app.input.clear();
            app.mode = Mode::Normal;
        }
        Action::Submit => {
            app.mode = Mode::Normal;
            return;
        }
        Action::Quit => return quit(app),
        _ => return,
    }
    // Live filtering: the index is recomputed per keystroke, not per frame.
    app.filter.text = app.input.clone();
    app.selected = 0;
    app.table_offset = 0;
    app.reindex();
}

fn on_command_key(app: &mut App, action: Action) {
    match action {
        Action::Type(c) => app.input.push(c),
        Action::Erase => {
            app.input.pop();
        }
        Action::Back => {
            app.input.clear();
            app.mode = Mode::Normal;
        }
        Action::Quit => quit(app),
        Action::Submit => {
            let line = std::mem::take(&mut app.input);
            app.mode = Mode::Normal;
            run_command(app, line.trim());
        }
        _ => {}
    }
}

fn run_command(app: &mut App, line: &str) {
    let all: Vec<&str> = line.split_whitespace().collect();
    if all.first() == Some(&"discover") {
        return discover_command(app, &all[1..]);
    }
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or("");
    let arg = words.next();
    let readonly = app.settings.readonly;
    match (verb, arg) {
        ("harvest", Some(handle)) if !readonly => {
            let handle = handle.trim_start_matches('@').to_string();
            if handle.is_empty() {
                app.log(
                    LogLevel::Warn,
                    ":harvest needs a handle, e.g. :harvest @jack",
                );
            } else {
                plan_harvest(app, vec![handle]);
            }
        }
        ("harvest", None) if !readonly => app.log(
            LogLevel::Warn,
            ":harvest needs a handle, e.g. :harvest @jack",
        ),
        ("merge", None) if !readonly => plan_merge(app),
        ("rollback", None) if !readonly => ask(app, Confirm::Rollback),
        ("harvest" | "merge" | "rollback", _) if readonly => app.log(
            LogLevel::Warn,
            format!(":{verb} is not available in --readonly mode"),
        ),
        ("pause" | "resume", None) => toggle_pause(app),
        ("q" | "quit", None) => quit(app),
        ("help", None) => open_overlay(app, Mode::Help),
        ("", None) => {}
        _ => app.log(
            LogLevel::Warn,
            format!(
                "unknown command :{line} (try :harvest @handle, :discover list ID, :merge, :pause, :rollback, :quit)"
            ),
        ),
    }
}

fn on_confirm_key(app: &mut App, what: Confirm, accept_focused: bool, action: Action) {
    match action {
        // A question that cannot be accepted has one button: Cancel.
        Action::ToggleChoice if app.refusal(&what).is_some() => {}
        Action::ToggleChoice => {
            app.mode = Mode::Confirm {
                what,
                accept_focused: !accept_focused,
            }
        }
        Action::Back => app.mode = Mode::Normal,
        Action::Submit => {
            app.mode = Mode::Normal;
            if let Some(why) = app.refusal(&what) {
                let words = format!("nothing started: {why}");
                app.log(LogLevel::Warn, words);
                return;
            }
            if !accept_focused {
                return;
            }
            match what {
                Confirm::Merge(_) if app.run.in_flight() => plan_merge(app),
                Confirm::Merge(_) => app.outbox.push(Effect::ApplyMerge),
                Confirm::Rollback => app.outbox.push(Effect::Rollback),
                Confirm::Harvest { handles, .. } => harvest(app, handles),
                Confirm::Discover { ask, .. } => discover(app, ask),
                Confirm::Quit => {
                    app.outbox.push(Effect::Engine(HarvestCommand::Cancel));
                    app.should_quit = true;
                }
            }
        }
        _ => {}
    }
}

/// Starts the confirmed discovery: its runs feed the progress and budget panes as a harvest's do.
fn discover(app: &mut App, ask: super::ops::DiscoveryAsk) {
    if app.run.in_flight() {
        app.log(LogLevel::Warn, "a run is going: discover when it has ended");
        return;
    }
    app.reharvest = None;
    app.discovering = true;
    app.log(
        LogLevel::Info,
        format!("starting discovery of {}", ask.words()),
    );
    app.outbox.push(Effect::StartDiscovery(ask));
}

/// Starts the confirmed harvest; one handle asked while a run is going joins that run.
fn harvest(app: &mut App, handles: Vec<String>) {
    match handles.as_slice() {
        [handle] if app.run.in_flight() => {
            app.open_when_harvested = Some(handle.clone());
            app.log(
                LogLevel::Info,
                format!("queued @{handle} in the running harvest"),
            );
            app.outbox
                .push(Effect::Engine(HarvestCommand::HarvestOne(handle.clone())));
        }
        _ if app.run.in_flight() => app.log(LogLevel::Warn, "a harvest is already running"),
        [handle] => {
            app.open_when_harvested = Some(handle.clone());
            app.log(LogLevel::Info, format!("re-harvesting @{handle}"));
            app.reharvest = Some(handle.clone());
            app.outbox.push(Effect::StartHarvest(handles));
        }
        _ => {
            app.reharvest = None;
            app.log(
                LogLevel::Info,
                format!("starting harvest of {} authors", handles.len()),
            );
            app.outbox.push(Effect::StartHarvest(handles));
        }
    }
}

/// Asks for a merge plan, unless a harvest is still writing its run: a run merged half-written
/// counts as merged, and the rest of its records would never be offered again.
fn plan_merge(app: &mut App) {
    if app.run.in_flight() {
        app.log(
            LogLevel::Warn,
            "merge refused: the harvest is still writing its run; merge when it ends (p pauses, the run stays open)",
        );
    } else {
        app.outbox.push(Effect::PlanMerge);
    }
}

/// Applies one engine event to the state.
pub(crate) fn apply_event(app: &mut App, event: HarvestEvent) {
    match event {
        HarvestEvent::RunStarted {
            run_dir,
            handles,
            batches,
            already_done,
            invalid,
        } => {
            app.runs_started += 1;
            // The last run's lines stay, as they ended; its batch numbers are not this run's.
            for line in &mut app.batches {
                line.run_batch = None;
            }
            app.run = RunState::Running;
            app.run_started = Some(app.now);
            app.run_ended = None;
            app.progress = super::app::Progress {
                handles_total: handles,
                handles_done: already_done,
                batches_total: batches,
                batches_done: 0,
                already_done,
                invalid,
            };
            app.log(
                LogLevel::Info,
                format!(
                    "run started: {handles} handles in {batches} batches ({already_done} already done, {invalid} invalid); journal in {}",
                    run_dir.display()
                ),
            );
        }
        HarvestEvent::BatchStarted { batch, handles } => {
            let row = batch_row(app, batch);
            app.batches[row].state = BatchState::Running;
            app.batches[row].records = handles;
        }
        HarvestEvent::BatchDone {
            batch,
            figures,
            records,
            latency,
        } => {
            let row = batch_row(app, batch);
            let b = &mut app.batches[row];
            b.describe(&records);
            b.state = BatchState::Done;
            let answered = figures.found
                + figures.protected
                + figures.not_found
                + figures.suspended
                + figures.failed;
            b.figures = figures;
            app.progress.batches_done += 1;
            app.progress.handles_done += answered;
            app.harvested += records.len();
            // The count is the progress pane's: the batch number is the engine's name for it,
            // and batches answer out of order.
            app.log(
                LogLevel::Info,
                format!(
                    "batch {batch} answered in {} ms: {} records ({} of {} batches answered)",
                    latency.as_millis(),
                    records.len(),
                    app.progress.batches_done,
                    app.progress.batches_total
                ),
            );
            absorb_records(app, records);
        }
        HarvestEvent::HandleFailed {
            handle,
            outcome,
            reason,
        } => {
            app.failed_handles += 1;
            app.log(LogLevel::Warn, format!("@{handle}: {outcome:?}: {reason}"));
        }
        HarvestEvent::Budget(snapshot) => {
            if matches!(app.run, RunState::WaitingForBudget { .. }) {
                app.run = RunState::Running;
            }
            app.budget = Some(snapshot);
        }
        HarvestEvent::Waiting { until, reason } => {
            app.run = RunState::WaitingForBudget { until };
            app.log(
                LogLevel::Info,
                format!("waiting until {}: {reason}", until.format("%H:%M:%S")),
            );
        }
        HarvestEvent::Retrying {
            batch,
            attempt,
            reason,
        } => app.log(
            LogLevel::Warn,
            format!("batch {batch} retry {attempt}: {reason}"),
        ),
        HarvestEvent::Paused => {
            app.paused_eta = app.eta();
            app.run = RunState::Paused;
            app.log(LogLevel::Info, "paused: no new requests are sent");
        }
        HarvestEvent::Resumed => {
            app.run = RunState::Running;
            app.log(LogLevel::Info, "resumed");
        }
        HarvestEvent::Log { level, message } => {
            let level = if level == tracing::Level::ERROR {
                LogLevel::Error
            } else if level == tracing::Level::WARN {
                LogLevel::Warn
            } else {
                LogLevel::Info
            };
            app.log(level, message);
        }
        HarvestEvent::RunDone { summary } => {
            // A late event of a batch in flight may have changed the state since the stop.
            app.run = match &summary.stopped {
                Some(stop) => RunState::Stopped(format!("{}: {}", stop.reason.word(), stop.detail)),
                None => RunState::Done,
            };
            app.run_ended = Some(app.now);
            app.reharvest = None;
            app.open_when_harvested = None;
            for line in summary.words() {
                app.log(LogLevel::Info, format!("run done: {line}"));
            }
        }
        HarvestEvent::RunStopped(stop) => {
            let words = format!("{}: {}", stop.reason.word(), stop.detail);
            app.log(
                if stop.reason.is_cap() {
                    LogLevel::Warn
                } else {
                    LogLevel::Error
                },
                format!("run stopped ({words})"),
            );
            app.run = RunState::Stopped(words);
            app.run_ended = Some(app.now);
        }
        HarvestEvent::Planned(plan) => {
            app.window = Some(plan.window);
            for line in plan.lines() {
                app.log(LogLevel::Info, format!("plan: {line}"));
            }
        }
        HarvestEvent::Spend(spend) => app.spend = Some(spend),
    }
}

fn batch_row(app: &mut App, batch: usize) -> usize {
    if let Some(row) = app.batches.iter().position(|b| b.run_batch == Some(batch)) {
        return row;
    }
    // A re-harvest run has one batch: the handle names that line only, first, so that a narrow
    // column cuts the word rather than the handle.
    let name = match (app.reharvest.take(), app.runs_started) {
        (Some(handle), _) => format!("@{handle} re-harvest"),
        (None, 0 | 1) => format!("run batch {batch}"),
        (None, run) => format!("run {run} batch {batch}"),
    };
    let mut row = BatchLine::new(name, BatchState::Running);
    row.run_batch = Some(batch);
    app.batches.push(row);
    app.batches.len() - 1
}

/// Harvested records take the place of every stored copy of their handle (the view shows what
/// the index would hold after a merge); new handles are appended. Only the rows touched move:
/// counters, histogram and orders are patched, not recomputed over the whole dataset.
fn absorb_records(app: &mut App, records: Vec<crate::dataset::Record>) {
    let wanted = app.open_when_harvested.as_deref().map(handle_key);
    let mut arrived = None;
    let mut changed: Vec<u32> = Vec::new();
    for record in records {
        let mut row = AuthorRow::from_record(&record, None);
        if wanted.as_ref() == Some(&handle_key(&row.handle)) {
            arrived = Some(handle_key(&row.handle));
        }
        // Not in the dataset file yet: held in memory until a merge writes it there.
        let record = std::sync::Arc::new(record);
        row.flags.insert(RowFlags::FRESH);
        let places = app
            .by_handle
            .get(&handle_key(&row.handle))
            .map(<[u32]>::to_vec);
        match places {
            Some(places) => {
                for i in places {
                    let i = i as usize;
                    // Replacing every copy keeps the number of copies: a duplicate stays one.
                    let mut row = row.clone();
                    if app.rows[i].flags.contains(RowFlags::DUPLICATE) {
                        row.flags.insert(RowFlags::DUPLICATE);
                    }
                    app.set_row(i, row);
                    app.records.hold(i, std::sync::Arc::clone(&record));
                    changed.push(i as u32);
                }
            }
            None => {
                let at = app.rows.len();
                app.set_row(at, row);
                if app.records.len() + 1 == app.rows.len() {
                    app.records.push_held(record);
                }
                changed.push(at as u32);
            }
        }
    }
    app.rows_moved(&changed);
    if let Some(key) = arrived {
        app.open_when_harvested = None;
        open_detail_of(app, &key);
    }
}

/// Selects the author with handle key `key` and opens its detail at the top (showing every
/// author first when a filter hides it); an operator typing or answering a dialog keeps the
/// keys, and finds the detail there when done.
fn open_detail_of(app: &mut App, key: &str) {
    let Some(&row) = app.by_handle.get(key).and_then(|rows| rows.first()) else {
        return;
    };
    if !app.index.contains(&row) {
        app.filter = Default::default();
        app.reindex();
    }
    if let Some(at) = app.index.iter().position(|&r| r == row) {
        app.selected = at;
        app.keep_selection_visible();
    }
    app.detail_scroll = 0;
    if app.mode == Mode::Normal {
        app.focus = Focus::Authors;
        app.mode = Mode::Detail;
    }
}

/// A merge published: the pending batches are merged, those with flagged records left out.
fn pending_batches_merged(app: &mut App) {
    app.merges += 1;
    for b in app
        .batches
        .iter_mut()
        .filter(|b| b.state == BatchState::Pending)
    {
        b.state = if b.is_flagged() {
            BatchState::Blocked
        } else {
            BatchState::Merged
        };
    }
}
