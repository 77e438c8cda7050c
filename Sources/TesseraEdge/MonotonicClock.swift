import CPosix

/// Seconds on the monotonic clock (intervals only: benchmarks, rates, ETAs).
public enum MonotonicClock {
    public static var seconds: Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
