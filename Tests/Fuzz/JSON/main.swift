import TesseraCore
@testable import TesseraFormats
import TesseraModels

/// config.json as the loaders read it: the strict JSON parser (also the safetensors
/// headers' one), then the document as a timm tile encoder config (with the model's checks
/// of that configuration) and as a slide encoder config file (with the configuration it
/// makes for a small slide encoder's shapes).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let json: JSONValue
    do {
        json = try JSONParser.parse(UnsafeRawBufferPointer(start: data, count: size), path: "config.json")
    } catch is FormatError {
        return 0
    } catch {
        FuzzInput.untyped(error)
    }
    do {
        let config = try VisionTransformer.Config(timmConfig: json, path: "config.json")
        _ = try VisionTransformer(weights: StateDict(), config: config)
    } catch is VisionTransformerError {
    } catch {
        FuzzInput.untyped(error)
    }
    do {
        let file = try SlideEncoder.Config.File(path: FuzzInput.path(data, size))
        _ = try SlideEncoder.Config.inferred(from: SlideShapes.weights, file: "slide_encoder.safetensors", configFile: file)
    } catch is FormatError, is SlideEncoderError {
    } catch {
        FuzzInput.untyped(error)
    }
    return 0
}
