//! What a run did, recorded as it goes, and its mapping to the JUnit report with secrets masked.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::errors::ReportError;
use super::junit::write_junit_atomic;
use super::mask::Masker;
use super::model::{RunReport, SetupCase, SetupOutcome, TestCase, TestStep};
use super::suite::Suite;
use super::tail::OutputTail;
use crate::verdict::{MarkerFound, Verdict};

/// How the set-up of one service went.
#[derive(Debug, Clone)]
pub struct SetupRecord {
    /// The service.
    pub service: String,
    /// From the create call to ready.
    pub duration: Duration,
    /// Whether it came up.
    pub result: SetupResult,
    /// The check that made it ready (`healthcheck`, `postgres protocol`, `tcp 8080`, ...).
    pub check: Option<String>,
    /// How long each phase took: create, start, ready.
    pub phases: Vec<(&'static str, Duration)>,
}

impl SetupRecord {
    /// A record with no check and no phases yet.
    pub fn new(service: &str, duration: Duration, result: SetupResult) -> SetupRecord {
        SetupRecord {
            service: service.to_string(),
            duration,
            result,
            check: None,
            phases: Vec::new(),
        }
    }

    /// `ready (postgres protocol) in 1.3s: create 12ms, start 80ms, ready 1.2s`.
    pub fn note(&self) -> Option<String> {
        let check = self.check.as_deref()?;
        let mut note = format!("ready ({check}) in {}", human(self.duration));
        for (i, (phase, d)) in self.phases.iter().enumerate() {
            note.push_str(if i == 0 { ": " } else { ", " });
            note.push_str(&format!("{phase} {}", human(*d)));
        }
        Some(note)
    }
}

/// A duration as people read it: `12ms`, `1.3s`.
pub fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// How a service's set-up ended.
#[derive(Debug, Clone)]
pub enum SetupResult {
    /// It became ready.
    Ready,
    /// It failed to start or get ready, or died later.
    Failed {
        /// Why, in a sentence.
        message: String,
        /// The last lines of its log.
        log_tail: String,
    },
    /// Not started because the run stopped first (another service failed, or a signal).
    NotStarted {
        /// Why it was not started.
        reason: String,
    },
}

/// Marks the set-up of `service` in `setup` failed: a dependency that came up and failed its
/// condition or died later.
pub fn mark_failed(setup: &mut [SetupRecord], service: &str, message: String, log_tail: &str) {
    if let Some(rec) = setup.iter_mut().find(|r| r.service == service) {
        rec.result = SetupResult::Failed {
            message,
            log_tail: log_tail.to_string(),
        };
    }
}

/// The test command's run.
#[derive(Debug, Clone)]
pub struct TestRecord {
    /// The command as it ran.
    pub command: Vec<String>,
    /// How long it ran.
    pub duration: Duration,
    /// Pass or fail, and why.
    pub verdict: Verdict,
    /// The whole raw output.
    pub output_path: PathBuf,
    /// Its last bytes, for reports.
    pub output_tail: OutputTail,
}

/// The output of a test command that is still running.
#[derive(Debug, Clone)]
pub struct PartialOutput {
    /// When the command started.
    pub started: Instant,
    /// The file its raw output goes to.
    pub path: PathBuf,
    /// Its last bytes so far.
    pub tail: OutputTail,
}

/// What a run did, whether it finished or not.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    /// The project name as the file gives it: stable from run to run, so it names the suite.
    pub project: String,
    /// The name on the engine, with the run's suffix.
    pub run_project: String,
    /// The service whose image runs the test command.
    pub service: String,
    /// The test command as it runs (the override, or the service's own command).
    pub command: Vec<String>,
    /// That service's image reference.
    pub image: String,
    /// The `--tag` given, if any.
    pub tag: Option<String>,
    /// When the run started (wall clock), once it has.
    pub started_at: Option<SystemTime>,
    /// How long the whole run took.
    pub duration: Duration,
    /// Each service's set-up, in start order.
    pub setup: Vec<SetupRecord>,
    /// The test command's run, once it has ended.
    pub test: Option<TestRecord>,
    /// Every `KEY=VALUE` the compose file sets on the run's services: the values of
    /// secret-looking names are masked in reports.
    pub environment: Vec<(String, String)>,
    /// The test command's output while it runs; becomes `test` when it ends.
    pub partial: Option<PartialOutput>,
    /// Why the run ended before a verdict, if it did.
    pub error: Option<String>,
    /// The folder holding every container's log.
    pub artifacts: PathBuf,
    /// How long each phase of the run took, in the order they ran.
    pub timings: Vec<(String, Duration)>,
    /// The container the test command ran in, once created: reports are collected from it.
    pub test_container: Option<String>,
    /// The tests' own suites: collected JUnit files and tests read from the output.
    pub suites: Vec<Suite>,
    /// What the user should know that did not fail the run (a report file that could not be
    /// read, a failed test under a passing verdict); `warning.N` properties in the report.
    pub warnings: Vec<String>,
}

impl RunRecord {
    /// Marks the set-up of `service` failed, when a dependency that came up fails later.
    pub fn mark_failed(&mut self, service: &str, message: String, log_tail: &str) {
        mark_failed(&mut self.setup, service, message, log_tail);
    }

    /// Ends the record of a run that stopped with `error`: a test command cut short is
    /// reported with what it printed, as a failure saying why.
    pub fn end_with_error(&mut self, error: String, now: Instant) {
        if let Some(p) = self.partial.take() {
            self.test = Some(TestRecord {
                command: self.command.clone(),
                duration: now.duration_since(p.started),
                verdict: Verdict {
                    passed: false,
                    marker: MarkerFound::NotChecked,
                    exit_code: -1,
                    reason: format!("the test command did not finish: {error}"),
                },
                output_path: p.path,
                output_tail: p.tail,
            });
        }
        self.error = Some(error);
    }

    /// The report of this record, masked by `masker`.
    pub fn report(&self, masker: &Masker) -> RunReport {
        let setup = self
            .setup
            .iter()
            .map(|s| SetupCase {
                service: s.service.clone(),
                duration: s.duration,
                outcome: match &s.result {
                    SetupResult::Ready => SetupOutcome::Ok,
                    SetupResult::Failed { message, log_tail } => SetupOutcome::Error {
                        message: message.clone(),
                        detail: format!(
                            "{message}\n\nlast lines of the log of {}:\n{log_tail}",
                            s.service
                        ),
                    },
                    SetupResult::NotStarted { reason } => SetupOutcome::Error {
                        message: format!("not started: {reason}"),
                        detail: String::new(),
                    },
                },
                note: s.note(),
            })
            .collect();
        let test = match &self.test {
            Some(t) => TestStep::Ran(TestCase {
                command: shell_words::join(&t.command),
                duration: t.duration,
                verdict: t.verdict.clone(),
                output: t.output_tail.clone(),
                output_log: Some(t.output_path.clone()),
            }),
            None => TestStep::NotRun {
                command: shell_words::join(&self.command),
                reason: self
                    .error
                    .clone()
                    .unwrap_or_else(|| "the test command did not run".into()),
            },
        };
        let mut report =
            RunReport {
                project: self.project.clone(),
                started: self.started_at.unwrap_or_else(SystemTime::now),
                duration: self.duration,
                image: Some(self.image.clone()),
                tag: self.tag.clone(),
                properties: [
                    ("service".into(), self.service.clone()),
                    ("run_project".into(), self.run_project.clone()),
                    ("artifacts".into(), self.artifacts.display().to_string()),
                ]
                .into_iter()
                .chain(self.timings.iter().map(|(phase, d)| {
                    (format!("timing.{phase}"), format!("{:.3}", d.as_secs_f64()))
                }))
                .chain(
                    self.warnings
                        .iter()
                        .enumerate()
                        .map(|(i, w)| (format!("warning.{}", i + 1), w.clone())),
                )
                .collect(),
                setup,
                test,
                suites: self.suites.clone(),
            };
        masker.mask_report(&mut report);
        report
    }

    /// Writes the JUnit report of this record, masked by `masker`, to `path` (atomically).
    pub fn write_junit(&self, path: &Path, masker: &Masker) -> Result<(), ReportError> {
        write_junit_atomic(path, &self.report(masker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RunRecord {
        RunRecord {
            project: "shop".into(),
            command: vec!["/test.sh".into(), "a b".into()],
            setup: vec![
                SetupRecord {
                    check: Some("postgres protocol".into()),
                    phases: vec![
                        ("create", Duration::from_millis(12)),
                        ("start", Duration::from_millis(80)),
                        ("ready", Duration::from_millis(1208)),
                    ],
                    ..SetupRecord::new("db", Duration::from_millis(1300), SetupResult::Ready)
                },
                SetupRecord::new(
                    "cache",
                    Duration::ZERO,
                    SetupResult::NotStarted {
                        reason: "interrupted by SIGINT".into(),
                    },
                ),
            ],
            environment: vec![("API_TOKEN".into(), "hunter2-secret".into())],
            ..Default::default()
        }
    }

    #[test]
    fn a_run_that_never_reached_the_test_says_why() {
        let mut r = record();
        r.error = Some("interrupted by SIGINT; token hunter2-secret".into());
        let mut masker = Masker::new(Vec::<String>::new());
        masker.add_env(r.environment.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let report = r.report(&masker);
        assert!(matches!(report.setup[0].outcome, SetupOutcome::Ok));
        assert_eq!(
            report.setup[0].note.as_deref(),
            Some("ready (postgres protocol) in 1.3s: create 12ms, start 80ms, ready 1.2s")
        );
        assert_eq!(report.setup[1].note, None);
        match &report.setup[1].outcome {
            SetupOutcome::Error { message, .. } => {
                assert_eq!(message, "not started: interrupted by SIGINT")
            }
            other => panic!("{other:?}"),
        }
        match &report.test {
            TestStep::NotRun { command, reason } => {
                assert_eq!(command, "/test.sh 'a b'");
                assert!(!reason.contains("hunter2-secret"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn timings_become_properties() {
        let mut r = record();
        r.timings = vec![
            ("load".into(), Duration::from_millis(4)),
            ("db.ready".into(), Duration::from_millis(1208)),
        ];
        let report = r.report(&Masker::new(Vec::<String>::new()));
        assert!(
            report
                .properties
                .contains(&("timing.load".into(), "0.004".into()))
        );
        assert!(
            report
                .properties
                .contains(&("timing.db.ready".into(), "1.208".into()))
        );
    }

    #[test]
    fn a_test_cut_short_is_a_failure_with_its_output() {
        let mut r = record();
        let started = Instant::now();
        r.partial = Some(PartialOutput {
            started,
            path: "/tmp/out.log".into(),
            tail: OutputTail::from_bytes(b"half way\n"),
        });
        r.end_with_error("the run took longer than its timeout of 5s".into(), started);
        let t = r
            .test
            .as_ref()
            .expect("the partial output becomes the test");
        assert!(!t.verdict.passed);
        assert_eq!(
            t.verdict.reason,
            "the test command did not finish: the run took longer than its timeout of 5s"
        );
        assert_eq!(t.output_tail.to_vec(), b"half way\n");
        assert!(r.partial.is_none());
    }

    #[test]
    fn a_dependency_that_dies_later_is_marked_failed() {
        let mut r = record();
        r.mark_failed("db", "service db exited with code 137".into(), "killed");
        match &r.setup[0].result {
            SetupResult::Failed { message, log_tail } => {
                assert_eq!(message, "service db exited with code 137");
                assert_eq!(log_tail, "killed");
            }
            other => panic!("{other:?}"),
        }
    }
}
