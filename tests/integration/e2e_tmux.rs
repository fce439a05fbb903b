//! The real binary in a real terminal (tmux): `influx demo`, start the harvest, watch the zero
//! score count fall, open help, merge, quit, and find the terminal restored with the summary
//! printed. Fails, saying why, where tmux is not installed (CI machines have it). Bounded in time.

use std::process::Command;
use std::time::{Duration, Instant};

struct Session(String);

impl Session {
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.0])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", &self.0, k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits until `pred` holds for the screen; panics with the screen after `limit`.
    fn wait_for(&self, what: &str, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > limit {
                panic!("waited {limit:?} for {what}; the screen shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

/// The zero-score figure of the counters pane, e.g. `[1] ⚠ zero scores   271`.
fn zero_scores(screen: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains("zero scores"))?;
    let after = &line[line.find("zero scores")? + "zero scores".len()..];
    after
        .split_whitespace()
        .next()?
        .trim_end_matches('│')
        .parse()
        .ok()
}

#[test]
fn demo_harvest_lowers_zero_scores_then_help_merge_and_quit_restore_the_terminal() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok(),
        "tmux is not installed: this end-to-end console test needs it (apt-get install tmux)"
    );
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("demo");
    let name = format!("influx-e2e-{}", std::process::id());
    let command = format!(
        "{} demo --dir {} --no-color; echo EXITED $?; sleep 30",
        env!("CARGO_BIN_EXE_influx"),
        work.display()
    );
    let s = Session(name.clone());
    s.tmux(&[
        "new-session",
        "-d",
        "-s",
        &name,
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);

    let first = s.wait_for("the console", Duration::from_secs(20), |t| {
        zero_scores(t).is_some()
    });
    let before = zero_scores(&first).unwrap();
    assert_eq!(before, 271, "the crisis dataset's zero scores");
    // The selected author's detail is read at once, not after the first key.
    s.wait_for("the first author's detail", Duration::from_secs(20), |t| {
        t.contains("History") && !t.contains("(reading the record")
    });

    s.keys(&["s"]);
    let plan = s.wait_for("the harvest plan", Duration::from_secs(20), |t| {
        t.contains("Harvest ") && t.contains("authors?")
    });
    assert!(
        plan.contains("at most $"),
        "the plan names its cost:\n{plan}"
    );
    assert!(plan.contains("[▶ Cancel ◀]"), "Cancel is focused:\n{plan}");
    s.keys(&["Tab", "Enter"]);
    s.wait_for(
        "the zero-score count to fall",
        Duration::from_secs(60),
        |t| zero_scores(t).is_some_and(|n| n < before),
    );

    s.wait_for("the spend to show", Duration::from_secs(30), |t| {
        t.contains("spent $") && !t.contains("spent $0.00 this run")
    });

    s.keys(&["?"]);
    s.wait_for("the help screen", Duration::from_secs(5), |t| {
        t.contains("Help (Esc or ? closes)")
    });
    s.keys(&["Escape"]);

    // Merging while the run is still going is allowed; wait for it to end for a stable plan.
    s.wait_for("the run to end", Duration::from_secs(60), |t| {
        t.contains("[✓ done]")
    });
    s.keys(&["m"]);
    let dialog = s.wait_for("the merge plan", Duration::from_secs(20), |t| {
        t.contains("Merge pending batches into latest?")
    });
    assert!(
        dialog.contains("[▶ Cancel ◀]"),
        "Cancel is focused:\n{dialog}"
    );
    assert!(
        dialog.contains("left out: "),
        "sample batches are left out:\n{dialog}"
    );
    s.keys(&["Tab", "Enter"]);
    s.wait_for("the merge result", Duration::from_secs(20), |t| {
        t.contains("merged: version") || t.contains("merge refused")
    });

    s.keys(&["q"]);
    let end = s.wait_for("the exit summary", Duration::from_secs(10), |t| {
        t.contains("EXITED")
    });
    assert!(end.contains("influx console: "), "summary printed:\n{end}");
    assert!(end.contains("EXITED 0"), "exit code 0:\n{end}");
    assert!(
        !end.contains("Rate-limit budget"),
        "the alternate screen is gone:\n{end}"
    );
}
