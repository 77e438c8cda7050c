import CPosix

/// Checks, before any work, that a run folder (`tessera distill -o RUN`,
/// `--resume RUN`) can take the run's files, so that a typo or a read-only
/// folder fails at once and not after the teacher has run for hours.
public enum RunFolderCheck {
    /// A new run: `path` is a writable folder, or does not exist yet and its
    /// parent is a writable folder (the run folder is created there).
    public static func checkNew(_ path: String, option: String) throws(OutputError) {
        var info = stat()
        if stat(path, &info) == 0 {
            try checkWritableFolder(path, info: info, option: option, what: "the run folder", about: path)
            return
        }
        let e = tessera_errno()
        guard e == ENOENT || e == ENOTDIR else { throw failure(option, path, "cannot be looked up (\(describe(e)))") }
        let parent = parent(of: path)
        guard stat(parent, &info) == 0 else {
            let e = tessera_errno()
            throw failure(option, path, "cannot be created: its folder \(parent) "
                                        + (e == ENOENT ? "does not exist" : "cannot be looked up (\(describe(e)))"))
        }
        try checkWritableFolder(parent, info: info, option: option, what: "its folder \(parent)", about: path)
    }

    /// A run to resume: `path` is a writable folder.
    public static func checkExisting(_ path: String, option: String) throws(OutputError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure(option, path, "cannot be opened (\(describe(tessera_errno())))") }
        try checkWritableFolder(path, info: info, option: option, what: "the run folder", about: path)
    }

    private static func checkWritableFolder(_ folder: String, info: stat, option: String, what: String,
                                            about path: String) throws(OutputError) {
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR) else { throw failure(option, path, "is not usable: \(what) is not a folder") }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw failure(option, path, "is not usable: \(what) is not writable (\(describe(tessera_errno())))")
        }
    }

    /// The folder holding `path` (trailing slashes ignored): "." for a bare name, "/" at the root.
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    private static func failure(_ option: String, _ path: String, _ problem: String) -> OutputError {
        OutputError(option: option, path: path, problem: .unusableFolder(problem))
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
