//! Run events rendered for people (console) and for CI (JUnit XML).

mod board;
mod collect;
mod console;
mod errors;
mod event;
mod junit;
mod mask;
mod model;
mod read_junit;
mod record;
mod suite;
mod tail;
mod terminal;
mod tests_from;
mod xml;

pub use collect::{CollectGlob, CollectedFile, read_collected, save_matches};
pub use console::{Console, Progress};
pub use errors::{CollectError, JunitReadError, ReportError};
pub use event::{Event, Reporter, Silent, Transfer};
pub use junit::{render_junit, write_junit_atomic};
pub use mask::{DEFAULT_SECRET_NAMES, MASK, MIN_FREE_TEXT_LEN, Masker};
pub use model::{RunReport, SetupCase, SetupOutcome, TestCase, TestStep};
pub use read_junit::read_junit;
pub use record::{
    PartialOutput, RunRecord, SetupRecord, SetupResult, TestRecord, human, mark_failed,
};
pub use suite::{Case, Problem, ProblemKind, Suite};
pub use tail::{OutputTail, SYSTEM_OUT_LIMIT};
pub use tests_from::{ReadTests, TestsFrom, read_libtest, read_tap};
