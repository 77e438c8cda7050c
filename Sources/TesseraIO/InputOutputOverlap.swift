import CPosix

/// Refuses an output that would replace or hold one of its command's inputs
/// (`preprocess x.png -o x.png`, `tessera-edge run s.tsb slide -o s.tsb`): the
/// atomic rename would destroy the input the user still needs. Files are
/// compared by device and inode after following symbolic links, so another
/// name for the same file (a link, `./x`, a hard link) is caught too. An
/// output that does not exist yet overlaps nothing.
public enum InputOutputOverlap {
    /// One input of a command: the name its caller gave it (an option, an
    /// argument's name, a C parameter) and its path.
    public struct Input: Equatable {
        public let option: String
        public let path: String
        public init(_ option: String, _ path: String) {
            self.option = option
            self.path = path
        }
    }

    /// Throws when the output file `output` is one of `inputs`. An input that
    /// is a folder (a slide folder, a model folder, a distillation run) stands
    /// for every file inside it at any depth, since its reader reads some of them
    /// (a run's `teacher_cache/*`, a model folder's files), and for what the
    /// entries directly inside it link to. A new file may go into an input folder
    /// (beside a slide's tiles), but not into one of `enclosing`, whose reader
    /// takes every file it holds: the next read would take the output for one.
    static func checkFile(_ output: String, option: String, inputs: [Input], enclosing: [Input] = []) throws(OutputError) {
        if let target = identity(output) { try checkExisting(output, target, option: option, inputs: inputs) }
        try checkOutside(enclosing, output, at: canonical(output), option: option)
    }

    /// `checkFile` for an output that exists already (`target`).
    private static func checkExisting(_ output: String, _ target: Identity, option: String, inputs: [Input]) throws(OutputError) {
        let resolved = canonicalExisting(output)
        for input in inputs {
            guard let found = identity(input.path) else { continue }
            if found == target {
                throw OutputError(option: option, path: output, problem: .replacesInput(input, member: nil))
            }
            guard found.isFolder else { continue }
            if let resolved, let folder = canonicalExisting(input.path),
               isInside(resolved, folder) {
                let member = String(resolved.dropFirst(folder == "/" ? 1 : folder.count + 1))
                throw OutputError(option: option, path: output, problem: .replacesInput(input, member: member))
            }
            guard let names = try? FolderListing.names(in: input.path) else { continue }
            for name in names where identity(input.path + "/" + name) == target {
                throw OutputError(option: option, path: output, problem: .replacesInput(input, member: name))
            }
        }
    }

    /// Throws when the output folder `output` is one of `inputs`, holds one at
    /// any depth, or lies inside one of `enclosing` (a data folder, whose
    /// listing the output's files would join).
    public static func checkFolder(_ output: String, option: String, inputs: [Input], enclosing: [Input] = []) throws(OutputError) {
        let folder = canonical(output)
        for input in inputs {
            guard let path = canonicalExisting(input.path) else { continue }
            if path == folder || isInside(path, folder) {
                throw OutputError(option: option, path: output, problem: .holdsInput(input, same: path == folder))
            }
        }
        try checkOutside(enclosing, output, at: folder, option: option)
    }

    /// Throws when `output`, at `location` (`canonical(output)`), lies inside one of `enclosing`.
    private static func checkOutside(_ enclosing: [Input], _ output: String, at location: String, option: String) throws(OutputError) {
        for input in enclosing {
            guard let folder = canonicalExisting(input.path), isInside(location, folder) else { continue }
            throw OutputError(option: option, path: output, problem: .insideInput(input))
        }
    }

    /// Whether the canonical `path` lies below the canonical `folder`.
    private static func isInside(_ path: String, _ folder: String) -> Bool {
        path.hasPrefix(folder == "/" ? "/" : folder + "/")
    }

    private struct Identity: Equatable {
        let device: UInt64
        let inode: UInt64
        let isFolder: Bool
    }

    /// Device and inode of what `path` names once links are followed; nil when nothing is there.
    private static func identity(_ path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
                        isFolder: info.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR))
    }

    /// `path` with links and `.`/`..` resolved, nil when it does not exist.
    private static func canonicalExisting(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` resolved as far as it exists: its nearest existing ancestor
    /// canonical, the missing rest appended as given.
    static func canonical(_ path: String) -> String {
        var existing = (path.hasPrefix("/") ? "" : currentFolder()).split(separator: "/") + path.split(separator: "/")
        var rest: [Substring] = []
        while let last = existing.last, canonicalExisting("/" + existing.joined(separator: "/")) == nil {
            rest.insert(last, at: 0)
            existing.removeLast()
        }
        let base = canonicalExisting("/" + existing.joined(separator: "/")) ?? "/"
        let joined = ([base == "/" ? "" : base] + rest.filter { $0 != "." }.map { String($0) }).joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }

    /// The working directory ("/" in the unlikely case that it cannot be named).
    private static func currentFolder() -> String {
        guard let folder = getcwd(nil, 0) else { return "/" }
        defer { free(folder) }
        return String(cString: folder)
    }
}
