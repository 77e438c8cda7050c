/// Which pixels are foreground and how a tile's foreground fraction is counted, per mode.
enum Foreground: Sendable {
    /// Upstream's: float16 luminance below a float16 threshold; the fraction is numpy's float16
    /// `mean`, which sums 8192 pixels at a time (each chunk exactly, in float32) into a float16
    /// total: 65536 pixels, all foreground, overflow it to `inf`.
    case float16(Float16)
    /// Mean of R, G, B below the threshold, the fraction in float64.
    case exact(Double)

    /// numpy's buffer size: the chunk its buffered reduction adds at once.
    static let chunk = 8192

    var threshold: Double {
        switch self {
        case .float16(let t): return Double(t)
        case .exact(let t): return t
        }
    }

    /// Whether a pixel whose R, G and B add up to `sum` is foreground: both tests depend on the
    /// sum alone.
    func contains(sum: Int) -> Bool {
        switch self {
        case .float16(let t): return ForegroundThreshold.luminance16(sum: sum) < t
        case .exact(let t): return Double(sum) / 3 < t
        }
    }

    /// `contains(sum:)` for every sum 0...765 (1 for foreground), so a tile's pixels are tested
    /// by a lookup.
    var table: [UInt8] { (0...765).map { contains(sum: $0) ? 1 : 0 } }

    /// The foreground fraction of an RGB buffer.
    func occupancy(_ pixels: [UInt8]) -> Double {
        let count = pixels.count / 3
        guard count > 0 else { return 0 }
        let table = self.table
        func inside(_ range: Range<Int>) -> Int {
            var n = 0
            for i in range { n += Int(table[Int(pixels[3 * i]) + Int(pixels[3 * i + 1]) + Int(pixels[3 * i + 2])]) }
            return n
        }
        switch self {
        case .exact:
            return Double(inside(0..<count)) / Double(count)
        case .float16:
            var total: Float16 = 0
            var start = 0
            while start < count {
                let end = min(count, start + Foreground.chunk)
                let inside = inside(start..<end)
                total = Float16(Float(total) + Float(inside))
                start = end
            }
            // float16 total / intp count runs in float64, then is stored back as float16.
            return Double(Float16(Double(total) / Double(count)))
        }
    }

    /// Upstream keeps `occupancy > occupancy_threshold` with the threshold cast to float16.
    func keeps(above occupancyThreshold: Double) -> @Sendable (Double) -> Bool {
        switch self {
        case .float16:
            let t = Double(Float16(occupancyThreshold))
            return { $0 > t }
        case .exact:
            return { $0 > occupancyThreshold }
        }
    }
}
