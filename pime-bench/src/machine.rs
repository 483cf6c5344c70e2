//! Readings of this process and machine: resident memory, load average.

/// The resident set size in MiB, from `/proc/self/status` (`VmRSS`, the same figure as
/// `/proc/self/statm`'s second field, already in kB so no page size is needed).
pub fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The 1-minute load average (`/proc/loadavg`): the figures mean little on a machine
/// that other work keeps busy, so the report shows it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}
