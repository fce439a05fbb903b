//! How headless commands speak: human text on a terminal, JSON lines when stdout is a pipe or a
//! file (cron, CI), or JSON when asked with `--json`. Logs never go to stdout.

use std::io::{IsTerminal, Write};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A person is watching: text and progress bars.
    Human,
    /// A program is reading: one JSON object per line.
    JsonLines,
}

impl Mode {
    /// JSON lines when asked for, or when stdout is not a terminal.
    pub(crate) fn detect(force_json: bool) -> Mode {
        if force_json || !std::io::stdout().is_terminal() {
            Mode::JsonLines
        } else {
            Mode::Human
        }
    }
}

/// Prints one JSON value as one line on stdout.
pub(crate) fn json_line<T: Serialize>(value: &T) {
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    end_if_reader_gone(written);
}

/// Ends the process quietly with success when the reader of stdout has gone (`| head`): it has
/// what it wanted, and a command printing a million lines would otherwise write on into a closed
/// pipe. Other write errors are ignored as before: stdout is where they would be reported.
pub(crate) fn end_if_reader_gone(written: std::io::Result<()>) {
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// True unless NO_COLOR is set (https://no-color.org) or `--no-color` was given.
pub(crate) fn color_enabled(no_color_flag: bool) -> bool {
    !no_color_flag && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// "outer: inner: cause", each cause once: an error type that prints its source (thiserror's
/// `{source}`) would otherwise show it twice, once in its own text and once as the next cause.
pub fn causes_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut cause = Some(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// Whether an error comes from writing to a reader that went away (`influx export | head`):
/// the reader has what it wanted, so the command ends quietly with success, as ripgrep does.
pub fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// One JSON value as one line on stderr: a command's report when its stdout carries data
/// (`influx score IN --out -`).
pub(crate) fn json_line_on_stderr<T: Serialize>(value: &T) {
    let mut err = std::io::stderr().lock();
    let _ = serde_json::to_writer(&mut err, value);
    let _ = err.write_all(b"\n");
}
