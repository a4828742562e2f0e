//! The run's record turned into the JUnit report, secrets masked.

use std::path::Path;

use super::error::RunError;
use super::test::RunRecord;
use super::up::SetupOutcome as Setup;
use crate::report::{
    Masker, RunReport, SetupCase, SetupOutcome, TestCase, TestStep, write_junit_atomic,
};

/// The report for `record`; values of secret-looking variables in `env` are masked.
pub fn report(record: &RunRecord, env: &[(String, String)]) -> RunReport {
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
    let mut masker = Masker::new(Vec::<String>::new());
    masker.add_env(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    masker.mask_report(&mut report);
    report
}

/// Writes the JUnit report of `record` to `path` (atomically).
pub fn write(path: &Path, record: &RunRecord, env: &[(String, String)]) -> Result<(), RunError> {
    write_junit_atomic(path, &report(record, env)).map_err(|e| RunError::Report(Box::new(e)))
}
