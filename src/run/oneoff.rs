//! The test command: a one-off container of the service in the running stack, its output
//! streamed, saved and scanned for the verdict, the dependencies watched while it runs; then
//! what the tests reported themselves, collected from the container and read from the output.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::error::RunError;
use super::stack::Stack;
use crate::engine::{Engine, EngineError};
use crate::plan::ContainerSpec;
use crate::ready::{ReadyError, first_failure};
use crate::report::{
    CollectGlob, Event, OutputTail, PartialOutput, ReadTests, Reporter, RunRecord, TestRecord,
    TestsFrom, read_collected, save_matches,
};
use crate::signal::Stop;
use crate::verdict::{LineScanner, MarkerPolicy, Verdict, judge};

/// Runs `spec` in `stack` to its end and judges it by `markers`. The output goes to the
/// reporter live and whole to `output_path`; `record` holds it as it grows, so a run cut short
/// (timeout, signal, a dependency dying) still reports what it printed.
#[allow(clippy::too_many_arguments)]
pub async fn run_one_off(
    stack: &Stack,
    spec: &ContainerSpec,
    created: Option<String>,
    markers: &MarkerPolicy,
    output_path: PathBuf,
    reporter: &dyn Reporter,
    stop: &Stop,
    record: &mut RunRecord,
) -> Result<Verdict, RunError> {
    let engine = stack.engine();
    let service = spec.service.as_str();
    let write_err = |source| RunError::Write {
        what: "the test output",
        path: output_path.display().to_string(),
        source,
    };

    let t0 = Instant::now();
    let id = match created {
        Some(id) => id,
        None => engine.create(spec).await?,
    };
    record.test_container = Some(id.clone());
    let mut output = engine.attach_output(&id).await?;
    engine.start(&id).await?;
    reporter.event(Event::TestStarted {
        service,
        container: &spec.name,
    });

    let mut file = tokio::fs::File::create(&output_path)
        .await
        .map_err(write_err)?;
    let mut scanner = LineScanner::default();
    record.partial = Some(PartialOutput {
        started: t0,
        path: output_path.clone(),
        tail: OutputTail::default(),
    });
    let watch_deps = first_failure(engine, stack.containers().iter());
    tokio::pin!(watch_deps);
    loop {
        tokio::select! {
            chunk = output.next() => match chunk {
                Some(Ok(bytes)) => {
                    file.write_all(&bytes).await.map_err(write_err)?;
                    if let Some(p) = &mut record.partial {
                        p.tail.push(&bytes);
                    }
                    scanner.push(&bytes, |line| reporter.event(Event::Output { service, line }));
                    reporter.event(Event::OutputFlush);
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            e = &mut watch_deps => {
                engine.kill(&id, "SIGKILL").await?;
                if let ReadyError::Exited { service, log_tail, .. } = &e {
                    let message = format!("{e}, while the test command ran");
                    record.mark_failed(service, message, log_tail);
                }
                return Err(e.into());
            }
            _ = stop.token().cancelled() => {
                engine.kill(&id, "SIGKILL").await?;
                return Err(RunError::stopped(stop));
            }
        }
    }
    scanner.finish(|line| reporter.event(Event::Output { service, line }));
    reporter.event(Event::OutputFlush);
    file.flush().await.map_err(write_err)?;
    let exit_code = engine.wait_exit(&id).await?;
    let verdict = judge(exit_code, scanner.last_line(), markers);
    let tail = record.partial.take().map(|p| p.tail).unwrap_or_default();
    record.test = Some(TestRecord {
        command: record.command.clone(),
        duration: t0.elapsed(),
        verdict: verdict.clone(),
        output_path,
        output_tail: tail,
    });
    Ok(verdict)
}

/// How long copying the reports out of the test container may take in all.
const COLLECT_TIMEOUT: Duration = Duration::from_secs(60);

/// Copies the files `globs` name out of the test container (if it was created) into the
/// artifacts folder's `collected/`, at their paths inside the container, and adds their JUnit
/// suites to `record`. A glob that matches nothing and a file that is not JUnit are warnings.
pub async fn collect_reports(
    engine: &Engine,
    globs: &[String],
    reporter: &dyn Reporter,
    record: &mut RunRecord,
) {
    let Some(container) = record.test_container.clone() else {
        return;
    };
    if globs.is_empty() {
        return;
    }
    let dir = record.artifacts.join("collected");
    let mut read = ReadTests::default();
    let copying = async {
        let mut files = Vec::new();
        for pattern in globs {
            let glob = match CollectGlob::new(pattern) {
                Ok(glob) => glob,
                Err(e) => {
                    read.warnings.push(with_causes(&e));
                    continue;
                }
            };
            let tar = match engine.download(&container, glob.download_path()).await {
                Ok(tar) => tar,
                Err(EngineError::NoSuchPath { path, .. }) => {
                    read.warnings.push(format!(
                        "collect glob {pattern} matched no file: the test container has no {path}"
                    ));
                    continue;
                }
                Err(e) => {
                    read.warnings
                        .push(format!("collect glob {pattern}: {}", with_causes(&e)));
                    continue;
                }
            };
            let (unpacking, dir) = (glob.clone(), dir.clone());
            let saved =
                tokio::task::spawn_blocking(move || save_matches(&unpacking, &tar, &dir)).await;
            match saved {
                Ok(Ok(saved)) if saved.is_empty() => read.warnings.push(format!(
                    "collect glob {pattern} matched no file in the test container"
                )),
                // A file two globs name is read once.
                Ok(Ok(saved)) => {
                    for file in saved {
                        if !files.contains(&file) {
                            files.push(file);
                        }
                    }
                }
                Ok(Err(e)) => read.warnings.push(with_causes(&e)),
                Err(e) => read.warnings.push(format!(
                    "collect glob {pattern}: saving the files failed: {e}"
                )),
            }
        }
        files
    };
    let files = match tokio::time::timeout(COLLECT_TIMEOUT, copying).await {
        Ok(files) => files,
        Err(_) => {
            read.warnings.push(format!(
                "collecting reports from the test container took over {}s and was stopped",
                COLLECT_TIMEOUT.as_secs()
            ));
            Vec::new()
        }
    };
    if !files.is_empty() {
        reporter.event(Event::Note {
            message: &format!(
                "collected {} report file{} into {}",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                dir.display()
            ),
        });
    }
    let suites = tokio::task::spawn_blocking(move || read_collected(&files))
        .await
        .unwrap_or_default();
    read.suites.extend(suites.suites);
    read.warnings.extend(suites.warnings);
    keep(read, reporter, record);
}

/// Reads the tests in the test command's output (saved whole while it ran) as `format`, each
/// a case of the report. No test found, a plan not met or a bail-out are warnings.
pub fn read_tests_from(format: TestsFrom, reporter: &dyn Reporter, record: &mut RunRecord) {
    let Some(test) = &record.test else {
        return;
    };
    let mut read = match std::fs::read(&test.output_path) {
        Ok(output) => format.read(&output),
        Err(e) => {
            let message = format!(
                "--tests-from {format}: the test output {} could not be read: {e}",
                test.output_path.display()
            );
            keep(
                ReadTests {
                    warnings: vec![message],
                    ..ReadTests::default()
                },
                reporter,
                record,
            );
            return;
        }
    };
    for warning in &mut read.warnings {
        *warning = format!("--tests-from {format}: {warning}");
    }
    if read.suites.is_empty() {
        read.warnings.push(format!(
            "--tests-from {format}: no test found in the output of the test command"
        ));
    }
    keep(read, reporter, record);
}

/// A passing verdict stays a pass (exit code and marker decide), but failed tests among the
/// tests' own reports are told, on the console and in the report.
pub fn warn_of_failures_under_a_pass(
    verdict: &Verdict,
    reporter: &dyn Reporter,
    record: &mut RunRecord,
) {
    if !verdict.passed {
        return;
    }
    let failed: Vec<&str> = record
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.failed() || c.errored())
        .map(|c| c.name.as_str())
        .collect();
    if failed.is_empty() {
        return;
    }
    const NAMED: usize = 5;
    let mut names = failed[..failed.len().min(NAMED)].join(", ");
    if failed.len() > NAMED {
        names.push_str(&format!(" and {} more", failed.len() - NAMED));
    }
    let message = format!(
        "the verdict is a pass, yet {} test{} in the tests' own reports failed: {names}",
        failed.len(),
        if failed.len() == 1 { "" } else { "s" },
    );
    keep(
        ReadTests {
            warnings: vec![message],
            ..ReadTests::default()
        },
        reporter,
        record,
    );
}

/// Adds what was read to the record and tells each warning.
fn keep(read: ReadTests, reporter: &dyn Reporter, record: &mut RunRecord) {
    for warning in &read.warnings {
        reporter.event(Event::Warning { message: warning });
    }
    record.suites.extend(read.suites);
    record.warnings.extend(read.warnings);
}

/// An error and its causes, each once: `error saving ...: No space left on device`.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}
