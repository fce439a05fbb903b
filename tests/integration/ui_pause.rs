//! The console's `p` promise, held by the engine it drives: once a run is paused no request
//! leaves (only those already in flight land), even from batches that were spawned before the
//! pause and were waiting on the rate-limit window or their pacing slot.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::common::{fast_retry, list, names};
use influx::pipeline::harvest::budget::BudgetConfig;
use influx::pipeline::harvest::events::{HarvestCommand, HarvestEvent};
use influx::pipeline::harvest::xapi::{ClientConfig, Token};
use influx::pipeline::harvest::{HarvestConfig, RunOutcome, start};
use influx::sim::{SimConfig, SimServer};

const TOKEN: &str = "test-token-pause";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_run_sends_no_request_even_from_batches_waiting_on_the_window() {
    let sim = SimServer::start(SimConfig {
        token: Some(TOKEN.into()),
        latency: Duration::from_millis(20),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = ClientConfig::new(&sim.base_url(), Token::new(TOKEN).unwrap());
    let mut config = HarvestConfig::new(dir.path(), client);
    config.batch_size = 2;
    config.concurrency = 4;
    // Two requests a 400 ms window: of the four batches spawned, two wait for the window.
    config.budget = BudgetConfig::new(NonZeroU32::new(2), Duration::from_millis(400));
    config.retry = fast_retry();
    let mut live = start(config, list(&names("pause", 24))).unwrap();
    let mut held = None;
    let mut pause_sent = false;
    while let Some(event) = live.events.recv().await {
        if !pause_sent && matches!(event, HarvestEvent::BatchDone { .. }) {
            pause_sent = true;
            live.commands.send(HarvestCommand::Pause).await.unwrap();
        }
        if matches!(event, HarvestEvent::Paused) {
            // What was in flight lands; after that, three windows pass without a request.
            tokio::time::sleep(Duration::from_millis(150)).await;
            let landed = sim.stats().requests;
            tokio::time::sleep(Duration::from_millis(1300)).await;
            held = Some((landed, sim.stats().requests));
            live.commands.send(HarvestCommand::Resume).await.unwrap();
        }
    }
    let report = live.finished.await.unwrap();
    let (landed, after) = held.expect("the run was paused");
    assert_eq!(after, landed, "requests were sent while paused");
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(report.summary.harvested, 24);
}
