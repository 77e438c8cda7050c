import TesseraCore

/// A torch storage: `count` elements of its type at `byteOffset` of a mapped
/// file. Tensors rebuilt from it are views (or, when strided, owned copies).
/// Several tensors may share one storage, each at its own storage offset.
public struct TorchStorage {
    let type: StorageType
    public let count: Int
    /// The file and the byte offset of element 0; nil while the storage is only
    /// declared (the legacy format names storages before their bytes are located).
    let location: (file: MappedFile, byteOffset: Int)?

    /// Expanded (stride-0) tensors may not grow beyond this when copied.
    static let maxCopyBytes = 256 << 20

    /// The element dtype, nil for a storage class Tessera cannot represent.
    public var dtype: DType? { type.dtype }

    /// `count` elements starting at `byteOffset` of `file`; nil when they do not fit in the file.
    init?(type: StorageType, count: Int, file: MappedFile, byteOffset: Int) {
        guard let length = Checked.multiply(count, type.elementSize),
              file.bytes.range(at: byteOffset, length: length) != nil else { return nil }
        self.type = type
        self.count = count
        self.location = (file, byteOffset)
    }

    /// A declared storage whose bytes are not located yet.
    init(declared type: StorageType, count: Int) {
        self.type = type
        self.count = count
        self.location = nil
    }

    /// Elements `offset ..< offset + count` of this storage as a storage of their own
    /// (the legacy format's storage views).
    func slice(offset: Int, count sliceCount: Int) throws -> TorchStorage {
        guard offset >= 0, sliceCount >= 0, let end = Checked.add(offset, sliceCount), end <= count else {
            throw PickleError("storage view \(offset)..+\(sliceCount) outside a storage of \(count) elements")
        }
        guard let (file, byteOffset) = location else { return TorchStorage(declared: type, count: sliceCount) }
        return TorchStorage(type: type, count: sliceCount, file: file, byteOffset: byteOffset + offset * type.elementSize)!
    }

    /// This storage's bytes seen as elements of `dtype` (`_rebuild_tensor_v3`
    /// over an untyped storage); a trailing partial element is left out, as torch does.
    func retyped(as dtype: DType) -> TorchStorage {
        let type = StorageType(viewing: self.type, as: dtype)
        let elements = count * self.type.elementSize / dtype.size
        guard let (file, byteOffset) = location else { return TorchStorage(declared: type, count: elements) }
        return TorchStorage(type: type, count: elements, file: file, byteOffset: byteOffset)!
    }

    /// The tensor `shape` with element strides `strides` starting at element
    /// `offset`: a zero-copy view when row-major contiguous, otherwise an owned
    /// contiguous copy. Nil (after the same checks) while the storage is only declared.
    ///
    /// The largest element touched is offset + Σ (shape[i] - 1) · strides[i],
    /// which must lie inside the storage.
    func tensor(offset: Int, shape: [Int], strides: [Int]) throws -> Tensor? {
        guard let dtype = type.dtype else { guaranteeFailure("tensor over a \(type.name) (the caller refuses these)") }
        guard shape.count == strides.count else {
            throw PickleError("tensor size \(MessageText.numbers(shape)) and stride \(MessageText.numbers(strides)) differ in rank")
        }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw PickleError("negative storage offset, size or stride (offset \(offset), size \(MessageText.numbers(shape)), stride \(MessageText.numbers(strides)))")
        }
        guard let elements = Checked.product(shape), let bytes = Checked.multiply(elements, dtype.size) else {
            throw PickleError("tensor size \(MessageText.numbers(shape)) overflows")
        }
        if elements == 0 { return location == nil ? nil : Tensor(zeros: shape, dtype: dtype) }
        var last = offset
        for (size, stride) in zip(shape, strides) {
            guard let step = Checked.multiply(size - 1, stride), let next = Checked.add(last, step) else {
                throw PickleError("tensor size \(MessageText.numbers(shape)) with stride \(MessageText.numbers(strides)) overflows")
            }
            last = next
        }
        guard last < count else {
            throw PickleError("tensor of size \(MessageText.numbers(shape)), stride \(MessageText.numbers(strides)), offset \(offset) needs \(last + 1) elements but its storage holds \(count)")
        }
        let contiguous = isRowMajor(shape: shape, strides: strides)
        guard contiguous || bytes <= max(Checked.multiply(count, dtype.size) ?? 0, Self.maxCopyBytes) else {
            throw PickleError("strided tensor of size \(MessageText.numbers(shape)) would copy \(bytes) bytes from a storage of \(count) elements")
        }
        guard let (file, byteOffset) = location else { return nil }
        let start = byteOffset + offset * dtype.size
        if contiguous {
            return Tensor(dtype: dtype, shape: shape, storage: Storage(file: file, range: start..<(start + bytes)))
        }
        return gather(from: file.bytes.baseAddress! + start, dtype: dtype, shape: shape, strides: strides, byteCount: bytes)
    }

    /// True when `strides` are the row-major strides of `shape` (dims of size 1 may have any stride).
    private func isRowMajor(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// An owned contiguous copy of a strided view; walks the index like an odometer.
    private func gather(from base: UnsafeRawPointer, dtype: DType, shape: [Int], strides: [Int], byteCount: Int) -> Tensor {
        let out = Storage(byteCount: byteCount)
        let dst = out.mutableBytes.baseAddress!
        let size = dtype.size
        var index = [Int](repeating: 0, count: shape.count)
        var source = 0  // element offset of `index` from base
        for element in 0..<(byteCount / size) {
            (dst + element * size).copyMemory(from: base + source * size, byteCount: size)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                source += strides[axis]
                if index[axis] < shape[axis] { break }
                source -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(dtype: dtype, shape: shape, storage: out)
    }
}
