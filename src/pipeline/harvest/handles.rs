//! Input handles: turn the lines people paste (`@Name`, profile URLs, stray spaces) into the
//! bare usernames X accepts, and report every line that cannot become one.
//!
//! Not here: looking handles up or batching them (see `harvest`). One invalid handle makes a whole
//! X API request fail with 400, so nothing leaves this module unless it matches
//! `^[A-Za-z0-9_]{1,15}$`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The longest username X allows.
pub(crate) const MAX_HANDLE_LEN: usize = 15;

/// Hosts whose first path segment is a username.
const PROFILE_HOSTS: &[&str] = &[
    "x.com",
    "twitter.com",
    "www.x.com",
    "www.twitter.com",
    "mobile.x.com",
    "mobile.twitter.com",
];

/// First path segments on x.com that are pages, not profiles (`x.com/home`, `x.com/i/...`).
const NOT_PROFILES: &[&str] = &[
    "i",
    "home",
    "search",
    "explore",
    "intent",
    "share",
    "hashtag",
    "settings",
    "messages",
    "notifications",
    "compose",
    "login",
    "signup",
    "tos",
    "privacy",
];

/// One input line that did not become a handle, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidLine {
    /// 1-based line number in the input file.
    pub line: usize,
    /// The line as read (without its line ending).
    pub input: String,
    pub reason: String,
}

/// The handles of an input file, ready to batch: valid, normalized, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandleList {
    /// In input order, with the casing of their first appearance.
    pub handles: Vec<String>,
    pub invalid: Vec<InvalidLine>,
    /// Lines that named a handle already listed (compared case-insensitively).
    pub duplicates: usize,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum HandlesError {
    #[error("cannot read handles file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("handles file {path}: line {line} is not UTF-8 text")]
    NotUtf8 { path: PathBuf, line: usize },
}

/// Turns one input into a bare username, or says why it cannot be one.
///
/// Accepts `name`, `@name`, `x.com/name`, `https://twitter.com/name/status/1?s=20` and the like.
pub(crate) fn normalize(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err("empty".into());
    }
    let candidate = match profile_path(trimmed) {
        Some(path) => {
            let segment = path
                .split(['/', '?', '#'])
                .next()
                .unwrap_or_default()
                .trim_start_matches('@');
            if segment.is_empty() {
                return Err("a URL without a username in it".into());
            }
            if NOT_PROFILES.contains(&segment.to_ascii_lowercase().as_str()) {
                return Err(format!("a URL of the page /{segment}, not of a profile"));
            }
            segment
        }
        None => {
            if trimmed.contains("://") {
                return Err("a URL that is not on x.com or twitter.com".into());
            }
            trimmed.strip_prefix('@').unwrap_or(trimmed)
        }
    };
    validate(candidate)?;
    Ok(candidate.to_string())
}

/// Checks a bare username against `^[A-Za-z0-9_]{1,15}$`, naming the first problem.
pub(crate) fn validate(handle: &str) -> Result<(), String> {
    if handle.is_empty() {
        return Err("empty".into());
    }
    if let Some(c) = handle
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        let shown = if c.is_whitespace() {
            "a space".to_string()
        } else {
            format!("'{c}'")
        };
        return Err(format!(
            "contains {shown}: only letters, digits and _ are allowed"
        ));
    }
    if handle.len() > MAX_HANDLE_LEN {
        return Err(format!(
            "{} characters long: at most {MAX_HANDLE_LEN} are allowed",
            handle.len()
        ));
    }
    Ok(())
}

/// The part after `host/` when the input is a profile link with or without a scheme.
fn profile_path(input: &str) -> Option<&str> {
    let lower = input.to_ascii_lowercase();
    let rest_at = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .map_or(0, |r| lower.len() - r.len());
    let rest = &input[rest_at..];
    let rest_lower = &lower[rest_at..];
    PROFILE_HOSTS.iter().find_map(|host| {
        let after = rest_lower.strip_prefix(host)?;
        // `x.com` alone, `x.com/...`, `x.com?...`: anything else (`x.computer/`) is another host.
        if after.is_empty() || after.starts_with(['/', '?', '#']) {
            Some(rest[host.len()..].trim_start_matches('/'))
        } else {
            None
        }
    })
}

/// Normalizes every line of a handles text. Blank lines and lines starting with `#` are skipped.
pub fn parse_handles(text: &str) -> HandleList {
    let mut list = HandleList::default();
    let mut seen = HashSet::new();
    for (index, raw) in text.lines().enumerate() {
        list.push_line(index + 1, raw, &mut seen);
    }
    list
}

impl HandleList {
    fn push_line(&mut self, line: usize, raw: &str, seen: &mut HashSet<String>) {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        match normalize(trimmed) {
            Ok(handle) => {
                if seen.insert(handle.to_ascii_lowercase()) {
                    self.handles.push(handle);
                } else {
                    self.duplicates += 1;
                }
            }
            Err(reason) => self.invalid.push(InvalidLine {
                line,
                input: quoted(raw.trim_end_matches('\r')),
                reason,
            }),
        }
    }
}

/// Characters of an invalid line quoted back: enough to find it, never a 10 MB line whole.
const QUOTED_CHARS: usize = 60;

/// The line as reported: whole when short, else its first [`QUOTED_CHARS`] characters and its size.
fn quoted(line: &str) -> String {
    match line.char_indices().nth(QUOTED_CHARS) {
        None => line.to_string(),
        Some((end, _)) => format!("{}… ({} bytes)", &line[..end], line.len()),
    }
}

impl HandleList {
    /// What the plan will not send, in words: the invalid lines (how many and which) and the
    /// repeated handles; `None` when every line is sent.
    pub(crate) fn not_sent_words(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.invalid.is_empty() {
            const NAMED: usize = 10;
            let mut lines: Vec<String> = self
                .invalid
                .iter()
                .take(NAMED)
                .map(|l| l.line.to_string())
                .collect();
            if self.invalid.len() > NAMED {
                lines.push("…".into());
            }
            parts.push(format!(
                "{} ({} {})",
                crate::plural::count(self.invalid.len() as u64, "invalid line", "invalid lines"),
                if self.invalid.len() == 1 {
                    "line"
                } else {
                    "lines"
                },
                lines.join(", ")
            ));
        }
        if self.duplicates > 0 {
            parts.push(crate::plural::count(
                self.duplicates as u64,
                "repeated handle",
                "repeated handles",
            ));
        }
        (!parts.is_empty()).then(|| format!("not sent: {}", parts.join(", ")))
    }

    /// What the plan will not send, for the JSON plan: `{"invalid": N, "invalid_lines": [...],
    /// "duplicates": N}`.
    pub(crate) fn not_sent_json(&self) -> serde_json::Value {
        serde_json::json!({
            "invalid": self.invalid.len(),
            "invalid_lines": self.invalid.iter().map(|l| l.line).collect::<Vec<_>>(),
            "duplicates": self.duplicates,
        })
    }
}

/// Reads and normalizes a handles file (one handle per line).
pub(crate) fn read_handles(path: &Path) -> Result<HandleList, HandlesError> {
    let bytes = std::fs::read(path).map_err(|source| HandlesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut list = HandleList::default();
    let mut seen = HashSet::new();
    // A byte order mark some editors write is not part of the first handle.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let text = std::str::from_utf8(raw).map_err(|_| HandlesError::NotUtf8 {
            path: path.to_path_buf(),
            line: index + 1,
        })?;
        list.push_line(index + 1, text, &mut seen);
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_invalid_line_is_quoted_by_a_short_prefix_and_its_size() {
        let huge = "x".repeat(10_000_000);
        let list = parse_handles(&format!("ok\n{huge}\n"));
        let shown = &list.invalid[0].input;
        assert_eq!(shown, &format!("{}… (10000000 bytes)", "x".repeat(60)));
    }

    #[test]
    fn the_plan_names_the_lines_it_will_not_send() {
        let list = parse_handles("ok\nbad-one\nok\n@fine\nnot valid\n");
        assert_eq!(
            list.not_sent_words().as_deref(),
            Some("not sent: 2 invalid lines (lines 2, 5), 1 repeated handle")
        );
        assert_eq!(
            list.not_sent_json()["invalid_lines"],
            serde_json::json!([2, 5])
        );
    }

    #[test]
    fn every_common_way_of_writing_a_handle_becomes_the_bare_username() {
        for input in [
            "jack",
            "@jack",
            "  jack  ",
            "https://x.com/jack",
            "https://twitter.com/jack",
            "twitter.com/jack",
            "x.com/jack?s=20",
            "https://www.x.com/jack/",
            "http://mobile.twitter.com/jack/status/20",
            "HTTPS://X.COM/jack#top",
            "x.com/@jack",
        ] {
            assert_eq!(normalize(input), Ok("jack".to_string()), "input {input:?}");
        }
    }

    #[test]
    fn the_casing_of_the_input_is_kept_for_the_request() {
        assert_eq!(normalize("@TwitterDev"), Ok("TwitterDev".to_string()));
    }

    #[test]
    fn handles_that_x_would_reject_are_refused_with_a_reason() {
        let cases = [
            ("bad-name", "'-'"),
            ("dot.name", "'.'"),
            ("sixteen_chars_xx", "16 characters"),
            ("two words", "a space"),
            ("@", "empty"),
            ("https://example.com/jack", "not on x.com"),
            ("https://x.com/", "without a username"),
            ("https://x.com/i/lists/123", "/i"),
            ("x.computer/jack", "'.'"),
            ("名前", "'名'"),
        ];
        for (input, reason_part) in cases {
            let reason = normalize(input).expect_err(input);
            assert!(
                reason.contains(reason_part),
                "{input:?}: {reason:?} should mention {reason_part:?}"
            );
        }
    }

    #[test]
    fn fifteen_characters_is_the_longest_valid_handle() {
        assert!(validate("abcdefghijklmno").is_ok());
        assert!(validate("abcdefghijklmnop").is_err());
    }

    #[test]
    fn a_file_yields_each_handle_once_and_reports_bad_lines_by_number() {
        let text = "# seeds\njack\n\n@Jack\nhttps://x.com/TwitterDev\nbad-name\ntwitterdev\r\n";
        let list = parse_handles(text);
        assert_eq!(list.handles, vec!["jack", "TwitterDev"]);
        assert_eq!(list.duplicates, 2);
        assert_eq!(
            list.invalid,
            vec![InvalidLine {
                line: 6,
                input: "bad-name".into(),
                reason: "contains '-': only letters, digits and _ are allowed".into(),
            }]
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_refused_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("handles.txt");
        std::fs::write(&path, b"jack\n\xff\xfe\n").unwrap();
        let err = read_handles(&path).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
