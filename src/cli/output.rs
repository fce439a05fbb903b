//! How headless commands speak: human text on a terminal, JSON lines when stdout is a pipe or a
//! file (cron, CI), or JSON when asked with `--json`. Logs never go to stdout.

use std::io::{IsTerminal, Write};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A person is watching: text and progress bars.
    Human,
    /// A program is reading: one JSON object per line.
    JsonLines,
}

impl Mode {
    /// JSON lines when asked for, or when stdout is not a terminal.
    pub fn detect(force_json: bool) -> Mode {
        if force_json || !std::io::stdout().is_terminal() {
            Mode::JsonLines
        } else {
            Mode::Human
        }
    }
}

/// Prints one JSON value as one line on stdout.
pub fn json_line<T: Serialize>(value: &T) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not worth a panic: the reader has gone.
    let _ = serde_json::to_writer(&mut out, value);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// True unless NO_COLOR is set (https://no-color.org) or `--no-color` was given.
pub fn color_enabled(no_color_flag: bool) -> bool {
    !no_color_flag && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
