//! Keeping the index fresh in one step, as cron or a systemd timer runs it: a census of the
//! stored dataset chooses the authors to look up again (unscored and zero first, then flagged,
//! then the stalest), within the money caps; the harvest asks for them into `DIR/runs/<time>/`;
//! the merge takes what passes (a flagged record is left out and listed, the rest goes in) and
//! the history records it; authors the API says are gone are marked (`meta.status`) and not
//! asked again for a while. One refresh at a time per directory, and a killed one is finished by
//! the next without asking again for any answered batch. Nothing here prints.

mod census;
pub(crate) mod prometheus;
mod renames;
mod state;
mod status_marks;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

pub use census::{Candidate, Census, CensusRules, Reason, census};
pub(crate) use renames::Rename;
pub use state::{LastRefresh, Pending, RefreshLock};

use crate::dataset::DatasetError;
use crate::pipeline::audit::{self, GateResult, Gates};
use crate::pipeline::custody::AnswerIndex;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::HarvestSetup;
use crate::pipeline::harvest::events::HarvestEvent;
use crate::pipeline::harvest::handles::parse_handles;
use crate::pipeline::harvest::ledger::{read_book, read_entries};
use crate::pipeline::harvest::{self, CostPlan, Micros, RECORDS_FILE, RunOutcome, Summary};
use crate::pipeline::history::{GrowthRules, History};
use crate::pipeline::jobs;
use crate::pipeline::merge::{self, BlockedRecord, MergeOptions, MergeOutcome};

/// The handles file a refresh writes into its run directory.
pub(crate) const HANDLES_FILE: &str = "handles.txt";

/// Why a refresh could not be carried out (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Judgement(#[from] crate::pipeline::candidates::JudgementError),
    #[error(transparent)]
    Published(#[from] crate::pipeline::jobs::MergeRecordError),
    #[error(
        "another refresh is running on {dir} ({holder}); one refresh at a time per data directory"
    )]
    Busy { dir: PathBuf, holder: String },
    #[error("nothing has been merged into {dir} yet: harvest and merge a first batch")]
    NothingMerged { dir: PathBuf },
    #[error("{words}; refresh refused (merge with --accept-external-edit first)")]
    ExternalEdit { words: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not what a refresh wrote ({reason})")]
    Corrupt { path: PathBuf, reason: String },
    #[error(transparent)]
    Dataset(DatasetError),
    #[error(transparent)]
    Merge(#[from] merge::MergeError),
    #[error(transparent)]
    History(#[from] crate::pipeline::history::HistoryError),
    #[error(transparent)]
    Harvest(#[from] harvest::HarvestError),
    #[error(transparent)]
    Ledger(#[from] harvest::LedgerError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    Answers(#[from] crate::pipeline::custody::AnswersError),
    #[error("the harvest engine ended abnormally: {0}")]
    Engine(String),
}

/// How a refresh runs.
#[derive(Debug, Clone)]
pub(crate) struct RefreshOptions {
    pub data_dir: DataDir,
    /// How its harvests run: endpoint, token, price, pacing; `max_spend` and `max_requests` are
    /// the caps of this refresh (its renamed-account look-up included).
    pub harvest: HarvestSetup,
    /// The most every harvest of the directory may spend in one UTC day (the ledger's figure).
    pub max_spend_per_day: Option<Micros>,
    pub rules: CensusRules,
    pub gates: Gates,
    /// Choose and plan, send nothing.
    pub dry_run: bool,
}

/// What a refresh says as it goes.
#[derive(Debug, Clone)]
pub(crate) enum RefreshEvent {
    /// The authors chosen, or the interrupted run taken up again.
    Selected(Selection),
    /// The plan of the harvest (requests, cost, ETA).
    Planned(CostPlan),
    Harvest(HarvestEvent),
    /// A record the merge left out, and why.
    LeftOut(BlockedRecord),
    Merged(MergeOutcome),
}

/// The authors a refresh asks for.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Selection {
    pub run_dir: PathBuf,
    /// True when this is an interrupted refresh's run, finished now.
    pub resumed: bool,
    /// Chosen authors per reason.
    pub per_reason: Vec<(Reason, usize)>,
    /// Chosen, in order (empty on a resume: the run's own handles are asked).
    pub handles: Vec<String>,
    /// Chosen but left for a later refresh by the money or request caps.
    pub held_back: usize,
    /// Of those, the stale ones.
    pub stale_held_back: usize,
    pub census: Census,
    /// A dry run: the chosen authors are to be shown one by one.
    pub dry_run_list: bool,
}

/// How a refresh ended, as the exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RefreshOutcome {
    /// Every chosen author refreshed and merged (or marked gone), every gate passed.
    Done,
    /// Some were left out: flags, failures, caps, a gate.
    Partial,
    /// Nothing could be done (the API refused at once: no credits, bad token).
    Nothing,
}

impl RefreshOutcome {
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            RefreshOutcome::Done => 0,
            RefreshOutcome::Partial => 1,
            RefreshOutcome::Nothing => 2,
        }
    }
}

/// What a refresh did: the summary it prints and keeps in `DIR/refresh/last.json`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RefreshReport {
    pub outcome: RefreshOutcome,
    pub data_dir: PathBuf,
    pub run_dir: Option<PathBuf>,
    pub resumed: bool,
    pub dry_run: bool,
    pub selected: usize,
    pub per_reason: Vec<(Reason, usize)>,
    pub held_back: usize,
    /// Stale authors this refresh leaves unread: held back by the caps, or marked gone and
    /// within their back-off. Said in the words, never a silent 0.
    pub stale_unread: usize,
    /// Authors whose new record was merged: the run's, and those found by id.
    pub refreshed: usize,
    /// Of `refreshed`, the authors the look-up by handle did not find and the look-up by id did
    /// (renamed, or answered after all): why `refreshed` can pass the batches' found counts.
    pub found_by_id: usize,
    /// Authors the API said are gone, marked in the dataset (`meta.status`).
    pub marked_gone: Vec<String>,
    /// Accounts found by id under a new username: the handle updated, the old one kept in
    /// `meta.aliases`.
    pub renamed: Vec<Rename>,
    /// Records the merge left out (placeholder, schema or custody flags), with why.
    pub left_out: Vec<BlockedRecord>,
    /// Records merged although flagged, because their only flags are schema violations the
    /// stored record already has: refreshing the metrics does not make them worse (the audit
    /// still counts them).
    pub carried_flags: usize,
    /// Refreshed authors the admission rules would no longer admit (turned into a brand, went
    /// inactive, fell below the threshold...): kept and flagged in `meta.admission`, never
    /// dropped. Each handle with the first rule that fired.
    pub admission_flags: Vec<(String, String)>,
    /// Why nothing was published although records were refreshed (a gate failed), when so.
    pub not_published: Option<String>,
    /// Handles the harvest could not get (failed, or never asked: caps, cancel).
    pub failed: usize,
    pub pending: usize,
    pub gates: Vec<GateResult>,
    pub merged: Option<MergeOutcome>,
    pub harvest: Option<Summary>,
    #[serde(skip)]
    pub plan: Option<CostPlan>,
    pub spend_usd: f64,
    pub finished_at: DateTime<Utc>,
    /// The stored dataset after the refresh.
    pub census: Census,
}

impl RefreshReport {
    /// The refresh in one line of words.
    pub(crate) fn words(&self) -> String {
        let mut words = self.words_of_run();
        let invalid = &self.census.invalid_handles;
        if !invalid.is_empty() {
            let shown: Vec<&str> = invalid.iter().take(10).map(String::as_str).collect();
            words.push_str(&format!(
                "; {} stored handle{} X cannot be asked for, never chosen: {}{} (correct or remove them)",
                invalid.len(),
                if invalid.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if invalid.len() > shown.len() { ", ..." } else { "" }
            ));
        }
        words
    }

    fn words_of_run(&self) -> String {
        let reasons = self
            .per_reason
            .iter()
            .map(|(r, n)| format!("{n} {}", r.word()))
            .collect::<Vec<_>>()
            .join(", ");
        if self.dry_run {
            return format!(
                "dry run: would refresh {} authors ({reasons}), {} held back by caps, {} stale left unread (caps, back-off)",
                self.selected, self.held_back, self.stale_unread
            );
        }
        if let Some(why) = &self.not_published {
            return format!(
                "{} selected ({reasons}); {why}; spent ${:.2}",
                self.selected, self.spend_usd
            );
        }
        let by_id = match self.found_by_id {
            0 => String::new(),
            n => format!(" ({n} of them found by id after their handle was not)"),
        };
        format!(
            "refreshed {}{by_id} of {} selected ({reasons}); {} left out, {} failed or not asked, {} marked gone, {} renamed, {} flagged by the admission rules, {} held back by caps, {} stale left unread (caps, back-off); spent ${:.2}",
            self.refreshed,
            self.selected,
            self.left_out.len(),
            self.failed + self.pending,
            self.marked_gone.len(),
            self.renamed.len(),
            self.admission_flags.len(),
            self.held_back,
            self.stale_unread,
            self.spend_usd
        )
    }

    fn last(&self, previous: Option<&LastRefresh>) -> LastRefresh {
        let success = (self.outcome == RefreshOutcome::Done).then_some(self.finished_at);
        LastRefresh {
            finished_at: self.finished_at,
            exit: self.outcome.exit_code(),
            run_dir: self.run_dir.clone(),
            selected: self.selected,
            refreshed: self.refreshed,
            left_out: self.left_out.len() + self.failed + self.pending,
            spend_usd: self.spend_usd,
            requests: self.harvest.as_ref().map_or(0, |s| s.requests),
            throttled: self.harvest.as_ref().map_or(0, |s| s.throttled),
            last_success_at: success.or(previous.and_then(|p| p.last_success_at)),
            next_stale_at: self.census.next_stale_at,
            words: self.words(),
        }
    }
}

/// Keeps in `last.json` a refresh that could not proceed (exit 2) and why, so the console and
/// the metrics file see every refresh, not only those that ran; the last success is kept.
/// A directory that does not exist is left alone (nothing of it to keep).
pub(crate) fn record_unusable(
    data_dir: &DataDir,
    why: &str,
) -> Result<Option<LastRefresh>, RefreshError> {
    if !data_dir.root().is_dir() {
        return Ok(None);
    }
    // A last.json that cannot be read is replaced: the failure is what is worth keeping now.
    let previous = LastRefresh::read(data_dir).ok().flatten();
    let last = LastRefresh {
        finished_at: Utc::now(),
        exit: RefreshOutcome::Nothing.exit_code(),
        run_dir: None,
        selected: 0,
        refreshed: 0,
        left_out: 0,
        spend_usd: 0.0,
        requests: 0,
        throttled: 0,
        last_success_at: previous.as_ref().and_then(|p| p.last_success_at),
        next_stale_at: previous.as_ref().and_then(|p| p.next_stale_at),
        words: format!("refresh could not proceed: {why}"),
    };
    last.write(data_dir)?;
    Ok(Some(last))
}

/// The census of `data_dir` with its history's growth flags and its runs' custody.
pub fn census_of(data_dir: &DataDir, rules: &CensusRules) -> Result<Census, RefreshError> {
    let latest = data_dir.latest_file();
    if !latest.exists() {
        return Err(RefreshError::NothingMerged {
            dir: data_dir.root().to_path_buf(),
        });
    }
    let (history, _) = History::open(data_dir)?;
    let flagged = growth_flagged(&history)?;
    let answers = AnswerIndex::of_data_dir(data_dir)?;
    census(&latest, rules, &flagged, Some(&answers))
}

/// The authors the history's growth rules flag, as the census matches them: (id, folded
/// handle), the history's key.
pub fn growth_flagged(
    history: &History,
) -> Result<HashSet<(String, String)>, crate::pipeline::history::HistoryError> {
    Ok(history
        .flagged(&GrowthRules::bundled())?
        .into_iter()
        .map(|f| (f.id, f.handle_key))
        .collect())
}

/// Requests answered and 429s received over every harvest of the directory (its ledger).
pub(crate) fn request_totals(data_dir: &DataDir) -> Result<(u64, u64), RefreshError> {
    let entries = read_entries(data_dir)?;
    let throttled = entries.iter().filter(|e| e.status == Some(429)).count() as u64;
    Ok((entries.len() as u64, throttled))
}

/// What the caps allow a refresh: the most handles its requests can ask for, and its spend cap
/// after what today's harvests of the directory spent.
struct Caps {
    handles: Option<usize>,
    spend: Option<Micros>,
    /// The ledger's book of recent reads: a handle read today is re-read for free.
    book: harvest::ledger::LedgerBook,
}

fn caps(opts: &RefreshOptions) -> Result<Caps, RefreshError> {
    let book = read_book(&opts.data_dir, opts.rules.now)?;
    let mut spend = opts.harvest.max_spend;
    if let Some(day_cap) = opts.max_spend_per_day {
        let left = day_cap.saturating_sub(book.spent_on(opts.rules.now.date_naive()));
        spend = Some(spend.map_or(left, |s| s.min(left)));
    }
    let handles = opts
        .harvest
        .max_requests
        .map(|n| (n as usize).saturating_mul(opts.harvest.batch_size));
    Ok(Caps {
        handles,
        spend,
        book,
    })
}

impl Caps {
    /// How many of `candidates`, taken in order, fit: each costs the price unless it was read
    /// today (a free re-read).
    fn fit(&self, candidates: &[Candidate], price: Micros, today: chrono::NaiveDate) -> usize {
        let most = self.handles.unwrap_or(usize::MAX).min(candidates.len());
        let Some(cap) = self.spend else { return most };
        let mut spent: Micros = 0;
        for (i, c) in candidates[..most].iter().enumerate() {
            let cost = if self.book.read_on(today, &c.handle) {
                0
            } else {
                price
            };
            if spent + cost > cap {
                return i;
            }
            spent += cost;
        }
        most
    }
}

/// Runs one refresh. `cancel` set to true stops the harvest cleanly (SIGTERM, Ctrl-C): what was
/// answered is merged, and the next refresh asks for the rest.
pub(crate) async fn run(
    opts: RefreshOptions,
    on: &mut (dyn FnMut(&RefreshEvent) + Send),
    mut cancel: watch::Receiver<bool>,
) -> Result<RefreshReport, RefreshError> {
    let dir = opts.data_dir.clone();
    let _lock = RefreshLock::take(&dir)?;
    if let Some(edit) = merge::external_edit(&dir)? {
        return Err(RefreshError::ExternalEdit {
            words: edit.words(),
        });
    }
    let previous = LastRefresh::read(&dir)?;
    let pending =
        Pending::read(&dir)?.filter(|p| p.run_dir.join(harvest::journal::JOURNAL_FILE).exists());
    let caps = caps(&opts)?;
    let max_spend = caps.spend;
    // Phase 1, select: the interrupted run, or the census's candidates within the caps.
    let selection = select(&dir, &opts, &caps, pending.as_ref())?;
    on(&RefreshEvent::Selected(selection.clone()));
    let mut report = RefreshReport {
        outcome: RefreshOutcome::Done,
        data_dir: dir.root().to_path_buf(),
        run_dir: Some(selection.run_dir.clone()),
        resumed: selection.resumed,
        dry_run: opts.dry_run,
        selected: selection.per_reason.iter().map(|(_, n)| n).sum(),
        per_reason: selection.per_reason.clone(),
        held_back: selection.held_back,
        stale_unread: selection.stale_held_back + selection.census.stale_backed_off,
        refreshed: 0,
        marked_gone: Vec::new(),
        renamed: Vec::new(),
        found_by_id: 0,
        left_out: Vec::new(),
        carried_flags: 0,
        admission_flags: Vec::new(),
        not_published: None,
        failed: 0,
        pending: 0,
        gates: Vec::new(),
        merged: None,
        harvest: None,
        plan: None,
        spend_usd: 0.0,
        finished_at: Utc::now(),
        census: selection.census.clone(),
    };
    if !selection.resumed && selection.handles.is_empty() {
        report.run_dir = None;
        let report = finish(report);
        if !opts.dry_run {
            report.last(previous.as_ref()).write(&dir)?;
        }
        return Ok(report);
    }
    // Phase 2, the handles to harvest and the run that asks for them (a dry run stops at its
    // plan).
    let run_dir = selection.run_dir.clone();
    let handles_file = run_dir.join(HANDLES_FILE);
    let input = harvest_input(&selection, &run_dir, &handles_file, opts.dry_run)?;
    let mut setup = opts.harvest.clone();
    setup.max_spend = max_spend;
    let mut config = setup.config(&run_dir, &dir)?;
    config.handles_file = Some(handles_file);
    config.resume = selection.resumed;
    if opts.dry_run {
        let plan = harvest::plan(&config, &input)?;
        on(&RefreshEvent::Planned(plan.clone()));
        report.plan = Some(plan);
        return Ok(finish(report));
    }
    // Phases 3 and 4, harvest (the records scored as they are written), then the accounts not
    // found by handle asked again by id.
    let harvested =
        harvest_phase(&opts, &selection, config, input, max_spend, on, &mut cancel).await?;
    harvested.report_into(&mut report);
    let Some(renames) = &harvested.renames else {
        // Stopped before anything was harvested: nothing to merge.
        report.outcome = RefreshOutcome::Nothing;
        report.finished_at = Utc::now();
        report.last(previous.as_ref()).write(&dir)?;
        return Ok(report);
    };
    // Phase 5, audit the merged candidate, publish, record.
    merge_phase(
        &dir,
        &run_dir,
        &harvested.summary,
        renames,
        &opts.gates,
        on,
        &mut report,
    )?;
    let complete = harvested.outcome == RunOutcome::Complete && !renames.stopped;
    if complete {
        Pending::clear(&dir)?;
    }
    // Phase 6, the census after: what the next refresh will find.
    report.census = census_of(&dir, &opts.rules)?;
    report.finished_at = Utc::now();
    let mut report = finish(report);
    if !complete && report.outcome == RefreshOutcome::Done {
        report.outcome = RefreshOutcome::Partial;
    }
    // Last, what this refresh did, for the console, the metrics and the next refresh.
    report.last(previous.as_ref()).write(&dir)?;
    Ok(report)
}

/// Phase 1, select: the interrupted run taken up again (chosen and paid for up to here:
/// finished whatever the census says now), or the census's candidates that fit the caps.
fn select(
    dir: &DataDir,
    opts: &RefreshOptions,
    caps: &Caps,
    pending: Option<&Pending>,
) -> Result<Selection, RefreshError> {
    Ok(match pending {
        Some(p) => {
            // The run was chosen and paid for up to here: finish it, whatever the census says now.
            let census = census_of(dir, &opts.rules)?;
            Selection {
                run_dir: p.run_dir.clone(),
                resumed: true,
                per_reason: p
                    .selected
                    .iter()
                    .filter_map(|(r, n)| {
                        Reason::ALL.iter().find(|x| x.word() == r).map(|&x| (x, *n))
                    })
                    .collect(),
                handles: Vec::new(),
                held_back: 0,
                stale_held_back: 0,
                census,
                dry_run_list: false,
            }
        }
        None => {
            let census = census_of(dir, &opts.rules)?;
            let chosen = census.candidates.len();
            let take = caps.fit(
                &census.candidates,
                opts.harvest.pricing.price_micros,
                opts.rules.now.date_naive(),
            );
            let picked = &census.candidates[..take];
            let per_reason = census::per_reason(picked);
            Selection {
                run_dir: harvest::new_run_dir(dir),
                resumed: false,
                per_reason,
                handles: picked.iter().map(|c| c.handle.clone()).collect(),
                held_back: chosen - take,
                stale_held_back: census.candidates[take..]
                    .iter()
                    .filter(|c| c.reason == Reason::Stale)
                    .count(),
                census,
                dry_run_list: opts.dry_run,
            }
        }
    })
}

/// Phase 2, the handles to harvest: those of the interrupted run (its journal names its
/// file), or the selection's, written beside the run so a resume finds them.
fn harvest_input(
    selection: &Selection,
    run_dir: &Path,
    handles_file: &Path,
    dry_run: bool,
) -> Result<harvest::handles::HandleList, RefreshError> {
    Ok(if selection.resumed {
        let header = harvest::journal::read_header(run_dir).map_err(harvest::HarvestError::from)?;
        let file = header
            .handles_file
            .unwrap_or_else(|| handles_file.to_path_buf());
        let text = std::fs::read_to_string(&file).map_err(|source| RefreshError::Io {
            path: file.clone(),
            source,
        })?;
        parse_handles(&text)
    } else {
        let mut text = selection.handles.join("\n");
        text.push('\n');
        if !dry_run {
            crate::dataset::AtomicFile::write_bytes(handles_file, text.as_bytes())
                .map_err(RefreshError::Dataset)?;
        }
        parse_handles(&text)
    })
}

/// What the harvest phase got: the run's answers and how it ended, and what the look-up by id
/// found of the accounts the run did not find by handle.
struct HarvestPhase {
    summary: Summary,
    outcome: RunOutcome,
    /// `None` when the run stopped before anything was harvested (the API refused at once: no
    /// credits, a bad token): nothing was looked up, and there is nothing to merge.
    renames: Option<renames::Renames>,
}

impl HarvestPhase {
    /// What the report says of the harvest: its failures, its spend, the renamed accounts.
    fn report_into(&self, report: &mut RefreshReport) {
        report.failed = self.summary.failed.len();
        report.pending = self.summary.pending;
        report.spend_usd = self.summary.cost_usd;
        report.harvest = Some(self.summary.clone());
        if let Some(renames) = &self.renames {
            report.renamed = renames.renamed.clone();
            report.found_by_id = renames.found.len();
            if let Some(s) = &renames.summary {
                report.spend_usd += s.cost_usd;
            }
        }
    }
}

/// Phases 3 and 4, harvest: the run kept in `pending.json` (a refresh killed from here on is
/// finished by the next), the engine driven by the jobs layer with SIGTERM reaching it as
/// cancel, then the accounts not found by handle asked again by id (renamed, or gone).
async fn harvest_phase(
    opts: &RefreshOptions,
    selection: &Selection,
    config: harvest::HarvestConfig,
    input: harvest::handles::HandleList,
    max_spend: Option<Micros>,
    on: &mut (dyn FnMut(&RefreshEvent) + Send),
    cancel: &mut watch::Receiver<bool>,
) -> Result<HarvestPhase, RefreshError> {
    let dir = &opts.data_dir;
    let run_dir = &selection.run_dir;
    if !selection.resumed {
        Pending {
            run_dir: run_dir.clone(),
            started_at: Utc::now(),
            selected: selection
                .per_reason
                .iter()
                .map(|(r, n)| (r.word().to_string(), *n))
                .collect(),
        }
        .write(dir)?;
    }
    let engine = match harvest::start(config, input) {
        Ok(engine) => engine,
        Err(e) => {
            // Refused before anything was asked (a harvest holds the directory's lock): a run
            // with no journal is no run to finish, so neither it nor pending.json is left.
            let journaled = run_dir.join(harvest::journal::JOURNAL_FILE).exists();
            if !selection.resumed && !journaled {
                Pending::clear(dir)?;
                let _ = std::fs::remove_file(run_dir.join(HANDLES_FILE));
                let _ = std::fs::remove_dir(run_dir);
            }
            return Err(e.into());
        }
    };
    let mut watcher = |e: HarvestEvent| on(&RefreshEvent::Harvest(e));
    let done = jobs::drive_with(engine, &mut watcher, jobs::Stop::Cancel(&mut *cancel), None)
        .await
        .map_err(|e| RefreshError::Engine(e.to_string()))?;
    let summary = done.summary;
    let harvested_nothing =
        summary.harvested == 0 && summary.not_found.is_empty() && summary.suspended.is_empty();
    if done.outcome == RunOutcome::Stopped && harvested_nothing {
        return Ok(HarvestPhase {
            summary,
            outcome: done.outcome,
            renames: None,
        });
    }
    let renames = if summary.not_found.is_empty() {
        renames::Renames::default()
    } else {
        renames::look_up_by_id(opts, run_dir, &summary, max_spend, on, cancel).await?
    };
    Ok(HarvestPhase {
        summary,
        outcome: done.outcome,
        renames: Some(renames),
    })
}

/// Phase 5, audit the merged candidate, publish, record (`merge_run`: the gates decide before
/// anything is published). A merge may land between the plan and the write (the console, a
/// hand-run merge): the plan is made again against the new version, once; a second change in
/// as many milliseconds is an operator merging by hand, and the next refresh finishes the run.
fn merge_phase(
    dir: &DataDir,
    run_dir: &Path,
    summary: &Summary,
    renames: &renames::Renames,
    gates: &Gates,
    on: &mut (dyn FnMut(&RefreshEvent) + Send),
    report: &mut RefreshReport,
) -> Result<(), RefreshError> {
    let mut replanned = false;
    loop {
        match merge_run(dir, run_dir, summary, renames, gates, on, report) {
            Err(RefreshError::Merge(merge::MergeError::Stale { .. })) if !replanned => {
                replanned = true;
                report.admission_flags.clear();
                report.left_out.clear();
            }
            done => return done,
        }
    }
}

/// Sets the outcome from what was left out.
fn finish(mut r: RefreshReport) -> RefreshReport {
    let short = !r.left_out.is_empty()
        || !r.census.invalid_handles.is_empty()
        || r.failed > 0
        || r.pending > 0
        || r.held_back > 0
        || r.gates.iter().any(|g| !g.pass);
    if r.outcome == RefreshOutcome::Done && short {
        r.outcome = RefreshOutcome::Partial;
    }
    r
}

/// Merges a run's records (flagged ones left out) and its gone-author marks; records history.
fn merge_run(
    dir: &DataDir,
    run_dir: &Path,
    summary: &Summary,
    renames: &renames::Renames,
    gates: &Gates,
    on: &mut (dyn FnMut(&RefreshEvent) + Send),
    report: &mut RefreshReport,
) -> Result<(), RefreshError> {
    let now = Utc::now();
    let records = run_dir.join(RECORDS_FILE);
    let mut batches = Vec::new();
    if records.metadata().is_ok_and(|m| m.len() > 0) {
        batches.push(records.clone());
    }
    if let Some(file) = &renames.file {
        batches.push(file.clone());
    }
    read_records(&records, |r| {
        let Some(admission) = r.meta().and_then(|m| m.get("admission")) else {
            return;
        };
        if admission["decision"] != "admitted" {
            let first = admission["reasons"][0]["matched"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let rule = admission["reasons"][0]["rule"].as_str().unwrap_or_default();
            report.admission_flags.push((
                r.handle().unwrap_or_default().to_string(),
                format!("{rule}: {first}"),
            ));
        }
    })?;
    // Not gone: found under their id, or not reached by a look-up by id that was stopped.
    let not_gone: Vec<String> = if renames.stopped {
        summary
            .not_found
            .iter()
            .map(|h| merge::fold_handle(h))
            .collect()
    } else {
        renames.found.clone()
    };
    let marks = status_marks::write(dir, run_dir, summary, &not_gone, now)?;
    report.marked_gone = marks.gone.clone();
    if let Some(path) = &marks.file {
        batches.push(path.clone());
    }
    if batches.is_empty() {
        return Ok(());
    }
    // The merge's own policy decides what is blocked (a schema violation the stored record
    // already has is carried, as `influx merge` carries it); the blocked are left out.
    let mut plan = merge::plan(dir, &batches, &MergeOptions::default())?;
    report.carried_flags = plan.carried;
    if !plan.blocked.is_empty() {
        let left_out = plan.blocked.clone();
        for b in &left_out {
            on(&RefreshEvent::LeftOut(b.clone()));
        }
        batches = status_marks::without_blocked(&batches, &left_out, run_dir)?;
        report.left_out = left_out;
        if batches.is_empty() {
            return Ok(());
        }
        plan = merge::plan(dir, &batches, &MergeOptions::default())?;
        report.carried_flags = plan.carried;
        if let Some(b) = plan.blocked.first() {
            return Err(RefreshError::Corrupt {
                path: b.path.clone(),
                reason: format!(
                    "{} is flagged once the others are left out: {}",
                    b.handle,
                    b.reasons.join("; ")
                ),
            });
        }
    }
    if let Some(u) = plan.unreadable.first() {
        return Err(RefreshError::Corrupt {
            path: u.path.clone(),
            reason: u.reason.clone(),
        });
    }
    // Every batch but the marks holds refreshed authors (the run's, and the renamed ones).
    report.refreshed = batches
        .iter()
        .filter(|b| !status_marks::is_marks_file(b))
        .map(|b| count_lines(b))
        .sum();
    // Gates before publishing: the refreshed records are audited first, and a refresh whose
    // gate fails publishes nothing (the run's records stay in its directory, for a look).
    if let Some(first) = batches.first().filter(|b| b.parent() == Some(run_dir)) {
        let audited = audit::audit_file(first, gates)?;
        report.gates = audited.gates;
        if !audited.passed {
            let failed: Vec<String> = report
                .gates
                .iter()
                .filter(|g| !g.pass)
                .map(|g| format!("{} {} > {}", g.name.name(), g.value, g.threshold))
                .collect();
            report.refreshed = 0;
            report.not_published = Some(format!(
                "gate failed ({}): nothing published; the records are in {}",
                failed.join(", "),
                first.display()
            ));
            return Ok(());
        }
    }
    // Published first, recorded second: a crash in between is repaired by the next open.
    let (outcome, history, _) = jobs::merge_and_record(dir, &plan)?;
    on(&RefreshEvent::Merged(outcome.clone()));
    report.merged = Some(outcome);
    // The growth flags are computed here, where cron waits, and kept for the console's next
    // open (a scan of every snapshot: a minute at a year of a million authors).
    history.flagged(&GrowthRules::bundled())?;
    Ok(())
}

/// Calls `each` with every record of a JSONL file (lines that are not records are skipped: the
/// audit and the merge report them); a file that does not exist has none.
fn read_records(
    path: &Path,
    mut each: impl FnMut(crate::dataset::Record),
) -> Result<(), RefreshError> {
    if !path.exists() {
        return Ok(());
    }
    for item in crate::dataset::Lines::open(path).map_err(RefreshError::Dataset)? {
        let (n, text) = item.map_err(RefreshError::Dataset)?;
        if let Ok(r) = text
            .map_err(|_| ())
            .and_then(|t| crate::dataset::parse_line(n, &t).map_err(|_| ()))
        {
            each(r);
        }
    }
    Ok(())
}

fn count_lines(path: &Path) -> usize {
    harvest::outputs::count_lines(path) as usize
}
