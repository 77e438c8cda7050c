/// What a resume may change or must confirm (`tessera distill --resume RUN` with `--steps`,
/// `--threads`, `--recompute-cache`, `--cache`); everything else is run.json's.
public struct ResumeOptions: Sendable {
    /// The run's new length, at least the checkpoint's step; run.json records it. The learning
    /// rate's cosine then runs to it from the checkpoint's step (the steps taken keep theirs).
    public var steps: Int?
    /// The worker threads, which must be the run's count (another changes the results' last bits).
    public var threads: Int?
    /// Recompute the cache files that no longer match the run, in this resume only.
    public var recomputeCache = false
    /// The teacher cache folder, named again: required when run.json's lies outside the run folder
    /// (nothing is written outside it unless the user names the place), refused when it differs.
    public var cacheFolder: String?

    public init(steps: Int? = nil, threads: Int? = nil, recomputeCache: Bool = false, cacheFolder: String? = nil) {
        self.steps = steps
        self.threads = threads
        self.recomputeCache = recomputeCache
        self.cacheFolder = cacheFolder
    }
}
