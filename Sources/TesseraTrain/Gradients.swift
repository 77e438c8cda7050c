import TesseraCore

/// The gradient buffers of a model's parameters arranged as the model itself: the model's
/// tree built over the parameters' gradient tensors (`ParameterSet.gradientDict`), so a
/// backward pass finds d loss / d W where the forward pass found W, and no checkpoint key is
/// spelled a second time.
public struct Gradients<Model> {
    public let tree: Model
    private let frozen: Set<UnsafeRawPointer>

    public init(tree: Model, parameters: ParameterSet) {
        self.tree = tree
        frozen = Set(parameters.parameters.filter { !$0.isTrainable }.compactMap { $0.gradient.bytes.baseAddress })
    }

    /// The writable gradient `t` (a tensor of `tree`), or nil when its parameter is frozen:
    /// backward passes skip the work for a nil gradient.
    public func of(_ t: Tensor) -> UnsafeMutablePointer<Float>? {
        guard let base = t.bytes.baseAddress, !frozen.contains(base) else { return nil }
        return t.mutableFloatPointer
    }

    public func of(_ t: Tensor?) -> UnsafeMutablePointer<Float>? { t.flatMap(of) }
}
