import CZstd
import Foundation

/// The host's zstd: whole-buffer frames (with their content size) for teacher cache files, and
/// the first bytes of a frame for reading a compressed file's header without the rest. (The
/// bundle's per-tensor frames, embeddable, are TesseraBundle's `ZstdCodec`.)
public enum Zstd {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func compress(_ data: Data, level: Int32 = 3) throws -> Data {
        var out = Data(count: ZSTD_compressBound(data.count))
        let size = out.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, level) }
        }
        guard ZSTD_isError(size) == 0 else { throw Failure(description: errorName(size)) }
        out.count = size
        return out
    }

    /// The frame's content, at most `limit` bytes (the declared size is checked before any allocation).
    public static func decompress(_ frame: Data, limit: Int, name: String) throws -> Data {
        let declared = frame.withUnsafeBytes { contentSize($0) }
        guard let declared, declared <= limit else {
            throw Failure(description: "\(name): not a zstd frame with a content size of at most \(limit) bytes")
        }
        var out = Data(count: declared)
        let size = out.withUnsafeMutableBytes { dst in
            frame.withUnsafeBytes { src in ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count) }
        }
        guard ZSTD_isError(size) == 0, size == declared else { throw Failure(description: "\(name): corrupt zstd frame") }
        return out
    }

    /// The content size `frame` declares; nil when it declares none or is no frame.
    public static func contentSize(_ frame: UnsafeRawBufferPointer) -> Int? {
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        guard declared != ZSTD_CONTENTSIZE_ERROR, declared != ZSTD_CONTENTSIZE_UNKNOWN else { return nil }
        return Int(exactly: declared)
    }

    /// The first `count` bytes of the content of `frame`, decompressing no further.
    public static func prefix(_ frame: UnsafeRawBufferPointer, count: Int, name: String) throws -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw Failure(description: "\(name): zstd: out of memory") }
        defer { ZSTD_freeDStream(stream) }
        var out = [UInt8](repeating: 0, count: count)
        let produced = try out.withUnsafeMutableBytes { buffer -> Int in
            var input = ZSTD_inBuffer(src: frame.baseAddress, size: frame.count, pos: 0)
            var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: count, pos: 0)
            while output.pos < count {
                let before = (input.pos, output.pos)
                let result = ZSTD_decompressStream(stream, &output, &input)
                if ZSTD_isError(result) != 0 { throw Failure(description: "\(name): zstd: " + errorName(result)) }
                if result == 0 || (input.pos, output.pos) == before { break }
            }
            return output.pos
        }
        guard produced == count else { throw Failure(description: "\(name): the zstd frame ends after \(produced) bytes, before byte \(count)") }
        return out
    }

    private static func errorName(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }
}
