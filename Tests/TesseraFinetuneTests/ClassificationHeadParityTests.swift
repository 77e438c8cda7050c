import Foundation
import XCTest
import TesseraCore
import TesseraFinetune
import TesseraFormats
import TesseraModels
import TesseraTrain
import TestSupport

/// One accumulated optimizer step of prov-gigapath's fine-tuning recipe against upstream's own
/// code (fixtures/finetune/README.md): logits of every slide, classifier inputs, losses, every
/// gradient, the optimizer groups and every parameter after AdamW, for CLS pooling with
/// cross-entropy (multi_class) and mean pooling with BCE (multi_label).
final class ClassificationHeadParityTests: XCTestCase {
    private struct Case {
        let expected: StateDict
        let recipe: [String: Any]
        let head: ClassificationHead
        let gc: Int
        let lr: Double
        let slides: [(index: Int, inStep: Bool)]
        let targets: [[Float]]

        init(_ name: String) throws {
            expected = try Fixtures.load("finetune/\(name)/expected.safetensors")
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("finetune/\(name)/recipe.json")))
            recipe = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let model = try XCTUnwrap(recipe["model"] as? [String: Any])
            let hyper = try XCTUnwrap(recipe["hyperparameters"] as? [String: Any])
            gc = try XCTUnwrap(hyper["gc"] as? Int)
            lr = try XCTUnwrap(hyper["lr"] as? Double)
            var initial = StateDict()
            for name in expected.names where name.hasPrefix("init.") { initial.set(String(name.dropFirst(5)), expected[name]!) }
            let encoderWeights = initial.scoped(ClassificationHead.encoderPrefix)
            let config = try SlideEncoder.Config.inferred(
                from: encoderWeights, file: "init", configFile: try SlideEncoder.Config.File(path: Fixtures.path("slide_encoder/config.json")))
            let classes = try XCTUnwrap(model["n_classes"] as? Int)
            let head = SlideClassifier.Head(featLayers: try XCTUnwrap(model["feat_layer_indices"] as? [Int]),
                                            pooling: try XCTUnwrap(model["global_pool"] as? Bool) ? .mean : .cls,
                                            setting: name == "multi_label" ? .multiLabel : .multiClass,
                                            classes: (0..<classes).map { "class\($0)" })
            self.head = try ClassificationHead.fresh(encoderWeights: encoderWeights, encoderConfig: config, head: head,
                                                     classifierWeights: initial)
            LayerDecay.apply(to: self.head.parameters, depth: config.depth, layerDecay: try XCTUnwrap(hyper["layer_decay"] as? Double))
            self.head.parameters.zeroGradients()
            slides = try XCTUnwrap(recipe["slides"] as? [[String: Any]]).map { ($0["index"] as! Int, $0["in_step"] as! Bool) }
            let labels = try XCTUnwrap(expected["labels"]).floats()
            targets = name == "multi_label"
                ? (0..<slides.count).map { Array(labels[$0 * classes..<($0 + 1) * classes]) }
                : labels.map { label in (0..<classes).map { $0 == Int(label) ? 1 : 0 } }
        }

        func slide(_ i: Int) throws -> (tiles: Tensor, cells: [SlideGrid.Cell]) {
            let tiles = try XCTUnwrap(expected["slide\(i).tile_embeds"])
            return (tiles, try head.slideEncoder.grid().place(coords: try XCTUnwrap(expected["slide\(i).coords"])).cells)
        }
    }

    private func maxAbs(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    private func check(_ name: String) throws {
        let c = try Case(name)

        // The optimizer groups: lr scale, weight decay and which parameters torch steps.
        let groups = try XCTUnwrap((c.recipe["optimizer"] as? [String: Any])?["per_parameter"] as? [[String: Any]])
        XCTAssertEqual(groups.count, c.head.parameters.parameters.count)
        for group in groups {
            let p = try XCTUnwrap(c.head.parameters[group["name"] as! String], group["name"] as! String)
            XCTAssertEqual(p.lrScale, group["lr_scale"] as! Double, accuracy: 1e-15, p.name)
            XCTAssertEqual(p.decays ? 0.05 : 0, group["weight_decay"] as! Double, p.name)
            XCTAssertEqual(p.isTrainable, group["has_grad"] as! Bool, p.name)
        }

        // Every slide's logits with the initial parameters.
        for (i, _) in c.slides {
            let (tiles, cells) = try c.slide(i)
            let logits = try c.head.predict(tileEmbeds: tiles, cells: cells).logits
            XCTAssertLessThanOrEqual(maxAbs(logits, c.expected["logits.slide\(i)"]!.floats()), 1e-5, "\(name) logits slide \(i)")
        }

        // The accumulated step: each slide's loss / gc backpropagated.
        var total = 0.0
        for (i, inStep) in c.slides where inStep {
            let (tiles, cells) = try c.slide(i)
            let activations = SlideEncoder.TrainingActivations(config: c.head.slideEncoder.config, tiles: tiles.shape[0])
            let (loss, _) = try c.head.accumulate(tileEmbeds: tiles, cells: cells, target: c.targets[i], scale: 1 / Float(c.gc),
                                                  activations: activations)
            let features = c.head.classifier.features(try c.head.slideEncoder.forward(tileEmbeds: tiles, cells: cells))
            XCTAssertLessThanOrEqual(maxAbs(features, c.expected["feats.slide\(i)"]!.floats()), 1e-5, "\(name) features slide \(i)")
            XCTAssertEqual(Double(loss), Double(c.expected["loss.slide\(i)"]!.floats()[0]), accuracy: 1e-5 * Double(abs(loss)),
                           "\(name) loss slide \(i)")
            total += Double(loss) / Double(c.gc)
        }
        let expectedTotal = Double(c.expected["loss.total"]!.floats()[0])
        XCTAssertEqual(total, expectedTotal, accuracy: 1e-5 * abs(expectedTotal), "\(name) loss.total")

        for p in c.head.parameters.parameters {
            let want = try XCTUnwrap(c.expected["grad." + p.name], p.name).floats()
            let scale = want.map(abs).max() ?? 0
            guard scale >= 1e-8 else { continue }  // float32 noise where the true gradient is 0 (README)
            XCTAssertLessThanOrEqual(maxAbs(p.gradient.floats(), want), 1e-4 * scale, "\(name) grad \(p.name)")
        }

        // AdamW at the first window's learning rate (epoch 0 of the cosine schedule).
        let schedule = FinetuneSchedule(lr: c.lr, warmupEpochs: 0, epochs: 5)
        let lr = schedule.lr(atEpoch: 0)
        let optimizer = AdamW(settings: .init(weightDecay: 0.05))
        optimizer.step(c.head.parameters, lr: lr)
        for p in c.head.parameters.parameters {
            let after = try XCTUnwrap(c.expected["after_step." + p.name], p.name).floats()
            let grad = c.expected["grad." + p.name]!.floats()
            let value = p.value.floats(), groupLR = Float(lr * p.lrScale)
            for e in 0..<p.count {
                let limit: Float = abs(grad[e]) >= 1e-6 ? 1e-6 : groupLR
                if abs(value[e] - after[e]) > limit {
                    XCTFail("\(name) after_step \(p.name)[\(e)]: \(value[e]) against \(after[e]) (grad \(grad[e]))")
                    break
                }
            }
        }
    }

    func testMultiClassStepMatchesUpstream() throws { try check("multi_class") }
    func testMultiLabelStepMatchesUpstream() throws { try check("multi_label") }

    /// AdamW on upstream's own initial values and gradients gives upstream's step to ~1e-7.
    func testAdamWOnSavedGradientsMatchesUpstream() throws {
        for name in ["multi_class", "multi_label"] {
            let c = try Case(name)
            for p in c.head.parameters.parameters {
                c.expected["grad." + p.name]!.withFloats { p.gradient.mutableFloatPointer.update(from: $0.baseAddress!, count: p.count) }
            }
            AdamW(settings: .init(weightDecay: 0.05)).step(c.head.parameters, lr: FinetuneSchedule(lr: c.lr, warmupEpochs: 0, epochs: 5).lr(atEpoch: 0))
            for p in c.head.parameters.parameters {
                let after = c.expected["after_step." + p.name]!.floats()
                XCTAssertLessThanOrEqual(relativeError(p.value.floats(), after), 1e-6, "\(name) \(p.name)")
            }
        }
    }
}
