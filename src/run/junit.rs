//! The run's record turned into the JUnit report, secrets masked.

use std::path::Path;

use super::error::RunError;
use super::test::{RunRecord, TestSettings};
use super::up::SetupOutcome as Setup;
use crate::report::{
    Masker, RunReport, SetupCase, SetupOutcome, TestCase, TestStep, write_junit_atomic,
};

/// What hides the run's secrets: the values of the `-e` variables with secret-looking names or
/// names given with `--mask`.
pub fn masker(settings: &TestSettings) -> Masker {
    let mut masker = Masker::new(&settings.masks);
    masker.add_env(settings.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    masker
}

/// The report for `record`, masked by `masker`.
pub fn report(record: &RunRecord, masker: &Masker) -> RunReport {
    let setup = record
        .setup
        .iter()
        .map(|s| SetupCase {
            service: s.service.clone(),
            duration: s.duration,
            outcome: match &s.outcome {
                Setup::Ready => SetupOutcome::Ok,
                Setup::Failed { message, log_tail } => SetupOutcome::Error {
                    message: message.clone(),
                    detail: format!(
                        "{message}\n\nlast lines of the log of {}:\n{log_tail}",
                        s.service
                    ),
                },
                Setup::NotStarted { reason } => SetupOutcome::Error {
                    message: format!("not started: {reason}"),
                    detail: String::new(),
                },
            },
        })
        .collect();
    let test = match &record.test {
        Some(t) => TestStep::Ran(TestCase {
            command: shell_words::join(&t.command),
            duration: t.duration,
            verdict: t.verdict.clone(),
            output: t.output_tail.clone(),
            output_log: Some(t.output_path.clone()),
        }),
        None => TestStep::NotRun {
            command: shell_words::join(&record.command),
            reason: record
                .error
                .clone()
                .unwrap_or_else(|| "the test command did not run".into()),
        },
    };
    let mut report = RunReport {
        project: record.project.clone(),
        started: record.started_at.unwrap_or_else(std::time::SystemTime::now),
        duration: record.duration,
        image: Some(record.image.clone()),
        tag: record.tag.clone(),
        properties: vec![
            ("service".into(), record.service.clone()),
            ("run_project".into(), record.run_project.clone()),
            ("artifacts".into(), record.artifacts.display().to_string()),
        ],
        setup,
        test,
    };
    masker.mask_report(&mut report);
    report
}

/// Writes the JUnit report of `record`, masked by `masker`, to `path` (atomically).
pub fn write(path: &Path, record: &RunRecord, masker: &Masker) -> Result<(), RunError> {
    write_junit_atomic(path, &report(record, masker)).map_err(|e| RunError::Report(Box::new(e)))
}
