//! What Linux says about a running process, read from `/proc`: its CPU time (with that of the
//! children it has reaped — the ffmpeg and ffprobe runs of a job) and its peak resident memory.
//! Benchmarks read these of the `scribe` process under test.

use std::time::Duration;

/// Clock ticks per second of the times in `/proc/<pid>/stat` (`USER_HZ`): 100 on every Linux
/// architecture scribe runs on.
const TICKS_PER_SECOND: u64 = 100;

/// CPU time of `pid` so far: user + system of the process itself and of its waited-for children
/// (`utime + stime + cutime + cstime`). `None` when the process is gone.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses; the fields after it are plain numbers.
    let fields: Vec<u64> = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // utime, stime, cutime, cstime are fields 14 to 17 of the file: 12 to 15 after the name.
    let ticks: u64 = fields.get(11..15)?.iter().sum();
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// Peak resident memory of `pid` in KiB (`VmHWM`), children not included. `None` when the
/// process is gone.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

/// Resident memory of `pid` now, in KiB (`VmRSS`). `None` when the process is gone.
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_used_cpu_and_memory() {
        let me = std::process::id();
        // Work until the kernel has counted at least one tick of it.
        let mut x = 0u64;
        while cpu_time(me).expect("this process") == Duration::ZERO {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        std::hint::black_box(x);
        // Read in this order: the peak, read later, covers the resident size read before.
        let now = rss_kib(me).expect("VmRSS");
        let peak = peak_rss_kib(me).expect("VmHWM");
        assert!(peak >= now && now > 0, "peak {peak} KiB, now {now} KiB");
    }

    #[test]
    fn a_process_that_is_gone_has_no_figures() {
        let mut child = std::process::Command::new("true").spawn().expect("true");
        let pid = child.id();
        child.wait().expect("wait");
        assert_eq!(cpu_time(pid), None);
        assert_eq!(peak_rss_kib(pid), None);
    }
}
