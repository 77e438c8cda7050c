@testable import TesseraFormats

/// safetensors: header validation, then every tensor's bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    do {
        FuzzInput.touch(try SafeTensors.read(FuzzInput.file(data, size)))
    } catch is FormatError {
    } catch {
        FuzzInput.untyped(error)
    }
    return 0
}
