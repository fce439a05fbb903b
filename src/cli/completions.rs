//! `influx completions bash|zsh|fish|elvish|powershell` and `influx man [--out DIR]`: shell
//! completion scripts and roff man pages (one per command), generated from the clap definitions
//! so they never drift from the commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_mangen::Man;
use color_eyre::eyre::WrapErr;

use crate::dataset::AtomicFile;

use super::{Cli, Exit};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub shell: clap_complete::Shell,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "influx", &mut std::io::stdout());
    Ok(Exit::Ok)
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write one page per command into DIR (influx.1, influx-harvest.1, ...) instead of
    /// printing influx.1 on stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// What every page says after the command's own sections: the exit codes, the environment and
/// the data directory's files, shared by all commands (see `Exit` and the README).
const COMMON_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Everything worked and every gate passed.
.TP
\fB1\fR
The work ran, but a gate failed or some items were left out (zero scores, placeholders, failed handles, batches left out).
.TP
\fB2\fR
The work could not proceed: unreadable or empty input, a missing data directory, a bad token, an unreachable API, a usage cap, a refused merge. Nothing was written.
.SH ENVIRONMENT
.TP
\fBX_BEARER_TOKEN\fR
The X API bearer token (or \fB\-\-token\-file\fR). Never a flag, never printed.
.TP
\fBINFLUX_API_BASE\fR
The X API base URL (\fB\-\-api\-base\fR wins).
.TP
\fBNO_COLOR\fR
No colour on a terminal.
.TP
\fBINFLUX_DEBUG\fR
Errors as full reports with their backtrace.
.SH FILES
.TP
\fIDIR\fR/latest/latest.jsonl
The current dataset version, with its manifest.json (\fB\-\-data DIR\fR, default ./data).
.TP
\fIDIR\fR/versions/
Stored versions: the current one and the one rollback needs.
.TP
\fIDIR\fR/runs/<run>/
A harvest run: records.jsonl, responses.jsonl, summary.json, journal.jsonl.
.TP
\fIDIR\fR/ledger.jsonl
Every answered request: day, run, users returned, cost.
.TP
\fIDIR\fR/history.sqlite
Author snapshots over time.
.TP
\fIDIR\fR/influx.toml
Optional configuration (never the token).
"#;

/// `influx man`: the page of `influx` on stdout; `influx man --out DIR`: a page for it and one
/// for each command, so that every page the SEE ALSO lists exists.
pub(crate) fn man(args: ManArgs) -> color_eyre::Result<Exit> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    match args.out {
        None => page(&cmd, &mut std::io::stdout().lock())?,
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
            write_pages(&cmd, &dir)?;
        }
    }
    Ok(Exit::Ok)
}

/// Writes the page of `cmd` and of each of its commands, recursively, into `dir`.
fn write_pages(cmd: &clap::Command, dir: &Path) -> color_eyre::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let name = Man::new(cmd.clone()).get_filename();
    let path = dir.join(name);
    let mut text = Vec::new();
    page(cmd, &mut text)?;
    AtomicFile::write_bytes(&path, &text)?;
    Ok(())
}

/// One page: clap_mangen's sections, then the ones every command shares.
fn page(cmd: &clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let man = Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    if cmd.has_subcommands() {
        man.render_subcommands_section(w)?;
    }
    if cmd.get_after_help().is_some() || cmd.get_after_long_help().is_some() {
        man.render_extra_section(w)?;
    }
    w.write_all(COMMON_SECTIONS.as_bytes())?;
    if cmd.get_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(())
}
