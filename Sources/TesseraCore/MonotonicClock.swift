import CPosix

/// Seconds on the monotonic clocks (intervals only: benchmarks, rates, ETAs).
public enum MonotonicClock {
    /// Wall-clock seconds since an arbitrary start.
    public static var seconds: Double { read(CLOCK_MONOTONIC) }

    /// CPU seconds (user + system, all threads) this process has used: with one thread, a
    /// measure that other load on the machine hardly disturbs.
    public static var processCPUSeconds: Double { read(CLOCK_PROCESS_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> Double {
        var now = timespec()
        clock_gettime(clock, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
