import CPosix
import TesseraBundle
import TesseraCore
import TesseraEdgeModels
import TesseraIO
import TesseraModels

/// A bundle as `inspect` shows it: opened as the engine opens it to run (every check `run`
/// makes before the first tile: the format, every tensor's SHA-256 and values, the models built
/// from the tensors, the tile transform), and the manifest in lines of text.
public struct BundleInspection: Sendable {
    public let path: String
    /// The header's format version.
    public let version: UInt32
    public let manifest: BundleManifest
    /// The file's SHA-256 (hex), what `run` writes as the outputs' `weights_sha256`.
    public let sha256: String

    /// Opens the bundle at `path` as the engine does: the one validation both commands run.
    public init(path: String) throws(EdgeError) {
        let engine = try EdgeEngine(path: path)
        self.path = path
        version = engine.version
        manifest = engine.manifest
        sha256 = engine.sha256
    }

    /// Whether the file at `path` starts with the bundle magic (false for folders and unreadable files).
    public static func isBundle(path: String) -> Bool {
        let descriptor = tessera_open(path, O_RDONLY | O_CLOEXEC, 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) else { return false }
        var head = [UInt8](repeating: 0, count: BundleFormat.magic.count)
        let count = head.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        return count == head.count && head == BundleFormat.magic
    }

    /// The file's size: the layout check guarantees it ends where its last tensor does.
    public var fileSize: Int { manifest.tensors.map { $0.offset + $0.storedLength }.max() ?? 0 }

    /// The manifest, the tensors and the verification, in lines of text.
    public var lines: [String] {
        let m = manifest, t = m.tileEncoder, x = m.tileTransform
        var lines = [
            "\(path): Tessera bundle, format version \(version), \(Self.size(fileSize))",
            "tile encoder: \(t.architecture), image \(t.imageSize), patch \(t.patchSize), \(t.inChans) channels, "
                + "D \(t.embedDim), depth \(t.depth), \(t.heads) heads, MLP \(t.mlp == .gelu ? "GELU" : "SwiGLU-packed") "
                + "\(t.mlpHidden), layer scale \(t.layerScale ? "yes" : "no"), LayerNorm eps \(t.layerNormEps)",
            "tile transform: resize \(x.resize) bicubic, centre crop \(x.crop), mean \(Self.list(x.mean)), std \(Self.list(x.std))",
        ]
        if let slide = m.slideEncoder {
            let s = slide.config
            let branches = s.branches.map { "\($0.segmentLength)/\($0.ratio)" }.joined(separator: " ")
            lines.append("slide encoder: \(s.inChans) -> D \(s.embedDim), depth \(s.depth), \(s.heads) heads, FFN \(s.ffnDim), "
                         + "segment/dilation \(branches), tile size \(Int(s.tileSize)), grid \(s.gridSize), "
                         + "slide_embed = \(slide.pool == .mean ? "mean pooling" : "class token")")
        } else {
            lines.append("slide encoder: none")
        }
        lines.append(m.teacherHead.map(Self.describe) ?? "teacher head: none")
        lines.append(m.classifier.map { Self.describe($0.head) } ?? "classifier: none")
        lines.append("outputs: " + m.outputs.map { $0.rawValue }.joined(separator: ", "))
        let p = m.provenance
        lines.append("provenance: tessera \(p.tesseraVersion), created \(p.createdUnixSeconds) (unix seconds)")
        lines.append("  teacher weights sha256: " + (p.teacherWeightsSHA256.isEmpty ? "unknown" : SHA256.hex(p.teacherWeightsSHA256)))
        lines.append("  distillation run: " + (p.distillationRunID.isEmpty ? "none" : p.distillationRunID))
        for metric in p.metrics { lines.append("  \(metric.name) = \(metric.value)") }
        let byDType = Dictionary(grouping: m.tensors, by: { $0.dtype.rawValue })
            .map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")
        let compressed = m.tensors.filter { $0.compression == .zstd }.count
        lines.append("tensors: \(m.tensors.count) (\(byDType); \(compressed) zstd)")
        for info in m.tensors {
            var line = "  \(info.name) \(info.dtype.rawValue) \(Tensor.describe(info.shape)) at \(info.offset), \(info.storedLength) bytes"
            if info.compression == .zstd { line += " (zstd of \(info.rawLength))" }
            if let scales = info.scales { line += ", scales \(scales)" }
            lines.append(line)
        }
        lines.append("sha256: \(sha256) (the outputs' weights_sha256)")
        lines.append("checksums: the manifest and all \(m.tensors.count) tensors verified (SHA-256); the models build from them")
        return lines
    }

    /// "teacher head: Linear 64 -> 96, LayerNorm eps 1e-06, on the last hidden class token"
    static func describe(_ head: BundleTeacherHead) -> String {
        "teacher head: Linear \(head.inFeatures) -> \(head.outFeatures), "
            + (head.layerNormEps.map { "LayerNorm eps \($0), " } ?? "no LayerNorm, ")
            + (head.input == .tileEmbedding ? "on the tile embedding" : "on the last hidden class token (before the final norm)")
    }

    /// "classifier: multi_class, layers [1, 2] pooled cls, 3 classes: 'a', 'b', 'c'" (names quoted, at most 10 listed)
    static func describe(_ head: SlideClassifier.Head) -> String {
        "classifier: \(head.setting.rawValue), layers [" + head.featLayers.map { String($0) }.joined(separator: ", ")
            + "] pooled \(head.pooling.rawValue), \(head.classes.count) classes: " + MessageText.list(head.classes)
    }

    /// "[0.485, 0.456, 0.406]": arrays spelled out (Embedded Swift does not print them).
    static func list(_ values: [Float]) -> String {
        "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
    }

    /// "1234567 bytes (1.2 MB)"
    static func size(_ bytes: Int) -> String {
        let tenths = (bytes + 50_000) / 100_000
        return "\(bytes) bytes (\(tenths / 10).\(tenths % 10) MB)"
    }
}
