import TesseraCore

/// `nn.Linear` weights: weight [outFeatures, inFeatures], optional bias [outFeatures].
public struct LinearLayer: Sendable {
    public let weight: Tensor
    public let bias: Tensor?
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: Tensor, bias: Tensor?, inFeatures: Int, outFeatures: Int) {
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// Reads `weight` and `bias` under `scope`.
    public init(_ scope: WeightScope, inFeatures: Int, outFeatures: Int, bias hasBias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = scope.tensor("weight", shape: [outFeatures, inFeatures])
        bias = hasBias ? scope.tensor("bias", shape: [outFeatures]) : nil
    }

    /// out[rows, outFeatures] = inp[rows, inFeatures] · W^T (+ b unless `bias` is false,
    /// for a caller that folds the bias into its next sweep)
    public func callAsFunction(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, bias withBias: Bool = true) {
        Linear.forward(out: out, inp: inp, weight: weight.floatPointer, bias: withBias ? bias?.floatPointer : nil,
                       rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// x[rows, outFeatures] += inp · W^T + b, accumulated by the GEMM itself
    /// (the residual add fused into the product).
    public func accumulate(into x: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int) {
        if let bias {
            Residual.forward(x: x, row: bias.floatPointer, rows: rows, cols: outFeatures)
        }
        GEMM.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
                   a: inp, lda: inFeatures, b: weight.floatPointer, ldb: inFeatures,
                   beta: 1, c: x, ldc: outFeatures)
    }
}
