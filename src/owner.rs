//! Who owns a run, and whether that process is still alive on this host.
//!
//! A pid alone is not enough: pids are reused. The owner's start time (from /proc, in clock
//! ticks since boot) goes into the labels with the pid, and a run's owner is alive only if a
//! process with that pid exists and started at that time.

/// The start time of process `pid`, in clock ticks since boot (field 22 of /proc/PID/stat).
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_time(&stat)
}

/// Field 22 of a /proc/PID/stat line. The command name (field 2) is in parentheses and may
/// itself hold spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_start_time(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name come fields 3, 4, ...; the start time is field 22, the 20th of these.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// This machine's host name, as written in the owner label.
pub fn this_host() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether the owner `pid` started at `start` (if known) still runs on this host.
pub fn is_alive(pid: u32, start: Option<u64>) -> bool {
    match (start_time(pid), start) {
        (None, _) => false,
        (Some(actual), Some(expected)) => actual == expected,
        (Some(_), None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_start_time_past_a_name_with_spaces_and_parens() {
        let stat = "1234 (my (odd) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 987654 1000000 200";
        assert_eq!(parse_start_time(stat), Some(987654));
        assert_eq!(parse_start_time("garbage"), None);
        assert_eq!(parse_start_time("1 (x) S 1 2"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = std::process::id();
        let start = start_time(me).expect("own /proc entry");
        assert!(is_alive(me, Some(start)));
        assert!(!is_alive(me, Some(start + 1)));
        assert!(!is_alive(u32::MAX - 1, None));
    }
}
