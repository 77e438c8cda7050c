import TesseraCore

/// Every way a state dict can disagree with the model built from it, gathered
/// over the whole load so one error lists them all.
public struct WeightMismatch: Error, CustomStringConvertible {
    public struct Misshaped: Equatable, Sendable {
        public let name: String
        public let expected: [Int]
        public let actual: [Int]
        public init(name: String, expected: [Int], actual: [Int]) {
            self.name = name
            self.expected = expected
            self.actual = actual
        }
    }
    /// A tensor present with the right shape that the model still cannot use.
    public struct Invalid: Equatable, Sendable {
        public let name: String
        public let reason: String
        public init(name: String, reason: String) {
            self.name = name
            self.reason = reason
        }
    }
    public let model: String
    public let missing: [String]
    public let unexpected: [String]
    public let misshaped: [Misshaped]
    public let invalid: [Invalid]

    public init(model: String, missing: [String], unexpected: [String], misshaped: [Misshaped], invalid: [Invalid] = []) {
        self.model = model
        self.missing = missing
        self.unexpected = unexpected
        self.misshaped = misshaped
        self.invalid = invalid
    }

    public var description: String {
        var lines = ["\(model): the weights do not match the model"]
        if !missing.isEmpty { lines.append("  missing (\(missing.count)): " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { lines.append("  unexpected (\(unexpected.count)): " + unexpected.joined(separator: ", ")) }
        for m in misshaped { lines.append("  \(m.name): expected shape \(Tensor.describe(m.expected)), found \(Tensor.describe(m.actual))") }
        for i in invalid { lines.append("  \(i.name): \(i.reason)") }
        return lines.joined(separator: "\n")
    }
}

/// A path into a state dict, walked the way the checkpoint keys nest
/// (`scope("blocks").scope(3).scope("attn").tensor("qkv.weight", ...)`), in the
/// manner of candle's `VarBuilder`. Problems are recorded, not thrown, so the
/// whole model is walked; `finish()` then throws one `WeightMismatch`.
public struct WeightScope {
    final class Ledger {
        /// nil when recording: the walk only lists what the model asks for.
        let dict: StateDict?
        var used: Set<String> = []
        var missing: [String] = []
        var misshaped: [WeightMismatch.Misshaped] = []
        var invalid: [WeightMismatch.Invalid] = []
        var requested: [(name: String, shape: [Int])] = []
        /// What the Linear layers built under this root compute in.
        let precision: ComputePrecision
        init(_ dict: StateDict?, precision: ComputePrecision = .f32) {
            self.dict = dict
            self.precision = precision
        }
    }

    let ledger: Ledger
    public let prefix: String

    /// The root of `dict`, whose Linear layers will compute in `precision`.
    public init(_ dict: StateDict, precision: ComputePrecision = .f32) {
        ledger = Ledger(dict, precision: precision)
        prefix = ""
    }

    public var precision: ComputePrecision { ledger.precision }

    /// The names and shapes of every tensor a model asks for, in the order its tree asks
    /// (the checkpoint's keys, spelled only by the model's layers): `build` walks the model's
    /// tree over a scope that hands out empty placeholders.
    public static func parameterShapes(_ build: (WeightScope) -> Void) -> [(name: String, shape: [Int])] {
        let scope = WeightScope(ledger: Ledger(nil), prefix: "")
        build(scope)
        return scope.ledger.requested
    }

    private init(ledger: Ledger, prefix: String) {
        self.ledger = ledger
        self.prefix = prefix
    }

    public func scope(_ name: String) -> WeightScope { WeightScope(ledger: ledger, prefix: key(name)) }
    public func scope(_ index: Int) -> WeightScope { scope(String(index)) }

    public func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    /// Whether the state dict holds `name` under this scope.
    public func contains(_ name: String) -> Bool { ledger.dict?[key(name)] != nil }

    /// The shape of `name` under this scope, if present.
    public func shape(_ name: String) -> [Int]? { ledger.dict?[key(name)]?.shape }

    /// The tensor `name` as f32 (a zero-copy view when the file holds aligned
    /// f32; other dtypes are converted once, here). A missing or mis-shaped
    /// tensor is recorded and an empty placeholder returned.
    public func tensor(_ name: String, shape: [Int]) -> Tensor {
        stored(key(name), shape: shape)?.float32() ?? Tensor(zeros: [0])
    }

    /// The Linear weight `name` [rows, cols] in the precision the state dict holds it:
    /// int8 with its f32 scales [rows] (under `StateDict.scalesName(of:)`, as bundles store
    /// them), f16 as it is, bf16 as it is when the scope computes in bf16, anything else as f32.
    /// Problems are recorded as for `tensor`.
    public func linearWeight(_ name: String, shape: [Int]) -> LinearWeight {
        let placeholder = LinearWeight.f32(Tensor(zeros: [0]))
        let k = key(name)
        guard let values = stored(k, shape: shape) else { return placeholder }
        switch values.dtype {
        case .i8:
            guard let scales = stored(StateDict.scalesName(of: k), shape: [shape[0]])?.float32() else { return placeholder }
            if let row = scales.withFloats({ $0.firstIndex { !Int8Quantisation.isValid(scale: $0) } }) {
                ledger.invalid.append(.init(name: StateDict.scalesName(of: k), reason: "scale of row \(row) is \(Float(scales.scalar(at: row))): "
                                            + "expected 0...\(Int8Quantisation.maxScale) (weights within F16's range)"))
                return placeholder
            }
            return .int8(values: values, scales: scales)
        case .f16:
            return .f16(values.twoByteAligned())
        case .bf16 where precision == .bf16:
            // Packed for the bf16 kernels as they are (no f32 copy kept); computed in f32, they
            // become f32 once, here, like any other dtype.
            return .bf16(values.twoByteAligned())
        default:
            return .f32(values.float32())
        }
    }

    /// Records that the tensor `name` under this scope, present and well shaped, cannot be used.
    func reject(_ name: String, reason: String) {
        ledger.invalid.append(.init(name: key(name), reason: reason))
    }

    /// The tensor `key` as stored, recorded as asked for and used; nil (recorded as
    /// missing or mis-shaped) when it cannot serve, and when only recording.
    private func stored(_ k: String, shape: [Int]) -> Tensor? {
        ledger.requested.append((k, shape))
        guard let dict = ledger.dict else { return nil }
        guard let t = dict[k] else {
            ledger.missing.append(k)
            return nil
        }
        ledger.used.insert(k)
        guard t.shape == shape else {
            ledger.misshaped.append(.init(name: k, expected: shape, actual: t.shape))
            return nil
        }
        return t
    }

    /// Throws when anything was missing, mis-shaped or unusable, or when the state dict
    /// holds tensors the model never asked for.
    public func finish(model: String) throws(WeightMismatch) {
        let unexpected = ledger.dict?.names.filter { !ledger.used.contains($0) } ?? []
        guard ledger.missing.isEmpty, ledger.misshaped.isEmpty, ledger.invalid.isEmpty, unexpected.isEmpty else {
            throw WeightMismatch(model: model, missing: ledger.missing, unexpected: unexpected,
                                 misshaped: ledger.misshaped, invalid: ledger.invalid)
        }
    }
}
