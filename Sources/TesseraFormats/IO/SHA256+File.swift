import TesseraCore

extension SHA256 {
    /// The SHA-256 of a whole file, read through a memory mapping.
    public static func hex(ofFile path: String) throws -> String {
        let file = try MappedFile.checked(path)
        var hasher = SHA256()
        hasher.update(file.bytes)
        return hasher.finalize()
    }
}
