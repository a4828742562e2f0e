//! Progress events of a run, and what receives them.

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
pub(super) fn bytes(n: u64) -> String {
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

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_read_as_people_read_them() {
        assert_eq!(super::bytes(118), "118 B");
        assert_eq!(super::bytes(812_400), "812 kB");
        assert_eq!(super::bytes(45_230_000), "45.2 MB");
    }
}
