import TesseraCore

/// `nn.LayerNorm` weights over the last dimension: weight [dim], bias [dim].
public struct LayerNormLayer: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let dim: Int
    public let eps: Float

    public init(_ scope: WeightScope, dim: Int, eps: Float) {
        self.dim = dim
        self.eps = eps
        weight = scope.tensor("weight", shape: [dim])
        bias = scope.tensor("bias", shape: [dim])
    }

    /// out[rows, dim] = (x - mean) / sqrt(var + eps) * weight + bias; `out` may alias `inp`.
    /// The row statistics mean[rows], rstd[rows] are kept when given (for the backward pass).
    public func callAsFunction(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>? = nil,
                               rstd: UnsafeMutablePointer<Float>? = nil, inp: UnsafePointer<Float>, rows: Int) {
        LayerNorm.forward(out: out, mean: mean, rstd: rstd, inp: inp, weight: weight.floatPointer,
                          bias: bias.floatPointer, rows: rows, cols: dim, eps: eps)
    }
}
