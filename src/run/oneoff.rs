//! The test command: a one-off container of the service in the running stack, its output
//! streamed, saved and scanned for the verdict, the dependencies watched while it runs.

use std::path::PathBuf;
use std::time::Instant;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::error::RunError;
use super::stack::Stack;
use crate::plan::ContainerSpec;
use crate::ready::{ReadyError, first_failure};
use crate::report::{Event, OutputTail, PartialOutput, Reporter, RunRecord, TestRecord};
use crate::signal::Stop;
use crate::verdict::{LineScanner, MarkerPolicy, Verdict, judge};

/// Runs `spec` in `stack` to its end and judges it by `markers`. The output goes to the
/// reporter live and whole to `output_path`; `record` holds it as it grows, so a run cut short
/// (timeout, signal, a dependency dying) still reports what it printed.
pub async fn run_one_off(
    stack: &Stack,
    spec: &ContainerSpec,
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
    let id = engine.create(spec).await?;
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
