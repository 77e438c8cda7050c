import CZstd
import TesseraCore

/// One zstd frame per tensor, decoded into exactly its declared size.
enum ZstdCodec {
    /// `bytes` as one frame that declares its content size.
    static func compress(_ bytes: UnsafeRawBufferPointer, level: Int32) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let length = frame.withUnsafeMutableBytes {
            ZSTD_compress($0.baseAddress, $0.count, bytes.baseAddress, bytes.count, level)
        }
        // Compressing into a buffer of ZSTD_compressBound bytes cannot fail.
        guarantee(ZSTD_isError(length) == 0, "zstd: \(String(cString: ZSTD_getErrorName(length)))")
        frame.removeSubrange(length...)
        return frame
    }

    /// Decodes `frame` into `output`, which must be filled exactly. The frame must
    /// be the whole input and declare output.count as its content size; a frame that
    /// would produce more stops at the first block past the end, so a bomb costs no
    /// more than `output.count` bytes of work and memory. `fail` places a problem (file, tensor, offset).
    static func decompress(_ frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                           failing fail: (BundleError.Problem) -> BundleError) throws(BundleError) {
        let frameLength = ZSTD_findFrameCompressedSize(frame.baseAddress, frame.count)
        guard ZSTD_isError(frameLength) == 0 else { throw fail(.zstdInvalid(errorName(frameLength))) }
        guard frameLength == frame.count else {
            throw fail(.zstdTrailingData(frameLength: frameLength, storedLength: frame.count))
        }
        let contentSize = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        // zstd.h's ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR.
        guard contentSize != UInt64.max - 1 else { throw fail(.zstdInvalid("unreadable frame header")) }
        guard contentSize == UInt64(output.count) else {
            throw fail(.zstdContentSize(declared: contentSize == UInt64.max ? nil : contentSize, expected: output.count))
        }
        let produced = ZSTD_decompress(output.baseAddress, output.count, frame.baseAddress, frame.count)
        if ZSTD_isError(produced) != 0 {
            if ZSTD_getErrorCode(produced) == ZSTD_error_dstSize_tooSmall {
                throw fail(.zstdExpandsPastRawLength(rawLength: output.count))
            }
            throw fail(.zstdInvalid(errorName(produced)))
        }
        guard produced == output.count else { throw fail(.zstdShort(produced: produced, expected: output.count)) }
    }

    private static func errorName(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }
}
