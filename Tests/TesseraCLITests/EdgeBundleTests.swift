import Foundation
import TesseraBundle
import TesseraCore
import TesseraFormats
import TesseraRunFolder
import TestSupport
import XCTest

/// `tessera export` then `tessera-edge run`: f32 bundles reproduce `tessera embed --slide-encoder`
/// on the demo slide; f16 and int8 bundles are measured against f32; a run folder's provenance
/// and teacher-space head reach the bundle; a head is applied; both inspect commands verify bundles.
final class EdgeBundleTests: XCTestCase {
    /// The class's temporary folder: a distillation run, bundles and outputs, each made once.
    nonisolated(unsafe) private static var folder: TemporaryFolder?

    override class func tearDown() {
        folder?.cleanUp()
        folder = nil
        super.tearDown()
    }

    private let slide = Fixtures.path("slide_folder/demo_slide")

    private func path(_ name: String) throws -> String {
        if Self.folder == nil { Self.folder = try TemporaryFolder() }
        return Self.folder!.file(name)
    }

    /// The file `name`, made by a command that must succeed the first time it is asked for.
    private func made(_ name: String, program: String = "tessera", environment: [String: String] = [:],
                      _ arguments: (String) -> [String]) throws -> String {
        let output = try path(name)
        if !FileManager.default.fileExists(atPath: output) {
            let result = try TesseraProcess.run(arguments(output), program: program, environment: environment)
            XCTAssertEqual(result.status, 0, "\(program) \(arguments(output).joined(separator: " ")): \(result.stderr)")
        }
        return output
    }

    /// A one-step distillation of the fixture teacher on the demo slide, from the fixture student's init.
    private func distillation() throws -> String {
        let data = try path("data")
        if !FileManager.default.fileExists(atPath: data) {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: data + "/demo_slide", withDestinationPath: slide)
        }
        return try made("run") {
            ["distill", "--teacher", Fixtures.path("tile_teacher"), "--teacher-slide", Fixtures.path("slide_encoder"),
             "--data", data, "--init", Fixtures.path("distill/student_init.safetensors"),
             "--student-config", Fixtures.path("tile_student/config.json"), "--slide-depth", "1",
             "--slide-heads", "4", "--steps", "1", "-o", $0]
        }
    }

    private func export(_ name: String, tile: String, slide: String?, weights: String, zstd: Bool = false,
                        _ options: [String] = []) throws -> String {
        try made(name + ".tsb", environment: ["SOURCE_DATE_EPOCH": "1700000000"]) {
            ["export", "--tile-encoder", tile, "--weights", weights, "-o", $0] + (slide.map { ["--slide-encoder", $0] } ?? [])
                + (zstd ? ["--compress", "zstd"] : []) + options
        }
    }

    private func edge(_ bundle: String) throws -> StateDict {
        try SafeTensors.read(path: made(URL(fileURLWithPath: bundle).lastPathComponent + ".out.safetensors", program: "tessera-edge") {
            ["run", bundle, self.slide, "-o", $0, "--threads", "2"]
        })
    }

    private func embed(_ name: String, tile: String, slide: String) throws -> StateDict {
        try SafeTensors.read(path: made(name) {
            ["embed", self.slide, "--tile-encoder", tile, "--slide-encoder", slide, "-o", $0, "--threads", "2"]
        })
    }

    /// The fixture student with the run's slide student (whose in_chans is the student's width).
    private func studentBundle(_ weights: String, zstd: Bool = false) throws -> String {
        try export("student-" + weights + (zstd ? "-zstd" : ""), tile: Fixtures.path("tile_student"),
                   slide: distillation() + "/slide_student", weights: weights, zstd: zstd)
    }

    func testTeacherF32BundleReproducesEmbed() throws {
        let bundle = try export("teacher-f32", tile: Fixtures.path("tile_teacher"), slide: Fixtures.path("slide_encoder"),
                                weights: "f32")
        let reference = try embed("teacher-embed.safetensors", tile: Fixtures.path("tile_teacher"), slide: Fixtures.path("slide_encoder"))
        let output = try edge(bundle)
        XCTAssertEqual(Set(output.names), EdgeOutputs.embedNames(depth: 2))
        try EdgeOutputs.assertMatches(output, reference, bundle: bundle, tolerance: 1e-5)
    }

    func testStudentF32BundleReproducesEmbed() throws {
        let bundle = try studentBundle("f32")
        let reference = try embed("student-embed.safetensors", tile: Fixtures.path("tile_student"),
                                  slide: distillation() + "/slide_student")
        let output = try edge(bundle)
        XCTAssertEqual(Set(output.names), EdgeOutputs.embedNames(depth: 1))
        try EdgeOutputs.assertMatches(output, reference, bundle: bundle, tolerance: 1e-5)
    }

    /// bf16 matrix weights: the engine computes those layers in bf16, exactly as `tessera embed
    /// --precision bf16` does from the f32 checkpoints (every output bit for bit), within the bf16
    /// accuracy rule of the f32 bundle's (docs/models.md §7), at 0.6 of its size.
    func testBf16BundleComputesAsEmbedAtBf16() throws {
        let bundle = try export("teacher-bf16", tile: Fixtures.path("tile_teacher"), slide: Fixtures.path("slide_encoder"),
                                weights: "bf16")
        let output = try edge(bundle)
        let reference = try SafeTensors.read(path: made("teacher-embed-bf16.safetensors") {
            ["embed", self.slide, "--tile-encoder", Fixtures.path("tile_teacher"), "--slide-encoder", Fixtures.path("slide_encoder"),
             "--precision", "bf16", "-o", $0, "--threads", "2"]
        })
        XCTAssertEqual(reference.metadata["precision"], "bf16")
        for name in output.names where reference[name] != nil {
            XCTAssertEqual(output[name]!.floats().map(\.bitPattern), reference[name]!.floats().map(\.bitPattern), name)
        }
        let exact = try edge(try export("teacher-f32", tile: Fixtures.path("tile_teacher"), slide: Fixtures.path("slide_encoder"),
                                        weights: "f32"))
        XCTAssertGreaterThan(EdgeOutputs.minimumRowCosine(try XCTUnwrap(output["tile_embeds"]), exact["tile_embeds"]!), 0.9999)
        XCTAssertGreaterThan(EdgeOutputs.cosine(output["slide_embed"]!.floats()[...], exact["slide_embed"]!.floats()[...]), 0.9999)
        XCTAssertNotEqual(output["slide_embed"]!.floats(), exact["slide_embed"]!.floats())
        let size = { (path: String) in Double(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int) }
        XCTAssertLessThan(try size(bundle) / size(try self.path("teacher-f32.tsb")), 0.65)
    }

    /// f16 and int8 matrix weights: the bundle shrinks, the embeddings stay close to f32's.
    func testQuantisedBundlesAgainstF32() throws {
        let f32 = try studentBundle("f32")
        let exact = try edge(f32)
        let size = { (path: String) in Double(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int) }
        // Measured here: cosines 1 - 4e-8 (f16) and 1 - 3e-5 (int8), sizes 0.65 and 0.49 of f32 (norms,
        // biases and the patch embedding stay f32 and weigh much in this small model); floors with margin.
        for (weights, zstd, maxRatio, tileFloor, slideFloor) in [("f16", false, 0.70, 0.99999, 0.99999),
                                                                 ("int8", false, 0.55, 0.999, 0.999),
                                                                 ("int8", true, 0.55, 0.999, 0.999)] {
            let bundle = try studentBundle(weights, zstd: zstd)
            let output = try edge(bundle)
            let ratio = try size(bundle) / size(f32)
            let tile = EdgeOutputs.minimumRowCosine(try XCTUnwrap(output["tile_embeds"]), exact["tile_embeds"]!)
            let slide = EdgeOutputs.cosine(try XCTUnwrap(output["slide_embed"]).floats()[...], exact["slide_embed"]!.floats()[...])
            print("edge \(weights)\(zstd ? "+zstd" : ""): size \(Int(try size(bundle))) bytes = \(ratio) of f32 (\(Int(try size(f32)))), "
                  + "tile_embeds min cosine \(tile), slide_embed cosine \(slide)")
            XCTAssertLessThan(ratio, maxRatio, weights)
            XCTAssertGreaterThan(tile, tileFloor, weights)
            XCTAssertGreaterThan(slide, slideFloor, weights)
            XCTAssertEqual(output["coords"]?.floats(), exact["coords"]?.floats())
        }
    }

    /// A run folder gives the student, the slide student and the run's provenance; with
    /// SOURCE_DATE_EPOCH the bundle is reproducible byte for byte.
    func testRunFolderExportCarriesProvenance() throws {
        let run = try distillation()
        let bundle = try export("run-f32", tile: run, slide: nil, weights: "f32")
        let again = try export("run-f32-again", tile: run, slide: nil, weights: "f32")
        XCTAssertEqual(FileManager.default.contents(atPath: bundle), FileManager.default.contents(atPath: again))
        let m = try BundleReader.open(bundle).manifest
        XCTAssertEqual(m.tileEncoder.embedDim, 64)
        XCTAssertEqual(m.slideEncoder.map { [$0.config.inChans, $0.config.embedDim, $0.config.depth, $0.config.heads] }, [64, 64, 1, 4])
        XCTAssertEqual(m.slideEncoder?.pool, .mean)
        XCTAssertEqual(m.outputs, [.tileEmbeds, .slideEmbed, .teacherTileEmbeds])
        let p = m.provenance
        XCTAssertEqual(SHA256.hex(p.teacherWeightsSHA256), try SHA256.hex(ofFile: Fixtures.path("tile_teacher/model.safetensors")))
        let digest = SHA256.hex(Array(try XCTUnwrap(FileManager.default.contents(atPath: run + "/run.json"))).withUnsafeBytes { SHA256.digest($0) })
        XCTAssertEqual(p.distillationRunID, "run@" + digest.prefix(16))
        let line = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").last!
        let logged = try Array(line.utf8).withUnsafeBytes { try JSONParser.parse($0, path: "metrics.jsonl") }
        guard case .number(let loss)? = logged["loss"] else { return XCTFail("no loss in \(line)") }
        XCTAssertEqual(p.metrics.first { $0.name == "loss" }?.value, Double(loss))
        XCTAssertEqual(p.metrics.first { $0.name == "steps" }?.value, 1)
        XCTAssertEqual(p.createdUnixSeconds, 1_700_000_000)
        XCTAssertFalse(p.tesseraVersion.isEmpty)
        // The student's tile encoder is the run's.
        let student = try SafeTensors.read(path: run + "/student/model.safetensors")
        let reader = try BundleReader.open(bundle)
        for name in student.names {
            XCTAssertTrue(try reader.tensor("tile_encoder." + name).tensor.isBitIdentical(to: student[name]!), name)
        }
    }

    /// A run's bundle carries its teacher-space head (format version 2): teacher_tile_embeds are
    /// the teacher's norm over the adaptor of the student's last hidden class token, computed here
    /// in double precision from `tessera embed --hidden-states` of the run's student and
    /// RUN/teacher_head.safetensors. tile_embeds are those of the bundle without its head (version 1)
    /// and of `tessera embed`.
    func testRunBundleComputesTheTeacherHead() throws {
        let run = try distillation()
        let bundle = try export("run-f32", tile: run, slide: nil, weights: "f32")
        let reader = try BundleReader.open(bundle)
        let file = try SafeTensors.read(path: run + "/teacher_head.safetensors")
        let eps = try XCTUnwrap(Float(try XCTUnwrap(file.metadata["norm_eps"])))
        XCTAssertEqual(reader.version, 2)
        XCTAssertEqual(reader.manifest.teacherHead,
                       BundleTeacherHead(inFeatures: 64, outFeatures: 96, input: .lastHiddenCLS, layerNormEps: eps))
        let output = try edge(bundle)

        let student = try SafeTensors.read(path: made("run-student-hidden.safetensors") {
            ["embed", self.slide, "--tile-encoder", run + "/student", "--hidden-states", "-o", $0, "--threads", "2"]
        })
        let last = try XCTUnwrap(student["blocks.1"]), (n, tokens, d) = (last.shape[0], last.shape[1], last.shape[2])
        let (w, b) = (file["adaptor.weight"]!.floats(), file["adaptor.bias"]!.floats())
        let (gamma, beta) = (file["norm.weight"]!.floats(), file["norm.bias"]!.floats())
        let h = last.floats(), dt = b.count
        var expected: [Float] = []
        for tile in 0..<n {
            let cls = h[(tile * tokens * d)..<(tile * tokens * d + d)].map(Double.init)
            let y = (0..<dt).map { o in (0..<d).reduce(Double(b[o])) { $0 + cls[cls.startIndex + $1] * Double(w[o * d + $1]) } }
            let mean = y.reduce(0, +) / Double(dt)
            let variance = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(dt)
            expected += (0..<dt).map { Float((y[$0] - mean) / (variance + Double(eps)).squareRoot() * Double(gamma[$0]) + Double(beta[$0])) }
        }
        let head = try XCTUnwrap(output["teacher_tile_embeds"])
        XCTAssertEqual(head.shape, [n, dt])
        let error = relativeError(head.floats(), expected)
        print("edge teacher_tile_embeds (f32 run bundle) against double precision: relative error \(error)")
        XCTAssertLessThanOrEqual(error, 1e-5)

        let withoutHead = try export("run-f32-no-head", tile: run, slide: nil, weights: "f32", ["--no-teacher-head"])
        let v1 = try BundleReader.open(withoutHead)
        XCTAssertEqual(v1.version, 1)
        XCTAssertNil(v1.manifest.teacherHead)
        XCTAssertEqual(v1.manifest.outputs, [.tileEmbeds, .slideEmbed])
        let plain = try edge(withoutHead)
        XCTAssertNil(plain["teacher_tile_embeds"])
        XCTAssertTrue(try XCTUnwrap(output["tile_embeds"]).isBitIdentical(to: try XCTUnwrap(plain["tile_embeds"])))
        XCTAssertLessThanOrEqual(relativeError(output["tile_embeds"]!.floats(), student["tile_embeds"]!.floats()), 1e-5)
        XCTAssertTrue(try TesseraProcess.run(["inspect", bundle]).stdout.contains(
            "teacher head: Linear 64 -> 96, LayerNorm eps \(eps), on the last hidden class token (before the final norm)"))
    }

    /// f16 and int8 bundles of a run: the head's Linear weight stored as asked, its norm f32, and
    /// teacher_tile_embeds close to the f32 bundle's.
    func testQuantisedRunBundlesKeepTheTeacherHead() throws {
        let run = try distillation()
        let exact = try edge(try export("run-f32", tile: run, slide: nil, weights: "f32"))["teacher_tile_embeds"]!
        // Measured here: smallest row cosines 1 - 1.2e-8 (f16) and 1 - 2.3e-5 (int8); floors with margin.
        for (weights, dtype, floor) in [("f16", DType.f16, 0.99999), ("int8", DType.i8, 0.999)] {
            let bundle = try export("run-" + weights, tile: run, slide: nil, weights: weights)
            let tensors = try BundleReader.open(bundle).manifest.tensors
            XCTAssertEqual(tensors.first { $0.name == "teacher_head.weight" }?.dtype, dtype, weights)
            XCTAssertEqual(tensors.first { $0.name == "teacher_head.norm.weight" }?.dtype, .f32, weights)
            let head = try XCTUnwrap(try edge(bundle)["teacher_tile_embeds"])
            let cosine = EdgeOutputs.minimumRowCosine(head, exact)
            print("edge \(weights) run bundle: teacher_tile_embeds min cosine to f32 \(cosine)")
            XCTAssertGreaterThan(cosine, floor, weights)
        }
    }

    /// A bundle with a teacher-space head writes teacher_tile_embeds = tile_embeds W^T + b.
    func testTeacherHeadIsApplied() throws {
        let source = try BundleReader.open(try studentBundle("f32"))
        var manifest = source.manifest
        var rng = Xorshift(seed: 7)
        let (d, dt) = (manifest.tileEncoder.embedDim, 96)
        let weight = (0..<(dt * d)).map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        let bias = (0..<dt).map { _ in Float.random(in: -0.1...0.1, using: &rng) }
        var tensors = StateDict()
        for info in manifest.tensors { tensors.set(info.name, try source.tensor(info.name).dequantised()) }
        tensors.set("teacher_head.weight", Tensor(shape: [dt, d], floats: weight))
        tensors.set("teacher_head.bias", Tensor(shape: [dt], floats: bias))
        manifest.teacherHead = BundleTeacherHead(inFeatures: d, outFeatures: dt)
        manifest.outputs.append(.teacherTileEmbeds)
        let path = try self.path("student-head.tsb")
        let encoded = try BundleWriter().encode(manifest, tensors: tensors, path: path)
        var bytes: [UInt8] = []
        encoded.write { bytes += $0 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let output = try edge(path)
        let tiles = try XCTUnwrap(output["tile_embeds"]), head = try XCTUnwrap(output["teacher_tile_embeds"])
        XCTAssertEqual(head.shape, [tiles.shape[0], dt])
        XCTAssertTrue(tiles.isBitIdentical(to: try edge(try studentBundle("f32"))["tile_embeds"]!))
        let x = tiles.floats()
        let expected = (0..<tiles.shape[0]).flatMap { row in
            (0..<dt).map { o in Float((0..<d).reduce(Double(bias[o])) { $0 + Double(x[row * d + $1]) * Double(weight[o * d + $1]) }) }
        }
        XCTAssertLessThan(relativeError(head.floats(), expected), 1e-5)
    }

    /// Models a bundle cannot describe are refused before anything is written.
    func testExportRefusesWhatABundleCannotHold() throws {
        let output = try path("refused.tsb")
        let cases: [([String], String)] = [
            (["--tile-encoder", Fixtures.path("tile_student"), "--slide-encoder", Fixtures.path("slide_encoder")],
             "the slide encoder takes tile embeddings of width 96, the tile encoder makes 64"),
            (["--tile-encoder", Fixtures.path("tile_student/model.safetensors")],
             "the tile encoder's architecture 'vit (inferred)' cannot name it in a bundle"),
        ]
        for (arguments, message) in cases {
            let result = try TesseraProcess.run(["export"] + arguments + ["--weights", "f16", "-o", output])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
    }

    /// `-o` naming a file of the run folder at any depth is refused, its teacher cache included
    /// (export reads the teacher's SHA-256 there): issue 23 found RUN/teacher_cache/* replaced.
    func testExportRefusesToReplaceAFileOfTheRun() throws {
        let run = try distillation()
        let cache = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: run + "/teacher_cache").sorted().first)
        for member in ["teacher_cache/" + cache, "student/config.json", "metrics.jsonl"] {
            let output = run + "/" + member
            let before = try Data(contentsOf: URL(fileURLWithPath: output))
            let result = try TesseraProcess.run(["export", "--tile-encoder", run, "--weights", "f32", "-o", output])
            XCTAssertEqual(result.status, 1, "\(member): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("-o \(output) is \(member) of the input --tile-encoder "), "\(member): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("would replace its own input"), result.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), before, "\(member) changed")
        }
        // Nor a new file in the teacher cache, whose every file export (and a resume) reads.
        let cacheFiles = try FileManager.default.contentsOfDirectory(atPath: run + "/teacher_cache").sorted()
        for member in ["teacher_cache/new.safetensors", "teacher_cache/./new.tsb"] {
            let output = run + "/" + member
            let result = try TesseraProcess.run(["export", "--tile-encoder", run, "--weights", "f32", "-o", output])
            XCTAssertEqual(result.status, 1, "\(member): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("-o \(output) lies inside the input --tile-encoder \(run)/teacher_cache, whose every file is read"),
                          "\(member): \(result.stderr)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/teacher_cache").sorted(), cacheFiles)
    }

    /// A run that trained a head (run.json version 2) but lacks teacher_head.safetensors (a full
    /// disk at its end) is refused, saying how to get the head or to leave it out; a version-1
    /// run, which may predate heads, exports without one and says so.
    func testExportRefusesARunThatLostItsHead() throws {
        let run = try distillation()
        let copy = try path("headless")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for item in ["run.json", "student", "slide_student", "teacher_cache", "metrics.jsonl"] {
            try FileManager.default.createSymbolicLink(atPath: copy + "/" + item, withDestinationPath: run + "/" + item)
        }
        let output = try path("headless.tsb")
        let refused = try TesseraProcess.run(["export", "--tile-encoder", copy, "--weights", "f32", "-o", output])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        for part in ["\(copy)/teacher_head.safetensors: missing, but the run trained a teacher-space head (run.json version \(RunFolder.optionsVersion))",
                     "tessera distill --resume \(copy)", "--no-teacher-head"] {
            XCTAssertTrue(refused.stderr.contains(part), refused.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))

        let without = try TesseraProcess.run(["export", "--tile-encoder", copy, "--no-teacher-head", "--weights", "f32", "-o", output])
        XCTAssertEqual(without.status, 0, without.stderr)
        XCTAssertNil(try BundleReader.open(output).manifest.teacherHead)
        try FileManager.default.removeItem(atPath: output)

        // A version-1 run.json (no `version` key).
        var options = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/run.json")))
                                    as? [String: Any])
        XCTAssertEqual(options.removeValue(forKey: "version") as? Int, RunFolder.optionsVersion)
        try FileManager.default.removeItem(atPath: copy + "/run.json")
        try JSONSerialization.data(withJSONObject: options).write(to: URL(fileURLWithPath: copy + "/run.json"))
        let old = try TesseraProcess.run(["export", "--tile-encoder", copy, "--weights", "f32", "-o", output])
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertTrue(old.stderr.contains("note: \(copy)/teacher_head.safetensors is absent"), old.stderr)
        XCTAssertNil(try BundleReader.open(output).manifest.teacherHead)
    }

    /// A run whose teacher_head.safetensors is not a head of its student is refused, naming the
    /// file and what is wrong, before anything is written.
    func testExportRefusesABrokenTeacherHead() throws {
        let run = try distillation()
        let file = try SafeTensors.read(path: run + "/teacher_head.safetensors")
        let cases: [(String, (inout StateDict) -> Void, String)] = [
            ("head-no-eps", { $0.metadata = [:] }, "no norm_eps (a positive number) in the metadata"),
            ("head-bias-shape", { $0.set("norm.bias", Tensor(zeros: [95])) }, "norm.bias: expected shape [96], found [95]"),
            ("head-width", { head in
                head.set("adaptor.weight", Tensor(zeros: [96, 32]))
            }, "the teacher head takes hidden states of width 32, the tile encoder makes 64"),
        ]
        let output = try path("refused-head.tsb")
        for (name, change, message) in cases {
            let copy = try path(name)
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            for item in ["run.json", "student", "slide_student"] {
                try FileManager.default.createSymbolicLink(atPath: copy + "/" + item, withDestinationPath: run + "/" + item)
            }
            var head = file
            change(&head)
            try SafeTensors.write(head, to: copy + "/teacher_head.safetensors")
            let result = try TesseraProcess.run(["export", "--tile-encoder", copy, "--weights", "f32", "-o", output])
            XCTAssertEqual(result.status, 1, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(name): \(result.stderr)")
            if name != "head-width" { XCTAssertTrue(result.stderr.contains(copy + "/teacher_head.safetensors"), result.stderr) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
            let without = try TesseraProcess.run(["export", "--tile-encoder", copy, "--no-teacher-head", "--weights", "f32", "-o", output])
            XCTAssertEqual(without.status, 0, "\(name) without its head: \(without.stderr)")
            try FileManager.default.removeItem(atPath: output)
        }
    }

    /// `tessera inspect` and `tessera-edge inspect` show the same verified manifest; a flipped
    /// byte in a tensor makes both fail naming it.
    func testInspectVerifiesEveryChecksum() throws {
        let bundle = try studentBundle("int8", zstd: true)
        let cli = try TesseraProcess.run(["inspect", bundle])
        let edge = try TesseraProcess.run(["inspect", bundle], program: "tessera-edge")
        XCTAssertEqual(cli.status, 0, cli.stderr)
        XCTAssertEqual(edge.status, 0, edge.stderr)
        XCTAssertEqual(cli.stdout, edge.stdout)
        let manifest = try BundleReader.open(bundle).manifest
        XCTAssertTrue(cli.stdout.contains("checksums: the manifest and all \(manifest.tensors.count) tensors verified"), cli.stdout)
        XCTAssertTrue(cli.stdout.contains("tile_encoder.blocks.0.attn.qkv.weight I8 [192, 64]"), cli.stdout)

        let corrupt = try path("corrupt.tsb")
        var bytes = Array(try XCTUnwrap(FileManager.default.contents(atPath: bundle)))
        let last = manifest.tensors.max { $0.offset < $1.offset }!
        bytes[last.offset] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
        for program in ["tessera", "tessera-edge"] {
            let result = try TesseraProcess.run(["inspect", corrupt], program: program)
            XCTAssertEqual(result.status, 1, program)
            XCTAssertTrue(result.stderr.contains("tensor '\(last.name)'") && result.stderr.contains("(corrupted)"), result.stderr)
        }
    }
}
