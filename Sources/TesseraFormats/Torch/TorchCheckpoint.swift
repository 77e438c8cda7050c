import TesseraCore

/// What is wrong with a torch checkpoint, and where (file, part, offset).
public struct TorchCheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { MessageText.capped("\(path): \(message)") }
}

/// Reader of `torch.save` files (zip and legacy formats). Never executes pickle code.
public enum TorchCheckpoint {
    /// The whole pickled object, tensors as views into the mapped file.
    public static func read(path: String, limits: PickleLimits = .standard) throws -> PickleValue {
        try read(MappedFile.checked(path), limits: limits)
    }

    /// The whole pickled object of an already mapped checkpoint.
    public static func read(_ file: MappedFile, limits: PickleLimits = .standard) throws -> PickleValue {
        switch Checkpoint.Format.torch(file.bytes) {
        case .torchZip: return try readZip(file, limits: limits)
        case .torchLegacy: return try LegacyTorch.read(file, limits: limits)
        case .safetensors, nil:
            let head = file.bytes.prefix(4).map { String($0, radix: 16) }
            throw TorchCheckpointError(path: file.path, message: "neither a zip nor a legacy torch checkpoint (starts with \(head))")
        }
    }

    /// The state dict of a checkpoint, found through its wrapper (see `StateDictWrappers`).
    public static func stateDict(path: String, key: String? = nil) throws -> StateDict {
        try found(path: path, key: key).stateDict
    }

    /// The state dict and how it was found (wrapper key, alternatives, stripped prefix).
    public static func found(path: String, key: String? = nil) throws -> FoundStateDict {
        try found(in: MappedFile.checked(path), key: key)
    }

    /// The state dict of an already mapped checkpoint and how it was found.
    public static func found(in file: MappedFile, key: String? = nil) throws -> FoundStateDict {
        let value = try read(file)
        do {
            return try StateDictWrappers.find(in: value, key: key)
        } catch let error as StateDictWrappers.Error {
            throw TorchCheckpointError(path: file.path, message: error.message)
        }
    }

    /// The tensor of a file written by `torch.save(tensor)`.
    public static func readTensor(path: String) throws -> Tensor {
        let value = try read(path: path)
        if let reason = value.unreadableReason {
            throw TorchCheckpointError(path: path, message: "the tensor cannot be read exactly: \(reason)")
        }
        guard let tensor = value.tensor else {
            throw TorchCheckpointError(path: path, message: "holds a \(value.kind), not a bare tensor")
        }
        return tensor
    }

    /// The zip format: `FOLDER/data.pkl` whose persistent ids name the entries `FOLDER/data/KEY`.
    static func readZip(_ file: MappedFile, limits: PickleLimits) throws -> PickleValue {
        let path = file.path
        let archive: ZipArchive
        do { archive = try ZipArchive(bytes: file.bytes) } catch let error as ZipArchive.Error {
            throw TorchCheckpointError(path: path, message: error.description)
        }
        let pickles = archive.names.filter { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }
        guard pickles.count == 1, let pickleName = pickles.first, let pickleRange = archive.dataRanges[pickleName] else {
            throw TorchCheckpointError(path: path, message: "expected one FOLDER/data.pkl entry, found \(pickles.count)")
        }
        let folder = String(pickleName.dropLast("/data.pkl".count))
        if let order = archive.dataRanges[folder + "/byteorder"], !file.bytes[order].elementsEqual("little".utf8) {
            throw TorchCheckpointError(path: path, message: "big-endian checkpoints are not supported (\(MessageText.excerpt(folder))/byteorder)")
        }
        let shownFolder = MessageText.excerpt(folder)
        let load = StorageReference.loader { reference in
            let entry = folder + "/data/" + reference.key
            let key = MessageText.excerpt(reference.key)
            guard let range = archive.dataRanges[entry] else { throw PickleError("storage '\(key)' has no entry \(shownFolder)/data/\(key)") }
            let needed = reference.count * reference.type.elementSize  // overflow checked by StorageReference
            guard needed <= range.count,
                  let storage = TorchStorage(type: reference.type, count: reference.count, file: file, byteOffset: range.lowerBound) else {
                throw PickleError("storage '\(key)' declares \(reference.count) \(reference.type.torchName) elements (\(needed) bytes) but \(shownFolder)/data/\(key) holds \(range.count) bytes")
            }
            return storage
        }
        var unpickler = Unpickler(bytes: UnsafeRawBufferPointer(rebasing: file.bytes[pickleRange]), limits: limits, persistentLoad: load)
        do { return try unpickler.load() } catch let error as PickleError {
            let at = error.offset.map { " (file byte \(pickleRange.lowerBound + $0))" } ?? ""
            throw TorchCheckpointError(path: path, message: "\(shownFolder)/data.pkl\(at): \(error)")
        }
    }
}
