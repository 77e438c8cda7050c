import Foundation
import TesseraCore
@testable import TesseraBundle
import TesseraEdge
import TesseraEdgeModels
import TesseraFormats
import TestSupport
import XCTest

/// Well-formed bundles whose meaning is absurd (issue 23, item 4): the engine refuses each one
/// when it opens it, naming the field or tensor, and `inspect` refuses it with the same error
/// (one validation); what no check can tell (weights that overflow f32) is refused by the
/// engine's last line, naming the tile. And the outputs' weights_sha256 is that of the bytes
/// that ran (item 5).
final class BundleMeaningTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    private static let mutator = BundleMutator()
    private static let tiles = NoiseTiles()

    /// Seed `seed` of the mutator (0 f32, 1 f16, 2 int8 weights) after `change`, resealed, at a new path.
    private func bundle(_ name: String, seed: Int = 0,
                        _ change: (inout BundleManifest, inout [String: Tensor]) -> Void = { _, _ in }) throws -> String {
        var (manifest, stored) = Self.mutator.seeds[seed]
        var sections = Dictionary(uniqueKeysWithValues: zip(manifest.tensors.map(\.name), stored))
        change(&manifest, &sections)
        manifest.tensors = manifest.tensors.filter { sections[$0.name] != nil }
        stored = manifest.tensors.map { sections[$0.name]! }
        for i in manifest.tensors.indices { manifest.tensors[i].sha256 = SHA256.digest(stored[i].bytes) }
        var file: [UInt8] = []
        BundleWriter.assemble(manifest, sections: stored).write { file += $0 }
        let path = folder.file(name + ".tsb")
        try Data(file).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// f32 values of `tensor` as a new stored section.
    private func floats(_ values: [Float], like tensor: Tensor) -> Tensor {
        Tensor(shape: tensor.shape, floats: values)
    }

    /// The error opening `path` gives, asserted to be inspect's too.
    private func refusal(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> EdgeError? {
        var engineError: EdgeError?
        do { _ = try EdgeEngine(path: path) } catch { engineError = error }
        do {
            _ = try BundleInspection(path: path)
            XCTFail("inspect accepts \(path)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.description, engineError?.description, "inspect and run differ", file: file, line: line)
        }
        return engineError
    }

    func testSeedsRunToFiniteOutputs() throws {
        for seed in 0..<3 {
            let path = try bundle("seed\(seed)", seed: seed)
            let output = try EdgeEngine(path: path).run(Self.tiles)
            XCTAssertTrue(Set(output.stateDict.names).isSuperset(of: ["tile_embeds", "teacher_tile_embeds", "slide_embed"]))
            guard case .finite = BundleMutator.run(path: path, tiles: Self.tiles) else { return XCTFail("seed \(seed)") }
            XCTAssertTrue(try BundleInspection(path: path).lines.contains { $0.hasPrefix("sha256: ") })
        }
    }

    /// A tile transform std of 1e-45 or a mean of 3e38 made every tile_embeds value NaN.
    func testImplausibleTileTransformIsRefused() throws {
        let cases: [(String, (inout BundleManifest) -> Void, String)] = [
            ("std-denormal", { $0.tileTransform.std[1] = Float.leastNonzeroMagnitude }, "'tile_transform.std' must be in 0.003921569...1.0"),
            ("std-zero", { $0.tileTransform.std[0] = 0 }, "'tile_transform.std' must be in"),
            ("std-huge", { $0.tileTransform.std[2] = 3e38 }, "'tile_transform.std' must be in"),
            ("mean-huge", { $0.tileTransform.mean[0] = 3e38 }, "'tile_transform.mean' must be in 0.0...1.0 (a mean of pixel values"),
            ("mean-negative", { $0.tileTransform.mean[2] = -2 }, "'tile_transform.mean' must be in 0.0...1.0"),
            ("mean-nan", { $0.tileTransform.mean[1] = .nan }, "'tile_transform.mean' must be in 0.0...1.0"),
        ]
        for (name, change, message) in cases {
            let path = try bundle(name) { manifest, _ in change(&manifest) }
            let error = refusal(path)
            XCTAssertTrue(error?.description.hasPrefix(path + ": ") == true && error?.description.contains(message) == true,
                          "\(name): \(String(describing: error))")
        }
    }

    /// An int8 scale of 3e38 is finite and positive, yet 127 times it is no weight: refused
    /// naming the scale tensor and the row. So are NaN and negative scales; 0 (a row of zeros) is valid.
    func testImplausibleScalesAreRefused() throws {
        let scales = "tile_encoder.blocks.0.mlp.fc2.weight.scales"
        for (value, valid) in [(Float(3e38), false), (.nan, false), (-1, false), (600, false), (0, true), (515, true)] {
            let path = try bundle("scale-\(value)", seed: 2) { _, sections in
                var rows = sections[scales]!.floats()
                rows[3] = value
                sections[scales] = self.floats(rows, like: sections[scales]!)
            }
            if valid {
                XCTAssertNoThrow(try EdgeEngine(path: path), "\(value)")
                continue
            }
            let error = refusal(path)
            XCTAssertTrue(error?.description.hasPrefix("\(path): tensor '\(scales)'") == true
                          && error?.description.contains("scale of row 3 is negative, not finite or above 515.77") == true,
                          "\(value): \(String(describing: error))")
        }
    }

    /// A NaN or infinite weight is refused when the tensor is read, naming it and the element.
    func testNonFiniteWeightsAreRefused() throws {
        for (seed, name, bits) in [(0, "tile_encoder.norm.weight", Float.nan.bitPattern), (1, "tile_encoder.blocks.0.attn.qkv.weight", 0x7C00)] {
            let path = try bundle("nonfinite-\(seed)", seed: seed) { _, sections in
                let copy = Tensor(zeros: [sections[name]!.bytes.count], dtype: .u8)
                copy.storage.mutableBytes.copyMemory(from: sections[name]!.bytes)
                if seed == 0 {
                    copy.storage.mutableBytes.storeBytes(of: bits, toByteOffset: 4 * 5, as: UInt32.self)
                } else {
                    copy.storage.mutableBytes.storeBytes(of: UInt16(bits), toByteOffset: 2 * 5, as: UInt16.self)
                }
                sections[name] = Tensor(dtype: sections[name]!.dtype, shape: sections[name]!.shape, storage: copy.storage)
            }
            let error = refusal(path)
            XCTAssertTrue(error?.description.contains("tensor '\(name)'") == true
                          && error?.description.contains("element 5 is not finite") == true, "\(String(describing: error))")
        }
    }

    /// Configuration values that the tensors contradict: mlp_hidden (once never compared), depth,
    /// patch size, and a tensor no model of the configuration has. inspect used to accept them.
    func testConfigurationMustFitTheTensors() throws {
        let cases: [(String, (inout BundleManifest, inout [String: Tensor]) -> Void, String)] = [
            ("mlp-hidden", { m, _ in m.tileEncoder.mlpHidden = 48 }, "tile_encoder.mlp_hidden is 48, but blocks.0.mlp.fc1.weight has 32 rows"),
            ("depth", { m, _ in m.tileEncoder.depth = 2 }, "missing (12): blocks.1.norm1.weight"),
            ("patch-size", { m, _ in m.tileEncoder.patchSize = 8 }, "patch_embed.proj.weight: expected shape [8, 3, 8, 8], found [8, 3, 16, 16]"),
            ("extra-tensor", { m, sections in
                m.tensors.append(m.tensors[0])
                m.tensors[m.tensors.count - 1].name = "tile_encoder.blocks.0.extra"
                sections["tile_encoder.blocks.0.extra"] = sections[m.tensors[0].name]
            }, "unexpected (1): blocks.0.extra"),
        ]
        for (name, change, message) in cases {
            let path = try bundle(name, change)
            let error = refusal(path)
            XCTAssertTrue(error?.description.hasPrefix("\(path): the tile encoder cannot be built") == true
                          && error?.description.contains(message) == true, "\(name): \(String(describing: error))")
        }
    }

    /// Finite weights that overflow f32 pass every check of the bundle; the engine's last line
    /// refuses the NaN rows they make, naming the output and the tile, in run and in embed_rgb.
    func testOverflowingModelIsRefusedNamingTheTile() throws {
        let cases: [(String, String)] = [
            ("tile_encoder.patch_embed.proj.weight", "tile_embeds of 0x_0y.png is "),
            ("teacher_head.weight", "teacher_tile_embeds of 0x_0y.png is "),
        ]
        for (tensor, message) in cases {
            let path = try bundle("overflow-\(tensor)") { _, sections in
                sections[tensor] = self.floats([Float](repeating: 3e38, count: sections[tensor]!.count), like: sections[tensor]!)
            }
            let engine = try EdgeEngine(path: path)
            XCTAssertNoThrow(try BundleInspection(path: path), "finite weights are well formed")
            XCTAssertThrowsError(try engine.run(Self.tiles)) { error in
                let text = (error as? EdgeError)?.description ?? "\(error)"
                XCTAssertTrue(text.hasPrefix("\(path): the models give a non-finite output, \(message)") && text.contains("nan")
                              && text.hasSuffix(": refused (the weights or the tile transform overflow f32)"), text)
            }
            guard tensor.hasPrefix("tile_encoder") else { continue }
            let rgb = [UInt8](repeating: 128, count: 36 * 36 * 3)
            var out = [Float](repeating: 0, count: 8)
            XCTAssertThrowsError(try engine.embed(rgb: rgb, count: 1, width: 36, height: 36, into: &out)) { error in
                XCTAssertTrue("\(error)".contains("tile_embeds of tile 0 is ") && "\(error)".contains("nan"), "\(error)")
            }
        }
    }

    /// The outputs' weights_sha256 is the SHA-256 of the bytes that ran, even when another bundle
    /// has since been renamed over the path (as `tessera export -o` replaces a bundle).
    func testWeightsSHA256IsThatOfTheMappedBundle() throws {
        let path = try bundle("ran")
        let ran = try SHA256.hex(ofFile: path)
        let engine = try EdgeEngine(path: path)
        let other = try bundle("other", seed: 1)
        XCTAssertEqual(rename(other, path), 0)
        XCTAssertNotEqual(try SHA256.hex(ofFile: path), ran)
        let output = try engine.run(Self.tiles)
        XCTAssertEqual(output.stateDict.metadata["weights_sha256"], ran)
        XCTAssertEqual(engine.sha256, ran)
    }
}
