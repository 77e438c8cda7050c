import CPNG
import CPosix

/// Decodes PNG files with libpng into 8-bit RGB exactly as Pillow's
/// `Image.open(path).convert("RGB")` does (see `PNGRawImage.pillowRGB()` for the
/// per-format rules, 16-bit included).
///
/// libpng's fatal errors longjmp; every such call lives in the C shim
/// (`Sources/CSystemLibs/CPNG/shim.h`) behind its own `setjmp`, so no jump ever
/// crosses a Swift frame and every failure comes back as an `ImageDecodingError`.
public struct PNGDecoder: Sendable {
    /// Pillow refuses images above 2 x `Image.MAX_IMAGE_PIXELS` (89,478,485) as
    /// decompression bombs; the same limit is the default here.
    public static let pillowPixelLimit = 2 * 89_478_485

    /// The largest width x height accepted; checked from the header, before any
    /// pixel memory is allocated.
    public var maxPixels: Int

    public init(maxPixels: Int = PNGDecoder.pillowPixelLimit) {
        self.maxPixels = maxPixels
    }

    /// Reads and decodes the file at `path`.
    public func decode(path: String) throws(ImageDecodingError) -> RGBImage {
        let bytes = try Self.readFile(path)
        // Array.withUnsafeBytes rethrows untyped errors: the typed error travels in a Result.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageDecodingError) in try decode(bytes: raw, name: path) }
        }
        return try result.get()
    }

    /// Decodes PNG bytes; `name` is what errors call the image.
    public func decode(bytes: UnsafeRawBufferPointer, name: String) throws(ImageDecodingError) -> RGBImage {
        try readRaw(bytes: bytes, name: name).pillowRGB()
    }

    private static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    /// The decoded samples as libpng delivers them (sub-byte samples unpacked,
    /// 16-bit big-endian, palette indices) plus the palette.
    func readRaw(bytes: UnsafeRawBufferPointer, name: String) throws(ImageDecodingError) -> PNGRawImage {
        guard bytes.count >= 8, bytes.prefix(8).elementsEqual(Self.signature) else {
            throw ImageDecodingError(path: name, reason: .notPNG)
        }
        var source = tessera_png_source()
        source.data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        source.size = bytes.count
        source.offset = 0
        // The source struct must stay put while libpng holds a pointer to it.
        return try withUnsafeMutablePointer(to: &source) { src throws(ImageDecodingError) in
            var png: png_structp?
            var info: png_infop?
            defer { tessera_png_destroy(&png, &info) }
            func failure() -> ImageDecodingError {
                let message = withUnsafeBytes(of: &src.pointee.message) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                return ImageDecodingError(path: name, reason: .corrupt(message))
            }
            guard tessera_png_create(src, &png, &info) != 0 else { throw failure() }

            var width: UInt32 = 0, height: UInt32 = 0
            var bitDepth: Int32 = 0, colorType: Int32 = 0
            var rowBytes = 0
            let maxSide = UInt32(clamping: min(maxPixels, 0x7fff_ffff))
            guard tessera_png_read_header(png, info, maxSide, &width, &height, &bitDepth, &colorType, &rowBytes) != 0 else {
                throw failure()
            }
            let (w, h) = (Int(width), Int(height))
            let pixels = w.multipliedReportingOverflow(by: h)
            let size = rowBytes.multipliedReportingOverflow(by: h)
            guard !pixels.overflow, pixels.partialValue <= maxPixels, !size.overflow else {
                throw ImageDecodingError(path: name, reason: .tooLarge(width: w, height: h, limit: maxPixels))
            }
            var samples = [UInt8](repeating: 0, count: size.partialValue)
            let ok = samples.withUnsafeMutableBufferPointer { buffer -> Int32 in
                var rows = (0..<h).map { Optional(buffer.baseAddress! + $0 * rowBytes) }
                return rows.withUnsafeMutableBufferPointer { tessera_png_read_pixels(png, info, $0.baseAddress) }
            }
            guard ok != 0 else { throw failure() }

            var entries: UnsafePointer<png_color>?
            let count = Int(tessera_png_palette(png, info, &entries))
            var palette: [UInt8] = []
            if let entries {
                for i in 0..<count { palette += [entries[i].red, entries[i].green, entries[i].blue] }
            }
            return PNGRawImage(width: w, height: h, bitDepth: Int(bitDepth), colorType: Int(colorType),
                               rowBytes: rowBytes, samples: samples, palette: palette)
        }
    }

    /// The whole file; a tile is read once, so plain reads beat a mapping (and a file
    /// that shrinks meanwhile cannot fault). Opened non-blocking and checked to be a
    /// regular file before any read, so a FIFO or a device is refused instead of waited on.
    private static func readFile(_ path: String) throws(ImageDecodingError) -> [UInt8] {
        func failure(_ code: Int32 = tessera_errno()) -> ImageDecodingError {
            ImageDecodingError(path: path, reason: .unreadable(String(cString: strerror(code))))
        }
        let fd = tessera_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure() }
        let type = info.st_mode & mode_t(S_IFMT)
        guard type == mode_t(S_IFREG) else { throw failure(type == mode_t(S_IFDIR) ? EISDIR : EINVAL) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && tessera_errno() == EINTR { continue }
            guard n >= 0 else { throw failure() }
            if n == 0 { break }  // shrank while reading: decode what is there
            filled += n
        }
        return filled == bytes.count ? bytes : Array(bytes[..<filled])
    }
}
