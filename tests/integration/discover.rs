//! Discovery against the simulator: two lists and one seed's following read through the harvest
//! engine, billed in the ledger to the cent of the simulator's own bill, every candidate decided
//! by the admission rules with the rule that fired, the admitted merged with no override flag, an
//! operator's word kept across the next discovery, and a second run the same UTC day billing
//! nothing new.

use std::path::Path;
use std::time::Duration;

use influx::pipeline::admission::Decision;
use influx::pipeline::candidates::Candidates;
use influx::pipeline::data_dir::DataDir;
use influx::pipeline::harvest::budget::BudgetConfig;
use influx::pipeline::harvest::events::HarvestEvent;
use influx::pipeline::harvest::ledger::read_entries;
use influx::pipeline::harvest::xapi::{ClientConfig, Token};
use influx::pipeline::harvest::{Endpoint, HarvestConfig, RunOutcome};
use influx::pipeline::jobs::discover::{DiscoverSources, DiscoveryReport, discover, plan};
use influx::sim::{AI_LIST, NEWS_LIST, SEED_FOLLOWING, SEED_HANDLE, SimConfig, SimServer};

use crate::common::fast_retry;

const TOKEN: &str = "test-token-discover";

fn sim_config() -> SimConfig {
    SimConfig {
        token: Some(TOKEN.into()),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        tweet_error_rate: 0.0,
        ..SimConfig::default()
    }
}

fn config(sim: &SimServer, data: &Path, run: &str) -> HarvestConfig {
    let client = ClientConfig::new(&sim.base_url(), Token::new(TOKEN).unwrap());
    let mut c = HarvestConfig::new(&data.join("runs").join(run), client);
    c.data_dir = Some(DataDir::new(data));
    c.budget = BudgetConfig::new(None, Duration::from_secs(2));
    for b in c.page_budgets.values_mut() {
        // The simulator's headers rule the pacing; no ahead-of-time spreading over 15 minutes.
        *b = BudgetConfig::new(None, Duration::from_secs(2));
    }
    c.retry = fast_retry();
    c
}

fn sources() -> DiscoverSources {
    DiscoverSources {
        lists: vec![AI_LIST.id.to_string(), NEWS_LIST.id.to_string()],
        following: vec![SEED_HANDLE.to_string()],
        ..DiscoverSources::default()
    }
}

async fn run(sim: &SimServer, data: &Path, name: &str) -> DiscoveryReport {
    let mut events = Vec::new();
    let mut watch = |e: HarvestEvent| events.push(format!("{e:?}"));
    discover(
        config(sim, data, name),
        &DataDir::new(data),
        sources(),
        &mut watch,
    )
    .await
    .expect("the discovery runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_lists_and_a_seeds_following_are_read_billed_to_the_cent_decided_and_the_admitted_merged()
 {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let data = tempfile::tempdir().unwrap();

    let planned = plan(
        &config(&sim, data.path(), "plan"),
        &DataDir::new(data.path()),
        &sources(),
    )
    .await
    .unwrap();
    assert_eq!(
        planned
            .lists
            .iter()
            .map(|l| l.member_count)
            .collect::<Vec<_>>(),
        vec![Some(AI_LIST.members as u64), Some(NEWS_LIST.members as u64)]
    );
    assert_eq!(
        planned.requests.get(&Endpoint::ListMembers).copied(),
        Some((AI_LIST.members as u64).div_ceil(100) + (NEWS_LIST.members as u64).div_ceil(100))
    );
    assert_eq!(planned.seeds[0].known_from, "lookup");

    let report = run(&sim, data.path(), "first").await;
    assert_eq!(report.outcome, Some(RunOutcome::Complete), "{report:?}");
    assert_eq!(
        report
            .per_source
            .get(&format!("list {}", AI_LIST.id))
            .copied(),
        Some(AI_LIST.members)
    );
    assert_eq!(
        report
            .per_source
            .get(&format!("following of @{SEED_HANDLE}"))
            .copied(),
        Some(SEED_FOLLOWING)
    );
    // The ledger's bill (every run of the directory: the seed's lookup and the pages) is the
    // simulator's, to the cent.
    let ledger: u64 = read_entries(&DataDir::new(data.path()))
        .unwrap()
        .iter()
        .map(|e| e.cost_micros)
        .sum();
    assert_eq!(ledger, sim.stats().billing.billed_micros);
    assert!(ledger > 0);

    // Every candidate has a decision; organisations, small, protected, parody, inactive and
    // sample accounts are kept out, each with its rule.
    let candidates = Candidates::load(&DataDir::new(data.path())).unwrap();
    assert!(candidates.len() > 100, "{}", candidates.len());
    let counts = candidates.counts();
    assert!(
        counts.get(&Decision::Admitted).copied().unwrap_or(0) > 0,
        "{counts:?}"
    );
    let fired: std::collections::BTreeSet<&str> = candidates
        .iter()
        .flat_map(|c| c.reasons.iter().map(|r| r.rule.as_str()))
        .collect();
    for rule in [
        "below_threshold",
        "protected",
        "parody",
        "inactive",
        "org_verified_type",
    ] {
        assert!(
            fired.contains(rule),
            "no candidate excluded by {rule}: {fired:?}"
        );
    }
    for c in candidates
        .iter()
        .filter(|c| c.decision == Decision::Excluded)
    {
        assert!(
            !c.reasons.is_empty(),
            "@{} excluded with no reason",
            c.handle
        );
    }

    // The admitted were merged with no override flag.
    let merged = report.merged.as_ref().expect("the admitted are merged");
    assert_eq!(merged.count, report.admitted as u64);

    // A second discovery the same UTC day reads every page again and bills nothing new.
    let billed = sim.stats().billing.billed_micros;
    let again = run(&sim, data.path(), "second").await;
    assert_eq!(again.outcome, Some(RunOutcome::Complete));
    assert_eq!(sim.stats().billing.billed_micros, billed);
    assert_eq!(again.cost_usd, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_word_outranks_the_rules_and_holds_across_the_next_discovery() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    run(&sim, data.path(), "first").await;
    let mut candidates = Candidates::load(&DataDir::new(data.path())).unwrap();
    let excluded = candidates
        .iter()
        .find(|c| c.decision == Decision::Excluded)
        .expect("the rules exclude someone")
        .handle
        .clone();
    candidates.operator(
        &excluded,
        Decision::Admitted,
        "known researcher",
        chrono::Utc::now(),
    );
    candidates.save(&DataDir::new(data.path())).unwrap();

    run(&sim, data.path(), "second").await;
    let after = Candidates::load(&DataDir::new(data.path())).unwrap();
    let c = after.get(&excluded).unwrap();
    assert_eq!(c.decision, Decision::Admitted);
    assert_eq!(c.decided_by, "operator");
    assert_eq!(c.rules_decision, Some(Decision::Excluded));
    assert_eq!(c.operator.as_ref().unwrap().why, "known researcher");
}
