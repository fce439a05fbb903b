//! `influx score IN --out OUT`: streams a JSONL file through M2 in parallel chunks (order kept)
//! and writes the scored records atomically. Any unreadable line and nothing is written: the
//! command names the file and the lines and exits 2. Not here: the model (`pipeline::score`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;
use serde_json::json;

use crate::dataset::{AtomicFile, LineError, Lines, NumberedLine, parse_line};
use crate::pipeline::score::{LineOutcome, ScoreSummary, ScoreTally, score_line_into};

use super::Exit;
use super::output::{Mode, json_line};

/// Lines scored together: large enough to keep both cores busy, small enough that the memory
/// one chunk frees is mostly reused by the next before the allocator returns it to the kernel,
/// which then zeroes fresh pages for it (at 4096 lines: more page faults, and 100 MB peak at 1M
/// records instead of 60).
const CHUNK_LINES: usize = 1024;
/// Bad lines named one by one; beyond this they are only counted.
const BAD_LINES_SHOWN: usize = 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The JSONL file to score (.jsonl or .jsonl.gz).
    pub input: PathBuf,
    /// Where to write the scored records (.gz to compress); replaced atomically.
    #[arg(long)]
    pub out: PathBuf,
    /// One JSON object per line on stdout, even on a terminal.
    #[arg(long)]
    pub json: bool,
}

/// Buffers of written lines that go back to be scored into again: without them every line
/// would allocate ~1.4 KB on a scoring thread and free it on the writer, and the allocator
/// would keep asking the kernel for fresh, zeroed pages.
type Spare = Vec<Vec<u8>>;

pub fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let lines = match Lines::open(&args.input) {
        Ok(l) => l,
        Err(e) => return Ok(unusable(mode, &args.input, &e.to_string())),
    };
    let mut out = match AtomicFile::create(&args.out) {
        Ok(o) => o,
        Err(e) => return Ok(unusable(mode, &args.input, &e.to_string())),
    };

    let mut tally = ScoreTally::default();
    let mut bad: Vec<LineError> = Vec::new();
    // Reading, scoring and writing overlap: a reader thread stays one chunk ahead and a writer
    // thread drains scored chunks, so both cores score while the file streams in and out.
    let (read_error, written) = std::thread::scope(|s| {
        let (chunks_tx, chunks_rx) = sync_channel::<Result<Vec<NumberedLine>, String>>(1);
        let (lines_tx, lines_rx) = sync_channel::<Spare>(2);
        let (spare_tx, spare_rx) = sync_channel::<Spare>(4);
        let reader = s.spawn(move || {
            let mut lines = lines.peekable();
            while lines.peek().is_some() {
                let chunk: Result<Vec<NumberedLine>, _> =
                    lines.by_ref().take(CHUNK_LINES).collect();
                let failed = chunk.is_err();
                if chunks_tx.send(chunk.map_err(|e| e.to_string())).is_err() || failed {
                    return;
                }
            }
        });
        let target = args.out.clone();
        let writer = s.spawn(
            move || -> Result<AtomicFile, crate::dataset::DatasetError> {
                for chunk in lines_rx {
                    let w = out.writer();
                    for line in &chunk {
                        w.write_all(line)
                            .and_then(|()| w.write_all(b"\n"))
                            .map_err(|source| crate::dataset::DatasetError::Write {
                                path: target.clone(),
                                source,
                            })?;
                    }
                    // Full means enough are in flight already: these are dropped instead.
                    let _ = spare_tx.try_send(chunk);
                }
                Ok(out)
            },
        );
        let mut read_error = None;
        for chunk in chunks_rx {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            };
            let mut buffers = spare_rx.try_recv().unwrap_or_default();
            buffers.resize_with(chunk.len(), Vec::new);
            let scored: Vec<(Vec<u8>, Result<LineOutcome, LineError>)> = chunk
                .into_par_iter()
                .zip(buffers)
                .map(|(line, mut buffer)| {
                    let outcome = score_numbered(line, &mut buffer);
                    (buffer, outcome)
                })
                .collect();
            let mut texts = Vec::with_capacity(scored.len());
            for (buffer, outcome) in scored {
                match outcome {
                    Ok(line) => {
                        tally.add(line.score, line.flagged);
                        texts.push(buffer);
                    }
                    Err(e) => bad.push(e),
                }
            }
            // After a bad line nothing will be committed; keep reading only to name them all.
            if bad.is_empty() && lines_tx.send(texts).is_err() {
                break;
            }
        }
        drop(lines_tx);
        reader.join().expect("the reader thread does not panic");
        let written = writer.join().expect("the writer thread does not panic");
        (read_error, written)
    });
    if let Some(e) = read_error {
        return Ok(unusable(mode, &args.input, &e));
    }
    let out = written?;

    if !bad.is_empty() {
        // Dropping the uncommitted file removes it: OUT is left as it was.
        drop(out);
        report_bad_lines(mode, &args.input, &args.out, &bad);
        return Ok(Exit::Unusable);
    }
    out.commit()?;
    report_summary(mode, &args.input, &args.out, &tally.summary());
    Ok(Exit::Ok)
}

/// Scores one line into `out`, or says why the line is not a record.
fn score_numbered((line, text): NumberedLine, out: &mut Vec<u8>) -> Result<LineOutcome, LineError> {
    let text = text?;
    match score_line_into(&text, out) {
        Some(outcome) => Ok(outcome),
        // Not one JSON object: the ordinary parse names what is wrong with it.
        None => Err(parse_line(line, &text)
            .err()
            .unwrap_or_else(|| LineError::InvalidJson {
                line,
                reason: "the line could not be read as a JSON object".into(),
            })),
    }
}

fn unusable(mode: Mode, input: &Path, error: &str) -> Exit {
    match mode {
        Mode::Human => eprintln!("influx score: {error}"),
        Mode::JsonLines => json_line(&json!({
            "event": "score_failed", "file": input, "error": error,
        })),
    }
    Exit::Unusable
}

fn report_bad_lines(mode: Mode, input: &Path, out: &Path, bad: &[LineError]) {
    match mode {
        Mode::Human => {
            eprintln!(
                "influx score: {}: {} line(s) could not be read; nothing written to {}",
                input.display(),
                bad.len(),
                out.display()
            );
            for e in bad.iter().take(BAD_LINES_SHOWN) {
                eprintln!("  {}: {e}", input.display());
            }
            if bad.len() > BAD_LINES_SHOWN {
                eprintln!("  ... and {} more", bad.len() - BAD_LINES_SHOWN);
            }
        }
        Mode::JsonLines => {
            for e in bad.iter().take(BAD_LINES_SHOWN) {
                json_line(&json!({
                    "event": "bad_line", "file": input, "line": e.line(), "reason": e.to_string(),
                }));
            }
            json_line(&json!({
                "event": "score_refused", "file": input, "out": out,
                "bad_lines": bad.len(), "written": false,
            }));
        }
    }
}

fn report_summary(mode: Mode, input: &Path, out: &Path, s: &ScoreSummary) {
    match mode {
        Mode::Human => {
            let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
            println!(
                "{}: {} records, {} scored, {} unscored (no metrics), {} flagged as placeholders",
                input.display(),
                s.records,
                s.scored,
                s.unscored,
                s.flagged
            );
            println!(
                "M2: min {}  p5 {}  p50 {}  p95 {}  max {}",
                fmt(s.min),
                fmt(s.p5),
                fmt(s.p50),
                fmt(s.p95),
                fmt(s.max)
            );
            println!("written to {}", out.display());
        }
        Mode::JsonLines => {
            let mut line = serde_json::Map::new();
            line.insert("event".into(), "score_summary".into());
            line.insert("file".into(), json!(input));
            line.insert("out".into(), json!(out));
            if let serde_json::Value::Object(figures) = json!(s) {
                line.extend(figures);
            }
            json_line(&line);
        }
    }
}
