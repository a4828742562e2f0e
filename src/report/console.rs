//! Progress events of a run, and the console that shows them to people.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

/// Something that happened during a run, for people watching it.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// An image build began.
    Building {
        /// The service whose image it is.
        service: &'a str,
        /// The image reference being built.
        image: &'a str,
    },
    /// A line of build output (shown with `--verbose`).
    BuildOutput {
        /// The service being built.
        service: &'a str,
        /// The line, without its newline.
        line: &'a str,
    },
    /// An image build finished.
    Built {
        /// The service whose image it is.
        service: &'a str,
        /// The image reference built.
        image: &'a str,
        /// How long the build took.
        elapsed: Duration,
    },
    /// A pull or a push began.
    TransferStarted {
        /// The service whose image it is.
        service: &'a str,
        /// The image reference.
        image: &'a str,
        /// Pull or push.
        kind: Transfer,
    },
    /// A pull or a push moved on (shown on a terminal as one line, redrawn in place).
    TransferProgress {
        /// The service whose image it is.
        service: &'a str,
        /// The image reference.
        image: &'a str,
        /// Pull or push.
        kind: Transfer,
        /// Layers finished so far.
        layers_done: usize,
        /// Layers seen so far.
        layers: usize,
        /// Bytes moved and bytes to move, over the layers whose size is known.
        bytes: Option<(u64, u64)>,
    },
    /// One layer of a pull or a push finished (shown as a line when not on a terminal).
    LayerDone {
        /// The service whose image it is.
        service: &'a str,
        /// The image reference.
        image: &'a str,
        /// Pull or push.
        kind: Transfer,
        /// The layer's short id, when the engine gives it (it does in pulls).
        layer: Option<&'a str>,
        /// The engine's word for how it finished: `Pull complete`, `Already exists`, `Pushed`.
        status: &'a str,
        /// Layers finished so far, this one included.
        layers_done: usize,
        /// Layers seen so far.
        layers: usize,
    },
    /// A pull or a push finished.
    Transferred {
        /// The service whose image it is.
        service: &'a str,
        /// The image reference.
        image: &'a str,
        /// Pull or push.
        kind: Transfer,
        /// How long it took.
        elapsed: Duration,
    },
    /// A service's container is being created and started.
    Starting {
        /// The service.
        service: &'a str,
    },
    /// A service's container runs; readiness is checked next.
    Started {
        /// The service.
        service: &'a str,
    },
    /// A service became ready.
    Ready {
        /// The service.
        service: &'a str,
        /// The check that passed: `healthcheck`, `postgres protocol`, `running`, ...
        check: &'a str,
        /// Time from its start to ready.
        elapsed: Duration,
    },
    /// A service failed to come up.
    Failed {
        /// The service.
        service: &'a str,
        /// Why, in a short sentence.
        reason: &'a str,
    },
    /// The test command started in its one-off container.
    TestStarted {
        /// The service whose image runs the test command.
        service: &'a str,
        /// The one-off container's engine name.
        container: &'a str,
    },
    /// A line of the test command's output.
    Output {
        /// The service running the test command.
        service: &'a str,
        /// The line, without its newline.
        line: &'a str,
    },
    /// The `Output` lines so far should reach the screen now (sent after each chunk).
    OutputFlush,
    /// Something the user should know that does not stop the run.
    Warning {
        /// The warning.
        message: &'a str,
    },
    /// Information about the run (where the logs went, how to remove a kept stack).
    Note {
        /// The note.
        message: &'a str,
    },
    /// The stack is being removed.
    TearingDown {
        /// The project name on the engine.
        project: &'a str,
    },
}

/// Which way an image moves between the engine and a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// From the registry to the engine.
    Pull,
    /// From the engine to the registry.
    Push,
}

impl Transfer {
    /// `pulling` or `pushing`.
    pub fn doing(self) -> &'static str {
        match self {
            Transfer::Pull => "pulling",
            Transfer::Push => "pushing",
        }
    }

    /// `pulled` or `pushed`.
    pub fn done(self) -> &'static str {
        match self {
            Transfer::Pull => "pulled",
            Transfer::Push => "pushed",
        }
    }
}

/// Bytes as people read them: `812 kB`, `45.2 MB`.
fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{} kB", n / 1_000),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// Receives the events of a run. Must be cheap: it is called from the run loop.
pub trait Reporter: Send + Sync {
    /// Handles one event.
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
            Event::TransferStarted {
                service,
                image,
                kind,
            } => self.status(service, &format!("{} {image}", kind.doing())),
            Event::TransferProgress {
                service,
                image,
                kind,
                layers_done,
                layers,
                bytes: moved,
            } => {
                if self.live {
                    let mut text =
                        format!("{} {image}: {layers_done}/{layers} layers", kind.doing());
                    if let Some((current, total)) = moved.filter(|(_, t)| *t > 0) {
                        text.push_str(&format!(", {} of {}", bytes(current), bytes(total)));
                    }
                    self.status(service, &text);
                }
            }
            Event::LayerDone {
                service,
                image,
                kind,
                layer,
                status,
                layers_done,
                layers,
            } => {
                if !self.live {
                    let layer = layer.map(|l| format!(" {l}")).unwrap_or_default();
                    self.line(&format!(
                        "{service}: {} {image}: layer{layer} {} ({layers_done}/{layers})",
                        kind.doing(),
                        status.to_lowercase()
                    ));
                }
            }
            Event::Transferred {
                service,
                image,
                kind,
                elapsed,
            } => self.status(
                service,
                &format!("{} {image} in {:.1}s", kind.done(), elapsed.as_secs_f64()),
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

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_read_as_people_read_them() {
        assert_eq!(super::bytes(118), "118 B");
        assert_eq!(super::bytes(812_400), "812 kB");
        assert_eq!(super::bytes(45_230_000), "45.2 MB");
    }
}
