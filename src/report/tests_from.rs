//! Tests read from the test command's output (`--tests-from`), for a test runner that writes
//! no JUnit file: each test becomes a case of the report with its own output.

mod libtest;
mod tap;

use std::fmt;
use std::str::FromStr;

use super::suite::Suite;
use crate::verdict::strip_ansi;

pub use libtest::read_libtest;
pub use tap::read_tap;

/// The output format the tests are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestsFrom {
    /// The human output of Rust's test harness (`cargo test`).
    Libtest,
    /// The Test Anything Protocol, 13 or 14 (Perl's prove, `node --test`, Bats, pytest-tap).
    Tap,
}

impl TestsFrom {
    /// Every format, as the command line spells them.
    pub const ALL: [TestsFrom; 2] = [TestsFrom::Libtest, TestsFrom::Tap];

    /// The name the command line uses: `libtest`, `tap`.
    pub fn name(self) -> &'static str {
        match self {
            TestsFrom::Libtest => "libtest",
            TestsFrom::Tap => "tap",
        }
    }

    /// The tests in `output`, the raw output of the test command (escape sequences are
    /// removed first).
    pub fn read(self, output: &[u8]) -> ReadTests {
        let text = String::from_utf8_lossy(&strip_ansi(output)).into_owned();
        match self {
            TestsFrom::Libtest => ReadTests {
                suites: read_libtest(&text),
                warnings: Vec::new(),
            },
            TestsFrom::Tap => read_tap(&text),
        }
    }
}

impl fmt::Display for TestsFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TestsFrom {
    type Err = String;

    /// `libtest` or `tap`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TestsFrom::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown test output format {s:?}: use libtest or tap"))
    }
}

/// The tests read from an output, and what did not add up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadTests {
    /// The suites, in the order the output shows them.
    pub suites: Vec<Suite>,
    /// A plan not met, a bail-out: told to the user, besides the error cases in `suites`.
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name_and_say_what_is_known() {
        assert_eq!("LibTest".parse(), Ok(TestsFrom::Libtest));
        assert_eq!("tap".parse(), Ok(TestsFrom::Tap));
        assert_eq!(
            "junit".parse::<TestsFrom>(),
            Err("unknown test output format \"junit\": use libtest or tap".into())
        );
    }

    #[test]
    fn colours_do_not_reach_the_parsers() {
        let read = TestsFrom::Libtest
            .read(b"\nrunning 1 test\ntest a ... \x1b[31mFAILED\x1b[0m\n\ntest result: FAILED.\n");
        assert_eq!(read.suites[0].failures(), 1);
    }
}
