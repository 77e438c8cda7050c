import TesseraCore

/// The safetensors reader (the format and its writer: TesseraIO's `SafeTensors`).
extension SafeTensors {
    /// Maps the file and returns its tensors as zero-copy views, in data order.
    /// Everything is validated before the first tensor is made.
    public static func read(path: String) throws -> StateDict {
        try read(MappedFile.checked(path))
    }

    static func read(_ file: MappedFile) throws -> StateDict {
        let header = try SafeTensorsHeader(file: file.bytes, path: file.path)
        var dict = StateDict()
        dict.metadata = header.metadata
        for entry in header.entries {
            let range = (header.dataStart + entry.range.lowerBound)..<(header.dataStart + entry.range.upperBound)
            dict.set(entry.name, Tensor(dtype: entry.dtype, shape: entry.shape, storage: Storage(file: file, range: range)))
        }
        return dict
    }
}
