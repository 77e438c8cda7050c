import ArgumentParser
import TesseraCore

/// `--threads`, the same option with the same check for every command that computes.
struct ThreadsOption: ParsableArguments {
    // .unconditional: "--threads -2" is the value -2 (refused by name), not a missing value.
    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, !(1...Parallel.maxThreads).contains(threads) {
            throw ValidationError("--threads must be in 1...\(Parallel.maxThreads), got \(threads)")
        }
    }

    /// Sets `Parallel.threadCount` when --threads was given.
    func apply() {
        if let threads { Parallel.threadCount = threads }
    }
}
