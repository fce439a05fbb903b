//! `influx score IN --out OUT`: streams a JSONL file through M2 a block of lines at a time,
//! scored on all cores in pieces (order kept), and writes the scored records atomically. Any
//! unreadable line and nothing is written: the command names the file and the lines and exits 2;
//! so does a file with no records (nothing to do). `-` is stdin for IN and stdout for OUT (then
//! the report goes to stderr). Not here: the model (`pipeline::score`).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;
use serde_json::json;

use std::io::Write;

use crate::dataset::{AtomicFile, LineBlock, LineBlocks, LineError, is_std_stream, parse_line};
use crate::pipeline::score::{LineOutcome, ScoreSummary, ScoreTally, score_line_onto};
use crate::plural::count;

use super::Exit;
use super::output::{Mode, json_line, json_line_on_stderr};

/// Bytes read at a time: about 1,500 lines, enough work for both cores between two reads.
const BLOCK_BYTES: usize = 1 << 20;
/// Lines one scoring task writes into one buffer: small enough that both cores share a block
/// evenly, large enough that a buffer is one write of ~90 KB, not one per line.
const PIECE_LINES: usize = 64;
/// Bad lines named one by one; beyond this they are only counted.
const BAD_LINES_SHOWN: usize = 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The JSONL file to score (.jsonl or .jsonl.gz; `-` is stdin).
    pub input: PathBuf,
    /// Where to write the scored records (.gz to compress); replaced atomically (`-` is stdout).
    #[arg(long)]
    pub out: PathBuf,
    /// One JSON object per line on stdout, even on a terminal.
    #[arg(long)]
    pub json: bool,
}

/// The scored lines of one run of consecutive input lines, newline-terminated, with what the
/// summary needs of each and the lines that could not be read.
#[derive(Default)]
struct Piece {
    text: Vec<u8>,
    outcomes: Vec<LineOutcome>,
    bad: Vec<LineError>,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let to_stdout = is_std_stream(&args.out);
    // Records on stdout: the report goes to stderr, as JSON when a program reads it.
    let mode = match (to_stdout, Mode::detect(args.json)) {
        (true, Mode::JsonLines) => Report::JsonOnStderr,
        (_, Mode::JsonLines) => Report::Json,
        (_, Mode::Human) => Report::Text,
    };
    let blocks = match LineBlocks::open(&args.input, BLOCK_BYTES) {
        Ok(b) => b,
        Err(e) => return Ok(unusable(mode, &args.input, &e.to_string())),
    };
    let mut out = if to_stdout {
        Scored::Stdout
    } else {
        match AtomicFile::create(&args.out) {
            Ok(o) => Scored::File(o),
            Err(e) => return Ok(unusable(mode, &args.input, &e.to_string())),
        }
    };

    let mut tally = ScoreTally::default();
    let mut bad: Vec<LineError> = Vec::new();
    // Reading, scoring and writing overlap: a reader thread stays a block ahead and a writer
    // thread drains scored pieces, so both cores score while the file streams in and out.
    let (read_error, written) = std::thread::scope(|s| {
        let blocks_rx = blocks.read_ahead(s);
        let (pieces_tx, pieces_rx) = sync_channel::<Vec<Piece>>(2);
        // Written pieces go back to be scored into again: fresh buffers for every block would
        // make the allocator ask the kernel for fresh, zeroed pages all the time.
        let (spare_tx, spare_rx) = sync_channel::<Vec<Piece>>(4);
        let target = args.out.clone();
        let writer = s.spawn(move || -> Result<Scored, crate::dataset::DatasetError> {
            for pieces in pieces_rx {
                let texts: Vec<&[u8]> = pieces.iter().map(|p| p.text.as_slice()).collect();
                // A block's pieces (~2 MB) outgrow the file's buffer: they go to the
                // kernel in one gathered write instead of being copied into it first.
                out.write_gathered(&texts).map_err(|source| {
                    crate::dataset::DatasetError::Write {
                        path: target.clone(),
                        source,
                    }
                })?;
                // Full means enough are in flight already: these are dropped instead.
                let _ = spare_tx.try_send(pieces);
            }
            Ok(out)
        });
        let mut read_error = None;
        for block in blocks_rx {
            let block = match block {
                Ok(b) => b,
                Err(e) => {
                    read_error = Some(e.to_string());
                    break;
                }
            };
            let mut pieces = spare_rx.try_recv().unwrap_or_default();
            pieces.resize_with(block.len().div_ceil(PIECE_LINES), Piece::default);
            pieces.par_iter_mut().enumerate().for_each(|(i, piece)| {
                let lines = i * PIECE_LINES..((i + 1) * PIECE_LINES).min(block.len());
                score_piece(&block, lines, piece);
            });
            for piece in &mut pieces {
                for line in &piece.outcomes {
                    tally.add(line.score, line.flagged);
                }
                bad.append(&mut piece.bad);
            }
            // After a bad line nothing will be committed; keep reading only to name them all.
            if bad.is_empty() && pieces_tx.send(pieces).is_err() {
                break;
            }
        }
        drop(pieces_tx);
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
    let summary = tally.summary();
    if summary.records == 0 {
        drop(out);
        let empty = format!(
            "{} holds no records: nothing to score",
            args.input.display()
        );
        return Ok(unusable(mode, &args.input, &empty));
    }
    out.commit()?;
    report_summary(mode, &args.input, &args.out, &summary);
    Ok(Exit::Ok)
}

/// Scores `lines` of `block` into `piece` (emptied first), or says why a line is not a record.
fn score_piece(block: &LineBlock, lines: Range<usize>, piece: &mut Piece) {
    piece.text.clear();
    piece.outcomes.clear();
    piece.bad.clear();
    for k in lines {
        let (line, text) = block.line(k);
        let outcome = text.and_then(|text| {
            score_line_onto(text, &mut piece.text).ok_or_else(|| {
                // Not one JSON object: the ordinary parse names what is wrong with it.
                parse_line(line, text)
                    .err()
                    .unwrap_or_else(|| LineError::InvalidJson {
                        line,
                        reason: "the line could not be read as a JSON object".into(),
                    })
            })
        });
        match outcome {
            Ok(outcome) => {
                piece.text.push(b'\n');
                piece.outcomes.push(outcome);
            }
            Err(e) => piece.bad.push(e),
        }
    }
}

/// Where the scored records go: a file replaced atomically, or stdout (`--out -`).
enum Scored {
    File(AtomicFile),
    Stdout,
}

impl Scored {
    fn write_gathered(&mut self, buffers: &[&[u8]]) -> std::io::Result<()> {
        match self {
            Scored::File(f) => f.write_gathered(buffers),
            Scored::Stdout => {
                let mut out = std::io::stdout().lock();
                buffers.iter().try_for_each(|b| out.write_all(b))
            }
        }
    }

    fn commit(self) -> Result<(), crate::dataset::DatasetError> {
        match self {
            Scored::File(f) => f.commit(),
            Scored::Stdout => std::io::stdout().lock().flush().map_err(|source| {
                crate::dataset::DatasetError::Write {
                    path: PathBuf::from("-"),
                    source,
                }
            }),
        }
    }
}

/// How the command reports: text, JSON lines on stdout, or JSON lines on stderr when stdout
/// carries the records.
#[derive(Clone, Copy)]
enum Report {
    Text,
    Json,
    JsonOnStderr,
}

impl Report {
    fn json(self, value: &serde_json::Value) {
        match self {
            Report::JsonOnStderr => json_line_on_stderr(value),
            _ => json_line(value),
        }
    }
}

fn unusable(mode: Report, input: &Path, error: &str) -> Exit {
    match mode {
        Report::Text => eprintln!("influx score: {error}"),
        json => json.json(&json!({
            "event": "score_failed", "file": input, "error": error,
        })),
    }
    Exit::Unusable
}

fn report_bad_lines(mode: Report, input: &Path, out: &Path, bad: &[LineError]) {
    match mode {
        Report::Text => {
            eprintln!(
                "influx score: {}: {} could not be read; nothing written to {}",
                input.display(),
                count(bad.len() as u64, "line", "lines"),
                out.display()
            );
            for e in bad.iter().take(BAD_LINES_SHOWN) {
                eprintln!("  {}: {e}", input.display());
            }
            if bad.len() > BAD_LINES_SHOWN {
                eprintln!("  ... and {} more", bad.len() - BAD_LINES_SHOWN);
            }
        }
        json => {
            for e in bad.iter().take(BAD_LINES_SHOWN) {
                json.json(&json!({
                    "event": "bad_line", "file": input, "line": e.line(), "reason": e.to_string(),
                }));
            }
            json.json(&json!({
                "event": "score_refused", "file": input, "out": out,
                "bad_lines": bad.len(), "written": false,
            }));
        }
    }
}

fn report_summary(mode: Report, input: &Path, out: &Path, s: &ScoreSummary) {
    match mode {
        Report::Text => {
            let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
            // stderr: stdout may be carrying the records (`--out -`).
            eprintln!(
                "{}: {}, {} scored, {} unscored (no metrics), {} flagged as placeholders",
                input.display(),
                count(s.records as u64, "record", "records"),
                s.scored,
                s.unscored,
                s.flagged
            );
            eprintln!(
                "M2: min {}  p5 {}  p50 {}  p95 {}  max {}",
                fmt(s.min),
                fmt(s.p5),
                fmt(s.p50),
                fmt(s.p95),
                fmt(s.max)
            );
            eprintln!("written to {}", out.display());
        }
        json => {
            let mut line = serde_json::Map::new();
            line.insert("event".into(), "score_summary".into());
            line.insert("file".into(), json!(input));
            line.insert("out".into(), json!(out));
            if let serde_json::Value::Object(figures) = json!(s) {
                line.extend(figures);
            }
            json.json(&serde_json::Value::Object(line));
        }
    }
}
