import CPosix

/// Work spread over the cores, on a persistent pool of threads (`WorkerPool`).
/// Nested calls (from inside a worker) run serially on the calling thread, so
/// kernels can use `Parallel` freely without oversubscribing the machine.
public enum Parallel {
    /// Threads used by every parallel loop (and by GEMM, which splits its work
    /// across them). Set once at start-up, e.g. from `--threads`.
    nonisolated(unsafe) public static var threadCount: Int = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    /// The most threads a `--threads` option may ask for: the pool starts one thread per
    /// chunk, so a count in the millions would exhaust the process before any work.
    public static let maxThreads = 1024

    private static let insideKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True on a thread that is running a `Parallel` body.
    public static var isInsideWorker: Bool { pthread_getspecific(insideKey) != nil }

    static func markInsideWorker(_ inside: Bool) {
        pthread_setspecific(insideKey, inside ? UnsafeRawPointer(bitPattern: 1) : nil)
    }

    /// Calls `body(i)` for every i in 0..<count, spread over `threadCount` threads.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        chunks(count) { range in for i in range { body(i) } }
    }

    /// Splits 0..<count into one contiguous chunk per thread (at most) and runs
    /// `body` on each chunk.
    public static func chunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = min(threadCount, count)
        if workers <= 1 || isInsideWorker {
            body(0..<count)
            return
        }
        markInsideWorker(true)
        defer { markInsideWorker(false) }
        WorkerPool.shared.run(chunks: workers, helpers: workers - 1) { w in
            body(count * w / workers..<count * (w + 1) / workers)
        }
    }
}
