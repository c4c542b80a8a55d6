//! Wall time and the process's CPU time around a workload, printed as one JSON line.

use std::time::{Duration, Instant};

/// CPU time the whole process (every thread) has used so far: (user, system).
fn cpu_times() -> (Duration, Duration) {
    // SAFETY: getrusage only writes the struct it is given; an all-zero rusage is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer cannot fail.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    (tv(ru.ru_utime), tv(ru.ru_stime))
}

/// A point in time and in CPU use, to measure a workload from.
pub struct Start {
    wall: Instant,
    user: Duration,
    sys: Duration,
}

/// Where a measurement starts.
pub fn start() -> Start {
    let (user, sys) = cpu_times();
    Start {
        wall: Instant::now(),
        user,
        sys,
    }
}

/// What one workload cost.
pub struct Sample {
    /// Which client and runtime ran it (`virtwire-ct`, `virtwire-mt`).
    pub client: &'static str,
    /// The workload's name, the same in the C baseline.
    pub workload: String,
    /// How many operations (calls, or listings) it made.
    pub ops: u64,
    /// Elapsed time.
    pub wall: Duration,
    /// User-space CPU time of the whole process.
    pub user: Duration,
    /// Kernel CPU time of the whole process.
    pub sys: Duration,
}

impl Start {
    /// Ends the measurement of `ops` operations of `workload`.
    pub fn finish(self, client: &'static str, workload: String, ops: u64) -> Sample {
        let wall = self.wall.elapsed();
        let (user, sys) = cpu_times();
        Sample {
            client,
            workload,
            ops,
            wall,
            user: user - self.user,
            sys: sys - self.sys,
        }
    }
}

impl Sample {
    /// One JSON object on one line, the format benches/report.py reads (the C baseline prints
    /// the same).
    pub fn json(&self) -> String {
        format!(
            "{{\"client\":\"{}\",\"workload\":\"{}\",\"ops\":{},\"wall_s\":{:.6},\"user_s\":{:.6},\"sys_s\":{:.6}}}",
            self.client,
            self.workload,
            self.ops,
            self.wall.as_secs_f64(),
            self.user.as_secs_f64(),
            self.sys.as_secs_f64()
        )
    }
}
