import TesseraCore

/// What the restricted unpickler builds: plain data and tensors, never code.
/// Any global it does not know becomes `.object`, an inert record of the
/// class name and whatever arguments/state the pickle gave it.
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer beyond Int64: little-endian two's complement bytes (as LONG1/LONG4 store it).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// Insertion-ordered (dict and OrderedDict alike). A key may appear more
    /// than once when the pickle set it twice; the last entry wins, as in Python.
    case dict([(key: PickleValue, value: PickleValue)])
    case tensor(Tensor)
    /// A tensor Tessera cannot hold exactly (a dtype it lacks, a sparse or
    /// quantized layout, a negative or conjugate view, ...), with the reason
    /// and the pickle offset of the opcode that built it: kept in place of the
    /// tensor so that a state dict holding it is refused under the tensor's
    /// name instead of losing it.
    case unreadableTensor(reason: String, offset: Int?)
    /// A torch storage named by a persistent id (the bytes tensors are views of).
    case storage(TorchStorage)
    /// A reference to a class or function by its dotted name ("torch._utils._rebuild_tensor_v2");
    /// it is never imported, only compared against the names the reader knows.
    case global(String)
    /// An inert placeholder for an instance of an unknown global, e.g. "argparse.Namespace".
    case object(className: String, arguments: [PickleValue], state: PickleValue?)
}

extension PickleValue {
    /// The value stored under the string `key` of a dict (last entry wins), else nil.
    public subscript(key: String) -> PickleValue? {
        guard case .dict(let entries) = self else { return nil }
        return entries.last(where: { $0.key.string == key })?.value
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var int: Int? {
        if case .int(let i) = self { return Int(exactly: i) }
        return nil
    }

    public var tensor: Tensor? {
        if case .tensor(let t) = self { return t }
        return nil
    }

    /// A tensor that cannot be read, for `reason`; the unpickler adds where.
    static func unreadable(_ reason: String) -> PickleValue { .unreadableTensor(reason: reason, offset: nil) }

    /// Why a tensor cannot be read, with where it was built: "… (pickle offset 120)".
    var unreadableReason: String? {
        guard case .unreadableTensor(let reason, let offset) = self else { return nil }
        return reason + (offset.map { " (pickle offset \($0))" } ?? "")
    }

    /// True for a tensor and for a tensor Tessera cannot read.
    public var isTensor: Bool {
        switch self {
        case .tensor, .unreadableTensor: return true
        default: return false
        }
    }

    /// Items of a tuple or list.
    public var items: [PickleValue]? {
        switch self {
        case .tuple(let items), .list(let items): return items
        default: return nil
        }
    }

    /// Entries of a dict.
    public var entries: [(key: PickleValue, value: PickleValue)]? {
        if case .dict(let entries) = self { return entries }
        return nil
    }

    /// A short name of the case, for error messages.
    public var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .tensor: return "tensor"
        case .unreadableTensor: return "unreadable tensor"
        case .storage: return "storage"
        case .global(let name): return "global \(MessageText.excerpt(name))"
        case .object(let name, _, _): return "object \(MessageText.excerpt(name))"
        }
    }
}

/// A short account of a value for messages: scalars and short text as they
/// are, containers by size, never their contents, so that no file can make a
/// long message.
extension PickleValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .bigInt(let raw): return "an int of \(raw.count) bytes"
        case .float(let f): return String(f)
        case .string(let s): return "'\(MessageText.excerpt(s))'"
        case .bytes(let b): return "\(b.count) bytes"
        case .list(let items): return "a list of \(items.count) items"
        case .tuple(let items): return "a tuple of \(items.count) items"
        case .dict(let entries): return "a dict of \(entries.count) entries"
        case .tensor(let t): return "a \(t.dtype.rawValue) tensor \(MessageText.numbers(t.shape))"
        case .unreadableTensor(let reason, _): return "an unreadable tensor (\(reason))"
        case .storage(let s): return "a storage of \(s.count) \(s.type.torchName) elements"
        case .global, .object: return kind
        }
    }
}
