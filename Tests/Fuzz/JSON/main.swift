@testable import TesseraFormats

/// The strict JSON parser (config.json, safetensors headers).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    do {
        _ = try JSONParser.parse(UnsafeRawBufferPointer(start: data, count: size), path: "config.json")
    } catch is FormatError {
    } catch {
        FuzzInput.untyped(error)
    }
    return 0
}
