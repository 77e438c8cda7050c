/// The one check of a run's options: a new run's (from the command line or a library caller)
/// and a resumed run's (read back from run.json, which may have been edited) go through the same
/// code, so a value that would crash (a negative batch count), silently train nothing (no slide
/// per step) or read another place than the one recorded (a relative path) is refused by name.
extension DistillationOptions {
    public func validate() throws(OptionProblem) {
        let counts = [("steps", steps), ("microBatch", microBatch), ("slidesPerStep", slidesPerStep),
                      ("checkpointEvery", checkpointEvery), ("teacherBatch", teacherBatch), ("slideDepth", slideDepth)]
        for (key, value) in counts where value < 1 {
            throw OptionProblem(key: key, value: "\(value)", requirement: "must be at least 1")
        }
        for (key, value) in [("tilesPerStep", tilesPerStep), ("slideDim", slideDim), ("slideHeads", slideHeads), ("threads", threads)] {
            if let value, value < 1 { throw OptionProblem(key: key, value: "\(value)", requirement: "must be at least 1") }
        }
        for (key, value) in [("warmupSteps", warmupSteps), ("validateEvery", validateEvery)] where value < 0 {
            throw OptionProblem(key: key, value: "\(value)", requirement: "must not be negative")
        }
        if memoryBudget < 0 { throw OptionProblem(key: "memoryBudget", value: "\(memoryBudget) bytes", requirement: "must not be negative") }
        if let maxGradNorm, !(maxGradNorm > 0 && maxGradNorm.isFinite) {
            throw OptionProblem(key: "maxGradNorm", value: "\(maxGradNorm)", requirement: "must be a positive number")
        }
        guard (0...1).contains(beta) else { throw OptionProblem(key: "beta", value: "\(beta)", requirement: "must be in [0, 1]") }
        guard lr > 0, lr.isFinite else { throw OptionProblem(key: "lr", value: "\(lr)", requirement: "must be a positive number") }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw OptionProblem(key: "weightDecay", value: "\(weightDecay)", requirement: "must be a finite number, not negative")
        }
        guard ["f16", "f32"].contains(cachePrecision) else {
            throw OptionProblem(key: "cachePrecision", value: "'\(cachePrecision)'", requirement: "must be f16 or f32")
        }
        if let precision, !["f32", "bf16"].contains(precision) {
            throw OptionProblem(key: "precision", value: "'\(precision)'", requirement: "must be f32 or bf16")
        }
        if let teacherPrecision, !["f32", "bf16"].contains(teacherPrecision) {
            throw OptionProblem(key: "teacherPrecision", value: "'\(teacherPrecision)'", requirement: "must be f32 or bf16")
        }
        // A relative path means another place in every working directory: a resume elsewhere
        // would read other slides (new runs record their paths resolved, `resolvingPaths`).
        for (key, path) in paths where !path.hasPrefix("/") {
            throw OptionProblem(key: key, value: "'\(path)'", requirement: "must be an absolute path (run folders written before "
                                + "Tessera recorded them resolved hold the path as typed: write the one the run was started with)")
        }
    }
}
