import ArgumentParser
import TesseraDistill

/// The command line's flags as a run's options: one validation (`DistillationOptions.validate`)
/// for the flags of a new run and for run.json read back by a resume, its problems named by flag.
extension DistillCommand {
    /// A new run's options: the flags given, the options' defaults for the others.
    func newRunOptions() -> DistillationOptions {
        var o = DistillationOptions(teacher: teacher ?? "", teacherSlide: teacherSlide ?? "", data: data ?? "")
        o.validationData = valData
        o.initWeights = initWeights
        o.studentArchitecture = student
        o.studentConfig = studentConfig
        o.studentWeights = studentWeights
        o.slideDepth = slideDepth ?? o.slideDepth
        o.slideDim = slideDim
        o.slideHeads = slideHeads
        o.beta = beta ?? o.beta
        o.lr = lr ?? o.lr
        o.weightDecay = weightDecay ?? o.weightDecay
        o.warmupSteps = warmupSteps ?? o.warmupSteps
        o.steps = steps ?? o.steps
        o.microBatch = microBatch ?? o.microBatch
        o.slidesPerStep = slidesPerStep ?? o.slidesPerStep
        o.tilesPerStep = tilesPerStep
        o.maxGradNorm = clip
        o.seed = seed ?? o.seed
        o.checkpointEvery = checkpointEvery ?? o.checkpointEvery
        o.validateEvery = validateEvery ?? o.validateEvery
        // MB to bytes, saturating: a huge budget keeps everything, and never wraps to a negative one.
        o.memoryBudget = memoryBudget.map { $0.multipliedReportingOverflow(by: 1 << 20).overflow ? ($0 < 0 ? .min : .max) : $0 << 20 }
            ?? o.memoryBudget
        o.cachePrecision = cachePrecision ?? o.cachePrecision
        o.teacherPrecision = teacherPrecision ?? o.teacherPrecision
        o.precision = precision ?? o.precision
        o.cacheFolder = cache
        o.recomputeCache = recomputeCache
        o.teacherBatch = teacherBatch ?? o.teacherBatch
        o.threads = threads.threads
        return o.resolvingPaths()
    }

    /// The flags given that only a new run takes: with --resume, run.json's values hold.
    var newRunFlagsGiven: [String] {
        let given: [(String, Bool)] = [
            ("--teacher", teacher != nil), ("--teacher-slide", teacherSlide != nil), ("--data", data != nil), ("--val-data", valData != nil),
            ("--init", initWeights != nil), ("--student", student != nil), ("--student-config", studentConfig != nil),
            ("--student-weights", studentWeights != nil), ("--slide-depth", slideDepth != nil), ("--slide-dim", slideDim != nil),
            ("--slide-heads", slideHeads != nil), ("--beta", beta != nil), ("--lr", lr != nil), ("--weight-decay", weightDecay != nil),
            ("--warmup-steps", warmupSteps != nil), ("--micro-batch", microBatch != nil), ("--slides-per-step", slidesPerStep != nil),
            ("--tiles-per-step", tilesPerStep != nil), ("--clip", clip != nil), ("--seed", seed != nil),
            ("--checkpoint-every", checkpointEvery != nil), ("--validate-every", validateEvery != nil),
            ("--memory-budget", memoryBudget != nil), ("--cache-precision", cachePrecision != nil),
            ("--teacher-precision", teacherPrecision != nil), ("--precision", precision != nil),
            ("--teacher-batch", teacherBatch != nil), ("-o", output != nil),
        ]
        return given.filter(\.1).map(\.0)
    }

    /// `options` validated, a problem reported as a usage error naming its flag.
    static func check(_ options: DistillationOptions) throws {
        do { try options.validate() } catch {
            throw ValidationError("\(flag(error.key)) \(error.requirement), got \(error.value)")
        }
    }

    /// The flag that sets run.json's `key`.
    static func flag(_ key: String) -> String {
        let flags = ["teacherSlide": "teacher-slide", "validationData": "val-data", "initWeights": "init", "studentArchitecture": "student",
                     "studentConfig": "student-config", "studentWeights": "student-weights", "slideDepth": "slide-depth",
                     "slideDim": "slide-dim", "slideHeads": "slide-heads", "weightDecay": "weight-decay", "warmupSteps": "warmup-steps",
                     "microBatch": "micro-batch", "slidesPerStep": "slides-per-step", "tilesPerStep": "tiles-per-step",
                     "maxGradNorm": "clip", "checkpointEvery": "checkpoint-every", "validateEvery": "validate-every",
                     "memoryBudget": "memory-budget", "cachePrecision": "cache-precision", "cacheFolder": "cache",
                     "teacherPrecision": "teacher-precision",
                     "recomputeCache": "recompute-cache", "teacherBatch": "teacher-batch"]
        return "--" + (flags[key] ?? key)
    }
}
