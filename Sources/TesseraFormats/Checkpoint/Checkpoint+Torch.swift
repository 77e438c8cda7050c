import TesseraCore

extension Checkpoint {
    /// The state dict of a torch checkpoint and a description of the wrapper
    /// it was found in (nil when the tensors were at the top of the file).
    static func torchStateDict(_ file: MappedFile, key: String?) throws -> (StateDict, String?) {
        let found = try TorchCheckpoint.found(in: file, key: key)
        let plain = found.wrapperKey == nil && found.strippedPrefix == nil && !found.isBareTensor
        return (found.stateDict, plain ? nil : found.wrapperDescription)
    }
}
