import TesseraCore
import TesseraEdgeModels
import TesseraIO
import TesseraModels
import TesseraPipeline

// The functions of include/tessera_edge.h. Each records its failure (or clears the last
// one) in `LastError`; none lets a Swift error or a trap reach the C caller for bad input.

@_cdecl("tessera_edge_open")
public func tessera_edge_open(_ bundlePath: UnsafePointer<CChar>?) -> OpaquePointer? {
    guard let bundlePath else { return failure("tessera_edge_open: bundle_path is NULL", nil) }
    do {
        let engine = try EdgeEngine(path: String(cString: bundlePath))
        LastError.set("")
        return OpaquePointer(Unmanaged.passRetained(engine).toOpaque())
    } catch {
        return failure(error.description, nil)
    }
}

@_cdecl("tessera_edge_set_threads")
public func tessera_edge_set_threads(_ threads: Int32) -> Int32 {
    guard threads >= 1, threads <= Parallel.maxThreads else {
        return failure("tessera_edge_set_threads: threads must be in 1...\(Parallel.maxThreads), got \(threads)", -1)
    }
    Parallel.threadCount = Int(threads)
    LastError.set("")
    return 0
}

@_cdecl("tessera_edge_tile_dim")
public func tessera_edge_tile_dim(_ engine: OpaquePointer?) -> Int {
    guard let engine else { return failure("tessera_edge_tile_dim: engine is NULL", 0) }
    LastError.set("")
    return edgeEngine(engine).models.tileEncoder.config.embedDim
}

@_cdecl("tessera_edge_embed_folder")
public func tessera_edge_embed_folder(_ engine: OpaquePointer?, _ slideDir: UnsafePointer<CChar>?,
                                      _ outputPath: UnsafePointer<CChar>?) -> Int32 {
    guard let engine, let slideDir, let outputPath else {
        return failure("tessera_edge_embed_folder: engine, slide_dir and output_path must not be NULL", -1)
    }
    do throws(EdgeError) {
        let edge = edgeEngine(engine), folder = String(cString: slideDir), output = String(cString: outputPath)
        // Before the tiles are read: the output may replace neither the bundle nor a tile.
        do { try OutputPath.check(output, option: "output_path", inputs: [.init("bundle_path", edge.path), .init("slide_dir", folder)]) } catch {
            throw .unsafeOutput(error)
        }
        try edge.write(try edge.run(folder: folder), to: output)
        LastError.set("")
        return 0
    } catch {
        return failure(error.description, -1)
    }
}

@_cdecl("tessera_edge_embed_rgb")
public func tessera_edge_embed_rgb(_ engine: OpaquePointer?, _ rgb: UnsafePointer<UInt8>?, _ count: Int, _ width: Int,
                                   _ height: Int, _ embeddings: UnsafeMutablePointer<Float>?) -> Int32 {
    guard let engine, let rgb, let embeddings else {
        return failure("tessera_edge_embed_rgb: engine, rgb and embeddings must not be NULL", -1)
    }
    do {
        try edgeEngine(engine).embed(rgb: rgb, count: count, width: width, height: height, into: embeddings)
        LastError.set("")
        return 0
    } catch {
        return failure(error.description, -1)
    }
}

@_cdecl("tessera_edge_class_count")
public func tessera_edge_class_count(_ engine: OpaquePointer?) -> Int {
    guard let engine else { return failure("tessera_edge_class_count: engine is NULL", 0) }
    LastError.set("")
    return edgeEngine(engine).classNames.count
}

@_cdecl("tessera_edge_class_name")
public func tessera_edge_class_name(_ engine: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    guard let engine else { return failure("tessera_edge_class_name: engine is NULL", nil) }
    let names = edgeEngine(engine).classNames
    guard index >= 0, index < names.count else {
        return failure("tessera_edge_class_name: index \(index) is not below the class count \(names.count)", nil)
    }
    LastError.set("")
    return UnsafePointer(names[index])
}

@_cdecl("tessera_edge_class_setting")
public func tessera_edge_class_setting(_ engine: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let engine else { return failure("tessera_edge_class_setting: engine is NULL", nil) }
    guard let setting = edgeEngine(engine).classSetting else {
        return failure("tessera_edge_class_setting: the bundle has no classifier", nil)
    }
    LastError.set("")
    return UnsafePointer(setting)
}

@_cdecl("tessera_edge_classify_folder")
public func tessera_edge_classify_folder(_ engine: OpaquePointer?, _ slideDir: UnsafePointer<CChar>?,
                                         _ outputPath: UnsafePointer<CChar>?, _ logits: UnsafeMutablePointer<Float>?,
                                         _ probabilities: UnsafeMutablePointer<Float>?) -> Int32 {
    guard let engine, let slideDir, let logits, let probabilities else {
        return failure("tessera_edge_classify_folder: engine, slide_dir, logits and probabilities must not be NULL", -1)
    }
    do throws(EdgeError) {
        let edge = edgeEngine(engine), folder = String(cString: slideDir)
        guard edge.classifier != nil else { throw .input("\(edge.path): the bundle has no classifier") }
        let output = outputPath.map { String(cString: $0) }
        if let output {
            do { try OutputPath.check(output, option: "output_path", inputs: [.init("bundle_path", edge.path), .init("slide_dir", folder)]) } catch {
                throw .unsafeOutput(error)
            }
        }
        let result = try edge.run(folder: folder)
        guard let prediction = result.prediction else { throw .input("\(folder): the slide encoder did not run (no coordinates?)") }
        if let output { try edge.write(result, to: output) }
        logits.update(from: prediction.logits, count: prediction.logits.count)
        probabilities.update(from: prediction.probabilities, count: prediction.probabilities.count)
        LastError.set("")
        return 0
    } catch {
        return failure(error.description, -1)
    }
}

@_cdecl("tessera_edge_last_error")
public func tessera_edge_last_error() -> UnsafePointer<CChar> {
    LastError.message
}

@_cdecl("tessera_edge_close")
public func tessera_edge_close(_ engine: OpaquePointer?) {
    guard let engine else { return }
    Unmanaged<EdgeEngine>.fromOpaque(UnsafeRawPointer(engine)).release()
}

/// Records `message` as this thread's last error and returns `value`.
private func failure<T>(_ message: String, _ value: T) -> T {
    LastError.set(message)
    return value
}

/// The engine behind a handle from `tessera_edge_open`.
private func edgeEngine(_ handle: OpaquePointer) -> EdgeEngine {
    Unmanaged<EdgeEngine>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}
