#if canImport(Glibc)
import Glibc
#endif
import TesseraCore
@testable import TesseraBundle

/// Rewrites the checksums of a mutated bundle so that they match its bytes again: without
/// this, nearly every mutation would stop at the manifest's or a tensor's SHA-256 and the
/// checks behind them would never see fuzzed values. A tensor's digest is rewritten in place
/// (32 bytes for 32 bytes, the manifest keeps its length) when the manifest decodes; then the
/// header's manifest digest. Wrong checksums are refused by the hostile fixtures' tests.
enum BundleSeal {
    static func reseal(_ bytes: inout [UInt8], limits: BundleLimits) {
        let headerSize = BundleFormat.headerSize
        guard bytes.count >= headerSize else { return }
        let declared = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) }
        let version = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
        guard declared <= UInt64(bytes.count - headerSize) else { return }
        let manifest = headerSize..<(headerSize + Int(declared))
        let decoded = bytes.withUnsafeBytes { raw in
            try? ManifestDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[manifest]), version: version, fileSize: raw.count,
                                        path: "fuzz.tsb", limits: limits)
        }
        for tensor in decoded?.tensors ?? [] where tensor.sha256.count == 32 {
            let (end, overflow) = tensor.offset.addingReportingOverflow(tensor.storedLength)
            guard !overflow, tensor.offset >= 0, end <= bytes.count,
                  let at = firstIndex(of: tensor.sha256, in: bytes, within: manifest) else { continue }
            let actual = bytes.withUnsafeBytes { SHA256.digest(UnsafeRawBufferPointer(rebasing: $0[tensor.offset..<end])) }
            bytes.replaceSubrange(at..<(at + 32), with: actual)
        }
        let digest = bytes.withUnsafeBytes { SHA256.digest(UnsafeRawBufferPointer(rebasing: $0[manifest])) }
        bytes.replaceSubrange(24..<56, with: digest)
    }

    /// With libc's memchr and memcmp: a byte-by-byte search in Swift is most of an input's
    /// time under the fuzzer's comparison tracing.
    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], within range: Range<Int>) -> Int? {
        bytes.withUnsafeBytes { haystack in
            needle.withUnsafeBytes { needle in
                let base = haystack.baseAddress!
                var at = range.lowerBound
                while at + needle.count <= range.upperBound {
                    guard let hit = memchr(base + at, Int32(needle[0]), range.upperBound - needle.count + 1 - at) else { return nil }
                    let i = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + i, needle.baseAddress!, needle.count) == 0 { return i }
                    at = i + 1
                }
                return nil
            }
        }
    }
}
