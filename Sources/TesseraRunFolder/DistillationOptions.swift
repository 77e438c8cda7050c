import TesseraSlide

/// Everything that defines a distillation run, saved as `RUN/run.json` (`RunFolder`,
/// formats/run-folder.md) so that a resumed run continues the same run.
public struct DistillationOptions: Codable, Equatable, Sendable {
    /// Teacher tile encoder (timm folder or weights file) and slide encoder (file or folder).
    public var teacher: String
    public var teacherSlide: String
    /// Training slides (folder of slide folders, or manifest) and optional held-out slides.
    public var data: String
    public var validationData: String?
    /// Initial `student.*`, `adaptor.*`, `slide_student.*` weights (nil: a fresh student).
    public var initWeights: String?
    /// The student tile encoder: a preset, or a timm `config.json` (neither: ViT-S/16; one of them
    /// is required with `initWeights`, whose weights cannot tell the head count); optional starting weights.
    public var studentArchitecture: String?
    public var studentConfig: String?
    public var studentWeights: String?
    /// The student slide encoder (in_chans = the student's width); nil: the teacher slide encoder's.
    public var slideDepth = 2
    public var slideDim: Int?
    public var slideHeads: Int?
    public var beta = 0.5
    public var lr = 1e-3
    public var weightDecay = 0.05
    public var warmupSteps = 0
    public var steps = 100
    public var microBatch = 8
    public var slidesPerStep = 1
    /// Tiles sampled per slide and step (nil: all of them).
    public var tilesPerStep: Int?
    public var maxGradNorm: Double?
    public var seed: UInt64 = 0
    public var checkpointEvery = 100
    public var validateEvery = 0
    /// Bytes the first pass may keep for the second instead of recomputing it.
    public var memoryBudget = 0
    /// "f16" or "f32": the teacher cache's hidden states.
    public var cachePrecision = "f16"
    /// "bf16": the teacher computes its targets at `--precision bf16` (docs/models.md §7); a
    /// changed precision is a changed teacher for the cache. nil (run folders written before it
    /// existed, or not given) or "f32": exact.
    public var teacherPrecision: String?
    /// "bf16": the student's training step runs every matrix product in bf16, forward and
    /// backward, on f32 master weights (PyTorch's CPU autocast; docs/models.md §7). nil (run
    /// folders written before it existed, or not given) or "f32": exact.
    public var precision: String?
    public var cacheFolder: String?
    public var recomputeCache = false
    public var teacherBatch = 8
    /// The worker threads the run computes with (`Parallel.threadCount`): the bits of f32 sums
    /// depend on how they are split, so a resumed run uses the same count. A new run records the
    /// process's count when none is given; nil only in run folders written before it was recorded.
    public var threads: Int?
    /// How whole-slide files in the data are cut into tiles (`tessera tile`'s selection). A new run
    /// records `tessera tile`'s default (exact mode, level 0, 256-pixel tiles); nil only in run
    /// folders written before it was recorded, whose data held no whole-slide file: the default.
    public var tiling: TilingOptions?

    public init(teacher: String, teacherSlide: String, data: String) {
        self.teacher = teacher
        self.teacherSlide = teacherSlide
        self.data = data
    }
}
