import CTesseraBundle

/// Decodes and checks a manifest: protobuf-c, then every field's range
/// (`ManifestFields`), the cross-field rules (`BundleManifest.validate`), and
/// last the canonical encoding, which catches what decoding hides (a string
/// cut at a NUL byte, a field given twice).
enum ManifestDecoder {
    /// `bytes` is the manifest of a bundle of format `version`; `fileSize` bounds the tensors' byte ranges.
    static func decode(_ bytes: UnsafeRawBufferPointer, version: UInt32, fileSize: Int, path: String,
                       limits: BundleLimits) throws(BundleError) -> BundleManifest {
        let start = BundleFormat.headerSize
        guard let base = bytes.baseAddress,
              let message = tessera__bundle__manifest__unpack(nil, bytes.count, base.assumingMemoryBound(to: UInt8.self))
        else { throw BundleError(path: path, offset: start, problem: .manifestUndecodable) }
        defer { tessera__bundle__manifest__free_unpacked(message, nil) }
        let manifest = try ManifestFields(path: path, fileSize: fileSize, version: version).manifest(message.pointee)
        try manifest.validate(path: path, limits: limits)

        var canonical = [UInt8](repeating: 0, count: tessera__bundle__manifest__get_packed_size(message))
        canonical.withUnsafeMutableBufferPointer { _ = tessera__bundle__manifest__pack(message, $0.baseAddress) }
        if !canonical.elementsEqual(bytes) {
            let first = zip(canonical, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(canonical.count, bytes.count)
            throw BundleError(path: path, offset: start + first,
                              problem: .manifestNotCanonical(reencodedLength: canonical.count, firstDifference: first))
        }
        return manifest
    }
}
