import TesseraCore

extension SafeTensors {
    /// `dict` reordered as the Python `safetensors` writer orders tensors:
    /// larger dtypes first (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL;
    /// `dtype` is the dtype each tensor will be written as), then by name
    /// bytes. Writing this order makes the same file Python would.
    public static func canonicalOrder(_ dict: StateDict, dtype: OutputDType = .keep) -> StateDict {
        let rank: [DType: Int] = [.i64: 9, .f64: 8, .f32: 7, .i32: 6, .bf16: 5, .f16: 4, .i16: 3, .i8: 2, .u8: 1, .bool: 0]
        let entries = dict.entries.map { (name: $0.name, tensor: $0.tensor, rank: rank[dtype.dtype(for: $0.tensor.dtype)] ?? 0) }
        let sorted = entries.sorted { a, b in
            a.rank != b.rank ? a.rank > b.rank : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var out = StateDict()
        out.metadata = dict.metadata
        for entry in sorted { out.set(entry.name, entry.tensor) }
        return out
    }
}
