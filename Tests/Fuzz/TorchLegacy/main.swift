@testable import TesseraFormats

/// Legacy (pre-zip) torch checkpoints: the five pickles, the storage layout, the state dict and its bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let file = FuzzInput.file(data, size)
    do {
        let value = try LegacyTorch.read(file, limits: .standard)
        let dict = try StateDictWrappers.find(in: value).stateDict
        FuzzInput.touch(dict)
        FuzzInput.checkHeaderRoundTrip(dict)
    } catch is TorchCheckpointError, is StateDictWrappers.Error {
    } catch {
        FuzzInput.untyped(error)
    }
    return 0
}
