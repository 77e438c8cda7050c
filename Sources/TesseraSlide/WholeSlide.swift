import COpenSlide
import TesseraCore
import TesseraImage

/// A whole-slide image opened through OpenSlide: its pyramid of levels, and RGB regions read on
/// demand (never a whole level). Reads are thread-safe: OpenSlide's handles allow concurrent
/// reads, and this type keeps no state of its own beyond what `open` reads.
public final class WholeSlide: @unchecked Sendable {
    /// One level of the pyramid: its size in pixels and its downsample from level 0.
    public struct Level: Equatable, Sendable {
        public let width: Int
        public let height: Int
        public let downsample: Double
    }

    public let path: String
    public let levels: [Level]
    /// Microns per level-0 pixel (`openslide.mpp-x`, `openslide.mpp-y`), when the file says.
    public let mpp: (x: Double, y: Double)?
    /// OpenSlide's name for the format (`openslide.vendor`), e.g. "aperio".
    public let vendor: String?
    private let handle: OpaquePointer

    /// The largest region one read may return (OpenSlide fills a w*h ARGB buffer).
    public static let maxRegionPixels = 1 << 28

    public init(path: String) throws(SlideError) {
        guard let handle = openslide_open(path) else { throw SlideError(path: path, problem: .unsupported) }
        self.path = path
        self.handle = handle
        if let message = openslide_get_error(handle) {
            let text = String(cString: message)
            openslide_close(handle)
            throw SlideError(path: path, problem: .openSlide(text))
        }
        let count = Int(openslide_get_level_count(handle))
        var levels: [Level] = []
        for level in 0..<max(count, 0) {
            var w: Int64 = 0
            var h: Int64 = 0
            openslide_get_level_dimensions(handle, Int32(level), &w, &h)
            levels.append(Level(width: Int(w), height: Int(h), downsample: openslide_get_level_downsample(handle, Int32(level))))
        }
        self.levels = levels
        vendor = WholeSlide.property(handle, "openslide.vendor")
        if let x = WholeSlide.property(handle, "openslide.mpp-x").flatMap(DecimalText.double),
           let y = WholeSlide.property(handle, "openslide.mpp-y").flatMap(DecimalText.double) {
            mpp = (x, y)
        } else {
            mpp = nil
        }
        if let message = openslide_get_error(handle) {
            let text = String(cString: message)
            openslide_close(handle)
            throw SlideError(path: path, problem: .openSlide(text))
        }
        guard !levels.isEmpty else {
            openslide_close(handle)
            throw SlideError(path: path, problem: .openSlide("no levels"))
        }
    }

    deinit { openslide_close(handle) }

    /// The value of an OpenSlide property, e.g. "aperio.AppMag".
    public func property(_ name: String) -> String? { WholeSlide.property(handle, name) }

    private static func property(_ handle: OpaquePointer, _ name: String) -> String? {
        openslide_get_property_value(handle, name).map { String(cString: $0) }
    }

    /// The level's description, or an error naming the file when there is no such level.
    public func level(_ index: Int) throws(SlideError) -> Level {
        guard levels.indices.contains(index) else { throw SlideError(path: path, problem: .noSuchLevel(index, levels: levels.count)) }
        return levels[index]
    }

    /// The `width` x `height` pixels of `level` whose top-left corner is (`x`, `y`) in level-0
    /// pixels, as RGB: openslide-python's RGBA with alpha dropped. OpenSlide gives premultiplied
    /// ARGB; opaque pixels are copied, partly transparent ones un-premultiplied as
    /// openslide-python does (255 * c / a, truncated), and transparent ones (past the slide's
    /// edge, or gaps between scanned areas) come back black (0, 0, 0).
    public func region(x: Int, y: Int, level: Int, width: Int, height: Int) throws(SlideError) -> RGBImage {
        _ = try self.level(level)
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width >= 0, height >= 0, !overflow, pixels <= WholeSlide.maxRegionPixels else {
            throw SlideError(path: path, problem: .regionTooLarge(width: width, height: height))
        }
        var argb = [UInt32](repeating: 0, count: width * height)
        if !argb.isEmpty {
            argb.withUnsafeMutableBufferPointer {
                openslide_read_region(handle, $0.baseAddress, Int64(x), Int64(y), Int32(level), Int64(width), Int64(height))
            }
        }
        if let message = openslide_get_error(handle) { throw SlideError(path: path, problem: .openSlide(String(cString: message))) }
        var image = RGBImage(width: width, height: height)
        image.pixels.withUnsafeMutableBufferPointer { rgb in
            for i in 0..<argb.count {
                let pixel = argb[i]
                let a = pixel >> 24
                var r = (pixel >> 16) & 0xFF, g = (pixel >> 8) & 0xFF, b = pixel & 0xFF
                if a != 255 && a != 0 {
                    r = 255 * r / a
                    g = 255 * g / a
                    b = 255 * b / a
                }
                rgb[3 * i] = UInt8(truncatingIfNeeded: r)
                rgb[3 * i + 1] = UInt8(truncatingIfNeeded: g)
                rgb[3 * i + 2] = UInt8(truncatingIfNeeded: b)
            }
        }
        return image
    }
}
