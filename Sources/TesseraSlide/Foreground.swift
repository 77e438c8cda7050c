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

    @inline(__always)
    func contains(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Bool {
        switch self {
        case .float16(let t): return ForegroundThreshold.luminance16(r, g, b) < t
        case .exact(let t): return Double(Int(r) + Int(g) + Int(b)) / 3 < t
        }
    }

    /// The foreground fraction of an RGB buffer.
    func occupancy(_ pixels: [UInt8]) -> Double {
        let count = pixels.count / 3
        guard count > 0 else { return 0 }
        switch self {
        case .exact:
            var inside = 0
            for i in 0..<count where contains(pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]) { inside += 1 }
            return Double(inside) / Double(count)
        case .float16:
            var total: Float16 = 0
            var start = 0
            while start < count {
                let end = min(count, start + Foreground.chunk)
                var inside = 0
                for i in start..<end where contains(pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]) { inside += 1 }
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
