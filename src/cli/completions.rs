//! `influx completions bash|zsh|fish|elvish|powershell` and `influx man`: shell completion
//! scripts and a roff man page, both generated from the clap definitions so they never drift
//! from the commands.

use clap::CommandFactory;

use super::{Cli, Exit};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub shell: clap_complete::Shell,
}

pub fn run(args: Args) -> color_eyre::Result<Exit> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "influx", &mut std::io::stdout());
    Ok(Exit::Ok)
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// The man page of `influx` (section 1), its subcommands listed.
pub fn man(_: ManArgs) -> color_eyre::Result<Exit> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut out = std::io::stdout().lock();
    page.render(&mut out)?;
    Ok(Exit::Ok)
}
