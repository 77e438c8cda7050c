import XCTest
import Foundation
import TesseraCore
import TesseraFormats
import TestSupport

/// `tessera distill` end to end with the reference's settings (fixtures/distill/recipe.json):
/// one step from student_init.safetensors, then the student's files used by embed and slide.
final class DistillCommandTests: XCTestCase {
    /// folder/slides, holding the demo slide folder (a link): the data the runs below train on.
    private func linkDemoSlide(in folder: TemporaryFolder) throws {
        try FileManager.default.createDirectory(atPath: folder.file("slides"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.file("slides/demo_slide"),
                                                   withDestinationPath: Fixtures.path("slide_folder/demo_slide"))
    }

    func testOneReferenceStepThenTheStudentRunsEverywhere() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try linkDemoSlide(in: folder)
        let run = folder.file("run")
        let result = try TesseraProcess.run([
            "distill", "--teacher", Fixtures.path("tile_teacher"), "--teacher-slide", Fixtures.path("slide_encoder/slide_encoder.pth"),
            "--data", folder.file("slides"), "--init", Fixtures.path("distill/student_init.safetensors"),
            "--student-config", Fixtures.path("tile_student/config.json"),
            "--slide-depth", "1", "--slide-dim", "64", "--slide-heads", "4", "--beta", "0.5", "--lr", "1e-3",
            "--weight-decay", "0.05", "--warmup-steps", "0", "--steps", "1", "--micro-batch", "4", "-o", run, "--threads", "2",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("step 1/1"), result.stderr)
        let expected = try Fixtures.load("distill/expected.safetensors")
        let first = try XCTUnwrap(try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").first)
        let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        for key in ["loss", "loss_hidden", "loss_slide"] {
            let value = try XCTUnwrap(metrics[key] as? Double, key)
            XCTAssertLessThan(relativeError([Float(value)], try XCTUnwrap(expected[key]).floats()), 1e-4, key)
        }
        // The exported files hold the parameters after the step, under the reference's names.
        let student = try SafeTensors.read(path: run + "/student/model.safetensors")
        let slide = try SafeTensors.read(path: run + "/slide_student/slide_encoder.safetensors")
        let adaptor = try SafeTensors.read(path: run + "/adaptor.safetensors")
        for (prefix, dict) in [("student.", student), ("slide_student.", slide), ("adaptor.", adaptor)] {
            XCTAssertEqual(Set(dict.names.map { prefix + $0 }),
                           Set(expected.names.filter { $0.hasPrefix("after_step." + prefix) }.map { String($0.dropFirst(11)) }))
            for name in dict.names {
                let want = try XCTUnwrap(expected["after_step." + prefix + name]).floats(), got = dict[name]!.floats()
                // Weights whose reference gradient is float noise move by up to lr (see ReferenceStepTests).
                let gradient = try XCTUnwrap(expected["grad." + prefix + name]).floats(), largest = gradient.map(abs).max()!
                let scale = want.map(abs).max()!
                for i in 0..<got.count where abs(gradient[i]) > 1e-6 * largest {
                    XCTAssertLessThanOrEqual(abs(got[i] - want[i]) / scale, 1e-4, prefix + name)
                }
            }
        }
        let embed = try TesseraProcess.run(["embed", Fixtures.path("slide_folder/demo_slide"), "--tile-encoder", run + "/student",
                                            "--slide-encoder", run + "/slide_student", "-o", folder.file("out.safetensors")])
        XCTAssertEqual(embed.status, 0, embed.stderr)
        let out = try SafeTensors.read(path: folder.file("out.safetensors"))
        XCTAssertEqual(out["tile_embeds"]?.shape, [14, 64])
        XCTAssertEqual(out["slide_embed"]?.shape, [64])
        let slideOnly = try TesseraProcess.run(["slide", folder.file("out.safetensors"), "--slide-encoder", run + "/slide_student",
                                                "-o", folder.file("slide.safetensors")])
        XCTAssertEqual(slideOnly.status, 0, slideOnly.stderr)
        XCTAssertEqual(try SafeTensors.read(path: folder.file("slide.safetensors"))["slide_embed"]?.floats(), out["slide_embed"]?.floats())

        // run.json records the thread count and absolute paths (formats/run-folder.md); a resume asking for another count is refused.
        let options = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/run.json"))) as? [String: Any])
        XCTAssertEqual(options["version"] as? Int, 3)
        XCTAssertEqual(options["threads"] as? Int, 2)
        XCTAssertEqual(options["data"] as? String, URL(fileURLWithPath: folder.file("slides")).resolvingSymlinksInPath().path)
        let other = try TesseraProcess.run(["distill", "--resume", run, "--threads", "3"])
        XCTAssertEqual(other.status, 1, other.stderr)
        XCTAssertTrue(other.stderr.contains("--threads 3: the run in \(run) computes with 2 threads"), other.stderr)
        let same = try TesseraProcess.run(["distill", "--resume", run, "--threads", "2"])
        XCTAssertEqual(same.status, 0, same.stderr)
    }

    /// A weights file holds no head count: `--init` without --student or --student-config stops
    /// before any work, naming the options that name the architecture.
    func testInitWithoutANamedArchitectureStops() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try linkDemoSlide(in: folder)
        let initWeights = Fixtures.path("distill/student_init.safetensors")
        let result = try TesseraProcess.run([
            "distill", "--teacher", Fixtures.path("tile_teacher"), "--teacher-slide", Fixtures.path("slide_encoder"),
            "--data", folder.file("slides"), "--init", initWeights, "--steps", "1", "-o", folder.file("run"),
        ])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("--init \(initWeights): a weights file does not say the student's head count"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--student-config") && result.stderr.contains("--student "), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("run/run.json")))
    }

    /// `--precision`: anything but f32 or bf16 is a usage error naming the flag (nothing written);
    /// bf16 trains and is recorded in run.json; a resume keeps it and refuses the flag.
    func testPrecisionIsCheckedRecordedAndKept() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try linkDemoSlide(in: folder)
        let run = folder.file("run")
        let arguments = ["distill", "--teacher", Fixtures.path("tile_teacher"), "--teacher-slide", Fixtures.path("slide_encoder"),
                         "--data", folder.file("slides"), "--init", Fixtures.path("distill/student_init.safetensors"),
                         "--student-config", Fixtures.path("tile_student/config.json"), "--slide-depth", "1", "--slide-heads", "4",
                         "--steps", "1", "--micro-batch", "7", "--tiles-per-step", "7", "-o", run]
        let bad = try TesseraProcess.run(arguments + ["--precision", "f16"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--precision must be f32 or bf16, got 'f16'"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run))
        let bf16 = try TesseraProcess.run(arguments + ["--precision", "bf16"])
        XCTAssertEqual(bf16.status, 0, bf16.stderr)
        let options = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/run.json"))) as? [String: Any])
        XCTAssertEqual(options["precision"] as? String, "bf16")
        let again = try TesseraProcess.run(["distill", "--resume", run, "--precision", "f32"])
        XCTAssertEqual(again.status, 64, again.stderr)
        XCTAssertTrue(again.stderr.contains("--precision cannot be given with --resume"), again.stderr)
    }
}
