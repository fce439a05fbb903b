//! What the stored dataset needs: one pass over `latest.jsonl` that decides, for every author,
//! whether a refresh should look it up again and why (unscored or zero first, then flagged, then
//! the stalest), and counts what the monitoring figures report. Every per-record fact comes from
//! `audit::facts`; custody from `custody::verify`. Not here: asking the API (see `harvest`).

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::dataset::{Lines, Record, parse_line, parse_time};
use crate::pipeline::audit::checks_of_view;
use crate::pipeline::custody::{AnswerIndex, Claim, Custody, verify};
use crate::pipeline::merge::fold_handle;

use super::RefreshError;

/// Why an author is looked up again, in the order they are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No usable score, or a score of 0: the crisis this project began with.
    Unscored,
    /// A placeholder flag or a growth flag (follower spike or drop).
    Flagged,
    /// Last refreshed longer ago than `stale_after` (or never), provable or not: reading it
    /// again is what makes an unverifiable record provable.
    Stale,
    /// Fresh, but unprovable against a kept answer (legacy data); chosen only with
    /// `--include unverifiable`.
    Unverifiable,
}

impl Reason {
    pub(crate) const ALL: [Reason; 4] = [
        Reason::Unscored,
        Reason::Flagged,
        Reason::Stale,
        Reason::Unverifiable,
    ];

    pub(crate) fn word(self) -> &'static str {
        match self {
            Reason::Unscored => "unscored",
            Reason::Flagged => "flagged",
            Reason::Stale => "stale",
            Reason::Unverifiable => "unverifiable",
        }
    }
}

/// One author the refresh would look up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub handle: String,
    pub id: Option<String>,
    pub reason: Reason,
    /// `meta.last_refresh_at` (else the newest source's `fetched_at`).
    pub last_refresh_at: Option<DateTime<Utc>>,
}

/// How the census decides.
#[derive(Debug, Clone)]
pub struct CensusRules {
    pub now: DateTime<Utc>,
    pub stale_after: TimeDelta,
    /// A handle marked not found or suspended is not asked again for this long.
    pub backoff: TimeDelta,
    /// Also re-read records that are not stale but cannot be proved against a kept answer
    /// (legacy data): a re-read gives them an answer to be proved by. Stale ones are re-read
    /// whether provable or not.
    pub include_unverifiable: bool,
}

impl CensusRules {
    /// `stale_after` unless configured: an author read more than a week ago is stale.
    pub const STALE_AFTER_DAYS: i64 = 7;
    /// `not_found_backoff` unless configured.
    pub const BACKOFF_DAYS: i64 = 30;

    /// The rules a refresh decides by when nothing is configured, at `now`.
    pub fn defaults(now: DateTime<Utc>) -> CensusRules {
        CensusRules {
            now,
            stale_after: TimeDelta::days(Self::STALE_AFTER_DAYS),
            backoff: TimeDelta::days(Self::BACKOFF_DAYS),
            include_unverifiable: false,
        }
    }
}

/// The dataset as a refresh sees it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Census {
    pub authors: usize,
    pub unscored: usize,
    pub zero_scores: usize,
    pub placeholders: usize,
    /// Records claiming an API source that are unverifiable or mismatched (only counted when
    /// the census was given the runs).
    pub unverified: usize,
    pub growth_flagged: usize,
    /// Older than `stale_after`, chosen or not.
    pub stale: usize,
    /// Fresh but unverifiable: not chosen without `--include unverifiable`.
    pub skipped_unverifiable: usize,
    /// Marked not found or suspended within the back-off: not asked again yet.
    pub backed_off: usize,
    /// Stale, but backed off (marked gone within the back-off): left unread by this refresh.
    pub stale_backed_off: usize,
    /// Lines that are not records (reported, never chosen).
    pub unreadable: usize,
    /// Stored handles X cannot be asked for (not `^[A-Za-z0-9_]{1,15}$` once normalized): never
    /// chosen (asking would fail every run), named so a person can correct or remove them.
    pub invalid_handles: Vec<String>,
    /// When the next author that is fresh now goes stale.
    pub next_stale_at: Option<DateTime<Utc>>,
    /// Chosen authors, in the order they are chosen (shown one by one, not in the summary).
    #[serde(skip)]
    pub candidates: Vec<Candidate>,
    /// Every usable score, sorted (the quantiles the metrics report).
    #[serde(skip)]
    pub scores: Vec<f64>,
}

impl Census {
    /// Candidates per reason.
    pub fn per_reason(&self) -> Vec<(Reason, usize)> {
        per_reason(&self.candidates)
    }
}

/// How many of `candidates` each reason chose, every reason named (none is 0).
pub(crate) fn per_reason(candidates: &[Candidate]) -> Vec<(Reason, usize)> {
    Reason::ALL
        .iter()
        .map(|&r| (r, candidates.iter().filter(|c| c.reason == r).count()))
        .collect()
}

/// `meta.status`: set by a refresh on an author the API said is gone.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Status {
    pub state: String,
    /// When the author was first found in this state, as written.
    pub since: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// The status a record carries, if any.
pub(super) fn status_of(record: &Record) -> Option<Status> {
    let s = record.meta()?.get("status")?.as_object()?;
    Some(Status {
        state: s.get("state")?.as_str()?.to_string(),
        since: s.get("since").and_then(|v| v.as_str()).map(str::to_string),
        checked_at: s
            .get("checked_at")
            .and_then(|v| v.as_str())
            .and_then(parse_time),
    })
}

/// Reads `latest` once and decides. `growth_flagged` holds the authors the history flags, as
/// (id, folded handle): the history's key, so that a handle sharing a flagged author's id is
/// not flagged with it;
/// `answers`, when given, proves custody (so that legacy records are told apart).
pub fn census(
    latest: &Path,
    rules: &CensusRules,
    growth_flagged: &HashSet<(String, String)>,
    answers: Option<&AnswerIndex>,
) -> Result<Census, RefreshError> {
    let mut c = Census::default();
    let mut seen: HashSet<String> = HashSet::new();
    let lines = Lines::open(latest).map_err(RefreshError::Dataset)?;
    for item in lines {
        let (number, text) = item.map_err(RefreshError::Dataset)?;
        let Ok(text) = text else {
            c.unreadable += 1;
            continue;
        };
        let Ok(record) = parse_line(number, &text) else {
            c.unreadable += 1;
            continue;
        };
        let Some(handle) = record.view().handle().map(str::to_string) else {
            c.unreadable += 1;
            continue;
        };
        if !seen.insert(handle.to_ascii_lowercase()) {
            continue;
        }
        c.authors += 1;
        if crate::pipeline::harvest::handles::normalize(&handle).is_err() {
            c.invalid_handles.push(handle);
            continue;
        }
        let view = record.view();
        let checks = checks_of_view(&view, true);
        let score = view.stored_score().value();
        if let Some(s) = score.filter(|_| !checks.unscored) {
            c.scores.push(s);
        }
        c.unscored += usize::from(checks.unscored);
        c.zero_scores += usize::from(checks.zero_score);
        c.placeholders += usize::from(checks.placeholder);
        let id = view.id().map(str::to_string);
        let grew_oddly = id
            .as_ref()
            .is_some_and(|i| growth_flagged.contains(&(i.clone(), fold_handle(&handle))));
        c.growth_flagged += usize::from(grew_oddly);
        let custody = answers.map(|a| verify(&Claim::of_record(&record), a));
        let unverifiable = matches!(custody, Some(Custody::Unverifiable { .. }));
        let mismatch = matches!(custody, Some(Custody::Mismatch { .. }));
        c.unverified += usize::from(unverifiable || mismatch);
        let last = record.last_refresh_at();
        let stale = last.is_none_or(|t| t + rules.stale_after <= rules.now);
        c.stale += usize::from(stale);
        if !stale && let Some(t) = last {
            let due = t + rules.stale_after;
            c.next_stale_at = Some(c.next_stale_at.map_or(due, |n| n.min(due)));
        }
        if let Some(s) = status_of(&record).filter(|s| s.state != "active") {
            let recent = s.checked_at.is_some_and(|t| t + rules.backoff > rules.now);
            if recent {
                c.backed_off += 1;
                c.stale_backed_off += usize::from(stale);
                continue;
            }
        }
        let reason = if checks.unscored || checks.zero_score {
            Some(Reason::Unscored)
        } else if checks.placeholder || grew_oddly || mismatch {
            Some(Reason::Flagged)
        } else if stale {
            Some(Reason::Stale)
        } else if unverifiable && rules.include_unverifiable {
            Some(Reason::Unverifiable)
        } else {
            c.skipped_unverifiable += usize::from(unverifiable);
            None
        };
        if let Some(reason) = reason {
            c.candidates.push(Candidate {
                handle,
                id,
                reason,
                last_refresh_at: last,
            });
        }
    }
    // Most urgent reason first; within a reason the stalest first (never refreshed before all).
    c.candidates.sort_by_key(|c| (c.reason, c.last_refresh_at));
    c.scores.sort_by(f64::total_cmp);
    Ok(c)
}
