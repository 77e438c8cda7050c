import CHDF5
import Foundation
import TesseraCore

/// An HDF5 file opened read-only through libhdf5: the shapes and element kinds of its
/// datasets, and their values converted to f32 or f64 by the library (`H5Dread` into a native
/// type). The library parses the file itself (superblock, object headers, B-trees, filters),
/// so a crafted file reaches C code Tessera does not control; what comes back is validated
/// here (ranks, extents, element kinds) and by the caller (shapes, values, size limits)
/// before anything is allocated from it.
///
/// Every handle opened is closed on every path; the file itself in `deinit`. Debian's serial
/// libhdf5 is not thread-safe, so every call into it holds one process-wide lock.
final class HDF5File {
    /// What a dataset's elements are, as stored.
    enum Element: Equatable {
        case integer(bytes: Int)
        case float(bytes: Int)
        /// Strings, compounds, references...: the HDF5 class, for messages.
        case other(String)
    }

    /// A dataset's name, extent (dims; [] for a scalar) and stored element kind.
    struct Dataset {
        let name: String
        let shape: [Int]
        let element: Element
    }

    let path: String
    private let id: hid_t

    /// The library's own calls, one at a time (see the type's comment). Recursive: `deinit`
    /// may run while a method holds it.
    private static let lock = NSRecursiveLock()
    /// Set once before the first call: the library never prints its error stack.
    private static let silenced: Void = tessera_h5_silence()

    /// Opens `path` read-only; an error names the file and what libhdf5 found wrong.
    init(path: String) throws(FinetuneError) {
        self.path = path
        Self.lock.lock()
        defer { Self.lock.unlock() }
        _ = Self.silenced
        let id = H5Fopen(path, tessera_h5_read_only(), tessera_h5_default())
        guard id >= 0 else { throw Self.failure(path, "not a readable HDF5 file") }
        self.id = id
    }

    deinit {
        Self.lock.lock()
        H5Fclose(id)
        Self.lock.unlock()
    }

    /// The dataset `name` at the file's root; nil when there is no such link.
    func dataset(_ name: String) throws(FinetuneError) -> Dataset? {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        let exists = H5Lexists(id, name, tessera_h5_default())
        if exists == 0 { return nil }
        guard exists > 0 else { throw Self.failure(path, "dataset '\(name)': cannot be looked up") }
        return try withDataset(name) { (dataset: hid_t) throws(FinetuneError) in
            Dataset(name: name, shape: try extent(dataset, name), element: try element(dataset, name))
        }
    }

    /// Every value of `dataset` converted by libhdf5 to `dtype` (.f32 or .f64), in row-major
    /// order, shaped as `dataset.shape`. The extent is read again first and must still be
    /// `dataset.shape`: the caller sized (and limited) the allocation by it.
    func read(_ dataset: Dataset, as dtype: DType) throws(FinetuneError) -> Tensor {
        guarantee(dtype == .f32 || dtype == .f64, "HDF5File.read as \(dtype)")
        Self.lock.lock()
        defer { Self.lock.unlock() }
        return try withDataset(dataset.name) { (handle: hid_t) throws(FinetuneError) in
            let shape = try extent(handle, dataset.name)
            guard shape == dataset.shape else {
                throw FinetuneError.badInput(file: path, reason: "dataset '\(dataset.name)' changed its shape while being read")
            }
            let tensor = Tensor(zeros: shape, dtype: dtype)
            guard let buffer = tensor.storage.mutableBytes.baseAddress else { return tensor }  // no elements
            let memoryType = dtype == .f32 ? tessera_h5_native_float() : tessera_h5_native_double()
            guard H5Dread(handle, memoryType, tessera_h5_all(), tessera_h5_all(), tessera_h5_default(), buffer) >= 0 else {
                throw Self.failure(path, "dataset '\(dataset.name)': its values cannot be read as \(dtype)")
            }
            return tensor
        }
    }

    /// `body(handle)` of the open dataset `name`, closed after (the lock held by the caller).
    private func withDataset<R>(_ name: String, _ body: (hid_t) throws(FinetuneError) -> R) throws(FinetuneError) -> R {
        let handle = H5Dopen2(id, name, tessera_h5_default())
        guard handle >= 0 else { throw Self.failure(path, "'\(name)' cannot be opened as a dataset") }
        defer { H5Dclose(handle) }
        return try body(handle)
    }

    /// The dataset's dims: [] for a scalar or empty (null) dataspace.
    private func extent(_ dataset: hid_t, _ name: String) throws(FinetuneError) -> [Int] {
        let space = H5Dget_space(dataset)
        guard space >= 0 else { throw Self.failure(path, "dataset '\(name)': no dataspace") }
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard (0...Int(H5S_MAX_RANK)).contains(rank) else { throw Self.failure(path, "dataset '\(name)': unreadable rank") }
        var dims = [hsize_t](repeating: 0, count: rank)
        guard rank == 0 || H5Sget_simple_extent_dims(space, &dims, nil) == rank else {
            throw Self.failure(path, "dataset '\(name)': unreadable dims")
        }
        // hsize_t is 64 bits unsigned: a dim past Int.max would wrap negative.
        var shape: [Int] = []
        for dim in dims {
            guard let value = Int(exactly: dim) else {
                throw FinetuneError.badInput(file: path, reason: "dataset '\(name)': dim \(dim) is past \(Int.max)")
            }
            shape.append(value)
        }
        return shape
    }

    /// The stored element kind of the dataset.
    private func element(_ dataset: hid_t, _ name: String) throws(FinetuneError) -> Element {
        let type = H5Dget_type(dataset)
        guard type >= 0 else { throw Self.failure(path, "dataset '\(name)': no datatype") }
        defer { H5Tclose(type) }
        let bytes = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_INTEGER: return .integer(bytes: bytes)
        case H5T_FLOAT: return .float(bytes: bytes)
        case H5T_STRING: return .other("strings")
        case H5T_COMPOUND: return .other("a compound type")
        case H5T_ENUM: return .other("an enum type")
        case H5T_BITFIELD: return .other("a bitfield")
        case H5T_OPAQUE: return .other("an opaque type")
        case H5T_REFERENCE: return .other("references")
        case H5T_VLEN: return .other("variable-length sequences")
        case H5T_ARRAY: return .other("an array type")
        case H5T_TIME: return .other("a time type")
        default: throw Self.failure(path, "dataset '\(name)': unreadable datatype")
        }
    }

    /// A badInput naming `path` and `what`, with the library's most specific message when it
    /// left one (the error stack is cleared).
    private static func failure(_ path: String, _ what: String) -> FinetuneError {
        var message = tessera_h5_message()
        tessera_h5_last_error(&message)
        let detail = withUnsafeBytes(of: &message.text) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return .badInput(file: path, reason: detail.isEmpty ? what : "\(what): libhdf5: \(detail)")
    }
}
