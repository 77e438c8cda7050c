import TesseraCore

extension SafeTensors {
    /// The `__metadata__` strings of the safetensors file at `path`, after checking that the file
    /// is whole and valid (`SafeTensorsHeader`: every tensor's entry, and data that tile the file to
    /// its end: a file cut short, or grown, is refused). What a resumed dataset run asks of an
    /// earlier output before skipping its slide; embeddable.
    public static func metadata(ofFileAt path: String) throws(FormatError) -> [String: String] {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw FormatError(path: path, problem: .notARegularFile) }
        return try SafeTensorsHeader(file: file.bytes, path: path).metadata
    }
}
