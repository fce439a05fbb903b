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
        Err(e) => {
            // A failed command is the user's to act on, not a crash: one line with the whole chain
            // of context. INFLUX_DEBUG=1 shows the full report with its backtrace.
            if std::env::var_os("INFLUX_DEBUG").is_some() {
                eprintln!("influx: {e:?}");
            } else {
                eprintln!("influx: {}", chain_line(&e));
            }
            ExitCode::from(influx::cli::Exit::Unusable as u8)
        }
    }
}

/// "outer: inner: cause", leaving out a cause whose text the message before already carries
/// (error types that print their source would otherwise repeat it).
fn chain_line(e: &color_eyre::Report) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
