//! Driving a harvest run to its end: every event goes to the caller's watcher, a stop (Ctrl-C
//! or SIGTERM for a headless command, the caller's cancel for a job that has its own, such as a
//! refresh) cancels it the same way, a steering front end's commands are passed on, and the
//! run's report comes back. The one loop every job uses for the engine (`harvest`, `discover`,
//! `refresh` and its look-ups by id).

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::pipeline::harvest::events::{HarvestCommand, HarvestEvent};
use crate::pipeline::harvest::{HarvestRun, RunReport};

/// What watches a run: each event as it comes, and a tick a second (a progress bar's clock).
pub trait RunWatcher {
    fn event(&mut self, event: HarvestEvent);
    fn tick(&mut self) {}
}

impl<F: FnMut(HarvestEvent)> RunWatcher for F {
    fn event(&mut self, event: HarvestEvent) {
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

/// What stops a run early.
pub(crate) enum Stop<'a> {
    /// Ctrl-C and SIGTERM (cron, systemd, `timeout`): a headless command's.
    Signals,
    /// The caller's own cancel (set to true), for a job that listens for signals itself.
    Cancel(&'a mut watch::Receiver<bool>),
}

/// Runs `run` to its end, handing every event to `watcher`. The first Ctrl-C or SIGTERM cancels
/// it: no new request is sent, answers in flight are kept, the journal and summary are written.
pub(crate) async fn drive(
    run: HarvestRun,
    watcher: &mut impl RunWatcher,
) -> Result<RunReport, DriveError> {
    drive_with(run, watcher, Stop::Signals, None).await
}

/// [`drive`] stopped by `stop`, and steered by a front end (the console: pause, resume,
/// cancel, one more handle) whose commands are passed on to the run as they come.
pub(crate) async fn drive_with(
    mut run: HarvestRun,
    watcher: &mut impl RunWatcher,
    stop: Stop<'_>,
    mut steering: Option<&mut mpsc::Receiver<HarvestCommand>>,
) -> Result<RunReport, DriveError> {
    let (mut terminate, mut cancel) = match stop {
        Stop::Signals => (
            Some(
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .map_err(DriveError::Signal)?,
            ),
            None,
        ),
        Stop::Cancel(rx) => (None, Some(rx)),
    };
    let signals = terminate.is_some();
    let commands = run.commands.clone();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut stopped = false;
    // A cancel set before the run started counts too.
    if cancel.as_ref().is_some_and(|c| *c.borrow()) {
        stopped = true;
        let _ = commands.send(HarvestCommand::Cancel).await;
    }
    loop {
        tokio::select! {
            event = run.events.recv() => match event {
                Some(event) => watcher.event(event),
                None => break,
            },
            _ = tokio::signal::ctrl_c(), if signals && !stopped => {
                stopped = true;
                let _ = commands.send(HarvestCommand::Cancel).await;
            }
            _ = async { terminate.as_mut().expect("listening").recv().await }, if signals && !stopped => {
                stopped = true;
                let _ = commands.send(HarvestCommand::Cancel).await;
            }
            changed = async { cancel.as_mut().expect("a cancel").changed().await }, if cancel.is_some() && !stopped => {
                let set = changed.is_err() || cancel.as_ref().is_some_and(|c| *c.borrow());
                if set {
                    stopped = true;
                    let _ = commands.send(HarvestCommand::Cancel).await;
                }
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
