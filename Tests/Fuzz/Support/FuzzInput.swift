#if canImport(Glibc)
import Glibc
#endif
import TesseraCore
@testable import TesseraFormats
@testable import TesseraIO

/// What every harness does with one input: hands it to a reader as a file,
/// touches every byte of what was accepted (so that ASan sees a read past a
/// mapping), and stops the run on an error the readers must never throw.
enum FuzzInput {
    /// One scratch file in /dev/shm, unlinked at once and reopened through
    /// /proc, rewritten for each input: readers that map their input see
    /// exactly the fuzzed bytes and nothing is left behind when the run ends.
    private static let descriptor: Int32 = {
        let name = "/dev/shm/tessera-fuzz-\(getpid())"
        let fd = open(name, O_RDWR | O_CREAT | O_EXCL, 0o600)
        precondition(fd >= 0, "cannot create \(name)")
        unlink(name)
        return fd
    }()

    static func file(_ data: UnsafePointer<UInt8>, _ size: Int) -> MappedFile {
        do {
            return try MappedFile(path: path(data, size))
        } catch {
            fatalError("cannot map the fuzz input: \(error)")
        }
    }

    /// The scratch file's path, the input written into it: for readers that open a path.
    static func path(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
        precondition(pwrite(descriptor, data, size, 0) == size && ftruncate(descriptor, off_t(size)) == 0)
        return "/proc/self/fd/\(descriptor)"
    }

    /// Reads every byte of every tensor and returns their sum (so the reads stay).
    @discardableResult
    static func touch(_ dict: StateDict) -> UInt64 {
        var sum: UInt64 = 0
        for (_, tensor) in dict.entries {
            for byte in tensor.bytes { sum &+= UInt64(byte) }
        }
        return sum
    }

    /// What the reader accepted, the writer must write as a header the reader
    /// accepts again, with the same names (unless the writer refuses it: a
    /// tensor named `__metadata__`).
    static func checkHeaderRoundTrip(_ dict: StateDict) {
        guard dict[SafeTensors.metadataKey] == nil else { return }
        let tensors = dict.entries
        let sizes = tensors.map { $0.tensor.count * $0.tensor.dtype.size }
        let header = SafeTensors.headerBytes(names: tensors.map(\.name), shapes: tensors.map(\.tensor.shape),
                                             dtypes: tensors.map(\.tensor.dtype), sizes: sizes, metadata: dict.metadata)
        do {
            let parsed = try header.withUnsafeBytes {
                try SafeTensorsHeader(json: $0, path: "round trip", dataStart: 8 + header.count, dataSize: sizes.reduce(0, +))
            }
            precondition(Set(parsed.entries.map(\.name)) == Set(dict.names), "the names changed on the way")
        } catch {
            fatalError("the reader refuses the header the writer makes: \(error)")
        }
    }

    /// The run stops here: a reader threw something other than its own error type.
    static func untyped(_ error: Error) -> Never {
        fatalError("untyped error \(type(of: error)): \(error)")
    }
}
