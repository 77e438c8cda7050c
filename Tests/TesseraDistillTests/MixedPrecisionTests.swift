import XCTest
import TesseraCore
import TesseraDistill
import TestSupport

/// `tessera distill --precision bf16`: `make demo`'s distillation (scripts/demo: the fixture
/// teacher into the fixture student, 30 steps) in mixed precision ends within 2% of the f32
/// run's loss, having computed its products in bf16 (its losses are not the f32 run's bits).
final class MixedPrecisionTests: XCTestCase {
    func testDemoDistillationInBf16EndsWithinTwoPercentOfF32() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let slides = folder.file("slides")
        try FileManager.default.createDirectory(atPath: slides, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: slides + "/demo_slide",
                                                   withDestinationPath: Fixtures.path("slide_folder/demo_slide"))
        var losses: [String: [Double]] = [:]
        for precision in ["f32", "bf16"] {
            var o = DistillationOptions(teacher: Fixtures.path("tile_teacher"), teacherSlide: Fixtures.path("slide_encoder"), data: slides)
            o.initWeights = Fixtures.path("distill/student_init.safetensors")
            o.studentConfig = Fixtures.path("tile_student/config.json")
            o.slideDepth = 1
            o.slideHeads = 4
            o.steps = 30
            o.lr = 1e-3
            o.warmupSteps = 3
            o.microBatch = 7
            o.tilesPerStep = 10
            o.checkpointEvery = 30
            o.precision = precision
            o.cacheFolder = folder.file("cache")  // one teacher for both runs
            var loss: [Double] = []
            try DistillationRun(options: o, folder: folder.file(precision)).run { event in
                if case .step(let metrics) = event { loss.append(metrics.loss) }
            }
            losses[precision] = loss
        }
        let f32 = try XCTUnwrap(losses["f32"]), bf16 = try XCTUnwrap(losses["bf16"])
        XCTAssertEqual(f32.count, 30)
        XCTAssertEqual(bf16.count, 30)
        XCTAssertLessThan(f32.last!, 0.1 * f32.first!, "the demo's run learns")
        XCTAssertLessThan(abs(bf16.last! / f32.last! - 1), 0.02, "last loss bf16 \(bf16.last!) against f32 \(f32.last!)")
        XCTAssertNotEqual(bf16.first!, f32.first!, "the bf16 run's products are bf16 from its first step")
        XCTAssertEqual(GEMM.precision, .f32, "the run gives f32 back")
    }
}
