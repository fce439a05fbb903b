//! How the console runs harvests of its data directory: the API it sends to, the token, the
//! request window, the batch size, the prices and the cap, and the census rules its `s` chooses
//! authors by. The demo sets them for its simulator; `influx console` takes the defaults. Not
//! here: the directory's layout (see `pipeline::data_dir`) or the harvest itself.

use crate::pipeline::candidates::JudgementError;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::budget::BudgetConfig;
use crate::pipeline::harvest::xapi::{MAX_BATCH, Token};
use crate::pipeline::harvest::{self, HarvestConfig, HarvestSetup, Micros, Pricing};
use crate::pipeline::refresh::CensusRules;

/// The console's settings for the harvests it starts.
#[derive(Debug, Clone)]
pub struct ConsoleHarvest {
    pub api_base: String,
    /// The token, when already known (the demo's simulator token); else read from
    /// X_BEARER_TOKEN when a harvest starts, and never shown.
    pub token: Option<Token>,
    pub budget: BudgetConfig,
    /// Handles per request (the demo uses small batches so progress is visible).
    pub batch_size: usize,
    pub pricing: Pricing,
    /// The most one harvest of the directory may spend.
    pub max_spend: Option<Micros>,
    /// How the refresh's census chooses the authors to harvest again (`now` is replaced by the
    /// moment of each choice): the console's `s` chooses by it too.
    pub census_rules: CensusRules,
}

impl ConsoleHarvest {
    /// The defaults: the real API's request window and prices, no cap, the refresh's rules.
    pub(crate) fn new(api_base: String) -> ConsoleHarvest {
        ConsoleHarvest {
            api_base,
            token: None,
            budget: BudgetConfig::default(),
            batch_size: MAX_BATCH,
            pricing: Pricing::default(),
            max_spend: None,
            census_rules: CensusRules::defaults(chrono::Utc::now()),
        }
    }

    /// A new run of `data`: in `DIR/runs/<time>`, priced in its ledger, under these settings,
    /// its records judged by the directory's admission rules and operator's words.
    pub(crate) fn config(
        &self,
        data: &DataDir,
        token: Token,
    ) -> Result<HarvestConfig, JudgementError> {
        let mut setup = HarvestSetup::new(&self.api_base, token);
        setup.budget = self.budget.clone();
        setup.batch_size = self.batch_size;
        setup.pricing = self.pricing;
        setup.max_spend = self.max_spend;
        setup.config(&harvest::new_run_dir(data), data)
    }
}
