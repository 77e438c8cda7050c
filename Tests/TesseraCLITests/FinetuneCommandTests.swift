import Foundation
import XCTest
import TesseraCore
import TesseraFormats
import TestSupport

/// `tessera finetune` as the user runs it: upstream's reference step through the command
/// (fixtures/finetune), an exact resume, and refusals by name.
final class FinetuneCommandTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    /// Upstream's case `name` as the command's inputs: one feature file per slide, the labels CSV,
    /// the task YAML and the initial classifier; returns the arguments that run its one step.
    private func reference(_ name: String) throws -> (arguments: [String], expected: StateDict) {
        let expected = try Fixtures.load("finetune/\(name)/expected.safetensors")
        let features = folder.file("\(name)-features")
        try FileManager.default.createDirectory(atPath: features, withIntermediateDirectories: true)
        let multiLabel = name == "multi_label", classes = multiLabel ? 5 : 3
        let labels = try XCTUnwrap(expected["labels"]).floats()
        var csv = multiLabel ? "slide_id," + (0..<classes).map { "label\($0)" }.joined(separator: ",") + "\n" : "slide_id,label\n"
        for i in 0..<4 {
            var dict = StateDict()
            dict.set("tile_embeds", try XCTUnwrap(expected["slide\(i).tile_embeds"]))
            dict.set("coords", try XCTUnwrap(expected["slide\(i).coords"]))
            try SafeTensors.write(dict, to: features + "/slide\(i).safetensors")
            csv += multiLabel ? "slide\(i)," + labels[i * classes..<(i + 1) * classes].map { String(Int($0)) }.joined(separator: ",") + "\n"
                              : "slide\(i),class\(Int(labels[i]))\n"
        }
        try csv.write(toFile: folder.file("\(name).csv"), atomically: true, encoding: .utf8)
        try ("name: ref_\(name)\nsetting: \(name)\nlabel_dict:\n" + (0..<classes).map { "  \(multiLabel ? "label" : "class")\($0): \($0)\n" }.joined())
            .write(toFile: folder.file("\(name).yaml"), atomically: true, encoding: .utf8)
        var classifier = StateDict()
        for key in ["classifier.0.weight", "classifier.0.bias"] { classifier.set(key, try XCTUnwrap(expected["init." + key])) }
        try SafeTensors.write(classifier, to: folder.file("\(name)-classifier.safetensors"))
        let arguments = ["finetune", "--features", features, "--labels", folder.file("\(name).csv"), "--task-config", folder.file("\(name).yaml"),
                         "--slide-encoder", Fixtures.path("slide_encoder"), "--feat-layer", multiLabel ? "2" : "1-2"]
            + (multiLabel ? ["--global-pool"] : [])
            + ["--lr", "2e-3", "--weight-decay", "0.05", "--layer-decay", "0.95", "--accumulate", multiLabel ? "2" : "4",
               "--epochs", "5", "--warmup-epochs", "0", "--steps", "1", "--no-shuffle", "--init", folder.file("\(name)-classifier.safetensors"),
               "--threads", "2", "-o", folder.file("\(name)-run")]
        return (arguments, expected)
    }

    /// The step through the command equals upstream's: every parameter after AdamW (the parity
    /// rule of fixtures/finetune/README.md) and the step's loss in metrics.jsonl.
    private func checkReferenceStep(_ name: String) throws {
        let (arguments, expected) = try reference(name)
        let result = try TesseraProcess.run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        let run = folder.file("\(name)-run")
        let model = try SafeTensors.read(path: run + "/model.safetensors")
        let names = expected.names.filter { $0.hasPrefix("after_step.") }
        XCTAssertEqual(Set(model.names), Set(names.map { String($0.dropFirst("after_step.".count)) }), "upstream's parameter names")
        for key in names {
            let parameter = String(key.dropFirst("after_step.".count))
            let got = try XCTUnwrap(model[parameter], parameter).floats(), want = expected[key]!.floats()
            let grad = expected["grad." + parameter]!.floats()
            for e in 0..<want.count where abs(got[e] - want[e]) > (abs(grad[e]) >= 1e-6 ? 1e-6 : 2e-3) {
                XCTFail("\(name) \(parameter)[\(e)]: \(got[e]) against upstream's \(want[e])")
                break
            }
        }
        let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["step"] as? Int, 1)
        XCTAssertEqual(try XCTUnwrap(first["loss"] as? Double), Double(expected["loss.total"]!.floats()[0]), accuracy: 1e-5)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any])
        XCTAssertNotNil(config["classifier"], "config.json describes the head")
    }

    func testMultiClassStepEqualsUpstreams() throws { try checkReferenceStep("multi_class") }
    func testMultiLabelStepEqualsUpstreams() throws { try checkReferenceStep("multi_label") }

    private func task(_ run: String, steps: Int, extra: [String] = []) -> [String] {
        let data = Fixtures.path("finetune_task")
        return ["finetune", "--features", data, "--labels", data + "/labels.csv", "--task-config", data + "/task.yaml",
                "--slide-encoder", Fixtures.path("slide_encoder"), "--feat-layer", "1-2", "--lr", "2e-3", "--weight-decay", "0.05",
                "--accumulate", "3", "--epochs", "4", "--steps", "\(steps)", "--checkpoint-every", "2", "--threads", "2", "-o", folder.file(run)]
            + extra
    }

    /// A run stopped after 5 steps (mid-epoch, with a checkpoint at step 4) and resumed to 12
    /// writes the model, the checkpoint and the step lines of the run never stopped.
    func testResumedRunEqualsUninterruptedRun() throws {
        var result = try TesseraProcess.run(task("straight", steps: 12))
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try TesseraProcess.run(task("stopped", steps: 5))
        XCTAssertEqual(result.status, 0, result.stderr)
        // What a kill after step 5 leaves: the checkpoint of step 4, and a metrics line of step 5 beyond it.
        let stopped = folder.file("stopped")
        result = try TesseraProcess.run(["finetune", "--resume", stopped, "--steps", "12"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let straight = folder.file("straight")
        for file in ["model.safetensors", "checkpoint.safetensors", "config.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: straight + "/" + file), FileManager.default.contents(atPath: stopped + "/" + file),
                           file)
        }
        func stepLines(_ run: String) throws -> [String] {
            try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
                .filter { $0.contains("\"loss\":") }
                .map { $0.replacingOccurrences(of: #""grad_norm":[^,}]*"#, with: "", options: .regularExpression) }
        }
        XCTAssertEqual(try stepLines(straight).count, 12)
        XCTAssertEqual(try stepLines(straight), try stepLines(stopped))
    }

    /// Inputs that cannot run stop with a message naming the problem (status 64 for options the
    /// parser refuses, 1 for files), and nothing is written.
    func testBadInputsAreRefusedByName() throws {
        try "slide_id,label\nslide_000,subtype_z\n".write(toFile: folder.file("bad.csv"), atomically: true, encoding: .utf8)
        let data = Fixtures.path("finetune_task")
        let cases: [([String], Int32, String)] = [
            (task("deep", steps: 1).map { $0 == "1-2" ? "1-3" : $0 }, 1, "feature layer 3 is outside 0...2"),
            (task("csv", steps: 1).map { $0 == data + "/labels.csv" ? folder.file("bad.csv") : $0 }, 1, "subtype_z"),
            (task("lr", steps: 1).map { $0 == "2e-3" ? "-1" : $0 }, 64, "--lr must be a positive number"),
            (["finetune", "--resume", folder.file("nothing"), "--lr", "1e-3"], 64, "cannot be given with --resume"),
        ]
        for (arguments, status, message) in cases {
            let result = try TesseraProcess.run(arguments)
            XCTAssertEqual(result.status, status, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("deep")), "a refused run writes nothing")
    }
}
