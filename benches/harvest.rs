//! Harvest throughput: 100,000 handles looked up through the in-process simulator with the rate
//! limit off, written, journaled and scored, end to end (issue 5's target: 20,000 handles/s).
//! Criterion reports it as elements/s = handles/s; ten samples of one run each.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use influx::pipeline::harvest::budget::BudgetConfig;
use influx::pipeline::harvest::handles::parse_handles;
use influx::pipeline::harvest::xapi::{ClientConfig, Token};
use influx::pipeline::harvest::{HarvestConfig, RunOutcome, start};
use influx::sim::{SimConfig, SimServer};

const HANDLES: usize = 100_000;

fn harvest(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sim = SimServer::start_background(SimConfig {
        rate_limit: false,
        ..SimConfig::default()
    })
    .expect("simulator");
    let text: String = (0..HANDLES).map(|i| format!("bench_{i}\n")).collect();
    let input = parse_handles(&text);

    let mut group = c.benchmark_group("harvest");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(120));
    group.throughput(Throughput::Elements(HANDLES as u64));
    group.bench_function("100k handles, no limit, 16 in flight", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let client = ClientConfig::new(&sim.base_url(), Token::new("bench").expect("token"));
            let mut config = HarvestConfig::new(dir.path(), client);
            config.budget = BudgetConfig::new(None, Duration::from_secs(900));
            config.concurrency = 16;
            let report = runtime.block_on(async {
                let mut run = start(config, input.clone()).expect("run starts");
                while run.events.recv().await.is_some() {}
                run.finished.await.expect("run ends")
            });
            assert_eq!(report.outcome, RunOutcome::Complete);
        });
    });
    group.finish();
}

criterion_group!(benches, harvest);
criterion_main!(benches);
