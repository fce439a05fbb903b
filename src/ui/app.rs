//! The console's whole state, owned by the event loop, changed only by [`super::update::update`]
//! and read by [`super::render::render`]. Nothing here does I/O: the selected author's record is
//! read back through the console's `Operations` when asked for (see [`App::take_detail_ask`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::action::ScreenCounter;
use super::author::{AuthorRow, HandleRows, RowFlags, mark_duplicates};
use super::batches::BatchLine;
use super::candidate_view::CandidateView;
use super::dataset_rows::LoadedRows;
use super::detail_answer::{DetailAnswer, DetailAsk};
use super::histogram::ScoreHistogram;
use super::log_ring::{LogCursor, LogLevel, LogLine, LogRing};
use super::ops::{DiscoveryAsk, DiscoveryPlanView, MergePlanView};
use super::record_store::RecordStore;
use super::row_index::{self, RowFilter, SortKey, compare};
use super::row_order::{SortedOrders, patch_where};
use crate::dataset::Record;
use crate::pipeline::audit::AuthorDetail;
use crate::pipeline::custody::AnswerIndex;
use crate::pipeline::harvest::CostPlan;
use crate::pipeline::harvest::events::{
    BudgetSnapshot, HarvestCommand, HarvestEvent, SpendSnapshot,
};

/// Lines the log pane keeps; older ones are dropped and counted.
pub(crate) const LOG_CAPACITY: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Idle,
    Running,
    Paused,
    WaitingForBudget {
        until: DateTime<Utc>,
    },
    Done,
    /// No new request is sent: no credits, a refused token, a usage cap, a spend cap; the
    /// reason in words.
    Stopped(String),
}

impl RunState {
    /// True while requests may still be sent: quitting then asks first.
    pub(crate) fn in_flight(&self) -> bool {
        matches!(
            self,
            RunState::Running | RunState::Paused | RunState::WaitingForBudget { .. }
        )
    }

    pub(crate) fn word(&self) -> &'static str {
        match self {
            RunState::Idle => "idle",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::WaitingForBudget { .. } => "waiting for budget",
            RunState::Done => "done",
            RunState::Stopped(_) => "stopped",
        }
    }
}

/// What the header says of the time left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eta {
    /// At least this long: the rate-limit waits still ahead (latency not counted).
    Secs(i64),
    /// No window is known yet to count the waits by.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Authors,
    Batches,
    Log,
}

/// A pane drawn over the whole screen between the header and the command line (key `z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zoomed {
    Detail,
    Log,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Merge(MergePlanView),
    Rollback,
    /// Harvest these handles, at the plan's cost (one handle: a re-harvest).
    Harvest {
        handles: Vec<String>,
        plan: CostPlan,
    },
    /// Discover candidates from these sources, at the plan's cost.
    Discover {
        ask: DiscoveryAsk,
        plan: DiscoveryPlanView,
    },
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Help,
    /// The help over the candidates view: its keys.
    CandidatesHelp,
    /// The movers overlay (largest changes between each author's two newest snapshots).
    Movers,
    Filter,
    Command,
    /// The detail pane of the selected author has the keys.
    Detail,
    /// The candidates view (discovered accounts, their decision and why) has the keys.
    Candidates,
    /// The one-line prompt for why the operator admits or excludes a candidate.
    Reason {
        handle: String,
        decision: crate::pipeline::admission::Decision,
    },
    /// A question with Cancel focused unless `accept_focused`.
    Confirm {
        what: Confirm,
        accept_focused: bool,
    },
}

/// Something the event loop must do outside the reducer (talk to the engine or the pipeline).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Ask what harvesting these handles would send and cost, for the confirmation.
    PlanHarvest(Vec<String>),
    StartHarvest(Vec<String>),
    Engine(HarvestCommand),
    PlanMerge,
    ApplyMerge,
    Rollback,
    /// Read the candidates again (the view and the review counter).
    LoadCandidates,
    /// Record the operator's word on a candidate, then read the candidates again.
    DecideCandidate {
        handle: String,
        decision: crate::pipeline::admission::Decision,
        why: String,
    },
    /// Ask what a discovery would ask and spend, for the confirmation.
    PlanDiscovery(DiscoveryAsk),
    StartDiscovery(DiscoveryAsk),
    /// Read the dataset and pending batches again (a discovery merged its admitted).
    Reload,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub handles_total: usize,
    pub handles_done: usize,
    pub batches_total: usize,
    pub batches_done: usize,
    pub already_done: usize,
    pub invalid: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub zero: usize,
    pub unscored: usize,
    pub placeholders: usize,
    /// Extra copies beyond the first of each handle.
    pub duplicates: usize,
    pub duplicate_handles: usize,
    pub schema: usize,
    /// Records claiming an API source their answer does not prove.
    pub unverified: usize,
    /// Authors whose growth the history flags.
    pub growth: usize,
}

impl Counts {
    /// Counts a row's flags in (`add`) or out; duplicates are counted per handle, elsewhere.
    pub(crate) fn tally(&mut self, flags: RowFlags, add: bool) {
        for (flag, count) in [
            (RowFlags::ZERO, &mut self.zero),
            (RowFlags::UNSCORED, &mut self.unscored),
            (RowFlags::PLACEHOLDER, &mut self.placeholders),
            (RowFlags::SCHEMA, &mut self.schema),
            (RowFlags::UNVERIFIED, &mut self.unverified),
            (RowFlags::GROWTH, &mut self.growth),
        ] {
            if flags.contains(flag) {
                if add {
                    *count += 1;
                } else {
                    *count = count.saturating_sub(1);
                }
            }
        }
    }

    pub(crate) fn get(&self, c: ScreenCounter) -> usize {
        match c {
            ScreenCounter::Zero => self.zero,
            ScreenCounter::Unscored => self.unscored,
            ScreenCounter::Placeholders => self.placeholders,
            ScreenCounter::Duplicates => self.duplicates,
            ScreenCounter::Schema => self.schema,
            ScreenCounter::Unverified => self.unverified,
            ScreenCounter::Growth => self.growth,
        }
    }
}

pub(crate) fn counter_flag(c: ScreenCounter) -> RowFlags {
    match c {
        ScreenCounter::Zero => RowFlags::ZERO,
        ScreenCounter::Unscored => RowFlags::UNSCORED,
        ScreenCounter::Placeholders => RowFlags::PLACEHOLDER,
        ScreenCounter::Duplicates => RowFlags::DUPLICATE,
        ScreenCounter::Schema => RowFlags::SCHEMA,
        ScreenCounter::Unverified => RowFlags::UNVERIFIED,
        ScreenCounter::Growth => RowFlags::GROWTH,
    }
}

/// How the console was opened.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// What the header calls the dataset (a path, or "demo").
    pub dataset: String,
    pub readonly: bool,
    pub color: bool,
}

#[derive(Debug, Clone)]
pub struct App {
    pub settings: Settings,
    pub run: RunState,
    pub run_started: Option<DateTime<Utc>>,
    pub run_ended: Option<DateTime<Utc>>,
    pub opened_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub progress: Progress,
    pub budget: Option<BudgetSnapshot>,
    /// The lookups' window length from the run's plan: what the ETA counts the waits ahead by.
    pub window: Option<std::time::Duration>,
    /// The ETA when the run was paused: it stands still until the run resumes.
    pub paused_eta: Option<Eta>,
    /// Money: this run's spend, today's, the cap, the worst case of what is pending.
    pub spend: Option<SpendSnapshot>,
    pub batches: Vec<BatchLine>,
    pub batch_selected: usize,
    pub rows: Vec<AuthorRow>,
    /// The records behind `rows`, same order, read on demand; may be shorter (a benchmark
    /// builds rows only).
    pub records: RecordStore,
    /// The answers the records were proved against (`None`: custody not looked at).
    pub answers: Option<Arc<AnswerIndex>>,
    /// The stored dataset no longer matches its manifest: the words, shown until a reload.
    pub external_edit: Option<String>,
    /// What the last `influx refresh` of the directory did, and when the next author goes stale.
    pub last_refresh: Option<crate::pipeline::refresh::LastRefresh>,
    /// The refresh's census of the dataset as read (`None`: not made, e.g. rows without a data
    /// directory): `s` harvests its candidates.
    pub census: Option<crate::pipeline::refresh::Census>,
    /// The directory's history, read for the selected author's timeline.
    pub history_file: Option<std::path::PathBuf>,
    /// The previous version's scores in the histogram's bins: (version, bins).
    pub previous_bins: Option<(u64, [u64; 10])>,
    /// The largest changes between each author's two newest snapshots (`None`: no history).
    pub movers: Option<crate::pipeline::history::Movers>,
    pub counts: Counts,
    pub histogram: ScoreHistogram,
    pub filter: RowFilter,
    pub sort: SortKey,
    pub reverse: bool,
    /// Row numbers shown, in order: recomputed only when rows, filter or sort change.
    pub index: Vec<u32>,
    /// Every row in each sort column's order, kept so a re-sort or a filter change needs no sort.
    pub orders: SortedOrders,
    /// The filter, sort and direction `index` was made for (None: must be rebuilt).
    pub shown_for: Option<(RowFilter, SortKey, bool)>,
    /// The rows of each handle, for harvested records to find theirs.
    pub by_handle: HandleRows,
    /// Position of the selection in `index`.
    pub selected: usize,
    /// First position of `index` on screen.
    pub table_offset: usize,
    /// Table rows that fit on screen, from the last resize.
    pub table_height: usize,
    pub detail_scroll: u16,
    /// How far the open overlay (help, movers) is scrolled; kept in range by the reducer.
    pub overlay_scroll: usize,
    /// What the detail pane shows, for the row it was asked for (see [`App::detail_of`]).
    pub detail: Option<DetailAnswer>,
    /// The (records generation, row) the last detail request was for: a new selection, or new
    /// records behind the same row, asks again.
    pub detail_asked: Option<(u64, usize)>,
    /// A detail request not yet taken by the event loop (kept apart from `outbox`: it is not
    /// an operation the operator asked for).
    pub detail_wanted: Option<(u64, usize)>,
    /// Bumped whenever the records behind the rows are replaced wholesale.
    pub records_generation: u64,
    pub focus: Focus,
    pub mode: Mode,
    /// What is typed in the filter or command line.
    pub input: String,
    pub log: LogRing,
    /// The line the focused log pane has selected, and whether it is shown whole.
    pub log_cursor: LogCursor,
    /// The pane drawn full screen, if one is.
    pub zoomed: Option<Zoomed>,
    pub frozen: bool,
    /// Engine events that arrived while the view was frozen, applied on unfreeze.
    pub held: Vec<HarvestEvent>,
    pub size: (u16, u16),
    /// Records harvested in this session.
    pub harvested: usize,
    pub failed_handles: usize,
    pub merges: usize,
    /// Harvest runs started in this session; the batches pane names a later run's batches by it.
    pub runs_started: usize,
    /// The handle of a one-handle re-harvest about to start, so its batch line says so.
    pub reharvest: Option<String>,
    /// The handle of a one-handle re-harvest (`r`, `:harvest @x`) whose detail opens, at its
    /// top, when its fresh record lands: what the answer changed is the news.
    pub open_when_harvested: Option<String>,
    /// The candidates view and the review counter.
    pub candidates: CandidateView,
    /// A discovery is running: when its link closes the candidates and dataset are read again.
    pub discovering: bool,
    pub outbox: Vec<Effect>,
    pub should_quit: bool,
    /// Why no request can be sent (no bearer token, in words), known when the console opened:
    /// said in the header and in a harvest's confirmation, which then cannot be accepted.
    pub no_token: Option<String>,
}

impl App {
    pub fn new(settings: Settings, now: DateTime<Utc>) -> App {
        App {
            settings,
            run: RunState::Idle,
            run_started: None,
            run_ended: None,
            opened_at: now,
            now,
            progress: Progress::default(),
            budget: None,
            window: None,
            paused_eta: None,
            spend: None,
            batches: Vec::new(),
            batch_selected: 0,
            rows: Vec::new(),
            records: RecordStore::default(),
            counts: Counts::default(),
            histogram: ScoreHistogram::default(),
            filter: RowFilter::default(),
            sort: SortKey::default(),
            reverse: false,
            index: Vec::new(),
            orders: SortedOrders::default(),
            shown_for: None,
            by_handle: HandleRows::default(),
            selected: 0,
            table_offset: 0,
            table_height: 10,
            detail_scroll: 0,
            overlay_scroll: 0,
            detail: None,
            detail_asked: None,
            detail_wanted: None,
            records_generation: 0,
            answers: None,
            external_edit: None,
            last_refresh: None,
            census: None,
            history_file: None,
            previous_bins: None,
            movers: None,
            focus: Focus::Authors,
            mode: Mode::Normal,
            input: String::new(),
            log: LogRing::new(LOG_CAPACITY),
            log_cursor: LogCursor::default(),
            zoomed: None,
            frozen: false,
            held: Vec::new(),
            size: (0, 0),
            harvested: 0,
            failed_handles: 0,
            merges: 0,
            runs_started: 0,
            reharvest: None,
            open_when_harvested: None,
            candidates: CandidateView::default(),
            discovering: false,
            outbox: Vec::new(),
            should_quit: false,
            no_token: None,
        }
    }

    /// Loads records held in memory (replacing any shown).
    pub fn with_records(mut self, records: Vec<Record>) -> App {
        self.rows = records
            .iter()
            .map(|r| AuthorRow::from_record(r, None))
            .collect();
        self.records = RecordStore::in_memory(records);
        self.rows_changed();
        self
    }

    /// Loads a dataset file's rows and the places of its records (replacing any shown); its bad
    /// lines are the caller's to report.
    pub fn with_loaded(mut self, loaded: LoadedRows) -> App {
        self.take_loaded(loaded);
        self
    }

    fn take_loaded(&mut self, loaded: LoadedRows) {
        self.rows = loaded.rows;
        self.records = loaded.records;
        self.answers = loaded.answers;
        self.external_edit = loaded.external_edit;
        if let Some(words) = self.external_edit.clone() {
            self.log(LogLevel::Warn, words);
        }
        if let Some(last) = &loaded.last_refresh {
            let words = format!(
                "last refresh {} (exit {}): {}",
                crate::dataset::format_time(last.finished_at),
                last.exit,
                last.words
            );
            self.log(LogLevel::Info, words);
        }
        self.last_refresh = loaded.last_refresh;
        self.census = loaded.census;
        self.history_file = loaded.history_file;
        self.previous_bins = loaded.previous_bins;
        self.movers = loaded.movers;
        self.rows_changed();
    }

    /// Loads rows without records (large synthetic datasets).
    pub fn with_rows(mut self, rows: Vec<AuthorRow>) -> App {
        self.rows = rows;
        self.records = RecordStore::default();
        self.rows_changed();
        self
    }

    pub fn with_batches(mut self, batches: Vec<BatchLine>) -> App {
        self.batches = batches;
        self
    }

    /// Replaces the dataset and the pending batch files after a merge or rollback; the batches
    /// of this session's runs stay listed.
    pub fn reload(&mut self, loaded: LoadedRows, pending: Vec<BatchLine>) {
        for bad in loaded.bad_line_words() {
            self.log(LogLevel::Warn, bad);
        }
        self.batches.retain(|b| b.run_batch.is_some());
        self.batches.extend(pending);
        self.batch_selected = self
            .batch_selected
            .min(self.batches.len().saturating_sub(1));
        self.take_loaded(loaded);
    }

    /// Recomputes everything derived from the rows: duplicates, counters, histogram, orders,
    /// index. For a wholesale change (load, reload); a harvested row goes through [`App::set_row`].
    pub(crate) fn rows_changed(&mut self) {
        self.records_generation += 1;
        self.detail = None;
        self.detail_asked = None;
        self.detail_wanted = None;
        let (extra, handles, by_handle) = mark_duplicates(&mut self.rows);
        self.by_handle = by_handle;
        let mut counts = Counts {
            duplicates: extra,
            duplicate_handles: handles,
            ..Counts::default()
        };
        for row in &self.rows {
            counts.tally(row.flags, true);
        }
        self.counts = counts;
        self.histogram = ScoreHistogram::from_rows(&self.rows);
        self.orders.clear();
        self.shown_for = None;
        self.reindex();
    }

    /// Puts `row` at row number `at` (or appends it when `at` is the row count), keeping the
    /// counters and the histogram current. The row's place in the orders is fixed by
    /// [`App::rows_moved`], once for all rows set together.
    pub fn set_row(&mut self, at: usize, row: AuthorRow) {
        if self.detail_asked.is_some_and(|(_, r)| r == at) {
            // A new record behind the row on show: its detail is asked for again.
            self.detail_asked = None;
        }
        if let Some(old) = self.rows.get(at) {
            self.counts.tally(old.flags, false);
            self.histogram.remove(old);
        }
        self.counts.tally(row.flags, true);
        self.histogram.add_row(&row);
        if at == self.rows.len() {
            self.by_handle.insert(row.key(), at as u32);
            self.rows.push(row);
        } else {
            self.rows[at] = row;
        }
    }

    /// Moves the `changed` rows to their new places in the cached orders and in the shown list,
    /// without re-sorting or re-filtering the others; the selection stays on its author.
    pub fn rows_moved(&mut self, changed: &[u32]) {
        let selected_row = self.selected_row();
        self.orders.rows_changed(&self.rows, changed);
        let current = Some((self.filter.clone(), self.sort, self.reverse));
        if self.shown_for != current {
            return self.reindex();
        }
        let (rows, sort, reverse) = (&self.rows, self.sort, self.reverse);
        let needle = self.filter.needle();
        let filter = &self.filter;
        patch_where(
            &mut self.index,
            rows.len(),
            changed,
            |r| filter.keeps(&rows[r as usize], &needle),
            |a, b| {
                if reverse {
                    compare(rows, sort, b, a)
                } else {
                    compare(rows, sort, a, b)
                }
            },
        );
        self.reselect(selected_row);
    }

    /// Recomputes the shown order after a filter or sort change, keeping the selection in range.
    /// Typing that extends the filter narrows the list already shown; anything else filters the
    /// cached full order of the sort column. Neither sorts.
    pub(crate) fn reindex(&mut self) {
        let selected_row = self.selected_row();
        let narrowing = self.shown_for.as_ref().is_some_and(|(f, s, r)| {
            *s == self.sort && *r == self.reverse && self.filter.narrows(f)
        });
        self.index = if narrowing {
            row_index::filter_order(&self.rows, &self.index, &self.filter, false)
        } else {
            let order = self.orders.get(&self.rows, self.sort);
            row_index::filter_order(&self.rows, order, &self.filter, self.reverse)
        };
        self.shown_for = Some((self.filter.clone(), self.sort, self.reverse));
        self.reselect(selected_row);
    }

    fn reselect(&mut self, selected_row: Option<usize>) {
        self.selected = selected_row
            .and_then(|r| self.index.iter().position(|&i| i as usize == r))
            .unwrap_or(0)
            .min(self.index.len().saturating_sub(1));
        self.keep_selection_visible();
    }

    pub(crate) fn keep_selection_visible(&mut self) {
        let h = self.table_height.max(1);
        if self.selected < self.table_offset {
            self.table_offset = self.selected;
        } else if self.selected >= self.table_offset + h {
            self.table_offset = self.selected + 1 - h;
        }
        let max_offset = self.index.len().saturating_sub(h);
        self.table_offset = self.table_offset.min(max_offset);
    }

    /// Row number (into `rows`) of the selected author.
    pub fn selected_row(&self) -> Option<usize> {
        self.index.get(self.selected).map(|&i| i as usize)
    }

    /// The detail of `row` when its answer has arrived; `None` while it is being read.
    pub fn detail_of(&self, row: usize) -> Option<Result<&AuthorDetail, &str>> {
        let answer = self.detail.as_ref()?;
        (answer.row == row && answer.generation == self.records_generation).then(|| {
            match &answer.detail {
                Ok(d) => Ok(d.as_ref()),
                Err(e) => Err(e.as_str()),
            }
        })
    }

    /// The timeline of `row` when its detail has arrived and the history holds the author.
    pub fn timeline_of(&self, row: usize) -> Option<Result<&super::detail_answer::Timeline, &str>> {
        let answer = self.detail.as_ref()?;
        if answer.row != row || answer.generation != self.records_generation {
            return None;
        }
        match answer.timeline.as_ref()? {
            Ok(t) => Some(Ok(t.as_ref())),
            Err(e) => Some(Err(e.as_str())),
        }
    }

    /// What a harvest in this session changed in `row` against its stored record, when its
    /// detail has arrived and a harvest replaced the record.
    pub fn since_stored_of(
        &self,
        row: usize,
    ) -> Option<Result<&crate::pipeline::history::SinceStored, &str>> {
        let answer = self.detail.as_ref()?;
        if answer.row != row || answer.generation != self.records_generation {
            return None;
        }
        match answer.since_stored.as_ref()? {
            Ok(s) => Some(Ok(s.as_ref())),
            Err(e) => Some(Err(e.as_str())),
        }
    }

    /// Asks for the detail of the selected row when it is not the one asked for last (the
    /// reducer calls this after every action; the event loop answers off the draw path).
    pub fn ask_detail_if_needed(&mut self) {
        let Some(row) = self.selected_row().filter(|&r| r < self.records.len()) else {
            return;
        };
        let key = (self.records_generation, row);
        if self.detail_asked != Some(key) {
            self.detail_asked = Some(key);
            self.detail_wanted = Some(key);
        }
    }

    /// The pending detail request as the console's `Operations` take it, taken (the event loop
    /// answers it off the draw path); `None` when nothing is asked or the row has no record.
    pub fn take_detail_ask(&mut self) -> Option<DetailAsk> {
        let (generation, row) = self.detail_wanted.take()?;
        Some(DetailAsk {
            generation,
            row,
            record: self.records.row(row)?,
            answers: self.answers.clone(),
        })
    }

    /// The handles `s` harvests: the refresh's selection (its census's candidates, most urgent
    /// first: unscored and zero, flagged, stale), less the authors this session harvested
    /// already. One rule with `influx refresh`, so the two never disagree on who needs it.
    pub fn handles_needing_harvest(&self) -> Vec<String> {
        let Some(census) = &self.census else {
            return Vec::new();
        };
        let fresh: std::collections::HashSet<String> = self
            .rows
            .iter()
            .filter(|r| r.flags.contains(RowFlags::FRESH))
            .map(|r| r.key())
            .collect();
        census
            .candidates
            .iter()
            .filter(|c| !fresh.contains(&super::author::handle_key(&c.handle)))
            .map(|c| c.handle.clone())
            .collect()
    }

    pub fn log(&mut self, level: LogLevel, text: impl Into<String>) {
        let at_secs = (self.now - self.opened_at).num_seconds().max(0) as u64;
        let text = text.into();
        match level {
            LogLevel::Info => tracing::info!("{text}"),
            LogLevel::Warn => tracing::warn!("{text}"),
            LogLevel::Error => tracing::error!("{text}"),
        }
        self.log.push(LogLine {
            at_secs,
            level,
            text,
        });
    }

    /// Why `what` cannot be accepted now, in words: a harvest or discovery without a bearer
    /// token would only fail after the operator said yes. `None`: it can.
    pub fn refusal(&self, what: &Confirm) -> Option<&str> {
        match what {
            Confirm::Harvest { .. } | Confirm::Discover { .. } => self.no_token.as_deref(),
            _ => None,
        }
    }

    /// Time the run has been going (or went), whole seconds.
    pub(crate) fn elapsed_secs(&self) -> Option<i64> {
        self.run_started.map(|s| {
            (self.run_ended.unwrap_or(self.now) - s)
                .num_seconds()
                .max(0)
        })
    }

    /// The time the run still takes, from the budget's windows (see `cost_plan::live_eta`):
    /// requests not yet sent are those not answered less those in flight. Frozen while paused.
    pub fn eta(&self) -> Option<Eta> {
        if !self.run.in_flight() {
            return None;
        }
        if self.run == RunState::Paused {
            return self.paused_eta;
        }
        let (Some(budget), Some(window)) = (&self.budget, self.window) else {
            return Some(Eta::Unknown);
        };
        let unanswered = self
            .progress
            .batches_total
            .saturating_sub(self.progress.batches_done) as u64;
        let in_flight = budget.sent.saturating_sub(budget.finished);
        let unsent = unanswered.saturating_sub(in_flight);
        match crate::pipeline::harvest::cost_plan::live_eta(unsent, budget, window, self.now) {
            Some(d) => Some(Eta::Secs(d.as_secs() as i64)),
            None => Some(Eta::Unknown),
        }
    }

    /// One short paragraph for stdout when the console closes.
    pub(crate) fn summary(&self) -> String {
        format!(
            "influx console: {} authors shown; run {}; {} harvested, {} handles failed; \
             zero scores {}, unscored {}, placeholders {}, duplicates {}; merges applied {}",
            self.rows.len(),
            self.run.word(),
            self.harvested,
            self.failed_handles,
            self.counts.zero,
            self.counts.unscored,
            self.counts.placeholders,
            self.counts.duplicates,
            self.merges
        )
    }
}
