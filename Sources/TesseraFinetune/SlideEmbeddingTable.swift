import Foundation
import TesseraCore
import TesseraFormats

/// One embedding per slide, read from a folder of per-slide safetensors files (what `tessera
/// embed --slide-encoder` writes for each slide), for a probe.
///
/// Legend: S = slides in the labels, N = those with a feature file, D = the embedding's width.
///
/// A slide's file is `FOLDER/<slide id>.safetensors`, the slide id with ".svs" removed as upstream
/// names its `.h5`/`.pt` files (`SlideLabels.slideIDs`); when that file is absent,
/// `FOLDER/<slide_id as the CSV wrote it>.safetensors` is taken (`tessera embed DATASET` names the
/// output of `a.svs` `a.svs.safetensors`). A slide with neither is left out, as upstream's
/// `get_valid_slides` leaves it out (it prints "Missing:"); `missing` lists them.
///
/// The tensor `embedding` (default `slide_embed`) may be [D] or [R, D] with R ≥ 1 rows: the rows
/// are averaged (in double precision), so `tile_embeds` [N_tiles, D] gives a mean-pooled tile
/// embedding, a tile-level probe. f16 and bf16 tensors are widened to f32.
public struct SlideEmbeddingTable: Sendable {
    /// D.
    public let dim: Int
    /// The rows of the labels [N] that have a feature file, in the labels' order.
    public let rows: [Int]
    /// The embeddings [N, D], row i for the labels' row `rows[i]`.
    public let values: [Float]
    /// The slide ids [S − N] without a feature file.
    public let missing: [String]

    public init(dim: Int, rows: [Int], values: [Float], missing: [String] = []) {
        precondition(values.count == rows.count * dim, "SlideEmbeddingTable: \(values.count) values for \(rows.count) rows of \(dim)")
        self.dim = dim
        self.rows = rows
        self.values = values
        self.missing = missing
    }

    /// The file `slide`'s embedding is read from in `folder`, if there is one (never outside it).
    public static func file(in folder: String, slideID: String, csvSlideID: String) -> String? {
        for name in [slideID, csvSlideID] where SlideLabels.isFileName(name) {
            let path = folder + "/" + name + ".safetensors"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// Reads every slide of `labels` from `folder`; errors name the file and the tensor: a file
    /// that is not safetensors, a missing tensor, a shape other than [D] or [R, D], a D that
    /// differs from the first file's, values that are not finite.
    public static func load(folder: String, labels: SlideLabels, embedding: String = "slide_embed") throws(FinetuneError) -> SlideEmbeddingTable {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .badInput(file: folder, reason: "not a folder of per-slide feature files")
        }
        var dim: Int? = nil
        var rows: [Int] = [], values: [Float] = [], missing: [String] = []
        for row in 0..<labels.count {
            guard let path = file(in: folder, slideID: labels.slideIDs[row], csvSlideID: labels.csvSlideIDs[row]) else {
                missing.append(labels.slideIDs[row])
                continue
            }
            let embedding = try read(path, embedding: embedding, dim: dim)
            dim = embedding.count
            rows.append(row)
            values += embedding
        }
        guard let dim else { throw .badInput(file: folder, reason: "no feature file for any of the \(labels.count) slides of \(labels.file)") }
        return SlideEmbeddingTable(dim: dim, rows: rows, values: values, missing: missing)
    }

    /// The embedding [D] in the file at `path`, checked against the width `dim` of earlier files.
    static func read(_ path: String, embedding: String, dim: Int?) throws(FinetuneError) -> [Float] {
        let dict: StateDict
        do { dict = try SafeTensors.read(path: path) } catch { throw .badInput(file: path, reason: "\(error)") }
        guard let tensor = dict[embedding] else {
            throw .badInput(file: path, reason: "no tensor '\(embedding)' (it holds \(dict.names.prefix(8).joined(separator: ", "))\(dict.count > 8 ? ", ..." : ""))")
        }
        guard tensor.dtype.isFloatingPoint else { throw .badInput(file: path, reason: "'\(embedding)' is \(tensor.dtype), expected floating point") }
        let shape = tensor.shape
        guard (shape.count == 1 || shape.count == 2), shape.allSatisfy({ $0 > 0 }) else {
            throw .badInput(file: path, reason: "'\(embedding)' has shape \(Tensor.describe(shape)), expected [D] or [rows, D]")
        }
        let width = shape[shape.count - 1], count = shape.count == 2 ? shape[0] : 1
        if let dim, width != dim {
            throw .badInput(file: path, reason: "'\(embedding)' has shape \(Tensor.describe(shape)), its width \(width) differs from the other slides' \(dim)")
        }
        let floats = tensor.floats()
        guard floats.allSatisfy({ $0.isFinite }) else { throw .badInput(file: path, reason: "'\(embedding)' holds values that are not finite") }
        guard count > 1 else { return floats }
        var sums = [Double](repeating: 0, count: width)
        for r in 0..<count { for j in 0..<width { sums[j] += Double(floats[r * width + j]) } }
        return sums.map { Float($0 / Double(count)) }
    }

    /// The embeddings [rows.count, D] of `labelRows` (rows of the labels, each with a file).
    public func gather(_ labelRows: [Int]) -> [Float] {
        let position = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($0.element, $0.offset) })
        var out: [Float] = []
        out.reserveCapacity(labelRows.count * dim)
        for row in labelRows {
            let i = position[row]!
            out += values[(i * dim)..<((i + 1) * dim)]
        }
        return out
    }
}
