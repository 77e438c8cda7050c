import XCTest
import TesseraCore
import TesseraModels
import TesseraPipeline
import TestSupport

/// The one timing loop of `tessera benchmark` and `tessera-edge bench`: it times the
/// inference forward pass itself, on the images it is given.
final class TileEncoderTimingTests: XCTestCase {
    func testBenchmarkTimesTheInferenceForward() throws {
        let model = try VisionTransformer(weights: try Fixtures.load("tile_teacher/model.safetensors"),
                                          config: VisionTransformerTests.configJSON("tile_teacher"))
        let images = TileEncoderTiming.noise(model.config, batch: 2)
        let timing = try TileEncoderTiming(model: model, images: images, iterations: 3)
        XCTAssertEqual(timing.batch, 2)
        XCTAssertEqual(timing.passes.count, 3)
        XCTAssertTrue(timing.passes.allSatisfy { $0 > 0 }, "\(timing.passes)")
        XCTAssertLessThanOrEqual(timing.bestSeconds, timing.seconds)
        XCTAssertEqual(timing.msPerTile(timing.seconds), timing.seconds * 500, accuracy: 1e-12)
        XCTAssertGreaterThan(timing.cpuSeconds, 0)
        XCTAssertEqual(timing.embedding.shape, [2, model.config.embedDim])
        XCTAssertEqual(timing.embedding.floats(), try model.forward(images).embedding.floats())
    }

    func testBenchmarkNoiseIsSeededAndInRange() {
        let config = try! VisionTransformerTests.configJSON("tile_teacher")
        let noise = TileEncoderTiming.noise(config, batch: 2)
        XCTAssertEqual(noise.shape, [2, config.inChans, config.imageSize, config.imageSize])
        let values = noise.floats()
        XCTAssertEqual(values, TileEncoderTiming.noise(config, batch: 2).floats())
        XCTAssertTrue(values.allSatisfy { $0 >= -2 && $0 <= 2 })
        XCTAssertGreaterThan(Set(values).count, 1000, "noise, not a constant")
    }

    func testBenchmarkRefusesImagesOfAnotherShape() throws {
        let model = try VisionTransformer(weights: try Fixtures.load("tile_teacher/model.safetensors"),
                                          config: VisionTransformerTests.configJSON("tile_teacher"))
        XCTAssertThrowsError(try TileEncoderTiming(model: model, images: Tensor(zeros: [1, 3, 112, 112]), iterations: 1)) {
            XCTAssertTrue("\($0)".contains("[1, 3, 112, 112]"), "\($0)")
        }
    }
}
