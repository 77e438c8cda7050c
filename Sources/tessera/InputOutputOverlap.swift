import Foundation

/// Refuses an output that would replace or hold one of the command's inputs
/// (`preprocess x.png -o x.png`, `embed … --tile-encoder m.safetensors -o
/// m.safetensors`): the atomic rename would destroy the input the user still
/// needs. Files are compared by device and inode after following symbolic
/// links, so another name for the same file (a link, `./x`, a hard link) is
/// caught too. An output that does not exist yet overlaps nothing.
enum InputOutputOverlap {
    /// One input of a command: the option that named it (or the argument's
    /// name) and its path.
    struct Input {
        let option: String
        let path: String
        init(_ option: String, _ path: String) {
            self.option = option
            self.path = path
        }
    }

    /// Throws when the output file `output` is one of `inputs`. An input that
    /// is a folder (a model folder, a distillation run) stands for every
    /// regular file directly inside it, since the loader reads some of them.
    static func checkFile(_ output: String, option: String = "-o", inputs: [Input]) throws {
        guard let target = identity(output) else { return }
        for input in inputs {
            guard let found = identity(input.path) else { continue }
            if found == target {
                throw CLIMessage("\(option) \(output) is the input \(input.option) \(input.path); "
                                 + "write the output to another file (it would replace its own input)")
            }
            guard found.isFolder else { continue }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: input.path)) ?? []
            for name in names where identity(input.path + "/" + name) == target {
                throw CLIMessage("\(option) \(output) is \(name) of the input \(input.option) \(input.path); "
                                 + "write the output to another file (it would replace its own input)")
            }
        }
    }

    /// Throws when the output folder `output` is one of `inputs`, holds one at
    /// any depth, or lies inside one of `enclosing` (a data folder, whose
    /// listing the run's files would join).
    static func checkFolder(_ output: String, option: String = "-o", inputs: [Input], enclosing: [Input] = []) throws {
        let folder = canonical(output)
        for input in inputs {
            guard let path = canonicalExisting(input.path) else { continue }
            if path == folder || path.hasPrefix(folder == "/" ? "/" : folder + "/") {
                throw CLIMessage("\(option) \(output) \(path == folder ? "is" : "holds") the input \(input.option) "
                                 + "\(input.path); choose a run folder apart from the inputs")
            }
        }
        for input in enclosing {
            guard let path = canonicalExisting(input.path), folder.hasPrefix(path == "/" ? "/" : path + "/") else { continue }
            throw CLIMessage("\(option) \(output) lies inside the input \(input.option) \(input.path); "
                             + "choose a run folder apart from the inputs")
        }
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
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), isFolder: info.st_mode & S_IFMT == S_IFDIR)
    }

    /// `path` with links and `.`/`..` resolved, nil when it does not exist.
    private static func canonicalExisting(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` resolved as far as it exists: its nearest existing ancestor
    /// canonical, the missing rest appended as given.
    private static func canonical(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var existing = absolute
        var rest: [String] = []
        while canonicalExisting(existing) == nil, existing != "/" {
            let url = URL(fileURLWithPath: existing)
            rest.insert(url.lastPathComponent, at: 0)
            existing = url.deletingLastPathComponent().path
        }
        let base = canonicalExisting(existing) ?? "/"
        let joined = ([base == "/" ? "" : base] + rest.filter { $0 != "." && !$0.isEmpty }).joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }
}
