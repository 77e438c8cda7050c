import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline
import TestSupport
import XCTest

/// A fine-tuned run's slide encoder and classifier loaded from a folder: upstream's
/// `checkpoint.pt` (fixtures/classifier_run, the multi_class case of fixtures/finetune) and a
/// hand-made run folder (`model.safetensors` + config.json written by `writeConfigJSON`).
final class ClassifierRunLoadingTests: XCTestCase {
    private func floats(_ t: Tensor) -> [Float] { t.float32().withFloats { Array($0) } }

    /// Upstream's checkpoint.pt with config.json's classifier section gives upstream's logits.
    func testUpstreamCheckpointGivesUpstreamLogits() throws {
        let loaded = try SlideEncoder.loaded(path: Fixtures.path("classifier_run"))
        XCTAssertTrue(loaded.weightsPath.hasSuffix("checkpoint.pt"))
        let classifier = try XCTUnwrap(loaded.classifier)
        XCTAssertEqual(classifier.head, SlideClassifier.Head(featLayers: [1, 2], pooling: .cls, setting: .multiClass,
                                                             classes: ["class0", "class1", "class2"]))
        XCTAssertEqual(loaded.classifierWeights.names.sorted(), ["classifier.0.bias", "classifier.0.weight"])
        XCTAssertNil(loaded.weights["classifier.0.weight"])
        let expected = try Fixtures.load("finetune/multi_class/expected.safetensors")
        let embedder = SlideEmbedder(model: loaded.model)
        for i in 0..<4 {
            let slide = try embedder.embed(tileEmbeds: expected["slide\(i).tile_embeds"]!, coords: expected["slide\(i).coords"]!)
            let features = classifier.features(slide)
            if let feats = expected["feats.slide\(i)"] {
                XCTAssertLessThan(relativeError(features, floats(feats)), 1e-4, "slide \(i) features")
            }
            let logits = classifier.logits(features: features)
            XCTAssertLessThan(relativeError(logits, floats(expected["logits.slide\(i)"]!)), 1e-4, "slide \(i) logits")
            let p = classifier.probabilities(logits: logits)
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-6)
        }
    }

    /// A hand-made run folder: fixtures/slide_encoder's weights under `slide_encoder.`, a random
    /// classifier, config.json from the one writer. It loads as the plain slide encoder plus that head.
    func testHandMadeRunFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let plain = try SlideEncoder.loaded(path: Fixtures.path("slide_encoder/slide_encoder.safetensors"))
        let head = SlideClassifier.Head(featLayers: [0, 2], pooling: .mean, setting: .multiLabel, classes: ["a", "b c", "d", "e"])
        try Self.writeRun(to: folder.path, slideEncoder: plain, head: head, seed: 3)
        let config = try SlideEncoder.Config.File(path: folder.file("config.json"))
        XCTAssertEqual(config.classifier, head)
        XCTAssertEqual(config.depth, plain.model.config.depth)
        XCTAssertEqual(config.branches, plain.model.config.branches)
        XCTAssertEqual(config.heads, plain.model.config.heads)

        let run = try SlideEncoder.loaded(path: folder.path)
        XCTAssertTrue(run.weightsPath.hasSuffix("model.safetensors"))
        XCTAssertEqual(run.model.config, plain.model.config)
        XCTAssertEqual(run.weights.names, plain.weights.names.sorted())
        let classifier = try XCTUnwrap(run.classifier)
        XCTAssertEqual(classifier.head, head)
        XCTAssertEqual(classifier.linear.inFeatures, 2 * 64)
        XCTAssertEqual(classifier.linear.outFeatures, 4)

        let inputs = try Fixtures.load("finetune/multi_class/expected.safetensors")
        let (tiles, coords) = (inputs["slide2.tile_embeds"]!, inputs["slide2.coords"]!)
        let a = try SlideEmbedder(model: plain.model).embed(tileEmbeds: tiles, coords: coords)
        let b = try SlideEmbedder(model: run.model).embed(tileEmbeds: tiles, coords: coords)
        XCTAssertEqual(a.layerEmbeds, b.layerEmbeds)
        let p = classifier.probabilities(logits: classifier.logits(features: classifier.features(b)))
        XCTAssertTrue(p.allSatisfy { $0 > 0 && $0 < 1 })
    }

    /// Writes a run folder at `path`: `model.safetensors` (the slide encoder under `slide_encoder.`
    /// and a seeded random `classifier.0`) and config.json.
    static func writeRun(to path: String, slideEncoder: SlideEncoder.Loaded, head: SlideClassifier.Head, seed: UInt64) throws {
        var dict = StateDict()
        for (name, tensor) in slideEncoder.weights.entries { dict.set("slide_encoder." + name, tensor) }
        var rng = Xorshift(seed: seed)
        let inputs = head.featLayers.count * slideEncoder.model.config.embedDim, classes = head.classes.count
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -0.2...0.2, using: &rng) } }
        dict.set("classifier.0.weight", Tensor(shape: [classes, inputs], floats: random(classes * inputs)))
        dict.set("classifier.0.bias", Tensor(shape: [classes], floats: random(classes)))
        try SafeTensors.write(SafeTensors.canonicalOrder(dict), to: path + "/model.safetensors")
        try slideEncoder.model.config.writeConfigJSON(to: path + "/config.json", classifier: head)
    }

    /// A head section without classifier weights, and classifier weights without a head section.
    func testHeadAndWeightsComeTogether() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let plain = try SlideEncoder.loaded(path: Fixtures.path("slide_encoder/slide_encoder.safetensors"))
        let head = SlideClassifier.Head(featLayers: [2], pooling: .cls, setting: .binary, classes: ["no", "yes"])
        try Self.writeRun(to: folder.path, slideEncoder: plain, head: head, seed: 1)
        // Weights without a head section.
        try plain.model.config.writeConfigJSON(to: folder.file("config.json"))
        XCTAssertThrowsError(try SlideEncoder.loaded(path: folder.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("model.safetensors") && text.contains("classifier.0.weight")
                          && text.contains("config.json") && text.contains("'classifier'"), text)
        }
        // A head section without weights: the plain slide encoder beside a config.json with a head.
        try FileManager.default.removeItem(atPath: folder.file("model.safetensors"))
        try FileManager.default.copyItem(atPath: Fixtures.path("slide_encoder/slide_encoder.safetensors"),
                                         toPath: folder.file("slide_encoder.safetensors"))
        try plain.model.config.writeConfigJSON(to: folder.file("config.json"), classifier: head)
        XCTAssertThrowsError(try SlideEncoder.loaded(path: folder.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("config.json") && text.contains("no classifier weights"), text)
        }
        // Classifier weights of the wrong shape: named with both shapes.
        try FileManager.default.removeItem(atPath: folder.file("slide_encoder.safetensors"))
        try Self.writeRun(to: folder.path, slideEncoder: plain, head: head, seed: 1)
        var wider = head
        wider.featLayers = [1, 2]
        try plain.model.config.writeConfigJSON(to: folder.file("config.json"), classifier: wider)
        XCTAssertThrowsError(try SlideEncoder.loaded(path: folder.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("classifier.0.weight: expected shape [2, 128], found [2, 64]"), text)
        }
    }

    /// Every refusal of the classifier section names config.json and the field.
    func testClassifierSectionIsChecked() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let good: [String: Any] = ["feat_layer": [1, 2], "pooling": "cls", "setting": "multi_class", "classes": ["x", "y", "z"]]
        func config(_ change: (inout [String: Any]) -> Void, depth: Int? = 2) throws -> String {
            var section = good
            change(&section)
            var json: [String: Any] = ["classifier": section]
            if let depth { json["depth"] = depth }
            let path = folder.file("config.json")
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
            return path
        }
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("unknown pooling", { $0["pooling"] = "max" }, "'classifier.pooling' is 'max': expected \"cls\" or \"mean\""),
            ("unknown setting", { $0["setting"] = "regression" }, "'classifier.setting' is 'regression'"),
            ("empty classes", { $0["classes"] = [String]() }, "'classifier.classes' must be a non-empty list"),
            ("duplicate classes", { $0["classes"] = ["x", "y", "x"] }, "'classifier.classes' names 'x' twice"),
            ("empty name", { $0["classes"] = ["x", ""] }, "'classifier.classes' has an empty name (class 1)"),
            ("layer past depth", { $0["feat_layer"] = [1, 3] }, "'classifier.feat_layer' names layer 3, outside 0...2"),
            ("negative layer", { $0["feat_layer"] = [-1] }, "'classifier.feat_layer' must be a non-empty list"),
            ("no layers", { $0["feat_layer"] = [Int]() }, "'classifier.feat_layer' must be a non-empty list"),
            ("binary with 3", { $0["setting"] = "binary" }, "'classifier.classes' has 3 names, but a binary task has 2"),
            ("unknown field", { $0["label_dict"] = ["x": 0] }, "'classifier.label_dict' is not a field"),
            ("missing field", { $0["setting"] = nil }, "'classifier.setting' is missing"),
        ]
        for (what, change, message) in cases {
            let path = try config(change)
            XCTAssertThrowsError(try SlideEncoder.Config.File(path: path), what) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(path + ": ") && text.contains(message), "\(what): \(text)")
            }
        }
        // Without `depth` in the file, the loader checks the layers against the weights' depth.
        let path = try config({ $0["feat_layer"] = [3] }, depth: nil)
        XCTAssertEqual(try SlideEncoder.Config.File(path: path).classifier?.featLayers, [3])
        try FileManager.default.copyItem(atPath: Fixtures.path("classifier_run/checkpoint.pt"), toPath: folder.file("checkpoint.pt"))
        XCTAssertThrowsError(try SlideEncoder.loaded(path: folder.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path + ": 'classifier.feat_layer' names layer 3, outside 0...2"), text)
        }
    }
}
