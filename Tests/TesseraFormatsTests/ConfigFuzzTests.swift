import Foundation
import TesseraCore
@testable import TesseraFormats
import TesseraModels
import TestSupport
import XCTest

/// Seeded random mutations of config.json files, read as the loaders read them: a timm tile
/// encoder config (and the model built from it over the fixture student's weights) and a
/// slide encoder config file (and the configuration inferred with it). Every mutant must be
/// used or refused with the readers' own errors; a crash fails the whole run.
final class ConfigFuzzTests: XCTestCase {
    /// Numbers and values on the edges of what a size or ratio may be.
    private static let edgeValues = ["0", "-1", "1", "3", "1e300", "-1e300", "1e-300", "4611686018427387904",
                                     "9223372036854775807", "2147483648", "0.5", "null", "true", "[]", "{}", "\"x\""]

    private func mutate(_ input: [UInt8], _ rng: inout Xorshift) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !bytes.isEmpty else { break }
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0, 1:  // a value's digits replaced by an edge value
                guard let start = bytes[i...].firstIndex(where: { (48...57).contains($0) }) else { continue }
                let end = bytes[start...].firstIndex { !(48...57).contains($0) && $0 != 46 } ?? bytes.count
                bytes.replaceSubrange(start..<end, with: Array(Self.edgeValues.randomElement(using: &rng)!.utf8))
            case 2: bytes[i] = Array("{}[]\",:0123456789-e.".utf8).randomElement(using: &rng)!
            default: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...8, using: &rng)))
            }
        }
        return bytes
    }

    /// One mutant through both readers; true when the tile encoder was built from it.
    private func read(_ path: String, tileWeights: StateDict, slideWeights: StateDict) throws -> Bool {
        var built = false
        do {
            let config = try VisionTransformer.Config.read(timmConfig: path)
            _ = try VisionTransformer(weights: tileWeights, config: config)
            built = true
        } catch is FormatError, is VisionTransformerError {
        }
        do {
            let file = try SlideEncoder.Config.File(path: path)
            _ = try SlideEncoder.Config.inferred(from: slideWeights, file: "slide_encoder.safetensors", configFile: file)
        } catch is FormatError, is SlideEncoderError {
        }
        return built
    }

    func testMutantsAreReadOrRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let tileWeights = try Fixtures.load("tile_student/model.safetensors")
        let slideWeights = try Fixtures.load("slide_encoder/slide_encoder.safetensors")
        let inputs = try ["tile_student/config.json", "slide_encoder/config.json"].map {
            Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path($0))))
        }
        var rng = Xorshift(seed: 0xC0FF_161E_5EED_0001)
        var (ran, built) = (0, 0)
        let deadline = Date().addingTimeInterval(2)
        let path = folder.file("config.json")
        while ran < 20_000, Date() < deadline {  // bounded: CI has 2 shared cores
            try Data(mutate(inputs[ran % inputs.count], &rng)).write(to: URL(fileURLWithPath: path))
            if try read(path, tileWeights: tileWeights, slideWeights: slideWeights) { built += 1 }
            ran += 1
        }
        print("config fuzz: \(ran) mutants ran without a crash (\(built) tile encoders built)")
        XCTAssertGreaterThan(ran, 100)
        XCTAssertLessThan(built, ran)
    }

    /// Configs the fuzzer found crashing the loader (fixtures/hostile_configs): each is refused,
    /// before the model computes a size from it.
    func testHostileConfigsAreRefused() throws {
        let weights = try Fixtures.load("tile_student/model.safetensors")
        for (name, expected) in [("mlp_ratio_1e300", "is not an MLP width"), ("image_2_62_depth_0", "the model's sizes overflow"),
                                 ("input_size_1e300", "is [3, 1e+300, 224]")] {
            XCTAssertThrowsError(try VisionTransformer(weights: weights, config: .read(timmConfig: Fixtures.path("hostile_configs/\(name).json"))),
                                 name) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(name): \(error)")
            }
        }
    }
}
