import TesseraCore

/// The globals a torch pickle may name that the reader gives meaning to.
/// Nothing is imported or called: REDUCE on one of these builds plain data or
/// a tensor view; REDUCE on any other name records an inert `.object`. A
/// tensor that Tessera cannot hold exactly (a dtype it lacks, a sparse or
/// quantized layout, a view whose values differ from its bytes) becomes an
/// `.unreadableTensor` saying why, which the state dict refuses by name.
enum TorchGlobals {
    /// The classes `_rebuild_from_type_v2` may restore without changing what
    /// the tensor holds (a tensor with Python attributes, a parameter).
    static let plainTensorTypes: Set<String> = [
        "torch.Tensor", "torch._tensor.Tensor", "torch.nn.parameter.Parameter", "torch.nn.Parameter",
    ]

    /// The result of `callable(*arguments)` for the known callables; an inert
    /// `.object` for every other global.
    static func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let name) = callable else {
            throw PickleError("REDUCE on a \(callable.kind), not a global")
        }
        guard let args = arguments.items else { throw PickleError("REDUCE arguments are a \(arguments.kind), not a tuple") }
        switch name {
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            return try rebuildTensor(args, version: 2)
        case "torch._utils._rebuild_tensor_v3":
            return try rebuildTensor(args, version: 3)
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            // (data, requires_grad, backward_hooks[, state]): the parameter is its data tensor.
            guard let data = args.first else { throw PickleError("_rebuild_parameter without arguments") }
            return tensorOrRefusal(data, from: "_rebuild_parameter")
        case "torch._tensor._rebuild_from_type_v2":
            // (function, type, arguments, state): the tensor is function(*arguments), then made a `type`.
            guard args.count >= 3 else { throw PickleError("_rebuild_from_type_v2 needs 3 arguments, got \(args.count)") }
            guard case .global(let type) = args[1], plainTensorTypes.contains(type) else {
                return .unreadable("saved as a \(args[1].kind) (a tensor subclass, whose values Tessera cannot vouch for)")
            }
            return tensorOrRefusal(try reduce(args[0], args[2]), from: "_rebuild_from_type_v2")
        case "collections.OrderedDict":
            return try orderedDict(args)
        case "torch.Size":
            return .tuple(args.first?.items ?? [])
        case "builtins.set", "builtins.frozenset", "__builtin__.set", "__builtin__.frozenset":
            return .list(args.first?.items ?? [])  // protocol 2 sets: set([items])
        case "_codecs.encode":
            return try encode(args)
        case "builtins.bytes" where args.isEmpty, "__builtin__.bytes" where args.isEmpty:
            return .bytes([])  // protocol 2 writes b"" as bytes()
        case _ where isTensorRebuild(name):
            return .unreadable("saved through \(MessageText.excerpt(name)) (a sparse, quantized, nested, meta or other tensor Tessera does not read)")
        default:
            return .object(className: name, arguments: args, state: nil)
        }
    }

    /// torch's other tensor constructors (`_rebuild_sparse_tensor`, `_rebuild_qtensor`, ...).
    private static func isTensorRebuild(_ name: String) -> Bool {
        name.hasPrefix("torch._utils._rebuild_") || name.hasPrefix("torch._tensor._rebuild_")
    }

    /// `value` when it is a tensor (or already refused); a refusal otherwise,
    /// so that a wrapper around something else is not dropped as a non-tensor.
    private static func tensorOrRefusal(_ value: PickleValue, from function: String) -> PickleValue {
        switch value {
        case .tensor, .unreadableTensor: return value
        default: return .unreadable("\(function) of a \(value.kind), not of a tensor")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata)`
    /// (`_rebuild_tensor` has the first four), or `_rebuild_tensor_v3(..., backward_hooks, dtype, metadata)`
    /// over an untyped storage, with offset and strides in elements of `dtype`.
    private static func rebuildTensor(_ args: [PickleValue], version: Int) throws -> PickleValue {
        let function = "_rebuild_tensor" + (version == 3 ? "_v3" : "")
        guard args.count >= (version == 3 ? 7 : 4) else {
            throw PickleError("\(function) needs at least \(version == 3 ? 7 : 4) arguments, got \(args.count)")
        }
        guard case .storage(var storage) = args[0] else { throw PickleError("\(function) storage is a \(args[0].kind)") }
        guard let offset = args[1].int else { throw PickleError("\(function) storage offset is a \(args[1].kind)") }
        let shape = try intTuple(args[2], "size"), strides = try intTuple(args[3], "stride")
        if version == 3 {
            guard case .global(let name) = args[6] else { throw PickleError("\(function) dtype is a \(args[6].kind)") }
            guard let dtype = StorageType.rebuildDTypes[name] else {
                return .unreadable("dtype \(MessageText.excerpt(name)), which Tessera cannot represent")
            }
            storage = storage.retyped(as: dtype)
        }
        guard storage.dtype != nil else {
            return .unreadable("dtype \(storage.type.torchName) (\(storage.type.name)), which Tessera cannot represent")
        }
        let metadataIndex = version == 3 ? 7 : 6
        if args.count > metadataIndex, let refusal = viewFlags(args[metadataIndex]) { return .unreadable(refusal) }
        guard let tensor = try storage.tensor(offset: offset, shape: shape, strides: strides) else {
            return .unreadable("its storage is not located yet")  // the legacy format's first pass
        }
        return .tensor(tensor)
    }

    /// Why a tensor whose metadata (`torch._utils.get_tensor_metadata`) sets a
    /// flag cannot be read as its bytes; nil when no flag is set.
    private static func viewFlags(_ metadata: PickleValue) -> String? {
        if case .none = metadata { return nil }
        guard let entries = metadata.entries else { return "tensor metadata is a \(metadata.kind), not a dict" }
        for (key, value) in entries {
            if case .bool(false) = value { continue }
            switch key.string {
            case "neg": return "a negative-bit view: its values are the negated stored ones (save it after .resolve_neg())"
            case "conj": return "a conjugate view: its values are the conjugated stored ones (save it after .resolve_conj())"
            default: return "tensor metadata \(key) = \(value), which Tessera does not apply"
            }
        }
        return nil
    }

    private static func intTuple(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard let items = value.items else { throw PickleError("tensor \(what) is a \(value.kind), not a tuple") }
        return try items.map {
            guard let i = $0.int else { throw PickleError("tensor \(what) holds a \($0.kind)") }
            return i
        }
    }

    /// `OrderedDict()` or `OrderedDict([(key, value), ...])`.
    private static func orderedDict(_ args: [PickleValue]) throws -> PickleValue {
        guard let pairs = args.first else { return .dict([]) }
        guard let items = pairs.items else { throw PickleError("OrderedDict argument is a \(pairs.kind)") }
        return .dict(try items.map {
            guard let pair = $0.items, pair.count == 2 else { throw PickleError("OrderedDict item is not a pair") }
            return (pair[0], pair[1])
        })
    }

    /// `_codecs.encode(text, "latin1")`: how protocol 2 stores Python 3 bytes.
    private static func encode(_ args: [PickleValue]) throws -> PickleValue {
        guard let text = args.first?.string, args.count == 2, args[1].string == "latin1" else {
            return .object(className: "_codecs.encode", arguments: args, state: nil)
        }
        return .bytes(try text.unicodeScalars.map {
            guard $0.value < 256 else { throw PickleError("latin1 text holds U+\(String($0.value, radix: 16))") }
            return UInt8($0.value)
        })
    }
}
