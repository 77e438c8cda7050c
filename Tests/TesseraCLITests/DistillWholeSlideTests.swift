import Foundation
import TesseraCore
import TesseraFormats
import TesseraRunFolder
import TestSupport
import XCTest

/// `tessera distill --data` with whole-slide files: a manifest listing one beside a PNG slide
/// folder trains exactly as a data folder holding the folder `tessera tile` writes for it (PNG is
/// lossless): the same teacher cache, metrics.jsonl, checkpoint and student files, bit for bit.
final class DistillWholeSlideTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    /// Two steps of the fixture teacher into the fixture student (the slide encoders place the
    /// tiles by their level-0 positions: synth_a's all lie on the grid), one slide a step (each
    /// slide once in two steps, the data order's first epoch), 4 tiles sampled per step.
    private func distill(data: String, run: String) throws -> TesseraProcess.Result {
        try TesseraProcess.run([
            "distill", "--teacher", Fixtures.path("tile_teacher"), "--teacher-slide", Fixtures.path("slide_encoder"),
            "--data", data, "--init", Fixtures.path("distill/student_init.safetensors"),
            "--student-config", Fixtures.path("tile_student/config.json"), "--slide-depth", "1", "--slide-heads", "4",
            "--steps", "2", "--micro-batch", "4", "--tiles-per-step", "4", "--threads", "2", "-o", run,
        ])
    }

    private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// The teacher cache's files of `run`, each as its tensors' bytes and its metadata less the
    /// `slide` key (the slide's own path: the file, or the folder `tessera tile` wrote), in order;
    /// the folder's lock file is not a cache file.
    private func cache(_ run: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: run + "/teacher_cache")
            .filter { $0 != RunFolderLock.fileName }.sorted()
        return try names.map {
            try describe(TeacherCacheFile.contents(of: run + "/teacher_cache/" + $0), ignoring: [TeacherCacheFile.slideKey])
        }.sorted()
    }

    /// `dict`'s tensors, bit for bit, and its metadata less the keys `ignoring`.
    private func describe(_ dict: StateDict, ignoring: Set<String>) throws -> String {
        let tensors = try dict.names.sorted().map { "\($0): \(try XCTUnwrap(dict[$0]).floats().map(\.bitPattern))" }
        return "\(tensors) \(dict.metadata.filter { !ignoring.contains($0.key) }.sorted { $0.key < $1.key })"
    }

    func testAWholeSlideFileTrainsAsTheFolderTileWritesForIt() throws {
        let slide = Fixtures.path("wsi/synth_a.svs"), demo = Fixtures.path("slide_folder/demo_slide")
        let tile = try TesseraProcess.run(["tile", slide, "-o", folder.file("tiles")])
        XCTAssertEqual(tile.status, 0, tile.stderr)
        // The manifest lists the whole-slide file and a PNG slide folder, in the data folder's order.
        let manifest = folder.file("slides.txt")
        try "\(demo) train\n\(slide)  # streamed, no PNG written\n".write(toFile: manifest, atomically: true, encoding: .utf8)
        let tiled = folder.file("tiled")
        try FileManager.default.createDirectory(atPath: tiled, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: tiled + "/demo_slide", withDestinationPath: demo)
        try FileManager.default.createSymbolicLink(atPath: tiled + "/synth_a.svs", withDestinationPath: folder.file("tiles/synth_a.svs"))

        let fromFile = folder.file("run-file"), fromFolder = folder.file("run-folder")
        let a = try distill(data: manifest, run: fromFile)
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try distill(data: tiled, run: fromFolder)
        XCTAssertEqual(b.status, 0, b.stderr)

        let cacheA = try cache(fromFile), cacheB = try cache(fromFolder)
        XCTAssertEqual(cacheA.count, 2)
        XCTAssertEqual(cacheA, cacheB)
        // The speed is the one number that may differ.
        let metrics = { (run: String) in
            try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
                .replacingOccurrences(of: #""tiles_per_s":[^,]*,"#, with: "", options: .regularExpression)
        }
        let log = try metrics(fromFile)
        XCTAssertEqual(log, try metrics(fromFolder))
        XCTAssertTrue(log.contains(#""slides":["synth_a.svs"]"#) && log.contains(#""slides":["demo_slide"]"#), log)
        XCTAssertEqual(log.split(separator: "\n").count, 2)
        // The checkpoint's run identity differs (each run its own uuid, its own data path).
        let checkpoint = { (run: String) in
            try self.describe(SafeTensors.read(path: run + "/checkpoint.safetensors"),
                              ignoring: [RunFolder.checkpointUUIDKey, RunFolder.checkpointOptionsKey])
        }
        XCTAssertEqual(try checkpoint(fromFile), try checkpoint(fromFolder))
        for file in ["student/model.safetensors", "slide_student/slide_encoder.safetensors",
                     "adaptor.safetensors", "teacher_head.safetensors"] {
            XCTAssertEqual(try bytes(fromFile + "/" + file), try bytes(fromFolder + "/" + file), file)
        }
        // run.json records the tiling of whole-slide files (formats/run-folder.md).
        let options = try XCTUnwrap(try JSONSerialization.jsonObject(with: bytes(fromFile + "/run.json")) as? [String: Any])
        let tiling = try XCTUnwrap(options["tiling"] as? [String: Any])
        XCTAssertEqual(tiling["mode"] as? String, "exact")
        XCTAssertEqual(tiling["level"] as? Int, 0)
        XCTAssertEqual(tiling["tileSize"] as? Int, 256)
        XCTAssertEqual(tiling["occupancyThreshold"] as? Double, 0.1)
        XCTAssertNil(tiling["foregroundThreshold"])
        // A resume cuts the slide with the recorded tiling; a tiling edited in run.json after the
        // checkpoint would select other tiles, and the resume refuses it by name.
        var edited = options
        edited["tiling"] = tiling.merging(["tileSize": 128]) { $1 }
        try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: fromFile + "/run.json"))
        let resumed = try TesseraProcess.run(["distill", "--resume", fromFile])
        XCTAssertEqual(resumed.status, 1, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("'tiling' was") && resumed.stderr.contains("\"tileSize\":128"), resumed.stderr)
    }

    /// A listed whole-slide file OpenSlide cannot open stops the run with an error naming it,
    /// from a data folder as from a manifest; a manifest line naming nothing names the line.
    func testAWholeSlideFileThatCannotBeOpenedIsNamed() throws {
        let data = folder.file("data"), bogus = data + "/notes.svs"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try Data("not a slide".utf8).write(to: URL(fileURLWithPath: bogus))
        let manifest = folder.file("slides.txt")
        try "data/notes.svs\n".write(toFile: manifest, atomically: true, encoding: .utf8)
        for (input, run) in [(data, "run1"), (manifest, "run2")] {
            let result = try distill(data: input, run: folder.file(run))
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("\(bogus): not a whole-slide image OpenSlide can open"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file(run + "/checkpoint.safetensors")))
        }
        try "data/missing.svs val\n".write(toFile: manifest, atomically: true, encoding: .utf8)
        let missing = try distill(data: manifest, run: folder.file("run3"))
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("\(manifest): line 1: \(data)/missing.svs: no such slide folder or whole-slide file"),
                      missing.stderr)
    }
}
