import TesseraCore

/// The pre-zip `torch.save` format (`_use_new_zipfile_serialization=False`):
/// five pickles back to back — magic number, protocol version, sys_info, the
/// object (whose persistent ids name storages), the storage keys — then each
/// storage's bytes in key order, each preceded by its element count (u64).
enum LegacyTorch {
    /// 0x1950a86a20f9469cfc6c as LONG1 stores it (little-endian).
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion: Int64 = 1001

    /// The object's storages are located only after its pickle (their element
    /// sizes come from it), so the object is unpickled twice: once to learn the
    /// storages' types and sizes, once to build tensors over their bytes.
    static func read(_ file: MappedFile, limits: PickleLimits) throws -> PickleValue {
        let bytes = file.bytes
        func fail(_ message: String) -> TorchCheckpointError { TorchCheckpointError(path: file.path, message: "legacy format: " + message) }
        func unpickle(_ part: String, at start: Int, _ load: @escaping Unpickler.PersistentLoad = { _ in throw PickleError("unexpected persistent id") })
            throws -> (PickleValue, end: Int) {
            var unpickler = Unpickler(bytes: bytes, startingAt: start, limits: limits, persistentLoad: load)
            do { return (try unpickler.load(), unpickler.endOffset) } catch let error as PickleError {
                throw fail("\(part) pickle: \(error)")
            }
        }

        let (magicValue, afterMagic) = try unpickle("magic number", at: 0)
        guard case .bigInt(let number) = magicValue, number == magic else { throw fail("not a torch file: wrong magic number") }
        let (version, afterVersion) = try unpickle("protocol version", at: afterMagic)
        guard case .int(protocolVersion) = version else { throw fail("unsupported legacy protocol version \(version)") }
        let (systemInfo, objectStart) = try unpickle("sys_info", at: afterVersion)
        guard case .bool(true) = systemInfo["little_endian"] ?? .none else { throw fail("big-endian checkpoints are not supported") }

        var declared: [String: TorchStorage] = [:]
        let (_, keysStart) = try unpickle("object", at: objectStart, StorageReference.loader { reference in
            let root = declared[reference.key] ?? TorchStorage(declared: reference.type, count: reference.count)
            declared[reference.key] = root
            return try view(reference, of: root)
        })
        let (keysValue, dataStart) = try unpickle("storage keys", at: keysStart)
        guard let keys = keysValue.items?.compactMap(\.string), keys.count == keysValue.items?.count else {
            throw fail("storage keys are a \(keysValue.kind), not a list of strings")
        }

        var located: [String: TorchStorage] = [:]
        var position = dataStart
        for key in keys {
            guard let storage = declared.removeValue(forKey: key) else {
                throw fail("storage key '\(MessageText.excerpt(key))' is listed twice or never used by the object")
            }
            guard let fileCount = bytes.littleEndian(UInt64.self, at: position) else {
                throw fail("storage '\(MessageText.excerpt(key))' element count at byte \(position) runs past the end of the file")
            }
            guard fileCount == UInt64(storage.count) else {
                throw fail("storage '\(MessageText.excerpt(key))' at byte \(position): the file holds \(fileCount) elements, the object declares \(storage.count)")
            }
            guard let locatedStorage = TorchStorage(type: storage.type, count: storage.count, file: file, byteOffset: position + 8) else {
                throw fail("storage '\(MessageText.excerpt(key))': \(storage.count) \(storage.type.torchName) elements at byte \(position + 8) run past the end of the file (\(bytes.count) bytes)")
            }
            located[key] = locatedStorage
            position += 8 + storage.count * storage.type.elementSize
        }
        if let missing = declared.keys.first { throw fail("storage '\(MessageText.excerpt(missing))' is used by the object but has no data") }

        return try unpickle("object", at: objectStart, StorageReference.loader { reference in
            guard let root = located[reference.key] else { throw PickleError("storage '\(MessageText.excerpt(reference.key))' has no data") }
            return try view(reference, of: root)
        }).0
    }

    /// The storage a reference names: its root storage, or the view its metadata describes.
    private static func view(_ reference: StorageReference, of root: TorchStorage) throws -> TorchStorage {
        guard let view = reference.view else { return root }
        return try root.slice(offset: view.offset, count: view.count)
    }
}
