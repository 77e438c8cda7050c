import Foundation
import TesseraBundle
import TesseraCore
import TestSupport
import XCTest

/// Seeded random mutations of valid bundles: every mutant must be read (every
/// tensor dequantised) or refused with a `BundleError`; a crash fails the whole
/// run. Half the mutants change the manifest and reseal its SHA-256, so that the
/// checks behind the checksum are reached too.
final class BundleFuzzTests: XCTestCase {
    private func seeds() throws -> [[UInt8]] {
        var small = StateDict()
        small.set("tile_encoder.blocks.0.attn.qkv.weight", Tensor(shape: [6, 4], floats: (0..<24).map { Float($0) / 8 - 1 }))
        small.set("tile_encoder.norm.bias", Tensor(zeros: [64]))
        small.set("tile_encoder.cls_token", Tensor(shape: [1, 1, 4], floats: [1, 2, 3, 4]))
        var manifest = BundleSamples.manifest(slide: false, head: false)
        manifest.tileEncoder.embedDim = 4
        let written = try BundleWriter(weights: .int8, zstdLevel: 3).encode(manifest, tensors: small, path: "seed.tsb")
        XCTAssertTrue(written.manifest.tensors.contains { $0.compression == .zstd }, "a seed has a zstd tensor")
        let python = try ["valid", "valid_v2"].map {
            Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hostile_bundles/\($0).tsb"))))
        }
        return [BundleSamples.bytes(written)] + python
    }

    private func mutate(_ input: [UInt8], _ rng: inout Xorshift) -> [UInt8] {
        var bytes = input
        let manifestLength = Int(input.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self) })
        let manifest = 64..<(64 + manifestLength)
        let inManifest = Bool.random(using: &rng)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let i = inManifest ? Int.random(in: manifest, using: &rng) : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes[i] = [0x00, 0x01, 0x7F, 0x80, 0xFF].randomElement(using: &rng)!
            case 3 where !inManifest: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...64, using: &rng)))
            case 4 where !inManifest: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            default: bytes[i] = bytes[i] &+ 1
            }
        }
        if inManifest {
            var hasher = SHA256()
            bytes[manifest].withUnsafeBytes { hasher.update($0) }
            bytes.replaceSubrange(24..<56, with: hasher.digest())
        }
        return bytes
    }

    /// Plain POSIX writes: Foundation's Data.write costs milliseconds a file here.
    private func write(_ bytes: [UInt8], to path: String) throws {
        guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        defer { fclose(file) }
        guard bytes.withUnsafeBytes({ fwrite($0.baseAddress, 1, $0.count, file) }) == bytes.count else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    func testMutantsAreReadOrRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let inputs = try seeds()
        var rng = Xorshift(seed: 0x5EED_B0DD_1E00_0001)
        var (ran, accepted) = (0, 0)
        var refusals: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(3)
        let path = folder.file("mutant.tsb")
        while ran < 20_000, Date() < deadline {  // bounded: CI has 2 shared cores
            let mutant = mutate(inputs[ran % inputs.count], &rng)
            try write(mutant, to: path)
            do {
                let reader = try BundleReader.open(path)
                for info in reader.manifest.tensors { _ = try reader.tensor(info.name).dequantised() }
                accepted += 1
            } catch {
                refusals[String("\(error.problem)".prefix { $0 != "(" }), default: 0] += 1
            }
            ran += 1
        }
        print("bundle fuzz: \(ran) mutants ran without a crash (\(accepted) still valid); refusals: "
              + refusals.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        XCTAssertGreaterThan(ran, 500)
        XCTAssertLessThan(accepted, ran)
        XCTAssertGreaterThan(refusals.count, 10, "the mutants reach many different checks")
    }
}
