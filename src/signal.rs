//! Stopping a run: the stop request every task of a run shares, and the OS signals (SIGINT,
//! SIGTERM, SIGHUP) turned into one.

use std::sync::{Arc, Mutex};

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// A signal that ended the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGHUP: the terminal went away.
    Hangup,
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: asked to stop (by CI, `kill`, an orchestrator).
    Terminate,
}

impl Interrupt {
    /// The signal's name (`SIGINT`).
    pub fn name(self) -> &'static str {
        match self {
            Interrupt::Hangup => "SIGHUP",
            Interrupt::Interrupt => "SIGINT",
            Interrupt::Terminate => "SIGTERM",
        }
    }

    /// The signal's number (the exit status is 128 plus it).
    pub fn number(self) -> i32 {
        match self {
            Interrupt::Hangup => 1,
            Interrupt::Interrupt => 2,
            Interrupt::Terminate => 15,
        }
    }
}

/// Why the run is being stopped, shared by every task of a run.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    token: CancellationToken,
    interrupt: Arc<Mutex<Option<Interrupt>>>,
}

impl Stop {
    /// A stop request nobody has made yet.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// A stop of its own for part of the run: stopping it leaves this one running, stopping
    /// this one (or a signal) stops it too.
    pub fn child(&self) -> Stop {
        Stop {
            token: self.token.child_token(),
            interrupt: self.interrupt.clone(),
        }
    }

    /// The cancellation token: cancelled once the run is stopping, for `select!` and child tasks.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Stops without a signal (a failure elsewhere, or the caller giving up).
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Stops the run because of a signal.
    pub fn interrupt(&self, sig: Interrupt) {
        if let Ok(mut i) = self.interrupt.lock() {
            i.get_or_insert(sig);
        }
        self.token.cancel();
    }

    /// The signal that stopped the run, if one did (the first, when several came).
    pub fn interrupted(&self) -> Option<Interrupt> {
        self.interrupt.lock().ok().and_then(|i| *i)
    }

    /// Whether the run is stopping, for any reason.
    pub fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Why the run stopped, as a phrase for reports.
    pub fn reason(&self) -> String {
        match self.interrupted() {
            Some(sig) => format!("interrupted by {}", sig.name()),
            None => "the run stopped before it started".to_string(),
        }
    }
}

/// Listens for SIGINT, SIGTERM and SIGHUP until the returned task is aborted; the first one
/// stops the run (which then tears down). Later ones are noted and ignored: teardown always
/// runs to the end, since leaving the stack behind is worse than a second wait.
pub fn listen(stop: Stop) -> std::io::Result<tokio::task::JoinHandle<()>> {
    crate::fault::fail("signals")?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        let mut seen = 0;
        loop {
            let sig = tokio::select! {
                _ = int.recv() => Interrupt::Interrupt,
                _ = term.recv() => Interrupt::Terminate,
                _ = hup.recv() => Interrupt::Hangup,
            };
            seen += 1;
            if seen == 1 {
                stop.interrupt(sig);
            } else {
                eprintln!(
                    "dockhand: {} received again; still removing the stack",
                    sig.name()
                );
            }
        }
    }))
}
