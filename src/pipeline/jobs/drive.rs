//! Driving a harvest run to its end: every event goes to the caller's watcher, Ctrl-C and SIGTERM
//! (cron, systemd, `timeout`) cancel it the same way, and the run's report comes back. The one
//! loop every headless job uses for the engine (`harvest`, `discover`).

use std::time::Duration;

use tokio::sync::mpsc;

use crate::pipeline::harvest::events::{HarvestCommand, HarvestEvent};
use crate::pipeline::harvest::{HarvestRun, RunReport};

/// What watches a run: each event as it comes, and a tick a second (a progress bar's clock).
pub trait RunWatcher {
    fn event(&mut self, event: &HarvestEvent);
    fn tick(&mut self) {}
}

impl<F: FnMut(&HarvestEvent)> RunWatcher for F {
    fn event(&mut self, event: &HarvestEvent) {
        self(event)
    }
}

/// Why a run could not be driven.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("cannot listen for SIGTERM: {0}")]
    Signal(std::io::Error),
    #[error("the harvest engine ended abnormally: {0}")]
    Engine(#[from] tokio::task::JoinError),
}

/// Runs `run` to its end, handing every event to `watcher`. The first Ctrl-C or SIGTERM cancels
/// it: no new request is sent, answers in flight are kept, the journal and summary are written.
pub async fn drive(
    run: HarvestRun,
    watcher: &mut impl RunWatcher,
) -> Result<RunReport, DriveError> {
    drive_with(run, watcher, None).await
}

/// [`drive`] for a front end that steers the run too (the console: pause, resume, cancel, one
/// more handle): its commands are passed on to the run as they come.
pub async fn drive_with(
    mut run: HarvestRun,
    watcher: &mut impl RunWatcher,
    mut steering: Option<&mut mpsc::Receiver<HarvestCommand>>,
) -> Result<RunReport, DriveError> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(DriveError::Signal)?;
    let commands = run.commands.clone();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut interrupted = false;
    loop {
        tokio::select! {
            event = run.events.recv() => match event {
                Some(event) => watcher.event(&event),
                None => break,
            },
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                let _ = commands.send(HarvestCommand::Cancel).await;
            }
            _ = terminate.recv(), if !interrupted => {
                interrupted = true;
                let _ = commands.send(HarvestCommand::Cancel).await;
            }
            _ = ticker.tick() => watcher.tick(),
            Some(command) = next_command(&mut steering) => {
                let _ = commands.send(command).await;
            }
        }
    }
    Ok(run.finished.await?)
}

/// The steering front end's next command; never ready when there is none (or it has gone).
async fn next_command(
    steering: &mut Option<&mut mpsc::Receiver<HarvestCommand>>,
) -> Option<HarvestCommand> {
    match steering {
        Some(rx) => match rx.recv().await {
            Some(c) => Some(c),
            None => {
                *steering = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}
