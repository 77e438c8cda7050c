/// How the writer stores the matrix weights (rank-2 tensors named `*.weight`:
/// the Linear layers); every other tensor (norms, biases, LayerScale, class
/// token, position and patch embeddings) stays F32.
public enum BundleWeights: String, CaseIterable, Sendable {
    case f32, f16
    /// Symmetric per-output-channel int8 with F32 scales.
    case int8

    /// True for the tensors this choice applies to.
    public static func isMatrixWeight(name: String, shape: [Int]) -> Bool {
        shape.count == 2 && name.hasSuffix(".weight")
    }
}
