//! Discovery: candidates read from X lists, from the accounts trusted seeds follow and from a
//! handles file, each decided by the admission rules (an operator's word outranks them), the
//! decisions kept in the data directory, and the admitted merged under the merge's own rules.
//!
//! The walk, in order: plan (each list's `member_count`, each seed's id and `following_count`,
//! requests per endpoint, users and dollars at most, time under each endpoint's window) →
//! the seeds the data directory does not know looked up → read (one harvest run: every page
//! and lookup a batch of the same engine, priced in the same ledger, under the same caps and
//! stops, resumable from its journal) → decide → keep the decisions → merge and record the
//! admitted. Nothing here sends a request itself but the plan's list look-ups, which X does not
//! bill.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use tokio::sync::mpsc;

use super::{DriveError, MergeRecordError, RunWatcher, Stop, drive_with, merge_and_record};
use crate::dataset::{Record, read_dataset, write_dataset};
use crate::pipeline::admission::{CandidateFacts, Decision, Rules};
use crate::pipeline::candidates::{Candidates, CandidatesError};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::events::HarvestCommand;
use crate::pipeline::harvest::handles::HandleList;
use crate::pipeline::harvest::journal::{Journal, JournalError};
use crate::pipeline::harvest::xapi::{ClientError, XClient};
use crate::pipeline::harvest::{
    Endpoint, HarvestConfig, HarvestError, PageSource, RECORDS_FILE, RunOutcome, RunReport, start,
};
use crate::pipeline::merge::{self, MergeOptions, MergeOutcome};

/// The file of a discovery run that holds its admitted authors, the one the merge reads.
pub(crate) const ADMITTED_FILE: &str = "admitted.jsonl";

/// What to discover.
#[derive(Debug, Clone, Default)]
pub struct DiscoverSources {
    pub lists: Vec<String>,
    /// Seeds' handles: the accounts each follows are read.
    pub following: Vec<String>,
    pub handles: HandleList,
}

/// One list as the plan sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ListPlan {
    pub list: String,
    pub name: Option<String>,
    pub member_count: Option<u64>,
    /// Why the list cannot be read (unknown or private), when it cannot.
    pub error: Option<String>,
}

/// One seed as the plan sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SeedPlan {
    pub seed: String,
    pub id: Option<String>,
    pub following_count: Option<u64>,
    /// `dataset` (the stored record), `lookup` (asked for: one user read) or `not found`.
    pub known_from: &'static str,
}

/// What a discovery will ask and spend, before it spends anything.
#[derive(Debug, Clone, Serialize)]
pub struct DiscoveryPlan {
    pub lists: Vec<ListPlan>,
    pub seeds: Vec<SeedPlan>,
    pub handles: usize,
    /// Requests per endpoint (`lookup`, `list_members`, `following`).
    pub requests: BTreeMap<Endpoint, u64>,
    /// Every user the sources can return: the bill's ceiling (same-day re-reads are free),
    /// but for the followings of seeds not yet known (see `followings_unknown`).
    pub users_at_most: u64,
    /// Seeds whose following count is known only once they are looked up: their followings
    /// are not in `users_at_most` (at most 1,000 a page; `--max-spend` still bounds them).
    pub followings_unknown: Vec<String>,
    pub cost_usd_at_most: f64,
    /// Seconds the requests take under each endpoint's window.
    pub eta_s: BTreeMap<Endpoint, u64>,
    pub max_spend_usd: Option<f64>,
}

impl DiscoveryPlan {
    /// The plan in words, a line each.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for l in &self.lists {
            lines.push(match (&l.error, l.member_count) {
                (Some(e), _) => format!("list {}: cannot be read: {e}", l.list),
                (None, n) => format!(
                    "list {} ({}): {} members",
                    l.list,
                    l.name.as_deref().unwrap_or("unnamed"),
                    n.map_or("unknown".into(), |n| n.to_string())
                ),
            });
        }
        for s in &self.seeds {
            lines.push(format!(
                "following of @{}: {} accounts (seed {})",
                s.seed,
                s.following_count
                    .map_or("unknown".into(), |n| n.to_string()),
                s.known_from
            ));
        }
        if self.handles > 0 {
            lines.push(format!("{} handles from the file", self.handles));
        }
        let per: Vec<String> = self
            .requests
            .iter()
            .map(|(e, n)| {
                format!(
                    "{} {} ({} s under its window)",
                    n,
                    e.name(),
                    self.eta_s.get(e).copied().unwrap_or(0)
                )
            })
            .collect();
        lines.push(format!("requests: {}", per.join(" · ")));
        lines.push(format!(
            "at most {} users billed, ${:.2} (same-day re-reads are free)",
            self.users_at_most, self.cost_usd_at_most
        ));
        if !self.followings_unknown.is_empty() {
            lines.push(format!(
                "plus the followings of {}: unknown until each seed is looked up (one user read each); --max-spend bounds them",
                self.followings_unknown
                    .iter()
                    .map(|s| format!("@{s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(cap) = self.max_spend_usd {
            lines.push(format!("spend cap ${cap:.2}"));
        }
        lines
    }
}

/// How a discovery ended.
#[derive(Debug, Clone, Serialize)]
pub struct DiscoveryReport {
    pub run_dir: PathBuf,
    /// Accounts read per source (`list 123`, `following of @x`, `handles`).
    pub per_source: BTreeMap<String, usize>,
    pub per_decision: BTreeMap<Decision, usize>,
    /// Candidates each rule fired on.
    pub per_rule: BTreeMap<String, usize>,
    pub admitted: usize,
    pub merged: Option<MergeOutcome>,
    /// Why nothing was merged, when the admitted were not.
    pub not_merged: Option<String>,
    pub requests: u64,
    pub cost_usd: f64,
    pub users_billed: u64,
    pub free_rereads: u64,
    pub failed: Vec<String>,
    pub pending: usize,
    pub pages_pending: usize,
    #[serde(skip)]
    pub outcome: Option<RunOutcome>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Harvest(#[from] HarvestError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Drive(#[from] DriveError),
    #[error(transparent)]
    Candidates(#[from] CandidatesError),
    #[error(transparent)]
    Merge(#[from] MergeRecordError),
    #[error(transparent)]
    MergePlan(#[from] merge::MergeError),
    #[error(transparent)]
    Dataset(#[from] crate::dataset::DatasetError),
    #[error("nothing to discover: give --list, --following or --handles")]
    NothingAsked,
    #[error("the seed lookup run stopped: {0}")]
    SeedsStopped(String),
}

/// What the data directory knows of each seed: its id and following count, from the stored
/// dataset.
fn known_seeds(data_dir: &DataDir, seeds: &[String]) -> HashMap<String, (String, Option<u64>)> {
    let mut known = HashMap::new();
    let Ok(dataset) = read_dataset(&data_dir.latest_file()) else {
        return known;
    };
    for r in &dataset.records {
        let Some(handle) = r.handle() else { continue };
        if !seeds.iter().any(|s| s.eq_ignore_ascii_case(handle)) {
            continue;
        }
        let following = r
            .get("public_metrics")
            .and_then(|m| m.get("following_count"))
            .and_then(Value::as_u64);
        if let Some(id) = r.id() {
            known.insert(handle.to_ascii_lowercase(), (id.to_string(), following));
        }
    }
    known
}

/// Reads one list's name and member count (`GET /2/lists/:id`, not billed).
async fn list_plan(client: &XClient, list: &str) -> ListPlan {
    let path = format!("/2/lists/{list}?list.fields=member_count,name,owner_id");
    let mut plan = ListPlan {
        list: list.to_string(),
        name: None,
        member_count: None,
        error: None,
    };
    match client.get(path).await {
        Err(e) => plan.error = Some(e.to_string()),
        Ok(raw) => match serde_json::from_slice::<Value>(&raw.body) {
            Ok(body) if raw.status == 200 && body.get("data").is_some() => {
                plan.name = body["data"]["name"].as_str().map(str::to_string);
                plan.member_count = body["data"]["member_count"].as_u64();
            }
            Ok(body) => {
                plan.error = Some(
                    body["errors"][0]["detail"]
                        .as_str()
                        .or(body["detail"].as_str())
                        .map_or_else(|| format!("HTTP {}", raw.status), str::to_string),
                )
            }
            Err(_) => plan.error = Some(format!("HTTP {}: not JSON", raw.status)),
        },
    }
    plan
}

/// States what a discovery will ask and spend. Seeds the data directory does not know are
/// planned as one lookup each, their followings as unknown until then.
pub async fn plan(
    config: &HarvestConfig,
    data_dir: &DataDir,
    sources: &DiscoverSources,
) -> Result<DiscoveryPlan, DiscoverError> {
    if sources.lists.is_empty()
        && sources.following.is_empty()
        && sources.handles.handles.is_empty()
    {
        return Err(DiscoverError::NothingAsked);
    }
    let client = XClient::new(&config.client)?;
    let mut lists = Vec::new();
    for list in &sources.lists {
        lists.push(list_plan(&client, list).await);
    }
    let known = known_seeds(data_dir, &sources.following);
    let seeds: Vec<SeedPlan> = sources
        .following
        .iter()
        .map(|seed| match known.get(&seed.to_ascii_lowercase()) {
            Some((id, following)) => SeedPlan {
                seed: seed.clone(),
                id: Some(id.clone()),
                following_count: *following,
                known_from: "dataset",
            },
            None => SeedPlan {
                seed: seed.clone(),
                id: None,
                following_count: None,
                known_from: "lookup",
            },
        })
        .collect();
    let mut requests: BTreeMap<Endpoint, u64> = BTreeMap::new();
    let mut users = 0u64;
    let lookups = sources.handles.handles.len() as u64
        + seeds.iter().filter(|s| s.id.is_none()).count() as u64;
    if lookups > 0 {
        *requests.entry(Endpoint::Lookup).or_default() +=
            lookups.div_ceil(config.batch_size.max(1) as u64);
        users += lookups;
    }
    for l in lists.iter().filter(|l| l.error.is_none()) {
        let n = l.member_count.unwrap_or(0);
        *requests.entry(Endpoint::ListMembers).or_default() += n
            .div_ceil(u64::from(Endpoint::ListMembers.page_size()))
            .max(1);
        users += n;
    }
    for s in &seeds {
        let n = s.following_count.unwrap_or(0);
        *requests.entry(Endpoint::Following).or_default() += n
            .div_ceil(u64::from(Endpoint::Following.page_size()))
            .max(1);
        users += n;
    }
    let eta_s = requests
        .iter()
        .map(|(e, n)| {
            let (limit, window) = match e {
                Endpoint::Lookup => (
                    config.budget.limit.map_or(u32::MAX, |l| l.get()),
                    config.budget.window.as_secs(),
                ),
                _ => config.page_budgets.get(e).map_or_else(
                    || e.documented_window(),
                    |b| (b.limit.map_or(u32::MAX, |l| l.get()), b.window.as_secs()),
                ),
            };
            // Whole windows waited: the requests beyond each window's limit wait for the next.
            let waits = n.saturating_sub(1) / u64::from(limit.max(1));
            (*e, waits * window)
        })
        .collect();
    let price = config.pricing.price_micros;
    let followings_unknown = seeds
        .iter()
        .filter(|s| s.following_count.is_none())
        .map(|s| s.seed.clone())
        .collect();
    Ok(DiscoveryPlan {
        lists,
        seeds,
        handles: sources.handles.handles.len(),
        requests,
        users_at_most: users,
        followings_unknown,
        cost_usd_at_most: crate::pipeline::harvest::pricing::micros_to_usd(users * price),
        eta_s,
        max_spend_usd: config
            .max_spend
            .map(crate::pipeline::harvest::pricing::micros_to_usd),
    })
}

/// Looks the seeds the data directory does not know up (one user read each, through the
/// engine, in a run of their own), and returns every seed's paged source.
async fn seed_sources(
    config: &HarvestConfig,
    plan: &DiscoveryPlan,
    watcher: &mut impl RunWatcher,
    steering: Option<&mut mpsc::Receiver<HarvestCommand>>,
) -> Result<(Vec<PageSource>, Vec<String>), DiscoverError> {
    let mut sources = Vec::new();
    let mut failed = Vec::new();
    let unknown: Vec<String> = plan
        .seeds
        .iter()
        .filter(|s| s.id.is_none())
        .map(|s| s.seed.clone())
        .collect();
    let mut found: HashMap<String, String> = HashMap::new();
    if !unknown.is_empty() {
        let mut seeds_config = config.clone();
        seeds_config.out_dir = config.out_dir.with_file_name(format!(
            "{}-seeds",
            config
                .out_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        seeds_config.sources = Vec::new();
        seeds_config.resume = Journal::read(&seeds_config.out_dir).is_ok();
        let list = HandleList {
            handles: unknown.clone(),
            ..HandleList::default()
        };
        let run = start(seeds_config.clone(), list)?;
        let report = drive_with(run, watcher, Stop::Signals, steering).await?;
        if report.outcome == RunOutcome::Stopped {
            let why = report
                .summary
                .stopped
                .map(|s| s.detail)
                .unwrap_or_else(|| "stopped".into());
            return Err(DiscoverError::SeedsStopped(why));
        }
        let records = read_dataset(&seeds_config.out_dir.join(RECORDS_FILE))?;
        for r in &records.records {
            if let (Some(h), Some(id)) = (r.handle(), r.id()) {
                found.insert(h.to_ascii_lowercase(), id.to_string());
            }
        }
    }
    for s in &plan.seeds {
        let id =
            s.id.clone()
                .or_else(|| found.get(&s.seed.to_ascii_lowercase()).cloned());
        match id {
            Some(seed_id) => sources.push(PageSource::Following {
                seed: s.seed.clone(),
                seed_id,
            }),
            None => failed.push(format!("seed @{}: not found", s.seed)),
        }
    }
    Ok((sources, failed))
}

/// Runs a discovery to its end: reads every source through the harvest engine (or finishes
/// the run `config.out_dir` holds when `config.resume`), decides every candidate, keeps the
/// decisions and merges the admitted.
pub async fn discover(
    config: HarvestConfig,
    data_dir: &DataDir,
    sources: DiscoverSources,
    watcher: &mut impl RunWatcher,
) -> Result<DiscoveryReport, DiscoverError> {
    discover_steered(config, data_dir, sources, watcher, None).await
}

/// [`discover`] steered by a front end's commands (the console's pause, resume and cancel).
pub(crate) async fn discover_steered(
    mut config: HarvestConfig,
    data_dir: &DataDir,
    sources: DiscoverSources,
    watcher: &mut impl RunWatcher,
    mut steering: Option<&mut mpsc::Receiver<HarvestCommand>>,
) -> Result<DiscoveryReport, DiscoverError> {
    let mut failed = Vec::new();
    if !config.resume {
        let plan = plan(&config, data_dir, &sources).await?;
        let (seeds, seeds_failed) =
            seed_sources(&config, &plan, watcher, steering.as_deref_mut()).await?;
        failed.extend(seeds_failed);
        failed.extend(
            plan.lists
                .iter()
                .filter_map(|l| l.error.as_ref().map(|e| format!("list {}: {e}", l.list))),
        );
        config.sources = plan
            .lists
            .iter()
            .filter(|l| l.error.is_none())
            .map(|l| PageSource::List {
                list: l.list.clone(),
            })
            .chain(seeds)
            .collect();
    }
    let run_dir = config.out_dir.clone();
    let rules = config.judgement.rules.clone();
    let run = start(config, sources.handles)?;
    let report = drive_with(run, watcher, Stop::Signals, steering).await?;
    let mut out = decide_and_merge(data_dir, &run_dir, &rules, Utc::now(), &report)?;
    out.failed.splice(0..0, failed);
    Ok(out)
}

/// Decides every account a discovery run read, keeps the decisions, writes the admitted to the
/// run's `admitted.jsonl` and merges them (no merge when the run read nothing admitted).
pub(crate) fn decide_and_merge(
    data_dir: &DataDir,
    run_dir: &Path,
    rules: &Rules,
    now: DateTime<Utc>,
    report: &RunReport,
) -> Result<DiscoveryReport, DiscoverError> {
    let read = read_dataset(&run_dir.join(RECORDS_FILE))?;
    // One account read from several sources is one candidate with every source.
    let mut by_handle: BTreeMap<String, Record> = BTreeMap::new();
    let mut per_source: BTreeMap<String, usize> = BTreeMap::new();
    for record in read.records {
        let Some(handle) = record.handle().map(str::to_ascii_lowercase) else {
            continue;
        };
        let found_in = discovered_of(&record);
        if found_in.is_empty() {
            *per_source.entry("handles".into()).or_default() += 1;
        }
        for entry in &found_in {
            *per_source.entry(source_label(entry)).or_default() += 1;
        }
        match by_handle.get_mut(&handle) {
            Some(kept) => {
                let mut all = discovered_of(kept);
                for e in found_in {
                    if !all.contains(&e) {
                        all.push(e);
                    }
                }
                kept.meta_mut()
                    .insert("discovered".into(), Value::Array(all));
            }
            None => {
                by_handle.insert(handle, record);
            }
        }
    }
    let mut candidates = Candidates::load(data_dir)?;
    let mut per_decision: BTreeMap<Decision, usize> = BTreeMap::new();
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut admitted: Vec<Record> = Vec::new();
    for record in by_handle.into_values() {
        let verdict = rules.decide(&CandidateFacts::from_record(&record), now);
        for r in &verdict.reasons {
            *per_rule.entry(r.rule.clone()).or_default() += 1;
        }
        let candidate = candidates.discovered(&record, verdict, &rules.version, now);
        *per_decision.entry(candidate.decision).or_default() += 1;
        if candidate.decision == Decision::Admitted {
            admitted.push(record);
        }
    }
    candidates.save(data_dir)?;
    let mut out = DiscoveryReport {
        run_dir: run_dir.to_path_buf(),
        per_source,
        per_decision,
        per_rule,
        admitted: admitted.len(),
        merged: None,
        not_merged: None,
        requests: report.summary.requests,
        cost_usd: report.summary.cost_usd,
        users_billed: report.summary.users_billed,
        free_rereads: report.summary.free_rereads,
        failed: report
            .summary
            .failed
            .iter()
            .map(|f| format!("{}: {}", f.handle, f.reason))
            .collect(),
        pending: report.summary.pending,
        pages_pending: report.summary.pages_pending,
        outcome: Some(report.outcome),
    };
    if admitted.is_empty() {
        out.not_merged = Some("no candidate was admitted".into());
        return Ok(out);
    }
    let file = run_dir.join(ADMITTED_FILE);
    write_dataset(&file, &admitted)?;
    let plan = merge::plan(data_dir, &[file], &MergeOptions::default())?;
    if !plan.can_apply() {
        out.not_merged = Some(format!(
            "{} admitted record(s) are flagged by the merge's checks (e.g. {}): nothing merged",
            plan.blocked.len(),
            plan.blocked
                .first()
                .map(|b| format!("{}: {}", b.handle, b.reasons.join("; ")))
                .unwrap_or_default()
        ));
        return Ok(out);
    }
    let (outcome, _history, _recorded) = merge_and_record(data_dir, &plan)?;
    out.merged = Some(outcome);
    Ok(out)
}

/// The `meta.discovered` entries of a record.
fn discovered_of(record: &Record) -> Vec<Value> {
    record
        .meta()
        .and_then(|m| m.get("discovered"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// `list 123` or `following of @seed`, for the counts per source.
fn source_label(entry: &Value) -> String {
    match (entry.get("list"), entry.get("seed")) {
        (Some(l), _) => format!("list {}", l.as_str().unwrap_or_default()),
        (None, Some(s)) => format!("following of @{}", s.as_str().unwrap_or_default()),
        _ => "handles".into(),
    }
}
