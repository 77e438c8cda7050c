import TesseraCore

/// The fixed 64-byte header: magic, version, the manifest's length and SHA-256.
struct BundleHeader {
    let version: UInt32
    let manifestLength: Int
    let manifestSHA256: [UInt8]

    init(version: UInt32, manifestLength: Int, manifestSHA256: [UInt8]) {
        self.version = version
        self.manifestLength = manifestLength
        self.manifestSHA256 = manifestSHA256
    }

    /// Reads and checks the header of `file` (formats/bundle.md, "Reading" 1-2):
    /// afterwards the manifest's bytes are within the file and match their hash.
    init(file: UnsafeRawBufferPointer, path: String, limits: BundleLimits) throws(BundleError) {
        func fail(_ offset: Int, _ problem: BundleError.Problem) -> BundleError {
            BundleError(path: path, offset: offset, problem: problem)
        }
        guard file.count >= BundleFormat.headerSize else { throw fail(0, .fileTooShort(size: file.count)) }
        guard file.prefix(8).elementsEqual(BundleFormat.magic) else { throw fail(0, .badMagic) }
        let version = UInt32(littleEndian: file.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard BundleFormat.versions.contains(version) else {
            throw fail(8, .unsupportedVersion(version, supported: BundleFormat.versions))
        }
        guard file[12..<16].allSatisfy({ $0 == 0 }), file[56..<64].allSatisfy({ $0 == 0 }) else {
            throw fail(12, .reservedNotZero)
        }
        let length = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard length >= 1, length <= UInt64(limits.maxManifestBytes) else {
            throw fail(16, .manifestLength(length, limit: limits.maxManifestBytes))
        }
        let available = file.count - BundleFormat.headerSize
        guard length <= UInt64(available) else {
            throw fail(16, .manifestPastEnd(length: Int(length), available: available))
        }
        self.version = version
        manifestLength = Int(length)
        manifestSHA256 = Array(file[24..<56])
        let actual = SHA256.digest(UnsafeRawBufferPointer(rebasing: file[manifestRange]))
        guard actual == manifestSHA256 else {
            throw fail(BundleFormat.headerSize, .manifestChecksum(expected: SHA256.hex(manifestSHA256), actual: SHA256.hex(actual)))
        }
    }

    /// Where the manifest is in the file.
    var manifestRange: Range<Int> { BundleFormat.headerSize..<(BundleFormat.headerSize + manifestLength) }

    /// The header's 64 bytes.
    var bytes: [UInt8] {
        var bytes = BundleFormat.magic
        withUnsafeBytes(of: version.littleEndian) { bytes += $0 }
        bytes += [0, 0, 0, 0]
        withUnsafeBytes(of: UInt64(manifestLength).littleEndian) { bytes += $0 }
        bytes += manifestSHA256
        bytes += [UInt8](repeating: 0, count: BundleFormat.headerSize - bytes.count)
        return bytes
    }
}
