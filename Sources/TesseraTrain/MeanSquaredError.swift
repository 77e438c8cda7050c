import TesseraCore

/// The squared error of predictions against targets: the distillation losses (L_hidden against
/// f16 or f32 cached hidden states, L_slide against the slide embedding) and the training
/// fixtures' loss. Sums are taken in double.
public enum MeanSquaredError {
    /// Σ (y[i] − t[i])² over i < count, t[i] being element `start + i` of `target` (f32 or f16,
    /// widened exactly). With `gradientScale`, y[i] is overwritten with gradientScale · (y[i] − t[i]).
    public static func sum(_ y: UnsafeMutablePointer<Float>, target: Tensor, from start: Int = 0, count: Int,
                           gradientScale: Float? = nil) -> Double {
        precondition(target.dtype == .f32 || target.dtype == .f16, "squared error: f32 or f16 targets, not \(target.dtype)")
        precondition(start >= 0 && count >= 0 && start + count <= target.count, "squared error: targets \(start)..<\(start + count) of \(target.count)")
        var sum = 0.0
        let base = target.bytes.baseAddress!
        for i in 0..<count {
            let t: Float = target.dtype == .f16
                ? HalfPrecision.float(fromF16: (base + 2 * (start + i)).loadUnaligned(as: UInt16.self))
                : (base + 4 * (start + i)).loadUnaligned(as: Float.self)
            let d = y[i] - t
            sum += Double(d) * Double(d)
            if let gradientScale { y[i] = gradientScale * d }
        }
        return sum
    }

    /// loss = mean((y[n] − t[n])²) and its gradient d loss / d y[n] = (2 / n) (y − t).
    public static func lossAndGradient(_ y: UnsafePointer<Float>, target t: [Float]) -> (loss: Float, gradient: [Float]) {
        var gradient = Array(UnsafeBufferPointer(start: y, count: t.count))
        let sum = gradient.withUnsafeMutableBufferPointer {
            Self.sum($0.baseAddress!, target: Tensor(shape: [t.count], floats: t), count: t.count, gradientScale: 2 / Float(t.count))
        }
        return (Float(sum / Double(t.count)), gradient)
    }
}
