import TesseraCore

/// The globals a torch pickle may name that the reader gives meaning to.
/// Nothing is imported or called: REDUCE on one of these builds plain data or
/// a tensor view; REDUCE on any other name records an inert `.object`.
enum TorchGlobals {
    /// Storage classes as they appear in persistent ids, with their element type.
    static let storageTypes: [String: DType] = {
        let typed: [(String, DType)] = [
            ("DoubleStorage", .f64), ("FloatStorage", .f32), ("HalfStorage", .f16), ("BFloat16Storage", .bf16),
            ("LongStorage", .i64), ("IntStorage", .i32), ("ShortStorage", .i16), ("CharStorage", .i8),
            ("ByteStorage", .u8), ("BoolStorage", .bool),
        ]
        var table: [String: DType] = ["torch.UntypedStorage": .u8, "torch.storage.UntypedStorage": .u8]
        for (name, dtype) in typed {
            table["torch." + name] = dtype
            table["torch.cuda." + name] = dtype  // legacy GPU saves: the bytes are the same
        }
        return table
    }()

    /// The element type of a storage class named by a persistent id.
    static func storageType(_ value: PickleValue) throws -> DType {
        guard case .global(let name) = value else { throw PickleError("storage type is a \(value.kind), not a storage class") }
        guard let dtype = storageTypes[name] else { throw PickleError("unsupported storage type \(name)") }
        return dtype
    }

    /// The result of `callable(*arguments)` for the known callables; an inert
    /// `.object` for every other global.
    static func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let name) = callable else {
            throw PickleError("REDUCE on a \(callable.kind), not a global")
        }
        guard let args = arguments.items else { throw PickleError("REDUCE arguments are a \(arguments.kind), not a tuple") }
        switch name {
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            return try rebuildTensor(args)
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            // (data, requires_grad, backward_hooks[, state]): the parameter is its data tensor.
            guard let data = args.first else { throw PickleError("_rebuild_parameter without arguments") }
            return data
        case "torch._tensor._rebuild_from_type_v2":
            // (function, type, arguments, state): the tensor is function(*arguments).
            guard args.count >= 3 else { throw PickleError("_rebuild_from_type_v2 needs 3 arguments, got \(args.count)") }
            return try reduce(args[0], args[2])
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
        default:
            return .object(className: name, arguments: args, state: nil)
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata)`.
    private static func rebuildTensor(_ args: [PickleValue]) throws -> PickleValue {
        guard args.count >= 4 else { throw PickleError("_rebuild_tensor needs at least 4 arguments, got \(args.count)") }
        guard case .storage(let storage) = args[0] else { throw PickleError("_rebuild_tensor storage is a \(args[0].kind)") }
        guard let offset = args[1].int else { throw PickleError("_rebuild_tensor storage offset is a \(args[1].kind)") }
        let shape = try intTuple(args[2], "size"), strides = try intTuple(args[3], "stride")
        guard let tensor = try storage.tensor(offset: offset, shape: shape, strides: strides) else { return .none }
        return .tensor(tensor)
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
