import TesseraCore

/// Reader of `torch.save` files (zip and legacy formats). Never executes pickle code.
public enum TorchCheckpoint {
    public struct NotImplemented: Error {}

    /// The whole pickled object, tensors as views into the mapped file.
    public static func read(path: String) throws -> PickleValue {
        throw NotImplemented()  // PLACEHOLDER: replaced by the restricted unpickler.
    }
}
