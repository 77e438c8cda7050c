import TesseraCore
@testable import TesseraBundle
import TesseraEdgeModels

/// Bundles as the edge engine opens them: header, manifest and layout checked on open,
/// every tensor of every component read (checksum, zstd, INT8 scales) as stored, and the
/// models built from them as `EdgeModels` builds them (which reads them all as f32). The checksums are resealed
/// first (`BundleSeal`); decompression is bounded lower than the default so that a run's
/// memory stays small (the limit's check is the same).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var limits = BundleLimits()
    limits.maxDecompressedBytes = 64 << 20
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    BundleSeal.reseal(&bytes, limits: limits)
    let file = bytes.withUnsafeBufferPointer { FuzzInput.file($0.baseAddress ?? data, $0.count) }
    let reader: BundleReader
    do {
        reader = try BundleReader(file: file, path: "fuzz.tsb", limits: limits)
        for component in reader.manifest.components {
            FuzzInput.touch(try reader.weights(component))
        }
    } catch {
        return 0  // typed: a BundleError
    }
    do {
        _ = try EdgeModels(reader)
    } catch {
        return 0  // typed: an EdgeError (the models refuse these weights or this configuration)
    }
    return 0
}
