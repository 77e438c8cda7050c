import TesseraCore
import TesseraModels
import TesseraPipeline
import TesseraSlide

/// The teacher cache of a run, and filling it alone: `tessera distill --cache-only --shard K/N`,
/// one job-array task per shard, fills a run's cache before its training run (which then finds
/// every slide cached). The slides are the run's training and validation slides, in that order.
extension DistillationRun {
    /// Fills shard `shard`'s slides of the cache the options name in `folder` (no run.json is
    /// written, no run lock taken: the shards run at once, each slide locked while computed);
    /// returns the slides of the shard that have targets.
    public static func fillCache(options: DistillationOptions, folder: String, shard: Shard,
                                 onEvent: (TeacherCache.Event) -> Void = { _ in }) throws -> [DistillDataset.Slide] {
        var o = options.resolvingPaths()
        o.tiling = o.tiling ?? TilingOptions()
        try o.validate()
        let data = try DistillDataset.open(o.data)
        let cache = try teacherCache(o, folder: RunFolder(path: folder), recompute: false)
        let processThreads = Parallel.threadCount
        Parallel.threadCount = o.threads ?? processThreads
        defer { Parallel.threadCount = processThreads }
        return try cache.fill(shard.part(of: data.training + validationSlides(o, data: data)), onEvent: onEvent)
    }

    /// The teacher, loaded, and its cache in the folder the options name.
    static func teacherCache(_ o: DistillationOptions, folder: RunFolder, recompute: Bool) throws -> TeacherCache {
        let precision = ComputePrecision(rawValue: o.teacherPrecision ?? "f32") ?? .f32
        let tile = try VisionTransformer.load(path: o.teacher, precision: precision)
        let slide = try SlideEncoder.loaded(path: o.teacherSlide, precision: precision)
        return TeacherCache(folder: folder.teacherCache(o),
                            teacher: Teacher(tileEncoder: tile.model, slideEncoder: slide.model, batchSize: o.teacherBatch),
                            teacherSHA256: tile.weightsSHA256, teacherSlideSHA256: slide.weightsSHA256, teacherPrecision: precision,
                            reader: SlideReader(tiling: o.tiling ?? TilingOptions()), hiddenType: o.cachePrecision == "f32" ? .f32 : .f16,
                            recomputeMismatched: o.recomputeCache || recompute)
    }

    /// The held-out slides: the dataset's `val` slides, then the validation dataset's.
    static func validationSlides(_ o: DistillationOptions, data: DistillDataset) throws -> [DistillDataset.Slide] {
        try data.validation + (o.validationData.map { try DistillDataset.open($0).slides } ?? [])
    }
}
