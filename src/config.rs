//! The configuration of the scheduled commands (`influx refresh`, `influx config`): each value
//! from a flag, else the environment, else `DIR/influx.toml` (or `--config FILE`), else the
//! default, and for each value where it came from. The token is never a value here: only the
//! path of a file holding it, which must be readable by its owner alone.
//! Not here: what the values do (see `pipeline::refresh` and `pipeline::harvest`).

mod age;
mod file;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::pipeline::audit::{Gate, Gates};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::pricing::{micros_to_usd, usd_to_micros};
use crate::pipeline::harvest::xapi::{DEFAULT_API_BASE, MAX_BATCH, TokenError};
use crate::pipeline::harvest::{Micros, Plan, Pricing};
pub(crate) use age::Age;
pub(crate) use file::FileValues;

/// Where a value came from, for `influx config` and for errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Origin {
    Default,
    File { path: PathBuf, line: usize },
    Env { var: &'static str },
    Flag { flag: &'static str },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Env { var } => write!(f, "environment {var}"),
            Origin::Flag { flag } => write!(f, "flag {flag}"),
        }
    }
}

/// One value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Sourced<T> {
    pub value: T,
    pub from: Origin,
}

/// Why the configuration cannot be used. Each names the file and line, the variable or the flag.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {key}: {reason}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        reason: String,
    },
    #[error("environment {var}: {reason}")]
    Env { var: &'static str, reason: String },
    #[error("{flag}: {reason}")]
    Flag { flag: &'static str, reason: String },
}

/// What the command line says; `None` leaves the value to the environment, file or default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub api_base: Option<String>,
    pub plan: Option<Plan>,
    pub price_per_user: Option<f64>,
    pub max_spend: Option<f64>,
    pub max_spend_per_day: Option<f64>,
    pub max_requests: Option<u64>,
    pub stale_after: Option<Age>,
    pub not_found_backoff: Option<Age>,
    pub batch_size: Option<usize>,
    pub concurrency: Option<usize>,
    pub token_file: Option<PathBuf>,
    pub metrics_file: Option<PathBuf>,
    /// `--gate NAME=MAX`, added to (and overriding) the configured gates.
    pub gates: Vec<(Gate, usize)>,
}

/// The effective configuration.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Settings {
    /// The file read, when there was one.
    pub file: Option<PathBuf>,
    pub api_base: Sourced<String>,
    pub plan: Sourced<String>,
    pub price_per_user_usd: Sourced<f64>,
    /// The most one refresh may spend.
    pub max_spend_usd: Sourced<Option<f64>>,
    /// The most all harvests of the directory may spend in one UTC day (the ledger's figure).
    pub max_spend_per_day_usd: Sourced<Option<f64>>,
    pub max_requests: Sourced<Option<u64>>,
    pub stale_after: Sourced<Age>,
    /// How long a handle found missing or suspended is not asked again.
    pub not_found_backoff: Sourced<Age>,
    pub batch_size: Sourced<usize>,
    pub concurrency: Sourced<usize>,
    /// Shown as set or not, never its value (see [`token_file_warning`]).
    #[serde(serialize_with = "hidden_token_file")]
    pub token_file: Sourced<Option<PathBuf>>,
    pub metrics_file: Sourced<Option<PathBuf>>,
    /// Gate limits, by name (the audit's gate names).
    pub gates: Sourced<Vec<(String, usize)>>,
    /// Things worth saying that do not stop the command (a token file others can read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Environment variables, one per key (`INFLUX_` and the key in capitals).
pub(crate) const ENV_VARS: [(&str, &str); 13] = [
    ("api_base", "INFLUX_API_BASE"),
    ("plan", "INFLUX_PLAN"),
    ("price_per_user", "INFLUX_PRICE_PER_USER"),
    ("max_spend", "INFLUX_MAX_SPEND"),
    ("max_spend_per_day", "INFLUX_MAX_SPEND_PER_DAY"),
    ("max_requests", "INFLUX_MAX_REQUESTS"),
    ("stale_after", "INFLUX_STALE_AFTER"),
    ("not_found_backoff", "INFLUX_NOT_FOUND_BACKOFF"),
    ("batch_size", "INFLUX_BATCH_SIZE"),
    ("concurrency", "INFLUX_CONCURRENCY"),
    ("token_file", "INFLUX_TOKEN_FILE"),
    ("metrics_file", "INFLUX_METRICS_FILE"),
    ("gates", "INFLUX_GATES"),
];

fn env_var(key: &str) -> &'static str {
    ENV_VARS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .expect("every key has its variable")
}

/// Resolves one value: flag, environment, file, default.
struct Resolver<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: &'a FileValues,
}

impl Resolver<'_> {
    fn pick<T: Clone>(
        &self,
        key: &'static str,
        flag: (&'static str, Option<T>),
        parse: impl Fn(&str) -> Result<T, String>,
        file: Option<(T, usize)>,
        default: T,
    ) -> Result<Sourced<T>, ConfigError> {
        if let Some(v) = flag.1 {
            return Ok(Sourced {
                value: v,
                from: Origin::Flag { flag: flag.0 },
            });
        }
        let var = env_var(key);
        if let Some(text) = (self.env)(var).filter(|t| !t.trim().is_empty()) {
            let value = parse(text.trim()).map_err(|reason| ConfigError::Env { var, reason })?;
            return Ok(Sourced {
                value,
                from: Origin::Env { var },
            });
        }
        if let (Some((v, line)), Some(path)) = (file, &self.file.path) {
            return Ok(Sourced {
                value: v,
                from: Origin::File {
                    path: path.clone(),
                    line,
                },
            });
        }
        Ok(Sourced {
            value: default,
            from: Origin::Default,
        })
    }
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("expected a number, got {text:?}"))
}

impl Settings {
    /// The configuration of `data_dir`: `config` (or `DIR/influx.toml` when it exists), the
    /// process environment and `flags`.
    pub(crate) fn load(
        data_dir: &DataDir,
        config: Option<&Path>,
        flags: &Overrides,
    ) -> Result<Settings, ConfigError> {
        Settings::resolve(data_dir, config, flags, &|k| std::env::var(k).ok())
    }

    /// [`Settings::load`] with the environment given (tests).
    pub(crate) fn resolve(
        data_dir: &DataDir,
        config: Option<&Path>,
        flags: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let file = match config {
            Some(path) => FileValues::read(path)?,
            None => {
                let path = data_dir.config_file();
                if path.exists() {
                    FileValues::read(&path)?
                } else {
                    FileValues::default()
                }
            }
        };
        let r = Resolver { env, file: &file };
        let api_base = r.pick(
            "api_base",
            ("--api-base", flags.api_base.clone()),
            |t| Ok(t.to_string()),
            file.api_base.clone(),
            DEFAULT_API_BASE.to_string(),
        )?;
        let plan = r.pick(
            "plan",
            ("--plan", flags.plan),
            |t| t.parse::<Plan>().map_err(|e| e.to_string()),
            file.plan,
            Plan::default(),
        )?;
        let price = r.pick(
            "price_per_user",
            ("--price-per-user", flags.price_per_user),
            |t| usd(t, "price_per_user"),
            file.price_per_user,
            micros_to_usd(plan.value.price()),
        )?;
        let max_spend = r.pick(
            "max_spend",
            ("--max-spend", flags.max_spend.map(Some)),
            |t| usd(t, "max_spend").map(Some),
            file.max_spend.map(|(v, l)| (Some(v), l)),
            None,
        )?;
        let max_spend_per_day = r.pick(
            "max_spend_per_day",
            ("--max-spend-per-day", flags.max_spend_per_day.map(Some)),
            |t| usd(t, "max_spend_per_day").map(Some),
            file.max_spend_per_day.map(|(v, l)| (Some(v), l)),
            None,
        )?;
        let max_requests = r.pick(
            "max_requests",
            ("--max-requests", flags.max_requests.map(Some)),
            |t| number(t).map(Some),
            file.max_requests.map(|(v, l)| (Some(v), l)),
            None,
        )?;
        let stale_after = r.pick(
            "stale_after",
            ("--stale-after", flags.stale_after),
            |t| t.parse::<Age>().map_err(|e| e.to_string()),
            file.stale_after,
            Age::days(crate::pipeline::refresh::CensusRules::STALE_AFTER_DAYS),
        )?;
        let not_found_backoff = r.pick(
            "not_found_backoff",
            ("--not-found-backoff", flags.not_found_backoff),
            |t| t.parse::<Age>().map_err(|e| e.to_string()),
            file.not_found_backoff,
            Age::days(crate::pipeline::refresh::CensusRules::BACKOFF_DAYS),
        )?;
        let batch_size = r.pick(
            "batch_size",
            ("--batch-size", flags.batch_size),
            number,
            file.batch_size,
            MAX_BATCH,
        )?;
        check_range(&batch_size, "batch_size", 1, MAX_BATCH)?;
        let concurrency = r.pick(
            "concurrency",
            ("--concurrency", flags.concurrency),
            number,
            file.concurrency,
            4,
        )?;
        check_range(&concurrency, "concurrency", 1, 64)?;
        let token_file = r.pick(
            "token_file",
            ("--token-file", flags.token_file.clone().map(Some)),
            |t| Ok(Some(PathBuf::from(t))),
            file.token_file.clone().map(|(v, l)| (Some(v), l)),
            None,
        )?;
        let metrics_file = r.pick(
            "metrics_file",
            ("--metrics-file", flags.metrics_file.clone().map(Some)),
            |t| Ok(Some(PathBuf::from(t))),
            file.metrics_file.clone().map(|(v, l)| (Some(v), l)),
            None,
        )?;
        let default_gates = gate_list(&Gates::default());
        let mut gates = r.pick(
            "gates",
            ("--gate", None),
            parse_gate_list,
            file.gates.clone(),
            default_gates,
        )?;
        if !flags.gates.is_empty() {
            for &(gate, max) in &flags.gates {
                gates.value.retain(|(name, _)| name != gate.name());
                gates.value.push((gate.name().to_string(), max));
            }
            gates.from = Origin::Flag { flag: "--gate" };
        }
        let mut warnings = Vec::new();
        if let Some(w) = token_file
            .value
            .as_deref()
            .and_then(|p| token_file_warning(p, &token_file.from))
        {
            warnings.push(w);
        }
        Ok(Settings {
            file: file.path.clone(),
            api_base,
            plan: Sourced {
                value: plan.value.name().to_string(),
                from: plan.from,
            },
            price_per_user_usd: price,
            max_spend_usd: max_spend,
            max_spend_per_day_usd: max_spend_per_day,
            max_requests,
            stale_after,
            not_found_backoff,
            batch_size,
            concurrency,
            token_file,
            metrics_file,
            gates,
            warnings,
        })
    }

    /// The plan and price a harvest runs under.
    pub(crate) fn pricing(&self) -> Pricing {
        let plan = self.plan.value.parse().unwrap_or_default();
        Pricing {
            plan,
            price_micros: (self.price_per_user_usd.value * 1e6).round() as Micros,
        }
    }

    /// The gates in force, as the audit takes them.
    pub(crate) fn gates(&self) -> Gates {
        let mut g = Gates::none();
        for (name, max) in &self.gates.value {
            if let Ok(gate) = name.parse::<Gate>() {
                g.set(gate, *max);
            }
        }
        g
    }

    /// Every value as `key = value  (origin)` lines, for a person.
    pub(crate) fn lines(&self) -> Vec<String> {
        fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
            v.as_ref().map_or("none".to_string(), |v| v.to_string())
        }
        fn path(v: &Option<PathBuf>) -> String {
            v.as_ref()
                .map_or("none".to_string(), |p| p.display().to_string())
        }
        let gates = self
            .gates
            .value
            .iter()
            .map(|(n, m)| format!("{n}={m}"))
            .collect::<Vec<_>>()
            .join(",");
        let rows: Vec<(&str, String, &Origin)> = vec![
            ("api_base", self.api_base.value.clone(), &self.api_base.from),
            ("plan", self.plan.value.clone(), &self.plan.from),
            (
                "price_per_user",
                format!("{}", self.price_per_user_usd.value),
                &self.price_per_user_usd.from,
            ),
            (
                "max_spend",
                opt(&self.max_spend_usd.value),
                &self.max_spend_usd.from,
            ),
            (
                "max_spend_per_day",
                opt(&self.max_spend_per_day_usd.value),
                &self.max_spend_per_day_usd.from,
            ),
            (
                "max_requests",
                opt(&self.max_requests.value),
                &self.max_requests.from,
            ),
            (
                "stale_after",
                self.stale_after.value.to_string(),
                &self.stale_after.from,
            ),
            (
                "not_found_backoff",
                self.not_found_backoff.value.to_string(),
                &self.not_found_backoff.from,
            ),
            (
                "batch_size",
                self.batch_size.value.to_string(),
                &self.batch_size.from,
            ),
            (
                "concurrency",
                self.concurrency.value.to_string(),
                &self.concurrency.from,
            ),
            (
                "token_file",
                // Never the value: a token pasted in place of a path would be shown.
                match self.token_file.value {
                    Some(_) => "(set; not shown)".to_string(),
                    None => path(&None),
                },
                &self.token_file.from,
            ),
            (
                "metrics_file",
                path(&self.metrics_file.value),
                &self.metrics_file.from,
            ),
            ("gates", gates, &self.gates.from),
        ];
        rows.into_iter()
            .map(|(k, v, o)| format!("{k:<18} = {v:<32} ({o})"))
            .collect()
    }
}

fn usd(text: &str, key: &'static str) -> Result<f64, String> {
    let v: f64 = number(text)?;
    usd_to_micros(key, v).map_err(|e| e.to_string())?;
    Ok(v)
}

fn check_range(v: &Sourced<usize>, key: &str, lo: usize, hi: usize) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&v.value) {
        return Ok(());
    }
    let reason = format!("must be {lo} to {hi}, got {}", v.value);
    Err(match &v.from {
        Origin::File { path, line } => ConfigError::Invalid {
            path: path.clone(),
            line: *line,
            key: key.to_string(),
            reason,
        },
        Origin::Env { var } => ConfigError::Env { var, reason },
        Origin::Flag { flag } => ConfigError::Flag { flag, reason },
        Origin::Default => unreachable!("defaults are in range"),
    })
}

fn gate_list(g: &Gates) -> Vec<(String, usize)> {
    Gate::ALL
        .iter()
        .filter_map(|&gate| g.limit(gate).map(|m| (gate.name().to_string(), m)))
        .collect()
}

/// `zero_scores=0,unscored=5`: the form of INFLUX_GATES.
fn parse_gate_list(text: &str) -> Result<Vec<(String, usize)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, max) = part
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=MAX, got {part:?}"))?;
        let gate: Gate = name
            .parse()
            .map_err(|e: crate::pipeline::audit::UnknownGate| e.to_string())?;
        out.push((gate.name().to_string(), number(max.trim())?));
    }
    Ok(out)
}

/// A warning when the token file can be read by anyone but its owner (or cannot be read). The
/// path is never named, only where it was given (`from`): a token pasted into the setting
/// instead of a path would otherwise be printed.
pub(crate) fn token_file_warning(path: &Path, from: &Origin) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Err(e) => Some(format!(
            "the token file given by {from} cannot be read: {e}"
        )),
        Ok(m) if m.permissions().mode() & 0o077 != 0 => Some(format!(
            "the token file given by {from} can be read by others (mode {:o}): chmod 600 it",
            m.permissions().mode() & 0o777
        )),
        Ok(_) => None,
    }
}

fn hidden_token_file<S: serde::Serializer>(
    v: &Sourced<Option<PathBuf>>,
    out: S,
) -> Result<S::Ok, S::Error> {
    Sourced {
        value: v.value.as_ref().map(|_| "(set; not shown)"),
        from: v.from.clone(),
    }
    .serialize(out)
}

/// Why no token could be had, in words that never hold the token setting's value (see
/// [`token_file_warning`]).
pub(crate) fn token_error_words(e: &TokenError, from: &Origin) -> String {
    match e {
        TokenError::Unreadable { source, .. } => {
            format!("cannot read the token file given by {from}: {source}")
        }
        TokenError::EmptyFile { .. } => format!("the token file given by {from} is empty"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn write(dir: &DataDir, text: &str) -> PathBuf {
        let path = dir.config_file();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file_which_beats_the_default() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        let path = write(
            &dir,
            "batch_size = 50\nconcurrency = 2\nstale_after = \"14d\"\n\n[caps]\nmax_spend = 3.5\n",
        );
        let env = |k: &str| (k == "INFLUX_CONCURRENCY").then(|| "3".to_string());
        let flags = Overrides {
            batch_size: Some(20),
            ..Overrides::default()
        };
        let s = Settings::resolve(&dir, None, &flags, &env).unwrap();
        assert_eq!(s.batch_size.value, 20);
        assert_eq!(
            s.batch_size.from,
            Origin::Flag {
                flag: "--batch-size"
            }
        );
        assert_eq!(s.concurrency.value, 3);
        assert_eq!(
            s.concurrency.from,
            Origin::Env {
                var: "INFLUX_CONCURRENCY"
            }
        );
        assert_eq!(s.stale_after.value, Age::days(14));
        assert_eq!(
            s.stale_after.from,
            Origin::File {
                path: path.clone(),
                line: 3
            }
        );
        assert_eq!(s.max_spend_usd.value, Some(3.5));
        assert_eq!(s.max_spend_usd.from, Origin::File { path, line: 6 });
        assert_eq!(s.max_requests.from, Origin::Default);
        assert_eq!(s.price_per_user_usd.value, 0.01);
    }

    #[test]
    fn a_bad_environment_value_names_its_variable() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        let env = |k: &str| (k == "INFLUX_BATCH_SIZE").then(|| "many".to_string());
        let e = Settings::resolve(&dir, None, &Overrides::default(), &env).unwrap_err();
        assert!(
            e.to_string().starts_with("environment INFLUX_BATCH_SIZE:"),
            "{e}"
        );
    }

    #[test]
    fn an_out_of_range_file_value_names_the_file_line_and_key() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        write(&dir, "# weekly\nbatch_size = 500\n");
        let e = Settings::resolve(&dir, None, &Overrides::default(), &no_env).unwrap_err();
        let text = e.to_string();
        assert!(
            text.ends_with("influx.toml:2: batch_size: must be 1 to 100, got 500"),
            "{text}"
        );
    }

    #[test]
    fn configured_gates_replace_the_defaults_and_a_flag_adds_to_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        write(&dir, "[gates]\nunscored = 5\nmismatch = 0\n");
        let flags = Overrides {
            gates: vec![(Gate::ZeroScores, 2)],
            ..Overrides::default()
        };
        let s = Settings::resolve(&dir, None, &flags, &no_env).unwrap();
        let g = s.gates();
        assert_eq!(g.limit(Gate::Unscored), Some(5));
        assert_eq!(g.limit(Gate::ZeroScores), Some(2));
        assert_eq!(g.limit(Gate::Placeholders), None);
    }

    #[test]
    fn a_token_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        let token = dir.root().join("token");
        std::fs::write(&token, "secret").unwrap();
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        let flags = Overrides {
            token_file: Some(token.clone()),
            ..Overrides::default()
        };
        let s = Settings::resolve(&dir, None, &flags, &no_env).unwrap();
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(s.warnings[0].contains("chmod 600"));
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
        let s = Settings::resolve(&dir, None, &flags, &no_env).unwrap();
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn a_token_pasted_into_token_file_is_never_echoed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        std::fs::write(dir.config_file(), "token_file = \"tok-PASTED-9931\"\n").unwrap();
        let s = Settings::resolve(&dir, None, &Overrides::default(), &no_env).unwrap();
        let said = format!("{:?}", s.warnings);
        assert!(said.contains("influx.toml:1"), "names where: {said}");
        assert!(!said.contains("PASTED"), "{said}");
        let e =
            crate::pipeline::harvest::xapi::Token::from_file_or_env(s.token_file.value.as_deref())
                .unwrap_err();
        let words = token_error_words(&e, &s.token_file.from);
        assert!(words.contains("No such file"), "{words}");
        assert!(!words.contains("PASTED"), "{words}");
        let shown = format!("{} {:?}", serde_json::to_string(&s).unwrap(), s.lines());
        assert!(!shown.contains("PASTED"), "{shown}");
    }
}
