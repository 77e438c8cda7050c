/// prov-gigapath's foreground test and its automatic threshold (docs: README, "tessera tile").
/// A pixel is foreground when its luminance, the mean of R, G and B, is below the threshold.
/// Upstream computes that mean in float16 (`mean(axis=-3, dtype=float16)`) and picks the
/// threshold with scikit-image's Otsu on those float16 values, where numpy 2 builds the
/// histogram's edges and bin indices in float16 too; this reproduces that arithmetic (each
/// float16 operation rounds once, to nearest even, as numpy's do).
public enum ForegroundThreshold {
    /// fl16((r + g + b) / 3): the float16 sum of three bytes is exact, the division rounds once.
    @inline(__always)
    public static func luminance16(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Float16 {
        luminance16(sum: Int(r) + Int(g) + Int(b))
    }

    /// The float16 luminance of a pixel whose channels add up to `sum` (0...765).
    @inline(__always)
    public static func luminance16(sum: Int) -> Float16 { Float16(Double(sum) / 3) }

    /// The float16 luminance of every pixel of an RGB buffer (`pixels.count / 3` values).
    public static func luminance16(_ pixels: [UInt8]) -> [Float16] {
        var out = [Float16](repeating: 0, count: pixels.count / 3)
        for i in out.indices { out[i] = luminance16(pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]) }
        return out
    }

    /// `skimage.filters.threshold_otsu(values)` for float16 `values` (256 bins), with
    /// numpy 2's float16 histogram. Nil for no values.
    public static func otsu(_ values: [Float16], bins: Int = 256) -> Float16? {
        otsu(weighted: values.map { (value: $0, count: 1) }, bins: bins)
    }

    /// `otsu` of the values listed with how often each occurs (a value may be listed more than
    /// once; entries with a count of 0 are ignored): what a whole image's luminance gives,
    /// counted without holding the image.
    public static func otsu(weighted entries: [(value: Float16, count: Int)], bins: Int = 256) -> Float16? {
        let values = entries.filter { $0.count > 0 }
        guard let first = values.first?.value else { return nil }
        if values.allSatisfy({ $0.value == first }) { return first }
        var low = first, high = first
        for (v, _) in values {
            low = min(low, v)
            high = max(high, v)
        }
        let edges = linspace16(low, high, count: bins + 1)
        var counts = [Int](repeating: 0, count: bins)
        let span = high - low
        for (v, count) in values {
            // numpy: int(((v - first_edge) / (last_edge - first_edge)) * bins), each step in float16,
            // then corrected by one bin against the edges themselves.
            var index = Int(((v - low) / span) * Float16(bins))
            if index == bins { index -= 1 }
            if v < edges[index] { index -= 1 }
            if index != bins - 1 && v >= edges[index + 1] { index += 1 }
            counts[index] += count
        }
        // bin_centers = (edges[:-1] + edges[1:]) / 2, in float16.
        let centers = (0..<bins).map { (edges[$0] + edges[$0 + 1]) / 2 }
        // Otsu's between-class variance for a split after each bin, in float64 (counts * centers
        // promotes to float64) with sequential cumulative sums; the first maximum wins (argmax).
        var weightBelow = [Double](repeating: 0, count: bins), sumBelow = [Double](repeating: 0, count: bins)
        var w = 0.0, s = 0.0
        for i in 0..<bins {
            w += Double(counts[i])
            s += Double(counts[i]) * Double(centers[i])
            weightBelow[i] = w
            sumBelow[i] = s
        }
        var weightAbove = [Double](repeating: 0, count: bins), sumAbove = [Double](repeating: 0, count: bins)
        w = 0
        s = 0
        for i in stride(from: bins - 1, through: 0, by: -1) {
            w += Double(counts[i])
            s += Double(counts[i]) * Double(centers[i])
            weightAbove[i] = w
            sumAbove[i] = s
        }
        var best = 0
        var bestVariance = -Double.infinity
        for i in 0..<(bins - 1) {
            let difference = sumBelow[i] / weightBelow[i] - sumAbove[i + 1] / weightAbove[i + 1]
            let variance = weightBelow[i] * weightAbove[i + 1] * (difference * difference)
            // Neither class is ever empty (the first bin holds the minimum, the last the maximum).
            if variance > bestVariance {
                best = i
                bestVariance = variance
            }
        }
        return centers[best]
    }

    /// `numpy.linspace(start, stop, count, dtype=float16)`: step = (stop - start) / (count - 1),
    /// edge i = i * step + start, the last edge exactly `stop`, every operation in float16.
    static func linspace16(_ start: Float16, _ stop: Float16, count: Int) -> [Float16] {
        let step = (stop - start) / Float16(count - 1)
        var edges = (0..<count).map { Float16($0) * step + start }
        edges[count - 1] = stop
        return edges
    }
}
