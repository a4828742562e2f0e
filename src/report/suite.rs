//! Test suites that come from the tests themselves, not from dockhand: JUnit files collected
//! from the test container, and tests read from the test command's output. The JUnit report
//! writes them beside dockhand's own suite.

use std::time::Duration;

/// One test suite of the tests themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suite {
    /// The suite's name, as the file or the output gives it.
    pub name: String,
    /// When the suite ran, as the file wrote it.
    pub timestamp: Option<String>,
    /// Where the suite ran, as the file wrote it.
    pub hostname: Option<String>,
    /// How long the suite took; `None`: the sum of its cases.
    pub time: Option<Duration>,
    /// The suite's properties, in order.
    pub properties: Vec<(String, String)>,
    /// Its test cases, in order.
    pub cases: Vec<Case>,
    /// What the suite printed outside its cases.
    pub system_out: Option<String>,
    /// What the suite printed to standard error outside its cases.
    pub system_err: Option<String>,
}

impl Suite {
    /// An empty suite named `name`.
    pub fn named(name: impl Into<String>) -> Suite {
        Suite {
            name: name.into(),
            ..Suite::default()
        }
    }

    /// How many of its cases failed.
    pub fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.failed()).count()
    }

    /// How many of its cases ended in an error (and no failure).
    pub fn errors(&self) -> usize {
        self.cases.iter().filter(|c| c.errored()).count()
    }

    /// How many of its cases were skipped.
    pub fn skipped(&self) -> usize {
        self.cases.iter().filter(|c| c.skipped.is_some()).count()
    }

    /// Its time, or the sum of its cases' times.
    pub fn total_time(&self) -> Duration {
        self.time
            .unwrap_or_else(|| self.cases.iter().filter_map(|c| c.time).sum())
    }
}

/// One test case of a [`Suite`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Case {
    /// The test's name.
    pub name: String,
    /// The class, module or file the test belongs to.
    pub classname: Option<String>,
    /// How long it ran.
    pub time: Option<Duration>,
    /// Why it was skipped, if it was (the empty string when no reason was given).
    pub skipped: Option<String>,
    /// Its failures and errors, in order.
    pub problems: Vec<Problem>,
    /// What it printed.
    pub system_out: Option<String>,
    /// What it printed to standard error.
    pub system_err: Option<String>,
}

impl Case {
    /// A passing case named `name` in class `classname`.
    pub fn passed(name: impl Into<String>, classname: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            classname: Some(classname.into()),
            ..Case::default()
        }
    }

    /// Whether it failed: one of its problems is a failure, and it was not skipped (a skipped
    /// case that failed, such as a TODO test, counts as skipped, as Jenkins counts it).
    pub fn failed(&self) -> bool {
        self.skipped.is_none() && self.problems.iter().any(|p| p.kind == ProblemKind::Failure)
    }

    /// Whether it ended in an error, and neither failed nor was skipped (JUnit counts each
    /// case once).
    pub fn errored(&self) -> bool {
        self.skipped.is_none()
            && !self.failed()
            && self.problems.iter().any(|p| p.kind == ProblemKind::Error)
    }
}

/// A failure or an error of a [`Case`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A failed check, or an error that kept the test from finishing.
    pub kind: ProblemKind,
    /// One line saying what went wrong.
    pub message: Option<String>,
    /// The kind of failure, e.g. an exception's class.
    pub type_: Option<String>,
    /// The details: a stack trace, a panic, a diagnostic.
    pub text: String,
}

/// Whether a [`Problem`] is a failure or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A check failed (`<failure>`).
    Failure,
    /// The test could not finish (`<error>`).
    Error,
}

impl Problem {
    /// A failure with this message and text.
    pub fn failure(message: impl Into<String>, text: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Failure,
            message: Some(message.into()),
            type_: None,
            text: text.into(),
        }
    }

    /// An error with this message and text.
    pub fn error(message: impl Into<String>, text: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Error,
            ..Problem::failure(message, text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_case_counts_once_skipped_first_then_failed_then_errored() {
        let mut suite = Suite::named("s");
        let mut both = Case::passed("both", "c");
        both.problems = vec![Problem::error("e", ""), Problem::failure("f", "")];
        let mut error = Case::passed("error", "c");
        error.problems = vec![Problem::error("e", "")];
        let mut skipped = Case::passed("skipped", "c");
        skipped.skipped = Some(String::new());
        let mut todo = Case::passed("todo", "c");
        todo.skipped = Some("not yet".into());
        todo.problems = vec![Problem::failure("f", "")];
        suite.cases = vec![both, error, skipped, todo, Case::passed("ok", "c")];
        assert_eq!(
            (suite.failures(), suite.errors(), suite.skipped()),
            (1, 1, 2)
        );
    }

    #[test]
    fn a_suite_without_a_time_takes_the_sum_of_its_cases() {
        let mut suite = Suite::named("s");
        for ms in [250, 500] {
            let mut case = Case::passed("t", "c");
            case.time = Some(Duration::from_millis(ms));
            suite.cases.push(case);
        }
        suite.cases.push(Case::passed("untimed", "c"));
        assert_eq!(suite.total_time(), Duration::from_millis(750));
        suite.time = Some(Duration::from_secs(2));
        assert_eq!(suite.total_time(), Duration::from_secs(2));
    }
}
