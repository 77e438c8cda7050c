import XCTest
import Foundation
import TesseraCore
import TesseraFormats
import TesseraRunFolder
import TesseraSlide
import TestSupport

/// The run folder as both its writer (the distillation) and its reader (export) see it
/// (formats/run-folder.md): run.json and its versions, the final metrics, the run id, and the
/// teacher's SHA-256 read from the teacher cache's headers, compressed or not.
final class RunFolderTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    func options() -> DistillationOptions {
        var o = DistillationOptions(teacher: "teacher", teacherSlide: "slide.pth", data: "slides")
        o.threads = 3
        o.steps = 7
        return o
    }

    func testOptionsRoundTripWithTheirVersion() throws {
        let run = RunFolder(path: folder.file("run"))
        XCTAssertFalse(run.holdsRun)
        try run.create()
        try run.write(options())
        XCTAssertTrue(run.holdsRun)
        XCTAssertFalse(run.holdsStudent, "no student/ yet")
        XCTAssertEqual(try run.readOptions(), options())
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run.options))) as? [String: Any])
        XCTAssertEqual(json["version"] as? Int, RunFolder.optionsVersion)
        XCTAssertEqual(json["threads"] as? Int, 3)
        XCTAssertThrowsError(try run.create()) { XCTAssertTrue("\($0)".contains("already holds a run"), "\($0)") }
    }

    /// Version 1 (no `version`, no `threads`) is read; a version from a newer Tessera is refused by name.
    func testVersionOneIsReadAndNewerVersionsRefused() throws {
        let run = RunFolder(path: folder.file("run"))
        try run.create()
        var old = options()
        old.threads = nil
        try JSONEncoder().encode(old).write(to: URL(fileURLWithPath: run.options))
        XCTAssertFalse(try String(contentsOfFile: run.options, encoding: .utf8).contains("version"))
        XCTAssertEqual(try run.readOptions(), old)

        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run.options))) as? [String: Any])
        json["version"] = RunFolder.optionsVersion + 1
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: run.options))
        XCTAssertThrowsError(try run.readOptions()) { error in
            XCTAssertEqual("\(error)", "\(run.options) has version \(RunFolder.optionsVersion + 1); this Tessera reads versions 1...\(RunFolder.optionsVersion)")
        }
    }

    /// The tiling of whole-slide files round-trips in both modes, a given foreground threshold
    /// included (left out when Otsu's); a mode no Tessera writes is refused, naming run.json.
    func testTilingRoundTripsAndAnUnknownModeIsRefused() throws {
        let run = RunFolder(path: folder.file("run"))
        try run.create()
        for tiling in [TilingOptions(), TilingOptions(mode: .provGigapath, level: 1, tileSize: 128, foregroundThreshold: 200.5,
                                                      occupancyThreshold: 0.25)] {
            var o = options()
            o.tiling = tiling
            try run.write(o)
            XCTAssertEqual(try run.readOptions(), o)
        }
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run.options))) as? [String: Any])
        let written = try XCTUnwrap(json["tiling"] as? [String: Any])
        XCTAssertEqual(written["mode"] as? String, "prov-gigapath")
        XCTAssertEqual(written["foregroundThreshold"] as? Double, 200.5)
        XCTAssertEqual(Set(written.keys), ["mode", "level", "tileSize", "foregroundThreshold", "occupancyThreshold"])
        json["tiling"] = ["mode": "fast", "level": 0, "tileSize": 256, "occupancyThreshold": 0.1]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: run.options))
        XCTAssertThrowsError(try run.readOptions()) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(run.options) is not a run's options"), "\(error)")
            XCTAssertTrue("\(error)".contains("tiling mode 'fast': expected exact or prov-gigapath"), "\(error)")
        }
    }

    func testFinalMetricsAndRunID() throws {
        let run = RunFolder(path: folder.file("run é"))
        try run.create()
        try run.write(options())
        XCTAssertEqual(try run.finalMetrics().count, 0, "no log, no metrics")
        let log = try MetricsLog(path: run.metrics, keepThrough: 0)
        try log.append([("step", .number("1")), ("loss", .number("2.5")), ("slides", .array([.string("a")]))])
        try log.append([("step", .number("2")), ("loss", .number("1.5")), ("lr", .string("nan"))])
        try log.append([("step", .number("2")), ("val_slide_cosine", .number("0.25"))])
        let metrics = try run.finalMetrics()
        XCTAssertEqual(metrics.map(\.name), ["steps", "loss", "val_slide_cosine"])
        XCTAssertEqual(metrics.map(\.value), [2, 1.5, 0.25])

        let digest = try Data(contentsOf: URL(fileURLWithPath: run.options)).withUnsafeBytes { SHA256.hex(SHA256.digest($0)) }
        XCTAssertEqual(try run.runID(), "run _@" + digest.prefix(16))
    }

    /// The teacher's SHA-256 comes from the cache files' headers (a compressed file's header is
    /// decompressed alone); files of two teachers are refused.
    func testTeacherSHA256FromTheCacheHeaders() throws {
        let run = RunFolder(path: folder.file("run"))
        try run.create()
        try run.write(options())
        XCTAssertEqual(try run.teacherSHA256(), [], "no cache, no hash")
        let cache = run.teacherCache(options())
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let sha = [UInt8](0..<32)
        func cacheFile(_ slide: String, hex: String, compressed: Bool) throws {
            var dict = StateDict()
            // 400 kB that barely compress: several zstd blocks, the header in the first.
            var state: UInt32 = 1
            let noise = (0..<100_000).map { _ -> Float in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 8)
            }
            dict.set("hidden", Tensor(shape: [noise.count], floats: noise))
            dict.metadata = [TeacherCacheFile.teacherSHA256Key: hex]
            let raw = TeacherCacheFile.path(folder: cache, slide: slide, source: "/slides/" + slide, compressed: false)
            try SafeTensors.write(dict, to: raw)
            guard compressed else { return }
            var packed = try Zstd.compress(try Data(contentsOf: URL(fileURLWithPath: raw)))
            packed.removeLast(packed.count / 2)  // only the header is decompressed: the rest may be gone
            try packed.write(to: URL(fileURLWithPath: TeacherCacheFile.path(folder: cache, slide: slide, source: "/slides/" + slide, compressed: true)))
            try FileManager.default.removeItem(atPath: raw)
        }
        try cacheFile("a", hex: SHA256.hex(sha), compressed: true)
        try cacheFile("b", hex: SHA256.hex(sha), compressed: false)
        XCTAssertEqual(try run.teacherSHA256(), sha)
        try cacheFile("c", hex: SHA256.hex(sha.reversed()), compressed: true)
        XCTAssertThrowsError(try run.teacherSHA256()) { error in
            XCTAssertTrue("\(error)".contains("/c-") && "\(error)".contains(".safetensors.zst made by another teacher than"), "\(error)")
        }
    }
}
