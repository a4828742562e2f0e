//! Progress events of a run and the console that shows them.

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
    Starting {
        service: &'a str,
    },
    Started {
        service: &'a str,
    },
    Ready {
        service: &'a str,
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

/// Plain lines on stderr for dockhand's own messages; the test's output on stdout, prefixed
/// with the service name.
#[derive(Debug)]
pub struct Console {
    colour: bool,
    verbose: bool,
    out: Mutex<()>,
}

impl Console {
    /// Colour only on a terminal and never in CI.
    pub fn new(verbose: bool) -> Console {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        let colour =
            std::io::stderr().is_terminal() && !ci && std::env::var_os("NO_COLOR").is_none();
        Console {
            colour,
            verbose,
            out: Mutex::new(()),
        }
    }

    fn line(&self, text: &str) {
        let _guard = self.out.lock();
        let mut err = std::io::stderr().lock();
        if self.colour {
            let _ = writeln!(err, "\x1b[1;34mdockhand\x1b[0m {text}");
        } else {
            let _ = writeln!(err, "dockhand: {text}");
        }
    }
}

impl Reporter for Console {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Building { service, image } => {
                self.line(&format!("{service}: building {image}"))
            }
            Event::BuildOutput { service, line } => {
                if self.verbose {
                    self.line(&format!("{service}: {line}"));
                }
            }
            Event::Starting { service } => self.line(&format!("{service}: starting")),
            Event::Started { .. } => {}
            Event::Ready { service, elapsed } => self.line(&format!(
                "{service}: ready in {:.1}s",
                elapsed.as_secs_f64()
            )),
            Event::Failed { service, reason } => self.line(&format!("{service}: failed: {reason}")),
            Event::TestStarted { service, container } => self.line(&format!(
                "{service}: running the test command in {container}"
            )),
            Event::Output { service, line } => {
                let _guard = self.out.lock();
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{service} | {line}");
            }
            Event::Warning { message } => self.line(&format!("warning: {message}")),
            Event::Note { message } => self.line(message),
            Event::TearingDown { project } => self.line(&format!("tearing down {project}")),
        }
    }
}
