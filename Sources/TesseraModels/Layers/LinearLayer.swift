import CTesseraKernels
import TesseraCore

/// `nn.Linear` weights: weight [outFeatures, inFeatures], optional bias [outFeatures].
/// Every Linear of the models computes here, in the precision of its weight:
/// - f32: one f32 GEMM;
/// - f16: the weights stay f16 in memory and are widened (exactly) to f32 for each
///   product, which is then the f32 one, bit for bit;
/// - int8 (per output channel, with `scales`): packed once for the CPU's int8 kernels,
///   activations quantised per row at run time (`Int8Weights`);
/// - f32 or f16 computed in bf16 (`ComputePrecision.bf16`): rounded once and packed for the
///   CPU's bf16 kernels, activations rounded per row at run time (`Bf16Weights`).
/// The bias and any residual are added in f32 in every case.
public struct LinearLayer: Sendable {
    /// As held: f32, f16, bf16, or int8 (with `scales`).
    public let weight: Tensor
    /// f32 [outFeatures] for int8 weights: W[r, c] = weight[r, c] * scales[r].
    public let scales: Tensor?
    public let bias: Tensor?
    public let inFeatures: Int
    public let outFeatures: Int
    private let int8: Int8Weights?
    private let bf16: Bf16Weights?

    /// A layer over `weight` (well shaped; an int8 layer's bias finite: the caller checked, see
    /// `packingProblem`), computing f32, f16 and bf16 weights in `precision` (f32: the 16-bit
    /// ones widened exactly for each product).
    public init(weight: LinearWeight, bias: Tensor?, inFeatures: Int, outFeatures: Int, precision: ComputePrecision = .f32) {
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        switch weight {
        case .f32(let w), .f16(let w), .bf16(let w):
            self.weight = w
            scales = nil
            int8 = nil
            // A bias the bf16 kernels cannot take (scope-built layers refuse it by name first)
            // leaves the layer f32: NaN out, as f32 gives.
            let packs = precision == .bf16 && w.count == outFeatures * inFeatures && w.count > 0
                && Self.packingProblem(int8: false, bias: bias, inFeatures: inFeatures) == nil
            bf16 = !packs ? nil : w.withFloat32 {
                Bf16Weights(weight: $0, bias: bias?.floatPointer, outFeatures: outFeatures, inFeatures: inFeatures)
            }
        case .int8(let values, let scales):
            self.weight = values
            self.scales = scales
            int8 = Int8Weights(values: values, scales: scales, bias: bias)
            bf16 = nil
        }
    }

    /// Reads `weight` (in the precision the source holds it) and `bias` under `scope`, to
    /// compute in the scope's precision.
    public init(_ scope: WeightScope, inFeatures: Int, outFeatures: Int, bias hasBias: Bool = true) {
        var weight = scope.linearWeight("weight", shape: [outFeatures, inFeatures])
        let bias = hasBias ? scope.tensor("bias", shape: [outFeatures]) : nil
        if weight.isInt8 || scope.precision == .bf16 {
            if let bias, bias.count != outFeatures {
                // The scope has recorded the bias as missing or mis-shaped: nothing to pack.
                weight = .f32(Tensor(zeros: [0]))
            } else if let problem = Self.packingProblem(int8: weight.isInt8, bias: bias, inFeatures: inFeatures) {
                scope.reject("weight", reason: problem)
                weight = .f32(Tensor(zeros: [0]))
            }
        }
        self.init(weight: weight, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures, precision: scope.precision)
    }

    /// Why the int8 or bf16 kernels cannot take this layer, if they cannot.
    static func packingProblem(int8: Bool, bias: Tensor?, inFeatures: Int) -> String? {
        if int8 && inFeatures > Int(TK_MAX_K) { return "int8 weights need at most \(TK_MAX_K) input features, not \(inFeatures)" }
        if let bias, let i = bias.withFloats({ $0.firstIndex { !$0.isFinite } }) {
            return (int8 ? "int8" : "bf16") + " weights need a finite bias; element \(i) is \(bias.scalar(at: i))"
        }
        return nil
    }

    /// Whether the products run on the int8 kernels.
    var isInt8: Bool { int8 != nil }

    /// Whether the products run on the bf16 kernels.
    var isBf16: Bool { bf16 != nil }

    /// The kernel this layer's products run on: "int8-" / "bf16-" and the path's name, or the
    /// f32 product of weights held as "f32", "f16" or "bf16" (widened).
    public var kernel: String {
        if let int8 { return "int8-" + int8.path }
        if let bf16 { return "bf16-" + bf16.path }
        return weight.dtype.description
    }

    /// out[rows, outFeatures] = inp[rows, inFeatures] · W^T + b
    public func callAsFunction(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int) {
        if let int8 { return int8.apply(out: out, inp: inp, rows: rows, accumulate: false) }
        if let bf16 { return bf16.apply(out: out, inp: inp, rows: rows, accumulate: false) }
        weight.withFloat32 { w in
            Linear.forward(out: out, inp: inp, weight: w, bias: bias?.floatPointer,
                           rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        }
    }

    /// x[rows, outFeatures] += inp · W^T + b: in f32 accumulated by the GEMM itself
    /// (the residual add fused into the product), in int8 added row block by row block.
    public func accumulate(into x: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int) {
        if let int8 { return int8.apply(out: x, inp: inp, rows: rows, accumulate: true) }
        if let bf16 { return bf16.apply(out: x, inp: inp, rows: rows, accumulate: true) }
        if let bias {
            Residual.forward(x: x, row: bias.floatPointer, rows: rows, cols: outFeatures)
        }
        weight.withFloat32 { w in
            GEMM.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
                       a: inp, lda: inFeatures, b: w, ldb: inFeatures,
                       beta: 1, c: x, ldc: outFeatures)
        }
    }

}
