//! The console's event loop: keys (from a blocking reader thread), engine events, answers from
//! pipeline operations and a clock, all turned into actions for the reducer. It redraws only
//! when something changed, at most ~15 times a second, and sleeps otherwise (no polling).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event};
use tokio::sync::mpsc;

use super::action::Action;
use super::app::{App, Effect};
use super::keys;
use super::ops::{EngineLink, Operations, OpsError};
use super::render::render;
use super::update::update;

/// The shortest gap between two frames (~15 fps).
const FRAME: Duration = Duration::from_millis(66);
/// Engine events folded into one step before drawing, so a burst never starves the keys.
const EVENTS_PER_STEP: usize = 256;

/// Reads terminal events on a plain thread (crossterm's `read` blocks, costing no CPU) and
/// forwards them; ends when the loop has gone.
fn spawn_input_reader(tx: mpsc::Sender<Event>) {
    std::thread::Builder::new()
        .name("influx-keys".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                if tx.blocking_send(ev).is_err() {
                    break;
                }
            }
        })
        .expect("spawning the key reader thread");
}

/// Runs the console until the operator quits; returns the final state (for the exit summary).
pub(crate) async fn run(
    terminal: &mut DefaultTerminal,
    mut app: App,
    ops: Arc<dyn Operations>,
) -> std::io::Result<App> {
    let (key_tx, mut key_rx) = mpsc::channel::<Event>(64);
    spawn_input_reader(key_tx);
    let (op_tx, mut op_rx) = mpsc::unbounded_channel::<Action>();
    let mut engine: Option<EngineLink> = None;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let size = terminal.size()?;
    update(&mut app, Action::Resize(size.width, size.height));
    update(&mut app, Action::Tick(Utc::now()));
    terminal.draw(|f| render(&app, f))?;
    let mut last_draw = Instant::now();
    let mut dirty = false;
    // What opening asked for (the selected author's detail) starts before the first wait: an
    // idle console gets no event to start it after.
    dispatch(&mut app, &ops, &mut engine, &op_tx).await;

    while !app.should_quit {
        // The clock only matters while something counts down or runs.
        let ticking = app.run.in_flight() || app.budget.is_some() && app.run_ended.is_none();
        let redraw_at = last_draw + FRAME;
        tokio::select! {
            Some(ev) = key_rx.recv() => {
                let action = match ev {
                    Event::Key(k) => keys::action_for(&app, k),
                    Event::Resize(w, h) => Some(Action::Resize(w, h)),
                    _ => None,
                };
                if let Some(a) = action {
                    // The clock does not tick while idle; bring it up to date for log times.
                    update(&mut app, Action::Tick(Utc::now()));
                    update(&mut app, a);
                    dirty = true;
                }
            }
            ev = next_engine_event(&mut engine) => {
                match ev {
                    Some(ev) => {
                        update(&mut app, Action::Tick(Utc::now()));
                        update(&mut app, Action::Engine(ev));
                        if let Some(link) = engine.as_mut() {
                            for _ in 0..EVENTS_PER_STEP {
                                match link.events.try_recv() {
                                    Ok(ev) => update(&mut app, Action::Engine(ev)),
                                    Err(_) => break,
                                }
                            }
                        }
                    }
                    None => {
                        engine = None;
                        update(&mut app, Action::EngineGone);
                    }
                }
                dirty = true;
            }
            Some(action) = op_rx.recv() => {
                update(&mut app, Action::Tick(Utc::now()));
                update(&mut app, action);
                dirty = true;
            }
            _ = clock.tick(), if ticking => {
                update(&mut app, Action::Tick(Utc::now()));
                dirty = true;
            }
            _ = tokio::time::sleep_until(redraw_at.into()), if dirty => {}
        }
        dispatch(&mut app, &ops, &mut engine, &op_tx).await;
        if dirty && last_draw.elapsed() >= FRAME {
            terminal.draw(|f| render(&app, f))?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
    if let Some(link) = engine {
        // Cancel was sent when quitting mid-run; give the engine its channel until it has read it.
        drop(link.commands);
    }
    Ok(app)
}

/// Starts what the last action asked for: its effects, and the selected author's detail (read
/// and explained off the async threads; the answer comes back as an action).
async fn dispatch(
    app: &mut App,
    ops: &Arc<dyn Operations>,
    engine: &mut Option<EngineLink>,
    op_tx: &mpsc::UnboundedSender<Action>,
) {
    for effect in std::mem::take(&mut app.outbox) {
        run_effect(effect, ops, engine, op_tx).await;
    }
    if let Some(ask) = app.take_detail_ask() {
        let tx = op_tx.clone();
        let ops = Arc::clone(ops);
        tokio::task::spawn_blocking(move || {
            let answer = ops.detail(&ask);
            let _ = tx.send(Action::DetailReady(Box::new(answer)));
        });
    }
}

async fn next_engine_event(
    engine: &mut Option<EngineLink>,
) -> Option<crate::pipeline::harvest::events::HarvestEvent> {
    match engine {
        Some(link) => link.events.recv().await,
        None => std::future::pending().await,
    }
}

async fn run_effect(
    effect: Effect,
    ops: &Arc<dyn Operations>,
    engine: &mut Option<EngineLink>,
    op_tx: &mpsc::UnboundedSender<Action>,
) {
    match effect {
        Effect::StartHarvest(handles) => match ops.start_harvest(handles) {
            Ok(link) => *engine = Some(link),
            Err(e) => {
                let _ = op_tx.send(Action::OperationFailed(format!("harvest not started: {e}")));
            }
        },
        Effect::Engine(cmd) => match engine {
            Some(link) => {
                let _ = link.commands.send(cmd).await;
            }
            None => tracing::info!("no engine to send {cmd:?} to"),
        },
        Effect::PlanHarvest(handles) => blocking(ops, op_tx, move |ops| {
            Action::HarvestPlanned(
                ops.plan_harvest(&handles)
                    .map(|plan| (handles, plan))
                    .map_err(|e| e.to_string()),
            )
        }),
        // Actions carry words: the reducer only shows them, and actions stay plain data.
        Effect::PlanMerge => blocking(ops, op_tx, |ops| {
            Action::MergePlanned(ops.plan_merge().map_err(|e| e.to_string()))
        }),
        Effect::ApplyMerge => blocking(ops, op_tx, |ops| match ops.apply_merge() {
            Ok(done) => Action::MergeApplied(Ok(done.to_string())),
            Err(OpsError::Published(e)) => Action::MergePublishedNotRecorded(e.to_string()),
            Err(e) => Action::MergeApplied(Err(e.to_string())),
        }),
        Effect::StartDiscovery(ask) => match ops.start_discovery(ask) {
            Ok(link) => *engine = Some(link),
            Err(e) => {
                let _ = op_tx.send(Action::OperationFailed(format!(
                    "discovery not started: {e}"
                )));
            }
        },
        Effect::PlanDiscovery(ask) => blocking(ops, op_tx, move |ops| {
            Action::DiscoveryPlanned(
                ops.plan_discovery(&ask)
                    .map(|plan| (ask, plan))
                    .map_err(|e| e.to_string()),
            )
        }),
        Effect::LoadCandidates => blocking(ops, op_tx, |ops| {
            Action::CandidatesLoaded(ops.candidates().map_err(|e| e.to_string()))
        }),
        Effect::DecideCandidate {
            handle,
            decision,
            why,
        } => blocking(ops, op_tx, move |ops| {
            Action::CandidateDecided(
                ops.decide_candidate(&handle, decision, &why)
                    .map(|c| format!("@{} {} by the operator: {why}", c.handle, c.decision.word()))
                    .map_err(|e| e.to_string()),
            )
        }),
        Effect::Reload => blocking(ops, op_tx, |ops| match ops.load() {
            Ok((dataset, pending)) => Action::Reloaded {
                dataset: Box::new(dataset),
                pending,
            },
            Err(e) => Action::OperationFailed(format!("could not reload the dataset: {e}")),
        }),
        Effect::Rollback => blocking(ops, op_tx, |ops| {
            Action::RolledBack(
                ops.rollback()
                    .map(|d| d.to_string())
                    .map_err(|e| e.to_string()),
            )
        }),
    }
}

/// Runs a pipeline operation off the async threads and posts its answer as an action; after a
/// merge or rollback changed what is stored, reloads it so the screen shows it as stored, and
/// after an operator's word on a candidate, reads the candidates again.
fn blocking(
    ops: &Arc<dyn Operations>,
    op_tx: &mpsc::UnboundedSender<Action>,
    work: impl FnOnce(&Arc<dyn Operations>) -> Action + Send + 'static,
) {
    let ops = Arc::clone(ops);
    let tx = op_tx.clone();
    tokio::task::spawn_blocking(move || {
        let action = work(&ops);
        let changed = matches!(
            action,
            Action::MergeApplied(Ok(_))
                | Action::MergePublishedNotRecorded(_)
                | Action::RolledBack(Ok(_))
        );
        let decided = matches!(action, Action::CandidateDecided(Ok(_)));
        let _ = tx.send(action);
        if decided {
            let _ = tx.send(Action::CandidatesLoaded(
                ops.candidates().map_err(|e| e.to_string()),
            ));
        }
        if changed {
            let reloaded = match ops.load() {
                Ok((dataset, pending)) => Action::Reloaded {
                    dataset: Box::new(dataset),
                    pending,
                },
                Err(e) => Action::OperationFailed(format!("could not reload the dataset: {e}")),
            };
            let _ = tx.send(reloaded);
        }
    });
}

#[cfg(test)]
mod tests;
