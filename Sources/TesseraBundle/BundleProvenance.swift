/// Where a bundle came from.
public struct BundleProvenance: Equatable, Sendable {
    /// SHA-256 of the teacher's weights file (32 bytes), or empty when unknown.
    public var teacherWeightsSHA256: [UInt8]
    public var distillationRunID: String
    public var metrics: [BundleMetric]
    public var tesseraVersion: String
    /// As given by the writer's caller (the library reads no clock, so bundles are reproducible).
    public var createdUnixSeconds: Int64

    public init(teacherWeightsSHA256: [UInt8] = [], distillationRunID: String = "", metrics: [BundleMetric] = [],
                tesseraVersion: String, createdUnixSeconds: Int64) {
        self.teacherWeightsSHA256 = teacherWeightsSHA256
        self.distillationRunID = distillationRunID
        self.metrics = metrics
        self.tesseraVersion = tesseraVersion
        self.createdUnixSeconds = createdUnixSeconds
    }
}

/// One final metric of the distillation run that made the bundle.
public struct BundleMetric: Equatable, Sendable {
    public var name: String
    public var value: Double

    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}
