import TesseraBundle
import TesseraCore
import TesseraFormats
import TesseraModels

/// A distillation run's teacher-space head (`RUN/teacher_head.safetensors`: the adaptor
/// `adaptor.weight` [D_t, D_s] and `adaptor.bias` [D_t], the teacher's final norm `norm.weight`
/// and `norm.bias` [D_t], its eps as `norm_eps` in the metadata) as a bundle holds it: a Linear
/// and a LayerNorm on the class token of the student's last block output.
public struct RunTeacherHead {
    /// The manifest's description.
    public let head: BundleTeacherHead
    /// The tensors under the bundle's names (without the component prefix), in the head's parameter order.
    public let weights: StateDict

    /// Reads and checks the head file at `path`.
    public init(path: String) throws {
        let file = try SafeTensors.read(path: path)
        guard let text = file.metadata["norm_eps"], let eps = Float(text), eps.isFinite, eps > 0 else {
            throw ExportError.run(path: path, reason: "no norm_eps (a positive number) in the metadata: not a teacher head file")
        }
        guard let shape = file["adaptor.weight"]?.shape, shape.count == 2 else {
            throw ExportError.run(path: path, reason: "no adaptor.weight matrix: not a teacher head file")
        }
        let (outFeatures, inFeatures) = (shape[0], shape[1])
        // The layers' own readers check the file: every tensor present, well shaped, nothing else.
        let scope = WeightScope(file)
        _ = LinearLayer(scope.scope("adaptor"), inFeatures: inFeatures, outFeatures: outFeatures)
        _ = LayerNormLayer(scope.scope("norm"), dim: outFeatures, eps: eps)
        try scope.finish(model: path)

        head = BundleTeacherHead(inFeatures: inFeatures, outFeatures: outFeatures, input: .lastHiddenCLS, layerNormEps: eps)
        var weights = StateDict()
        let names = WeightScope.parameterShapes {
            _ = TeacherSpaceHead($0, inFeatures: inFeatures, outFeatures: outFeatures, normEps: eps)
        }
        for (name, _) in names { weights.set(name, file[name.hasPrefix("norm.") ? name : "adaptor." + name]!) }
        self.weights = weights
    }
}
