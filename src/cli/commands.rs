//! Each subcommand: settings from arguments, the library call, the exit status.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::Duration;

use clap::CommandFactory as _;

use super::error::CliError;
use super::{
    Cli, Command, ConfigArgs, DownArgs, EngineArgs, Format, ProgressMode, ProjectArgs, TestArgs,
    TestsFromFormat, UpArgs,
};
use crate::cleanup::teardown;
use crate::compose::{self, LoadOptions};
use crate::engine::{DockerEnv, Engine, EngineChoice, EngineRequest, Location};
use crate::labels;
use crate::report::{CollectError, CollectGlob, Console, Masker, Progress, TestsFrom};
use crate::run::{RunError, Stack, TestSettings, exit, pre_stop_hooks, run_test};
use crate::signal::{self, Stop};
use crate::verdict::{MarkerPolicy, Markers};

impl ProjectArgs {
    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            files: self.files.clone(),
            project_name: self.project_name.clone(),
            profiles: self.profiles.clone(),
            ..Default::default()
        }
    }
}

/// Runs the parsed command line; returns the process exit status.
pub async fn run(cli: Cli) -> i32 {
    let engine = &cli.engine;
    let result = match cli.command {
        Command::Test(args) => test(*args, engine).await,
        Command::Up(args) => up(args, engine).await,
        Command::Down(args) => down(args, engine).await,
        Command::Ps => ps(engine).await,
        Command::Config(args) => config(args).map_err(CliError::from),
        Command::Prune { reused } => prune(reused, engine).await,
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
        Command::Reap { run } => return crate::cleanup::reaper::run(&run).await,
        Command::KeepShared {
            dir,
            run,
            linger_ms,
        } => {
            let linger = std::time::Duration::from_millis(linger_ms);
            return crate::cleanup::shared::keep(&dir, &run, linger).await;
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            e.exit_code()
        }
    }
}

impl EngineArgs {
    /// The engine these options, the environment and the Docker config choose.
    fn choice(&self) -> Result<EngineChoice, CliError> {
        let request = EngineRequest {
            host: self.host.clone(),
            context: self.context.clone(),
            location: if self.engine_is_local {
                Location::Local
            } else if self.engine_is_remote {
                Location::Remote
            } else {
                Location::FromAddress
            },
            allow_remote_binds: self.allow_remote_binds,
        };
        Ok(EngineChoice::resolve(&request, &DockerEnv::from_process())?)
    }
}

/// Prints an error with its chain of causes, each once.
pub fn report_error(e: &CliError) {
    eprintln!("{}", error_text(e));
}

/// An error with its chain of causes, each once, and a failed dependency's log tail.
fn error_text(e: &CliError) -> String {
    let mut text = match e {
        // The loader's diagnostics already start with "error:".
        CliError::Run(RunError::Load(_)) => e.to_string(),
        _ => format!("error: {e}"),
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    if let CliError::Run(RunError::Dependency(ready)) = e
        && let Some(tail) = ready.log_tail().filter(|t| !t.trim().is_empty())
    {
        text.push_str(&format!(
            "\nlast {} lines of its log:",
            crate::ready::LOG_TAIL_LINES
        ));
        for line in tail.lines() {
            text.push_str(&format!("\n  | {line}"));
        }
    }
    text
}

/// `KEY=VALUE` or `KEY` (taken from this environment) into a pair.
fn parse_env(arg: &str) -> Result<Option<(String, String)>, CliError> {
    match arg.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok(Some((k.to_string(), v.to_string()))),
        Some(_) => Err(CliError::InvalidArgument {
            arg: "-e",
            value: arg.to_string(),
            problem: "expected KEY=VALUE".into(),
        }),
        None => Ok(std::env::var(arg).ok().map(|v| (arg.to_string(), v))),
    }
}

/// An image tag as the engine takes it: 1 to 128 letters, digits, `_`, `.` or `-`.
fn check_tag(arg: &'static str, tag: &str) -> Result<(), CliError> {
    let valid = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if valid {
        return Ok(());
    }
    Err(CliError::InvalidArgument {
        arg,
        value: tag.to_string(),
        problem: "a tag is 1 to 128 letters, digits, '_', '.' or '-'".into(),
    })
}

fn test_settings(args: &TestArgs) -> Result<TestSettings, CliError> {
    let mut env = Vec::new();
    for file in &args.env_files {
        let pairs = compose::dotenv::read_file(file).map_err(RunError::Load)?;
        env.extend(pairs);
    }
    for e in &args.env {
        if let Some(pair) = parse_env(e)? {
            env.push(pair);
        }
    }
    let markers = if args.no_marker {
        MarkerPolicy::ExitCodeOnly
    } else {
        let m = Markers {
            success: args.success_marker.clone(),
            failure: args.failure_marker.clone(),
        };
        m.validate().map_err(CliError::Marker)?;
        MarkerPolicy::Required(m)
    };
    if let Some(tag) = &args.tag {
        check_tag("--tag", tag)?;
    }
    for tag in &args.also_tags {
        check_tag("--also-tag", tag)?;
    }
    for glob in &args.collect {
        CollectGlob::new(glob).map_err(|e| CliError::InvalidArgument {
            arg: "--collect",
            value: glob.clone(),
            problem: match e {
                CollectError::NotAbsolute { .. } => "a collect glob is an absolute path inside \
                    the test container, such as /app/reports/*.xml"
                    .into(),
                CollectError::BadGlob { source, .. } => source.to_string(),
                other => other.to_string(),
            },
        })?;
    }
    let mut load = args.project.load_options();
    load.env_files = args.compose_env_files.clone();
    Ok(TestSettings {
        load,
        service: args.service.clone(),
        command: args.command.clone(),
        env,
        markers,
        junit: args.junit.clone(),
        artifacts: args.artifacts.clone(),
        tag: args.tag.clone(),
        keep: args.keep,
        keep_host_ports: args.keep_host_ports,
        ready_timeout: Duration::from_secs(args.ready_timeout),
        timeout: args.timeout.map(Duration::from_secs),
        masks: args.masks.clone(),
        graceful_stop: args.graceful_stop,
        reaper: std::env::current_exe().ok(),
        reuse: args.reuse,
        push: args.push,
        also_tags: args.also_tags.clone(),
        collect: args.collect.clone(),
        tests_from: args.tests_from.map(|format| match format {
            TestsFromFormat::Libtest => TestsFrom::Libtest,
            TestsFromFormat::Tap => TestsFrom::Tap,
        }),
        engine: None,
    })
}

async fn test(args: TestArgs, engine: &EngineArgs) -> Result<i32, CliError> {
    let mut settings = test_settings(&args)?;
    settings.engine = Some(engine.choice()?);
    if args.dry_run {
        print!("{}", settings.describe()?);
        return Ok(exit::PASS);
    }
    let console = Console::with_progress(args.verbose, progress(args.progress));
    let stop = Stop::new();
    let listener = signal::listen(stop.clone()).map_err(CliError::Signals)?;
    let outcome = run_test(&settings, &console, &stop).await;
    listener.abort();
    // The board stays as it ends; what follows prints below it.
    console.finish();
    // The reason may quote the output's last line, an error a dependency's log: either can
    // hold a secret.
    let masker = settings.masker();
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            let e = CliError::Run(e);
            eprintln!("{}", masker.mask_text(&error_text(&e)));
            return Ok(e.exit_code());
        }
    };
    if args.timings {
        eprint!("{}", timings_table(&outcome.record.timings));
    }
    let v = &outcome.verdict;
    if v.passed {
        eprintln!("dockhand: PASS: {}", masker.mask_text(&v.reason));
        Ok(exit::PASS)
    } else {
        eprintln!("dockhand: FAIL: {}", masker.mask_text(&v.reason));
        Ok(exit::TEST_FAILED)
    }
}

fn progress(mode: ProgressMode) -> Progress {
    match mode {
        ProgressMode::Auto => Progress::Auto,
        ProgressMode::Plain => Progress::Plain,
        ProgressMode::Tty => Progress::Tty,
    }
}

async fn up(args: UpArgs, engine: &EngineArgs) -> Result<i32, CliError> {
    let mut builder = Stack::builder()
        .ready_timeout(Duration::from_secs(args.ready_timeout))
        .keep(true)
        .engine(engine.choice()?);
    for f in &args.project.files {
        builder = builder.file(f);
    }
    if let Some(p) = &args.project.project_name {
        builder = builder.project_name(p);
    }
    for p in &args.project.profiles {
        builder = builder.profile(p);
    }
    for s in &args.services {
        builder = builder.service(s);
    }
    if let Some(t) = &args.tag {
        builder = builder.tag(t);
    }
    if args.dry_run {
        print!("{}", builder.plan()?);
        return Ok(exit::PASS);
    }
    let console = Console::with_progress(false, progress(args.progress));
    let stop = Stop::new();
    let listener = signal::listen(stop.clone()).map_err(CliError::Signals)?;
    let stack = builder.up_until(&console, &stop).await;
    listener.abort();
    console.finish();
    let stack = stack?;
    if args.timings {
        eprint!("{}", timings_table(&stack.timings()));
    }
    let project = stack.project().to_string();
    println!("project {project} is up");
    for (service, port, addr) in stack.endpoints() {
        println!("{service}\t{port}\t{addr}");
    }
    println!("remove it with: dockhand down -p {project}");
    stack.keep_up();
    Ok(exit::PASS)
}

/// Prints each problem as a warning.
fn warn_all(problems: Vec<String>) {
    for problem in problems {
        eprintln!("dockhand: warning: {problem}");
    }
}

/// `dockhand down`: the `pre_stop` hooks of what runs, then the stack, by its labels.
async fn down(args: DownArgs, engine: &EngineArgs) -> Result<i32, CliError> {
    let engine = Engine::connect_to(&engine.choice()?).await?;
    if args.reused {
        let removed = remove_reused(&engine, args.project_name.as_deref()).await?;
        eprintln!(
            "dockhand: removed {} containers, {} networks, {} volumes of reused stacks",
            removed.containers, removed.networks, removed.volumes
        );
        return Ok(exit::PASS);
    }
    let Some(name) = &args.project_name else {
        return Ok(exit::PASS);
    };
    let exact = BTreeMap::from([(labels::PROJECT.to_string(), name.clone())]);
    warn_all(pre_stop_hooks(&engine, &exact).await);
    let mut removed = teardown(&engine, &exact).await?;
    if removed.is_empty() {
        // A project name without the run suffix: every run of it.
        let managed = BTreeMap::from([(labels::MANAGED.to_string(), "true".to_string())]);
        let mut projects: Vec<String> = engine
            .containers_with(&managed)
            .await?
            .into_iter()
            .filter_map(|c| c.labels.get(labels::PROJECT).cloned())
            .chain(
                engine
                    .networks_with(&managed)
                    .await?
                    .into_iter()
                    .filter_map(|n| n.labels.get(labels::PROJECT).cloned()),
            )
            .filter(|p| p.strip_prefix(name.as_str()).is_some_and(is_run_suffix))
            .collect();
        projects.sort();
        projects.dedup();
        for p in projects {
            let sel = BTreeMap::from([(labels::PROJECT.to_string(), p)]);
            warn_all(pre_stop_hooks(&engine, &sel).await);
            let r = teardown(&engine, &sel).await?;
            removed.containers += r.containers;
            removed.networks += r.networks;
            removed.volumes += r.volumes;
        }
    }
    if removed.is_empty() {
        eprintln!("dockhand: nothing of project {name} found on the engine");
    } else {
        eprintln!(
            "dockhand: removed {} containers, {} networks, {} volumes of {name}",
            removed.containers, removed.networks, removed.volumes
        );
    }
    Ok(exit::PASS)
}

/// Prints the completion script for `shell`.
fn completions(shell: clap_complete::Shell) -> Result<i32, CliError> {
    let mut script = Vec::new();
    // Written whole, then printed: the generator panics on a failed write (a closed pipe).
    clap_complete::generate(shell, &mut completion_command(), "dockhand", &mut script);
    print_bytes(&script)
}

/// The command line without its hidden subcommands, which clap_complete would otherwise offer
/// (clap has no way to remove a subcommand, so the root is put together again).
fn completion_command() -> clap::Command {
    let full = Cli::command();
    clap::Command::new("dockhand")
        .version(super::VERSION)
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

/// Prints the man page, section 1, as roff.
fn man() -> Result<i32, CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(CliError::Output)?;
    print_bytes(&page)
}

fn print_bytes(bytes: &[u8]) -> Result<i32, CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(CliError::Output)?;
    Ok(exit::PASS)
}

/// Phases and their durations, one a line, aligned: what `--timings` prints.
fn timings_table(timings: &[(String, Duration)]) -> String {
    let width = timings.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
    let mut out = String::from("dockhand: timings\n");
    for (phase, took) in timings {
        out.push_str(&format!(
            "  {phase:<width$}  {:>8.3}s\n",
            took.as_secs_f64()
        ));
    }
    out
}

/// `-` then the 8 hex digits of a run id.
fn is_run_suffix(rest: &str) -> bool {
    rest.strip_prefix('-')
        .is_some_and(|id| id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit()))
}

async fn ps(engine: &EngineArgs) -> Result<i32, CliError> {
    let engine = Engine::connect_to(&engine.choice()?).await?;
    let managed = BTreeMap::from([(labels::MANAGED.to_string(), "true".to_string())]);
    let containers = engine.containers_with(&managed).await?;
    println!("PROJECT\tSERVICE\tSTATE\tPORTS\tOWNER");
    for c in containers {
        let get = |k: &str| c.labels.get(k).cloned().unwrap_or_default();
        let owner = if c.labels.contains_key(labels::REUSE) {
            "reused".to_string()
        } else if c.labels.contains_key(labels::KEEP) {
            "kept".to_string()
        } else {
            format!(
                "pid {} on {}",
                get(labels::OWNER_PID),
                get(labels::OWNER_HOST)
            )
        };
        println!(
            "{}\t{}\t{}\t{}\t{}",
            get(labels::PROJECT),
            get(labels::SERVICE),
            c.state,
            c.ports.join(","),
            owner
        );
    }
    Ok(exit::PASS)
}

/// Removes the reused stacks, all or those whose project (with or without its run suffix) is
/// `project`.
async fn remove_reused(
    engine: &Engine,
    project: Option<&str>,
) -> Result<crate::cleanup::Removed, CliError> {
    let mut removed = crate::cleanup::Removed::default();
    let managed = BTreeMap::from([(labels::MANAGED.to_string(), "true".to_string())]);
    let mut stacks: Vec<(String, String)> = Vec::new();
    let mut add = |l: &BTreeMap<String, String>| {
        if let (Some(key), Some(p)) = (l.get(labels::REUSE), l.get(labels::PROJECT)) {
            stacks.push((key.clone(), p.clone()));
        }
    };
    for c in engine.containers_with(&managed).await? {
        add(&c.labels);
    }
    for n in engine.networks_with(&managed).await? {
        add(&n.labels);
    }
    for v in engine.volumes_with(&managed).await? {
        add(&v.labels);
    }
    stacks.sort();
    stacks.dedup();
    for (key, p) in stacks {
        let wanted =
            project.is_none_or(|name| p == name || p.strip_prefix(name).is_some_and(is_run_suffix));
        if wanted {
            let sel = BTreeMap::from([(labels::REUSE.to_string(), key)]);
            warn_all(pre_stop_hooks(engine, &sel).await);
            let r = teardown(engine, &sel).await?;
            removed.containers += r.containers;
            removed.networks += r.networks;
            removed.volumes += r.volumes;
        }
    }
    Ok(removed)
}

async fn prune(reused: bool, engine: &EngineArgs) -> Result<i32, CliError> {
    let engine = Engine::connect_to(&engine.choice()?).await?;
    if reused {
        let removed = remove_reused(&engine, None).await?;
        eprintln!(
            "dockhand: removed the reused stacks: {} containers, {} networks, {} volumes",
            removed.containers, removed.networks, removed.volumes
        );
    }
    let swept = crate::cleanup::sweep(&engine).await?;
    if swept.is_empty() {
        eprintln!("dockhand: no abandoned runs on the engine");
    }
    for (run, removed) in swept {
        eprintln!(
            "dockhand: removed {} (owner pid {} gone): {} containers, {} networks, {} volumes",
            run.project,
            run.pid.map(|p| p.to_string()).unwrap_or_default(),
            removed.containers,
            removed.networks,
            removed.volumes
        );
    }
    Ok(exit::PASS)
}

fn config(args: ConfigArgs) -> Result<i32, RunError> {
    let mut load = args.project.load_options();
    load.env_files = args.env_files.clone();
    let mut project = compose::load(&load)?;
    for w in &project.warnings {
        eprintln!("warning: {w}");
    }
    if !args.no_mask {
        mask_config(&mut project, &args.masks);
    }
    if args.services {
        for s in project.services.keys() {
            println!("{s}");
        }
        return Ok(exit::PASS);
    }
    let format = match args.format {
        Format::Yaml => compose::ConfigFormat::Yaml,
        Format::Json => compose::ConfigFormat::Json,
    };
    print!("{}", compose::render_config(&project, format));
    Ok(exit::PASS)
}

/// Replaces the values of secret-looking variables (and those named with `--mask`) in the
/// services' environment and build args, and anywhere those values appear in other variables.
fn mask_config(project: &mut compose::Project, extra: &[String]) {
    let mut masker = Masker::new(extra);
    for s in project.services.values() {
        let env = s
            .environment
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_deref()?)));
        masker.add_env(env);
    }
    for s in project.services.values_mut() {
        for (k, v) in s.environment.iter_mut() {
            if let Some(value) = v {
                *value = masker.mask_value(k, value).into_owned();
            }
        }
        if let Some(build) = &mut s.build {
            for (k, v) in build.args.iter_mut() {
                if let Some(value) = v {
                    *value = masker.mask_value(k, value).into_owned();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn timings_print_as_an_aligned_table() {
        let table = super::timings_table(&[
            ("load".into(), Duration::from_millis(4)),
            ("db.ready".into(), Duration::from_millis(1208)),
        ]);
        assert_eq!(
            table,
            "dockhand: timings\n  load         0.004s\n  db.ready     1.208s\n"
        );
    }
}
