import XCTest
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline
import TesseraTrain
import TesseraDistill
import TestSupport

/// One distillation step against the reference (fixtures/distill: plain PyTorch autograd over
/// the whole demo slide, recipe.json): the teacher's targets, the losses, every gradient and the
/// parameters after one AdamW step, with gradient caching at micro-batches 1, 4 and 14.
final class ReferenceStepTests: XCTestCase {
    static let expected = try! Fixtures.load("distill/expected.safetensors")

    static func teacher() throws -> Teacher {
        Teacher(tileEncoder: try VisionTransformer.load(path: Fixtures.path("tile_teacher")).model,
                slideEncoder: try SlideEncoder.load(path: Fixtures.path("slide_encoder")))
    }

    static func slide() throws -> SlideTiles {
        let tiles = try TileList.resolve([Fixtures.path("slide_folder/demo_slide")])
        return SlideTiles.read(tiles) { path, error in XCTFail("\(path): \(error)") }
    }

    /// The reference's student from student_init.safetensors: tile_student, adaptor 64 -> 96, a
    /// 1-layer slide student (in 64, D 64, 4 heads).
    static func student() throws -> Student {
        let initial = try Fixtures.load("distill/student_init.safetensors")
        let slideConfig = try SlideEncoder.Config.inferred(from: initial.scoped("slide_student"), file: "student_init", heads: 4)
        return try Student(parameters: ParameterSet(initial),
                           tileConfig: try VisionTransformer.Config.read(timmConfig: Fixtures.path("tile_student/config.json")),
                           slideConfig: slideConfig, teacherWidth: 96)
    }

    func check(_ actual: [Float], _ name: String, tolerance: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        guard let want = Self.expected[name]?.floats() else { return XCTFail("no \(name) in the reference", file: file, line: line) }
        XCTAssertLessThanOrEqual(relativeError(actual, want), tolerance, name, file: file, line: line)
    }

    func testTeacherTargetsMatchTheReference() throws {
        let slide = try Self.slide()
        XCTAssertEqual(slide.names, try JSONParser.parse(Array(try String(contentsOfFile: Fixtures.path("distill/recipe.json")).utf8)
            .withUnsafeBytes { $0 }, path: "recipe.json")["tiles"].flatMap { if case .array(let a) = $0 { return a.compactMap(\.string) } else { return nil } })
        let f32 = try Self.teacher().targets(slide, hiddenType: .f32).targets
        check(f32.hidden.floats(), "teacher.hidden")
        check(f32.tileEmbeds.floats(), "teacher.tile_embeds")
        check(f32.slideEmbed, "teacher.slide_embed")
        check(slide.coords.floats(), "coords", tolerance: 0)
        // The cache's f16 hidden states are within half precision of the reference.
        check(try Self.teacher().targets(slide).targets.hidden.floats(), "teacher.hidden", tolerance: 1e-3)
    }

    func testGradientCachedStepMatchesWholeSlideAutograd() throws {
        let slide = try Self.slide()
        let targets = try Self.teacher().targets(slide, hiddenType: .f32).targets
        for microBatch in [1, 4, 14] {
            for budget in [0, 1 << 30] where microBatch != 14 || budget == 0 {
                let student = try Self.student()
                let value = try DistillationLoss(beta: 0.5, microBatch: microBatch, memoryBudget: budget)
                    .accumulate(student: student, slide: slide, targets: targets)
                let label = "micro-batch \(microBatch), budget \(budget)"
                check([Float(value.loss)], "loss")
                check([Float(value.hidden)], "loss_hidden")
                check([Float(value.slide)], "loss_slide")
                check(value.studentTileEmbeds.floats(), "student.tile_embeds")
                check(value.studentSlideEmbed, "student.slide_embed")
                for p in student.parameters.parameters {
                    check(p.gradient.floats(), "grad." + p.name)
                }
                XCTAssertEqual(Self.expected.names.filter { $0.hasPrefix("grad.") }.count, student.parameters.parameters.count, label)
            }
        }
    }

    func testOneAdamWStepMatchesTheReference() throws {
        let slide = try Self.slide()
        let targets = try Self.teacher().targets(slide, hiddenType: .f32).targets
        let student = try Self.student()
        let trainer = Trainer(parameters: student.parameters, optimizer: AdamW(settings: .init(weightDecay: 0.05)),
                              schedule: .constant(1e-3))
        try trainer.step { _ in
            Float(try DistillationLoss(beta: 0.5, microBatch: 4).accumulate(student: student, slide: slide, targets: targets).loss)
        }
        // AdamW's first step moves each weight by lr · g / (|g| + eps): ±lr whatever |g| is. Where
        // the reference's gradient is float noise (the key biases, whose true gradient is 0 up to
        // the slide encoder's padded keys: |g| ~ 1e-10 against 1e-1 elsewhere) the sign of that
        // noise decides the step, so those weights are held to the step's bound, lr; every other
        // weight to the parity tolerance.
        let lr: Float = 1e-3
        var compared = 0, noise = 0
        for p in student.parameters.parameters {
            let after = p.value.floats(), want = try XCTUnwrap(Self.expected["after_step." + p.name]).floats()
            let gradient = try XCTUnwrap(Self.expected["grad." + p.name]).floats()
            let largest = gradient.map(abs).max() ?? 0
            let scale = max(want.map(abs).max() ?? 0, Float.leastNormalMagnitude)
            for i in 0..<after.count {
                if abs(gradient[i]) > 1e-6 * largest {
                    XCTAssertLessThanOrEqual(abs(after[i] - want[i]) / scale, 1e-4, "after_step.\(p.name)[\(i)]")
                    compared += 1
                } else {
                    XCTAssertLessThanOrEqual(abs(after[i] - want[i]), lr, "after_step.\(p.name)[\(i)] (noise gradient)")
                    noise += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 100 * noise, "\(noise) of \(compared + noise) weights have noise gradients")
    }
}
