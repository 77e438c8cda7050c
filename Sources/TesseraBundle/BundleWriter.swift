import TesseraCore

/// Makes bundles (formats/bundle.md, "Writing"): converts and quantises the
/// matrix weights as `weights` says, compresses tensors where it pays, hashes
/// every tensor's stored bytes and lays them out after the manifest.
public struct BundleWriter: Sendable {
    public var weights: BundleWeights
    /// The zstd level for tensors worth compressing; nil: nothing is compressed.
    public var zstdLevel: Int32?

    public init(weights: BundleWeights = .f32, zstdLevel: Int32? = nil) {
        self.weights = weights
        self.zstdLevel = zstdLevel
    }

    /// The bundle of `manifest`'s configurations, outputs and provenance (its
    /// `tensors` are replaced) holding `tensors` (F32, F16 or BF16, named with
    /// their component prefixes), in the state dict's order. The result passes the
    /// reader's manifest checks; `path` names the destination in errors.
    public func encode(_ manifest: BundleManifest, tensors: StateDict, path: String) throws(BundleError) -> EncodedBundle {
        var laidOut = manifest
        laidOut.tensors = []
        var sections: [Tensor] = []
        for (name, tensor) in tensors.entries {
            for (storedName, dtype, values, scales) in try converted(name, tensor, path: path) {
                let (bytes, compression) = compressedIfItPays(values)
                laidOut.tensors.append(BundleTensorInfo(
                    name: storedName, dtype: dtype, shape: values.shape, offset: 0, storedLength: bytes.bytes.count,
                    compression: compression, rawLength: compression == .zstd ? values.bytes.count : 0,
                    sha256: SHA256.digest(bytes.bytes), scales: scales))
                sections.append(bytes)
            }
        }

        let bundle = Self.assemble(laidOut, sections: sections)
        let limit = BundleLimits.standard.maxManifestBytes
        guard bundle.manifestBytes.count <= limit else {
            throw BundleError(path: path, problem: .manifestLength(UInt64(bundle.manifestBytes.count), limit: limit))
        }
        _ = try ManifestDecoder.decode(bundle.manifestBytes, version: bundle.version, fileSize: bundle.byteCount,
                                       path: path, limits: .standard)
        return bundle
    }

    /// The bundle of `manifest` (its tensors' offsets replaced) holding `sections`, each tensor's
    /// stored bytes in the manifest's order: laid out and sealed (header, manifest SHA-256) but
    /// checked by nobody. `encode` checks what it makes; tests and the fuzzing's mutator make
    /// bundles whose meaning the reader must refuse.
    static func assemble(_ manifest: BundleManifest, sections: [Tensor]) -> EncodedBundle {
        var laidOut = manifest
        // The offsets are in the manifest, so its length depends on them (varints) and
        // they on its length: lay out again until the data start stays put. Both only grow.
        var start = BundleLayout.dataStart(manifestLength: 0)
        var encoded: [UInt8]
        while true {
            var offset = start
            for i in laidOut.tensors.indices {
                laidOut.tensors[i].offset = offset
                offset = BundleFormat.aligned(offset + laidOut.tensors[i].storedLength)
            }
            encoded = ManifestEncoder.encode(laidOut)
            let needed = BundleLayout.dataStart(manifestLength: encoded.count)
            if needed == start { break }
            start = needed
        }
        let header = BundleHeader(version: laidOut.formatVersion, manifestLength: encoded.count,
                                  manifestSHA256: encoded.withUnsafeBytes { SHA256.digest($0) })
        let head = Tensor(zeros: [start], dtype: .u8)
        head.storage.mutableBytes.copyBytes(from: header.bytes + encoded)
        return EncodedBundle(version: header.version, manifest: laidOut, head: head, sections: sections)
    }

    /// One component's tensors (named without its prefix) converted and quantised as
    /// `encode` stores them, named and paired as `BundleReader.weights` hands them
    /// back (each int8 tensor followed by its scales): what a model built from this
    /// writer's bundle computes with, without writing the file.
    public func storedTensors(_ tensors: StateDict, of component: BundleComponent, path: String) throws(BundleError) -> StateDict {
        var stored = StateDict()
        for (name, tensor) in tensors.entries {
            for (storedName, _, values, _) in try converted(component.prefix + name, tensor, path: path) {
                stored.set(String(storedName.dropFirst(component.prefix.count)), values)
            }
        }
        return stored
    }

    /// The stored tensors for one input tensor: itself as f32, or (a matrix
    /// weight) as f16, or as int8 followed by its scales.
    private func converted(_ name: String, _ tensor: Tensor, path: String) throws(BundleError)
        -> [(name: String, dtype: DType, values: Tensor, scales: String?)] {
        func fail(_ problem: BundleError.Problem) -> BundleError { BundleError(path: path, tensor: name, problem: problem) }
        guard [.f32, .f16, .bf16].contains(tensor.dtype) else { throw fail(.unsupportedDType(tensor.dtype.rawValue)) }
        let values = tensor.float32()
        if let element = values.withFloats({ $0.firstIndex { !$0.isFinite } }) { throw fail(.nonFinite(element: element)) }
        guard BundleWeights.isMatrixWeight(name: name, shape: tensor.shape) else { return [(name, .f32, values, nil)] }
        switch weights {
        case .f32:
            return [(name, .f32, values, nil)]
        case .f16:
            let half = values.converted(to: .f16)
            let bits = half.bytes.assumingMemoryBound(to: UInt16.self)
            if let element = bits.firstIndex(where: { $0 & 0x7FFF == 0x7C00 }) { throw fail(.beyondF16(element: element)) }
            return [(name, .f16, half, nil)]
        case .bf16:
            let rounded = values.converted(to: .bf16)
            let bits = rounded.bytes.assumingMemoryBound(to: UInt16.self)
            if let element = bits.firstIndex(where: { $0 & 0x7FFF == 0x7F80 }) { throw fail(.beyondBF16(element: element)) }
            return [(name, .bf16, rounded, nil)]
        case .int8:
            // The reader's bound on scales (Int8Quantisation.maxScale): weights within F16's range.
            let largest = 127 * Int8Quantisation.maxScale
            if let element = values.withFloats({ $0.firstIndex { abs($0) > largest } }) { throw fail(.beyondF16(element: element)) }
            let (q, scales) = Int8Quantisation.quantise(values)
            let scalesName = StateDict.scalesName(of: name)
            return [(name, .i8, q, scalesName), (scalesName, .f32, scales, nil)]
        }
    }

    /// `values`' bytes as one zstd frame when that saves at least an eighth, else as they are.
    private func compressedIfItPays(_ values: Tensor) -> (Tensor, BundleCompression) {
        guard let zstdLevel else { return (values, .none) }
        let frame = ZstdCodec.compress(values.bytes, level: zstdLevel)
        guard frame.count * 8 <= values.bytes.count * 7 else { return (values, .none) }
        let stored = Tensor(zeros: [frame.count], dtype: .u8)
        stored.storage.mutableBytes.copyBytes(from: frame)
        return (stored, .zstd)
    }
}
