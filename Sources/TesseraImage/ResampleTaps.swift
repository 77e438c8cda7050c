/// Pillow's fixed-point bicubic weights for resampling one axis from
/// `inputSize` to `outputSize` samples, for the output positions in `outputs`
/// only (each position's weights depend on nothing else, so a window of the
/// resized image costs only its own taps). Pillow's `precompute_coeffs` +
/// `normalize_coeffs_8bpc`, re-derived:
///
///     scale   = in / out,   filterscale = max(scale, 1)      (antialias when shrinking)
///     support = 2 * filterscale                              (bicubic support is 2)
///     center  = (o + 0.5) * scale
///     first   = max(0, Int(center - support + 0.5))          (C truncation)
///     end     = min(in, Int(center + support + 0.5))
///     w_i     = cubic((first + i - center + 0.5) * (1 / filterscale)),  i in 0..<end-first
///     cubic(x) with a = -0.5:  (a+2)|x|^3 - (a+3)|x|^2 + 1   for |x| < 1
///                              a(|x|^3 - 5|x|^2 + 8|x| - 4)   for 1 <= |x| < 2
///     weight  = w_i / sum(w)  as Int32: trunc(weight * 2^22 +/- 0.5)  (sign of weight)
///
/// All of it in Double, in Pillow's operation order, so the integers match.
struct ResampleTaps {
    /// Fractional bits of the weights: 32 - 8 (pixel) - 2 (overshoot headroom).
    static let precisionBits: Int32 = 22

    /// First input index for each output position of the window.
    let first: [Int]
    /// Number of taps for each output position.
    let count: [Int]
    /// `stride` weights per output position (only the first `count[o]` used).
    let weights: [Int32]
    let stride: Int

    init(inputSize: Int, outputSize: Int, outputs: Range<Int>) {
        let scale = Double(Float(inputSize)) / Double(outputSize)
        let filterscale = max(scale, 1)
        let support = 2 * filterscale
        let inverse = 1.0 / filterscale
        stride = Int(support.rounded(.up)) * 2 + 1
        var first = [Int](repeating: 0, count: outputs.count)
        var count = [Int](repeating: 0, count: outputs.count)
        var weights = [Int32](repeating: 0, count: outputs.count * stride)
        var w = [Double](repeating: 0, count: stride)
        for (slot, o) in outputs.enumerated() {
            let center = (Double(o) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5))
            let hi = min(inputSize, Int(center + support + 0.5))
            let n = hi - lo
            var sum = 0.0
            for i in 0..<n {
                w[i] = Self.cubic((Double(i + lo) - center + 0.5) * inverse)
                sum += w[i]
            }
            for i in 0..<n {
                let normalised = sum != 0 ? w[i] / sum : w[i]
                let fixed = normalised * Double(1 << Self.precisionBits)
                weights[slot * stride + i] = Int32(normalised < 0 ? -0.5 + fixed : 0.5 + fixed)
            }
            first[slot] = lo
            count[slot] = n
        }
        self.first = first
        self.count = count
        self.weights = weights
    }

    /// Keys' cubic convolution kernel with a = -0.5.
    @inline(__always)
    static func cubic(_ t: Double) -> Double {
        let a = -0.5
        let x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Input positions any output of the window reads (both ends grow with the
    /// output position, so: the first one's start ..< the last one's end).
    var inputSpan: Range<Int> {
        guard let lastFirst = first.last, let lastCount = count.last, let start = first.first else { return 0..<0 }
        return start..<(lastFirst + lastCount)
    }
}
