//! OS signals turned into one stop request for the run.

use tokio::signal::unix::{SignalKind, signal};

use super::error::Interrupt;
use super::up::Stop;

/// Listens for SIGINT, SIGTERM and SIGHUP until the returned task is aborted; the first one
/// stops the run (which then tears down). Later ones are noted and ignored: teardown always
/// runs to the end, since leaving the stack behind is worse than a second wait.
pub fn listen(stop: Stop) -> std::io::Result<tokio::task::JoinHandle<()>> {
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
