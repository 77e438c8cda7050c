import ArgumentParser
import TesseraCore

/// `--threads`, the same option with the same check for every command that computes.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Sets `Parallel.threadCount` when --threads was given.
    func apply() {
        if let threads { Parallel.threadCount = threads }
    }
}
