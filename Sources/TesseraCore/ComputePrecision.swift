/// The precision products run in (`--precision`):
/// - f32: exact, the reference's numbers;
/// - bf16: inference (a `WeightScope`'s Linear layers, f32 and f16 weights; int8 weights run
///   int8 either way): weights rounded to bf16 once at load, activations at each product's
///   input; training (`GEMM.computing(in:_:)`): every matrix product's operands rounded, the
///   f32 master weights kept. Products accumulate in f32; everything else (LayerNorm, softmax,
///   GELU, the residual stream, the bias, the optimizer) stays f32. docs/models.md §7.
public enum ComputePrecision: String, CaseIterable, Sendable {
    case f32, bf16
}
