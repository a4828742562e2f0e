//! Progress on a terminal and off it: `dockhand test` and `up` under a pseudo-terminal (util-linux
//! `script`) draw the board, with the test's output above it; CI, `--progress plain` and pipes
//! get plain lines without escape codes; `NO_COLOR` takes the colour away, not the board.

use std::num::NonZeroU16;
use std::process::Command;

use super::support::*;

/// The pseudo-terminal's size: tall enough that nothing of a run scrolls out of sight.
const ROWS: u16 = 200;
const COLUMNS: u16 = 120;

/// What a run under a pseudo-terminal gave.
struct Tty {
    code: Option<i32>,
    /// Everything written to the terminal, escape codes and all.
    raw: String,
    /// The terminal's rows once the run ended, as a person would read them.
    screen: Vec<String>,
}

/// Runs `dockhand ARGS` from the repository root on a pseudo-terminal of ROWS x COLUMNS, with
/// `env` set, `CI` and `NO_COLOR` unset unless `env` sets them.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> Tty {
    assert!(
        Command::new("script").arg("--version").output().is_ok(),
        "these tests need util-linux `script` (apt-get install bsdutils)"
    );
    let mut words = vec![env!("CARGO_BIN_EXE_dockhand")];
    words.extend_from_slice(args);
    let line = format!(
        "stty rows {ROWS} cols {COLUMNS} && exec {}",
        shell_words::join(words)
    );
    let mut command = Command::new("script");
    command
        .args(["-qfec", &line, "/dev/null"])
        .current_dir(root())
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .env_remove("DOCKHAND_TAG")
        .env("TERM", "xterm-256color");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("run script");
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut terminal = vt100::Parser::new(
        NonZeroU16::new(ROWS).unwrap(),
        NonZeroU16::new(COLUMNS).unwrap(),
        0,
    );
    terminal.process(&out.stdout);
    let screen: Vec<String> = terminal
        .screen()
        .rows(0, COLUMNS)
        .map(|row| row.trim_end().to_string())
        .collect();
    let last = screen.iter().rposition(|r| !r.is_empty()).unwrap_or(0);
    let screen = screen[..=last].to_vec();
    eprintln!(
        "--- dockhand {} ({env:?}) on a terminal\n--- exit {:?}\n--- screen\n{}\n--- raw\n{raw:?}",
        args.join(" "),
        out.status.code(),
        screen.join("\n")
    );
    Tty {
        code: out.status.code(),
        raw,
        screen,
    }
}

/// The index of the first screen row that `matches`, or a failure naming `what`.
fn row(tty: &Tty, what: &str, matches: impl Fn(&str) -> bool) -> usize {
    tty.screen
        .iter()
        .position(|r| matches(r))
        .unwrap_or_else(|| {
            panic!(
                "no row with {what} on the screen:\n{}",
                tty.screen.join("\n")
            )
        })
}

/// A colour or other SGR attribute: `ESC [ ... m`.
fn has_sgr(raw: &str) -> bool {
    raw.split('\x1b').skip(1).any(|rest| {
        rest.strip_prefix('[').is_some_and(|r| {
            let params: String = r
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ';')
                .collect();
            r[params.len()..].starts_with('m')
        })
    })
}

#[tokio::test]
async fn the_board_shows_each_service_and_the_output_streams_above_it() {
    require_fixtures().await;
    let project = unique("board");
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().to_string_lossy().into_owned();
    let tty = on_a_terminal(
        &[
            "test",
            "-f",
            "tests/stacks/basic.yml",
            "-p",
            &project,
            "--service",
            "app",
            "--artifacts",
            &artifacts,
            "--",
            "sh",
            "-c",
            "echo first line; sleep 1; echo 'Result: SUCCESS!'",
        ],
        &[],
    );
    assert_eq!(tty.code, Some(0), "{}", tty.raw);
    // Drawn in place, with a spinner while something runs, in colour.
    assert!(
        tty.raw.contains("\x1b[2K"),
        "no line was redrawn: {:?}",
        tty.raw
    );
    assert!(
        ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
            .iter()
            .any(|f| tty.raw.contains(f)),
        "no spinner: {:?}",
        tty.raw
    );
    assert!(
        tty.raw.contains("\x1b[32m✔"),
        "no green mark: {:?}",
        tty.raw
    );
    // The output, whole lines above the board; the board keeps each row's final state.
    let first = row(&tty, "the first output line", |r| r == "app | first line");
    let marker = row(&tty, "the marker", |r| r == "app | Result: SUCCESS!");
    let cache = row(&tty, "cache ready", |r| {
        r.starts_with("✔ cache ") && r.contains("  ready (healthcheck) ") && r.ends_with('s')
    });
    let app = row(&tty, "the test command's end", |r| {
        r.starts_with("• app ") && r.contains("  ran the test command ")
    });
    let teardown = row(&tty, "the teardown", |r| {
        r.starts_with("✔ teardown  removed ") && r.contains(&project)
    });
    let pass = row(&tty, "the verdict", |r| r.starts_with("dockhand: PASS: "));
    assert!(
        first < marker && marker < cache,
        "{}",
        tty.screen.join("\n")
    );
    assert_eq!(
        [cache + 1, app + 1, teardown + 1],
        [app, teardown, pass],
        "the board is one row a service, then the verdict:\n{}",
        tty.screen.join("\n")
    );
    assert!(
        !tty.screen
            .iter()
            .any(|r| r.contains("running the test command")),
        "a row was left busy:\n{}",
        tty.screen.join("\n")
    );
    assert_clean(&project).await;
}

#[tokio::test]
async fn ci_gets_plain_lines_without_escape_codes_on_a_terminal_too() {
    require_fixtures().await;
    let project = unique("plain");
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().to_string_lossy().into_owned();
    let tty = on_a_terminal(
        &[
            "test",
            "-f",
            "tests/stacks/basic.yml",
            "-p",
            &project,
            "--service",
            "app",
            "--artifacts",
            &artifacts,
            "--",
            "sh",
            "-c",
            "echo broken; echo 'Result: FAILURE!'; exit 1",
        ],
        &[("CI", "true")],
    );
    assert_eq!(tty.code, Some(1), "{}", tty.raw);
    assert!(
        !tty.raw.contains('\x1b'),
        "escape codes in CI: {:?}",
        tty.raw
    );
    let starts = |prefix: &str| {
        let prefix = prefix.to_string();
        move |r: &str| r.starts_with(&prefix)
    };
    let starting = row(&tty, "cache starting", starts("dockhand: cache: starting"));
    let ready = row(
        &tty,
        "cache ready",
        starts("dockhand: cache: ready (healthcheck) in "),
    );
    let running = row(
        &tty,
        "the test command",
        starts(&format!(
            "dockhand: app: running the test command in {project}"
        )),
    );
    let output = row(&tty, "the output", |r| r == "app | broken");
    let teardown = row(
        &tty,
        "the teardown",
        starts(&format!("dockhand: tearing down {project}")),
    );
    let fail = row(&tty, "the verdict", starts("dockhand: FAIL: "));
    assert!(
        starting < ready && ready < running && running < output && output < teardown,
        "{}",
        tty.screen.join("\n")
    );
    assert!(teardown < fail, "{}", tty.screen.join("\n"));
    assert_clean(&project).await;
}

#[tokio::test]
async fn no_color_keeps_the_board_of_up_without_colour() {
    require_fixtures().await;
    let project = unique("nocolor");
    let tty = on_a_terminal(
        &["up", "-f", "compose/redis.yml", "-p", &project],
        &[("NO_COLOR", "1")],
    );
    // Remove it first, whatever the assertions say.
    let name = tty
        .screen
        .iter()
        .find_map(|r| r.strip_prefix("project ")?.strip_suffix(" is up"))
        .map(str::to_string);
    if let Some(name) = &name {
        assert_eq!(dockhand(&["down", "-p", name]).status.code(), Some(0));
    }
    assert_eq!(tty.code, Some(0), "{}", tty.raw);
    assert!(name.is_some_and(|n| n.starts_with(&project)), "{}", tty.raw);
    assert!(tty.raw.contains("\x1b[2K"), "no board: {:?}", tty.raw);
    assert!(!has_sgr(&tty.raw), "colour despite NO_COLOR: {:?}", tty.raw);
    let cache = row(&tty, "cache ready", |r| {
        r.starts_with("✔ cache  ready (healthcheck) ")
    });
    let up = row(&tty, "the endpoints", |r| r.starts_with("project "));
    assert!(cache < up, "{}", tty.screen.join("\n"));
    assert_clean(&project).await;
}

#[tokio::test]
async fn progress_picks_the_board_or_plain_lines_whatever_the_output_is() {
    require_fixtures().await;
    // The board into a pipe, without colour: it is not a terminal.
    let project = unique("forced");
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().to_string_lossy().into_owned();
    let test = |project: &str, progress: &str| {
        vec![
            "test".to_string(),
            "-f".into(),
            "tests/stacks/solo.yml".into(),
            "-p".into(),
            project.into(),
            "--service".into(),
            "app".into(),
            "--artifacts".into(),
            artifacts.clone(),
            "--progress".into(),
            progress.into(),
            "--".into(),
            "echo".into(),
            "Result: SUCCESS!".into(),
        ]
    };
    let args = test(&project, "tty");
    let out = dockhand(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("\x1b[2K"), "no board: {err:?}");
    assert!(err.contains("ran the test command"), "{err:?}");
    assert!(!has_sgr(&err), "colour away from a terminal: {err:?}");
    assert!(stdout(&out).contains("app | Result: SUCCESS!"));
    assert_clean(&project).await;

    // Plain lines on a terminal, outside CI.
    let project = unique("plaintty");
    let args = test(&project, "plain");
    let tty = on_a_terminal(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(tty.code, Some(0), "{}", tty.raw);
    assert!(!tty.raw.contains('\x1b'), "escape codes: {:?}", tty.raw);
    row(&tty, "the test command", |r| {
        r.starts_with("dockhand: app: running the test command in ")
    });
    assert_clean(&project).await;
}
