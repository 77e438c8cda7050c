import Foundation

/// The options that name files and folders, recorded absolute with links resolved: run.json
/// then names the same files from any working directory, and a resume reads what the run read.
extension DistillationOptions {
    /// Every path the options hold, by run.json key.
    public var paths: [(key: String, path: String)] {
        Self.requiredPaths.map { ($0.key, self[keyPath: $0.path]) }
            + Self.optionalPaths.compactMap { key, path in self[keyPath: path].map { (key, $0) } }
    }

    /// The options with every path made absolute (from the working directory) and its links resolved.
    public func resolvingPaths() -> DistillationOptions {
        var o = self
        for (_, path) in Self.requiredPaths { o[keyPath: path] = RunFolder.resolved(o[keyPath: path]) }
        for (_, path) in Self.optionalPaths { o[keyPath: path] = o[keyPath: path].map(RunFolder.resolved) }
        return o
    }

    private static var requiredPaths: [(key: String, path: WritableKeyPath<DistillationOptions, String>)] {
        [("teacher", \.teacher), ("teacherSlide", \.teacherSlide), ("data", \.data)]
    }

    private static var optionalPaths: [(key: String, path: WritableKeyPath<DistillationOptions, String?>)] {
        [("validationData", \.validationData), ("initWeights", \.initWeights), ("studentConfig", \.studentConfig),
         ("studentWeights", \.studentWeights), ("cacheFolder", \.cacheFolder)]
    }
}
