//! The progress board's state: one row per service, moved on by the run's events and read as
//! lines. Pure, so what the board says is tested without a terminal; `terminal.rs` draws it.

use std::time::{Duration, Instant};

use super::event::{Event, Transfer, bytes};

/// The name of the row that follows the stack's removal (a row of its own, not a service's).
const TEARDOWN: &str = "teardown";

/// What a row is about: a service, or the removal of the whole stack.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Service(String),
    Teardown,
}

/// Where a row stands.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Building {
        image: String,
    },
    Built {
        image: String,
        took: Duration,
    },
    Moving {
        kind: Transfer,
        image: String,
        layers_done: usize,
        layers: usize,
        bytes: Option<(u64, u64)>,
    },
    Moved {
        kind: Transfer,
        image: String,
        took: Duration,
    },
    Starting,
    Waiting,
    Ready {
        check: String,
        took: Duration,
    },
    Failed {
        reason: String,
    },
    Testing {
        container: String,
    },
    Tested {
        took: Duration,
    },
    Removing {
        project: String,
    },
    Removed {
        project: String,
        took: Duration,
    },
    /// The run moved on while this row was still busy (a failure elsewhere, a signal).
    Stopped {
        was: String,
        took: Duration,
    },
}

/// How a row reads at a glance: the mark in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Still going: a spinner, and the time so far.
    Busy,
    /// Done, and it went well.
    Done,
    /// It failed.
    Failed,
    /// Over, neither good nor bad (the test command ran; the run stopped waiting for it).
    Ended,
}

impl Phase {
    fn mark(&self) -> Mark {
        match self {
            Phase::Building { .. }
            | Phase::Moving { .. }
            | Phase::Starting
            | Phase::Waiting
            | Phase::Testing { .. }
            | Phase::Removing { .. } => Mark::Busy,
            Phase::Built { .. }
            | Phase::Moved { .. }
            | Phase::Ready { .. }
            | Phase::Removed { .. } => Mark::Done,
            Phase::Failed { .. } => Mark::Failed,
            Phase::Tested { .. } | Phase::Stopped { .. } => Mark::Ended,
        }
    }

    /// The state in words, without the time.
    fn text(&self) -> String {
        match self {
            Phase::Building { image } => format!("building {image}"),
            Phase::Built { image, .. } => format!("built {image}"),
            Phase::Moving {
                kind,
                image,
                layers_done,
                layers,
                bytes: moved,
            } => {
                let mut text = format!("{} {image}", kind.doing());
                if *layers > 0 {
                    text.push_str(&format!(": {layers_done}/{layers} layers"));
                    if let Some((current, total)) = moved.filter(|(_, t)| *t > 0) {
                        text.push_str(&format!(", {} of {}", bytes(current), bytes(total)));
                    }
                }
                text
            }
            Phase::Moved { kind, image, .. } => format!("{} {image}", kind.done()),
            Phase::Starting => "starting".into(),
            Phase::Waiting => "waiting until ready".into(),
            Phase::Ready { check, .. } => format!("ready ({check})"),
            Phase::Failed { reason } => format!("failed: {reason}"),
            Phase::Testing { container } => format!("running the test command in {container}"),
            Phase::Tested { .. } => "ran the test command".into(),
            Phase::Removing { project } => format!("removing {project}"),
            Phase::Removed { project, .. } => format!("removed {project}"),
            Phase::Stopped { was, .. } => format!("stopped while {was}"),
        }
    }

    /// How long a finished phase took; `None` while it runs, or when no time is worth showing.
    fn took(&self) -> Option<Duration> {
        match self {
            Phase::Built { took, .. }
            | Phase::Moved { took, .. }
            | Phase::Ready { took, .. }
            | Phase::Tested { took }
            | Phase::Removed { took, .. }
            | Phase::Stopped { took, .. } => Some(*took),
            _ => None,
        }
    }

    /// Where the row ends up when the run moves on without it: a test command has run, the
    /// teardown is over, anything else still going was stopped.
    fn settled(&self, since: Instant, now: Instant) -> Option<Phase> {
        let took = now.saturating_duration_since(since);
        match self {
            Phase::Testing { .. } => Some(Phase::Tested { took }),
            Phase::Removing { project } => Some(Phase::Removed {
                project: project.clone(),
                took,
            }),
            busy if busy.mark() == Mark::Busy => Some(Phase::Stopped {
                was: busy.text(),
                took,
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Row {
    key: Key,
    phase: Phase,
    /// When the current phase began: a busy row's time counts from here.
    since: Instant,
}

/// One row as it reads now.
#[derive(Debug, Clone, PartialEq)]
pub struct RowView {
    /// The service's name (or `teardown`), padded to the widest name on the board.
    pub name: String,
    /// The state in words: `ready (redis protocol)`, `building app:1`.
    pub state: String,
    /// The time the state took (finished), or has taken so far (busy); none after a failure.
    pub elapsed: Option<Duration>,
    /// When the current state began: a busy row's time counts from here.
    pub since: Instant,
    /// Busy, done, failed or ended.
    pub mark: Mark,
}

impl RowView {
    /// The name and the state, without the time: `db     ready (postgres protocol)`.
    pub fn head(&self) -> String {
        format!("{}  {}", self.name, self.state)
    }

    /// The row as one line, without its mark: `db     ready (postgres protocol) 1.3s`.
    pub fn line(&self) -> String {
        match self.elapsed {
            Some(elapsed) => format!("{} {}", self.head(), seconds(elapsed)),
            None => self.head(),
        }
    }
}

/// A time as the board shows it: `1.3s`.
pub fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// The rows of the board, in the order their services first showed up.
#[derive(Debug, Default)]
pub struct Board {
    rows: Vec<Row>,
}

impl Board {
    /// Moves the board on by one event that happened at `now`; returns the rows it changed
    /// (a row past the previous end is new).
    pub fn apply(&mut self, event: &Event<'_>, now: Instant) -> Vec<usize> {
        let mut changed = Vec::new();
        // The run has moved past a test command or a teardown once anything else happens: both
        // only ever end when the run goes on to its next step.
        if !matches!(
            event,
            Event::Output { .. } | Event::OutputFlush | Event::TestStarted { .. }
        ) {
            changed.extend(self.settle_where(now, |p| matches!(p, Phase::Testing { .. })));
        }
        if !matches!(event, Event::TearingDown { .. }) {
            changed.extend(self.settle_where(now, |p| matches!(p, Phase::Removing { .. })));
        }
        let service = |s: &str| Key::Service(s.to_string());
        let (key, phase) = match *event {
            Event::Building { service: s, image } => (
                service(s),
                Phase::Building {
                    image: image.into(),
                },
            ),
            Event::Built {
                service: s,
                image,
                elapsed,
            } => (
                service(s),
                Phase::Built {
                    image: image.into(),
                    took: elapsed,
                },
            ),
            Event::TransferStarted {
                service: s,
                image,
                kind,
            } => (
                service(s),
                Phase::Moving {
                    kind,
                    image: image.into(),
                    layers_done: 0,
                    layers: 0,
                    bytes: None,
                },
            ),
            Event::TransferProgress {
                service: s,
                image,
                kind,
                layers_done,
                layers,
                bytes,
            } => (
                service(s),
                Phase::Moving {
                    kind,
                    image: image.into(),
                    layers_done,
                    layers,
                    bytes,
                },
            ),
            Event::Transferred {
                service: s,
                image,
                kind,
                elapsed,
            } => (
                service(s),
                Phase::Moved {
                    kind,
                    image: image.into(),
                    took: elapsed,
                },
            ),
            Event::Starting { service: s } => (service(s), Phase::Starting),
            Event::Started { service: s } => (service(s), Phase::Waiting),
            Event::Ready {
                service: s,
                check,
                elapsed,
            } => (
                service(s),
                Phase::Ready {
                    check: check.into(),
                    took: elapsed,
                },
            ),
            Event::Failed { service: s, reason } => (
                service(s),
                Phase::Failed {
                    reason: reason.into(),
                },
            ),
            Event::TestStarted {
                service: s,
                container,
            } => (
                service(s),
                Phase::Testing {
                    container: container.into(),
                },
            ),
            Event::TearingDown { project } => {
                // Whatever still runs is stopped with the stack.
                changed.extend(self.settle_where(now, |p| p.mark() == Mark::Busy));
                (
                    Key::Teardown,
                    Phase::Removing {
                        project: project.into(),
                    },
                )
            }
            Event::BuildOutput { .. }
            | Event::LayerDone { .. }
            | Event::Output { .. }
            | Event::OutputFlush
            | Event::Warning { .. }
            | Event::Note { .. } => {
                changed.sort_unstable();
                changed.dedup();
                return changed;
            }
        };
        changed.push(self.set(key, phase, now));
        changed.sort_unstable();
        changed.dedup();
        changed
    }

    /// Ends every busy row, as the run has ended: returns the rows it changed.
    pub fn settle(&mut self, now: Instant) -> Vec<usize> {
        self.settle_where(now, |p| p.mark() == Mark::Busy)
    }

    fn settle_where(&mut self, now: Instant, which: impl Fn(&Phase) -> bool) -> Vec<usize> {
        let mut changed = Vec::new();
        for (i, row) in self.rows.iter_mut().enumerate() {
            if which(&row.phase)
                && let Some(next) = row.phase.settled(row.since, now)
            {
                row.phase = next;
                row.since = now;
                changed.push(i);
            }
        }
        changed
    }

    /// Puts row `key` in `phase`; a phase of the same kind (a pull moving on) keeps its start.
    fn set(&mut self, key: Key, phase: Phase, now: Instant) -> usize {
        match self.rows.iter().position(|r| r.key == key) {
            Some(i) => {
                let row = &mut self.rows[i];
                if std::mem::discriminant(&row.phase) != std::mem::discriminant(&phase) {
                    row.since = now;
                }
                row.phase = phase;
                i
            }
            None => {
                self.rows.push(Row {
                    key,
                    phase,
                    since: now,
                });
                self.rows.len() - 1
            }
        }
    }

    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The width the names are padded to.
    pub fn name_width(&self) -> usize {
        self.rows
            .iter()
            .map(|r| name(&r.key).len())
            .max()
            .unwrap_or(0)
    }

    /// Row `i` as it reads at `now`.
    pub fn view(&self, i: usize, now: Instant) -> RowView {
        let row = &self.rows[i];
        let mark = row.phase.mark();
        let elapsed = match mark {
            Mark::Busy => Some(now.saturating_duration_since(row.since)),
            _ => row.phase.took(),
        };
        RowView {
            name: format!("{:<width$}", name(&row.key), width = self.name_width()),
            state: row.phase.text(),
            elapsed,
            since: row.since,
            mark,
        }
    }

    /// Every row as a line, as it reads at `now`.
    #[cfg(test)]
    pub fn lines(&self, now: Instant) -> Vec<String> {
        (0..self.rows.len())
            .map(|i| self.view(i, now).line())
            .collect()
    }
}

fn name(key: &Key) -> &str {
    match key {
        Key::Service(s) => s,
        Key::Teardown => TEARDOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Applies `events`, the first at `t0` and each 100 ms after the one before.
    fn board(t0: Instant, events: &[Event<'_>]) -> Board {
        let mut board = Board::default();
        for (i, event) in events.iter().enumerate() {
            board.apply(event, t0 + ms(100 * i as u64));
        }
        board
    }

    #[test]
    fn a_dependency_goes_from_starting_to_ready_and_keeps_its_final_state() {
        let t0 = Instant::now();
        let mut b = Board::default();
        b.apply(&Event::Starting { service: "db" }, t0);
        assert_eq!(b.lines(t0 + ms(400)), ["db  starting 0.4s"]);
        b.apply(&Event::Started { service: "db" }, t0 + ms(500));
        assert_eq!(b.lines(t0 + ms(900)), ["db  waiting until ready 0.4s"]);
        b.apply(
            &Event::Ready {
                service: "db",
                check: "postgres protocol",
                elapsed: ms(1300),
            },
            t0 + ms(1300),
        );
        // The time of a finished state stays what it was.
        assert_eq!(
            b.lines(t0 + ms(9000)),
            ["db  ready (postgres protocol) 1.3s"]
        );
        assert_eq!(b.view(0, t0).mark, Mark::Done);
    }

    #[test]
    fn names_line_up_and_rows_keep_the_order_services_appeared_in() {
        let t0 = Instant::now();
        let b = board(
            t0,
            &[
                Event::Starting { service: "db" },
                Event::Building {
                    service: "app",
                    image: "shop/app:42",
                },
                Event::Starting { service: "cache" },
                Event::Ready {
                    service: "db",
                    check: "postgres protocol",
                    elapsed: ms(1300),
                },
            ],
        );
        assert_eq!(
            b.lines(t0 + ms(1000)),
            [
                "db     ready (postgres protocol) 1.3s",
                "app    building shop/app:42 0.9s",
                "cache  starting 0.8s",
            ]
        );
    }

    #[test]
    fn a_build_and_a_pull_show_what_moved_and_how_long_it_took() {
        let t0 = Instant::now();
        let mut b = board(
            t0,
            &[
                Event::TransferStarted {
                    service: "cache",
                    image: "redis:7",
                    kind: Transfer::Pull,
                },
                Event::TransferProgress {
                    service: "cache",
                    image: "redis:7",
                    kind: Transfer::Pull,
                    layers_done: 3,
                    layers: 7,
                    bytes: Some((12_300_000, 40_100_000)),
                },
            ],
        );
        // The pull's time counts from its start, not from its last progress.
        assert_eq!(
            b.lines(t0 + ms(2500)),
            ["cache  pulling redis:7: 3/7 layers, 12.3 MB of 40.1 MB 2.5s"]
        );
        b.apply(
            &Event::Transferred {
                service: "cache",
                image: "redis:7",
                kind: Transfer::Pull,
                elapsed: ms(2600),
            },
            t0 + ms(2600),
        );
        b.apply(
            &Event::Built {
                service: "app",
                image: "shop/app:42",
                elapsed: ms(14_200),
            },
            t0 + ms(2700),
        );
        assert_eq!(
            b.lines(t0 + ms(3000)),
            [
                "cache  pulled redis:7 2.6s",
                "app    built shop/app:42 14.2s",
            ]
        );
    }

    #[test]
    fn a_pull_without_layers_yet_names_only_the_image() {
        let t0 = Instant::now();
        let b = board(
            t0,
            &[Event::TransferStarted {
                service: "app",
                image: "registry.example/app:7",
                kind: Transfer::Push,
            }],
        );
        assert_eq!(
            b.lines(t0 + ms(300)),
            ["app  pushing registry.example/app:7 0.3s"]
        );
    }

    #[test]
    fn the_test_command_runs_until_the_teardown_which_ends_when_the_run_goes_on() {
        let t0 = Instant::now();
        let mut b = board(
            t0,
            &[
                Event::Ready {
                    service: "cache",
                    check: "redis protocol",
                    elapsed: ms(400),
                },
                Event::TestStarted {
                    service: "app",
                    container: "shop-1a2b-app-run-3c4d",
                },
                Event::Output {
                    service: "app",
                    line: "ok",
                },
                Event::OutputFlush,
            ],
        );
        assert_eq!(
            b.lines(t0 + ms(1100)),
            [
                "cache  ready (redis protocol) 0.4s",
                "app    running the test command in shop-1a2b-app-run-3c4d 1.0s",
            ]
        );
        let changed = b.apply(
            &Event::TearingDown {
                project: "shop-1a2b",
            },
            t0 + ms(3100),
        );
        assert_eq!(changed, [1, 2]);
        assert_eq!(
            b.lines(t0 + ms(3400)),
            [
                "cache     ready (redis protocol) 0.4s",
                "app       ran the test command 3.0s",
                "teardown  removing shop-1a2b 0.3s",
            ]
        );
        // The next thing the run says means the stack is gone.
        b.apply(
            &Event::Note {
                message: "logs saved in /tmp/x",
            },
            t0 + ms(3900),
        );
        assert_eq!(
            b.lines(t0 + ms(5000))[2],
            "teardown  removed shop-1a2b 0.8s"
        );
        assert_eq!(b.view(1, t0).mark, Mark::Ended);
        assert_eq!(b.view(2, t0).mark, Mark::Done);
    }

    #[test]
    fn a_failure_is_shown_and_what_still_ran_is_stopped_at_teardown() {
        let t0 = Instant::now();
        let b = board(
            t0,
            &[
                Event::Starting { service: "db" },
                Event::Started { service: "cache" },
                Event::Failed {
                    service: "db",
                    reason: "exited with code 1",
                },
                Event::TearingDown {
                    project: "shop-1a2b",
                },
            ],
        );
        assert_eq!(
            b.lines(t0 + ms(300)),
            [
                "db        failed: exited with code 1",
                "cache     stopped while waiting until ready 0.2s",
                "teardown  removing shop-1a2b 0.0s",
            ]
        );
        assert_eq!(b.view(0, t0).mark, Mark::Failed);
        assert_eq!(b.view(1, t0).mark, Mark::Ended);
    }

    #[test]
    fn settling_ends_every_busy_row_and_leaves_finished_ones() {
        let t0 = Instant::now();
        let mut b = board(
            t0,
            &[
                Event::Ready {
                    service: "cache",
                    check: "running",
                    elapsed: ms(100),
                },
                Event::TestStarted {
                    service: "app",
                    container: "c",
                },
            ],
        );
        assert_eq!(b.settle(t0 + ms(2100)), [1]);
        assert_eq!(
            b.lines(t0 + ms(5000)),
            [
                "cache  ready (running) 0.1s",
                "app    ran the test command 2.0s"
            ]
        );
        assert!(b.settle(t0 + ms(6000)).is_empty());
    }

    #[test]
    fn messages_and_output_change_no_row() {
        let t0 = Instant::now();
        let mut b = Board::default();
        for event in [
            Event::Note { message: "swept" },
            Event::Warning { message: "latest" },
            Event::BuildOutput {
                service: "app",
                line: "Step 1/2",
            },
            Event::Output {
                service: "app",
                line: "ok",
            },
        ] {
            assert!(b.apply(&event, t0).is_empty());
        }
        assert_eq!(b.len(), 0);
        assert!(b.lines(t0).is_empty());
    }
}
