import TesseraCore

extension Checkpoint.Format {
    /// The format by the file's first bytes (see `torch(_:)`), or a JSON object
    /// after the 8-byte length of a safetensors header.
    public static func detect(_ file: MappedFile) throws -> Checkpoint.Format {
        let bytes = file.bytes
        if let format = torch(bytes) { return format }
        if bytes.count >= 9, bytes[8] == UInt8(ascii: "{") { return .safetensors }
        throw FormatError(path: file.path, offset: 0, problem: .unknownFormat)
    }

    /// `.torchZip` for a zip local header (`PK\3\4`, or `PK\5\6` for an empty
    /// archive), `.torchLegacy` for a pickle protocol opcode (0x80, which legacy
    /// `torch.save` files start with), nil otherwise.
    static func torch(_ bytes: UnsafeRawBufferPointer) -> Checkpoint.Format? {
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B,
           (bytes[2], bytes[3]) == (3, 4) || (bytes[2], bytes[3]) == (5, 6) {
            return .torchZip
        }
        if bytes.count >= 2, bytes[0] == 0x80 { return .torchLegacy }
        return nil
    }
}
