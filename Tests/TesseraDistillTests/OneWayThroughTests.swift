import XCTest
import TesseraCore
import TesseraImage
import TesseraModels
import TesseraPipeline
import TesseraTrain
import TesseraDistill
import TestSupport

/// Every tile-to-embedding path is the pipeline's one tile-encoder run, so the same tiles give
/// bit-identical rows whichever consumer asks: `tessera embed`'s slide pipeline (PNG tiles),
/// the C interface's RGB buffers, the teacher's targets and the distillation's student passes
/// (decoded crops). Same model, same batch of 8 (the products' bits may depend on the batch).
final class OneWayThroughTests: XCTestCase {
    static let folder = Fixtures.path("slide_folder/demo_slide")

    func embedRows(_ model: VisionTransformer, consumers: [any TileBatchConsumer] = []) throws -> Tensor {
        let pipeline = SlidePipeline(tileEmbedder: TileEmbedder(model: model, batchSize: 8), architecture: "", weightsName: "",
                                     weightsSHA256: "")
        let output = try pipeline.run(try TileList.resolve([Self.folder]), consumers: consumers)
        XCTAssertEqual(output.skipped, 0)
        return try XCTUnwrap(output.stateDict["tile_embeds"])
    }

    func testTeacherTargetsEqualTheEmbedPipeline() throws {
        let teacher = try ReferenceStepTests.teacher()
        var hidden: [Float] = []
        let c = teacher.tileEncoder.config
        let last = BlockOutputConsumer(block: c.depth - 1) { rows, x in
            hidden += UnsafeBufferPointer(start: x, count: rows.count * c.tokens * c.embedDim)
        }
        let embedded = try embedRows(teacher.tileEncoder, consumers: [last])
        let targets = try teacher.targets(try ReferenceStepTests.slide(), hiddenType: .f32).targets
        XCTAssertEqual(embedded.shape, [14, c.embedDim])
        XCTAssertTrue(targets.tileEmbeds.isBitIdentical(to: embedded), "teacher e_t against tessera embed's tile_embeds")
        XCTAssertEqual(targets.hidden.floats(), hidden, "teacher h_t against the last block's rows in the embed run")
    }

    func testRGBBuffersEqualPNGTiles() throws {
        let model = try ReferenceStepTests.teacher().tileEncoder
        let tiles = try TileList.resolve([Self.folder])
        var rgb: [UInt8] = []
        var size = 0
        for i in 0..<tiles.count {
            let image = try tiles.image(of: i)
            size = image.width
            XCTAssertEqual(image.height, size, "the demo tiles are square and of one size")
            rgb += image.pixels
        }
        let fromBuffers = try rgb.withUnsafeBufferPointer { buffer in
            try TileEmbedder(model: model, batchSize: 8)
                .embed(RGBTileBuffer(rgb: buffer.baseAddress!, count: tiles.count, width: size, height: size)).tileEmbeds
        }
        XCTAssertTrue(fromBuffers.isBitIdentical(to: try embedRows(model)), "RGB buffers against PNG tiles")
    }

    func testDistillationPassesEqualTheEmbedPipeline() throws {
        let slide = try ReferenceStepTests.slide()
        let student = try ReferenceStepTests.student()
        let targets = try ReferenceStepTests.teacher().targets(slide, hiddenType: .f32).targets
        let expected = try embedRows(student.tileEncoder)
        // Step 1 of the gradient-cached loss with and without the activations kept for step 3.
        for budget in [0, 1 << 34] {
            let value = try DistillationLoss(beta: 0.5, microBatch: 8, memoryBudget: budget)
                .accumulate(student: student, slide: slide, targets: targets)
            XCTAssertTrue(value.studentTileEmbeds.isBitIdentical(to: expected), "e_s with a memory budget of \(budget) bytes")
        }
    }

    func testDistillationRefusesANonFiniteStudentEmbedding() throws {
        let slide = try ReferenceStepTests.slide()
        let student = try ReferenceStepTests.student()
        let targets = try ReferenceStepTests.teacher().targets(slide, hiddenType: .f32).targets
        // The class token poisoned: every e_s row is NaN, and the slide placement policy names a tile.
        let token = try XCTUnwrap(student.parameters.parameters.first { $0.name == "student.cls_token" })
        token.value.withMutableFloats { $0[0] = .nan }
        XCTAssertThrowsError(try DistillationLoss(beta: 0.5, microBatch: 8).accumulate(student: student, slide: slide, targets: targets)) {
            XCTAssertTrue("\($0)".contains("tile_embeds[0, 0] is nan"), "\($0)")
        }
    }
}
