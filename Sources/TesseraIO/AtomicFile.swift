import CPosix

/// A file written under a temporary name in its destination's folder and
/// renamed into place on commit, so nobody ever sees a half-written file.
/// The destination must be a regular file or nothing yet (see `OutputPath`:
/// a symbolic link is followed, the file it names replaced). The temporary
/// file is removed when the object goes away uncommitted (any error on the
/// way), on SIGINT, SIGTERM and SIGHUP (`PendingRemovals`), and, after a
/// crash, by the next write into the same folder (`TemporaryName`).
public final class AtomicFile {
    public let path: String
    /// The file replaced on commit: `path` with symbolic links followed.
    let target: String
    let temporaryPath: String
    private var descriptor: Int32
    private let pending: Int?

    /// Creates the temporary file; `write` fills it, `commit` renames it into place.
    public init(path: String) throws(FormatError) {
        self.path = path
        target = try OutputPath.target(of: path)
        let folder = OutputPath.folder(of: target)
        TemporaryName.removeStale(in: folder)
        temporaryPath = folder + TemporaryName.fresh().fileName
        pending = PendingRemovals.add(temporaryPath)
        // 0o666 filtered by the umask, as for any new file (mkstemp would give 0600).
        descriptor = tessera_open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            let e = tessera_errno()
            pending.map(PendingRemovals.remove)
            throw FormatError(path: path, problem: .io(operation: "create temporary file", errno: e))
        }
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporaryPath)
        }
        pending.map(PendingRemovals.remove)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(FormatError) {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = CPosix.write(descriptor, base + done, bytes.count - done)
            if n < 0 {
                if tessera_errno() == EINTR { continue }
                throw FormatError(path: path, problem: .io(operation: "write", errno: tessera_errno()))
            }
            done += n
        }
    }

    /// Flushes to disk, checks the destination again (it may have been
    /// replaced by a directory or a device while we wrote), then renames over it.
    public func commit() throws(FormatError) {
        guard fsync(descriptor) == 0 else { throw FormatError(path: path, problem: .io(operation: "fsync", errno: tessera_errno())) }
        let closed = close(descriptor)
        descriptor = -1
        defer { unlink(temporaryPath) }  // a no-op once renamed
        guard closed == 0 else { throw FormatError(path: path, problem: .io(operation: "close", errno: tessera_errno())) }
        guard try OutputPath.target(of: path) == target else {
            throw FormatError(path: path, problem: .io(operation: "replace (the path changed while writing)", errno: EAGAIN))
        }
        guard rename(temporaryPath, target) == 0 else {
            throw FormatError(path: path, problem: .io(operation: "rename", errno: tessera_errno()))
        }
    }
}
