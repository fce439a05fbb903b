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

    /// The number of the oldest line kept: lines are numbered from the first ever pushed, so a
    /// number names the same line while the ring drops older ones.
    pub fn first_number(&self) -> u64 {
        self.dropped
    }

    /// The number of the newest line (`None`: no line yet).
    pub fn newest_number(&self) -> Option<u64> {
        (self.dropped + self.lines.len() as u64).checked_sub(1)
    }

    /// Every kept line with its number, oldest first.
    pub fn numbered(&self) -> impl Iterator<Item = (u64, &LogLine)> {
        (self.dropped..).zip(self.lines.iter())
    }
}

/// The focused log pane's selection: which line, and whether it is shown whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogCursor {
    /// The selected line's number (see [`LogRing::first_number`]); `None`: the newest,
    /// following new lines as they come.
    pub line: Option<u64>,
    /// The selected line is shown whole, wrapped, instead of cut at the pane's width.
    pub expanded: bool,
}

impl LogCursor {
    /// The number of the selected line in `ring` (a line dropped since stands for the oldest).
    pub fn selected(&self, ring: &LogRing) -> Option<u64> {
        let newest = ring.newest_number()?;
        Some(
            self.line
                .map_or(newest, |l| l.clamp(ring.first_number(), newest)),
        )
    }

    /// Moves the selection by `by` lines; at the newest it follows new lines again.
    pub fn move_by(&mut self, ring: &LogRing, by: i64) {
        let Some(newest) = ring.newest_number() else {
            return;
        };
        let from = self.selected(ring).unwrap_or(newest) as i64;
        let to = from
            .saturating_add(by)
            .clamp(ring.first_number() as i64, newest as i64) as u64;
        self.line = (to != newest).then_some(to);
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

    fn ring_of(n: u64, capacity: usize) -> LogRing {
        let mut ring = LogRing::new(capacity);
        for i in 0..n {
            ring.push(LogLine {
                at_secs: i,
                level: LogLevel::Info,
                text: format!("line {i}"),
            });
        }
        ring
    }

    #[test]
    fn the_cursor_follows_the_newest_line_until_moved_and_again_when_back_at_the_end() {
        let mut ring = ring_of(5, 10);
        let mut cursor = LogCursor::default();
        assert_eq!(cursor.selected(&ring), Some(4));
        cursor.move_by(&ring, -2);
        assert_eq!(cursor.selected(&ring), Some(2));
        ring = ring_of(6, 10);
        assert_eq!(
            cursor.selected(&ring),
            Some(2),
            "a new line does not move it"
        );
        cursor.move_by(&ring, 100);
        assert_eq!(cursor, LogCursor::default(), "back at the end: following");
        cursor.move_by(&ring, -100);
        assert_eq!(cursor.selected(&ring), Some(0));
    }

    #[test]
    fn a_selected_line_the_ring_dropped_stands_for_the_oldest_kept() {
        let ring = ring_of(8, 3);
        let cursor = LogCursor {
            line: Some(1),
            expanded: false,
        };
        assert_eq!(ring.first_number(), 5);
        assert_eq!(cursor.selected(&ring), Some(5));
    }
}
