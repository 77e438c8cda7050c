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
    public let model: String
    public let missing: [String]
    public let unexpected: [String]
    public let misshaped: [Misshaped]

    public init(model: String, missing: [String], unexpected: [String], misshaped: [Misshaped]) {
        self.model = model
        self.missing = missing
        self.unexpected = unexpected
        self.misshaped = misshaped
    }

    public var description: String {
        var lines = ["\(model): the weights do not match the model"]
        if !missing.isEmpty { lines.append("  missing (\(missing.count)): " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { lines.append("  unexpected (\(unexpected.count)): " + unexpected.joined(separator: ", ")) }
        for m in misshaped { lines.append("  \(m.name): expected shape \(Tensor.describe(m.expected)), found \(Tensor.describe(m.actual))") }
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
        var requested: [(name: String, shape: [Int])] = []
        init(_ dict: StateDict?) { self.dict = dict }
    }

    let ledger: Ledger
    public let prefix: String

    public init(_ dict: StateDict) {
        ledger = Ledger(dict)
        prefix = ""
    }

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
        let k = key(name)
        ledger.requested.append((k, shape))
        guard let dict = ledger.dict else { return Tensor(zeros: [0]) }
        guard let t = dict[k] else {
            ledger.missing.append(k)
            return Tensor(zeros: [0])
        }
        ledger.used.insert(k)
        guard t.shape == shape else {
            ledger.misshaped.append(.init(name: k, expected: shape, actual: t.shape))
            return Tensor(zeros: [0])
        }
        return t.float32()
    }

    /// Throws when anything was missing or mis-shaped, or when the state dict
    /// holds tensors the model never asked for.
    public func finish(model: String) throws(WeightMismatch) {
        let unexpected = ledger.dict?.names.filter { !ledger.used.contains($0) } ?? []
        guard ledger.missing.isEmpty, ledger.misshaped.isEmpty, unexpected.isEmpty else {
            throw WeightMismatch(model: model, missing: ledger.missing, unexpected: unexpected,
                                 misshaped: ledger.misshaped)
        }
    }
}
