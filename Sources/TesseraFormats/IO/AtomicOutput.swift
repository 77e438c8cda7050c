/// Files made outside this module (bundles) written the way this module writes its own:
/// through `AtomicFile` (a temporary file in the destination's folder, fsync, rename).
public enum AtomicOutput {
    /// Writes the file at `path` from `produce`, which hands the file's bytes to its sink in
    /// order, in pieces. On any error the destination is left untouched.
    public static func write(to path: String,
                             _ produce: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try AtomicFile.write(to: path) { file in try produce(file.write) }
    }
}
