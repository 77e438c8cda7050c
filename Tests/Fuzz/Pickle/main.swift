@testable import TesseraFormats

/// A bare pickle in memory; persistent ids resolve to declared storages, so
/// tensor rebuilding runs all its checks without file bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let load = StorageReference.loader { TorchStorage(declared: $0.type, count: $0.count) }
    var unpickler = Unpickler(bytes: UnsafeRawBufferPointer(start: data, count: size), persistentLoad: load)
    do {
        _ = try unpickler.load()
    } catch is PickleError {
    } catch {
        FuzzInput.untyped(error)
    }
    return 0
}
