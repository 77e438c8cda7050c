/// What went wrong while unpickling, and at which byte of the pickle.
/// The unpickler stamps `offset` with the opcode being executed; the checkpoint
/// reader adds the file and the pickle's name (see `TorchCheckpointError`).
public struct PickleError: Error, CustomStringConvertible {
    public var offset: Int?
    public var message: String

    public init(_ message: String, offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }

    public var description: String {
        MessageText.capped(offset.map { "pickle offset \($0): \(message)" } ?? message)
    }
}
