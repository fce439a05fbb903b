//! `influx.toml`: read strictly (an unknown key or a value of the wrong type is an error naming
//! the file, the line and the key), each value kept with the line it was written on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{Age, ConfigError};
use crate::pipeline::audit::Gate;
use crate::pipeline::harvest::Plan;

/// The values a file gives, each with its line (`None`: the file does not say).
#[derive(Debug, Clone, Default)]
pub(crate) struct FileValues {
    pub path: Option<PathBuf>,
    pub api_base: Option<(String, usize)>,
    pub plan: Option<(Plan, usize)>,
    pub price_per_user: Option<(f64, usize)>,
    pub max_spend: Option<(f64, usize)>,
    pub max_spend_per_day: Option<(f64, usize)>,
    pub max_requests: Option<(u64, usize)>,
    pub stale_after: Option<(Age, usize)>,
    pub not_found_backoff: Option<(Age, usize)>,
    pub batch_size: Option<(usize, usize)>,
    pub concurrency: Option<(usize, usize)>,
    pub token_file: Option<(PathBuf, usize)>,
    pub metrics_file: Option<(PathBuf, usize)>,
    pub gates: Option<(Vec<(String, usize)>, usize)>,
    /// A rules file replacing the bundled admission rules (relative to the data directory).
    pub admission_rules: Option<(PathBuf, usize)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    api_base: Option<Spanned<String>>,
    plan: Option<Spanned<String>>,
    price_per_user: Option<Spanned<toml::Value>>,
    stale_after: Option<Spanned<String>>,
    not_found_backoff: Option<Spanned<String>>,
    batch_size: Option<Spanned<usize>>,
    concurrency: Option<Spanned<usize>>,
    token_file: Option<Spanned<PathBuf>>,
    metrics_file: Option<Spanned<PathBuf>>,
    admission_rules: Option<Spanned<PathBuf>>,
    /// Read only to refuse it: a token in a file that is copied, backed up and shown is leaked.
    token: Option<Spanned<toml::Value>>,
    caps: Option<Spanned<Caps>>,
    gates: Option<Spanned<BTreeMap<String, Spanned<usize>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Caps {
    max_spend: Option<Spanned<toml::Value>>,
    max_spend_per_day: Option<Spanned<toml::Value>>,
    max_requests: Option<Spanned<u64>>,
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The key written on a line (`key = ...`), or the table a header names.
fn key_on_line(text: &str, line: usize) -> String {
    let l = text.lines().nth(line - 1).unwrap_or("").trim();
    match l.split_once('=') {
        Some((k, _)) => k.trim().to_string(),
        None => l.trim_matches(|c| c == '[' || c == ']').to_string(),
    }
}

impl FileValues {
    pub(crate) fn read(path: &Path) -> Result<FileValues, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        FileValues::parse(path, &text)
    }

    pub(crate) fn parse(path: &Path, text: &str) -> Result<FileValues, ConfigError> {
        let invalid = |offset: usize, key: Option<&str>, reason: String| {
            let line = line_of(text, offset);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                key: key.map_or_else(|| key_on_line(text, line), str::to_string),
                reason,
            }
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, None, e.message().trim().to_string())
        })?;
        let at = |s: std::ops::Range<usize>| line_of(text, s.start);
        if let Some(t) = raw.token {
            return Err(invalid(
                t.span().start,
                Some("token"),
                "the token is never kept in the configuration: set token_file to a file only its owner can read".into(),
            ));
        }
        let usd = |v: Spanned<toml::Value>, key: &str| -> Result<(f64, usize), ConfigError> {
            let n = match v.get_ref() {
                toml::Value::Float(f) => *f,
                toml::Value::Integer(i) => *i as f64,
                other => {
                    return Err(invalid(
                        v.span().start,
                        Some(key),
                        format!("expected an amount in USD, got {other}"),
                    ));
                }
            };
            if !n.is_finite() || n < 0.0 {
                return Err(invalid(
                    v.span().start,
                    Some(key),
                    format!("expected an amount in USD, got {n}"),
                ));
            }
            Ok((n, at(v.span())))
        };
        let age = |v: Spanned<String>, key: &str| -> Result<(Age, usize), ConfigError> {
            let a = v
                .get_ref()
                .parse::<Age>()
                .map_err(|e| invalid(v.span().start, Some(key), e.to_string()))?;
            Ok((a, at(v.span())))
        };
        let mut out = FileValues {
            path: Some(path.to_path_buf()),
            ..FileValues::default()
        };
        out.api_base = raw.api_base.map(|v| (v.get_ref().clone(), at(v.span())));
        if let Some(v) = raw.plan {
            let plan = v
                .get_ref()
                .parse::<Plan>()
                .map_err(|e| invalid(v.span().start, Some("plan"), e.to_string()))?;
            out.plan = Some((plan, at(v.span())));
        }
        out.price_per_user = raw
            .price_per_user
            .map(|v| usd(v, "price_per_user"))
            .transpose()?;
        out.stale_after = raw.stale_after.map(|v| age(v, "stale_after")).transpose()?;
        out.not_found_backoff = raw
            .not_found_backoff
            .map(|v| age(v, "not_found_backoff"))
            .transpose()?;
        out.batch_size = raw.batch_size.map(|v| (*v.get_ref(), at(v.span())));
        out.concurrency = raw.concurrency.map(|v| (*v.get_ref(), at(v.span())));
        out.token_file = raw.token_file.map(|v| (v.get_ref().clone(), at(v.span())));
        out.metrics_file = raw
            .metrics_file
            .map(|v| (v.get_ref().clone(), at(v.span())));
        out.admission_rules = raw
            .admission_rules
            .map(|v| (v.get_ref().clone(), at(v.span())));
        if let Some(caps) = raw.caps {
            let caps = caps.into_inner();
            out.max_spend = caps.max_spend.map(|v| usd(v, "max_spend")).transpose()?;
            out.max_spend_per_day = caps
                .max_spend_per_day
                .map(|v| usd(v, "max_spend_per_day"))
                .transpose()?;
            out.max_requests = caps.max_requests.map(|v| (*v.get_ref(), at(v.span())));
        }
        if let Some(gates) = raw.gates {
            let line = at(gates.span());
            let mut list = Vec::new();
            for (name, max) in gates.into_inner() {
                let gate: Gate =
                    name.parse()
                        .map_err(|e: crate::pipeline::audit::UnknownGate| {
                            invalid(max.span().start, Some(&name), e.to_string())
                        })?;
                list.push((gate.name().to_string(), *max.get_ref()));
            }
            out.gates = Some((list, line));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        FileValues::parse(Path::new("data/influx.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let e = error_of("plan = \"basic\"\nstale_afer = \"7d\"\n");
        assert!(
            e.starts_with("data/influx.toml:2: stale_afer: unknown field `stale_afer`"),
            "{e}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_with_its_line_and_key() {
        let e = error_of("\n\nbatch_size = \"big\"\n");
        assert!(
            e.starts_with("data/influx.toml:3: batch_size: invalid type"),
            "{e}"
        );
        let e = error_of("[caps]\nmax_spend = \"lots\"\n");
        assert_eq!(
            e,
            "data/influx.toml:2: max_spend: expected an amount in USD, got \"lots\""
        );
        let e = error_of("stale_after = \"soon\"\n");
        assert!(
            e.starts_with("data/influx.toml:1: stale_after: expected a span"),
            "{e}"
        );
        let e = error_of("[gates]\nzero = 0\nsilly = 3\n");
        assert!(
            e.starts_with("data/influx.toml:3: silly: unknown gate"),
            "{e}"
        );
    }

    #[test]
    fn a_token_in_the_file_is_refused() {
        let e = error_of("token = \"AAAA\"\n");
        assert!(
            e.starts_with("data/influx.toml:1: token: the token is never kept"),
            "{e}"
        );
        assert!(
            !e.contains("AAAA"),
            "the error does not repeat the secret: {e}"
        );
    }

    #[test]
    fn every_value_keeps_its_line() {
        let v = FileValues::parse(
            Path::new("influx.toml"),
            "plan = \"basic\"\nprice_per_user = 0\n[caps]\nmax_requests = 40\n[gates]\nunscored = 3\n",
        )
        .unwrap();
        assert_eq!(v.plan, Some((Plan::Basic, 1)));
        assert_eq!(v.price_per_user, Some((0.0, 2)));
        assert_eq!(v.max_requests, Some((40, 4)));
        assert_eq!(v.gates, Some((vec![("unscored".to_string(), 3)], 5)));
    }
}
