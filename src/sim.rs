//! The X API v2 simulator: a real HTTP server on loopback that answers the four users-lookup
//! endpoints and the discovery endpoints (a list, its members, an account's followings) like the
//! real API (bodies, partial errors, paging, rate-limit headers over each endpoint's configurable
//! window, bearer token) with deterministic profiles and lists, bills pay-per-use credits, and
//! injects faults on demand.
//! Used by `influx sim`, `influx demo` and the tests. Not a mock of any other X endpoint.

mod billing;
mod bodies;
mod cast;
mod config;
mod conn;
mod directory;
mod discover;
mod draw;
mod endpoints;
mod extras;
mod faults;
mod ids;
mod lists;
mod paging;
mod profiles;
mod routes;
mod server;
mod stats;
mod user_view;
mod window;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use config::{DEFAULT_PRICE_MICROS, EndpointWindow, SimConfig};
pub use faults::{DEFAULT_SLOW, Fault, FaultControl, FaultPlan, UnknownFault};
pub use ids::{TWITTER_EPOCH_MS, snowflake_time};
pub use lists::{AI_LIST, NEWS_LIST, PRIVATE_LIST_ID, SEED_FOLLOWING, SEED_HANDLE, SimList};
pub use stats::{Billing, ByEndpoint, EndpointCounts, FaultsApplied, RateLimited, SimStats};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot start the simulator's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the simulator's thread stopped before it was listening")]
    ThreadGone,
}

/// A running simulator. Dropping it shuts the server down.
pub struct SimServer {
    addr: SocketAddr,
    faults: Arc<FaultControl>,
    counters: Arc<stats::Counters>,
    ledger: Arc<billing::Ledger>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl SimServer {
    /// Binds 127.0.0.1 (port from the config, 0 = any free one) and serves on the current
    /// tokio runtime.
    pub async fn start(config: SimConfig) -> Result<SimServer, SimError> {
        let port = config.port;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|source| SimError::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { port, source })?;
        let faults = Arc::new(FaultControl::new(config.seed, config.faults.clone()));
        let counters = Arc::new(stats::Counters::default());
        let ledger = Arc::new(billing::Ledger::new(config.credits, config.price_micros));
        let shared = Arc::new(server::Shared::new(
            &config,
            faults.clone(),
            counters.clone(),
            ledger.clone(),
        ));
        let app = routes::router(shared).into_make_service_with_connect_info::<conn::ConnHandle>();
        let (tx, rx) = oneshot::channel::<()>();
        let serving =
            axum::serve(conn::SimListener::new(listener), app).with_graceful_shutdown(async move {
                // A dropped sender is a shutdown too.
                let _ = rx.await;
            });
        tokio::spawn(async move {
            if let Err(e) = serving.await {
                tracing::warn!("simulator stopped with an error: {e}");
            }
        });
        Ok(SimServer {
            addr,
            faults,
            counters,
            ledger,
            shutdown: Some(tx),
            thread: None,
        })
    }

    /// Starts the simulator on a runtime of its own, in its own thread, for callers without
    /// a runtime (the console, synchronous tests).
    pub fn start_background(config: SimConfig) -> Result<SimServer, SimError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("influx-sim")
            .enable_all()
            .build()
            .map_err(SimError::Runtime)?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("influx-sim".into())
            .spawn(move || {
                let started = runtime.block_on(SimServer::start(config));
                match started {
                    Ok(inner) => {
                        let _ = ready_tx.send(Ok((
                            inner.addr,
                            inner.faults.clone(),
                            inner.counters.clone(),
                            inner.ledger.clone(),
                        )));
                        runtime.block_on(async move {
                            let _ = stop_rx.await;
                            drop(inner);
                        });
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
                // Connections still in a slow answer are cut here rather than waited for.
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(SimError::Runtime)?;
        let (addr, faults, counters, ledger) =
            ready_rx.recv().map_err(|_| SimError::ThreadGone)??;
        Ok(SimServer {
            addr,
            faults,
            counters,
            ledger,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, to use as a client's API base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> SimStats {
        let mut stats = self.counters.snapshot();
        stats.billing = self.ledger.snapshot();
        stats
    }

    /// Adds `micros` micro-USD to the account's balance while the server runs. When credits were
    /// not modelled, they are from now on, starting from this balance.
    pub fn top_up(&self, micros: u64) {
        self.ledger.top_up(micros);
    }

    /// Changes faults while the server runs.
    pub fn faults(&self) -> &FaultControl {
        &self.faults
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
