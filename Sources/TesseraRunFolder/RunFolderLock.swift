import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One writer per folder: an advisory `flock` on `FOLDER/lock`, held while this object lives.
/// The file names its holder (`process PID on host HOST`) so that a second writer can say whom
/// it waits for. The kernel releases a flock when its process dies, however it dies: a lock file
/// left by a killed run is simply taken over, with no staleness guess. (flock is advisory and,
/// on some network file systems, local to each host.)
public final class RunFolderLock {
    public static let fileName = "lock"
    public let path: String
    private let descriptor: Int32

    /// Locks `folder` (which must exist), or throws naming the holder; `what` says what the
    /// folder is ("the run", "the teacher cache").
    public convenience init(folder: String, what: String) throws {
        try self.init(path: folder + "/" + Self.fileName, guarding: folder, what: what)
    }

    /// Locks with the lock file `path` what `guarded` names (a folder, or one file of a
    /// folder that several processes fill), or throws naming the holder.
    public init(path: String, guarding guarded: String, what: String) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunFolderError(path: path, problem: "cannot be opened to lock \(what) (\(Self.describe(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            guard code == EWOULDBLOCK else { throw RunFolderError(path: path, problem: "cannot lock \(what) (\(Self.describe(code)))") }
            let holder = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            throw RunFolderError(path: guarded, problem: "is in use: \(what) is being written by "
                                 + (holder.isEmpty ? "another process" : holder) + " (its lock: \(path)); one writer at a time: "
                                 + "wait for it to end, or stop it")
        }
        descriptor = fd
        let holder = Data("process \(getpid()) on host \(Self.host)\n".utf8)
        _ = ftruncate(fd, 0)
        _ = holder.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Closing the descriptor releases the lock.
    deinit { close(descriptor) }

    private static var host: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(cString: buffer)
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
