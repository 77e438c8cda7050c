import Foundation
import TesseraCore

/// One slide's tile embeddings and their positions, from the per-slide feature file that
/// slide-level fine-tuning reads (`FeatureFile`: safetensors as `tessera embed` writes it,
/// upstream's HDF5 and torch files).
///
/// Shapes: tileEmbeds f32 [N, D]; coords f32 [N, 2], each tile's level-0 pixel (x, y);
/// N ≥ 1, D ≥ 1, every value finite. The file is hostile until validated: shapes and sizes
/// are checked before any value is read or allocated, values after.
public struct SlideFeatures {
    /// f32 [N, D]: one row per tile.
    public let tileEmbeds: Tensor
    /// f32 [N, 2]: (x, y) of each tile's top-left corner, in level-0 pixels.
    public let coords: Tensor

    /// The largest file `load` reads, checked on the shapes before anything is allocated.
    public struct Limits: Sendable {
        public var maxTiles: Int
        public var maxWidth: Int
        /// N x D.
        public var maxElements: Int

        public init(maxTiles: Int, maxWidth: Int, maxElements: Int) {
            self.maxTiles = maxTiles
            self.maxWidth = maxWidth
            self.maxElements = maxElements
        }

        /// 2 Mi tiles (a 1000 x 1000 grid's cells twice over), D up to 65,536 (GigaPath's is
        /// 1536), 2^30 values (4 GiB as f32; a 200,000-tile slide at D = 1536 is 1.2 GB).
        public static let standard = Limits(maxTiles: 1 << 21, maxWidth: 1 << 16, maxElements: 1 << 30)
    }

    /// The extensions `file(in:slideID:)` looks for: `<slide_id>.safetensors`, `.h5`, `.pt`.
    public static let extensions = ["safetensors", "h5", "pt"]

    /// The largest |coordinate|: f32 holds every integer up to 2^24 (`tessera embed` refuses
    /// tile positions past it for the same reason).
    public static let coordinateLimit: Double = 16_777_216

    /// Reads and validates the feature file at `path` (format by its first bytes). The tile
    /// embeddings may be any float dtype, [N, D] or [1, N, D]; coords any numeric dtype,
    /// [N, 2] or [1, N, 2]. Errors name the file and the dataset or tensor.
    public static func load(path: String, limits: Limits = .standard) throws(FinetuneError) -> SlideFeatures {
        let file = try FeatureFile.open(path)
        let (tiles, width) = try checkShapes(file, limits: limits)
        let embeds = try file.embeds.values().reshaped([tiles, width]).float32()
        try embeds.withFloats { (values: UnsafeBufferPointer<Float>) throws(FinetuneError) in
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw .badInput(file: path, reason: "\(file.embeds.label): row \(i / width), column \(i % width) is \(values[i])")
            }
        }
        let rawCoords = try file.coords.values()
        var coords = [Float](repeating: 0, count: 2 * tiles)
        for i in 0..<coords.count {
            // scalar(at:) widens to Double: exact for every dtype up to 2^53, far past the limit.
            let value = rawCoords.scalar(at: i)
            guard value.isFinite, abs(value) <= coordinateLimit else {
                throw .badInput(file: path, reason: "\(file.coords.label): row \(i / 2), \(i % 2 == 0 ? "x" : "y") is \(value): "
                                + "coordinates must be finite and within ±2^24 pixels")
            }
            coords[i] = Float(value)
        }
        return SlideFeatures(tileEmbeds: embeds, coords: Tensor(shape: [tiles, 2], floats: coords))
    }

    /// (N, D) from the stored shapes and kinds, before any value is read.
    private static func checkShapes(_ file: FeatureFile, limits: Limits) throws(FinetuneError) -> (Int, Int) {
        func fail(_ entry: FeatureFile.Entry, _ problem: String) -> FinetuneError {
            .badInput(file: file.path, reason: "\(entry.label): \(problem)")
        }
        /// The shape without a leading 1 when it has rank 3 (upstream's batch of one slide).
        func matrix(_ entry: FeatureFile.Entry, _ expected: String) throws(FinetuneError) -> [Int] {
            let shape = entry.shape.count == 3 && entry.shape[0] == 1 ? Array(entry.shape.dropFirst()) : entry.shape
            guard shape.count == 2 else {
                throw fail(entry, "has shape \(Tensor.describe(entry.shape)), expected \(expected) (or [1, \(expected.dropFirst()))")
            }
            return shape
        }
        let embeds = file.embeds, coords = file.coords
        guard embeds.kind == .float else {
            throw fail(embeds, "holds \(embeds.typeName): tile embeddings must be floating point")
        }
        guard coords.kind != .other else { throw fail(coords, "holds \(coords.typeName): coordinates must be numbers") }
        let embedShape = try matrix(embeds, "[N, D]"), coordShape = try matrix(coords, "[N, 2]")
        let (tiles, width) = (embedShape[0], embedShape[1])
        guard tiles >= 1 else { throw fail(embeds, "has no tiles (shape \(Tensor.describe(embeds.shape)))") }
        guard width >= 1 else { throw fail(embeds, "has no features (shape \(Tensor.describe(embeds.shape)))") }
        guard coordShape[1] == 2 else { throw fail(coords, "has shape \(Tensor.describe(coords.shape)), expected [N, 2]") }
        guard coordShape[0] == tiles else {
            throw .badInput(file: file.path, reason: "\(coords.label) has \(coordShape[0]) rows but \(embeds.label) has \(tiles)")
        }
        let (elements, overflow) = tiles.multipliedReportingOverflow(by: width)
        guard tiles <= limits.maxTiles, width <= limits.maxWidth, !overflow, elements <= limits.maxElements else {
            throw fail(embeds, "shape \(Tensor.describe(embeds.shape)) is past the limits (at most \(limits.maxTiles) tiles, "
                       + "\(limits.maxWidth) features, \(limits.maxElements) values)")
        }
        return (tiles, width)
    }

    /// The one feature file of `slideID` in `folder`: `<slide_id>.safetensors`, `.h5` or `.pt`.
    /// None, several, a slide id that is not a plain file name, or a folder that is not one:
    /// an error naming the folder and the slide.
    public static func file(in folder: String, slideID: String) throws(FinetuneError) -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .badInput(file: folder, reason: "not a folder (looking for the feature file of slide '\(slideID)')")
        }
        // A slide id from a labels file must not reach outside the folder.
        guard SlideLabels.isFileName(slideID) else {
            throw .badInput(file: folder, reason: "slide id '\(slideID)' is not a file name")
        }
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        let names = extensions.map { "\(slideID).\($0)" }
        let present = names.filter { FileManager.default.fileExists(atPath: base + $0) }
        guard present.count == 1, let name = present.first else {
            throw .badInput(file: folder, reason: present.isEmpty
                            ? "no feature file for slide '\(slideID)' (looked for \(names.joined(separator: ", ")))"
                            : "slide '\(slideID)' has several feature files (\(present.joined(separator: ", "))): keep one")
        }
        return base + name
    }
}
