//! `influx merge`.

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> color_eyre::Result<super::Exit> {
    color_eyre::eyre::bail!("`influx merge` is not built yet")
}
