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
        guard declared <= UInt64(bytes.count - headerSize) else { return }
        let manifest = headerSize..<(headerSize + Int(declared))
        let decoded = bytes.withUnsafeBytes { raw in
            try? ManifestDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[manifest]), fileSize: raw.count,
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

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], within range: Range<Int>) -> Int? {
        guard range.count >= needle.count else { return nil }
        return (range.lowerBound...(range.upperBound - needle.count)).first {
            bytes[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }
}
