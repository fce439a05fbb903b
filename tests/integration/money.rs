//! Harvesting under pay-per-use pricing, against the simulator's credits: the ledger agrees with
//! what the API billed to the cent, the plan's estimate is a ceiling that exceeds the bill by
//! exactly the handles not found, a spend cap is used but never passed, a 402 stops the run at
//! once and a resume after a top-up finishes it without asking again, and both rate windows
//! (the header's own length, and the 24-hour one) are paced without a 429.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common;

use common::{fast_retry, list, names, run_to_end as run};
use influx::pipeline::data_dir::DataDir;
use influx::pipeline::harvest::budget::BudgetConfig;
use influx::pipeline::harvest::events::HarvestEvent;
use influx::pipeline::harvest::ledger::read_entries;
use influx::pipeline::harvest::xapi::{ClientConfig, Token};
use influx::pipeline::harvest::{CostPlan, HarvestConfig, RunOutcome, StopReason, plan};
use influx::sim::{SimConfig, SimServer};

const TOKEN: &str = "test-token-money";
const CENT: u64 = 10_000;

fn sim_config() -> SimConfig {
    SimConfig {
        token: Some(TOKEN.into()),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        tweet_error_rate: 0.0,
        ..SimConfig::default()
    }
}

/// A run of `data`'s, in its own run directory, unpaced unless a test says otherwise.
fn config(sim: &SimServer, data: &Path, run: &str) -> HarvestConfig {
    let client = ClientConfig::new(&sim.base_url(), Token::new(TOKEN).unwrap());
    let mut c = HarvestConfig::new(&data.join("runs").join(run), client);
    c.data_dir = Some(DataDir::new(data));
    c.batch_size = 10;
    c.concurrency = 2;
    c.budget = BudgetConfig::new(None, Duration::from_secs(2));
    c.retry = fast_retry();
    c.score = false;
    c
}

fn planned(events: &[HarvestEvent]) -> CostPlan {
    events
        .iter()
        .find_map(|e| match e {
            HarvestEvent::Planned(p) => Some(p.clone()),
            _ => None,
        })
        .expect("the run states its plan before its first request")
}

fn micros(usd: f64) -> u64 {
    (usd * 1e6).round() as u64
}

#[tokio::test]
async fn the_ledger_bills_what_the_api_billed_to_the_cent_and_the_plan_exceeds_it_by_the_handles_not_found()
 {
    let sim = SimServer::start(SimConfig {
        not_found: vec!["gone1".into(), "gone2".into(), "gone3".into()],
        ..sim_config()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut first = names("author", 47);
    first.extend(["gone1", "gone2", "gone3"].map(String::from));

    let (report, events) = run(config(&sim, data.path(), "one"), list(&first)).await;
    assert_eq!(report.outcome, RunOutcome::Complete);
    let billed = sim.stats().billing.billed_micros;
    assert_eq!(billed, 47 * CENT);
    assert_eq!(micros(report.summary.cost_usd), billed, "to the cent");
    let plan = planned(&events);
    assert_eq!(
        plan.cost_micros - billed,
        3 * CENT,
        "the 3 handles not found cost nothing"
    );
    assert_eq!(report.summary.not_found.len(), 3);

    // A second run the same UTC day re-reads 20 of them: free, as the API bills them.
    let mut second = names("author", 20);
    second.extend(names("new", 10));
    let (report, events) = run(config(&sim, data.path(), "two"), list(&second)).await;
    let plan = planned(&events);
    assert_eq!(plan.free_rereads, 20);
    assert_eq!(plan.cost_micros, 10 * CENT);
    let billed_now = sim.stats().billing.billed_micros - billed;
    assert_eq!(micros(report.summary.cost_usd), billed_now);
    assert_eq!(report.summary.free_rereads, 20);
    assert_eq!(report.summary.users_billed, 10);

    // The ledger holds one line per answered request, and its sum is the API's bill.
    let entries = read_entries(&DataDir::new(data.path())).unwrap();
    let total: u64 = entries.iter().map(|e| e.cost_micros).sum();
    assert_eq!(total, sim.stats().billing.billed_micros);
    assert_eq!(entries.len() as u64, report.summary.requests + 5);
}

#[tokio::test]
async fn a_spend_cap_is_used_to_the_cent_never_passed_and_a_resume_with_a_higher_cap_finishes() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let handles = names("capped", 95);
    let mut c = config(&sim, data.path(), "cap");
    c.max_spend = Some(33 * CENT); // 3 batches of 10, then a last request shrunk to 3 handles
    c.concurrency = 3;
    let (report, _) = run(c.clone(), list(&handles)).await;
    assert_eq!(report.outcome, RunOutcome::Incomplete);
    let stop = report
        .summary
        .stopped
        .clone()
        .expect("the cap stops the run");
    assert_eq!(stop.reason, StopReason::SpendCap);
    assert!(stop.detail.contains("--resume"), "{}", stop.detail);
    assert_eq!(
        sim.stats().billing.billed_micros,
        33 * CENT,
        "the cap is used, not left unspent"
    );
    assert_eq!(report.summary.harvested, 33);
    assert_eq!(report.summary.pending, 62);

    c.resume = true;
    c.max_spend = Some(200 * CENT);
    let (report, _) = run(c, list(&handles)).await;
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(report.summary.harvested, 95);
    assert_eq!(sim.stats().found, 95, "no answered handle asked again");
    assert_eq!(micros(report.summary.cost_usd), 95 * CENT);
}

#[tokio::test]
async fn a_402_stops_the_run_at_once_and_a_resume_after_a_top_up_asks_no_answered_handle_again() {
    let sim = SimServer::start(SimConfig {
        credits: Some(45 * CENT),
        ..sim_config()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let handles = names("credit", 200);
    let mut c = config(&sim, data.path(), "credits");
    c.concurrency = 4;
    let (report, events) = run(c.clone(), list(&handles)).await;
    assert_eq!(report.outcome, RunOutcome::Stopped);
    let stop = report.summary.stopped.clone().unwrap();
    assert_eq!(stop.reason, StopReason::CreditsDepleted);
    assert!(
        stop.detail.contains("no credits left") && stop.detail.contains("influx harvest --resume"),
        "{}",
        stop.detail
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, HarvestEvent::RunStopped(_)))
    );
    let stats = sim.stats();
    // Requests after the first 402 are at most those already in flight beside it.
    let refused = stats.status(402);
    assert!((1..=4).contains(&refused), "{refused} answers of 402");
    assert_eq!(stats.status(200) * 10, stats.found);
    let answered_before = stats.found;

    sim.top_up(1_000 * CENT);
    c.resume = true;
    let (report, _) = run(c, list(&handles)).await;
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(report.summary.harvested, 200);
    assert_eq!(
        sim.stats().found,
        200,
        "the {answered_before} answered before were not asked again"
    );
    assert_eq!(
        micros(report.summary.cost_usd),
        sim.stats().billing.billed_micros,
        "the bill over both attempts, to the cent"
    );
}

#[tokio::test]
async fn a_dry_run_plan_sends_nothing_and_prices_only_handles_not_read_today() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let c = config(&sim, data.path(), "plan");
    let p = plan(&c, &list(&names("p", 250))).unwrap();
    assert_eq!(
        (p.handles, p.requests, p.cost_micros),
        (250, 25, 250 * CENT)
    );
    assert_eq!(sim.stats().requests, 0, "a plan sends nothing");
    assert!(!c.out_dir.exists(), "and writes nothing");
}

#[tokio::test]
async fn requests_are_paced_over_the_window_the_headers_give_not_over_the_configured_one() {
    // The server allows 10 requests per 2 s; the client is left at its defaults (300 per 900 s).
    let sim = SimServer::start(SimConfig {
        limit: 10,
        window: Duration::from_secs(2),
        ..sim_config()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut c = config(&sim, data.path(), "paced");
    c.budget = BudgetConfig::default();
    c.concurrency = 1;
    let started = Instant::now();
    let (report, events) = run(c, list(&names("w", 250))).await;
    let took = started.elapsed();
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(sim.stats().status(429), 0, "no 429 from the window");
    // 25 requests over 2 s windows of 10: two waits for a reset, about 4-5 s; pacing by the
    // configured window would have spread 10 requests over 900 s.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let warned = events.iter().any(
        |e| matches!(e, HarvestEvent::Log { message, .. } if message.contains("clocks disagree")),
    );
    assert!(
        !warned,
        "a reset rounded up to the next second is not clock skew"
    );
}

#[tokio::test]
async fn a_spent_24_hour_budget_stops_the_run_without_a_429_and_a_short_one_is_waited_for() {
    let sim = SimServer::start(SimConfig {
        daily_limit: Some(3),
        ..sim_config()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut c = config(&sim, data.path(), "daily");
    c.concurrency = 1;
    let (report, _) = run(c, list(&names("d", 60))).await;
    assert_eq!(report.outcome, RunOutcome::Stopped);
    assert_eq!(
        report.summary.stopped.unwrap().reason,
        StopReason::DailyLimit
    );
    assert_eq!(sim.stats().requests, 3, "exactly the day's budget was sent");
    assert_eq!(sim.stats().status(429), 0);

    // A daily window that reopens within a rate window is waited for, not given up on.
    let sim = SimServer::start(SimConfig {
        daily_limit: Some(2),
        daily_window: Duration::from_secs(2),
        ..sim_config()
    })
    .await
    .unwrap();
    let mut c = config(&sim, data.path(), "daily-short");
    c.concurrency = 1;
    let (report, _) = run(c, list(&names("e", 50))).await;
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(sim.stats().status(429), 0);
}

#[tokio::test]
async fn a_plan_s_daily_cap_is_paced_before_any_header_says_so() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut c = config(&sim, data.path(), "basic");
    c.concurrency = 1;
    c.budget.daily_limit = std::num::NonZeroU32::new(2);
    let (report, _) = run(c, list(&names("b", 40))).await;
    assert_eq!(
        report.summary.stopped.unwrap().reason,
        StopReason::DailyLimit
    );
    assert_eq!(sim.stats().requests, 2);
    let answered: HashSet<u64> = read_entries(&DataDir::new(data.path()))
        .unwrap()
        .iter()
        .map(|e| e.response_line)
        .collect();
    assert_eq!(
        answered.len(),
        2,
        "each answered request is in the ledger once"
    );
}
