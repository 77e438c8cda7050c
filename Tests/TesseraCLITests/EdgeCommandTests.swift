import Foundation
@testable import TesseraBundle
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// `tessera-edge` as a command: hostile bundles, bad tiles and bad inputs fail with exit 1 and a
/// message naming the problem; usage errors exit 64; `--help` has an example per command;
/// `bench` prints one JSON object.
final class EdgeCommandTests: XCTestCase {
    /// The fixture student with the 16-head slide encoder of its width, exported once for the class.
    nonisolated(unsafe) private static var folder: TemporaryFolder?

    override class func tearDown() {
        folder?.cleanUp()
        folder = nil
        super.tearDown()
    }

    private func bundle(weights: String = "f32") throws -> String {
        if Self.folder == nil { Self.folder = try TemporaryFolder() }
        let path = Self.folder!.file("student-\(weights).tsb")
        if !FileManager.default.fileExists(atPath: path) {
            let result = try TesseraProcess.run(["export", "--tile-encoder", Fixtures.path("tile_student"), "--slide-encoder",
                                                 Fixtures.path("slide_encoder_16h"), "--weights", weights, "-o", path])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        return path
    }

    private func edge(_ arguments: [String]) throws -> TesseraProcess.Result {
        try TesseraProcess.run(arguments, program: "tessera-edge")
    }

    /// Every hostile bundle: `run` and `inspect` exit 1 with the reader's own message (file,
    /// tensor, offset, problem), never a crash.
    func testHostileBundlesAreRefusedByName() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("hostile_bundles"))
            .filter { $0.hasSuffix(".tsb") && !$0.hasPrefix("valid") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 40)
        for name in names {
            let path = Fixtures.path("hostile_bundles/" + name)
            var expected = ""
            do { try BundleReader.open(path).verifyAll() } catch { expected = error.description }
            XCTAssertFalse(expected.isEmpty, "\(name) is accepted by the reader")
            for arguments in [["inspect", path], ["run", path, Fixtures.path("slide_folder/demo_slide"), "-o", folder.file("out.safetensors")]] {
                let result = try edge(arguments)
                XCTAssertEqual(result.status, 1, "\(arguments[0]) \(name): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(expected), "\(arguments[0]) \(name): \(result.stderr)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "nothing is written")
    }

    /// valid.tsb is a well-formed bundle whose tensors are not a whole model: inspect and run
    /// refuse it alike (one validation), saying what the tile encoder lacks.
    func testIncompleteModelIsRefusedByInspectAndRun() throws {
        let path = Fixtures.path("hostile_bundles/valid.tsb")
        let inspect = try edge(["inspect", path])
        let run = try edge(["run", path, Fixtures.path("slide_folder/demo_slide"), "-o", "/tmp/never-written.safetensors"])
        for result in [inspect, run] {
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.stderr.contains("\(path): the tile encoder cannot be built") && result.stderr.contains("missing"),
                          result.stderr)
        }
        XCTAssertEqual(inspect.stderr, run.stderr)
    }

    /// The exported bundle with its manifest changed by `change` and resealed, the tensors as they were.
    private func rewritten(_ name: String, _ change: (inout BundleManifest) -> Void) throws -> String {
        let source = try bundle(), bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        var manifest = try BundleReader.open(source).manifest
        let sections = manifest.tensors.map { info in
            let stored = Tensor(zeros: [info.storedLength], dtype: .u8)
            bytes.copyBytes(to: stored.storage.mutableBytes.bindMemory(to: UInt8.self), from: info.offset..<(info.offset + info.storedLength))
            return stored
        }
        change(&manifest)
        var file: [UInt8] = []
        BundleWriter.assemble(manifest, sections: sections).write { file += $0 }
        let path = Self.folder!.file(name + ".tsb")
        try Data(file).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Well-formed bundles that mean nothing runnable (issue 23): a tile transform std of 1e-45
    /// or mean of 3e38 (every embedding NaN), an mlp_hidden, depth or patch size the tensors
    /// contradict. Both inspect commands and run exit 1 with the same message, naming the field.
    func testAbsurdBundlesAreRefusedByInspectAndRun() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let cases: [(String, (inout BundleManifest) -> Void, String)] = [
            ("std", { $0.tileTransform.std[0] = Float.leastNonzeroMagnitude }, "'tile_transform.std' must be in"),
            ("mean", { $0.tileTransform.mean[2] = 3e38 }, "'tile_transform.mean' must be in 0.0...1.0"),
            ("mlp-hidden", { $0.tileEncoder.mlpHidden += 1 }, "tile_encoder.mlp_hidden is 257, but blocks.0.mlp.fc1.weight has 256 rows"),
            ("depth", { $0.tileEncoder.depth += 1 }, "missing (12): blocks.2.norm1.weight"),
            ("patch", { $0.tileEncoder.patchSize = 8 }, "patch_embed.proj.weight: expected shape [64, 3, 8, 8], found [64, 3, 16, 16]"),
        ]
        for (name, change, message) in cases {
            let path = try rewritten("absurd-" + name, change)
            let results = [try edge(["inspect", path]), try TesseraProcess.run(["inspect", path]),
                           try edge(["run", path, Fixtures.path("slide_folder/demo_slide"), "-o", folder.file("out.safetensors")])]
            for result in results {
                XCTAssertEqual(result.status, 1, "\(name): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(path + ": ") && result.stderr.contains(message), "\(name): \(result.stderr)")
            }
            XCTAssertEqual(results[0].stderr, results[2].stderr, name)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "nothing is written")
    }

    /// A truncated PNG among good tiles is reported by name and skipped; the rest are embedded
    /// exactly as when it is absent.
    func testBadTileIsReportedAndSkipped() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let slide = folder.file("slide"), clean = folder.file("clean")
        for dir in [slide, clean] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        for name in ["40960x_12800y.png", "40960x_13056y.png", "41216x_12800y.png"] {
            for dir in [slide, clean] {
                try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/demo_slide/" + name), toPath: dir + "/" + name)
            }
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("slide_folder/demo_slide/41216x_13056y.png")))
        try png.prefix(png.count / 2).write(to: URL(fileURLWithPath: slide + "/40960x_13312y.png"))
        let result = try edge(["run", try bundle(), slide, "-o", folder.file("out.safetensors")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("skipped \(slide)/40960x_13312y.png"), result.stderr)
        XCTAssertTrue(result.stderr.contains("embedded 3 tiles (1 skipped)"), result.stderr)
        XCTAssertEqual(try edge(["run", try bundle(), clean, "-o", folder.file("clean.safetensors")]).status, 0)
        let out = try SafeTensors.read(path: folder.file("out.safetensors"))
        let expected = try SafeTensors.read(path: folder.file("clean.safetensors"))
        XCTAssertEqual(out.metadata["skipped_tiles"], "[\"40960x_13312y.png\"]")
        for name in expected.names { XCTAssertTrue(out[name]!.isBitIdentical(to: expected[name]!), name) }
    }

    func testBadInputsFailWithTheirName() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let cases: [([String], String)] = [
            (["run", try bundle(), folder.file("absent"), "-o", folder.file("a.safetensors")], "\(folder.file("absent")): cannot read: No such file or directory"),
            (["run", try bundle(), folder.path, "-o", folder.file("b.safetensors")], "\(folder.path): no .png tiles in the folder"),
            (["inspect", folder.file("absent.tsb")], folder.file("absent.tsb")),
            (["bench", Fixtures.path("tile_student/model.safetensors")], "not a Tessera bundle"),
        ]
        for (arguments, message) in cases {
            let result = try edge(arguments)
            XCTAssertEqual(result.status, 1, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments.joined(separator: " ")): \(result.stderr)")
        }
    }

    /// `run -o` naming the bundle, a tile of the slide folder (also through a symbolic link) or a
    /// file in a missing folder is refused before any work: exit 1, one line naming -o and the
    /// path (no progress line: no tile was read), the bundle and the tiles as they were, no file made.
    func testOutputsThatWouldReplaceAnInputAreRefusedUpFront() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let bundle = folder.file("s.tsb"), slide = folder.file("slide")
        try FileManager.default.copyItem(atPath: try self.bundle(), toPath: bundle)
        try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/demo_slide"), toPath: slide)
        let tiles = try FileManager.default.contentsOfDirectory(atPath: slide).filter { $0.hasSuffix(".png") }.sorted()
        let name = try XCTUnwrap(tiles.first), tile = slide + "/" + name, link = folder.file("link.png")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: tile)
        func contents() throws -> [String: Data] {
            var files = [bundle: try Data(contentsOf: URL(fileURLWithPath: bundle))]
            for tile in tiles { files[tile] = try Data(contentsOf: URL(fileURLWithPath: slide + "/" + tile)) }
            return files
        }
        let before = try contents()
        let missing = folder.file("missing/out.safetensors"), replaces = "; write the output to another file (it would replace its own input)"
        let cases: [(output: String, expected: String)] = [
            (bundle, "-o \(bundle) is the input BUNDLE \(bundle)" + replaces),
            (tile, "-o \(tile) is \(name) of the input SLIDE \(slide)" + replaces),
            (link, "-o \(link) is \(name) of the input SLIDE \(slide)" + replaces),
            (missing, "-o \(missing): open the output folder \(folder.file("missing"))/ failed: No such file or directory"),
        ]
        for (output, expected) in cases {
            let result = try edge(["run", bundle, slide, "-o", output])
            XCTAssertEqual(result.status, 1, "\(output): \(result.stderr)")
            XCTAssertEqual(result.stderr, "tessera-edge: error: \(expected)\n", output)
            XCTAssertEqual(try contents(), before, "\(output): an input changed")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["link.png", "s.tsb", "slide"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: slide).sorted(), tiles)
    }

    func testUsageErrorsExit64() throws {
        let cases: [([String], String)] = [
            ([], "no command given"),
            (["embed", "x"], "unknown command 'embed'"),
            (["run", "b.tsb", "slide"], "-o OUT.safetensors is required"),
            (["run", "b.tsb", "-o", "out"], "run takes BUNDLE SLIDE, got 1 argument"),
            (["run", "b.tsb", "slide", "-o", "out", "--threads", "0"], "run: --threads must be a whole number in 1...1024, got '0'"),
            (["run", "b.tsb", "slide", "-o", "out", "--threads", "1025"], "run: --threads must be a whole number in 1...1024, got '1025'"),
            // Huge counts once aborted in malloc (exit 134): usage errors, before the bundle is opened.
            (["bench", "b.tsb", "--iterations", "9223372036854775807"],
             "bench: --iterations must be a whole number in 1...100000, got '9223372036854775807'"),
            (["bench", "b.tsb", "--iterations", "99999999999999999999"], "--iterations must be a whole number in 1...100000"),
            (["bench", "b.tsb", "--batch", "1000000000"], "bench: --batch must be a whole number in 1...1024, got '1000000000'"),
            (["bench", "b.tsb", "--batch", "-1"], "bench: --batch must be a whole number in 1...1024, got '-1'"),
            (["bench", "b.tsb", "--threads", "100000"], "bench: --threads must be a whole number in 1...1024, got '100000'"),
            (["bench", "b.tsb", "--batch"], "--batch needs a value"),
            (["bench", "b.tsb", "--iterations", "2", "--iterations", "3"], "--iterations is given twice"),
            (["inspect", "b.tsb", "--threads", "2"], "inspect: unknown option '--threads'"),
        ]
        for (arguments, message) in cases {
            let result = try edge(arguments)
            XCTAssertEqual(result.status, 64, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message) && result.stderr.contains("usage: tessera-edge run"),
                          "\(arguments): \(result.stderr)")
        }
    }

    func testHelpHasAnExampleForEachCommand() throws {
        let help = try edge(["--help"])
        XCTAssertEqual(help.status, 0)
        for command in ["run", "inspect", "bench"] {
            XCTAssertTrue(help.stdout.contains("example: tessera-edge \(command) "), command)
            let own = try edge([command, "--help"])
            XCTAssertEqual(own.status, 0)
            XCTAssertTrue(own.stdout.hasPrefix("tessera-edge \(command)") && own.stdout.contains("example:"), own.stdout)
        }
    }

    func testBenchPrintsOneJSONObject() throws {
        let result = try edge(["bench", try bundle(), "--batch", "2", "--iterations", "2", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 1, result.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(json["ms_per_tile"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(json["tiles_per_s"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(json["peak_rss_mb"] as? Double), 1)
        XCTAssertEqual(json["threads"] as? Int, 1)
        XCTAssertEqual(json["batch"] as? Int, 2)
        XCTAssertEqual(json["iterations"] as? Int, 2)
        XCTAssertEqual(json["bundle_weights"] as? String, "f32")
        XCTAssertTrue(try XCTUnwrap(json["kernel"] as? String).hasPrefix("f32-"))
        XCTAssertEqual(json["architecture"] as? String, "vit_small_patch16_224")
    }

    /// A bundle path with a quote, a backslash and a tab still gives valid JSON naming it exactly.
    func testBenchQuotesTheBundlePath() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let odd = folder.file("a \"quoted\"\\name\twith tab.tsb")
        try FileManager.default.copyItem(atPath: try bundle(), toPath: odd)
        let result = try edge(["bench", odd, "--batch", "1", "--iterations", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains(#"\"quoted\"\\name\twith"#), result.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["bundle"] as? String, odd)
    }

    /// The engine computes in the bundle's precision: an int8 bundle runs the int8 kernels
    /// (the best path this CPU has), an f16 bundle its f16 products.
    func testBenchRunsTheBundlesPrecision() throws {
        for (weights, kernel) in [("int8", "int8-"), ("f16", "f16")] {
            let result = try edge(["bench", try bundle(weights: weights), "--batch", "1", "--iterations", "1"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(json["bundle_weights"] as? String, weights)
            XCTAssertTrue(try XCTUnwrap(json["kernel"] as? String).hasPrefix(kernel), "\(json)")
        }
    }
}
