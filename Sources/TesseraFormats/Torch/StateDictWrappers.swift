import TesseraCore

/// A state dict and how it was found inside a checkpoint.
public struct FoundStateDict {
    public var stateDict: StateDict
    /// The wrapper key used ("state_dict", "model", ...), nil for a plain dict of
    /// tensors or a bare tensor.
    public var wrapperKey: String?
    /// Other wrapper keys of the checkpoint that also hold tensors (e.g. "state_dict_ema").
    public var alternatives: [String]
    /// True when the checkpoint was a single tensor (`torch.save(tensor)`).
    public var isBareTensor: Bool
    /// The prefix removed from every name ("module." of DistributedDataParallel), if any.
    public var strippedPrefix: String?

    /// A one-line account: "state_dict (module. stripped; also: state_dict_ema)".
    public var wrapperDescription: String {
        var text = isBareTensor ? "bare tensor" : wrapperKey ?? "plain dict"
        var notes: [String] = []
        if let prefix = strippedPrefix { notes.append("\(prefix) stripped") }
        if !alternatives.isEmpty { notes.append("also: " + alternatives.joined(separator: ", ")) }
        if !notes.isEmpty { text += " (" + notes.joined(separator: "; ") + ")" }
        return text
    }
}

/// Finds the name -> tensor mapping inside the wrappers seen in the wild:
/// `{"state_dict": ...}`, `{"model": ...}`, `{"state_dict_ema": ...}` and the
/// like, a plain dict of tensors, or a bare tensor. Entries that are not
/// tensors (epoch, args, optimizer state, nested dicts) are ignored; a tensor
/// that cannot be read exactly, or one under a key that is not a string, is
/// refused by name rather than left out.
public enum StateDictWrappers {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let message: String
        public var description: String { MessageText.capped(message) }
    }

    /// Wrapper keys in order of preference when no key is asked for.
    public static let preferredKeys = ["state_dict", "model", "state_dict_ema", "model_ema", "module", "net", "teacher"]

    /// The name a bare tensor gets in its one-entry state dict.
    public static let bareTensorName = "tensor"

    /// The prefix `DistributedDataParallel` adds to every name.
    public static let dataParallelPrefix = "module."

    /// The state dict inside `value`; `key` picks a wrapper key (any key of the
    /// top-level dict), otherwise the first of `preferredKeys` holding tensors,
    /// otherwise the top-level dict itself.
    public static func find(in value: PickleValue, key: String? = nil) throws -> FoundStateDict {
        if let reason = value.unreadableReason { throw Error(message: "the bare tensor cannot be read exactly: \(reason)") }
        if let tensor = value.tensor {
            if let key { throw Error(message: "a bare tensor has no key '\(MessageText.excerpt(key))'") }
            var dict = StateDict()
            dict.set(bareTensorName, tensor)
            return FoundStateDict(stateDict: dict, wrapperKey: nil, alternatives: [], isBareTensor: true, strippedPrefix: nil)
        }
        guard let entries = value.entries else { throw Error(message: "holds a \(value.kind), not a dict of tensors or a tensor") }
        let topKeys = entries.compactMap(\.key.string)
        // One pass over the entries: `value[key]` scans them all, once per key would be quadratic.
        let lastValues = Dictionary(entries.compactMap { entry in entry.key.string.map { ($0, entry.value) } },
                                    uniquingKeysWith: { _, last in last })
        let wrappers = topKeys.filter { hasTensors(lastValues[$0]) }
        let chosen: String?
        if let key {
            guard let inner = lastValues[key] else {
                throw Error(message: "no key '\(MessageText.excerpt(key))'; keys: \(MessageText.list(topKeys))")
            }
            guard hasTensors(inner) else { throw Error(message: "'\(MessageText.excerpt(key))' holds no tensors (\(inner))") }
            chosen = key
        } else {
            chosen = preferredKeys.first(where: wrappers.contains) ?? (hasTensors(value) ? nil : wrappers.first)
            if chosen == nil, !hasTensors(value) {
                throw Error(message: "no tensors found; keys: \(MessageText.list(topKeys))")
            }
        }
        let inner = chosen.flatMap { lastValues[$0] } ?? value
        let (dict, prefix) = try tensors(in: inner)
        return FoundStateDict(stateDict: dict, wrapperKey: chosen, alternatives: wrappers.filter { $0 != chosen },
                              isBareTensor: false, strippedPrefix: prefix)
    }

    /// True when `value` is a dict with at least one entry holding a tensor
    /// (readable or not, under any key: those are refused, not skipped).
    static func hasTensors(_ value: PickleValue?) -> Bool {
        value?.entries?.contains { $0.value.isTensor } ?? false
    }

    /// The tensors of a dict under their string keys (a repeated key keeps its
    /// first position and its last value, as in Python), with `module.` removed
    /// when every name carries it.
    private static func tensors(in value: PickleValue) throws -> (StateDict, String?) {
        var order: [String] = []
        var last: [String: PickleValue] = [:]
        for entry in value.entries ?? [] {
            guard let name = entry.key.string else {
                if entry.value.isTensor { throw Error(message: "a tensor under the key \(entry.key), not a string") }
                continue
            }
            if last.updateValue(entry.value, forKey: name) == nil { order.append(name) }
        }
        let pairs = try order.compactMap { name -> (String, Tensor)? in
            if let reason = last[name]?.unreadableReason {
                throw Error(message: "tensor '\(MessageText.excerpt(name))' cannot be read exactly: \(reason)")
            }
            return last[name]?.tensor.map { (name, $0) }
        }
        let strip = !pairs.isEmpty && pairs.allSatisfy { $0.0.hasPrefix(dataParallelPrefix) }
        var dict = StateDict()
        for (name, tensor) in pairs { dict.set(strip ? String(name.dropFirst(dataParallelPrefix.count)) : name, tensor) }
        return (dict, strip ? dataParallelPrefix : nil)
    }
}
