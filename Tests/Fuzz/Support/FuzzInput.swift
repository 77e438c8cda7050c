#if canImport(Glibc)
import Glibc
#endif
import TesseraCore

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
        precondition(pwrite(descriptor, data, size, 0) == size && ftruncate(descriptor, off_t(size)) == 0)
        do {
            return try MappedFile(path: "/proc/self/fd/\(descriptor)")
        } catch {
            fatalError("cannot map the fuzz input: \(error)")
        }
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

    /// The run stops here: a reader threw something other than its own error type.
    static func untyped(_ error: Error) -> Never {
        fatalError("untyped error \(type(of: error)): \(error)")
    }
}
