//! The console that shows a run's events to people: a board on a terminal, plain lines
//! elsewhere.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use super::event::{Event, Reporter};
use super::terminal::{self, Live};

/// How the console shows a run's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// The board on a terminal; plain lines in CI (`CI` set), with `TERM=dumb`, or when
    /// standard error is not a terminal.
    #[default]
    Auto,
    /// A plain line for every change, as a log file wants it.
    Plain,
    /// The board, wherever standard error goes (colour only on a terminal).
    Tty,
}

impl Progress {
    /// Whether this choice draws the board, given where standard error goes and the values of
    /// `CI` and `TERM`.
    pub fn shows_board(
        self,
        stderr_is_terminal: bool,
        ci: Option<&str>,
        term: Option<&str>,
    ) -> bool {
        match self {
            Progress::Plain => false,
            Progress::Tty => true,
            Progress::Auto => {
                let ci = ci.is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
                stderr_is_terminal && !ci && term != Some("dumb")
            }
        }
    }
}

/// dockhand's own messages on stderr, the test's output on stdout prefixed with the service
/// name. On a terminal (and not in CI) the services show as a board at the bottom of the
/// screen, a spinner line each, with messages and output printed above it; otherwise every
/// change is a plain line. Colour only on a terminal, and never with `NO_COLOR` set.
#[derive(Debug)]
pub struct Console {
    verbose: bool,
    /// The board, or `None` for plain lines.
    board: Option<Mutex<Live>>,
    /// Output lines not yet written: written in one go per chunk, not one write per line.
    pending: Mutex<Vec<u8>>,
}

/// Pending output is written once it reaches this size, even within a chunk.
const PENDING_LIMIT: usize = 64 * 1024;

impl Console {
    /// The board on a terminal, plain lines elsewhere ([`Progress::Auto`]).
    pub fn new(verbose: bool) -> Console {
        Console::with_progress(verbose, Progress::Auto)
    }

    /// Progress shown as `progress` says; `verbose` shows build output too.
    pub fn with_progress(verbose: bool, progress: Progress) -> Console {
        let terminal = std::io::stderr().is_terminal();
        let ci = std::env::var("CI").ok();
        let term = std::env::var("TERM").ok();
        let board = progress
            .shows_board(terminal, ci.as_deref(), term.as_deref())
            .then(|| {
                let colour = terminal && std::env::var_os("NO_COLOR").is_none();
                Mutex::new(Live::new(colour))
            });
        Console {
            verbose,
            board,
            pending: Mutex::new(Vec::new()),
        }
    }

    /// Ends the board: rows still busy are marked as ended and every row stays on the screen
    /// as it is. Call it before printing anything else to standard error; dropping the console
    /// does it too. Nothing to do for plain lines.
    pub fn finish(&self) {
        self.flush_output();
        if let Some(live) = &self.board {
            lock(live).finish();
        }
    }

    /// A message that stays: `dockhand: TEXT`, above the board if there is one.
    fn line(&self, text: &str) {
        self.flush_output();
        match &self.board {
            Some(live) => {
                let live = lock(live);
                let _ = live.multi().println(live.message(text));
            }
            None => {
                let _ = writeln!(std::io::stderr().lock(), "dockhand: {text}");
            }
        }
    }

    fn output(&self, service: &str, line: &str) {
        let mut pending = lock(&self.pending);
        pending.extend_from_slice(service.as_bytes());
        pending.extend_from_slice(b" | ");
        pending.extend_from_slice(line.as_bytes());
        pending.push(b'\n');
        if pending.len() >= PENDING_LIMIT {
            self.write_output(&pending);
            pending.clear();
        }
    }

    fn flush_output(&self) {
        let mut pending = lock(&self.pending);
        if !pending.is_empty() {
            self.write_output(&pending);
            pending.clear();
        }
    }

    fn write_output(&self, bytes: &[u8]) {
        match &self.board {
            Some(live) => {
                let multi = lock(live).multi().clone();
                terminal::write_above(&multi, bytes);
            }
            None => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bytes);
                let _ = out.flush();
            }
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.finish();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// An event as a plain line (without the `dockhand: ` in front), or `None` for an event
/// that prints none.
fn plain_line(event: &Event<'_>, verbose: bool) -> Option<String> {
    let text = match *event {
        Event::Building { service, image } => format!("{service}: building {image}"),
        Event::BuildOutput { service, line } => {
            if !verbose {
                return None;
            }
            format!("{service}: {line}")
        }
        Event::Built {
            service,
            image,
            elapsed,
        } => format!("{service}: built {image} in {:.1}s", elapsed.as_secs_f64()),
        Event::TransferStarted {
            service,
            image,
            kind,
        } => format!("{service}: {} {image}", kind.doing()),
        Event::LayerDone {
            service,
            image,
            kind,
            layer,
            status,
            layers_done,
            layers,
        } => {
            let layer = layer.map(|l| format!(" {l}")).unwrap_or_default();
            format!(
                "{service}: {} {image}: layer{layer} {} ({layers_done}/{layers})",
                kind.doing(),
                status.to_lowercase()
            )
        }
        Event::Transferred {
            service,
            image,
            kind,
            elapsed,
        } => format!(
            "{service}: {} {image} in {:.1}s",
            kind.done(),
            elapsed.as_secs_f64()
        ),
        Event::Starting { service } => format!("{service}: starting"),
        Event::Ready {
            service,
            check,
            elapsed,
        } => format!(
            "{service}: ready ({check}) in {:.1}s",
            elapsed.as_secs_f64()
        ),
        Event::Failed { service, reason } => format!("{service}: failed: {reason}"),
        Event::TestStarted { service, container } => {
            format!("{service}: running the test command in {container}")
        }
        Event::Warning { message } => format!("warning: {message}"),
        Event::Note { message } => message.to_string(),
        Event::TearingDown { project } => format!("tearing down {project}"),
        Event::TransferProgress { .. }
        | Event::Started { .. }
        | Event::Output { .. }
        | Event::OutputFlush => return None,
    };
    Some(text)
}

impl Reporter for Console {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Output { service, line } => self.output(service, line),
            Event::OutputFlush => self.flush_output(),
            _ => match &self.board {
                None => {
                    if let Some(text) = plain_line(&event, self.verbose) {
                        self.line(&text);
                    }
                }
                // On the board, messages print above it and the rest moves its rows.
                Some(live) => match event {
                    Event::Warning { .. } | Event::Note { .. } | Event::BuildOutput { .. } => {
                        if let Some(text) = plain_line(&event, self.verbose) {
                            self.line(&text);
                        }
                    }
                    _ => {
                        self.flush_output();
                        lock(live).event(&event);
                    }
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::report::Transfer;

    #[test]
    fn the_board_shows_on_a_terminal_outside_ci_unless_plain_is_asked_for() {
        let auto = Progress::Auto;
        assert!(auto.shows_board(true, None, Some("xterm-256color")));
        assert!(auto.shows_board(true, Some(""), None));
        assert!(auto.shows_board(true, Some("false"), None));
        assert!(!auto.shows_board(false, None, Some("xterm")));
        assert!(!auto.shows_board(true, Some("true"), Some("xterm")));
        assert!(!auto.shows_board(true, Some("1"), Some("xterm")));
        assert!(!auto.shows_board(true, None, Some("dumb")));
        assert!(!Progress::Plain.shows_board(true, None, Some("xterm")));
        assert!(Progress::Tty.shows_board(false, Some("true"), Some("dumb")));
    }

    #[test]
    fn plain_lines_say_what_happened_one_change_a_line() {
        let lines: Vec<Option<String>> = [
            Event::Building {
                service: "app",
                image: "shop/app:42",
            },
            Event::Built {
                service: "app",
                image: "shop/app:42",
                elapsed: Duration::from_millis(14_230),
            },
            Event::Starting { service: "db" },
            Event::Started { service: "db" },
            Event::Ready {
                service: "db",
                check: "postgres protocol",
                elapsed: Duration::from_millis(1_310),
            },
            Event::LayerDone {
                service: "cache",
                image: "redis:7",
                kind: Transfer::Pull,
                layer: Some("6e909acdb790"),
                status: "Already exists",
                layers_done: 1,
                layers: 2,
            },
            Event::TransferProgress {
                service: "cache",
                image: "redis:7",
                kind: Transfer::Pull,
                layers_done: 1,
                layers: 2,
                bytes: None,
            },
            Event::TestStarted {
                service: "app",
                container: "shop-1a2b-app-run-3c4d",
            },
            Event::Warning { message: "latest" },
            Event::TearingDown {
                project: "shop-1a2b",
            },
        ]
        .iter()
        .map(|e| plain_line(e, false))
        .collect();
        assert_eq!(
            lines,
            [
                Some("app: building shop/app:42".to_string()),
                Some("app: built shop/app:42 in 14.2s".into()),
                Some("db: starting".into()),
                None,
                Some("db: ready (postgres protocol) in 1.3s".into()),
                Some("cache: pulling redis:7: layer 6e909acdb790 already exists (1/2)".into()),
                None,
                Some("app: running the test command in shop-1a2b-app-run-3c4d".into()),
                Some("warning: latest".into()),
                Some("tearing down shop-1a2b".into()),
            ]
        );
        let output = Event::BuildOutput {
            service: "app",
            line: "Step 1/2",
        };
        assert_eq!(plain_line(&output, false), None);
        assert_eq!(plain_line(&output, true).as_deref(), Some("app: Step 1/2"));
    }
}
