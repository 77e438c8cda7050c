import TesseraCore

/// How the writer stores the Linear weights (rank-2 tensors named `*.weight`) other than
/// the patch embeddings; every other tensor (norms, biases, LayerScale, class token,
/// position embeddings, both encoders' patch embeddings) stays F32. formats/bundle.md,
/// "Which tensors are converted", says why.
public enum BundleWeights: String, CaseIterable, Sendable {
    case f32, f16
    /// bfloat16, round to nearest even: engines compute such layers in bf16 (docs/models.md §7).
    case bf16
    /// Symmetric per-output-channel int8 with F32 scales.
    case int8

    /// The choice that stores a matrix weight as `dtype`; nil for a type no choice writes.
    public init?(storing dtype: DType) {
        switch dtype {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .i8: self = .int8
        default: return nil
        }
    }

    /// True for the tensors this choice applies to: the Linear weights of attention, MLPs
    /// and the teacher head, not the patch embeddings (the first layer of each encoder,
    /// whose input is pixels or tile embeddings, not normalised activations).
    /// The classifier's Linear stays F32: it is tiny, and its outputs are the answers.
    public static func isMatrixWeight(name: String, shape: [Int]) -> Bool {
        shape.count == 2 && name.hasSuffix(".weight") && !name.split(separator: ".").contains("patch_embed")
            && !name.hasPrefix(BundleComponent.classifier.prefix)
    }
}
