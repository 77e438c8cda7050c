@testable import TesseraFormats

/// safetensors: header validation, then every tensor's bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    do {
        let dict = try SafeTensors.read(FuzzInput.file(data, size))
        FuzzInput.touch(dict)
        FuzzInput.checkHeaderRoundTrip(dict)
    } catch is FormatError {
    } catch {
        FuzzInput.untyped(error)
    }
    return 0
}
