import ArgumentParser
import TesseraCore

/// `--threads`, the same option with the same check for every command that computes.
struct ThreadsOption: ParsableArguments {
    // .unconditional: "--threads -2" is the value -2 (refused by name), not a missing value.
    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Sets `Parallel.threadCount` when --threads was given.
    func apply() {
        if let threads { Parallel.threadCount = threads }
    }
}
