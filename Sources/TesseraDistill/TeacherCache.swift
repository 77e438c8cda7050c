import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline

/// The teacher's targets for every training slide, one file per slide (formats/teacher-cache.md):
/// computed once, validated against the teacher and the tile list on every use, resumed at the
/// first slide without a file.
public struct TeacherCache {
    public let folder: String
    public let teacher: Teacher
    public let teacherSHA256: String
    public let teacherSlideSHA256: String
    /// What the teacher computed in: part of the teacher's identity (a bf16 file says so).
    public let teacherPrecision: ComputePrecision
    /// Where each slide's tiles come from (a slide folder's PNGs or a whole-slide file's tiles).
    public let reader: SlideReader
    /// The dtype of h_t: f16 halves the cache, f32 keeps the teacher's exact values.
    public var hiddenType: DType
    /// Recompute a slide whose file disagrees with the run (else the run stops).
    public var recomputeMismatched: Bool

    public init(folder: String, teacher: Teacher, teacherSHA256: String, teacherSlideSHA256: String,
                teacherPrecision: ComputePrecision = .f32, reader: SlideReader, hiddenType: DType = .f16,
                recomputeMismatched: Bool = false) {
        self.folder = folder
        self.teacher = teacher
        self.teacherSHA256 = teacherSHA256
        self.teacherSlideSHA256 = teacherSlideSHA256
        self.teacherPrecision = teacherPrecision
        self.reader = reader
        self.hiddenType = hiddenType
        self.recomputeMismatched = recomputeMismatched
    }

    public enum Event {
        /// Teacher progress over all slides still to cache.
        case tiles(done: Int, total: Int)
        case skipped(path: String, error: any Error)
        case warning(String)
        /// A slide's file was written: its raw bytes, their zstd size, and the bytes stored
        /// (the zstd size when it saved at least 10%, else the raw size).
        case cached(slide: String, rawBytes: Int, zstdBytes: Int, storedBytes: Int)
    }

    public struct Mismatch: Error, CustomStringConvertible {
        public let file: String, problem: String
        public var description: String {
            "\(file): \(problem); the cache belongs to another teacher or tile list (remove it, or recompute it)"
        }
    }

    var preprocessing: String {
        let p = teacher.preprocessor
        return "resize \(p.resize) bicubic, crop \(p.crop), mean \(p.mean), std \(p.std)"
    }

    /// Caches every slide that has no valid file yet; returns the slides that have targets (a
    /// slide with no readable tile is left out, with a warning). A slide is locked while it is
    /// computed (`RunFolderLock`, `TeacherCacheFile.lockPath`): processes sharing a cache folder
    /// (the shards of a job array, the ranks of a run) fill it at once, never the same slide.
    /// `compute: false` only validates: a slide without a file is left out (another process
    /// filled the cache and found it unreadable).
    public func fill(_ slides: [DistillDataset.Slide], compute: Bool = true,
                     onEvent: (Event) -> Void = { _ in }) throws -> [DistillDataset.Slide] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var todo: [(DistillDataset.Slide, [String])] = [], usable: [DistillDataset.Slide] = []
        for slide in slides {
            let tiles = try names(of: slide) { onEvent(.skipped(path: $0, error: $1)) }
            if let file = existingFile(slide) {
                if TeacherCacheFile.isEmpty(file), recomputeMismatched {
                    onEvent(.warning("\(file): recomputing (an empty file)"))
                    try FileManager.default.removeItem(atPath: file)
                    todo.append((slide, tiles))
                    continue
                }
                do {
                    try validate(try TeacherCacheFile.contents(of: file), file: file, slide: slide, tiles: tiles)
                    usable.append(slide)
                    continue
                } catch let mismatch as Mismatch where recomputeMismatched {
                    onEvent(.warning("\(mismatch.file): recomputing (\(mismatch.problem))"))
                    try FileManager.default.removeItem(atPath: file)
                }
            }
            if compute { todo.append((slide, tiles)) }
        }
        let total = todo.reduce(0) { $0 + $1.1.count }
        var done = 0
        if total > 0 { onEvent(.tiles(done: 0, total: total)) }
        for (slide, tiles) in todo {
            let lock = try RunFolderLock(path: TeacherCacheFile.lockPath(folder: folder, slide: slide.name, source: Self.source(slide)),
                                         guarding: path(slide, zst: false), what: "slide \(slide.name) of the teacher cache")
            // Gone with the slide's file written (or the slide found unreadable): a cache holds no lock files at rest.
            defer { withExtendedLifetime(lock) { _ = unlink(lock.path) } }
            if let file = existingFile(slide), (try? validate(TeacherCacheFile.contents(of: file), file: file, slide: slide, tiles: tiles)) != nil {
                done += tiles.count  // cached by another process since the slide was looked at
                usable.append(slide)
                continue
            }
            let read = SlideTiles.read(try reader.tiles(of: slide) { _, _ in }) { onEvent(.skipped(path: $0, error: $1)) }
            guard read.count > 0 else {
                onEvent(.warning("\(slide.path): no readable tile; the slide is left out"))
                done += tiles.count
                continue
            }
            let (targets, outputs) = try teacher.targets(read, hiddenType: hiddenType,
                                                         progress: { onEvent(.tiles(done: done + $0, total: total)) },
                                                         onWarning: { onEvent(.warning("\(slide.path): \($0)")) })
            done += tiles.count
            var dict = StateDict()
            dict.set("hidden", targets.hidden)
            dict.set("tile_embeds", targets.tileEmbeds)
            dict.set("coords", read.coords)
            outputs.add(to: &dict, pool: .mean)
            let kept = Set(read.names)
            typealias File = TeacherCacheFile
            dict.metadata = [
                File.versionKey: File.version(teacherPrecision: teacherPrecision.rawValue), File.slideKey: Self.source(slide),
                File.teacherSHA256Key: teacherSHA256, File.teacherSlideSHA256Key: teacherSlideSHA256, File.preprocessingKey: preprocessing,
                "tile_names": JSONValue.array(read.names.map { .string($0) }).serialized(),
                File.skippedTilesKey: JSONValue.array(tiles.filter { !kept.contains($0) }.map { .string($0) }).serialized(),
            ]
            if teacherPrecision != .f32 { dict.metadata[File.teacherPrecisionKey] = teacherPrecision.rawValue }
            let (raw, packed, stored) = try write(dict, slide: slide)
            onEvent(.cached(slide: slide.name, rawBytes: raw, zstdBytes: packed, storedBytes: stored))
            usable.append(slide)
        }
        return slides.filter { usable.contains($0) }
    }

    /// A slide's targets and its tiles' names (row order), validated against the run.
    public func load(_ slide: DistillDataset.Slide) throws -> (targets: TeacherTargets, names: [String], coords: Tensor) {
        guard let file = existingFile(slide) else { throw Mismatch(file: path(slide, zst: false), problem: "no cache file") }
        let dict = try TeacherCacheFile.contents(of: file)
        try validate(dict, file: file, slide: slide, tiles: try names(of: slide) { _, _ in })
        guard let hidden = dict["hidden"], let embeds = dict["tile_embeds"], let coords = dict["coords"],
              let slideEmbed = dict["slide_embed"] else { throw Mismatch(file: file, problem: "a tensor is missing") }
        return (TeacherTargets(hidden: hidden, tileEmbeds: embeds.float32(), slideEmbed: slideEmbed.floats()),
                dict.tileNames ?? [], coords)
    }

    /// The names of all the slide's tiles, in row order.
    private func names(of slide: DistillDataset.Slide, skip: (String, any Error) -> Void) throws -> [String] {
        let source = try reader.tiles(of: slide, skip: skip)
        return (0..<source.count).map(source.name(of:))
    }

    /// `tiles`: the names of all the slide's tiles.
    private func validate(_ dict: StateDict, file: String, slide: DistillDataset.Slide, tiles: [String]) throws {
        func expect(_ key: String, _ value: String) throws {
            guard dict.metadata[key] == value else {
                throw Mismatch(file: file, problem: "'\(key)' is \(dict.metadata[key].map { "'\($0)'" } ?? "missing"), the run has '\(value)'")
            }
        }
        typealias File = TeacherCacheFile
        try expect(File.versionKey, File.version(teacherPrecision: teacherPrecision.rawValue))
        let precision = dict.metadata[File.teacherPrecisionKey] ?? "f32"
        guard precision == teacherPrecision.rawValue else {
            throw Mismatch(file: file, problem: "the teacher computed in \(precision), the run's teacher in \(teacherPrecision.rawValue)")
        }
        try expect(File.slideKey, Self.source(slide))
        try expect(File.teacherSHA256Key, teacherSHA256)
        try expect(File.teacherSlideSHA256Key, teacherSlideSHA256)
        try expect(File.preprocessingKey, preprocessing)
        let names = dict.tileNames ?? []
        var skipped = StateDict()
        skipped.metadata["tile_names"] = dict.metadata[File.skippedTilesKey]
        let listed = Set(names + (skipped.tileNames ?? []))
        guard listed == Set(tiles) else {
            throw Mismatch(file: file, problem: "the slide's tiles changed (\(listed.count) cached, \(tiles.count) in the slide)")
        }
        guard dict["hidden"]?.dtype == hiddenType else {
            throw Mismatch(file: file, problem: "hidden states are \(dict["hidden"]?.dtype.rawValue ?? "missing"), the run keeps \(hiddenType.rawValue)")
        }
    }

    private func path(_ slide: DistillDataset.Slide, zst: Bool) -> String {
        TeacherCacheFile.path(folder: folder, slide: slide.name, source: Self.source(slide), compressed: zst)
    }

    private func existingFile(_ slide: DistillDataset.Slide) -> String? {
        TeacherCacheFile.existing(folder: folder, slide: slide.name, source: Self.source(slide))
    }

    static func source(_ slide: DistillDataset.Slide) -> String { TeacherCacheFile.source(ofSlideAt: slide.path) }

    /// Writes the slide's file (raw, or zstd when that saves at least 10%); raw, zstd and stored sizes.
    /// Whether zstd pays is first measured on the file's first `zstdSample` bytes: teacher
    /// activations barely compress (ratio 0.92), and compressing a whole 10,000-tile slide's
    /// targets (6 GB of f16) only to throw the result away would cost seconds and its size in
    /// memory. The zstd size reported for a file left raw is the sample's ratio times its size.
    private func write(_ dict: StateDict, slide: DistillDataset.Slide) throws -> (Int, Int, Int) {
        let raw = path(slide, zst: false)
        try SafeTensors.write(dict, to: raw)
        let file = try MappedFile(path: raw)
        let bytes = file.bytes
        let sample = Data(UnsafeRawBufferPointer(rebasing: bytes[..<min(bytes.count, Self.zstdSample)]))
        let packedSample = try Zstd.compress(sample)
        guard packedSample.count * 10 <= sample.count * 9 else {
            return (bytes.count, Int(Double(packedSample.count) / Double(max(sample.count, 1)) * Double(bytes.count)), bytes.count)
        }
        let packed = sample.count == bytes.count ? packedSample : try Zstd.compress(Data(bytes))  // a copy only when zstd pays
        guard packed.count * 10 <= bytes.count * 9 else { return (bytes.count, packed.count, bytes.count) }
        try packed.write(to: URL(fileURLWithPath: path(slide, zst: true)), options: .atomic)
        try FileManager.default.removeItem(atPath: raw)
        return (bytes.count, packed.count, packed.count)
    }

    /// Bytes of a cache file on which zstd is tried first.
    static let zstdSample = 16 << 20
}
