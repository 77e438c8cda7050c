import TesseraBundle
import TesseraRunFolder

extension BundleProvenance {
    /// The provenance of a bundle made from the distillation run `run`: the teacher's SHA-256 as
    /// its teacher cache records it (what the run really used), the run's id and its final metrics.
    public init(run: RunFolder, tesseraVersion: String, createdUnixSeconds: Int64) throws {
        self.init(teacherWeightsSHA256: try run.teacherSHA256(), distillationRunID: try run.runID(),
                  metrics: try run.finalMetrics().map { BundleMetric(name: $0.name, value: $0.value) },
                  tesseraVersion: tesseraVersion, createdUnixSeconds: createdUnixSeconds)
    }
}
