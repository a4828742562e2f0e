//! Hiding secret values (passwords, tokens, keys) in printed config, output and reports.

use std::borrow::Cow;

use super::model::{RunReport, SetupOutcome, TestStep};
use super::suite::Suite;

/// What a masked value is replaced with.
pub const MASK: &str = "****";

/// Values shorter than this are not searched for in free text: masking every `abc` or `1` in
/// the output would shred it. In `name=value` displays they are always masked.
pub const MIN_FREE_TEXT_LEN: usize = 4;

/// Variable-name patterns whose values are secret unless told otherwise (case-insensitive,
/// `*` matches any run of characters).
pub const DEFAULT_SECRET_NAMES: [&str; 4] = ["*_KEY", "*TOKEN*", "*SECRET*", "*PASSWORD*"];

/// Knows which variables are secret and hides their values.
///
/// A variable is secret when its name matches one of [`DEFAULT_SECRET_NAMES`] or a name given
/// with `--mask NAME` (also case-insensitive, `*` allowed). Its value is then replaced with
/// [`MASK`] wherever it appears in text, and always in `name=value` displays.
///
/// ```
/// use dockhand::report::Masker;
///
/// let mut masker = Masker::new(["DATABASE_URL"]);
/// masker.add_env([("POSTGRES_PASSWORD", "hunter22"), ("PGUSER", "app")]);
/// assert_eq!(masker.mask_text("login app/hunter22"), "login app/****");
/// assert_eq!(masker.mask_value("POSTGRES_PASSWORD", "hunter22"), "****");
/// assert_eq!(masker.mask_value("PGUSER", "app"), "app");
/// ```
#[derive(Debug, Clone)]
pub struct Masker {
    /// Upper-cased name patterns.
    patterns: Vec<String>,
    /// Secret values searched for in free text, longest first so the longest one wins.
    values: Vec<String>,
}

impl Default for Masker {
    /// A masker for the default secret names only.
    fn default() -> Self {
        Self::new(Vec::<String>::new())
    }
}

impl Masker {
    /// A masker for the default secret names plus `extra_names` (from `--mask NAME`).
    pub fn new<S: AsRef<str>>(extra_names: impl IntoIterator<Item = S>) -> Self {
        let patterns = DEFAULT_SECRET_NAMES
            .iter()
            .map(|pattern| pattern.to_string())
            .chain(
                extra_names
                    .into_iter()
                    .map(|name| name.as_ref().to_ascii_uppercase()),
            )
            .collect();
        Self {
            patterns,
            values: Vec::new(),
        }
    }

    /// Whether a variable with this name holds a secret.
    pub fn is_secret_name(&self, name: &str) -> bool {
        let name = name.to_ascii_uppercase();
        self.patterns
            .iter()
            .any(|pattern| glob_match(pattern.as_bytes(), name.as_bytes()))
    }

    /// Learns the values of the secret variables among `env`, e.g. a service's environment.
    pub fn add_env<'a>(&mut self, env: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (name, value) in env {
            if value.len() >= MIN_FREE_TEXT_LEN
                && self.is_secret_name(name)
                && !self.values.iter().any(|known| known == value)
            {
                self.values.push(value.to_owned());
            }
        }
        self.values
            .sort_by_key(|value| std::cmp::Reverse(value.len()));
    }

    /// `text` with every known secret value (of at least [`MIN_FREE_TEXT_LEN`] bytes) replaced
    /// by [`MASK`]. Borrowed when there was nothing to hide.
    pub fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.mask_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Secrets are whole UTF-8 strings and so start and end on character boundaries:
            // replacing them keeps the text valid. Lossy decoding is only a fallback.
            Cow::Owned(bytes) => Cow::Owned(match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
            }),
        }
    }

    /// As [`mask_text`](Self::mask_text), for raw output that may not be UTF-8.
    pub fn mask_bytes<'t>(&self, text: &'t [u8]) -> Cow<'t, [u8]> {
        if self.values.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut masked: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut at = 0;
        while at < text.len() {
            let rest = &text[at..];
            match self
                .values
                .iter()
                .find(|value| rest.starts_with(value.as_bytes()))
            {
                Some(value) => {
                    let out = masked.get_or_insert_with(|| Vec::with_capacity(text.len()));
                    out.extend_from_slice(&text[copied..at]);
                    out.extend_from_slice(MASK.as_bytes());
                    at += value.len();
                    copied = at;
                }
                None => at += 1,
            }
        }
        match masked {
            None => Cow::Borrowed(text),
            Some(mut out) => {
                out.extend_from_slice(&text[copied..]);
                Cow::Owned(out)
            }
        }
    }

    /// The value to show for `name=value` (printed config, report properties): [`MASK`] if
    /// the name is secret and the value is not empty, however short; otherwise the value with
    /// any secret values inside it masked (e.g. a password inside a `DATABASE_URL`).
    pub fn mask_value<'v>(&self, name: &str, value: &'v str) -> Cow<'v, str> {
        if self.is_secret_name(name) && !value.is_empty() {
            Cow::Borrowed(MASK)
        } else {
            self.mask_text(value)
        }
    }

    /// Masks a report in place: property values, output, set-up errors and reasons.
    ///
    /// The output tail is masked as kept; a secret cut in half at the very start of the tail
    /// cannot be recognised, which is one reason the JUnit report starts a cut output at the
    /// next whole line.
    pub fn mask_report(&self, report: &mut RunReport) {
        for (name, value) in &mut report.properties {
            *value = self.mask_value(name, value).into_owned();
        }
        for case in &mut report.setup {
            if let SetupOutcome::Error { message, detail } = &mut case.outcome {
                *message = self.mask_text(message).into_owned();
                *detail = self.mask_text(detail).into_owned();
            }
        }
        match &mut report.test {
            TestStep::Ran(case) => {
                case.command = self.mask_text(&case.command).into_owned();
                case.verdict.reason = self.mask_text(&case.verdict.reason).into_owned();
                let kept = case.output.to_vec();
                if let Cow::Owned(masked) = self.mask_bytes(&kept) {
                    case.output.replace_kept(&masked);
                }
            }
            TestStep::NotRun { command, reason } => {
                *command = self.mask_text(command).into_owned();
                *reason = self.mask_text(reason).into_owned();
            }
        }
        for suite in &mut report.suites {
            self.mask_suite(suite);
        }
    }

    /// Masks a suite of the tests' own in place: properties, messages, texts and output.
    fn mask_suite(&self, suite: &mut Suite) {
        let mask = |text: &mut String| {
            if let Cow::Owned(masked) = self.mask_text(text) {
                *text = masked;
            }
        };
        for (name, value) in &mut suite.properties {
            *value = self.mask_value(name, value).into_owned();
        }
        suite.system_out.iter_mut().for_each(mask);
        suite.system_err.iter_mut().for_each(mask);
        for case in &mut suite.cases {
            mask(&mut case.name);
            case.skipped.iter_mut().for_each(mask);
            case.system_out.iter_mut().for_each(mask);
            case.system_err.iter_mut().for_each(mask);
            for problem in &mut case.problems {
                problem.message.iter_mut().for_each(mask);
                mask(&mut problem.text);
            }
        }
    }
}

/// Whether `name` matches `pattern`, where `*` matches any run of bytes.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    // Classic two-pointer wildcard match with backtracking to the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, n));
            p += 1;
        } else if p < pattern.len() && pattern[p] == name[n] {
            p += 1;
            n += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::report::{Case, OutputTail, Problem, SetupCase, TestCase};
    use crate::verdict::{MarkerPolicy, judge};

    fn masker(env: &[(&str, &str)]) -> Masker {
        let mut masker = Masker::new(["DB_URL", "my_*_conf"]);
        masker.add_env(env.iter().copied());
        masker
    }

    #[test]
    fn default_names_are_secret_case_insensitively() {
        let masker = Masker::default();
        for name in [
            "API_KEY",
            "aws_secret_access_key",
            "GITHUB_TOKEN",
            "tokenfile",
            "CLIENT_SECRET_ID",
            "POSTGRES_PASSWORD",
            "password",
        ] {
            assert!(masker.is_secret_name(name), "{name}");
        }
        for name in ["KEY", "KEYBOARD", "MONKEY", "PGUSER", "PASSWD", "PATH"] {
            assert!(!masker.is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn extra_names_are_secret_too() {
        let masker = masker(&[]);
        assert!(masker.is_secret_name("DB_URL"));
        assert!(masker.is_secret_name("db_url"));
        assert!(masker.is_secret_name("MY_APP_CONF"));
        assert!(!masker.is_secret_name("DB_URL2"));
    }

    #[test]
    fn values_are_masked_everywhere_in_text() {
        let masker = masker(&[("POSTGRES_PASSWORD", "s3cr3t!"), ("PGUSER", "app")]);
        assert_eq!(
            masker.mask_text("connect app:s3cr3t!@db; again s3cr3t!"),
            "connect app:****@db; again ****"
        );
        assert!(matches!(masker.mask_text("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn longest_value_wins_when_values_overlap() {
        let masker = masker(&[("A_KEY", "abcd"), ("B_KEY", "abcdefgh")]);
        assert_eq!(masker.mask_text("xabcdefghx abcdx"), "x****x ****x");
    }

    #[test]
    fn short_values_stay_in_text_but_not_in_key_value_displays() {
        let masker = masker(&[("PIN_PASSWORD", "123")]);
        assert_eq!(masker.mask_text("took 123 ms"), "took 123 ms");
        assert_eq!(masker.mask_value("PIN_PASSWORD", "123"), MASK);
        assert_eq!(masker.mask_value("PIN_PASSWORD", ""), "");
    }

    #[test]
    fn mask_value_hides_secrets_inside_other_values() {
        let masker = masker(&[("POSTGRES_PASSWORD", "hunter22")]);
        assert_eq!(
            masker.mask_value("DATABASE_URL_PLAIN", "postgres://app:hunter22@db/app"),
            "postgres://app:****@db/app"
        );
        assert_eq!(masker.mask_value("API_KEY", "anything"), MASK);
    }

    #[test]
    fn unicode_and_raw_bytes_are_handled() {
        let masker = masker(&[("X_TOKEN", "pässwörd")]);
        assert_eq!(masker.mask_text("ü pässwörd ü"), "ü **** ü");
        assert_eq!(
            masker
                .mask_bytes(b"\xff p\xc3\xa4ssw\xc3\xb6rd \xfe")
                .as_ref(),
            b"\xff **** \xfe"
        );
    }

    #[test]
    fn default_masker_knows_default_names_but_no_values() {
        let masker = Masker::default();
        assert!(masker.is_secret_name("API_TOKEN"));
        assert!(matches!(masker.mask_text("x"), Cow::Borrowed("x")));
        assert_eq!(masker.mask_value("ANY", "v"), "v");
    }

    #[test]
    fn report_is_masked_everywhere() {
        let masker = masker(&[("REDIS_PASSWORD", "hunter22"), ("DB_URL", "pg://db")]);
        let mut report = RunReport {
            project: "shop".to_owned(),
            started: UNIX_EPOCH,
            duration: Duration::ZERO,
            image: None,
            tag: None,
            properties: vec![
                ("DB_URL".to_owned(), "pg://db".to_owned()),
                ("note".to_owned(), "uses hunter22".to_owned()),
            ],
            setup: vec![SetupCase {
                service: "redis".to_owned(),
                duration: Duration::ZERO,
                outcome: SetupOutcome::Error {
                    message: "auth hunter22 refused".to_owned(),
                    detail: "log: hunter22".to_owned(),
                },
                note: None,
            }],
            test: TestStep::Ran(TestCase {
                command: "test --password hunter22".to_owned(),
                duration: Duration::ZERO,
                verdict: judge(0, Some("pw hunter22"), &MarkerPolicy::default()),
                output: OutputTail::from_bytes(b"connecting with hunter22\n\xff"),
                output_log: Some(PathBuf::from("/tmp/log")),
            }),
            suites: vec![Suite {
                properties: vec![("REDIS_PASSWORD".to_owned(), "x".to_owned())],
                system_out: Some("suite saw hunter22".to_owned()),
                cases: vec![Case {
                    skipped: Some("no hunter22".to_owned()),
                    problems: vec![Problem::failure("bad hunter22", "trace hunter22")],
                    system_err: Some("err hunter22".to_owned()),
                    ..Case::passed("login as hunter22", "auth")
                }],
                ..Suite::named("collected")
            }],
        };
        masker.mask_report(&mut report);
        let debug = format!("{report:?}");
        assert!(!debug.contains("hunter22"), "{debug}");
        assert_eq!(report.properties[0].1, MASK);
        assert_eq!(report.properties[1].1, "uses ****");
        let TestStep::Ran(case) = &report.test else {
            panic!("test step changed kind");
        };
        assert_eq!(case.output.to_vec(), b"connecting with ****\n\xff");
        assert_eq!(case.output.total_bytes(), 26);
        assert_eq!(case.command, "test --password ****");
        assert_eq!(report.suites[0].properties[0].1, MASK);
        assert_eq!(report.suites[0].cases[0].name, "login as ****");
    }
}
