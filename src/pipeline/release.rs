//! `influx release`: the current version's admitted authors published for consumers in
//! `DIR/release/` (`influx-latest.jsonl`, `.jsonl.gz`, `.parquet`, `manifest.json`), all or
//! nothing: written into `release/<n>/`, then `release/current` swapped (see `store`). The
//! audit's own gates run on the released records first (no unscored, zero-scored or placeholder
//! record, no custody mismatch, no unverifiable record); a failed gate publishes nothing. The
//! data files are byte-identical for the same version and rules: the gzip has no name and a
//! zero mtime, the Parquet no time of writing; only the manifest says when.

mod check;
mod manifest;
mod selection;
mod store;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub(crate) use check::check_release;
pub(crate) use manifest::{MANIFEST_FILE, ReleaseFile, ReleaseManifest};

use crate::dataset::AtomicFile;
use crate::pipeline::audit::{AuditReport, Gate, Gates, audit_file_against};
use crate::pipeline::custody::AnswerIndex;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::merge::store::Store;
use selection::{file_sha256, select_admitted};
use store::ReleaseDir;

pub(crate) const JSONL_FILE: &str = "influx-latest.jsonl";
pub(crate) const GZ_FILE: &str = "influx-latest.jsonl.gz";
pub(crate) const PARQUET_FILE: &str = "influx-latest.parquet";

/// The gates a release must pass, each at 0 unless allowed.
pub(crate) const RELEASE_GATES: [Gate; 5] = [
    Gate::Unscored,
    Gate::ZeroScores,
    Gate::Placeholders,
    Gate::Mismatch,
    Gate::Unverifiable,
];

/// Why nothing was published.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReleaseError {
    #[error("{0} holds no merged version to release")]
    NoVersion(PathBuf),
    #[error("{0}; nothing was released")]
    ExternalEdit(String),
    #[error("{} gate(s) failed; nothing was released: {}", .0.len(), failures_words(.0))]
    GateFailed(Vec<GateFailure>),
    #[error("{path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{action} {path}: {reason}")]
    Io {
        action: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(transparent)]
    Dataset(#[from] crate::dataset::DatasetError),
    #[error(transparent)]
    Merge(#[from] crate::pipeline::merge::MergeError),
    #[error(transparent)]
    Store(#[from] crate::pipeline::merge::store::StoreError),
    #[error(transparent)]
    Answers(#[from] crate::pipeline::custody::AnswersError),
    #[error(transparent)]
    Audit(#[from] crate::pipeline::audit::AuditError),
    #[error(transparent)]
    Rules(#[from] crate::pipeline::admission::RulesInForceError),
    #[error(transparent)]
    Parquet(#[from] crate::pipeline::parquet::ParquetError),
}

/// One gate that failed, with the records behind it (handles, else ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct GateFailure {
    pub gate: Gate,
    pub count: usize,
    pub records: Vec<String>,
}

fn failures_words(failures: &[GateFailure]) -> String {
    failures
        .iter()
        .map(|f| {
            let shown: Vec<&str> = f.records.iter().take(10).map(String::as_str).collect();
            let more = f.records.len().saturating_sub(shown.len());
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("{} {} ({}{tail})", f.gate, f.count, shown.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a release run did.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReleaseOutcome {
    /// False when the current release already holds the same data: nothing new was published.
    pub published: bool,
    pub release: u64,
    pub dir: PathBuf,
    pub manifest: ReleaseManifest,
}

/// The gates in force: every release gate at 0, less those `allow` lifts.
pub(crate) fn release_gates(allow: &[Gate]) -> Gates {
    let mut gates = Gates::none();
    for g in RELEASE_GATES {
        gates.set(g, 0);
    }
    for &g in allow {
        gates.allow(g);
    }
    gates
}

/// The records behind each failed gate, named by `names` (a line's handle, 1-based lines).
fn failures(report: &AuditReport, names: &[String]) -> Vec<GateFailure> {
    let name = |line: &usize| {
        names
            .get(line.wrapping_sub(1))
            .cloned()
            .unwrap_or_else(|| format!("line {line}"))
    };
    let custody = |outcome: &str| -> Vec<String> {
        report
            .provenance
            .custody
            .iter()
            .flat_map(|c| &c.unverified_records)
            .filter(|r| r.outcome == outcome)
            .map(|r| name(&r.line))
            .collect()
    };
    report
        .failed_gates()
        .map(|g| GateFailure {
            gate: g.name,
            count: g.value,
            records: match g.name {
                Gate::ZeroScores => report.lines.zero_scores.iter().map(name).collect(),
                Gate::Unscored => report.lines.unscored.iter().map(name).collect(),
                Gate::Placeholders => report.lines.placeholders.iter().map(name).collect(),
                Gate::Mismatch => custody("mismatch"),
                Gate::Unverifiable => custody("unverifiable"),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// Publishes the admitted authors of `data`'s current version into `out` (default
/// `data/release`), after the release gates (less `allow`) pass.
pub(crate) fn release(
    data: &DataDir,
    out: Option<&Path>,
    allow: &[Gate],
) -> Result<ReleaseOutcome, ReleaseError> {
    let version = Store::new(data)
        .current()?
        .ok_or_else(|| ReleaseError::NoVersion(data.root().to_path_buf()))?;
    if let Some(edit) = crate::pipeline::merge::external_edit(data)? {
        return Err(ReleaseError::ExternalEdit(edit.words()));
    }
    let rules = crate::pipeline::admission::Rules::in_force(data)?;
    let out_dir = out.map_or_else(|| data.release_dir(), Path::to_path_buf);
    let releases = ReleaseDir::lock(&out_dir)?;
    let staging = releases.stage()?;

    let jsonl = staging.dir.join(JSONL_FILE);
    let mut file = AtomicFile::create(&jsonl)?;
    let selected = select_admitted(&version.data_file(), file.writer())?;
    file.commit()?;
    if selected.source_sha256 != version.manifest.sha256 {
        return Err(ReleaseError::ExternalEdit(format!(
            "{} changed while it was being released",
            version.data_file().display()
        )));
    }

    let answers = AnswerIndex::of_data_dir(data)?;
    // The gzip (a quarter of the release's time) is written on a thread of its own while the
    // gates run and the Parquet is built: all three only read the staged JSONL, and nothing is
    // published before each has finished (a failed gate discards the staged gzip with the rest).
    let gz_file = staging.dir.join(GZ_FILE);
    let (gz, checked) = std::thread::scope(|scope| {
        let gz = scope.spawn(|| write_gz(&jsonl, &gz_file));
        let checked = (|| {
            let report = audit_file_against(&jsonl, &release_gates(allow), &answers)?;
            if !report.passed {
                return Err(ReleaseError::GateFailed(failures(&report, &selected.names)));
            }
            let (parquet, _) = crate::pipeline::parquet::authors_parquet(&jsonl)?;
            AtomicFile::write_bytes(&staging.dir.join(PARQUET_FILE), &parquet)?;
            Ok(())
        })();
        (gz.join(), checked)
    });
    checked?;
    gz.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;

    let mut files = Vec::new();
    for name in [JSONL_FILE, GZ_FILE, PARQUET_FILE] {
        let (bytes, sha256) = file_sha256(&staging.dir.join(name))?;
        files.push(ReleaseFile {
            name: name.to_string(),
            bytes,
            sha256,
        });
    }
    let mut manifest = ReleaseManifest {
        release: 0,
        dataset_version: version.manifest.version,
        dataset_sha256: version.manifest.sha256.clone(),
        count: selected.names.len() as u64,
        files,
        schema_version: crate::pipeline::checks::schema::SCHEMA_VERSION.to_string(),
        score_version: version.manifest.score_version.clone(),
        rules_version: rules.version.clone(),
        excluded: selected.excluded,
        allowed: allow.iter().map(|g| g.name().to_string()).collect(),
        generated_at: crate::dataset::format_time(chrono::Utc::now()),
    };
    if let Some(current) = releases.current()?
        && current.same_data(&manifest)
    {
        return Ok(ReleaseOutcome {
            published: false,
            release: current.release,
            dir: out_dir.join(current.release.to_string()),
            manifest: current,
        });
    }
    let n = releases.releases()?.last().copied().unwrap_or(0) + 1;
    manifest.release = n;
    AtomicFile::write_bytes(
        &staging.dir.join(MANIFEST_FILE),
        manifest.to_pretty_json().as_bytes(),
    )?;
    let dir = releases.publish(staging, n)?;
    Ok(ReleaseOutcome {
        published: true,
        release: n,
        dir,
        manifest,
    })
}

/// Gzips `from` into `to` (`AtomicFile` gzips a `.gz` target with flate2's header: no file name,
/// mtime 0), so the same bytes in give the same bytes out.
fn write_gz(from: &Path, to: &Path) -> Result<(), ReleaseError> {
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| ReleaseError::Io {
            action,
            path,
            reason: e.to_string(),
        }
    };
    let mut input = std::fs::File::open(from).map_err(io("cannot open", from))?;
    let mut file = AtomicFile::create(to)?;
    std::io::copy(&mut input, file.writer()).map_err(io("cannot write", to))?;
    file.commit()?;
    Ok(())
}
