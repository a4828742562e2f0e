//! Stacks shared by test processes: the folder that coordinates them, and the keeper process
//! that removes a shared stack once its last user has been gone for the linger.
//!
//! Each shared stack has a folder named by its fingerprint, holding:
//! - `lock`: an exclusive file lock. Whoever holds it may bring the stack up, attach to it or
//!   remove it, so there is never a second bring-up. The kernel releases it however its holder
//!   ends, SIGKILL included.
//! - `state.json`: which run is up (or why its bring-up failed) and which keeper owns it.
//! - `leases/PID-START-N`: one file per handle in use, named by its process (pid and start
//!   time, see [`crate::owner`]). A lease whose process is gone counts for nothing, so a test
//!   process killed outright neither keeps the stack forever nor removes it under live users.
//!
//! The keeper is a detached dockhand process started with the stack and written into its
//! owner labels. It checks the leases every 200 ms; once none has been alive for the linger,
//! it takes the lock, removes the run by label and its state, and exits. Should the keeper
//! itself be killed, the stack's owner is dead and the next sweep removes it.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::teardown::teardown_run;
use crate::engine::Engine;
use crate::owner;

/// The hidden subcommand that runs the keeper.
pub const SUBCOMMAND: &str = "__keep-shared";
/// The environment variable that sets how long a shared stack outlives its last user.
pub const LINGER_ENV: &str = "DOCKHAND_LINGER";
/// The environment variable that moves the folder of shared stacks (default: the temporary
/// folder's `dockhand/shared`).
pub const DIR_ENV: &str = "DOCKHAND_SHARE_DIR";
/// How long a shared stack outlives its last user unless told otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(5);
/// What the keeper prints once it runs, so the process that started it knows it can.
pub const KEEPER_READY: &str = "keeping";

const POLL: Duration = Duration::from_millis(200);

/// Reads a linger as `DOCKHAND_LINGER` gives it: seconds (`5`, `0.5`) or with a unit (`500ms`,
/// `5s`, `2m`).
pub fn parse_linger(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| Duration::from_secs_f64(value * scale))
}

/// How a shared stack's bring-up ended, as recorded for the processes that ask for it next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Up and ready.
    Up,
    /// Its bring-up failed with this message; nothing of it is left.
    Failed(String),
}

/// What `state.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedState {
    /// The run id every resource of the stack carries.
    pub run: String,
    /// The keeper process and its start time (clock ticks since boot).
    pub keeper_pid: u32,
    /// See [`owner::start_time`].
    pub keeper_start: Option<u64>,
    /// How the bring-up ended.
    pub status: Status,
}

impl SharedState {
    /// Whether the keeper of this state still runs, so the state still holds.
    pub fn keeper_alive(&self) -> bool {
        owner::is_alive(self.keeper_pid, self.keeper_start)
    }
}

/// The folder of one shared stack.
#[derive(Debug, Clone)]
pub struct ShareDir {
    path: PathBuf,
}

impl ShareDir {
    /// The folder of the stack with fingerprint `fingerprint`, under `DOCKHAND_SHARE_DIR` or
    /// the temporary folder.
    pub fn for_fingerprint(fingerprint: &str) -> ShareDir {
        let root = std::env::var_os(DIR_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("dockhand").join("shared"));
        ShareDir {
            path: root.join(fingerprint),
        }
    }

    /// A share folder at `path` (the keeper is given it on its command line).
    pub fn at(path: impl Into<PathBuf>) -> ShareDir {
        ShareDir { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the stack's lock, waiting for whoever holds it. Blocking: call it off the async
    /// runtime's threads.
    pub fn lock(&self) -> io::Result<Locked> {
        fs::create_dir_all(self.path.join("leases"))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path.join("lock"))?;
        file.lock()?;
        Ok(Locked {
            _file: file,
            dir: self.clone(),
        })
    }

    /// [`lock`](Self::lock) for async code: the wait happens on a blocking thread, so the
    /// runtime's own threads stay free.
    pub async fn lock_async(&self) -> io::Result<Locked> {
        let dir = self.clone();
        tokio::task::spawn_blocking(move || dir.lock())
            .await
            .map_err(io::Error::other)?
    }

    /// The leases whose processes still run; the files of dead ones are removed.
    pub fn live_leases(&self) -> usize {
        let Ok(entries) = fs::read_dir(self.path.join("leases")) else {
            return 0;
        };
        let mut live = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if lease_alive(&name) {
                live += 1;
            } else {
                let _ = fs::remove_file(entry.path());
            }
        }
        live
    }
}

/// Whether the process named by lease file `name` (`PID-START-N`) still runs.
fn lease_alive(name: &str) -> bool {
    let mut parts = name.split('-');
    let pid = parts.next().and_then(|p| p.parse::<u32>().ok());
    let start = parts.next().and_then(|s| s.parse::<u64>().ok());
    match pid {
        Some(pid) => owner::is_alive(pid, start),
        None => false,
    }
}

/// The stack's lock, held: released when dropped.
#[derive(Debug)]
pub struct Locked {
    _file: File,
    dir: ShareDir,
}

impl Locked {
    /// The recorded state, if any (an unreadable one counts as none).
    pub fn state(&self) -> Option<SharedState> {
        let text = fs::read_to_string(self.dir.path.join("state.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Records `state`, replacing what was there.
    pub fn write_state(&self, state: &SharedState) -> io::Result<()> {
        let text = serde_json::to_string(state).map_err(io::Error::other)?;
        let tmp = self.dir.path.join("state.json.tmp");
        fs::write(&tmp, text)?;
        fs::rename(tmp, self.dir.path.join("state.json"))
    }

    /// Forgets the recorded state when it is that of run `run`.
    pub fn remove_state_of(&self, run: &str) {
        if self.state().is_some_and(|s| s.run == run) {
            let _ = fs::remove_file(self.dir.path.join("state.json"));
        }
    }

    /// Takes a lease for this process; dropping it gives it back.
    pub fn add_lease(&self) -> io::Result<Lease> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let pid = std::process::id();
        let start = owner::start_time(pid).unwrap_or(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = self
            .dir
            .path
            .join("leases")
            .join(format!("{pid}-{start}-{n}"));
        File::create(&path)?;
        Ok(Lease { path })
    }

    /// See [`ShareDir::live_leases`].
    pub fn live_leases(&self) -> usize {
        self.dir.live_leases()
    }
}

/// One handle's claim on a shared stack; its file goes when it is dropped.
#[derive(Debug)]
pub struct Lease {
    path: PathBuf,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The keeper's side: announces itself, then removes run `run` once no lease in `dir` has
/// been alive for `linger`. Returns the exit code.
pub async fn keep(dir: &Path, run: &str, linger: Duration) -> i32 {
    // A Ctrl-C or hangup meant for the test run must not stop the keeper early.
    let _int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    let _hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    println!("{KEEPER_READY}");
    let dir = ShareDir::at(dir);
    let mut empty_since: Option<Instant> = None;
    loop {
        tokio::time::sleep(POLL).await;
        if dir.live_leases() > 0 {
            empty_since = None;
            continue;
        }
        if empty_since.get_or_insert_with(Instant::now).elapsed() < linger {
            continue;
        }
        let Ok(locked) = dir.lock_async().await else {
            return 3;
        };
        if locked.live_leases() > 0 {
            empty_since = None;
            continue;
        }
        let code = match Engine::connect().await {
            Ok(engine) => match teardown_run(&engine, run).await {
                Ok(_) => 0,
                Err(_) => 3,
            },
            Err(_) => 3,
        };
        locked.remove_state_of(run);
        return code;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linger_reads_seconds_and_units() {
        assert_eq!(parse_linger("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_linger("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_linger("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_linger(" 2m "), Some(Duration::from_secs(120)));
        assert_eq!(parse_linger("0"), Some(Duration::ZERO));
        assert_eq!(parse_linger("soon"), None);
        assert_eq!(parse_linger("-1"), None);
    }

    #[test]
    fn leases_of_live_processes_count_and_dead_ones_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ShareDir::at(tmp.path());
        let locked = dir.lock().unwrap();
        let lease = locked.add_lease().unwrap();
        let other = locked.add_lease().unwrap();
        // A process that cannot exist: its lease is dead.
        let dead = tmp
            .path()
            .join("leases")
            .join(format!("{}-1-0", u32::MAX - 1));
        File::create(&dead).unwrap();
        assert_eq!(locked.live_leases(), 2);
        assert!(!dead.exists(), "a dead lease is removed");
        drop(lease);
        assert_eq!(locked.live_leases(), 1);
        drop(other);
        assert_eq!(locked.live_leases(), 0);
    }

    #[test]
    fn state_round_trips_and_is_removed_only_for_its_run() {
        let tmp = tempfile::tempdir().unwrap();
        let locked = ShareDir::at(tmp.path()).lock().unwrap();
        assert_eq!(locked.state(), None);
        let state = SharedState {
            run: "abc".into(),
            keeper_pid: std::process::id(),
            keeper_start: owner::start_time(std::process::id()),
            status: Status::Failed("boom".into()),
        };
        locked.write_state(&state).unwrap();
        assert_eq!(locked.state(), Some(state.clone()));
        assert!(state.keeper_alive());
        locked.remove_state_of("other");
        assert!(locked.state().is_some());
        locked.remove_state_of("abc");
        assert_eq!(locked.state(), None);
    }

    #[test]
    fn the_lock_excludes_a_second_holder_until_released() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ShareDir::at(tmp.path());
        let held = dir.lock().unwrap();
        let file = OpenOptions::new()
            .write(true)
            .open(tmp.path().join("lock"))
            .unwrap();
        assert!(matches!(file.try_lock(), Err(fs::TryLockError::WouldBlock)));
        drop(held);
        assert!(file.try_lock().is_ok());
    }
}
