import ArgumentParser
import TesseraPipeline

/// `--shard K/N`, the same option with the same check for every command that splits a dataset
/// among job-array tasks; each command says which of its inputs it applies to.
struct ShardOption: ParsableArguments {
    // .unconditional: "--shard -1/2" is the value -1/2 (refused by name), not a missing value.
    @Option(parsing: .unconditional, help: "This job's part of the slides, K/N (0-based K: slide i of the dataset goes to shard i mod N).")
    var shard: String?

    func validate() throws {
        if let shard { do { _ = try Shard(parsing: shard) } catch { throw ValidationError(error.description) } }
    }

    /// The shard given (checked by `validate`), or the whole dataset.
    func value() throws -> Shard { try shard.map { try Shard(parsing: $0) } ?? .all }
}
