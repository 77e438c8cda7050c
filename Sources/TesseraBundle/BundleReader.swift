import TesseraCore

/// An open bundle. Opening checks the header, the manifest and the layout
/// (formats/bundle.md, "Reading" 1-7); each tensor's bytes are checked against
/// their SHA-256 the first time the tensor is read, before it is handed out.
public final class BundleReader {
    public let path: String
    /// The format version in the header.
    public let version: UInt32
    public let manifest: BundleManifest
    private let file: MappedFile
    private let index: [String: Int]
    /// The tensors that are an INT8 tensor's scales (read with it, under their own rule).
    private let scaleNames: Set<String>
    private var verified: [Bool]

    /// Maps and checks the bundle at `path`.
    public static func open(_ path: String, limits: BundleLimits = .standard) throws(BundleError) -> BundleReader {
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            throw BundleError(path: path, problem: .cannotOpen(reason: "\(error)"))
        }
        return try BundleReader(file: file, path: path, limits: limits)
    }

    /// Checks the bundle in `file`; `path` names it in errors.
    public init(file: MappedFile, path: String, limits: BundleLimits = .standard) throws(BundleError) {
        let header = try BundleHeader(file: file.bytes, path: path, limits: limits)
        let manifest = try ManifestDecoder.decode(UnsafeRawBufferPointer(rebasing: file.bytes[header.manifestRange]),
                                                  version: header.version, fileSize: file.bytes.count, path: path, limits: limits)
        try BundleLayout.check(manifest.tensors, manifestLength: header.manifestLength, file: file.bytes, path: path)
        self.path = path
        version = header.version
        self.manifest = manifest
        self.file = file
        var index: [String: Int] = [:]
        for (i, tensor) in manifest.tensors.enumerated() { index[tensor.name] = i }
        self.index = index
        scaleNames = Set(manifest.tensors.compactMap { $0.scales })
        verified = Array(repeating: false, count: manifest.tensors.count)
    }

    /// The tensor `name` (full name, with its component prefix), its bytes verified.
    public func tensor(_ name: String) throws(BundleError) -> BundleTensor {
        guard let i = index[name] else {
            throw BundleError(path: path, tensor: name, problem: .missingTensor(referencedBy: "the caller"))
        }
        let info = manifest.tensors[i]
        let tensor = try stored(i)
        guard let scalesName = info.scales else { return BundleTensor(name: name, tensor: tensor, scales: nil) }
        let scales = try stored(index[scalesName]!)
        if let row = scales.withFloats({ $0.firstIndex { !Int8Quantisation.isValid(scale: $0) } }) {
            throw BundleError(path: path, tensor: scalesName, problem: .badScale(row: row))
        }
        return BundleTensor(name: name, tensor: tensor, scales: scales)
    }

    /// The tensors of `component` as f32 (dequantised where stored otherwise),
    /// named without the component prefix, in bundle order; scale tensors are
    /// folded into their weights.
    public func floatWeights(_ component: BundleComponent) throws(BundleError) -> StateDict {
        var weights = StateDict()
        for (name, tensor) in try tensors(of: component) { weights.set(name, tensor.dequantised()) }
        return weights
    }

    /// The tensors of `component` as stored (uncompressed f32 as views of the mapping,
    /// F16, BF16 and INT8 as they are), named without the component prefix, in bundle
    /// order, each INT8 tensor's scales under `StateDict.scalesName(of:)` its name: the
    /// state dict a model is built from to compute in the bundle's precisions.
    public func weights(_ component: BundleComponent) throws(BundleError) -> StateDict {
        var weights = StateDict()
        for (name, read) in try tensors(of: component) {
            var entries = [(name, read.tensor)]
            if let scales = read.scales { entries.append((StateDict.scalesName(of: name), scales)) }
            for (key, tensor) in entries {
                // A tensor named like another's scales would make the dict ambiguous.
                guard weights[key] == nil else {
                    throw BundleError(path: path, tensor: component.prefix + key, problem: .duplicate(field: "state dict key", value: key))
                }
                weights.set(key, tensor)
            }
        }
        return weights
    }

    /// The tensors of `component` but the scale tensors (they come with their weights),
    /// named without the component prefix, in bundle order.
    private func tensors(of component: BundleComponent) throws(BundleError) -> [(name: String, tensor: BundleTensor)] {
        var tensors: [(name: String, tensor: BundleTensor)] = []
        for info in manifest.tensors where info.name.hasPrefix(component.prefix) && !scaleNames.contains(info.name) {
            tensors.append((String(info.name.dropFirst(component.prefix.count)), try tensor(info.name)))
        }
        return tensors
    }

    /// The SHA-256 (hex) of the whole file as this reader mapped it: the bytes it checked and
    /// hands out, whatever the path names by now. The mapping is the one the tensors are read
    /// from, so hashing it adds no second copy to the resident set.
    public var fileSHA256: String { SHA256.hex(SHA256.digest(file.bytes)) }

    /// Reads every tensor once, so that every stored byte has been checked.
    public func verifyAll() throws(BundleError) {
        for info in manifest.tensors { _ = try tensor(info.name) }
    }

    /// Tensor `i` as stored after its checksum: a view of the mapping, or decompressed into owned
    /// memory. The first read also checks its values: a float tensor's are finite (a NaN weight
    /// makes every output NaN); a scale tensor's stricter rule is checked with its weights.
    private func stored(_ i: Int) throws(BundleError) -> Tensor {
        let info = manifest.tensors[i]
        let range = info.offset..<(info.offset + info.storedLength)
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[range])
        if !verified[i] {
            let actual = SHA256.digest(bytes)
            guard actual == info.sha256 else {
                throw BundleError(path: path, tensor: info.name, offset: info.offset,
                                  problem: .tensorChecksum(expected: SHA256.hex(info.sha256), actual: SHA256.hex(actual)))
            }
        }
        let tensor: Tensor
        switch info.compression {
        case .none:
            tensor = Tensor(dtype: info.dtype, shape: info.shape, storage: Storage(file: file, range: range))
        case .zstd:
            let storage = Storage(byteCount: info.rawLength)
            try ZstdCodec.decompress(bytes, into: storage.mutableBytes) {
                BundleError(path: path, tensor: info.name, offset: info.offset, problem: $0)
            }
            tensor = Tensor(dtype: info.dtype, shape: info.shape, storage: storage)
        }
        if !verified[i] {
            if !scaleNames.contains(info.name), tensor.dtype.isFloatingPoint,
               let element = tensor.float32().withFloats({ $0.firstIndex { !$0.isFinite } }) {
                throw BundleError(path: path, tensor: info.name, offset: info.offset, problem: .nonFinite(element: element))
            }
            verified[i] = true
        }
        return tensor
    }
}

/// Bounds a reader puts on what a bundle may make it allocate, beyond the file's own size.
public struct BundleLimits: Sendable {
    /// The manifest's length field.
    public var maxManifestBytes = 16 << 20
    /// The sum of the raw lengths of all zstd-compressed tensors (what decompressing them all allocates).
    public var maxDecompressedBytes = 4 << 30

    public init() {}

    public static let standard = BundleLimits()
}
