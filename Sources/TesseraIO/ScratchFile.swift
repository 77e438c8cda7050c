import CPosix

/// A file that lives only while this process needs it (a spool of
/// intermediate results), cleaned up as the atomic writer's temporaries are:
/// named by `TemporaryName`, removed when released, on SIGINT, SIGTERM and
/// SIGHUP (`PendingRemovals`), and, after a crash or SIGKILL, by the next
/// scratch file or atomic write in the same folder.
public final class ScratchFile {
    public let path: String
    private let pending: Int?

    /// Creates an empty scratch file in `folder` ("" for the working
    /// directory), first removing the stale ones of dead processes there.
    public init(folder: String) throws(FormatError) {
        let prefix = folder.isEmpty || folder.hasSuffix("/") ? folder : folder + "/"
        TemporaryName.removeStale(in: prefix)
        path = prefix + TemporaryName.fresh().fileName
        pending = PendingRemovals.add(path)
        let descriptor = tessera_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let e = tessera_errno()
            pending.map(PendingRemovals.remove)
            throw FormatError(path: path, problem: .io(operation: "create scratch file", errno: e))
        }
        close(descriptor)
    }

    deinit {
        unlink(path)
        pending.map(PendingRemovals.remove)
    }
}
