//! Progress events of a run, and the console that shows them to people.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

/// Something that happened during a run, for people watching it.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    Building {
        service: &'a str,
        image: &'a str,
    },
    BuildOutput {
        service: &'a str,
        line: &'a str,
    },
    Built {
        service: &'a str,
        image: &'a str,
        elapsed: Duration,
    },
    Starting {
        service: &'a str,
    },
    Started {
        service: &'a str,
    },
    Ready {
        service: &'a str,
        /// The check that passed: `healthcheck`, `postgres protocol`, `running`, ...
        check: &'a str,
        elapsed: Duration,
    },
    Failed {
        service: &'a str,
        reason: &'a str,
    },
    TestStarted {
        service: &'a str,
        container: &'a str,
    },
    Output {
        service: &'a str,
        line: &'a str,
    },
    /// The `Output` lines so far should reach the screen now (sent after each chunk).
    OutputFlush,
    Warning {
        message: &'a str,
    },
    Note {
        message: &'a str,
    },
    TearingDown {
        project: &'a str,
    },
}

/// Receives the events of a run. Must be cheap: it is called from the run loop.
pub trait Reporter: Send + Sync {
    fn event(&self, event: Event<'_>);
}

/// Discards every event (library use without output).
#[derive(Debug, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: Event<'_>) {}
}

/// dockhand's own messages on stderr, the test's output on stdout prefixed with the service
/// name. On a terminal (and not in CI) the services coming up show as one live status line
/// each, redrawn in place; otherwise every change is a plain line.
#[derive(Debug)]
pub struct Console {
    live: bool,
    verbose: bool,
    state: Mutex<LiveBlock>,
    /// Output lines not yet written: written in one go per chunk, not one write per line.
    pending: Mutex<Vec<u8>>,
}

/// Pending output is written once it reaches this size, even within a chunk.
const PENDING_LIMIT: usize = 64 * 1024;

/// The status lines currently drawn at the bottom of the terminal.
#[derive(Debug, Default)]
struct LiveBlock {
    rows: Vec<(String, String)>,
    drawn: usize,
}

impl Console {
    /// Live status lines and colour only on a terminal, never with CI=true or NO_COLOR.
    pub fn new(verbose: bool) -> Console {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        let live = std::io::stderr().is_terminal() && !ci && std::env::var_os("NO_COLOR").is_none();
        Console {
            live,
            verbose,
            state: Mutex::new(LiveBlock::default()),
            pending: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LiveBlock> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A message that stays: it ends the current live block.
    fn line(&self, text: &str) {
        self.flush_output();
        let mut block = self.lock();
        block.rows.clear();
        block.drawn = 0;
        let mut err = std::io::stderr().lock();
        if self.live {
            let _ = writeln!(err, "\x1b[1;34mdockhand\x1b[0m {text}");
        } else {
            let _ = writeln!(err, "dockhand: {text}");
        }
    }

    /// A service's status changed.
    fn status(&self, service: &str, text: &str) {
        if !self.live {
            self.line(&format!("{service}: {text}"));
            return;
        }
        let mut block = self.lock();
        match block.rows.iter_mut().find(|(s, _)| s == service) {
            Some(row) => row.1 = text.to_string(),
            None => block.rows.push((service.to_string(), text.to_string())),
        }
        let mut err = std::io::stderr().lock();
        if block.drawn > 0 {
            let _ = write!(err, "\x1b[{}A", block.drawn);
        }
        let width = block.rows.iter().map(|(s, _)| s.len()).max().unwrap_or(0);
        for (s, t) in &block.rows {
            let _ = writeln!(err, "\x1b[2K\x1b[1;34mdockhand\x1b[0m {s:<width$}  {t}");
        }
        block.drawn = block.rows.len();
    }

    fn output(&self, service: &str, line: &str) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.extend_from_slice(service.as_bytes());
        pending.extend_from_slice(b" | ");
        pending.extend_from_slice(line.as_bytes());
        pending.push(b'\n');
        if pending.len() >= PENDING_LIMIT {
            let _ = std::io::stdout().lock().write_all(&pending);
            pending.clear();
        }
    }

    fn flush_output(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if !pending.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&pending);
            let _ = out.flush();
            pending.clear();
        }
    }
}

impl Reporter for Console {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Building { service, image } => {
                self.status(service, &format!("building {image}"))
            }
            Event::BuildOutput { service, line } => {
                if self.verbose {
                    self.line(&format!("{service}: {line}"));
                }
            }
            Event::Built {
                service,
                image,
                elapsed,
            } => self.status(
                service,
                &format!("built {image} in {:.1}s", elapsed.as_secs_f64()),
            ),
            Event::Starting { service } => self.status(service, "starting"),
            Event::Started { service } => {
                if self.live {
                    self.status(service, "started, waiting until ready");
                }
            }
            Event::Ready {
                service,
                check,
                elapsed,
            } => self.status(
                service,
                &format!("ready ({check}) in {:.1}s", elapsed.as_secs_f64()),
            ),
            Event::Failed { service, reason } => self.status(service, &format!("failed: {reason}")),
            Event::TestStarted { service, container } => self.line(&format!(
                "{service}: running the test command in {container}"
            )),
            Event::Output { service, line } => self.output(service, line),
            Event::OutputFlush => self.flush_output(),
            Event::Warning { message } => self.line(&format!("warning: {message}")),
            Event::Note { message } => self.line(message),
            Event::TearingDown { project } => self.line(&format!("tearing down {project}")),
        }
    }
}
