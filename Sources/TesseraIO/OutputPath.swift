import CPosix

/// Where an output file may go. Outputs are regular files only: a symbolic
/// link is followed to the file it names (which is then replaced, the link
/// kept), and a directory, device, FIFO or socket is refused, so that
/// `-o /dev/full` never replaces the device node with a file.
public enum OutputPath {
    /// The check every command and the C interface run on an output file before
    /// any work: `path` (named `option` by the caller) can take a regular file
    /// (`checkWritable`) and is none of `inputs`, under any name
    /// (`InputOutputOverlap`), nor a new file inside one of `enclosing` (folders
    /// whose every file their reader takes, as a teacher cache's), so that a bad
    /// output fails at once and leaves the inputs untouched.
    public static func check(_ path: String, option: String, inputs: [InputOutputOverlap.Input],
                             enclosing: [InputOutputOverlap.Input] = []) throws(OutputError) {
        do { try checkWritable(path) } catch { throw OutputError(option: option, path: path, problem: .unwritable(error)) }
        try InputOutputOverlap.checkFile(path, option: option, inputs: inputs, enclosing: enclosing)
    }

    /// Checks, without writing anything, that `path` can take an output file:
    /// its folder exists and is writable, and it is (or links to) a regular
    /// file or nothing yet. Meant to run before any long work.
    public static func checkWritable(_ path: String) throws(FormatError) {
        _ = try target(of: path)
    }

    /// The file `path` names once symbolic links are followed, checked as
    /// `checkWritable` says.
    static func target(of path: String) throws(FormatError) -> String {
        var current = path
        for _ in 0..<40 {  // Linux's own bound on links followed (ELOOP)
            var info = stat()
            guard lstat(current, &info) == 0 else {
                // Nothing there yet; when the folder is the problem (ENOTDIR, ...), its check says so.
                let e = tessera_errno()
                guard e == ENOENT || e == ENOTDIR else {
                    throw FormatError(path: path, problem: .io(operation: "stat", errno: e))
                }
                try checkFolder(of: current, for: path)
                return current
            }
            let type = info.st_mode & mode_t(S_IFMT)
            if type == mode_t(S_IFREG) {
                try checkFolder(of: current, for: path)
                return current
            }
            guard type == mode_t(S_IFLNK) else { throw FormatError(path: path, problem: .notAnOutputFile(kind: kind(of: type))) }
            current = try linkTarget(current, for: path)
        }
        throw FormatError(path: path, problem: .io(operation: "follow symbolic links", errno: ELOOP))
    }

    /// The folder a file at `path` goes into ("" for the working directory, else ending in "/").
    static func folder(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
    }

    /// The folder must be a directory this process may create files in.
    private static func checkFolder(of file: String, for path: String) throws(FormatError) {
        let folder = folder(of: file)
        let name = folder.isEmpty ? "." : folder
        var info = stat()
        guard stat(name, &info) == 0 else {
            throw FormatError(path: path, problem: .io(operation: "open the output folder \(name)", errno: tessera_errno()))
        }
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR) else {
            throw FormatError(path: path, problem: .io(operation: "open the output folder \(name)", errno: ENOTDIR))
        }
        guard access(name, W_OK | X_OK) == 0 else {
            throw FormatError(path: path, problem: .io(operation: "write into the output folder \(name)", errno: tessera_errno()))
        }
    }

    /// What the link at `link` points to, relative to the link's folder unless absolute.
    private static func linkTarget(_ link: String, for path: String) throws(FormatError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(link, &buffer, buffer.count - 1)
        guard length >= 0 else { throw FormatError(path: path, problem: .io(operation: "read symbolic link \(link)", errno: tessera_errno())) }
        let target = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.hasPrefix("/") ? target : folder(of: link) + target
    }

    private static func kind(of type: mode_t) -> String {
        switch type {
        case mode_t(S_IFDIR): return "directory"
        case mode_t(S_IFCHR): return "character device"
        case mode_t(S_IFBLK): return "block device"
        case mode_t(S_IFIFO): return "FIFO"
        case mode_t(S_IFSOCK): return "socket"
        default: return "special file"
        }
    }
}
