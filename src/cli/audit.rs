//! `influx audit [FILE] [--data DIR] [--runs DIR]`: prints what a dataset or batch file really
//! holds and exits 0 when the gates pass, 1 when one fails, 2 when the file cannot be read whole
//! (missing, empty of records, or with unreadable lines; what could be read is still reported).
//! With runs (`--data DIR` reads `DIR/runs`, `--runs` names others) each record that claims an
//! API source is proved against its answer; `--data DIR` alone audits `DIR/latest.jsonl` and
//! checks it still hashes as its manifest says.

use std::fmt::Write as _;
use std::path::PathBuf;

use color_eyre::eyre::eyre;

use super::Exit;
use super::output::{Mode, color_enabled, json_line};
use crate::dataset::DatasetError;
use crate::pipeline::audit::drift::drift;
use crate::pipeline::audit::{
    AuditError, AuditReport, Gate, Gates, Histogram, audit_file, audit_file_against, write_report,
};
use crate::pipeline::custody::AnswerIndex;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::distribution::{Distribution, distribution_of_file};
use crate::pipeline::history;
use crate::pipeline::merge;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Gates (default: zero_scores, placeholders, duplicates, unreadable_lines, mismatch must all be 0):
  --gate NAME=MAX   a counter may be at most MAX (adds the gate if it was not on)
  --allow NAME      the counter is reported but never fails the audit (wins over --gate)
  --gate drift_ks=F with --against: the score distribution may move at most F (0 to 1)
Gate names: zero_scores, placeholders, duplicates, unreadable_lines, schema_violations,
            unscored, string_scores, batch_flags, precision, mismatch, unverifiable
(mismatch and unverifiable count only with runs: --data DIR or --runs DIR)

Exit: 0 gates pass · 1 a gate failed · 2 the file is missing, unreadable, has no records or
has lines that are not JSON objects (each one is named with its line number).")]
pub struct Args {
    /// The JSONL (or .jsonl.gz) dataset or batch file to audit, `-` for stdin (default with
    /// --data: its latest.jsonl).
    #[arg(required_unless_present = "data")]
    pub file: Option<PathBuf>,
    /// A data directory: prove records against its runs (DIR/runs); without FILE, audit its
    /// latest.jsonl and check it against its manifest.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Runs to prove records against: a directory of run directories, or one run directory
    /// (instead of DIR/runs).
    #[arg(long, value_name = "DIR")]
    pub runs: Option<PathBuf>,
    /// Print one JSON object on stdout, even on a terminal.
    #[arg(long)]
    pub json: bool,
    /// NAME=MAX: a gate's limit, e.g. `--gate zero_scores=10`, `--gate schema_violations=0`,
    /// or `--gate drift_ks=0.15` (with --against).
    #[arg(long = "gate", value_name = "NAME=MAX", value_parser = parse_audit_gate)]
    pub gates: Vec<AuditGate>,
    /// Compare the score distribution with a previous version (its number, with --data) or a
    /// file: reported under `drift` (Kolmogorov-Smirnov distance, quantile and count changes).
    #[arg(long, value_name = "VERSION|FILE")]
    pub against: Option<String>,
    /// NAME: report this counter but never fail on it, e.g. `--allow duplicates`.
    #[arg(long, value_name = "NAME")]
    pub allow: Vec<Gate>,
    /// Shorthand for `--gate zero_scores=N`.
    #[arg(long, value_name = "N")]
    pub max_zero_scores: Option<usize>,
    /// List every flagged record, duplicate and violation instead of the first 10 of each.
    #[arg(long)]
    pub full: bool,
    /// No colour on the terminal (also NO_COLOR).
    #[arg(long)]
    pub no_color: bool,
}

/// A gate the audit's `--gate` sets: a counter's limit, or the drift's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AuditGate {
    Count(Gate, usize),
    /// `drift_ks=F`: the largest Kolmogorov-Smirnov distance allowed from `--against`.
    DriftKs(f64),
}

fn parse_audit_gate(s: &str) -> Result<AuditGate, String> {
    if let Some(("drift_ks", max)) = s.split_once('=').map(|(n, m)| (n.trim(), m.trim())) {
        return match max.parse::<f64>() {
            Ok(v) if (0.0..=1.0).contains(&v) => Ok(AuditGate::DriftKs(v)),
            _ => Err(format!("drift_ks is a distance from 0 to 1, got \"{max}\"")),
        };
    }
    parse_gate_limit(s).map(|(g, n)| AuditGate::Count(g, n))
}

pub(crate) fn parse_gate_limit(s: &str) -> Result<(Gate, usize), String> {
    let (name, max) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=MAX, got \"{s}\""))?;
    let gate: Gate = name
        .parse()
        .map_err(|e: crate::pipeline::audit::UnknownGate| e.to_string())?;
    let max = max
        .trim()
        .parse()
        .map_err(|_| format!("the limit of {gate} must be a whole number, got \"{max}\""))?;
    Ok((gate, max))
}

impl Args {
    fn gates(&self) -> Gates {
        let mut g = Gates::default();
        if let Some(n) = self.max_zero_scores {
            g.set(Gate::ZeroScores, n);
        }
        for gate in &self.gates {
            if let AuditGate::Count(gate, max) = *gate {
                g.set(gate, max);
            }
        }
        for &gate in &self.allow {
            g.allow(gate);
        }
        g
    }
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let data = args.data.as_ref().map(DataDir::new);
    let audited = match (&args.file, &data) {
        (Some(file), _) => file.clone(),
        (None, Some(dir)) => dir.latest_file(),
        (None, None) => unreachable!("clap requires FILE without --data"),
    };
    let file = audited.display().to_string();
    let answers = match (&args.runs, &data) {
        (Some(runs), _) => Some(AnswerIndex::open(runs)?),
        (None, Some(dir)) => Some(AnswerIndex::of_data_dir(dir)?),
        (None, None) => None,
    };
    let gates = args.gates();
    let audit = match &answers {
        Some(answers) => audit_file_against(&audited, &gates, answers),
        None => audit_file(&audited, &gates),
    };
    let mut report = match audit {
        Ok(r) => r,
        Err(AuditError::Dataset(e @ (DatasetError::Open { .. } | DatasetError::Read { .. }))) => {
            if mode == Mode::JsonLines {
                json_line(&serde_json::json!({"file": file, "error": e.to_string()}));
            }
            return Err(eyre!(e).wrap_err(format!("cannot audit {file}")));
        }
        Err(e) => return Err(eyre!(e)),
    };
    report.file = Some(file.clone());
    if let (None, Some(dir)) = (&args.file, &data) {
        report.external_edit = merge::external_edit(dir)?;
        if let Some(edit) = &report.external_edit {
            report.passed = false;
            if mode == Mode::Human {
                eprintln!("influx: {}", edit.words());
            }
        }
    }
    if let Some(against) = &args.against {
        let max_ks = args.gates.iter().find_map(|g| match g {
            AuditGate::DriftKs(v) => Some(*v),
            AuditGate::Count(..) => None,
        });
        let previous = previous_distribution(against, data.as_ref())?;
        let current = distribution_of_file(&audited)?;
        let d = drift(&current, &previous, against, max_ks);
        report.passed &= d.pass;
        report.drift = Some(d);
    }
    // The audit knows nothing of the history: the growth flags are the command's to put beside
    // its report (review flags, never a failed gate).
    let anomalies = match &data {
        Some(dir) => Some(history::anomalies(
            dir,
            &audited,
            &history::GrowthRules::bundled(),
        )?),
        None => None,
    };
    let printed = Printed {
        report: &report,
        anomalies: anomalies.as_ref(),
    };
    match mode {
        Mode::JsonLines => print_json(&printed),
        Mode::Human => print!(
            "{}",
            render(&printed, args.full, color_enabled(args.no_color))
        ),
    }
    if report.records == 0 || !report.errors.is_empty() {
        for e in &report.errors {
            eprintln!("influx: {file}: {}", e.reason);
        }
        if report.records == 0 {
            eprintln!("influx: {file} holds no records: nothing to audit");
        }
        return Ok(Exit::Unusable);
    }
    let exit = if report.passed {
        Exit::Ok
    } else {
        Exit::GateFailed
    };
    // The process ends with this command: freeing a million records' findings one allocation at
    // a time would only delay the exit (a quarter of a second at 1M).
    std::mem::forget(report);
    Ok(exit)
}

/// The distribution `--against` names: a stored version's (recorded in the history, or read
/// from the version's file), or a file's.
fn previous_distribution(
    against: &str,
    data: Option<&DataDir>,
) -> color_eyre::Result<Distribution> {
    if let (Ok(version), Some(dir)) = (against.parse::<u64>(), data) {
        let (history, _) = history::History::open(dir)?;
        if let Some(d) = history.distribution(version)? {
            return Ok(d);
        }
        let stored = merge::stored_versions(dir)?;
        let (_, _, file) = stored
            .iter()
            .find(|(v, _, _)| *v == version)
            .ok_or_else(|| {
                eyre!(
                    "--against {version}: {} holds no version {version}",
                    dir.root().display()
                )
            })?;
        return Ok(distribution_of_file(file)?);
    }
    let path = std::path::Path::new(against);
    if !path.exists() {
        return Err(eyre!(
            "--against {against}: no such file (a version number needs --data DIR)"
        ));
    }
    Ok(distribution_of_file(path)?)
}

/// What `influx audit` prints: the audit's report and, for an audit of `--data DIR`, the growth
/// flags the directory's history holds for the file's authors, as one object.
#[derive(serde::Serialize)]
pub struct Printed<'a> {
    #[serde(flatten)]
    pub report: &'a AuditReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomalies: Option<&'a history::Anomalies>,
}

/// The report as one JSON line. Written in large blocks: at a million records the report is
/// hundreds of MB, which stdout's line buffer would hand to the kernel a kilobyte at a time.
fn print_json(report: &Printed<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = write_report(report, &mut out)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    super::output::end_if_reader_gone(written);
}

/// Conflicting fields the terminal names without printing their values (`--json` has them all).
const BOOKKEEPING: &[&str] = &[
    "meta.sources",
    "meta.last_refresh_at",
    "meta.provenance_hash",
];

/// Colours for a terminal (anstyle writes the escape codes), nothing when colour is off.
struct Paint(bool);

impl Paint {
    fn styled(&self, style: anstyle::Style, s: &str) -> String {
        if self.0 {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    }
    fn colour(&self, c: anstyle::AnsiColor, s: &str) -> String {
        self.styled(anstyle::Style::new().fg_color(Some(c.into())), s)
    }
    fn red(&self, s: &str) -> String {
        self.colour(anstyle::AnsiColor::Red, s)
    }
    fn green(&self, s: &str) -> String {
        self.colour(anstyle::AnsiColor::Green, s)
    }
    fn yellow(&self, s: &str) -> String {
        self.colour(anstyle::AnsiColor::Yellow, s)
    }
    fn bold(&self, s: &str) -> String {
        self.styled(anstyle::Style::new().bold(), s)
    }
}

/// The report as text for a person: counters first, then the evidence, then the verdict.
pub fn render(printed: &Printed<'_>, full: bool, color: bool) -> String {
    let r = printed.report;
    let p = Paint(color);
    let cap = if full { usize::MAX } else { 10 };
    let mut o = String::new();
    let file = r.file.as_deref().unwrap_or("(records)");
    let _ = writeln!(o, "{}", p.bold(&format!("influx audit {file}")));
    let row = |o: &mut String, label: &str, n: usize, note: String| {
        let _ = writeln!(o, "  {label:<18}{n:>7}  {note}");
    };
    row(
        &mut o,
        "records",
        r.records,
        format!(
            "{} unique handles, {} unique ids",
            r.unique_handles, r.unique_ids
        ),
    );
    row(
        &mut o,
        "duplicate rows",
        r.duplicate_rows,
        format!("{} handles appear more than once", r.duplicates.len()),
    );
    row(
        &mut o,
        "zero scores",
        r.zero_scores,
        "meta.score is 0".into(),
    );
    row(
        &mut o,
        "string scores",
        r.string_scores,
        "meta.score stored as a string".into(),
    );
    row(
        &mut o,
        "unscored",
        r.unscored,
        "no activity metrics: their scores measure nothing".into(),
    );
    row(
        &mut o,
        "with metrics",
        r.with_metrics,
        "activity or public metrics present".into(),
    );
    row(
        &mut o,
        "schema violations",
        r.schema_violations.count,
        "records breaking bigv v1.1.0".into(),
    );
    row(
        &mut o,
        "placeholders",
        r.placeholders.count,
        format!(
            "records flagged; {}",
            crate::plural::count(
                r.placeholders.batches.len() as u64,
                "batch flag",
                "batch flags"
            )
        ),
    );
    row(
        &mut o,
        "round thousands",
        r.precision.count,
        format!("of {} follower counts look typed by hand", r.precision.of),
    );
    if r.without_handle > 0 {
        row(&mut o, "without handle", r.without_handle, String::new());
    }
    if r.lang_undetermined > 0 {
        row(
            &mut o,
            "language und",
            r.lang_undetermined,
            "name and description cannot tell the language".into(),
        );
    }
    let pv = &r.provenance;
    let methods: Vec<String> = pv.methods.iter().map(|(m, n)| format!("{m} {n}")).collect();
    let _ = writeln!(
        o,
        "  {:<18}api {} · manual {} · other {} · sample {} · none {}   ({})",
        "provenance",
        pv.api,
        pv.manual,
        pv.other,
        pv.sample,
        pv.unknown,
        methods.join(", ")
    );
    if let Some(c) = &pv.custody {
        let _ = writeln!(
            o,
            "  {:<18}claim the API {} · verified {} · unverifiable {} · mismatch {}",
            "custody", c.claimed_api, c.verified, c.unverifiable, c.mismatch
        );
        let shown = if full { usize::MAX } else { 10 };
        for u in c.unverified_records.iter().take(shown) {
            let _ = writeln!(
                o,
                "    line {} @{}: {}",
                u.line,
                u.handle.as_deref().unwrap_or("?"),
                u.reason
            );
        }
        if c.unverified_records.len() > shown {
            let _ = writeln!(
                o,
                "    … {} more (--full lists them)",
                c.unverified_records.len() - shown
            );
        }
    }

    let _ = writeln!(o, "\n{}", p.bold("score histogram (records with metrics)"));
    let h = &r.histogram;
    let peak = h.bins.iter().copied().max().unwrap_or(0).max(1);
    for (b, &n) in h.bins.iter().enumerate() {
        let bar = "█".repeat(((n * 40).div_ceil(peak)) as usize);
        let _ = writeln!(o, "  {:>7} {:>6} {bar}", Histogram::label(b), n);
    }
    let _ = writeln!(
        o,
        "  zero {} · unscored {} · out of range {}",
        h.zero, h.unscored, h.out_of_range
    );

    if !r.placeholders.records.is_empty() {
        let _ = writeln!(
            o,
            "\n{}",
            p.bold(&format!("placeholder records ({})", r.placeholders.count))
        );
        for f in r.placeholders.records.iter().take(cap) {
            let _ = writeln!(
                o,
                "  line {:<6} @{} (id {})",
                f.line,
                f.handle.as_deref().unwrap_or("?"),
                f.id.as_deref().unwrap_or("?")
            );
            for reason in &f.reasons {
                let _ = writeln!(o, "      {}: {}", p.yellow(reason.detector), reason.reason);
            }
        }
        more(&mut o, r.placeholders.records.len(), cap);
    }
    if !r.placeholders.batches.is_empty() {
        let _ = writeln!(o, "\n{}", p.bold("batch flags"));
        for b in &r.placeholders.batches {
            let sev = serde_json::to_value(b.severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(o, "  [{sev}] {}: {}", p.yellow(b.detector), b.reason);
        }
    }
    if !r.duplicates.is_empty() {
        let _ = writeln!(
            o,
            "\n{}",
            p.bold(&format!("duplicated handles ({})", r.duplicates.len()))
        );
        for g in r.duplicates.iter().take(cap) {
            let lines: Vec<String> = g.lines.iter().map(usize::to_string).collect();
            let _ = writeln!(o, "  @{} lines {}", g.handle, lines.join(", "));
            // Bookkeeping fields differ between almost all copies: named, not shown.
            let (bookkeeping, shown): (Vec<_>, Vec<_>) = g
                .conflicts
                .iter()
                .partition(|c| BOOKKEEPING.contains(&c.field.as_str()));
            for c in shown {
                let vals: Vec<String> = c
                    .values
                    .iter()
                    .map(|v| v.value.as_ref().map_or("(absent)".into(), short))
                    .collect();
                let _ = writeln!(o, "      {}: {}", c.field, vals.join(" / "));
            }
            if !bookkeeping.is_empty() {
                let names: Vec<&str> = bookkeeping.iter().map(|c| c.field.as_str()).collect();
                let _ = writeln!(o, "      also differ: {}", names.join(", "));
            }
        }
        more(&mut o, r.duplicates.len(), cap);
    }
    if !r.schema_violations.by_error.is_empty() {
        let _ = writeln!(o, "\n{}", p.bold("schema violations by rule"));
        let mut by: Vec<(&String, &usize)> = r.schema_violations.by_error.iter().collect();
        by.sort_by(|a, b| b.1.cmp(a.1));
        for (msg, n) in by.iter().take(cap) {
            let _ = writeln!(o, "  {n:>6} × {msg}");
        }
        more(&mut o, by.len(), cap);
    }
    if !r.errors.is_empty() {
        let _ = writeln!(
            o,
            "\n{}",
            p.red(&format!("unreadable lines ({})", r.errors.len()))
        );
        for e in &r.errors {
            let _ = writeln!(o, "  {}", e.reason);
        }
    }
    if let Some(d) = &r.drift {
        let shown = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:+.2}"));
        let head = format!("drift against {}", d.against);
        let _ = writeln!(o, "\n{}", if d.pass { p.bold(&head) } else { p.red(&head) });
        let _ = writeln!(
            o,
            "  ks {:.4}{}  p5 {}  p50 {}  p95 {}",
            d.ks,
            d.max_ks.map_or(String::new(), |m| format!(" (max {m})")),
            shown(d.p5_delta),
            shown(d.p50_delta),
            shown(d.p95_delta)
        );
        let _ = writeln!(
            o,
            "  records {:+}  zero scores {:+}  unscored {:+}  placeholders {:+}",
            d.records_delta, d.zero_scores_delta, d.unscored_delta, d.placeholders_delta
        );
    }
    if let Some(a) = printed.anomalies.filter(|a| a.count > 0) {
        let _ = writeln!(
            o,
            "\n{}",
            p.yellow(&format!(
                "growth anomalies ({}, review flags: no gate)",
                a.count
            ))
        );
        for x in a.records.iter().take(cap) {
            let _ = writeln!(
                o,
                "  {} {}: {}",
                x.handle.as_deref().unwrap_or(&x.id),
                x.kind,
                x.reason
            );
        }
        more(&mut o, a.records.len(), cap);
    }
    let _ = writeln!(o, "\n{}", p.bold("gates"));
    for g in &r.gates {
        let mark = if g.pass {
            p.green("pass")
        } else {
            p.red("FAIL")
        };
        let _ = writeln!(
            o,
            "  {mark} {:<18} {} (max {}): {}",
            g.name.name(),
            g.value,
            g.threshold,
            g.name.meaning()
        );
    }
    let verdict = if r.records == 0 || !r.errors.is_empty() {
        p.red("unusable: the file could not be read whole")
    } else if r.passed {
        p.green("all gates pass")
    } else {
        let drifted = r.drift.as_ref().is_some_and(|d| !d.pass);
        p.red(&format!(
            "{} failed",
            crate::plural::count(
                (r.failed_gates().count() + usize::from(drifted)) as u64,
                "gate",
                "gates"
            )
        ))
    };
    let _ = writeln!(o, "  => {verdict}");
    o
}

fn more(o: &mut String, total: usize, cap: usize) {
    if total > cap {
        let _ = writeln!(
            o,
            "  ... and {} more (--full, or --json for all)",
            total - cap
        );
    }
}

/// A JSON value on one short line.
fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}
