//! How a run is set up, whoever starts it (`harvest`, `discover`, `refresh`, its renamed-account
//! look-up, the console): the operator's choices of endpoint, token, plan, pacing and caps, and the
//! one place that turns them into a [`HarvestConfig`] for a run of a data directory.
//!
//! Each caller reads its choices its own way (flags, a resumed run's header, `influx.toml`, the
//! environment, the console's settings), but what a run of a data directory needs besides them
//! (its ledger, its admission rules and operator's words) is filled in here only, so no caller
//! can start a run that is priced outside the ledger or judged by the bundled rules by mistake.

use std::path::Path;

use super::budget::BudgetConfig;
use super::xapi::{ClientConfig, MAX_BATCH, Token};
use super::{HarvestConfig, Micros, Pricing, RetryPolicy};
use crate::pipeline::candidates::{Judgement, JudgementError};
use crate::pipeline::data_dir::DataDir;

/// The operator's choices for a run.
#[derive(Debug, Clone)]
pub(crate) struct HarvestSetup {
    pub api_base: String,
    pub token: Token,
    pub pricing: Pricing,
    pub budget: BudgetConfig,
    /// Handles per request, 1 to 100.
    pub batch_size: usize,
    /// Requests in flight at once (when the budget allows); at least 1.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// The most the run may spend over all its attempts.
    pub max_spend: Option<Micros>,
    /// The most requests the run may send over all its attempts.
    pub max_requests: Option<u64>,
}

impl HarvestSetup {
    /// The defaults of a run against `api_base`: the default plan's price and window, full
    /// batches, no caps.
    pub(crate) fn new(api_base: &str, token: Token) -> HarvestSetup {
        let pricing = Pricing::default();
        HarvestSetup {
            api_base: api_base.to_string(),
            token,
            pricing,
            budget: BudgetConfig::for_plan(pricing.plan.limits()),
            batch_size: MAX_BATCH,
            concurrency: HarvestConfig::DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
            max_spend: None,
            max_requests: None,
        }
    }

    /// A run written to `run_dir` for the data directory `data_dir`: priced in its ledger (and
    /// holding its harvest lock), every record judged by its admission rules and its operator's
    /// words. The caller adds what is its own (handles file, resume, paged sources).
    pub(crate) fn config(
        &self,
        run_dir: &Path,
        data_dir: &DataDir,
    ) -> Result<HarvestConfig, JudgementError> {
        let mut config = HarvestConfig::new(
            run_dir,
            ClientConfig::new(&self.api_base, self.token.clone()),
        );
        config.pricing = self.pricing;
        config.budget = self.budget.clone();
        config.batch_size = self.batch_size;
        config.concurrency = self.concurrency.max(1);
        config.retry = self.retry.clone();
        config.max_spend = self.max_spend;
        config.max_requests = self.max_requests;
        config.data_dir = Some(data_dir.clone());
        config.judgement = Judgement::of_data_dir(data_dir)?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_a_data_directory_is_priced_in_its_ledger_and_judged_by_its_rules() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        let mut own: serde_json::Value =
            serde_json::from_str(include_str!("../../../assets/admission/rules.json")).unwrap();
        own["version"] = "this-directory-1".into();
        std::fs::write(dir.root().join("rules.json"), own.to_string()).unwrap();
        std::fs::write(dir.config_file(), "admission_rules = \"rules.json\"\n").unwrap();
        let mut setup = HarvestSetup::new("http://127.0.0.1:9", Token::new("t").unwrap());
        setup.concurrency = 0;
        setup.max_spend = Some(1_500_000);
        setup.max_requests = Some(7);
        setup.batch_size = 25;
        let config = setup.config(&dir.runs_dir().join("r"), &dir).unwrap();
        assert_eq!(config.data_dir, Some(dir.clone()));
        assert_eq!(config.out_dir, dir.runs_dir().join("r"));
        assert_eq!(
            config.concurrency, 1,
            "no run sends with zero requests in flight"
        );
        assert_eq!(
            (config.max_spend, config.max_requests, config.batch_size),
            (Some(1_500_000), Some(7), 25)
        );
        assert_eq!(config.judgement.rules.version, "this-directory-1");
    }

    #[test]
    fn a_broken_rules_file_stops_the_setup_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        std::fs::write(dir.config_file(), "admission_rules = \"rules.json\"\n").unwrap();
        std::fs::write(dir.root().join("rules.json"), "{ not json").unwrap();
        let setup = HarvestSetup::new("http://127.0.0.1:9", Token::new("t").unwrap());
        let err = setup.config(&dir.runs_dir().join("r"), &dir).unwrap_err();
        assert!(err.to_string().contains("rules.json"), "{err}");
    }
}
