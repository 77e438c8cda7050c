import Foundation
import TesseraBundle
import TesseraCore
import TesseraFormats
import TesseraModels
import TestSupport
import XCTest

/// A fine-tuned run in a bundle: `tessera export --slide-encoder RUN` → `tessera-edge inspect` →
/// `tessera-edge run` writes `logits` and `probabilities` beside the embeddings (and prints the top
/// classes); f32 bundles give the host's classifier on the same embeddings, and what `tessera embed
/// --slide-encoder RUN` and `tessera slide --slide-encoder RUN` write (1e-5); f16 and int8 bundles keep the predictions (argmax, largest
/// probability difference). Runs: fixtures/classifier_run (upstream's checkpoint.pt, CLS pooling,
/// multi_class) and a hand-made run folder (mean pooling, multi_label) on the fixture teacher.
final class ClassifierBundleTests: XCTestCase {
    nonisolated(unsafe) private static var folder: TemporaryFolder?

    override class func tearDown() {
        folder?.cleanUp()
        folder = nil
        super.tearDown()
    }

    private let slides = [Fixtures.path("slide_folder/demo_slide"), Fixtures.path("wsi/synth_a.svs")]
    private let tileEncoder = Fixtures.path("tile_teacher")

    private func path(_ name: String) throws -> String {
        if Self.folder == nil { Self.folder = try TemporaryFolder() }
        return Self.folder!.file(name)
    }

    /// A run folder with mean pooling over layers 0 and 2, multi_label over 4 labels (sigmoid).
    private func multiLabelRun() throws -> String {
        let run = try path("multi_label_run")
        if FileManager.default.fileExists(atPath: run) { return run }
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let plain = try SlideEncoder.loaded(path: Fixtures.path("slide_encoder/slide_encoder.safetensors"))
        var dict = StateDict()
        for (name, tensor) in plain.weights.entries { dict.set("slide_encoder." + name, tensor) }
        var rng = Xorshift(seed: 5)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -0.3...0.3, using: &rng) } }
        dict.set("classifier.0.weight", Tensor(shape: [4, 128], floats: random(4 * 128)))
        dict.set("classifier.0.bias", Tensor(shape: [4], floats: random(4)))
        try SafeTensors.write(SafeTensors.canonicalOrder(dict), to: run + "/model.safetensors")
        try plain.model.config.writeConfigJSON(to: run + "/config.json", classifier: SlideClassifier.Head(
            featLayers: [0, 2], pooling: .mean, setting: .multiLabel, classes: ["necrosis", "tumour", "stroma", "immune cells"]))
        return run
    }

    private func runs() throws -> [(name: String, path: String)] {
        [("multi_class", Fixtures.path("classifier_run")), ("multi_label", try multiLabelRun())]
    }

    private func export(_ run: String, _ name: String, weights: String) throws -> String {
        let bundle = try path("\(name)-\(weights).tsb")
        if FileManager.default.fileExists(atPath: bundle) { return bundle }
        let result = try TesseraProcess.run(["export", "--tile-encoder", tileEncoder, "--slide-encoder", run, "--weights", weights, "-o", bundle])
        XCTAssertEqual(result.status, 0, result.stderr)
        return bundle
    }

    private func edgeRun(_ bundle: String, _ slide: String, _ output: String) throws -> (StateDict, String) {
        let result = try TesseraProcess.run(["run", bundle, slide, "-o", output], program: "tessera-edge")
        XCTAssertEqual(result.status, 0, result.stderr)
        return (try SafeTensors.read(path: output), result.stdout)
    }

    /// Export → inspect → run: the classifier's outputs, metadata and top classes; the host's
    /// SlideClassifier on the engine's own slide embeddings, and `tessera embed`, agree within 1e-5.
    func testF32BundlePredictsAsTheHost() throws {
        for (name, run) in try runs() {
            let bundle = try export(run, name, weights: "f32")
            let reader = try BundleReader.open(bundle)
            XCTAssertEqual(reader.version, 3, name)
            let loaded = try SlideEncoder.loaded(path: run)
            let classifier = try XCTUnwrap(loaded.classifier)
            XCTAssertEqual(reader.manifest.classifier?.head, classifier.head, name)
            XCTAssertTrue(reader.manifest.tensors.filter { $0.name.hasPrefix("classifier.") }.allSatisfy { $0.dtype == .f32 })
            let inspect = try TesseraProcess.run(["inspect", bundle], program: "tessera-edge")
            XCTAssertEqual(inspect.status, 0, inspect.stderr)
            XCTAssertTrue(inspect.stdout.contains("classifier: \(classifier.head.setting.rawValue)"), inspect.stdout)
            XCTAssertTrue(inspect.stdout.contains("outputs: tile_embeds, slide_embed, logits, probabilities"), inspect.stdout)

            for (i, slide) in slides.enumerated() {
                let label = "\(name), slide \(i)"
                let (edge, stdout) = try edgeRun(bundle, slide, try path("\(name)-\(i)-edge.safetensors"))
                let logits = try XCTUnwrap(edge["logits"], label).floats()
                let probabilities = try XCTUnwrap(edge["probabilities"], label).floats()
                XCTAssertEqual(logits.count, classifier.head.classes.count, label)
                XCTAssertEqual(edge.metadata["setting"], classifier.head.setting.rawValue, label)
                let classes = try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(edge.metadata["classes"]).utf8))
                XCTAssertEqual(classes, classifier.head.classes, label)
                let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                XCTAssertTrue(stdout.hasPrefix(slide + ": top classes (\(classifier.head.setting.rawValue)): \(classes[top]) "), stdout)
                XCTAssertEqual(stdout.components(separatedBy: ", ").count, min(3, classes.count), stdout)

                // The host's classifier on the engine's own layer embeddings (CLS pooling: layer_{i}_embed).
                if classifier.head.pooling == .cls {
                    let depth = loaded.model.config.depth
                    let layers = (0...depth).map { edge["layer_\($0)_embed"]!.floats() }
                    let features = classifier.head.featLayers.flatMap { layers[$0] }
                    let hostLogits = classifier.logits(features: features)
                    XCTAssertLessThanOrEqual(relativeError(logits, hostLogits), 1e-5, label)
                    XCTAssertLessThanOrEqual(relativeError(probabilities, classifier.probabilities(logits: hostLogits)), 1e-5, label)
                }
                // tessera embed --slide-encoder RUN: the host's whole pipeline.
                let hostOutput = try path("\(name)-\(i)-host.safetensors")
                let host = try TesseraProcess.run(["embed", slide, "--tile-encoder", tileEncoder, "--slide-encoder", run, "-o", hostOutput])
                XCTAssertEqual(host.status, 0, host.stderr)
                XCTAssertEqual(host.stdout, stdout, label)
                let hostDict = try SafeTensors.read(path: hostOutput)
                for key in ["logits", "probabilities"] {
                    XCTAssertLessThanOrEqual(relativeError(edge[key]!.floats(), try XCTUnwrap(hostDict[key], label).floats()), 1e-5, "\(label) \(key)")
                }
                XCTAssertEqual(hostDict.metadata["classes"], edge.metadata["classes"], label)
                // tessera slide on the host's tile embeddings: the same answer.
                let slideOutput = try path("\(name)-\(i)-slide.safetensors")
                let slideRun = try TesseraProcess.run(["slide", hostOutput, "--slide-encoder", run, "-o", slideOutput])
                XCTAssertEqual(slideRun.status, 0, slideRun.stderr)
                XCTAssertTrue(slideRun.stdout.hasPrefix(hostOutput + ": top classes"), slideRun.stdout)
                let slideDict = try SafeTensors.read(path: slideOutput)
                for key in ["logits", "probabilities"] {
                    XCTAssertLessThanOrEqual(relativeError(try XCTUnwrap(slideDict[key], label).floats(), hostDict[key]!.floats()), 1e-6, "\(label) slide \(key)")
                }
                XCTAssertEqual(slideDict.metadata["setting"], classifier.head.setting.rawValue, label)
                if name == "multi_label" {
                    XCTAssertEqual(probabilities, logits.map { 1 / (1 + exp(-$0)) }, accuracy: 1e-6, label)
                } else {
                    XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-5, label)
                }
            }
        }
    }

    /// f16 and int8 bundles (the encoders' Linear weights converted, the classifier f32) against f32:
    /// the same argmax on every slide, and the largest probability difference, reported and bounded.
    func testQuantisedBundlesKeepPredictions() throws {
        for (name, run) in try runs() {
            let f32 = try export(run, name, weights: "f32")
            for weights in ["f16", "int8"] {
                let bundle = try export(run, name, weights: weights)
                let reader = try BundleReader.open(bundle)
                XCTAssertTrue(reader.manifest.tensors.filter { $0.name.hasPrefix("classifier.") }.allSatisfy { $0.dtype == .f32 },
                              "\(name) \(weights): the classifier stays f32")
                var agree = 0, largest: Float = 0, report: [String] = []
                for (i, slide) in slides.enumerated() {
                    let reference = try edgeRun(f32, slide, try path("\(name)-\(i)-ref.safetensors")).0["probabilities"]!.floats()
                    let p = try edgeRun(bundle, slide, try path("\(name)-\(i)-\(weights).safetensors")).0["probabilities"]!.floats()
                    let argmax = { (v: [Float]) in v.indices.max { v[$0] < v[$1] }! }
                    if argmax(p) == argmax(reference) { agree += 1 }
                    let difference = zip(p, reference).map { abs($0 - $1) }.max()!
                    largest = max(largest, difference)
                    report.append("slide \(i): argmax \(argmax(p)) vs \(argmax(reference)), max |dp| \(difference)")
                }
                let summary = "\(name) \(weights) vs f32: argmax agrees on \(agree)/\(slides.count) slides, "
                    + "largest probability difference \(largest) (" + report.joined(separator: "; ") + ")"
                print(summary)
                XCTAssertEqual(agree, slides.count, summary)
                // Measured: f16 at most 3.8e-4, int8 at most 6.3e-3 (fixture teacher, demo slide and synth_a.svs).
                XCTAssertLessThanOrEqual(largest, weights == "f16" ? 1e-3 : 2e-2, summary)
            }
        }
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, message, file: file, line: line) }
}
