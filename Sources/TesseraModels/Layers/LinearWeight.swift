import TesseraCore

/// A Linear layer's weight [outFeatures, inFeatures] in the precision its source
/// holds, which is the precision the layer computes in (see `LinearLayer`).
public enum LinearWeight: @unchecked Sendable {
    case f32(Tensor)
    /// IEEE binary16 values, 2-byte aligned.
    case f16(Tensor)
    /// bfloat16 values, 2-byte aligned (a bf16 bundle's weights; docs/models.md §7).
    case bf16(Tensor)
    /// Symmetric per-output-channel int8: W[r, c] = values[r, c] * scales[r], scales f32 [outFeatures].
    case int8(values: Tensor, scales: Tensor)

    var isInt8: Bool {
        if case .int8 = self { return true }
        return false
    }
}
