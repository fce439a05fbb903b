//! Accounts that changed their username: a handle the API no longer knows may be an account
//! renamed, not gone. The refresh asks again for such authors by their stored id
//! (`/2/users?ids=`, a run of its own beside the first, `runs/<run>-ids/`, priced in the same
//! ledger and under what is left of the caps); an account found under a new username is
//! written with its old handle added to `meta.aliases`, which the merge reads to join it to the
//! stored author instead of keeping it apart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::{RefreshError, RefreshEvent, RefreshOptions, read_records};
use crate::dataset::AtomicFile;
use crate::pipeline::harvest::events::HarvestEvent;
use crate::pipeline::harvest::handles::HandleList;
use crate::pipeline::harvest::xapi::LookupBy;
use crate::pipeline::harvest::{self, Micros, RECORDS_FILE, Summary};
use crate::pipeline::jobs;
use crate::pipeline::merge::fold_handle as fold;

/// The records of renamed accounts, merged after the run's own.
pub(super) const RENAMED_FILE: &str = "renamed.jsonl";

/// One account found under a new username.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Rename {
    pub id: String,
    pub from: String,
    pub to: String,
}

/// What the lookup by id found.
#[derive(Debug, Default)]
pub(super) struct Renames {
    /// `run-ids/renamed.jsonl`, when any account was found by id.
    pub file: Option<PathBuf>,
    pub renamed: Vec<Rename>,
    /// Handles (folded) whose account was found by id: not gone.
    pub found: Vec<String>,
    /// What the lookup by id spent and sent.
    pub summary: Option<Summary>,
    /// The lookup by id was stopped (a signal, a cap, the API) before it asked every id: the
    /// accounts it did not reach are neither renamed nor gone yet, and the refresh is not done.
    pub stopped: bool,
}

/// The stored id, handle and aliases of every author among `handles`.
fn stored_ids(
    latest: &Path,
    handles: &[String],
) -> Result<HashMap<String, (String, Vec<Value>)>, RefreshError> {
    let wanted: std::collections::HashSet<String> = handles.iter().map(|h| fold(h)).collect();
    let mut out = HashMap::new();
    read_records(latest, |record| {
        let (Some(key), Some(id)) = (record.handle_key(), record.id()) else {
            return;
        };
        if wanted.contains(&key) {
            let aliases = record
                .meta()
                .and_then(|m| m.get("aliases"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let handle = record.view().handle().unwrap_or(&key).to_string();
            out.insert(id.to_string(), (handle, aliases));
        }
    })?;
    Ok(out)
}

/// Looks the not-found authors of `first` up by id; writes the renamed ones' records.
pub(super) async fn look_up_by_id(
    opts: &RefreshOptions,
    run_dir: &Path,
    first: &Summary,
    max_spend: Option<Micros>,
    on: &mut (dyn FnMut(&RefreshEvent) + Send),
    cancel: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<Renames, RefreshError> {
    let latest = opts.data_dir.latest_file();
    let stored = stored_ids(&latest, &first.not_found)?;
    if stored.is_empty() {
        return Ok(Renames::default());
    }
    let name = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "run".into());
    let id_run = run_dir.with_file_name(format!("{name}-ids"));
    let mut setup = opts.harvest.clone();
    setup.concurrency = 1;
    // What is left of the caps after the first run.
    setup.max_spend = max_spend.map(|m| m.saturating_sub(first.cost_micros));
    setup.max_requests = setup.max_requests.map(|m| m.saturating_sub(first.requests));
    let mut config = setup.config(&id_run, &opts.data_dir)?;
    config.client.lookup_by = LookupBy::Ids;
    // A refresh killed during this lookup finishes it without asking an answered batch again.
    config.resume = id_run.join(harvest::journal::JOURNAL_FILE).exists();
    let mut ids: Vec<String> = stored.keys().cloned().collect();
    ids.sort();
    let input = HandleList {
        handles: ids,
        ..HandleList::default()
    };
    let engine = harvest::start(config, input)?;
    // A SIGTERM during these look-ups stops them as it stops the refresh's own harvest.
    let mut watcher = |e: HarvestEvent| {
        if !matches!(e, HarvestEvent::Budget(_) | HarvestEvent::Spend(_)) {
            on(&RefreshEvent::Harvest(e));
        }
    };
    let done = jobs::drive_with(engine, &mut watcher, jobs::Stop::Cancel(cancel), None)
        .await
        .map_err(|e| RefreshError::Engine(e.to_string()))?;
    let mut out = Renames {
        stopped: done.outcome != harvest::RunOutcome::Complete,
        summary: Some(done.summary),
        ..Renames::default()
    };
    let mut records = Vec::new();
    read_records(&id_run.join(RECORDS_FILE), |mut record| {
        let Some((old, aliases)) = record.id().and_then(|id| stored.get(id)).cloned() else {
            return;
        };
        let new = record.view().handle().unwrap_or_default().to_string();
        out.found.push(fold(&old));
        if fold(&new) != fold(&old) {
            let mut aliases = aliases;
            if !aliases
                .iter()
                .any(|a| a.as_str().is_some_and(|a| fold(a) == fold(&old)))
            {
                aliases.push(Value::from(old.clone()));
            }
            if let Some(Value::Object(meta)) = record.fields_mut().get_mut("meta") {
                meta.insert("aliases".into(), Value::Array(aliases));
            }
            out.renamed.push(Rename {
                id: record.id().unwrap_or_default().to_string(),
                from: old,
                to: new,
            });
        }
        records.push(record);
    })?;
    if !records.is_empty() {
        let file = id_run.join(RENAMED_FILE);
        let mut w = AtomicFile::create(&file).map_err(RefreshError::Dataset)?;
        for r in &records {
            w.write_record(r).map_err(RefreshError::Dataset)?;
        }
        w.commit().map_err(RefreshError::Dataset)?;
        out.file = Some(file);
    }
    Ok(out)
}
