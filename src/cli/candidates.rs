//! `influx candidates`, `influx admit`, `influx exclude`: the candidates a discovery found, with
//! the decision in force and why, and an operator's word on one account, which outranks every
//! rule and holds across later discoveries and refreshes.

use std::path::PathBuf;

use chrono::Utc;
use serde_json::json;

use super::Exit;
use super::output::{Mode, json_line};
use crate::pipeline::admission::Decision;
use crate::pipeline::candidates::{Candidate, Candidates};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::handles::normalize;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// Only the candidates with this decision.
    #[arg(long, value_name = "DECISION")]
    pub decision: Option<Decision>,
    /// JSON lines even on a terminal.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct WordArgs {
    /// The account (`name`, `@name` or a profile URL).
    pub handle: String,
    /// Why: recorded with the decision and its time.
    #[arg(long, value_name = "TEXT")]
    pub why: String,
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let candidates = Candidates::load(&DataDir::new(&args.data))?;
    for c in candidates
        .iter()
        .filter(|c| args.decision.is_none_or(|d| c.decision == d))
    {
        match mode {
            Mode::JsonLines => json_line(c),
            Mode::Human => println!("{}", line(c)),
        }
    }
    Ok(Exit::Ok)
}

/// `influx admit` (`decision` admitted) and `influx exclude`.
pub(crate) fn operator(args: WordArgs, decision: Decision) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let handle = match normalize(&args.handle) {
        Ok(h) => h,
        Err(reason) => {
            eprintln!("{:?} is not a handle: {reason}", args.handle);
            return Ok(Exit::Unusable);
        }
    };
    if args.why.trim().is_empty() {
        eprintln!("--why needs a reason: it is recorded with the decision");
        return Ok(Exit::Unusable);
    }
    let data = DataDir::new(&args.data);
    let mut candidates = Candidates::load(&data)?;
    let c = candidates
        .operator(&handle, decision, args.why.trim(), Utc::now())
        .clone();
    candidates.save(&data)?;
    match mode {
        Mode::JsonLines => json_line(&json!({"event": "decided", "candidate": c})),
        Mode::Human => println!("{}", line(&c)),
    }
    Ok(Exit::Ok)
}

fn line(c: &Candidate) -> String {
    let reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|r| format!("{}: {}", r.rule, r.matched))
        .collect();
    let why = c
        .operator
        .as_ref()
        .map(|w| format!(" · operator: {}", w.why))
        .unwrap_or_default();
    format!(
        "@{} {} ({}) followers {} · last post {} · {}{}",
        c.handle,
        c.decision.word(),
        c.decided_by,
        c.followers.map_or("?".into(), |f| f.to_string()),
        c.last_post_at.as_deref().unwrap_or("unknown"),
        if reasons.is_empty() {
            "no rule fired".to_string()
        } else {
            reasons.join("; ")
        },
        why
    )
}
