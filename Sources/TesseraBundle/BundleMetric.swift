/// One final metric of the distillation run that made the bundle.
public struct BundleMetric: Equatable, Sendable {
    public var name: String
    public var value: Double

    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}
