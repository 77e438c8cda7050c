import COpenSlide
import CPosix
import TesseraCore
import TesseraImage

/// A whole-slide image opened through OpenSlide: its pyramid of levels, and RGB regions read on
/// demand (never a whole level). Reads are thread-safe: OpenSlide's handles allow concurrent
/// reads, and the one handle this type swaps (after a failed read) is swapped under a lock.
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
    /// The handle reads use; replaced after a failed read (OpenSlide's errors are sticky).
    private var shared: SlideHandle
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    /// The largest region one read may return (OpenSlide fills a w*h ARGB buffer).
    public static let maxRegionPixels = 1 << 28
    /// The largest level-0 side accepted (scanners make up to about 250,000 pixels a side).
    public static let maxSide = 1 << 19

    /// Opens the slide: the TIFF structure is checked first (TIFFPrecheck), then OpenSlide's
    /// levels (`checkPyramid`).
    public init(path: String) throws(SlideError) {
        try TIFFPrecheck.check(path: path)
        let handle = try SlideHandle(path: path)
        self.path = path
        shared = handle
        let count = Int(openslide_get_level_count(handle.pointer))
        var levels: [Level] = []
        for level in 0..<max(count, 0) {
            var w: Int64 = 0
            var h: Int64 = 0
            openslide_get_level_dimensions(handle.pointer, Int32(level), &w, &h)
            levels.append(Level(width: Int(w), height: Int(h), downsample: openslide_get_level_downsample(handle.pointer, Int32(level))))
        }
        self.levels = levels
        vendor = handle.property("openslide.vendor")
        if let x = handle.property("openslide.mpp-x").flatMap(DecimalText.double),
           let y = handle.property("openslide.mpp-y").flatMap(DecimalText.double) {
            mpp = (x, y)
        } else {
            mpp = nil
        }
        lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        if let message = handle.error { throw SlideError(path: path, problem: .openSlide(message)) }
        try WholeSlide.checkPyramid(levels, path: path)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The value of an OpenSlide property, e.g. "aperio.AppMag".
    public func property(_ name: String) -> String? { current().property(name) }

    private func current() -> SlideHandle {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return shared
    }

    /// Replaces `failed` with a fresh handle, unless another read already did.
    private func replace(_ failed: SlideHandle) throws(SlideError) {
        let fresh = try SlideHandle(path: path)
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if shared === failed { shared = fresh }
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
            let handle = current()
            handle.read(into: &argb, x: x, y: y, level: level, width: width, height: height)
            if handle.error != nil {
                // The error may be another read's (they share the handle): the others go on with
                // a fresh one, and this region is read again on a handle of its own, whose
                // error, if any, is this region's.
                try replace(handle)
                let own = try SlideHandle(path: path)
                own.read(into: &argb, x: x, y: y, level: level, width: width, height: height)
                if let message = own.error { throw SlideError(path: path, problem: .openSlide(message)) }
            }
        }
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
