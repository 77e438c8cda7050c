import Foundation

/// Checks, before any work, that a run folder (`tessera distill -o RUN`,
/// `--resume RUN`) can take the run's files, so that a typo or a read-only
/// folder fails at once and not after the teacher has run for hours.
enum RunFolderCheck {
    /// A new run: `path` is a writable folder, or does not exist yet and its
    /// parent is a writable folder (the run folder is created there).
    static func checkNew(_ path: String, option: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            try checkWritableFolder(path, info: info, option: option, what: "the run folder")
            return
        }
        guard errno == ENOENT || errno == ENOTDIR else { throw failure(option, path, "cannot be looked up (\(describe(errno)))") }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard stat(parent, &info) == 0 else {
            throw failure(option, path, "cannot be created: its folder \(parent) \(errno == ENOENT ? "does not exist" : "cannot be looked up (\(describe(errno)))")")
        }
        try checkWritableFolder(parent, info: info, option: option, what: "its folder \(parent)", about: path)
    }

    /// A run to resume: `path` is a writable folder.
    static func checkExisting(_ path: String, option: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure(option, path, "cannot be opened (\(describe(errno)))") }
        try checkWritableFolder(path, info: info, option: option, what: "the run folder")
    }

    private static func checkWritableFolder(_ folder: String, info: stat, option: String, what: String, about path: String? = nil) throws {
        let path = path ?? folder
        guard info.st_mode & S_IFMT == S_IFDIR else { throw failure(option, path, "is not usable: \(what) is not a folder") }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw failure(option, path, "is not usable: \(what) is not writable (\(describe(errno)))")
        }
    }

    private static func failure(_ option: String, _ path: String, _ problem: String) -> CLIMessage {
        CLIMessage("\(option) \(path) \(problem); expected a folder this user can write into")
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
