//! `influx merge BATCH... [--data DIR] [--allow-flagged | --skip-flagged]
//! [--accept-external-edit] [--dry-run] [--json]`: plans the merge, shows it, and applies it
//! unless it is refused (flagged records, unreadable input, a latest.jsonl edited by hand) or a
//! dry run. A refusal always ends with its verdict: "merge refused: ...; nothing written" on a
//! terminal, `{"event":"refused","reason":...,"written":false}` as the last JSON line.
//! Exit 0 merged (or would merge), 1 merged with some batches left out (--skip-flagged) or
//! published but not recorded in the history (the version is live; the next open of the history
//! records it, or says why it cannot), 2 refused: nothing written.

use std::path::PathBuf;

use serde_json::json;

use super::Exit;
use super::output::{Mode, json_line};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::jobs;
use crate::pipeline::merge::{self, CleanPlan, LeftOut, MergeOptions, MergePlan};
use crate::plural::count;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 merged (or would merge); 1 blocked by flagged records, \
batches left out (--skip-flagged), or published but not yet recorded in the history (the new \
version is live, its history rows are missing: event published_not_recorded); 2 could not \
proceed (unreadable input)."
)]
pub struct Args {
    /// Batch files (JSONL or .jsonl.gz) to merge, in order: on equal evidence, later input wins.
    #[arg(required = true, value_name = "BATCH")]
    pub batches: Vec<PathBuf>,
    /// Dataset directory (holds latest/ and versions/).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// Merge placeholder-flagged or schema-invalid records anyway (recorded in the history).
    #[arg(long, conflicts_with = "skip_flagged")]
    pub allow_flagged: bool,
    /// Merge the batches that hold no flagged record and leave the others out, listing them
    /// and why (the console's policy too).
    #[arg(long)]
    pub skip_flagged: bool,
    /// Build on a latest.jsonl changed outside influx (its sha256 no longer its manifest's);
    /// the old and new sha256 are recorded in the history.
    #[arg(long)]
    pub accept_external_edit: bool,
    /// Show the plan, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// JSON lines even on a terminal.
    #[arg(long)]
    pub json: bool,
}

/// Conflicts printed on a terminal; the JSON output carries all of them.
const SHOWN: usize = 12;

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let data = DataDir::new(&args.data);
    let options = MergeOptions {
        allow_flagged: args.allow_flagged,
        accept_external_edit: args.accept_external_edit,
    };
    let (plan, left_out) = if args.skip_flagged {
        let CleanPlan { plan, left_out } =
            merge::plan_skipping_flagged(&data, &args.batches, &options)?;
        (plan, left_out)
    } else {
        (merge::plan(&data, &args.batches, &options)?, Vec::new())
    };
    show_plan(&plan, mode);
    show_left_out(&left_out, mode);
    // Some batches were left out: the merge of the rest still runs, and the exit code says so.
    let done = if left_out.is_empty() {
        Exit::Ok
    } else {
        Exit::GateFailed
    };
    if let Some(first) = plan.unreadable.first() {
        let at = first.line.map(|l| format!(":{l}")).unwrap_or_default();
        let reason = format!(
            "{} unreadable, e.g. {}{at}: {}",
            count(plan.unreadable.len() as u64, "input is", "inputs are"),
            first.path.display(),
            first.reason
        );
        return Ok(refuse(mode, "unreadable", &reason, ""));
    }
    if let Some(edit) = &plan.external_edit {
        let refused = !args.accept_external_edit;
        match mode {
            Mode::Human if refused => {}
            Mode::Human => eprintln!("building on it as asked: {}", edit.words()),
            Mode::JsonLines => json_line(&json!({
                "event": "external_edit", "version": edit.version,
                "manifest_sha256": edit.manifest_sha256, "file_sha256": edit.file_sha256,
                "accepted": !refused,
            })),
        }
        if refused {
            return Ok(refuse(
                mode,
                "external_edit",
                &edit.words(),
                " (--accept-external-edit builds on it, recording both sha256)",
            ));
        }
    }
    if !plan.can_apply() {
        let reason = format!(
            "{} flagged (placeholder or schema-invalid)",
            count(plan.blocked.len() as u64, "record is", "records are")
        );
        return Ok(refuse(
            mode,
            "flagged",
            &reason,
            " (--allow-flagged merges them anyway, --skip-flagged leaves their batches out)",
        ));
    }
    if args.dry_run {
        if mode == Mode::Human {
            println!("dry run: nothing written");
        }
        return Ok(done);
    }
    if plan.batches.is_empty() {
        if mode == Mode::Human {
            println!("nothing to merge: every batch was left out");
        }
        return Ok(done);
    }
    let (outcome, _history, recorded) = match jobs::merge_and_record(&data, &plan) {
        Ok(done) => done,
        Err(jobs::MergeRecordError::History { version, source }) => {
            // The work is done (the version is live); a step after it failed: exit 1, not 2.
            let words =
                format!("published version {version}; not yet recorded in the history: {source}");
            match mode {
                Mode::JsonLines => json_line(&json!({
                    "event": "published_not_recorded", "version": version,
                    "data_dir": args.data, "reason": source.to_string(), "words": words,
                })),
                Mode::Human => eprintln!("{words}"),
            }
            return Ok(Exit::GateFailed);
        }
        Err(e) => return Err(e.into()),
    };
    if mode == Mode::JsonLines {
        for r in &recorded {
            json_line(&json!({"event": "history_recorded", "recorded": r}));
        }
    }
    match mode {
        Mode::JsonLines => json_line(&json!({"event": "merged", "outcome": outcome})),
        Mode::Human if outcome.written => println!(
            "merged: version {} with {} (sha256 {})",
            outcome.version,
            count(outcome.count, "record", "records"),
            outcome.sha256
        ),
        Mode::Human => println!(
            "nothing changed: version {} stays ({})",
            outcome.version,
            count(outcome.count, "record", "records")
        ),
    }
    Ok(done)
}

/// The verdict of a merge that will not run: its last words, and exit 2. `kind` names the
/// refusal for programs; `hint` (terminal only) says how to go on.
fn refuse(mode: Mode, kind: &str, reason: &str, hint: &str) -> Exit {
    match mode {
        Mode::Human => eprintln!("merge refused: {reason}; nothing written{hint}"),
        Mode::JsonLines => json_line(&json!({
            "event": "refused", "refusal": kind, "reason": reason, "written": false,
        })),
    }
    Exit::Unusable
}

/// The batches `--skip-flagged` left out, each with the records that kept it out.
fn show_left_out(left_out: &[LeftOut], mode: Mode) {
    for l in left_out {
        match mode {
            Mode::JsonLines => json_line(&json!({
                "event": "left_out", "batch": l.path, "blocked": l.blocked.len(),
                "records": l.blocked,
            })),
            Mode::Human => {
                let first = &l.blocked[0];
                println!(
                    "left out {}: {}, e.g. {} (line {}): {}",
                    l.path.display(),
                    count(l.blocked.len() as u64, "flagged record", "flagged records"),
                    first.handle,
                    first.line,
                    first.reasons.join("; ")
                );
            }
        }
    }
}

/// What the plan's flagged records are called: blocked, or merged anyway with --allow-flagged.
fn blocked_word(plan: &MergePlan) -> &'static str {
    if plan.allow_flagged {
        "flagged_merged"
    } else {
        "blocked"
    }
}

fn show_plan(plan: &MergePlan, mode: Mode) {
    let summary = json!({
        "event": "plan",
        "data_dir": plan.data_dir,
        "base_version": plan.base_version,
        "count_before": plan.count_before,
        "count_after": plan.count_after,
        "batches": plan.batches,
        "added": plan.added.len(),
        "updated": plan.updated.len(),
        "unchanged": plan.unchanged,
        "collapsed": plan.collapsed.len(),
        "conflicts": plan.conflicts.len(),
        blocked_word(plan): plan.blocked.len(),
        "unreadable": plan.unreadable.len(),
        "id_collisions": plan.id_collisions,
        "allow_flagged": plan.allow_flagged,
    });
    if mode == Mode::JsonLines {
        json_line(&summary);
        for u in &plan.unreadable {
            json_line(&json!({"event": "unreadable", "input": u}));
        }
        for b in &plan.blocked {
            json_line(&json!({"event": blocked_word(plan), "record": b}));
        }
        for c in &plan.conflicts {
            json_line(&json!({"event": "conflict", "conflict": c}));
        }
        return;
    }
    for u in &plan.unreadable {
        let at = u.line.map(|l| format!(":{l}")).unwrap_or_default();
        eprintln!("unreadable: {}{at}: {}", u.path.display(), u.reason);
    }
    println!(
        "{} -> {}: {} added, {} updated, {} unchanged, {} collapsed, {}, {} {}",
        plan.count_before,
        count(plan.count_after, "record", "records"),
        plan.added.len(),
        plan.updated.len(),
        plan.unchanged,
        count(
            plan.collapsed.len() as u64,
            "stored duplicate",
            "stored duplicates"
        ),
        count(
            plan.conflicts.len() as u64,
            "field conflict",
            "field conflicts"
        ),
        plan.blocked.len(),
        if plan.allow_flagged {
            "merged although flagged"
        } else {
            "blocked"
        },
    );
    for c in plan.conflicts.iter().take(SHOWN) {
        println!(
            "  conflict {} {}: {} -> {} ({}; kept {}:{})",
            c.handle,
            c.field,
            c.old
                .as_ref()
                .map_or_else(|| "(not stored)".to_string(), |v| v.to_string()),
            c.new,
            c.why,
            c.won.path.display(),
            c.won.line
        );
    }
    if plan.conflicts.len() > SHOWN {
        println!(
            "  ... and {} more conflicts (--json lists them all)",
            plan.conflicts.len() - SHOWN
        );
    }
    for c in &plan.id_collisions {
        println!(
            "  id {} is claimed by {}: kept apart (a rename or a wrong id?)",
            c.id,
            c.handles.join(", ")
        );
    }
    let label = if plan.allow_flagged {
        "merged although flagged"
    } else {
        "blocked"
    };
    for b in plan.blocked.iter().take(SHOWN) {
        println!(
            "  {label} {} ({}:{}): {}",
            b.handle,
            b.path.display(),
            b.line,
            b.reasons.join("; ")
        );
    }
    if plan.blocked.len() > SHOWN {
        println!("  ... and {} more {label}", plan.blocked.len() - SHOWN);
    }
}
