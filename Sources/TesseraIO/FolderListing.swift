import CPosix

/// The entries of a folder, "." and ".." left out, in the order the file system gives them
/// (callers sort): what slide folders and the cleanup of stale temporaries list.
public enum FolderListing {
    public static func names(in folder: String) throws(FormatError) -> [String] {
        guard let directory = opendir(folder) else {
            throw FormatError(path: folder, problem: .io(operation: "opendir", errno: tessera_errno()))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            // d_name is a fixed array of C characters ending at the first 0.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
