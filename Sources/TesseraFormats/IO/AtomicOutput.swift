import TesseraIO

/// Files made outside this module (bundles) written the way this module writes its own:
/// through `AtomicFile` (a temporary file in the destination's folder, fsync, rename).
public enum AtomicOutput {
    /// Writes the file at `path` from `produce`, which hands the file's bytes to its sink in
    /// order, in pieces. On any error the destination is left untouched (the uncommitted
    /// temporary file is removed with `file`).
    public static func write(to path: String,
                             _ produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let file = try AtomicFile(path: path)
        try produce(file.write)
        try file.commit()
    }

    /// Writes `text` (UTF-8) to `path`, atomically as above.
    public static func write(_ text: String, to path: String) throws {
        try write(to: path) { sink in try Array(text.utf8).withUnsafeBytes { try sink($0) } }
    }
}
