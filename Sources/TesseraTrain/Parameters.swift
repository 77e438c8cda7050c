import TesseraCore

/// One named parameter: its f32 value, its gradient buffer (accumulated by the
/// backward passes, zeroed by `ParameterSet.zeroGradients`), and whether the
/// optimizer may change it.
public final class Parameter: @unchecked Sendable {
    public let name: String
    public let value: Tensor
    public let gradient: Tensor
    public var isTrainable: Bool
    /// In the weight-decay group (timm's `param_groups_weight_decay` rule, see `ParameterSet`).
    public var decays: Bool
    /// This parameter's learning rate is the step's times this (layer-wise lr decay; 1 otherwise).
    public var lrScale: Double = 1

    init(name: String, value: Tensor, isTrainable: Bool, decays: Bool) {
        self.name = name
        self.value = value
        self.gradient = Tensor(zeros: value.shape)
        self.isTrainable = isTrainable
        self.decays = decays
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }

    /// The value's floats (owned, writable).
    public var data: UnsafeMutablePointer<Float> {
        value.mutableFloatPointer
    }

    /// The gradient buffer, or nil when the parameter is frozen: backward passes
    /// skip the work for a nil gradient.
    public var grad: UnsafeMutablePointer<Float>? { isTrainable ? gradData : nil }

    var gradData: UnsafeMutablePointer<Float> {
        gradient.mutableFloatPointer
    }
}

public enum TrainError: Error, CustomStringConvertible, Equatable {
    case missingParameter(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case badCheckpoint(path: String, reason: String)
    /// Micro-batch `microBatch` of a step has a non-finite loss: the step stops before the optimizer.
    case nonFinite(microBatch: Int, loss: Double)

    public var description: String {
        switch self {
        case .missingParameter(let name): return "parameter '\(name)' is missing"
        case .shapeMismatch(let name, let expected, let found):
            return "parameter '\(name)': expected shape \(expected), found \(found)"
        case .badCheckpoint(let path, let reason): return "\(path): not a usable training checkpoint: \(reason)"
        case .nonFinite(let microBatch, let loss): return "micro-batch \(microBatch): the loss is \(loss)"
        }
    }
}

/// The parameters of a model in checkpoint-key order (`blocks.3.attn.qkv.weight`).
public final class ParameterSet: @unchecked Sendable {
    public private(set) var parameters: [Parameter] = []
    private var index: [String: Int] = [:]

    /// Names that never decay, whatever their rank (timm `VisionTransformer.no_weight_decay`).
    public static let noDecayNames: Set<String> = ["pos_embed", "cls_token", "dist_token", "reg_token"]

    /// timm's `param_groups_weight_decay`: no decay for 1-D parameters, biases and the named tokens
    /// (matched on the last part of the name, so `student.pos_embed` is a token too).
    public static func decays(_ name: String, shape: [Int]) -> Bool {
        let leaf = name.split(separator: ".").last.map(String.init) ?? name
        return !(shape.count <= 1 || name.hasSuffix(".bias") || noDecayNames.contains(leaf))
    }

    public init() {}

    /// Owned f32 copies of every tensor of `dict`, all trainable.
    public convenience init(_ dict: StateDict) {
        self.init()
        for name in dict.names { add(name, dict[name]!) }
    }

    /// Zero-filled trainable parameters of these names and shapes, in order.
    public convenience init(zeros shapes: [(name: String, shape: [Int])]) {
        self.init()
        for (name, shape) in shapes { add(name, Tensor(zeros: shape)) }
    }

    /// Appends a trainable parameter holding an owned f32 copy of `value`.
    @discardableResult
    public func add(_ name: String, _ value: Tensor) -> Parameter {
        let p = Parameter(name: name, value: value.converted(to: .f32), isTrainable: true,
                          decays: Self.decays(name, shape: value.shape))
        index[name] = parameters.count
        parameters.append(p)
        return p
    }

    public subscript(name: String) -> Parameter? { index[name].map { parameters[$0] } }

    /// The parameter `name`, which must exist with `shape`.
    public func require(_ name: String, shape: [Int]) throws -> Parameter {
        guard let p = self[name] else { throw TrainError.missingParameter(name) }
        guard p.shape == shape else { throw TrainError.shapeMismatch(name: name, expected: shape, found: p.shape) }
        return p
    }

    /// Freezes (or unfreezes) every parameter whose name starts with `prefix`.
    public func setTrainable(_ trainable: Bool, prefix: String = "") {
        for p in parameters where p.name.hasPrefix(prefix) { p.isTrainable = trainable }
    }

    public var trainable: [Parameter] { parameters.filter(\.isTrainable) }

    public func zeroGradients() {
        for p in parameters { p.gradData.update(repeating: 0, count: p.count) }
    }

    /// Multiplies every gradient by `factor`.
    public func scaleGradients(by factor: Float) {
        for p in trainable {
            let g = p.gradData
            for i in 0..<p.count { g[i] *= factor }
        }
    }

    /// The values as a state dict of views of the live buffers.
    public func stateDict() -> StateDict {
        var dict = StateDict()
        for p in parameters { dict.set(p.name, p.value) }
        return dict
    }

    /// The gradient buffers as a state dict under the parameters' names (for `Gradients`).
    public func gradientDict() -> StateDict {
        var dict = StateDict()
        for p in parameters { dict.set(p.name, p.gradient) }
        return dict
    }

    /// Copies `dict`'s tensors into the parameters of the same names (shapes must match).
    public func load(_ dict: StateDict, prefix: String = "") throws {
        for p in parameters {
            guard let t = dict[prefix + p.name] else { throw TrainError.missingParameter(prefix + p.name) }
            guard t.shape == p.shape else { throw TrainError.shapeMismatch(name: p.name, expected: p.shape, found: t.shape) }
            t.withFloats { if let source = $0.baseAddress { p.data.update(from: source, count: p.count) } }
        }
    }
}
