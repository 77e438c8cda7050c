/// `torch.nn.utils.clip_grad_norm_` (norm 2): the global norm is the norm of the
/// per-parameter norms; when it exceeds `maxNorm` every gradient is scaled by
/// maxNorm / (norm + 1e-6).
public enum GradientClipping {
    /// Clips the trainable gradients of `parameters` in place; returns the norm before clipping.
    @discardableResult
    public static func clipGlobalNorm(_ parameters: ParameterSet, maxNorm: Float) -> Float {
        let trainable = parameters.trainable
        var total: Double = 0
        for p in trainable {
            let g = p.gradData
            var sum: Double = 0
            for i in 0..<p.count { sum += Double(g[i]) * Double(g[i]) }
            let norm = Float(sum.squareRoot())
            total += Double(norm) * Double(norm)
        }
        let norm = Float(total.squareRoot())
        let coefficient = min(maxNorm / (norm + 1e-6), 1)
        if coefficient < 1 { parameters.scaleGradients(by: coefficient) }
        return norm
    }
}
