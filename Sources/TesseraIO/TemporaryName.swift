import CPosix

/// The name of an output's temporary file, `.tessera-tmp-HOST-PID-RANDOM`,
/// which tells a later run whether the file is a leftover: one of ours whose
/// writer (same host, that process id) is gone, after a crash or SIGKILL.
struct TemporaryName {
    static let prefix = ".tessera-tmp-"

    let host: String
    let pid: Int32
    let random: String

    var fileName: String { "\(Self.prefix)\(host)-\(pid)-\(random)" }

    /// A fresh name for this process.
    static func fresh() -> TemporaryName {
        TemporaryName(host: localHost, pid: getpid(), random: String(UInt64.random(in: 0...UInt64.max), radix: 36))
    }

    /// The parts of a file name made by `fresh`, nil for any other name.
    init?(fileName: String) {
        guard fileName.hasPrefix(Self.prefix) else { return nil }
        let parts = fileName.dropFirst(Self.prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid > 0, !parts[parts.count - 1].isEmpty else {
            return nil
        }
        self.init(host: parts.dropLast(2).joined(separator: "-"), pid: pid, random: String(parts[parts.count - 1]))
    }

    private init(host: String, pid: Int32, random: String) {
        self.host = host
        self.pid = pid
        self.random = random
    }

    /// True when the process that made this name is gone: made on this host
    /// (a folder shared over the network may hold other hosts' files, whose
    /// process ids mean nothing here) by a process id that no longer exists.
    var isStale: Bool {
        host == Self.localHost && pid != getpid() && kill(pid, 0) != 0 && tessera_errno() == ESRCH
    }

    /// Removes the stale temporaries in `folder` ("" for the working
    /// directory): regular files of this user whose name says their writer is gone.
    static func removeStale(in folder: String) {
        let directory = folder.isEmpty ? "." : folder
        guard let names = try? FolderListing.names(in: directory) else { return }
        for name in names where TemporaryName(fileName: name)?.isStale == true {
            let path = folder + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG), info.st_uid == geteuid() else { continue }
            unlink(path)
        }
    }

    /// The host name, with anything but letters, digits and dots replaced
    /// (it goes into a file name), at most 64 characters.
    static let localHost: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "host" }
        let name = String(cString: buffer).unicodeScalars.prefix(64).map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".": return Character(scalar)
            default: return "_"
            }
        }
        return name.isEmpty ? "host" : String(name)
    }()
}
