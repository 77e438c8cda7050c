import XCTest
import TesseraCore
import TesseraFormats
import TesseraTrain
import TestSupport

/// One AdamW step fed PyTorch's own gradients must land on PyTorch's parameters.
final class AdamWTests: XCTestCase {
    private func checkOneStep(_ folder: String) throws {
        let model = try Fixtures.load(folder + "/model.safetensors")
        let golden = try Fixtures.load(folder + "/grad_expected.safetensors")
        let parameters = ParameterSet(model)
        for p in parameters.parameters {
            let grad = try XCTUnwrap(golden["grad." + p.name], p.name)
            grad.withFloats { p.grad!.update(from: $0.baseAddress!, count: p.count) }
        }
        // grad_README.txt: lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.05 on ndim >= 2
        // except pos_embed and cls_token.
        for p in parameters.parameters {
            XCTAssertEqual(p.decays, p.shape.count >= 2 && p.name != "pos_embed" && p.name != "cls_token", p.name)
        }
        let adam = AdamW(settings: .init(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05))
        adam.step(parameters, lr: 1e-3)
        for p in parameters.parameters {
            let expected = try XCTUnwrap(golden["after_step." + p.name], p.name)
            let error = relativeError(p.value.floats(), expected.floats())
            XCTAssertLessThanOrEqual(error, 1e-6, "\(folder) \(p.name)")
        }
    }

    func testOneStepMatchesTorchOnStudent() throws { try checkOneStep("tile_student") }
    func testOneStepMatchesTorchOnTeacher() throws { try checkOneStep("tile_teacher") }

    func testFrozenParametersDoNotMove() throws {
        let model = try Fixtures.load("tile_student/model.safetensors")
        let parameters = ParameterSet(model)
        parameters.setTrainable(false, prefix: "blocks.0.")
        for p in parameters.parameters { p.grad?.update(repeating: 1, count: p.count) }
        AdamW().step(parameters, lr: 1e-2)
        for p in parameters.parameters {
            let moved = !p.value.isBitIdentical(to: model[p.name]!)
            XCTAssertEqual(moved, !p.name.hasPrefix("blocks.0."), p.name)
        }
    }
}
