import TesseraCore

/// A torch storage class as a persistent id names it ("torch.FloatStorage"):
/// the size of its elements, which places storages in the legacy format, and
/// their dtype when Tessera represents it. Classes Tessera knows but cannot
/// represent (complex, quantized) still load as storages, so that a tensor
/// over one is refused by its name in the state dict rather than by an offset.
struct StorageType {
    let name: String
    let elementSize: Int
    /// nil when Tessera has no dtype for these elements.
    let dtype: DType?
    /// The torch dtype, for messages ("complex64").
    let torchName: String

    /// The untyped storage of the zip format's `_rebuild_tensor_v3` (its bytes).
    static let untyped = StorageType(name: "torch.UntypedStorage", elementSize: 1, dtype: .u8, torchName: "uint8")

    /// Every storage class torch pickles, under `torch.` and (legacy GPU saves, same bytes) `torch.cuda.`.
    static let known: [String: StorageType] = {
        let typed: [(String, Int, DType?, String)] = [
            ("DoubleStorage", 8, .f64, "float64"), ("FloatStorage", 4, .f32, "float32"),
            ("HalfStorage", 2, .f16, "float16"), ("BFloat16Storage", 2, .bf16, "bfloat16"),
            ("LongStorage", 8, .i64, "int64"), ("IntStorage", 4, .i32, "int32"), ("ShortStorage", 2, .i16, "int16"),
            ("CharStorage", 1, .i8, "int8"), ("ByteStorage", 1, .u8, "uint8"), ("BoolStorage", 1, .bool, "bool"),
            ("ComplexDoubleStorage", 16, nil, "complex128"), ("ComplexFloatStorage", 8, nil, "complex64"),
            ("QUInt8Storage", 1, nil, "quint8"), ("QInt8Storage", 1, nil, "qint8"), ("QInt32Storage", 4, nil, "qint32"),
            ("QUInt4x2Storage", 1, nil, "quint4x2"), ("QUInt2x4Storage", 1, nil, "quint2x4"),
        ]
        var table = ["torch.UntypedStorage": untyped, "torch.storage.UntypedStorage": untyped]
        for (name, size, dtype, torchName) in typed {
            for module in ["torch.", "torch.cuda."] {
                table[module + name] = StorageType(name: module + name, elementSize: size, dtype: dtype, torchName: torchName)
            }
        }
        return table
    }()

    /// The dtypes `_rebuild_tensor_v3` names (as globals: "torch.float32") that Tessera represents.
    /// Any other ("torch.uint16", "torch.float8_e4m3fn", ...) makes the tensor unreadable.
    static let rebuildDTypes: [String: DType] = [
        "torch.float64": .f64, "torch.float32": .f32, "torch.float16": .f16, "torch.bfloat16": .bf16,
        "torch.int64": .i64, "torch.int32": .i32, "torch.int16": .i16, "torch.int8": .i8,
        "torch.uint8": .u8, "torch.bool": .bool,
    ]

    /// The storage class a persistent id names.
    init(_ value: PickleValue) throws {
        guard case .global(let name) = value else { throw PickleError("storage type is a \(value.kind), not a storage class") }
        guard let known = Self.known[name] else {
            throw PickleError("unknown storage type \(MessageText.excerpt(name)) (its element size, and so the data layout, is unknown)")
        }
        self = known
    }

    /// The elements of `storage` read as `dtype` (`_rebuild_tensor_v3`).
    init(viewing storage: StorageType, as dtype: DType) {
        self.init(name: storage.name, elementSize: dtype.size, dtype: dtype, torchName: dtype.rawValue)
    }

    private init(name: String, elementSize: Int, dtype: DType?, torchName: String) {
        self.name = name
        self.elementSize = elementSize
        self.dtype = dtype
        self.torchName = torchName
    }
}
