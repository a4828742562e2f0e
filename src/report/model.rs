//! Plain data describing one run, as the reports need it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::suite::Suite;
use super::tail::OutputTail;
use crate::verdict::Verdict;

/// Everything a report says about one run of the test command in its stack.
///
/// Built by the run engine; rendered by [`render_junit`](super::render_junit). Values are shown
/// as given: mask secrets first with [`Masker::mask_report`](super::Masker::mask_report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// The compose project; names the test suite.
    pub project: String,
    /// When the run started.
    pub started: SystemTime,
    /// How long the whole run took, set-up and tear-down included.
    pub duration: Duration,
    /// The application image that ran the tests, if known.
    pub image: Option<String>,
    /// The image tag or build identifier, if known.
    pub tag: Option<String>,
    /// Further key/values shown as JUnit properties, after the standard ones.
    pub properties: Vec<(String, String)>,
    /// One entry per dependency service started for the run, in start order.
    pub setup: Vec<SetupCase>,
    /// The test command: its result, or why it did not run.
    pub test: TestStep,
    /// The tests' own suites, written after dockhand's: JUnit files collected from the test
    /// container, tests read from the command's output.
    pub suites: Vec<Suite>,
}

/// Starting one dependency service (e.g. PostgreSQL) and waiting until it was ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupCase {
    /// The compose service name.
    pub service: String,
    /// From create to ready (or to the failure).
    pub duration: Duration,
    /// Whether it came up.
    pub outcome: SetupOutcome,
    /// How it came up (the readiness check, the time of each phase), shown as its output.
    pub note: Option<String>,
}

/// How starting a dependency service ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupOutcome {
    /// Started and ready.
    Ok,
    /// Did not start or never became ready.
    Error {
        /// One line: what went wrong, e.g. `not healthy after 60s`.
        message: String,
        /// More text for the report, including the tail of the service's log.
        detail: String,
    },
}

/// The test command's part of the run.
///
/// When the infrastructure fails before the command runs (a dependency does not start, the
/// application container cannot be created), the command is reported as `NotRun`, which the
/// JUnit report shows as an *error* test case. A CI server then never sees a run without a
/// test result as green, and the test case keeps its name from run to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestStep {
    /// The command ran to an exit code.
    Ran(TestCase),
    /// The command did not run.
    NotRun {
        /// The command that would have run.
        command: String,
        /// Why not, e.g. `dependency postgres did not become healthy`.
        reason: String,
    },
}

impl TestStep {
    /// The test command.
    pub fn command(&self) -> &str {
        match self {
            Self::Ran(case) => &case.command,
            Self::NotRun { command, .. } => command,
        }
    }
}

/// A test command that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The command as configured, e.g. `cargo test`.
    pub command: String,
    /// How long the command ran.
    pub duration: Duration,
    /// Pass or fail, and why.
    pub verdict: Verdict,
    /// The last bytes of its output (stdout and stderr as they interleaved).
    pub output: OutputTail,
    /// Where the full output was saved, if it was.
    pub output_log: Option<PathBuf>,
}
