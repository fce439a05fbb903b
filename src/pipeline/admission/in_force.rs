//! Which admission rules are in force for a data directory: the bundled ones, or the file
//! `admission_rules` in its influx.toml names (relative to the data directory), so an operator
//! can change a threshold or a term without a new build. An unreadable or broken file is an
//! error naming the file and the line, never a silent fall-back to the bundled rules.

use std::path::PathBuf;

use super::{Rules, RulesError};
use crate::config::FileValues;
use crate::pipeline::data_dir::DataDir;

/// Why the data directory's rules cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesInForceError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(
        "cannot read the admission rules {path} (admission_rules, {config} line {line}): {source}"
    )]
    Unreadable {
        path: PathBuf,
        config: PathBuf,
        line: usize,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Broken { path: PathBuf, source: RulesError },
}

impl Rules {
    /// The rules in force for `data_dir`.
    pub(crate) fn in_force(data_dir: &DataDir) -> Result<Rules, RulesInForceError> {
        let config = data_dir.config_file();
        if !config.exists() {
            return Ok(Rules::shared().clone());
        }
        let values = FileValues::read(&config)?;
        let Some((file, line)) = values.admission_rules else {
            return Ok(Rules::shared().clone());
        };
        let path = if file.is_absolute() {
            file
        } else {
            data_dir.root().join(file)
        };
        let text =
            std::fs::read_to_string(&path).map_err(|source| RulesInForceError::Unreadable {
                path: path.clone(),
                config: config.clone(),
                line,
                source,
            })?;
        Rules::parse(&text).map_err(|source| RulesInForceError::Broken { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_a_say_uses_the_bundled_rules() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Rules::in_force(&DataDir::new(dir.path())).unwrap().version,
            Rules::bundled().version
        );
    }

    #[test]
    fn influx_toml_names_a_rules_file_that_replaces_the_bundled_one() {
        let dir = tempfile::tempdir().unwrap();
        let bundled = include_str!("../../../assets/admission/rules.json");
        let mine = bundled.replacen(
            &format!("\"version\": \"{}\"", Rules::bundled().version),
            "\"version\": \"ours-1\"",
            1,
        );
        assert_ne!(mine, bundled, "the bundled file names its version");
        std::fs::write(dir.path().join("rules.json"), mine).unwrap();
        std::fs::write(
            DataDir::new(dir.path()).config_file(),
            "admission_rules = \"rules.json\"\n",
        )
        .unwrap();
        assert_eq!(
            Rules::in_force(&DataDir::new(dir.path())).unwrap().version,
            "ours-1"
        );
    }

    #[test]
    fn a_broken_rules_file_is_an_error_naming_it_and_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rules.json"), "{\n  \"version\": \n}").unwrap();
        std::fs::write(
            DataDir::new(dir.path()).config_file(),
            "admission_rules = \"rules.json\"\n",
        )
        .unwrap();
        let e = Rules::in_force(&DataDir::new(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rules.json") && e.contains("line 3"), "{e}");
        std::fs::write(
            DataDir::new(dir.path()).config_file(),
            "admission_rules = \"missing.json\"\n",
        )
        .unwrap();
        let e = Rules::in_force(&DataDir::new(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.json") && e.contains("line 1"), "{e}");
    }
}
