import CPNG
import CPosix

/// Encodes 8-bit RGB images as PNG with libpng (non-interlaced, default filters). As for
/// decoding, libpng's longjmp stays inside the C shim.
public struct PNGEncoder: Sendable {
    /// zlib's level, 0-9 (1: fastest that compresses; 9: smallest); nil: libpng's default (6).
    /// The pixels are the same at every level.
    public let level: Int?

    /// Why an image could not be encoded: libpng's message.
    public struct Error: Swift.Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { "PNG encoding failed: \(message)" }
    }

    public init(level: Int? = nil) {
        self.level = level.map { min(max($0, 0), 9) }
    }

    /// The PNG file's bytes.
    public func encode(_ image: RGBImage) throws(Error) -> [UInt8] {
        guard image.width > 0, image.height > 0 else { throw Error(message: "an empty image (\(image.width)x\(image.height))") }
        var sink = tessera_png_sink()
        var pixels = image.pixels
        let ok = pixels.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var rows = (0..<image.height).map { Optional(buffer.baseAddress! + $0 * image.width * 3) }
            return rows.withUnsafeMutableBufferPointer {
                tessera_png_write_rgb(&sink, $0.baseAddress, UInt32(image.width), UInt32(image.height), Int32(level ?? -1))
            }
        }
        defer { free(sink.data) }
        guard ok != 0 else {
            let message = withUnsafeBytes(of: &sink.message) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
            throw Error(message: message)
        }
        return Array(UnsafeBufferPointer(start: sink.data, count: sink.size))
    }
}
