import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline
import TesseraSlide
import TesseraTrain

/// A distillation run in its folder (`RunFolder`, formats/run-folder.md): `run.json` (the
/// options), `teacher_cache/`, `metrics.jsonl`, `checkpoint.safetensors` (every
/// `checkpointEvery` steps and at the end, written atomically) and, at the end, the student's
/// files (`Student.export`). A run resumed from its folder continues bit-identically: the data
/// order and the tile samples are functions of the seed and the step, the checkpoint holds the
/// parameters and the optimizer, and the run computes with the thread count it recorded. A run
/// holds its folder's lock (`RunFolderLock`) from its start to its end: one writer at a time.
///
/// Data-parallel (`group`, the ranks of an `mpirun` job): every rank builds the same run, fills
/// its share of the teacher cache, computes its share of each step's slides; the gradients are
/// summed in the slides' order (`Trainer.step(microBatches:recordWidth:group:_:)`), so every rank
/// takes the same optimizer step as one process would, bit for bit. Only rank 0, the leader,
/// locks and writes the folder (run.json, metrics, checkpoints, validation, the student).
public final class DistillationRun {
    public let folder: RunFolder
    public let options: DistillationOptions
    /// What the run was started from (run.json); its uuid goes into every checkpoint. Nil for a
    /// run started before run.json recorded it (version 2 and older).
    public let identity: RunIdentity?
    public let teacher: Teacher
    public let student: Student
    public let trainer: Trainer
    let cache: TeacherCache
    let dataset: DistillDataset
    let validation: [DistillDataset.Slide]
    let recipe: DistillationLoss
    /// What the student's products compute in (options' `precision`); the teacher's is the cache's.
    let precision: ComputePrecision
    /// The steps' activation buffers, kept from one step to the next.
    let pool: ActivationPool
    /// Held as long as the run by the leader: one writer per run folder.
    private let lock: RunFolderLock?
    /// The ranks sharing the run (nil: this process alone).
    public let group: (any ProcessGroup)?
    /// Rank 0, or the process alone: the one that writes the run folder.
    public var isLeader: Bool { Self.leads(group) }

    /// Whether this process writes the run folder: rank 0 of `group`, or the process alone.
    static func leads(_ group: (any ProcessGroup)?) -> Bool { (group?.rank ?? 0) == 0 }

    public enum Event {
        case cache(TeacherCache.Event)
        case skipped(path: String, error: any Error)
        case step(Metrics)
        case validation(Validation)
        case checkpoint(step: Int, path: String)
    }

    public struct Metrics: Sendable {
        public let step: Int, of: Int
        public let loss, lossHidden, lossSlide, lr, gradNorm, tilesPerSecond: Double
        public let tiles: Int
        public let slides: [String]
        /// Among ranks (nil alone): rank 0's wait for the others, its gradient exchange's seconds and bytes sent.
        public let waitSeconds, exchangeSeconds: Double?
        public let exchangeBytes: Int?
    }

    public struct Validation: Sendable {
        public let step: Int
        public let lossHidden, lossSlide: Double
        /// Mean cosine of the student's and the teacher's slide embeddings over the held-out slides.
        public let slideCosine: Double
        /// Smallest cosine of the teacher-space head's tile embeddings to the teacher's.
        public let headCosine: Double
    }

    public enum Failure: Error, CustomStringConvertible {
        case nonFinite(step: Int, slide: String, loss: Double)
        case noTrainingSlide(String)
        case mismatch(String)
        case resume(String)
        /// Initial weights without a named student architecture.
        case unnamedStudent(initWeights: String)
        /// Resuming with another thread count than the run's.
        case threads(recorded: Int, requested: Int)
        /// Resuming a run whose teacher cache lies outside its folder without naming the cache again.
        case cacheOutsideRun(cache: String)
        /// Resuming with another teacher cache folder than the run's.
        case otherCacheFolder(given: String, recorded: String)
        /// A checkpoint past the run's last step (run.json's `steps` lowered).
        case pastLastStep(checkpoint: String, step: Int, steps: Int)

        public var description: String {
            switch self {
            case .nonFinite(let step, let slide, let loss):
                return "step \(step), slide \(slide): the loss is \(loss); the run stops (the last checkpoint is kept)"
            case .noTrainingSlide(let data): return "\(data): no training slide has a readable tile"
            case .mismatch(let why): return why
            case .resume(let why): return "cannot resume: \(why)"
            case .unnamedStudent(let path):
                return "\(path): a weights file does not say the student's head count; name the student's architecture "
                    + "(a preset or a timm config.json)"
            case .threads(let recorded, let requested):
                return "cannot resume with \(requested) threads: the run computes with \(recorded) (run.json), and another count "
                    + "changes the last bits of its results"
            case .cacheOutsideRun(let cache):
                return "cannot resume: the run's teacher cache \(cache) (run.json's cacheFolder) lies outside the run folder; "
                    + "name it again to let the resumed run write there"
            case .otherCacheFolder(let given, let recorded):
                return "cannot resume with the teacher cache \(given): the run's is \(recorded) (run.json)"
            case .pastLastStep(let checkpoint, let step, let steps):
                return "cannot resume: \(checkpoint) is at step \(step), past the run's last step \(steps) (run.json's 'steps'); "
                    + "give the run at least \(step) steps"
            }
        }
    }

    /// A new run in `folder` (created and locked; a folder that already holds a run is refused:
    /// resume it). The options' paths are recorded resolved (`resolvingPaths`) and their values
    /// checked (`validate`, as a resume checks run.json's); `threads`, when nil, becomes the
    /// process's `Parallel.threadCount`, and `tiling`, when nil, `tessera tile`'s default (both
    /// recorded in run.json). In a `group`, the leader creates the folder before the others go on.
    public convenience init(options: DistillationOptions, folder: String, group: (any ProcessGroup)? = nil) throws {
        var options = options.resolvingPaths()
        options.threads = options.threads ?? Parallel.threadCount
        options.tiling = options.tiling ?? TilingOptions()
        try options.validate()
        let run = RunFolder(path: folder)
        let leads = Self.leads(group)
        let lock = leads ? try run.create() : nil
        try group?.barrier()
        try self.init(options: options, folder: run, lock: lock, group: group, uuid: leads ? UUID().uuidString : nil, recorded: nil,
                      checkpoint: nil, recomputeCache: false)
        if leads { try run.write(options, identity: identity!) }
    }

    /// `uuid`: the run's (nil for a run without identity, and on a rank that does not lead);
    /// `recorded`: the identity run.json records, which the files found now must match;
    /// `checkpoint`: the state to continue from.
    init(options o: DistillationOptions, folder: RunFolder, lock: RunFolderLock?, group: (any ProcessGroup)?, uuid: String?,
         recorded: RunIdentity?, checkpoint: String?, recomputeCache: Bool) throws {
        self.folder = folder
        self.lock = lock
        precision = ComputePrecision(rawValue: o.precision ?? "f32") ?? .f32
        self.group = group
        options = o
        // A weights file holds no head count: guessing one would train another model than the file's.
        if let path = o.initWeights, o.studentConfig == nil, o.studentArchitecture == nil {
            throw Failure.unnamedStudent(initWeights: path)
        }
        let cache = try Self.teacherCache(o, folder: folder, recompute: recomputeCache)
        self.cache = cache
        teacher = cache.teacher
        let teacherSHA256 = cache.teacherSHA256, teacherSlideSHA256 = cache.teacherSlideSHA256
        let data = try DistillDataset.open(o.data)
        dataset = data
        let held = try Self.validationSlides(o, data: data)
        validation = held
        identity = uuid.map {
            RunIdentity(uuid: $0, teacherSHA256: teacherSHA256, teacherSlideSHA256: teacherSlideSHA256,
                        slides: data.training.map { "train\t\($0.name)\t\(TeacherCache.source($0))" }
                            + held.map { "val\t\($0.name)\t\(TeacherCache.source($0))" })
        }
        if let recorded, let changes = identity?.changes(since: recorded), !changes.isEmpty {
            throw Failure.resume("what the run was started from changed: " + changes.joined(separator: "; ")
                                 + " (restore them, or start a new run)")
        }
        let initial = try o.initWeights.map { try Checkpoint.open(path: $0).stateDict }
        let tileConfig: VisionTransformer.Config
        if let path = o.studentConfig {
            tileConfig = try VisionTransformer.Config.read(timmConfig: path)
        } else if let name = o.studentArchitecture {
            tileConfig = try VisionTransformer.Config.preset(name)
        } else {
            tileConfig = try VisionTransformer.Config.preset("vit_small_patch16_224")
        }
        let t = teacher.tileEncoder.config, ts = teacher.slideEncoder.config
        guard tileConfig.tokens == t.tokens else {
            throw Failure.mismatch("the student \(tileConfig.architecture) has \(tileConfig.tokens) tokens, the teacher \(t.tokens): "
                                   + "their hidden states cannot be compared (choose a student of image \(t.imageSize) and patch \(t.patchSize))")
        }
        let slideDim = o.slideDim ?? ts.embedDim
        guard slideDim == ts.embedDim else {
            throw Failure.mismatch("the slide student's width \(slideDim) must be the teacher slide encoder's, \(ts.embedDim) (L_slide compares them)")
        }
        let slideConfig = SlideEncoder.Config(inChans: tileConfig.embedDim, embedDim: slideDim, depth: o.slideDepth,
                                              ffnDim: 4 * slideDim, heads: o.slideHeads ?? ts.heads, branches: ts.branches,
                                              gridSize: ts.gridSize, tileSize: ts.tileSize)
        try slideConfig.validate(source: "slide student")
        if let initial {
            student = try Student(parameters: ParameterSet(initial), tileConfig: tileConfig, slideConfig: slideConfig,
                                  teacherWidth: t.embedDim)
        } else {
            student = try Student.fresh(tileConfig: tileConfig, slideConfig: slideConfig, teacherWidth: t.embedDim, seed: o.seed,
                                        tileWeights: try o.studentWeights.map { try Checkpoint.open(path: $0).stateDict })
        }
        trainer = Trainer(parameters: student.parameters,
                          optimizer: AdamW(settings: .init(weightDecay: o.weightDecay)),
                          schedule: Self.schedule(o),
                          maxGradNorm: o.maxGradNorm.map(Float.init), seed: o.seed)
        if let checkpoint { try Self.restore(trainer, from: checkpoint, options: o, uuid: uuid) }
        pool = ActivationPool(config: tileConfig)
        recipe = DistillationLoss(beta: Float(o.beta), microBatch: o.microBatch, memoryBudget: o.memoryBudget,
                                  preprocessor: teacher.preprocessor)
    }

    /// Runs from the current step to `options.steps`: caches the teacher's targets, trains,
    /// validates, checkpoints and exports the student. `stopAfter` ends the run early after that
    /// step, as an interruption would (no export, no checkpoint beyond the schedule's).
    /// Computes with the options' `threads` (restoring `Parallel.threadCount` afterwards). In a
    /// group, only the leader reports events and writes.
    public func run(stopAfter: Int? = nil, onEvent: (Event) -> Void = { _ in }) throws {
        let o = options
        let processThreads = Parallel.threadCount
        Parallel.threadCount = o.threads ?? processThreads
        defer { Parallel.threadCount = processThreads }
        let onEvent = isLeader ? onEvent : { _ in }
        let shared = (group?.size ?? 1) > 1
        if let group, shared {
            // Each rank caches its share; then every rank finds every slide cached (or left out).
            let shard = try Shard(index: group.rank, count: group.size)
            _ = try cache.fill(shard.part(of: dataset.training + validation)) { onEvent(.cache($0)) }
            try group.barrier()
        }
        let training = try cache.fill(dataset.training, compute: !shared) { onEvent(.cache($0)) }
        guard !training.isEmpty else { throw Failure.noTrainingSlide(o.data) }
        let held = try cache.fill(validation, compute: !shared) { onEvent(.cache($0)) }
        let log = isLeader ? try MetricsLog(path: folder.metrics, keepThrough: trainer.step) : nil
        while trainer.step < min(o.steps, stopAfter ?? .max) {
            let step = trainer.step
            let started = Date()
            let chosen = (0..<o.slidesPerStep).map { training[Self.slideIndex(step * o.slidesPerStep + $0, count: training.count, seed: o.seed)] }
            let report: Trainer.StepReport
            do {
                report = try trainer.step(microBatches: chosen.count, recordWidth: 4, group: group) { i in
                    let (tilesOfSlide, targets) = try inputs(chosen[i], step: step, onEvent: onEvent)
                    let value = try GEMM.computing(in: precision) {
                        try recipe.accumulate(student: student, slide: tilesOfSlide, targets: targets, pool: pool)
                    }
                    return [value.loss, value.hidden, value.slide, Double(tilesOfSlide.count)]
                }
            } catch TrainError.nonFinite(let i, let loss) {
                throw Failure.nonFinite(step: step + 1, slide: chosen[i].name, loss: loss)
            }
            var hidden = 0.0, slideLoss = 0.0, tiles = 0
            for record in report.records {
                hidden += record[1]
                slideLoss += record[2]
                tiles += Int(record[3])
            }
            let names = chosen.map(\.name)
            let seconds = Date().timeIntervalSince(started), count = Double(chosen.count)
            let metrics = Metrics(step: step + 1, of: o.steps, loss: (Double(o.beta) * hidden + (1 - o.beta) * slideLoss) / count,
                                  lossHidden: hidden / count, lossSlide: slideLoss / count, lr: report.lr,
                                  gradNorm: Double(report.gradNorm), tilesPerSecond: Double(tiles) / max(seconds, 1e-9),
                                  tiles: tiles, slides: names, waitSeconds: report.waitSeconds,
                                  exchangeSeconds: report.exchangeSeconds, exchangeBytes: report.exchangeBytes)
            guard let log else { continue }  // the leader writes; the other ranks go on to the next step
            try log.append([("step", .integer(metrics.step)), ("loss", .real(metrics.loss)), ("loss_hidden", .real(metrics.lossHidden)),
                            ("loss_slide", .real(metrics.lossSlide)), ("lr", .real(metrics.lr)), ("grad_norm", .real(metrics.gradNorm)),
                            ("tiles_per_s", .real(metrics.tilesPerSecond)), ("tiles", .integer(tiles)),
                            ("slides", .array(names.map { .string($0) }))]
                           + (metrics.exchangeBytes.map { [("wait_s", .real(metrics.waitSeconds!)),
                                                           ("exchange_s", .real(metrics.exchangeSeconds!)),
                                                           ("exchange_bytes", .integer($0))] } ?? []))
            onEvent(.step(metrics))
            let last = trainer.step == o.steps
            if !held.isEmpty, o.validateEvery > 0 && trainer.step % o.validateEvery == 0 || last && !held.isEmpty {
                let v = try validate(held, step: trainer.step)
                try log.append([("step", .integer(v.step)), ("val_loss_hidden", .real(v.lossHidden)),
                                ("val_loss_slide", .real(v.lossSlide)), ("val_slide_cosine", .real(v.slideCosine)),
                                ("val_head_cosine_min", .real(v.headCosine))])
                onEvent(.validation(v))
            }
            if trainer.step % max(1, o.checkpointEvery) == 0 || last {
                try TrainingCheckpoint.save(trainer, to: folder.checkpoint, metadata: try checkpointMetadata())
                onEvent(.checkpoint(step: trainer.step, path: folder.checkpoint))
            }
        }
        guard trainer.step == o.steps, isLeader else { return }
        try student.export(to: folder, preprocessor: teacher.preprocessor, teacherNorm: teacher.tileEncoder.norm)
    }

    /// The student's tiles and the teacher's targets of `slide` for `step`: all tiles, or a seeded
    /// sample of `tilesPerStep` (whose slide target is the teacher slide encoder on those tiles).
    private func inputs(_ slide: DistillDataset.Slide, step: Int,
                        onEvent: (Event) -> Void) throws -> (SlideTiles, TeacherTargets) {
        let cached = try cache.load(slide)
        let read = try cache.reader.read(slide, names: cached.names) { onEvent(.skipped(path: $0, error: $1)) }
        guard read.names == cached.names else {
            throw Failure.mismatch("\(slide.path): the tiles read now differ from the teacher cache's; recompute the cache")
        }
        guard let k = options.tilesPerStep, k < read.count else { return (read, cached.targets) }
        var rng = RandomGenerator(seed: options.seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: slide.name.hashValueStable))
        var rows = Array(0..<read.count)
        for i in 0..<k { rows.swapAt(i, i + Int(rng.next() % UInt64(read.count - i))) }
        rows = Array(rows[..<k]).sorted()
        let tiles = read.subset(rows)
        let sampled = cached.targets.rows(rows, slideEmbed: [])
        let slideEmbed = try teacher.slideEmbed(of: tiles, tileEmbeds: sampled.tileEmbeds)
        return (tiles, TeacherTargets(hidden: sampled.hidden, tileEmbeds: sampled.tileEmbeds, slideEmbed: slideEmbed))
    }

    /// Held-out losses, slide cosines and the teacher-space head's agreement, without gradients.
    private func validate(_ slides: [DistillDataset.Slide], step: Int) throws -> Validation {
        var hidden = 0.0, slide = 0.0, cosine = 0.0, head = 1.0
        for s in slides {
            let cached = try cache.load(s)
            let tiles = try cache.reader.read(s, names: cached.names) { _, _ in }
            let v = try GEMM.computing(in: precision) {
                try recipe.evaluate(student: student, slide: tiles, targets: cached.targets, teacherNorm: teacher.tileEncoder.norm)
            }
            hidden += v.hidden
            slide += v.slide
            cosine += v.slideCosine
            head = min(head, v.headCosine)
        }
        let n = Double(slides.count)
        return Validation(step: step, lossHidden: hidden / n, lossSlide: slide / n, slideCosine: cosine / n, headCosine: head)
    }

    /// The learning rate's warm-up and cosine over the run's steps.
    static func schedule(_ o: DistillationOptions) -> LearningRateSchedule {
        LearningRateSchedule(baseLR: o.lr, warmupSteps: o.warmupSteps, totalSteps: o.steps)
    }

    /// Slide `index` of the endless sequence of seeded epochs: a permutation per epoch.
    static func slideIndex(_ index: Int, count: Int, seed: UInt64) -> Int {
        var rng = RandomGenerator(seed: seed &+ UInt64(index / count) &* 0x2545_F491_4F6C_DD1D)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return order[index % count]
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: UInt64 {
        utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}
