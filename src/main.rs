//! The `influx` binary: parses the command line and hands off to `influx::cli`. Nothing else.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = influx::cli::Cli::parse();
    if let Err(e) = color_eyre::install() {
        eprintln!("influx: cannot install error hooks: {e}");
    }
    match influx::cli::run(args) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("influx: {e:?}");
            ExitCode::from(influx::cli::Exit::Unusable as u8)
        }
    }
}
