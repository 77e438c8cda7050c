/// A Linear from the student's tile embedding into the teacher's embedding
/// space: tensors `teacher_head.weight` [outFeatures, inFeatures] and `teacher_head.bias` [outFeatures].
public struct BundleTeacherHead: Equatable, Sendable {
    public var inFeatures: Int
    public var outFeatures: Int

    public init(inFeatures: Int, outFeatures: Int) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    static let weightName = BundleComponent.teacherHead.prefix + "weight"
    static let biasName = BundleComponent.teacherHead.prefix + "bias"
}
