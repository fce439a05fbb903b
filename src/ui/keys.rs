//! The one key registry: every binding of the main screen with its help text. The help screen
//! (`?`) and the hint bar are both generated from it, and a test pins it, so docs cannot drift.
//! Modal keys (typing in the filter, answering a dialog) are resolved here too.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, ScreenCounter};
use super::app::{App, Mode};
use super::candidate_view::CandidateFilter;
use crate::pipeline::admission::Decision;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    General,
    Navigate,
    View,
    /// Keys of the candidates view only.
    Candidates,
    /// Spends budget or changes stored data: not bound with `--readonly`.
    Operate,
}

impl Group {
    pub(crate) fn title(self) -> &'static str {
        match self {
            Group::General => "General",
            Group::Navigate => "Navigate",
            Group::View => "View and filter",
            Group::Candidates => "Candidates view",
            Group::Operate => "Operate (not in --readonly)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn key(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Chord {
    Chord { code, ctrl: false }
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub chords: Vec<Chord>,
    /// How the key is written in help and hints.
    pub label: &'static str,
    pub help: &'static str,
    pub action: Action,
    pub group: Group,
    /// The word shown in the one-line hint bar, if the binding is shown there (all are in `?`).
    pub hint: Option<&'static str>,
}

fn bind(
    chords: &[Chord],
    label: &'static str,
    help: &'static str,
    action: Action,
    group: Group,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        chords: chords.to_vec(),
        label,
        help,
        action,
        group,
        hint,
    }
}

/// Every main-screen binding, in help order. With `readonly`, the Operate group is left out.
pub fn registry(readonly: bool) -> Vec<Binding> {
    use Group::*;
    let mut all = vec![
        bind(
            &[key('q'), ctrl('c')],
            "q Ctrl-c",
            "quit (asks when work is in flight)",
            Action::Quit,
            General,
            Some("quit"),
        ),
        bind(
            &[key('?')],
            "?",
            "help: every key",
            Action::ToggleHelp,
            General,
            Some("help"),
        ),
        bind(
            &[key(':')],
            ":",
            "command line (:harvest @handle, :discover list ID, :merge, :pause, :quit)",
            Action::StartCommand,
            General,
            None,
        ),
        bind(
            &[key('j'), code(KeyCode::Down)],
            "j ↓",
            "next row",
            Action::Down,
            Navigate,
            None,
        ),
        bind(
            &[key('k'), code(KeyCode::Up)],
            "k ↑",
            "previous row",
            Action::Up,
            Navigate,
            None,
        ),
        bind(
            &[key('g'), code(KeyCode::Home)],
            "g Home",
            "first row",
            Action::Top,
            Navigate,
            None,
        ),
        bind(
            &[key('G'), code(KeyCode::End)],
            "G End",
            "last row",
            Action::Bottom,
            Navigate,
            None,
        ),
        bind(
            &[code(KeyCode::PageDown), ctrl('d')],
            "PgDn Ctrl-d",
            "page down",
            Action::PageDown,
            Navigate,
            None,
        ),
        bind(
            &[code(KeyCode::PageUp), ctrl('u')],
            "PgUp Ctrl-u",
            "page up",
            Action::PageUp,
            Navigate,
            None,
        ),
        bind(
            &[code(KeyCode::Tab)],
            "Tab",
            "focus next pane (authors, batches, log)",
            Action::FocusNext,
            Navigate,
            None,
        ),
        bind(
            &[code(KeyCode::Enter)],
            "Enter",
            "details of the selected author (log focused: the selected line whole)",
            Action::OpenDetail,
            Navigate,
            Some("details"),
        ),
        bind(
            &[code(KeyCode::Esc)],
            "Esc",
            "back: close detail or candidates, clear filters",
            Action::Back,
            Navigate,
            None,
        ),
        bind(
            &[key('z')],
            "z",
            "full screen: the detail, or the log when it has focus (z again: back)",
            Action::ToggleZoom,
            View,
            None,
        ),
        bind(
            &[key('/')],
            "/",
            "filter authors by handle or name",
            Action::StartFilter,
            View,
            Some("filter"),
        ),
        bind(
            &[key('1')],
            "1",
            "list zero scores",
            Action::ShowCounter(ScreenCounter::Zero),
            View,
            None,
        ),
        bind(
            &[key('2')],
            "2",
            "list unscored authors",
            Action::ShowCounter(ScreenCounter::Unscored),
            View,
            None,
        ),
        bind(
            &[key('3')],
            "3",
            "list placeholder suspects",
            Action::ShowCounter(ScreenCounter::Placeholders),
            View,
            None,
        ),
        bind(
            &[key('4')],
            "4",
            "list duplicate handles",
            Action::ShowCounter(ScreenCounter::Duplicates),
            View,
            None,
        ),
        bind(
            &[key('5')],
            "5",
            "list schema violations",
            Action::ShowCounter(ScreenCounter::Schema),
            View,
            None,
        ),
        bind(
            &[key('6')],
            "6",
            "list unverified records (custody not proved)",
            Action::ShowCounter(ScreenCounter::Unverified),
            View,
            None,
        ),
        bind(
            &[key('7')],
            "7",
            "list authors with growth flags (follower spike or drop)",
            Action::ShowCounter(ScreenCounter::Growth),
            View,
            None,
        ),
        bind(
            &[key('M')],
            "M",
            "movers: the largest score and follower changes between snapshots",
            Action::ToggleMovers,
            View,
            None,
        ),
        bind(
            &[key('c')],
            "c",
            "candidates: discovered accounts, their decision and why",
            Action::ToggleCandidates,
            View,
            // The counters name `c` beside the review queue; the hint bar keeps its room.
            None,
        ),
        bind(
            &[key('0')],
            "0",
            "show all authors (clear filters)",
            Action::ClearFilters,
            View,
            None,
        ),
        bind(
            &[key('o')],
            "o",
            "sort by the next column",
            Action::CycleSort,
            View,
            None,
        ),
        bind(
            &[key('O')],
            "O",
            "reverse the sort",
            Action::ReverseSort,
            View,
            None,
        ),
        bind(
            &[ctrl('f')],
            "Ctrl-f",
            "freeze / unfreeze the view (the run goes on)",
            Action::ToggleFreeze,
            View,
            None,
        ),
        bind(
            &[key('p')],
            "p",
            "pause / resume sending requests",
            Action::TogglePause,
            General,
            Some("pause"),
        ),
        bind(
            &[key('s')],
            "s",
            "start harvest of authors that need it (unscored, zero, flagged)",
            Action::StartHarvest,
            Operate,
            Some("harvest"),
        ),
        bind(
            &[key('r')],
            "r",
            "re-harvest the selected author (asks: spends budget)",
            Action::Reharvest,
            Operate,
            None,
        ),
        bind(
            &[key('m')],
            "m",
            "merge pending batches (asks, shows the plan)",
            Action::Merge,
            Operate,
            Some("merge"),
        ),
        bind(
            &[key('u')],
            "u",
            "roll back the last merge (asks)",
            Action::Rollback,
            Operate,
            None,
        ),
        bind(
            &[key('d')],
            "d",
            "discover candidates (:discover list ID or following HANDLE; cost first)",
            Action::StartDiscovery,
            Operate,
            None,
        ),
    ];
    let filters = ["1", "2", "3", "4"];
    for (label, filter) in filters.iter().zip(CandidateFilter::ALL) {
        let help = match filter {
            CandidateFilter::All => "all candidates",
            CandidateFilter::Only(Decision::Review) => "candidates waiting for review",
            CandidateFilter::Only(Decision::Excluded) => "excluded candidates",
            CandidateFilter::Only(Decision::Admitted) => "admitted candidates",
        };
        let c = label.chars().next().expect("a digit");
        all.push(bind(
            &[key(c)],
            label,
            help,
            Action::FilterCandidates(filter),
            Candidates,
            Some(filter.word()),
        ));
    }
    all.push(bind(
        &[key('a')],
        "a",
        "admit the selected candidate (asks why; outranks the rules)",
        Action::DecideCandidate(Decision::Admitted),
        Candidates,
        Some("admit"),
    ));
    all.push(bind(
        &[key('x')],
        "x",
        "exclude the selected candidate (asks why; outranks the rules)",
        Action::DecideCandidate(Decision::Excluded),
        Candidates,
        Some("exclude"),
    ));
    if readonly {
        all.retain(|b| {
            b.group != Group::Operate && !matches!(b.action, Action::DecideCandidate(_))
        });
    }
    all
}

/// Which hints the one-line bar keeps when it cannot show them all, 0 kept longest: the keys
/// that do the work (harvest, merge, admit, exclude) and the way to every other key (help)
/// first, then pause and quit, and the keys a newcomer finds anyway (Enter, /, the filters) go
/// first.
pub(crate) fn hint_rank(action: &Action) -> u8 {
    match action {
        Action::StartHarvest | Action::Merge | Action::DecideCandidate(_) | Action::ToggleHelp => 0,
        Action::TogglePause | Action::Quit | Action::Back => 1,
        Action::StartFilter | Action::FilterCandidates(_) => 2,
        _ => 3,
    }
}

/// Whether `b` is live in the candidates view: its own keys, moving, the general ones, closing
/// it and starting a discovery (the main screen's panes and other operations are not).
pub fn in_candidates_view(b: &Binding) -> bool {
    match b.action {
        Action::FocusNext | Action::OpenDetail => false,
        Action::ToggleCandidates | Action::StartDiscovery => true,
        _ => matches!(
            b.group,
            Group::General | Group::Navigate | Group::Candidates
        ),
    }
}

/// Whether `b` is live on the main screen (the candidates view's own keys are not).
pub fn on_main_screen(b: &Binding) -> bool {
    b.group != Group::Candidates
}

fn chord_matches(chord: &Chord, ev: &KeyEvent) -> bool {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    chord.code == ev.code && chord.ctrl == ctrl
}

/// The registry's moving keys (j/k, arrows, PgUp/PgDn, g/G), which scroll an overlay.
fn scroll_key(ev: &KeyEvent) -> Option<Action> {
    registry(true)
        .into_iter()
        .filter(|b| {
            matches!(
                b.action,
                Action::Down
                    | Action::Up
                    | Action::PageDown
                    | Action::PageUp
                    | Action::Top
                    | Action::Bottom
            )
        })
        .find(|b| b.chords.iter().any(|c| chord_matches(c, ev)))
        .map(|b| b.action)
}

/// What a key press means now, given the mode the console is in.
pub fn action_for(app: &App, ev: KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl_c = ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL);
    match &app.mode {
        Mode::Filter | Mode::Command | Mode::Reason { .. } => match ev.code {
            _ if ctrl_c => Some(Action::Quit),
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Backspace => Some(Action::Erase),
            KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => {
                Some(Action::Type(c))
            }
            _ => None,
        },
        Mode::Confirm { .. } => match ev.code {
            _ if ctrl_c => Some(Action::Back),
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
                Some(Action::ToggleChoice)
            }
            KeyCode::Char('h') | KeyCode::Char('l') => Some(Action::ToggleChoice),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => Some(Action::Back),
            _ => None,
        },
        Mode::Help | Mode::CandidatesHelp => match ev.code {
            _ if ctrl_c => Some(Action::Quit),
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => Some(Action::Back),
            _ => scroll_key(&ev),
        },
        Mode::Movers => match ev.code {
            _ if ctrl_c => Some(Action::Quit),
            KeyCode::Esc | KeyCode::Char('M') | KeyCode::Char('q') => Some(Action::Back),
            _ => scroll_key(&ev),
        },
        // As in the movers overlay, q closes the view rather than the console.
        Mode::Candidates if ev.code == KeyCode::Char('q') => Some(Action::Back),
        Mode::Candidates => registry(app.settings.readonly)
            .into_iter()
            .filter(in_candidates_view)
            .find(|b| b.chords.iter().any(|c| chord_matches(c, &ev)))
            .map(|b| b.action),
        Mode::Normal | Mode::Detail => registry(app.settings.readonly)
            .into_iter()
            .filter(on_main_screen)
            .find(|b| b.chords.iter().any(|c| chord_matches(c, &ev)))
            .map(|b| b.action),
    }
}
