import CZstd
import Foundation

/// Whole-buffer zstd frames (with their content size) for the teacher cache.
enum Zstd {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func compress(_ data: Data, level: Int32 = 3) throws -> Data {
        var out = Data(count: ZSTD_compressBound(data.count))
        let size = out.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, level) }
        }
        guard ZSTD_isError(size) == 0 else { throw Failure(description: String(cString: ZSTD_getErrorName(size))) }
        out.count = size
        return out
    }

    /// The frame's content, at most `limit` bytes (the declared size is checked before any allocation).
    static func decompress(_ frame: Data, limit: Int, name: String) throws -> Data {
        let declared = frame.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard declared != ZSTD_CONTENTSIZE_ERROR, declared != ZSTD_CONTENTSIZE_UNKNOWN, declared <= UInt64(limit) else {
            throw Failure(description: "\(name): not a zstd frame with a content size of at most \(limit) bytes")
        }
        var out = Data(count: Int(declared))
        let size = out.withUnsafeMutableBytes { dst in
            frame.withUnsafeBytes { src in ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count) }
        }
        guard ZSTD_isError(size) == 0, size == Int(declared) else {
            throw Failure(description: "\(name): corrupt zstd frame")
        }
        return out
    }
}
