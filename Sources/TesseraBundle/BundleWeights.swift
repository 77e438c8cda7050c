/// How the writer stores the Linear weights (rank-2 tensors named `*.weight`) other than
/// the patch embeddings; every other tensor (norms, biases, LayerScale, class token,
/// position embeddings, both encoders' patch embeddings) stays F32. formats/bundle.md,
/// "Which tensors are converted", says why.
public enum BundleWeights: String, CaseIterable, Sendable {
    case f32, f16
    /// Symmetric per-output-channel int8 with F32 scales.
    case int8

    /// True for the tensors this choice applies to: the Linear weights of attention, MLPs
    /// and the teacher head, not the patch embeddings (the first layer of each encoder,
    /// whose input is pixels or tile embeddings, not normalised activations).
    public static func isMatrixWeight(name: String, shape: [Int]) -> Bool {
        shape.count == 2 && name.hasSuffix(".weight") && !name.split(separator: ".").contains("patch_embed")
    }
}
