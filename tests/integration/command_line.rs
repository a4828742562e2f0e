//! What the command line offers besides running stacks: shell completions, the man page, the
//! version and the examples in its help. Needs no engine.

use super::support::*;

#[test]
fn completions_offer_the_subcommands_and_their_options_in_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = dockhand(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for word in ["test", "config", "ready-timeout", "junit"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        // The reaper's entry point is internal: never offered.
        assert!(
            !script.contains("__reap"),
            "{shell} completion offers __reap"
        );
    }
    let bash = stdout(&dockhand(&["completions", "bash"]));
    assert!(
        bash.contains("complete -F _dockhand"),
        "not a bash completion: {bash}"
    );
    let opts = bash
        .lines()
        .find(|l| l.contains("opts=\"") && l.contains(" test "))
        .expect("a line of the top-level words");
    assert!(
        opts.contains(" up ") && opts.contains(" completions "),
        "{opts}"
    );
}

#[test]
fn completions_for_an_unknown_shell_is_bad_input() {
    let out = dockhand(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bash"), "{}", stderr(&out));
}

#[test]
fn man_prints_a_roff_page_listing_the_subcommands() {
    let out = dockhand(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH dockhand 1"), "no .TH header: {page}");
    assert!(
        page.contains(".SH NAME") && page.contains(".SH SUBCOMMANDS"),
        "{page}"
    );
    assert!(page.contains("dockhand\\-test"), "{page}");
    assert!(!page.contains("__reap"), "{page}");
}

#[test]
fn version_prints_the_crate_version() {
    let out = dockhand(&["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let line = stdout(&out);
    let expected = format!("dockhand {}", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected), "{line:?} is not {expected}...");
    // Built from this checkout, the short commit follows in parentheses.
    if root().join(".git").exists() {
        let commit = line.trim().trim_start_matches(&expected);
        assert!(
            commit.starts_with(" (")
                && commit.ends_with(')')
                && commit[2..commit.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit()),
            "{line:?} names no commit"
        );
    }
}

#[test]
fn help_of_the_command_and_of_each_subcommand_gives_an_example() {
    let top = stdout(&dockhand(&["--help"]));
    assert!(top.contains("Example:\n  dockhand test "), "{top}");
    // Every subcommand the help lists, so a new one without an example fails here.
    let verbs: Vec<&str> = top
        .split_once("Commands:\n")
        .expect("a Commands section")
        .1
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|v| *v != "help")
        .collect();
    assert!(
        verbs.contains(&"test") && verbs.contains(&"man"),
        "{verbs:?}"
    );
    for verb in verbs {
        let out = dockhand(&[verb, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{verb}: {}", stderr(&out));
        let help = stdout(&out);
        let example = help
            .split_once("\nExample")
            .map(|(_, rest)| rest)
            .filter(|rest| rest.starts_with(":\n") || rest.starts_with("s:\n"));
        assert!(
            example.is_some_and(|e| e.contains(&format!("\n  dockhand {verb}"))),
            "{verb} --help gives no example: {help}"
        );
    }
}
