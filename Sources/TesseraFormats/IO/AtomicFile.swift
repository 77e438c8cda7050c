#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name in its destination's folder and
/// renamed into place on commit, so nobody ever sees a half-written file.
/// Dropped without commit (an error was thrown), the temporary file is removed.
final class AtomicFile {
    let path: String
    let temporaryPath: String
    private var descriptor: Int32

    /// Creates the temporary file, runs `body` on it and commits; on any error
    /// the temporary file is removed and the destination is left untouched.
    static func write(to path: String, _ body: (AtomicFile) throws -> Void) throws {
        let file = try AtomicFile(path: path)
        try body(file)
        try file.commit()
    }

    private init(path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporaryPath = folder + "." + name + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        // 0o666 filtered by the umask, as for any new file (mkstemp would give 0600).
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw FormatError(path: path, problem: .io(operation: "create temporary file", errno: errno)) }
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = systemWrite(descriptor, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatError(path: path, problem: .io(operation: "write", errno: errno))
            }
            done += n
        }
    }

    /// Flushes to disk, then renames over the destination.
    private func commit() throws {
        guard fsync(descriptor) == 0 else { throw FormatError(path: path, problem: .io(operation: "fsync", errno: errno)) }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else {
            let e = errno
            unlink(temporaryPath)
            throw FormatError(path: path, problem: .io(operation: "close", errno: e))
        }
        guard rename(temporaryPath, path) == 0 else {
            let e = errno
            unlink(temporaryPath)
            throw FormatError(path: path, problem: .io(operation: "rename", errno: e))
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
