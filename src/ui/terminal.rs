//! Terminal lifecycle: raw mode and the alternate screen on entry, restored on every way out
//! (normal return, error, panic) by a Drop guard plus ratatui's panic hook. Also sends logs to a
//! file, never to the screen. Install color-eyre's hooks before entering (main does).

use std::path::Path;

use ratatui::DefaultTerminal;
use tracing_appender::non_blocking::WorkerGuard;

/// The terminal in console mode; dropping it puts the terminal back as it was.
pub(crate) struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen. ratatui chains a panic hook that restores the
    /// terminal before the panic report is printed. Mouse capture stays off (copy and paste work).
    pub(crate) fn enter() -> std::io::Result<TerminalGuard> {
        Ok(TerminalGuard {
            terminal: ratatui::try_init()?,
        })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Sends `tracing` output to `file` (appending; `DIR/influx.log` for the console). Keep the
/// guard alive until exit so the last lines are flushed.
pub(crate) fn log_to_file(file: &Path) -> std::io::Result<WorkerGuard> {
    let (dir, name) = match (file.parent(), file.file_name()) {
        (Some(dir), Some(name)) => (dir, name),
        _ => {
            return Err(std::io::Error::other(format!(
                "{} is not a file",
                file.display()
            )));
        }
    };
    std::fs::create_dir_all(dir)?;
    let appender = tracing_appender::rolling::never(dir, name);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("INFLUX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second console in the same process (tests) keeps the first subscriber: not an error.
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(guard)
}
