//! How many whisper workers the memory this process may use can hold.
//!
//! Every worker owns a whisper state: the decoder's caches and compute
//! buffers plus the DTW alignment's scratch (128 MB). Measured with
//! tiny.en on a 151 s call: 354 MB peak with one worker, 581 MB with two,
//! so about 230 MB a worker for a 78 MB model file. The estimate scales the
//! model-dependent part with the file size. Workers beyond what the memory
//! holds are not started: a thousand workers once took 22 GB of a 24 GB
//! machine.

use std::path::Path;

/// Scratch the DTW alignment allocates per call (whisper.cpp's default).
const DTW_SCRATCH: u64 = 128 << 20;

/// The share of the free memory the workers may take together.
const SHARE: f64 = 0.8;

/// Estimated memory one worker's whisper state takes for a model file of
/// `model_bytes`, in bytes.
pub fn per_worker_bytes(model_bytes: u64) -> u64 {
    DTW_SCRATCH + model_bytes + model_bytes / 3
}

/// Memory this process may still take, in bytes: the smaller of the
/// system's available memory and the headroom under its cgroup's limit;
/// `None` when neither can be read (not Linux).
pub fn available_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let system = meminfo.as_deref().and_then(mem_available);
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let own = read("/proc/self/cgroup").unwrap_or_default();
    let (v2, v1) = cgroup_paths(&own);
    // cgroup v2, else v1 (whose "no limit" is a number near 2^63).
    let cgroup = cgroup_headroom(
        read(&format!("/sys/fs/cgroup{v2}/memory.max")).as_deref(),
        read(&format!("/sys/fs/cgroup{v2}/memory.current")).as_deref(),
    )
    .or_else(|| {
        cgroup_headroom(
            read(&format!("/sys/fs/cgroup/memory{v1}/memory.limit_in_bytes")).as_deref(),
            read(&format!("/sys/fs/cgroup/memory{v1}/memory.usage_in_bytes")).as_deref(),
        )
        .filter(|&h| h < 1 << 60)
    });
    match (system, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// This process's cgroup paths from `/proc/self/cgroup`: the unified (v2)
/// one and the v1 memory controller's ("" for the root).
fn cgroup_paths(own: &str) -> (String, String) {
    let (mut v2, mut v1) = (String::new(), String::new());
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next(), parts.next());
        let (Some(controllers), Some(path)) = (controllers, path) else {
            continue;
        };
        let path = if path == "/" { "" } else { path };
        if controllers.is_empty() {
            v2 = path.to_string();
        } else if controllers.split(',').any(|c| c == "memory") {
            v1 = path.to_string();
        }
    }
    (v2, v1)
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// What is left under a cgroup v2 `memory.max` (`max` means no limit).
fn cgroup_headroom(max: Option<&str>, current: Option<&str>) -> Option<u64> {
    let max: u64 = max?.trim().parse().ok()?;
    let current: u64 = current.and_then(|c| c.trim().parse().ok()).unwrap_or(0);
    Some(max.saturating_sub(current))
}

/// The most workers `available` bytes hold at `per_worker` bytes each (at
/// least one: a run with too little memory for one worker fails loudly in
/// whisper, not here).
pub fn workers_that_fit(available: u64, per_worker: u64) -> usize {
    let budget = (available as f64 * SHARE) as u64;
    ((budget / per_worker.max(1)) as usize).max(1)
}

/// The most workers this machine's free memory holds for `model`, or
/// `None` when the memory or the model's size cannot be read.
pub fn worker_cap(model: &Path) -> Option<usize> {
    let size = std::fs::metadata(model).ok()?.len();
    Some(workers_that_fit(available_bytes()?, per_worker_bytes(size)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_available() {
        let text = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2000000 kB\n";
        assert_eq!(mem_available(text), Some(2_000_000 * 1024));
        assert_eq!(mem_available("MemTotal: 5 kB\n"), None);
    }

    #[test]
    fn a_cgroup_limit_leaves_its_headroom() {
        assert_eq!(cgroup_headroom(Some("max\n"), Some("100")), None);
        assert_eq!(cgroup_headroom(Some("1000\n"), Some("400\n")), Some(600));
        assert_eq!(cgroup_headroom(Some("1000"), Some("4000")), Some(0));
        assert_eq!(cgroup_headroom(None, Some("1")), None);
    }

    #[test]
    fn finds_the_own_cgroup() {
        let v1 = "9:memory:/ci/job-7\n8:pids:/\n";
        assert_eq!(cgroup_paths(v1), (String::new(), "/ci/job-7".to_string()));
        assert_eq!(
            cgroup_paths("0::/user.slice/x\n"),
            ("/user.slice/x".to_string(), String::new())
        );
        assert_eq!(cgroup_paths("0::/\n"), (String::new(), String::new()));
    }

    #[test]
    fn workers_fit_the_memory() {
        let tiny = per_worker_bytes(78 << 20);
        // 24 GB free holds many; 600 MB holds two; too little still gives one.
        assert!(workers_that_fit(24 << 30, tiny) > 50);
        assert_eq!(workers_that_fit(600 << 20, tiny), 2);
        assert_eq!(workers_that_fit(10 << 20, tiny), 1);
    }

    #[test]
    fn the_estimate_matches_the_measured_tiny_worker() {
        let mb = per_worker_bytes(77_704_715) as f64 / (1 << 20) as f64;
        assert!((200.0..260.0).contains(&mb), "{mb} MB");
    }
}
