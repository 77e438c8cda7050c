import CProtobufC
import CTesseraBundle
import TesseraCore
import TesseraModels

/// Reads the fields of a decoded protobuf-c manifest into the Swift structs,
/// checking each one's own range on the way (formats/bundle.md, "Reading" 3
/// and 5): sizes, enums, text, counts, shapes and lengths. Errors name the
/// field by its manifest path.
struct ManifestFields {
    let path: String
    /// Tensors' bytes must end within it.
    let fileSize: Int
    /// The header's format version: fields of later versions must be absent.
    let version: UInt32

    func manifest(_ m: Tessera__Bundle__Manifest) throws(BundleError) -> BundleManifest {
        guard let tile = m.tile_encoder else { throw fail(.missingField("tile_encoder")) }
        guard let transform = m.tile_transform else { throw fail(.missingField("tile_transform")) }
        guard let provenance = m.provenance else { throw fail(.missingField("provenance")) }
        try count(m.n_outputs, "outputs", limit: BundleFormat.maxOutputs)
        var outputs: [BundleOutput] = []
        for i in 0..<m.n_outputs {
            let name = try identifier(m.outputs[i], "outputs")
            guard let output = BundleOutput(rawValue: name) else {
                throw fail(.outOfRange(field: "outputs", value: "'\(name)'",
                                       expected: "one of " + BundleOutput.all.map { $0.rawValue }.joined(separator: ", ")))
            }
            outputs.append(output)
        }
        try count(m.n_tensors, "tensors", limit: BundleFormat.maxTensors)
        var tensors: [BundleTensorInfo] = []
        for i in 0..<m.n_tensors { tensors.append(try tensor(m.tensors[i]!.pointee, index: i)) }
        return BundleManifest(
            tileEncoder: try tileEncoder(tile.pointee), tileTransform: try tileTransform(transform.pointee),
            slideEncoder: try m.slide_encoder.map { (s) throws(BundleError) in try slideEncoder(s.pointee) },
            teacherHead: try m.teacher_head.map { (h) throws(BundleError) in try teacherHead(h.pointee) },
            classifier: try m.classifier.map { (c) throws(BundleError) in try classifier(c.pointee) },
            outputs: outputs, provenance: try self.provenance(provenance.pointee), tensors: tensors)
    }

    private func tileEncoder(_ t: Tessera__Bundle__TileEncoder) throws(BundleError) -> VisionTransformer.Config {
        let embedDim = try size(t.embed_dim, "tile_encoder.embed_dim"), mlpHidden = try size(t.mlp_hidden, "tile_encoder.mlp_hidden")
        var config = VisionTransformer.Config(
            architecture: try identifier(t.architecture, "tile_encoder.architecture"),
            imageSize: try size(t.image_size, "tile_encoder.image_size"),
            patchSize: try size(t.patch_size, "tile_encoder.patch_size"),
            inChans: try size(t.in_chans, "tile_encoder.in_chans"),
            embedDim: embedDim, depth: try size(t.depth, "tile_encoder.depth"),
            heads: try size(t.num_heads, "tile_encoder.num_heads"),
            mlpRatio: Double(mlpHidden) / Double(embedDim),
            mlp: try enumeration(t.mlp.rawValue, "tile_encoder.mlp", VisionTransformer.MlpKind.init(manifestNumber:)),
            layerScale: t.layer_scale != 0)
        // Exact, not recomputed from the ratio (timm rounds its mlp_ratio).
        config.mlpHidden = mlpHidden
        config.layerNormEps = t.layer_norm_eps
        return config
    }

    private func tileTransform(_ t: Tessera__Bundle__TileTransform) throws(BundleError) -> BundleTileTransform {
        try count(t.n_mean, "tile_transform.mean", limit: BundleFormat.maxSize)
        try count(t.n_std, "tile_transform.std", limit: BundleFormat.maxSize)
        return BundleTileTransform(
            resize: try size(t.resize, "tile_transform.resize"),
            interpolation: try enumeration(t.interpolation.rawValue, "tile_transform.interpolation"),
            crop: try size(t.crop, "tile_transform.crop"),
            mean: Array(UnsafeBufferPointer(start: t.mean, count: t.n_mean)),
            std: Array(UnsafeBufferPointer(start: t.std, count: t.n_std)))
    }

    private func slideEncoder(_ s: Tessera__Bundle__SlideEncoder) throws(BundleError) -> BundleSlideEncoder {
        func sizes(_ values: UnsafeMutablePointer<UInt32>?, _ n: Int, _ field: String) throws(BundleError) -> [Int] {
            try count(n, field, limit: BundleFormat.maxBranches)
            var result: [Int] = []
            for i in 0..<n { result.append(try size(values![i], field)) }
            return result
        }
        let segmentLengths = try sizes(s.segment_lengths, s.n_segment_lengths, "slide_encoder.segment_lengths")
        let dilationRatios = try sizes(s.dilation_ratios, s.n_dilation_ratios, "slide_encoder.dilation_ratios")
        guard !segmentLengths.isEmpty, segmentLengths.count == dilationRatios.count else {
            throw fail(.inconsistent("slide_encoder has \(segmentLengths.count) segment lengths and \(dilationRatios.count) dilation ratios"))
        }
        let config = SlideEncoder.Config(
            inChans: try size(s.in_chans, "slide_encoder.in_chans"),
            embedDim: try size(s.embed_dim, "slide_encoder.embed_dim"),
            depth: try size(s.depth, "slide_encoder.depth"),
            ffnDim: try size(s.ffn_dim, "slide_encoder.ffn_dim"),
            heads: try size(s.num_heads, "slide_encoder.num_heads"),
            branches: zip(segmentLengths, dilationRatios).map { DilatedAttention.Branch(segmentLength: $0, ratio: $1) },
            gridSize: try size(s.grid_size, "slide_encoder.grid_size"),
            tileSize: Double(try size(s.tile_size, "slide_encoder.tile_size")))
        return BundleSlideEncoder(config: config,
                                  pool: try enumeration(s.pooling.rawValue, "slide_encoder.pooling", SlidePool.init(manifestNumber:)))
    }

    /// Version 1's head is a Linear on the tile embedding; version 2 says what it reads
    /// (required) and whether a LayerNorm follows (`layer_norm_eps` present, checked > 0 later).
    private func teacherHead(_ h: Tessera__Bundle__TeacherHead) throws(BundleError) -> BundleTeacherHead {
        let inFeatures = try size(h.in_features, "teacher_head.in_features")
        let outFeatures = try size(h.out_features, "teacher_head.out_features")
        guard version >= 2 else {
            for (field, present) in [("teacher_head.input", h.input.rawValue != 0), ("teacher_head.layer_norm_eps", h.layer_norm_eps != 0)]
            where present {
                throw fail(.fieldOfNewerVersion(field: field, version: 2, bundleVersion: version))
            }
            return BundleTeacherHead(inFeatures: inFeatures, outFeatures: outFeatures)
        }
        return BundleTeacherHead(inFeatures: inFeatures, outFeatures: outFeatures,
                                 input: try enumeration(h.input.rawValue, "teacher_head.input"),
                                 layerNormEps: h.layer_norm_eps == 0 ? nil : h.layer_norm_eps)
    }

    /// Version 3's classifier: feature layers (each in 0...maxSize here; against the slide
    /// encoder's depth in `validate`), pooling, setting and 1...maxClasses class names (free text,
    /// not empty).
    private func classifier(_ c: Tessera__Bundle__Classifier) throws(BundleError) -> BundleClassifier {
        guard version >= BundleClassifier.formatVersion else {
            throw fail(.fieldOfNewerVersion(field: "classifier", version: BundleClassifier.formatVersion, bundleVersion: version))
        }
        try count(c.n_feat_layers, "classifier.feat_layers", limit: BundleFormat.maxFeatureLayers)
        guard c.n_feat_layers > 0 else { throw fail(.missingField("classifier.feat_layers")) }
        var layers: [Int] = []
        for i in 0..<c.n_feat_layers {
            let layer = c.feat_layers[i]
            guard layer <= BundleFormat.maxSize else {
                throw fail(.outOfRange(field: "classifier.feat_layers", value: String(layer), expected: "at most \(BundleFormat.maxSize)"))
            }
            layers.append(Int(layer))
        }
        try count(c.n_classes, "classifier.classes", limit: BundleFormat.maxClasses)
        guard c.n_classes > 0 else { throw fail(.missingField("classifier.classes")) }
        var classes: [String] = []
        for i in 0..<c.n_classes {
            let name = try text(c.classes[i], "classifier.classes")
            guard !name.isEmpty else {
                throw fail(.invalidText(field: "classifier.classes", rule: "1...\(BundleFormat.maxNameLength) printable ASCII characters"))
            }
            classes.append(name)
        }
        return BundleClassifier(head: SlideClassifier.Head(
            featLayers: layers,
            pooling: try enumeration(c.pooling.rawValue, "classifier.pooling", SlidePool.init(manifestNumber:)),
            setting: try enumeration(c.setting.rawValue, "classifier.setting", SlideClassifier.Setting.init(manifestNumber:)),
            classes: classes))
    }

    private func provenance(_ p: Tessera__Bundle__Provenance) throws(BundleError) -> BundleProvenance {
        let sha = bytes(p.teacher_weights_sha256)
        guard sha.isEmpty || sha.count == BundleFormat.sha256Length else {
            throw fail(.outOfRange(field: "provenance.teacher_weights_sha256", value: "\(sha.count) bytes",
                                   expected: "32 bytes or none"))
        }
        try count(p.n_metrics, "provenance.metrics", limit: BundleFormat.maxMetrics)
        var metrics: [BundleMetric] = []
        for i in 0..<p.n_metrics {
            let metric = p.metrics[i]!.pointee
            metrics.append(BundleMetric(name: try identifier(metric.name, "provenance.metrics.name"), value: metric.value))
        }
        let version = try text(p.tessera_version, "provenance.tessera_version")
        guard !version.isEmpty else { throw fail(.missingField("provenance.tessera_version")) }
        return BundleProvenance(teacherWeightsSHA256: sha,
                                distillationRunID: try text(p.distillation_run_id, "provenance.distillation_run_id"),
                                metrics: metrics, tesseraVersion: version, createdUnixSeconds: p.created_unix_seconds)
    }

    private func tensor(_ t: Tessera__Bundle__Tensor, index: Int) throws(BundleError) -> BundleTensorInfo {
        let name = try identifier(t.name, "tensors[\(index)].name")
        func fail(_ problem: BundleError.Problem) -> BundleError { BundleError(path: path, tensor: name, problem: problem) }
        let dtype = try enumeration(t.dtype.rawValue, "dtype", tensor: name, DType.init(manifestNumber:))
        let compression: BundleCompression = try enumeration(t.compression.rawValue, "compression", tensor: name)
        let dims = Array(UnsafeBufferPointer(start: t.shape, count: t.n_shape))
        guard dims.count <= BundleFormat.maxRank else { throw fail(.rankTooHigh(rank: dims.count, limit: BundleFormat.maxRank)) }
        guard !dims.contains(0) else { throw fail(.zeroDimension(shape: dims)) }
        var byteCount = dtype.size
        for dim in dims {
            guard let d = Int(exactly: dim), case let (product, overflow) = byteCount.multipliedReportingOverflow(by: d),
                  !overflow else { throw fail(.shapeOverflow(shape: dims)) }
            byteCount = product
        }
        switch compression {
        case .none:
            guard t.stored_length == UInt64(byteCount) else { throw fail(.storedLength(expected: byteCount, declared: t.stored_length)) }
            guard t.raw_length == 0 else {
                throw fail(.outOfRange(field: "raw_length", value: String(t.raw_length), expected: "0 for an uncompressed tensor"))
            }
        case .zstd:
            guard t.raw_length == UInt64(byteCount) else { throw fail(.rawLength(expected: byteCount, declared: t.raw_length)) }
            guard t.stored_length > 0 else {
                throw fail(.outOfRange(field: "stored_length", value: "0", expected: "the length of a zstd frame"))
            }
        }
        let (end, overflow) = t.offset.addingReportingOverflow(t.stored_length)
        guard !overflow, end <= UInt64(fileSize) else {
            throw fail(.pastEnd(end: overflow ? .max : end, fileSize: fileSize))
        }
        let sha = bytes(t.sha256)
        guard sha.count == BundleFormat.sha256Length else {
            throw fail(.outOfRange(field: "sha256", value: "\(sha.count) bytes", expected: "32 bytes"))
        }
        var scales: String?
        if !cString(t.scales).isEmpty { scales = try identifier(t.scales, "scales", tensor: name) }
        return BundleTensorInfo(name: name, dtype: dtype, shape: dims.map { Int($0) }, offset: Int(t.offset),
                                storedLength: Int(t.stored_length),
                                compression: compression, rawLength: Int(t.raw_length), sha256: sha,
                                scales: scales)
    }

    // MARK: - Fields

    private func fail(_ problem: BundleError.Problem, tensor: String? = nil) -> BundleError {
        BundleError(path: path, tensor: tensor, problem: problem)
    }

    private func size(_ value: UInt32, _ field: String) throws(BundleError) -> Int {
        guard value >= 1, value <= BundleFormat.maxSize else {
            throw fail(value == 0 ? .missingField(field)
                                  : .outOfRange(field: field, value: String(value), expected: "at most \(BundleFormat.maxSize)"))
        }
        return Int(value)
    }

    private func count(_ n: Int, _ field: String, limit: Int) throws(BundleError) {
        guard n <= limit else { throw fail(.outOfRange(field: field, value: "\(n) entries", expected: "at most \(limit)")) }
    }

    /// A known value of a proto3 enum: 0 is "missing", numbers this reader does not know are refused.
    private func enumeration<E: RawRepresentable>(_ raw: UInt32, _ field: String, tensor: String? = nil) throws(BundleError) -> E
    where E.RawValue == UInt32 {
        try enumeration(raw, field, tensor: tensor, E.init(rawValue:))
    }

    /// A known value of a proto3 enum, told by `known`.
    private func enumeration<E>(_ raw: UInt32, _ field: String, tensor: String? = nil, _ known: (UInt32) -> E?) throws(BundleError) -> E {
        guard raw != 0 else { throw fail(.missingField(field), tensor: tensor) }
        guard let value = known(raw) else {
            throw fail(.unknownEnumValue(field: field, value: Int(Int32(bitPattern: raw))), tensor: tensor)
        }
        return value
    }

    /// A name: 1...256 bytes of A-Z a-z 0-9 _ . -
    private func identifier(_ pointer: UnsafeMutablePointer<CChar>?, _ field: String, tensor: String? = nil) throws(BundleError) -> String {
        let bytes = cString(pointer)
        guard (1...BundleFormat.maxNameLength).contains(bytes.count), bytes.allSatisfy(Self.isNameByte) else {
            throw fail(.invalidText(field: field, rule: "1...\(BundleFormat.maxNameLength) characters of A-Z a-z 0-9 _ . -"), tensor: tensor)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Free text: at most 256 bytes of printable ASCII (may be empty).
    private func text(_ pointer: UnsafeMutablePointer<CChar>?, _ field: String, tensor: String? = nil) throws(BundleError) -> String {
        let bytes = cString(pointer)
        guard bytes.count <= BundleFormat.maxNameLength, bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw fail(.invalidText(field: field, rule: "at most \(BundleFormat.maxNameLength) printable ASCII characters"), tensor: tensor)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of a NUL-terminated string protobuf-c made, read up to one past the longest allowed.
    private func cString(_ pointer: UnsafeMutablePointer<CChar>?) -> [UInt8] {
        guard let pointer else { return [] }
        var bytes: [UInt8] = []
        while bytes.count <= BundleFormat.maxNameLength, pointer[bytes.count] != 0 {
            bytes.append(UInt8(bitPattern: pointer[bytes.count]))
        }
        return bytes
    }

    private func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data.data, count: data.len))
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
