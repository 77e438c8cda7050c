/// The mean squared error, mean((y - t)^2) over n values: the distillation loss of the
/// training fixtures (the last block's output and the embedding against targets).
public enum MeanSquaredError {
    /// loss = mean((y[n] - t[n])^2) (summed in double) and its gradient d loss / d y[n] = 2 (y - t) / n.
    public static func lossAndGradient(_ y: UnsafePointer<Float>, target t: [Float]) -> (loss: Float, gradient: [Float]) {
        var sum: Double = 0
        let gradient = (0..<t.count).map { i -> Float in
            let e = y[i] - t[i]
            sum += Double(e) * Double(e)
            return 2 * e / Float(t.count)
        }
        return (Float(sum / Double(t.count)), gradient)
    }
}
