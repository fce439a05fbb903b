//! The `influx` binary: parses the command line and hands off to `influx::cli`. Only this file
//! decides how an error reaches the user.

use std::process::ExitCode;

use clap::Parser;

/// Scoring and auditing allocate many small JSON maps per record; glibc malloc spent ~20% of
/// `influx score` in malloc/free (perf), mimalloc much less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = influx::cli::Cli::parse();
    if let Err(e) = color_eyre::install() {
        eprintln!("influx: cannot install error hooks: {e}");
    }
    match influx::cli::run(args) {
        Ok(code) => ExitCode::from(code as u8),
        // `influx export | head`: the reader has gone, content; so is the command.
        Err(e) if influx::cli::output::is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            // A failed command is the user's to act on, not a crash: one line with the whole chain
            // of context. INFLUX_DEBUG=1 shows the full report with its backtrace.
            if std::env::var_os("INFLUX_DEBUG").is_some() {
                eprintln!("influx: {e:?}");
            } else {
                eprintln!("influx: {}", influx::cli::output::causes_line(e.as_ref()));
            }
            ExitCode::from(influx::cli::Exit::Unusable as u8)
        }
    }
}
