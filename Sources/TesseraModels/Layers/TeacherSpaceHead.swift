import TesseraCore

/// A map from a student into its teacher's embedding space: a Linear, then, when there is
/// one, a LayerNorm over its outputs: y = norm(x · W^T + b). A distillation's head is the
/// adaptor (student width -> teacher width) followed by the teacher's final norm, on the class
/// token of the student's last block output (before the student's final norm), so that y
/// stands in for the teacher's tile embedding.
public struct TeacherSpaceHead: Sendable {
    public let linear: LinearLayer
    public let norm: LayerNormLayer?

    public init(linear: LinearLayer, norm: LayerNormLayer?) {
        self.linear = linear
        self.norm = norm
    }

    /// Reads the Linear's `weight` and `bias` under `scope` and, when `normEps` is given, the
    /// LayerNorm's `norm.weight` and `norm.bias`.
    public init(_ scope: WeightScope, inFeatures: Int, outFeatures: Int, normEps: Float?) {
        linear = LinearLayer(scope, inFeatures: inFeatures, outFeatures: outFeatures)
        norm = normEps.map { LayerNormLayer(scope.scope("norm"), dim: outFeatures, eps: $0) }
    }

    public var inFeatures: Int { linear.inFeatures }
    public var outFeatures: Int { linear.outFeatures }

    /// out[rows, outFeatures] = norm(inp[rows, inFeatures] · W^T + b)
    public func callAsFunction(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int) {
        linear(out: out, inp: inp, rows: rows)
        norm?(out: out, inp: out, rows: rows)
    }

    /// out[batch, outFeatures]: the head on the class token (token 0) of each of the `batch`
    /// sequences x[batch, tokens, inFeatures].
    public func callAsFunction(out: UnsafeMutablePointer<Float>, classTokensOf x: UnsafePointer<Float>, batch: Int, tokens: Int) {
        let d = inFeatures
        let classTokens = UnsafeMutablePointer<Float>.allocate(capacity: batch * d)
        defer { classTokens.deallocate() }
        for b in 0..<batch { (classTokens + b * d).update(from: x + b * tokens * d, count: d) }
        self(out: out, inp: classTokens, rows: batch)
    }
}
