//! Command-line arguments, turned into validated settings for the library.

pub mod commands;
mod error;

pub use error::CliError;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The version `--version` prints: the crate's, and the short commit when built from a git
/// checkout (see build.rs).
pub const VERSION: &str = env!("DOCKHAND_VERSION");

/// Test an application the way it ships: in its own Docker image, next to the real services it
/// talks to, from the compose file you already have.
#[derive(Debug, Parser)]
#[command(
    name = "dockhand",
    version = VERSION,
    long_about = None,
    after_help = "Example:\n  dockhand test -f compose.yml --service app --junit reports/junit.xml -- ./test.sh"
)]
pub struct Cli {
    /// Which engine, and whether it runs on this machine.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The engine to talk to, chosen as the docker CLI chooses it; given before or after the
/// subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct EngineArgs {
    /// The engine's address: `unix:///PATH`, `tcp://HOST:PORT` (TLS with DOCKER_TLS_VERIFY and
    /// DOCKER_CERT_PATH) or `ssh://[USER@]HOST[:PORT]`. Default: DOCKER_HOST, else the Docker
    /// context, else the local socket.
    #[arg(short = 'H', long = "host", value_name = "ADDRESS", global = true)]
    pub host: Option<String>,
    /// The Docker context whose engine to use (default: DOCKER_CONTEXT, else the Docker
    /// config's current context).
    #[arg(long, value_name = "NAME", global = true, conflicts_with = "host")]
    pub context: Option<String>,
    /// Treat the engine as running on this machine, whatever its address (a unix socket or
    /// TCP to loopback counts as local without it).
    #[arg(long, global = true, conflicts_with = "engine_is_remote")]
    pub engine_is_local: bool,
    /// Treat the engine as running on another machine, whatever its address: secrets and
    /// configs are copied in, ports are published and probed on the engine's host, bind mounts
    /// are refused (ssh and TCP to another host count as remote without it).
    #[arg(long, global = true)]
    pub engine_is_remote: bool,
    /// On a remote engine, allow bind mounts of this machine's paths: the same paths exist on
    /// the engine's host.
    #[arg(long, global = true)]
    pub allow_remote_binds: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build, bring up the dependencies, run the test command in the stack, judge, report, tear down.
    #[command(
        after_help = "Example:\n  dockhand test -f compose.yml -s app -e ENVIRONMENT=testing --junit reports/junit.xml -- /opt/app/test.sh"
    )]
    Test(Box<TestArgs>),
    /// Bring the stack up, wait until ready, print the published endpoints, and leave it up.
    #[command(after_help = "Example:\n  dockhand up -f compose.yml db cache")]
    Up(UpArgs),
    /// Remove a stack (containers, networks, volumes) by its project name.
    #[command(after_help = "Examples:\n  dockhand down -p seed-1a2b3c4d\n  dockhand down --reused")]
    Down(DownArgs),
    /// List the stacks dockhand started on this engine.
    #[command(after_help = "Example:\n  dockhand ps")]
    Ps,
    /// Print the fully resolved compose project.
    #[command(
        after_help = "Example:\n  dockhand config -f compose.yml -f compose.ci.yml --format json"
    )]
    Config(ConfigArgs),
    /// Remove what runs whose dockhand process is gone left on the engine.
    #[command(after_help = "Example:\n  dockhand prune")]
    Prune {
        /// Remove the stacks `dockhand test --reuse` left up as well.
        #[arg(long)]
        reused: bool,
    },
    /// Print a shell completion script to standard output.
    #[command(
        after_help = "Example:\n  dockhand completions bash > ~/.local/share/bash-completion/completions/dockhand"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    #[command(after_help = "Example:\n  dockhand man > ~/.local/share/man/man1/dockhand.1")]
    Man,
    /// Remove run RUN's resources once standard input closes (started by dockhand itself).
    #[command(name = "__reap", hide = true)]
    Reap {
        /// The run id whose resources to remove.
        #[arg(long)]
        run: String,
    },
    /// Keep shared stack RUN up while leases in DIR live, then remove it (started by dockhand
    /// itself).
    #[command(name = "__keep-shared", hide = true)]
    KeepShared {
        /// The stack's share folder.
        #[arg(long)]
        dir: std::path::PathBuf,
        /// The run id of the stack.
        #[arg(long)]
        run: String,
        /// Milliseconds the stack outlives its last lease.
        #[arg(long)]
        linger_ms: u64,
    },
}

/// Where the compose project comes from.
#[derive(Debug, Clone, Args)]
pub struct ProjectArgs {
    /// Compose file (repeatable, merged in order). Default: compose.yaml, compose.yml,
    /// docker-compose.yaml or docker-compose.yml in the current folder.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name (default: COMPOSE_PROJECT_NAME, the file's `name:`, or the folder name).
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Turn on a profile (repeatable; default COMPOSE_PROFILES).
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
}

/// Arguments of `dockhand test`.
#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    /// The compose project.
    #[command(flatten)]
    pub project: ProjectArgs,
    /// The service whose image holds the test command.
    #[arg(short = 's', long)]
    pub service: String,
    /// Set a variable in the test container (repeatable): KEY=VALUE, or KEY to pass it from
    /// this environment.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read variables for the test container from a file (repeatable; dotenv syntax).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Read variables for interpolating the compose file from this file instead of .env
    /// (repeatable; what `docker compose --env-file` does).
    #[arg(long = "compose-env-file", value_name = "FILE")]
    pub compose_env_files: Vec<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Save every service's log here (default: a folder under the temp dir, printed at the end).
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    /// Copy the files matching this glob (an absolute path inside the test container; `*`,
    /// `**`, `?`, `[...]`, `{a,b}`) out of the test container when the command ends, into
    /// ARTIFACTS/collected/, and merge the JUnit reports among them into --junit (repeatable;
    /// added to the service's x-dockhand.collect).
    #[arg(long = "collect", value_name = "GLOB")]
    pub collect: Vec<String>,
    /// Read each test's result from the command's output, each a test case of --junit with
    /// its own output: libtest (cargo test) or tap (TAP 13 and 14).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub tests_from: Option<TestsFromFormat>,
    /// The exact tag of the images built from `build:` (a commit hash or build number).
    #[arg(long, env = "DOCKHAND_TAG", value_name = "TAG")]
    pub tag: Option<String>,
    /// After a pass, push each image built for the run (services with `build:`), with its
    /// exact tag, to the registry its name names; credentials come from the Docker config
    /// ($DOCKER_CONFIG/config.json, default ~/.docker/config.json). Never on a fail or an
    /// error.
    #[arg(long)]
    pub push: bool,
    /// With --push, also give the built images this tag and push it (repeatable).
    #[arg(long = "also-tag", value_name = "TAG", requires = "push")]
    pub also_tags: Vec<String>,
    /// The line that means the tests passed; it must be the last line of output.
    #[arg(long, value_name = "TEXT", default_value = "Result: SUCCESS!")]
    pub success_marker: String,
    /// The line that means the tests failed.
    #[arg(long, value_name = "TEXT", default_value = "Result: FAILURE!")]
    pub failure_marker: String,
    /// Judge by the exit code alone.
    #[arg(long)]
    pub no_marker: bool,
    /// Leave the stack up afterwards (remove it with `dockhand down -p NAME`).
    #[arg(long)]
    pub keep: bool,
    /// Reuse the dependencies an earlier --reuse run left up (those whose settings and image
    /// still match; each `x-dockhand.reset` command runs first), and leave them up after the
    /// run; `dockhand down --reused` removes them.
    #[arg(long, env = "DOCKHAND_REUSE", value_parser = clap::builder::FalseyValueParser::new())]
    pub reuse: bool,
    /// At teardown, stop each container gracefully (its stop signal, then its
    /// stop_grace_period) instead of killing it.
    #[arg(long)]
    pub graceful_stop: bool,
    /// Keep fixed host ports from the file instead of ephemeral ones.
    #[arg(long)]
    pub keep_host_ports: bool,
    /// Seconds each dependency may take to become ready.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub ready_timeout: u64,
    /// Seconds the whole run may take, bring-up included.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Treat the value of this variable as a secret (repeatable; case-insensitive, `*` matches
    /// any run of characters): masked in the JUnit report and dockhand's messages. Names ending
    /// in `_KEY` or containing `TOKEN`, `SECRET` or `PASSWORD` are masked without it.
    #[arg(long = "mask", value_name = "NAME")]
    pub masks: Vec<String>,
    /// Show build output.
    #[arg(short, long)]
    pub verbose: bool,
    /// How to show progress: auto (a board on a terminal, plain lines in CI or a pipe), plain
    /// (a line per change) or tty (the board wherever the output goes).
    #[arg(long, value_enum, value_name = "MODE", default_value = "auto")]
    pub progress: ProgressMode,
    /// Print what would be built, created, started and run, in which order and with which
    /// waits, touching nothing on the engine.
    #[arg(long)]
    pub dry_run: bool,
    /// Print how long each phase took (load, images, networks, each service's create, start
    /// and ready, the test, teardown) as a table at the end.
    #[arg(long)]
    pub timings: bool,
    /// The test command; replaces the service's command. None: the service's own command.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Arguments of `dockhand up`.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// The compose project.
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Bring up only these services and what they depend on (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// The exact tag of the images built from `build:`.
    #[arg(long, env = "DOCKHAND_TAG", value_name = "TAG")]
    pub tag: Option<String>,
    /// Seconds each service may take to become ready.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub ready_timeout: u64,
    /// Print what would be built, created and started, in which order and with which waits,
    /// touching nothing on the engine.
    #[arg(long)]
    pub dry_run: bool,
    /// Print how long each phase took (images, networks, each service's create, start and
    /// ready) as a table.
    #[arg(long)]
    pub timings: bool,
    /// How to show progress: auto (a board on a terminal, plain lines in CI or a pipe), plain
    /// (a line per change) or tty (the board wherever the output goes).
    #[arg(long, value_enum, value_name = "MODE", default_value = "auto")]
    pub progress: ProgressMode,
}

/// Arguments of `dockhand down`.
#[derive(Debug, Clone, Args)]
pub struct DownArgs {
    /// The project name `dockhand up` or `dockhand ps` printed; a name without the run suffix
    /// removes every run of that project.
    #[arg(
        short = 'p',
        long = "project-name",
        value_name = "NAME",
        required_unless_present = "reused"
    )]
    pub project_name: Option<String>,
    /// Remove the stacks `dockhand test --reuse` left up (all of them, or those of `-p NAME`).
    #[arg(long)]
    pub reused: bool,
}

/// Arguments of `dockhand config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// The compose project.
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Variables for interpolation from this file instead of .env (repeatable).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: Format,
    /// Print only the service names.
    #[arg(long)]
    pub services: bool,
    /// Also mask this variable's value (repeatable; secret-looking names are masked anyway).
    #[arg(long = "mask", value_name = "NAME")]
    pub masks: Vec<String>,
    /// Print secret-looking values as they are.
    #[arg(long)]
    pub no_mask: bool,
}

/// The ways `--progress` shows a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A board on a terminal; plain lines when not on one, with CI set, or with TERM=dumb.
    Auto,
    /// A plain line for every change.
    Plain,
    /// The board, even when the output is not a terminal.
    Tty,
}

/// The test output formats `--tests-from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestsFromFormat {
    /// The human output of Rust's test harness, as `cargo test` prints it.
    Libtest,
    /// The Test Anything Protocol, 13 or 14.
    Tap,
}

/// Output format of `dockhand config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    // Without a help of their own, the values keep `--help` in its short form.
    /// YAML, as `docker compose config` prints it.
    #[value(help = None)]
    Yaml,
    /// JSON, as `docker compose config --format json` prints it.
    #[value(help = None)]
    Json,
}
