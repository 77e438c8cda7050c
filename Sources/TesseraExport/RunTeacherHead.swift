import Foundation
import TesseraBundle
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraRunFolder

/// A distillation run's teacher-space head (`RunFolder.teacherHead`, formats/run-folder.md: the
/// adaptor `adaptor.weight` [D_t, D_s] and `adaptor.bias` [D_t], the teacher's final norm
/// `norm.weight` and `norm.bias` [D_t], its eps as `norm_eps` in the metadata) as a bundle holds
/// it: a Linear and a LayerNorm on the class token of the student's last block output.
public struct RunTeacherHead {
    /// The manifest's description.
    public let head: BundleTeacherHead
    /// The tensors under the bundle's names (without the component prefix), in the head's parameter order.
    public let weights: StateDict

    /// The head file of `run` to export: nil when `omitted` (`--no-teacher-head`) or when a
    /// run.json version 1 run has none (such runs may predate the head). A later run always
    /// trained one, so a missing file means its end was not all written (a full disk): refused,
    /// rather than a bundle without the head that looks like a whole export.
    public static func path(in run: RunFolder, omitted: Bool) throws -> String? {
        guard !omitted else { return nil }
        guard !FileManager.default.fileExists(atPath: run.teacherHead) else { return run.teacherHead }
        let version = try run.readOptionsVersion()
        guard version < RunFolder.teacherHeadVersion else {
            throw ExportError.run(path: run.teacherHead, reason: "missing, but the run trained a teacher-space head "
                + "(run.json version \(version)): the files of its end were not all written (a full disk?). Resume the run "
                + "(tessera distill --resume \(run.path)) to write them again, or export without the head: --no-teacher-head")
        }
        return nil
    }

    /// Reads and checks the head file at `path`.
    public init(path: String) throws {
        typealias Names = RunFolder.TeacherHead
        let file = try SafeTensors.read(path: path)
        guard let text = file.metadata[Names.epsKey], let eps = Float(text), eps.isFinite, eps > 0 else {
            throw ExportError.run(path: path, reason: "no \(Names.epsKey) (a positive number) in the metadata: not a teacher head file")
        }
        guard let shape = file[Names.adaptor + ".weight"]?.shape, shape.count == 2 else {
            throw ExportError.run(path: path, reason: "no \(Names.adaptor).weight matrix: not a teacher head file")
        }
        let (outFeatures, inFeatures) = (shape[0], shape[1])
        // The layers' own readers check the file: every tensor present, well shaped, nothing else.
        let scope = WeightScope(file)
        _ = LinearLayer(scope.scope(Names.adaptor), inFeatures: inFeatures, outFeatures: outFeatures)
        _ = LayerNormLayer(scope.scope(Names.norm), dim: outFeatures, eps: eps)
        try scope.finish(model: path)

        head = BundleTeacherHead(inFeatures: inFeatures, outFeatures: outFeatures, input: .lastHiddenCLS, layerNormEps: eps)
        var weights = StateDict()
        let names = WeightScope.parameterShapes {
            _ = TeacherSpaceHead($0, inFeatures: inFeatures, outFeatures: outFeatures, normEps: eps)
        }
        for (name, _) in names { weights.set(name, file[name.hasPrefix(Names.norm + ".") ? name : Names.adaptor + "." + name]!) }
        self.weights = weights
    }
}
