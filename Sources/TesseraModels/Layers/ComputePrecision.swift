/// The precision the Linear layers' products run in (`--precision`), for f32 and f16
/// weights (int8 weights run int8 either way):
/// - f32: exact, the reference's numbers;
/// - bf16: weights rounded to bf16 once at load, activations at each product's input,
///   products accumulated in f32; everything else (LayerNorm, softmax, GELU, the residual
///   stream, the bias) stays f32. docs/models.md §7.
public enum ComputePrecision: String, CaseIterable, Sendable {
    case f32, bf16
}
