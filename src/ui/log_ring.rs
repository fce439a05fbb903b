//! The log pane's memory: a fixed-size ring of lines that drops the oldest and counts what it
//! dropped, so a chatty run never grows memory or slows the screen. Not the log file (tracing).

use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

impl LogLevel {
    /// A word, so the level is never told by colour alone.
    pub(crate) fn word(self) -> &'static str {
        match self {
            LogLevel::Info => "info",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Seconds since the console started, so snapshots do not depend on the wall clock.
    pub at_secs: u64,
    pub level: LogLevel,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct LogRing {
    lines: VecDeque<LogLine>,
    capacity: usize,
    dropped: u64,
}

impl LogRing {
    pub(crate) fn new(capacity: usize) -> LogRing {
        LogRing {
            lines: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, line: LogLine) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The newest `n` lines, oldest first.
    pub fn last(&self, n: usize) -> impl Iterator<Item = &LogLine> {
        self.lines.iter().skip(self.lines.len().saturating_sub(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_ring_drops_the_oldest_line_and_counts_it() {
        let mut ring = LogRing::new(2);
        for i in 0..5 {
            ring.push(LogLine {
                at_secs: i,
                level: LogLevel::Info,
                text: i.to_string(),
            });
        }
        assert_eq!(ring.dropped(), 3);
        let kept: Vec<_> = ring.last(10).map(|l| l.text.as_str()).collect();
        assert_eq!(kept, ["3", "4"]);
    }
}
