import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// `tessera probe` end to end on a small generated dataset: folds made and recorded, metrics and
/// weights written; the same folds read back from the recorded splits give the same metrics; bad
/// inputs stop it with one line naming the file.
final class ProbeCommandTests: XCTestCase {
    /// 60 slides of 3 classes, D 8, noise plus 3 in the feature of the slide's class (a probe separates them).
    func makeDataset(in folder: TemporaryFolder) throws {
        try FileManager.default.createDirectory(atPath: folder.file("features"), withIntermediateDirectories: true)
        var random = Xorshift(seed: 9)
        var csv = "slide_id,label\n"
        for i in 0..<60 {
            let label = i % 3
            var row = (0..<8).map { _ in Float.random(in: -1...1, using: &random) }
            row[label] += 3
            var dict = StateDict()
            dict.set("slide_embed", Tensor(shape: [8], floats: row))
            try SafeTensors.write(dict, to: folder.file("features/slide\(i).safetensors"))
            csv += "slide\(i).svs,grade\(label)\n"
        }
        try csv.write(toFile: folder.file("labels.csv"), atomically: true, encoding: .utf8)
        try "name: toy\nsetting: multi_class\nlabel_dict:\n  grade0: 0\n  grade1: 1\n  grade2: 2\nadd_metrics: [qwk]\n"
            .write(toFile: folder.file("task.yaml"), atomically: true, encoding: .utf8)
    }

    func testProbe() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try makeDataset(in: folder)
        let common = ["probe", "--features", folder.file("features"), "--labels", folder.file("labels.csv"),
                      "--task-config", folder.file("task.yaml"), "--iterations", "300", "--batch-size", "16", "--lr", "0.1",
                      "--z-score", "train", "--threads", "2"]
        let run = try TesseraProcess.run(common + ["--folds", "3", "-o", folder.file("out")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("60 slides, slide_embed [8], 3 classes (multi_class), 3 folds"), run.stderr)
        let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("out/metrics.json")))) as? [String: Any])
        let folds = try XCTUnwrap(metrics["folds"] as? [[String: Any]])
        XCTAssertEqual(folds.count, 3)
        for fold in folds {
            XCTAssertEqual(fold["test"] as? Int, 20)
            let test = try XCTUnwrap(fold["test_metrics"] as? [String: Double])
            XCTAssertEqual(test["macro_auroc"], 1)
            XCTAssertEqual(Set(test.keys), ["bacc", "acc", "macro_auroc", "macro_auprc", "qwk", "grade0_auroc", "grade1_auroc", "grade2_auroc",
                                            "grade0_auprc", "grade1_auprc", "grade2_auprc"])
            XCTAssertNotNil(fold["val_metrics"])
        }
        for k in 0..<3 {
            for part in ["train", "val", "test"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder.file("out/splits/\(part)_\(k).csv")))
            }
            let weights = try SafeTensors.read(path: folder.file("out/probe_\(k).safetensors"))
            XCTAssertEqual(weights["fc.weight"]?.shape, [3, 8])
            XCTAssertEqual(weights["fc.bias"]?.shape, [3])
            XCTAssertEqual(weights["z_score.mean"]?.shape, [8])
            XCTAssertEqual(weights.metadata["classes"], "[\"grade0\",\"grade1\",\"grade2\"]")
        }

        // The recorded splits, given back, give the same folds and the same numbers (deterministic).
        let again = try TesseraProcess.run(common + ["--splits", folder.file("out/splits"), "-o", folder.file("again")])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder.file("again/metrics.json"))),
                       try Data(contentsOf: URL(fileURLWithPath: folder.file("out/metrics.json"))))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("again/splits")))
    }

    func testRefusals() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try makeDataset(in: folder)
        let base = ["probe", "--features", folder.file("features"), "--task-config", folder.file("task.yaml"), "--iterations", "5"]

        try "slide_id,label\nslide0,grade0\nslide1,grade9\n".write(toFile: folder.file("bad.csv"), atomically: true, encoding: .utf8)
        let unknown = try TesseraProcess.run(base + ["--labels", folder.file("bad.csv"), "-o", folder.file("o1")])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains(folder.file("bad.csv") + ": data row 2: label 'grade9' is not in the task's label_dict"), unknown.stderr)

        // The output inside FEATURES: refused before any work.
        let inside = try TesseraProcess.run(base + ["--labels", folder.file("labels.csv"), "-o", folder.file("features/out")])
        XCTAssertEqual(inside.status, 1)
        XCTAssertTrue(inside.stderr.contains("lies inside the input --features"), inside.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("features/out")))

        // A feature file of another width.
        var dict = StateDict()
        dict.set("slide_embed", Tensor(shape: [5], floats: [1, 2, 3, 4, 5]))
        try SafeTensors.write(dict, to: folder.file("features/slide7.safetensors"))
        let width = try TesseraProcess.run(base + ["--labels", folder.file("labels.csv"), "-o", folder.file("o2")])
        XCTAssertEqual(width.status, 1)
        XCTAssertTrue(width.stderr.contains(folder.file("features/slide7.safetensors") + ": 'slide_embed' has shape [5]"), width.stderr)

        let options = try TesseraProcess.run(base + ["--labels", folder.file("labels.csv"), "--batch-size", "0", "-o", folder.file("o3")])
        XCTAssertNotEqual(options.status, 0)
        XCTAssertTrue(options.stderr.contains("the batch size must be at least 1, got 0"), options.stderr)

        let help = try TesseraProcess.run(["probe", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("Example:"), help.stdout)
    }
}
