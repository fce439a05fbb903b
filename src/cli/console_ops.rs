//! The console's [`Operations`], implemented with the real library calls on a data directory:
//! loading its dataset and pending batches, planning and starting harvests, planning and
//! applying merges under the one merge policy, rolling back. Glue only: the work happens in
//! `pipeline` (the directory's places in `pipeline::data_dir`, what waits to be merged in
//! `pipeline::pending_batches`); this turns its answers into what the console shows, and runs
//! harvests as its settings say (`console_harvest`).
//! Every file the console reads is read here: the dataset's rows (`rows`), the pending batches'
//! figures (`batch_file`), a row's record again (`records`) and its detail (`detail`).

mod batch_file;
mod console_harvest;
pub(crate) mod detail;
mod names;
mod records;
mod rows;

pub use names::batch_name;
pub use records::read_record;
pub use rows::load_rows;

use std::sync::Arc;

use crate::pipeline::admission::Decision;
use crate::pipeline::candidates::{Candidate, Candidates};
use crate::pipeline::custody::AnswerIndex;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::events::HarvestEvent;
use crate::pipeline::harvest::events::SpendSnapshot;
use crate::pipeline::harvest::handles::parse_handles;
use crate::pipeline::harvest::xapi::Token;
use crate::pipeline::harvest::{self, CostPlan, HarvestConfig, ledger};
use crate::pipeline::history::History;
use crate::pipeline::jobs::{
    self,
    discover::{self, DiscoverSources, DiscoveryReport},
};
use crate::pipeline::merge::{self, CleanPlan, MergePlan};
use crate::pipeline::pending_batches;
use crate::ui::batches::{BatchLine, BatchState};
use crate::ui::dataset_rows::{LoadError, LoadedRows};
use crate::ui::detail_answer::{DetailAnswer, DetailAsk};
use crate::ui::ops::{
    DiscoveryAsk, DiscoveryPlanView, EngineLink, MergeDone, MergePlanView, Operations, OpsError,
    RollbackDone,
};
use batch_file::read_batch_contents;
use console_harvest::ConsoleHarvest;
use rows::load_rows_proved;

/// A data directory driven from the console.
pub struct ConsoleOps {
    pub dir: DataDir,
    /// How the harvests this console starts are run.
    pub harvest: ConsoleHarvest,
}

/// Flags the rows whose author the history's growth rules flag (matched by the folded handle
/// the history keeps the author under: a handle that only shares a flagged author's id is
/// another author, not flagged).
fn mark_growth(
    flagged: &std::collections::HashSet<(String, String)>,
    rows: &mut [crate::ui::author::AuthorRow],
) {
    if flagged.is_empty() {
        return;
    }
    let handles: std::collections::HashSet<&str> =
        flagged.iter().map(|(_, handle)| handle.as_str()).collect();
    for row in rows {
        if handles.contains(merge::fold_handle(&row.handle).as_str()) {
            row.flags.insert(crate::ui::author::RowFlags::GROWTH);
        }
    }
}

/// Events a discovery may have in flight to the console before its engine waits for the screen.
const DISCOVERY_EVENTS: usize = 1024;

/// Runs `work` to its end on this thread: on the console's runtime when called from one of its
/// blocking threads, else on a runtime of its own (a test, a command).
fn block_on<F: std::future::Future>(work: F) -> F::Output {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.block_on(work),
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime starts")
            .block_on(work),
    }
}

/// A discovery's report in the log's words: per source, per decision, what was merged.
fn report_lines(r: &DiscoveryReport) -> Vec<String> {
    let join = |parts: Vec<String>| {
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(" · ")
        }
    };
    let mut lines = vec![
        format!(
            "discovery read: {}",
            join(
                r.per_source
                    .iter()
                    .map(|(s, n)| format!("{s}: {n}"))
                    .collect()
            )
        ),
        format!(
            "discovery decided: {}",
            join(
                r.per_decision
                    .iter()
                    .map(|(d, n)| format!("{n} {}", d.word()))
                    .collect()
            )
        ),
    ];
    lines.push(match (&r.merged, &r.not_merged) {
        (Some(m), _) => format!(
            "discovery merged {} admitted: version {} with {} records",
            r.admitted, m.version, m.count
        ),
        (None, Some(why)) => format!("discovery merged nothing: {why}"),
        (None, None) => "discovery merged nothing".into(),
    });
    lines.push(format!(
        "discovery spent ${:.2} on {} requests ({} users billed, {} free re-reads)",
        r.cost_usd, r.requests, r.users_billed, r.free_rereads
    ));
    for f in &r.failed {
        lines.push(format!("discovery failed: {f}"));
    }
    lines
}

/// Authors listed in each of the movers overlay's two lists.
const MOVERS_SHOWN: usize = 15;

/// The scores of the version before the current one, in ten bins, as the history recorded them.
fn previous_bins(data: &DataDir, history: &History) -> Result<Option<(u64, [u64; 10])>, OpsError> {
    let Some(current) = merge::status(data)?.current else {
        return Ok(None);
    };
    let Some(previous) = current.version.checked_sub(1).filter(|v| *v > 0) else {
        return Ok(None);
    };
    let d = history.distribution(previous)?;
    Ok(d.map(|d| (previous, d.tens())))
}

/// What the discovery job is asked to read.
fn sources_of(ask: &DiscoveryAsk) -> DiscoverSources {
    DiscoverSources {
        lists: ask.lists.clone(),
        following: ask.following.clone(),
        ..DiscoverSources::default()
    }
}

impl ConsoleOps {
    /// The console on `dir`, its harvests sent to `api_base` with the default settings (set
    /// `harvest`'s fields for others).
    pub fn new(dir: DataDir, api_base: String) -> ConsoleOps {
        ConsoleOps {
            dir,
            harvest: ConsoleHarvest::new(api_base),
        }
    }

    /// A new run of the directory under the console's settings.
    fn harvest_config(&self, token: Token) -> Result<HarvestConfig, OpsError> {
        Ok(self.harvest.config(&self.dir, token)?)
    }

    /// The directory's token (the demo's), else the operator's from the environment or file.
    fn token(&self) -> Result<Token, OpsError> {
        Ok(match &self.harvest.token {
            Some(t) => t.clone(),
            None => Token::from_file_or_env(None)?,
        })
    }

    /// Why no harvest or discovery can be sent from this console, in words the operator can act
    /// on (`None`: a token is there). Known at opening, so it is said before any plan is shown.
    pub fn token_problem(&self) -> Option<String> {
        match self.token() {
            Ok(_) => None,
            // The console reads the environment only: --token-file is not one of its flags.
            Err(OpsError::Token(crate::pipeline::harvest::xapi::TokenError::Missing)) => {
                Some("no bearer token: set X_BEARER_TOKEN and open the console again".into())
            }
            Err(e) => Some(e.to_string()),
        }
    }

    /// The rows of the current dataset and where each record is (see [`load_rows`]), each
    /// record proved against the directory's runs (`pipeline::custody`), with a line of words
    /// for each line that could not be read, for runs that could not be read, or for a dataset
    /// not stored yet. A dataset changed outside influx is said in `LoadedRows::external_edit`.
    pub fn read_latest(&self) -> Result<(LoadedRows, Vec<String>), LoadError> {
        let path = self.dir.latest_file();
        if !path.exists() {
            return Ok((
                LoadedRows::default(),
                vec![format!("{} does not exist yet", path.display())],
            ));
        }
        let mut notes = Vec::new();
        let mut loaded = match AnswerIndex::of_data_dir(&self.dir) {
            Ok(answers) => load_rows_proved(&path, Arc::new(answers))?,
            Err(e) => {
                notes.push(format!("custody not checked: {e}"));
                load_rows(&path)?
            }
        };
        match merge::external_edit(&self.dir) {
            Ok(edit) => loaded.external_edit = edit.map(|e| e.words()),
            Err(e) => notes.push(format!(
                "cannot check latest.jsonl against its manifest: {e}"
            )),
        }
        let path = self.dir.history();
        // The authors the history flags: the rows' growth flags and the census's, one set.
        let mut growth = Some(std::collections::HashSet::new());
        // Opened once for the growth flags, the movers and the previous version's scores.
        match path.exists().then(|| History::open_file(&path)).transpose() {
            Ok(None) => {}
            Err(e) => {
                growth = None;
                notes.push(format!("the history not read: {e}"));
            }
            Ok(Some(history)) => {
                match crate::pipeline::refresh::growth_flagged(&history) {
                    Ok(flagged) => {
                        mark_growth(&flagged, &mut loaded.rows);
                        loaded.history_file = Some(path.clone());
                        growth = Some(flagged);
                    }
                    Err(e) => {
                        growth = None;
                        notes.push(format!("growth flags not read: {e}"));
                    }
                }
                match history.movers(MOVERS_SHOWN) {
                    Ok(m) => loaded.movers = Some(m),
                    Err(e) => notes.push(format!("the movers not read: {e}")),
                }
                match previous_bins(&self.dir, &history) {
                    Ok(bins) => loaded.previous_bins = bins,
                    Err(e) => notes.push(format!("the previous version's scores not read: {e}")),
                }
            }
        }
        // The authors `s` harvests: the refresh's census, by the refresh's rules. Without the
        // history's flags it would choose other authors than a refresh: none are chosen.
        match growth {
            Some(flagged) => {
                let rules = crate::pipeline::refresh::CensusRules {
                    now: chrono::Utc::now(),
                    ..self.harvest.census_rules.clone()
                };
                match crate::pipeline::refresh::census(
                    &self.dir.latest_file(),
                    &rules,
                    &flagged,
                    loaded.answers.as_deref(),
                ) {
                    Ok(census) => loaded.census = Some(census),
                    Err(e) => notes.push(format!("the refresh's selection not made: {e}")),
                }
            }
            None => notes.push(
                "the refresh's selection not made: the history's growth flags are unknown".into(),
            ),
        }
        match crate::pipeline::refresh::LastRefresh::read(&self.dir) {
            Ok(last) => loaded.last_refresh = last,
            Err(e) => notes.push(format!("cannot read the last refresh: {e}")),
        }
        let mut bad: Vec<String> = loaded.bad_line_words().collect();
        bad.extend(notes);
        Ok((loaded, bad))
    }

    /// What the directory's harvests spent today, from its ledger (`None` when it cannot be
    /// read: the console then shows money once a run starts).
    pub(crate) fn spend_today(&self) -> Option<SpendSnapshot> {
        let now = chrono::Utc::now();
        let book = ledger::read_book(&self.dir, now).ok()?;
        Some(SpendSnapshot {
            price_micros: self.harvest.pricing.price_micros,
            today_micros: book.spent_on(now.date_naive()),
            cap_micros: self.harvest.max_spend,
            ..SpendSnapshot::default()
        })
    }

    /// The pending batch files, described for the batch table.
    pub(crate) fn pending(&self) -> Result<Vec<BatchLine>, OpsError> {
        pending_batches::pending_files(&self.dir)?
            .iter()
            .map(|p| {
                // The error names the file already.
                let contents = read_batch_contents(p)?;
                let mut row = BatchLine::new(batch_name(p), BatchState::Pending);
                row.describe_contents(&contents);
                Ok(row)
            })
            .collect()
    }

    /// The merge of the pending files, as the pipeline plans it and as the dialog shows it.
    fn plan_view(&self) -> Result<(MergePlan, MergePlanView), OpsError> {
        let (files, CleanPlan { plan, left_out }) = pending_batches::plan_pending(&self.dir)?;
        let view = MergePlanView {
            batches: files
                .iter()
                .filter(|f| !left_out.iter().any(|l| &l.path == *f))
                .map(|p| batch_name(p))
                .collect(),
            added: plan.added.len(),
            updated: plan.updated.len(),
            unchanged: plan.unchanged,
            collapsed: plan
                .collapsed
                .iter()
                .map(|c| c.stored_rows.saturating_sub(1))
                .sum(),
            conflicts: plan.conflicts.len(),
            blocked: left_out
                .iter()
                .flat_map(|l| &l.blocked)
                .map(|b| (b.handle.clone(), b.reasons.join("; ")))
                .collect(),
            left_out: left_out.iter().map(|l| batch_name(&l.path)).collect(),
            unreadable: plan.unreadable.len(),
        };
        Ok((plan, view))
    }
}

impl Operations for ConsoleOps {
    fn load(&self) -> Result<(LoadedRows, Vec<BatchLine>), OpsError> {
        let (loaded, _) = self.read_latest()?;
        Ok((loaded, self.pending()?))
    }

    fn detail(&self, ask: &DetailAsk) -> DetailAnswer {
        let history = self.dir.history();
        detail::answer_detail(ask, history.exists().then_some(history.as_path()))
    }

    fn candidates(&self) -> Result<Vec<Candidate>, OpsError> {
        Ok(Candidates::load(&self.dir)?.iter().cloned().collect())
    }

    fn decide_candidate(
        &self,
        handle: &str,
        decision: Decision,
        why: &str,
    ) -> Result<Candidate, OpsError> {
        let mut all = Candidates::load(&self.dir)?;
        let decided = all
            .operator(handle, decision, why, chrono::Utc::now())
            .clone();
        all.save(&self.dir)?;
        Ok(decided)
    }

    fn plan_discovery(&self, ask: &DiscoveryAsk) -> Result<DiscoveryPlanView, OpsError> {
        // The plan reads each list's size (not billed), so it needs the real token.
        let config = self.harvest_config(self.token()?)?;
        let sources = sources_of(ask);
        let plan = block_on(discover::plan(&config, &self.dir, &sources))?;
        Ok(DiscoveryPlanView {
            lines: plan.lines(),
            list_names: plan
                .lists
                .iter()
                .filter_map(|l| l.name.clone().map(|n| (l.list.clone(), n)))
                .collect(),
        })
    }

    fn start_discovery(&self, ask: DiscoveryAsk) -> Result<EngineLink, OpsError> {
        let config = self.harvest_config(self.token()?)?;
        let data = self.dir.clone();
        let (events_tx, events) = tokio::sync::mpsc::channel(DISCOVERY_EVENTS);
        let (commands, mut commands_rx) = tokio::sync::mpsc::channel(16);
        // The watcher cannot wait for the screen; its events queue here and a forwarder hands
        // them on in order, so a slow screen slows nothing but this queue.
        let (queue_tx, mut queue_rx) = tokio::sync::mpsc::unbounded_channel::<HarvestEvent>();
        tokio::spawn(async move {
            while let Some(event) = queue_rx.recv().await {
                if events_tx.send(event).await.is_err() {
                    break;
                }
            }
        });
        tokio::spawn(async move {
            let mut watcher = |event: HarvestEvent| {
                let _ = queue_tx.send(event);
            };
            let result = discover::discover_steered(
                config,
                &data,
                sources_of(&ask),
                &mut watcher,
                Some(&mut commands_rx),
            )
            .await;
            let (level, lines) = match result {
                Ok(report) => (tracing::Level::INFO, report_lines(&report)),
                Err(e) => (
                    tracing::Level::ERROR,
                    vec![format!("discovery failed: {e}")],
                ),
            };
            for message in lines {
                let _ = queue_tx.send(HarvestEvent::Log { level, message });
            }
        });
        Ok(EngineLink { events, commands })
    }

    fn plan_harvest(&self, handles: &[String]) -> Result<CostPlan, OpsError> {
        // A plan sends nothing: any token will do.
        let config = self.harvest_config(Token::new("plan-only")?)?;
        Ok(harvest::plan(&config, &parse_handles(&handles.join("\n")))?)
    }

    fn start_harvest(&self, handles: Vec<String>) -> Result<EngineLink, OpsError> {
        let config = self.harvest_config(self.token()?)?;
        let list = parse_handles(&handles.join("\n"));
        let run = harvest::start(config, list)?;
        // The run reports its end as RunDone / RunStopped on the event channel; its join
        // handle is not needed to watch it.
        drop(run.finished);
        Ok(EngineLink {
            events: run.events,
            commands: run.commands,
        })
    }

    fn plan_merge(&self) -> Result<MergePlanView, OpsError> {
        Ok(self.plan_view()?.1)
    }

    /// Plans again and applies that plan: the merge refuses a plan the dataset or a batch
    /// has moved away from, so what is applied is what a fresh plan says.
    fn apply_merge(&self) -> Result<MergeDone, OpsError> {
        let (plan, view) = self.plan_view()?;
        if view.batches.is_empty() {
            return Err(OpsError::NothingToMerge {
                left_out: view.left_out.len(),
            });
        }
        // Published first, recorded second, by the job `influx merge` and the refresh use: a
        // history that cannot take the version is said with the version already published.
        let (out, _, _) = match jobs::merge_and_record(&self.dir, &plan) {
            Err(jobs::MergeRecordError::Merge(e)) => return Err(e.into()),
            done => done?,
        };
        Ok(MergeDone {
            version: out.version,
            count: out.count,
            added: view.added,
            updated: view.updated,
            collapsed: view.collapsed,
            left_out: view.left_out,
        })
    }

    fn rollback(&self) -> Result<RollbackDone, OpsError> {
        let out = merge::rollback(&self.dir)?;
        crate::pipeline::history::History::open(&self.dir)?;
        Ok(RollbackDone {
            restored_version: out.restored_version,
            version: out.version,
            count: out.count,
        })
    }
}
