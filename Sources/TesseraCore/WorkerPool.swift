import CPosix

/// The threads behind `Parallel`: started when a job first needs them, then kept
/// for the life of the process, asleep on a condition variable between jobs
/// (a kernel runs thousands of short parallel loops; starting threads for each
/// would cost more than the loops).
///
/// A job is `chunks` numbered pieces of work. The submitting thread posts it, works
/// on it too, and returns once every piece has finished; pieces go to whichever
/// thread asks first, so a worker that wakes late (a busy machine) only means the
/// others take its share. One job runs at a time; another thread submitting waits.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Serialises submitters.
    private let submission = WorkerPool.mutex()
    /// Guards every field below.
    private let lock = WorkerPool.mutex()
    /// Signalled when a job is posted.
    private let posted = WorkerPool.condition()
    /// Signalled when the last piece of a job finishes.
    private let drained = WorkerPool.condition()

    private var workers = 0
    private var job: ((Int) -> Void)?
    private var chunks = 0, claimed = 0, finished = 0

    private init() {}

    /// Runs body(0) ... body(chunks - 1) on up to `helpers` pool threads plus the
    /// calling one, and returns when all have returned.
    func run(chunks: Int, helpers: Int, _ body: (Int) -> Void) {
        pthread_mutex_lock(submission)
        defer { pthread_mutex_unlock(submission) }
        // `body` outlives no call: the pool drops it before `run` returns.
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(lock)
            startWorkers(upTo: helpers)
            job = body
            self.chunks = chunks
            claimed = 0
            finished = 0
            pthread_cond_broadcast(posted)
            workOnJob()
            while finished < chunks { pthread_cond_wait(drained, lock) }
            job = nil
            self.chunks = 0
            pthread_mutex_unlock(lock)
        }
    }

    /// Takes pieces of the current job until none is left; called and returns with `lock` held.
    private func workOnJob() {
        while claimed < chunks, let body = job {
            let piece = claimed
            claimed += 1
            pthread_mutex_unlock(lock)
            body(piece)
            pthread_mutex_lock(lock)
            finished += 1
            if finished == chunks { pthread_cond_signal(drained) }
        }
    }

    /// Starts threads until `count` exist; called with `lock` held. A thread that
    /// cannot start leaves its share to the others.
    private func startWorkers(upTo count: Int) {
        while workers < count {
            guard tessera_thread_start({ _ in WorkerPool.shared.serve(); return nil }, nil) == 0 else { return }
            workers += 1
        }
    }

    /// A pool thread's life: wait for a job, work on it, wait again.
    private func serve() {
        Parallel.markInsideWorker(true)
        pthread_mutex_lock(lock)
        while true {
            workOnJob()
            pthread_cond_wait(posted, lock)
        }
    }

    private static func mutex() -> UnsafeMutablePointer<pthread_mutex_t> {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }

    private static func condition() -> UnsafeMutablePointer<pthread_cond_t> {
        let c = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        pthread_cond_init(c, nil)
        return c
    }
}
