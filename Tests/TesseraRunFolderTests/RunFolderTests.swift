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
        var o = DistillationOptions(teacher: "/models/teacher", teacherSlide: "/models/slide.pth", data: "/slides")
        o.threads = 3
        o.steps = 7
        return o
    }

    let identity = RunIdentity(teacherSHA256: String(repeating: "a", count: 64), teacherSlideSHA256: String(repeating: "b", count: 64),
                               slides: ["train\ta\t/slides/a"])

    func testOptionsRoundTripWithTheirVersionAndIdentity() throws {
        let run = RunFolder(path: folder.file("run"))
        XCTAssertFalse(run.holdsRun)
        var lock: RunFolderLock? = try run.create()
        try run.write(options(), identity: identity)
        XCTAssertTrue(run.holdsRun)
        XCTAssertFalse(run.holdsStudent, "no student/ yet")
        XCTAssertEqual(try run.readOptions(), options())
        let read = try run.readRun()
        XCTAssertEqual(read.options, options())
        XCTAssertEqual(read.identity, identity)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run.options))) as? [String: Any])
        XCTAssertEqual(json["version"] as? Int, 3)
        XCTAssertEqual(json["threads"] as? Int, 3)
        XCTAssertEqual(json["uuid"] as? String, identity.uuid)
        XCTAssertEqual(json["slideCount"] as? Int, 1)
        XCTAssertThrowsError(try run.create()) { XCTAssertTrue("\($0)".contains("is in use"), "\($0)") }
        lock = nil
        XCTAssertNil(lock)
        XCTAssertThrowsError(try run.create()) { XCTAssertTrue("\($0)".contains("already holds a run"), "\($0)") }
    }

    /// One validation for a new run's options and run.json read back: the values that crashed
    /// (SIGSEGV, SIGFPE), trained nothing or another model, and relative paths, refused by key.
    func testEditedValuesAreRefusedByName() throws {
        let run = RunFolder(path: folder.file("run"))
        _ = try run.create()
        let cases: [(String, Any, String)] = [
            ("slidesPerStep", -1, "'slidesPerStep' is -1: it must be at least 1"), ("tilesPerStep", -3, "'tilesPerStep' is -3: it must be at least 1"),
            ("slidesPerStep", 0, "'slidesPerStep' is 0: it must be at least 1"), ("slideDepth", 0, "'slideDepth' is 0: it must be at least 1"),
            ("beta", 2, "'beta' is 2.0: it must be in [0, 1]"), ("cachePrecision", "f8", "'cachePrecision' is 'f8': it must be f16 or f32"),
            ("data", "slides", "'data' is 'slides': it must be an absolute path"), ("uuid", "x", "'uuid' is 'x': it must be a UUID"),
        ]
        for (key, value, problem) in cases {
            try run.write(options(), identity: identity)
            var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run.options))) as? [String: Any])
            json[key] = value
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: run.options))
            XCTAssertThrowsError(try run.readRun()) { error in
                XCTAssertTrue("\(error)".hasPrefix("\(run.options) holds a value no run can use: " + problem), "\(error)")
            }
            var o = try run.readOptions()
            if key != "uuid" { XCTAssertThrowsError(try o.validate(), key) }
            o = options()
            XCTAssertNoThrow(try o.validate())
        }
    }

    /// Paths are recorded absolute, links resolved; what changed since a checkpoint is named by key.
    func testPathsResolvedAndChangesNamed() throws {
        var o = options()
        o.data = "slides/../data"
        o.cacheFolder = "cache"
        let resolved = o.resolvingPaths()
        let here = FileManager.default.currentDirectoryPath
        XCTAssertEqual(resolved.data, RunFolder.resolved(here) + "/data")
        XCTAssertEqual(resolved.cacheFolder, RunFolder.resolved(here) + "/cache")
        XCTAssertEqual(resolved.teacher, "/models/teacher")
        var edited = options()
        edited.lr = 0.5
        edited.steps = 70
        edited.slideHeads = 4
        XCTAssertEqual(try edited.changes(since: options()), ["'lr' was 0.001, is now 0.5", "'slideHeads' was unset, is now 4"])
    }

    /// One writer per folder: a second lock names the holder; a lock file left by a dead process
    /// (the kernel released its flock) is taken over.
    func testLockNamesTheHolderAndADeadOnesIsTakenOver() throws {
        let path = folder.file("cache")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data("process 999999 on host gone\n".utf8).write(to: URL(fileURLWithPath: path + "/lock"))
        var first: RunFolderLock? = try RunFolderLock(folder: path, what: "the teacher cache")
        XCTAssertEqual(try String(contentsOfFile: path + "/lock", encoding: .utf8).hasPrefix("process \(getpid()) on host "), true)
        XCTAssertThrowsError(try RunFolderLock(folder: path, what: "the teacher cache")) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path) is in use: the teacher cache is being written by process \(getpid()) on host "), "\(error)")
        }
        first = nil
        XCTAssertNil(first)
        XCTAssertNoThrow(try RunFolderLock(folder: path, what: "the teacher cache"))
    }

    /// One reader of metrics.jsonl for the resume and export: a last line cut short by a kill is
    /// left out by both, a torn line elsewhere refused by both, a folder in its place named.
    func testMetricsLogHasOneReader() throws {
        let path = folder.file("metrics.jsonl")
        try Data("{\"step\":1,\"loss\":2}\n{\"step\":2,\"loss\":1}\n{\"step\":3,\"lo".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try MetricsLog.finalValues(path: path).map(\.value), [2, 1])
        _ = try MetricsLog(path: path, keepThrough: 1)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"step\":1,\"loss\":2}\n")
        try Data("{\"step\":1,\"lo{\"step\":2}\n{\"step\":3}\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MetricsLog.finalValues(path: path)) { XCTAssertTrue("\($0)".contains("line 1"), "\($0)") }
        XCTAssertThrowsError(try MetricsLog(path: path, keepThrough: 3)) { XCTAssertTrue("\($0)".contains("line 1"), "\($0)") }
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        XCTAssertThrowsError(try MetricsLog(path: path, keepThrough: 0)) {
            XCTAssertEqual("\($0)", "\(path) is a folder, not the run's metrics log: move it away")
        }
    }

    func testAnEmptyCacheFileIsNamedAsSuch() throws {
        let file = TeacherCacheFile.path(folder: folder.path, slide: "a", source: "/slides/a", compressed: false)
        try Data().write(to: URL(fileURLWithPath: file))
        for read in [{ _ = try TeacherCacheFile.contents(of: file) }, { _ = try TeacherCacheFile.metadata(of: file) }] {
            XCTAssertThrowsError(try read()) { XCTAssertTrue("\($0)".hasPrefix("\(file) is an empty teacher-cache file"), "\($0)") }
        }
    }

    /// Version 1 (no `version`, no `threads`) is read; a version from a newer Tessera is refused by name.
    func testVersionOneIsReadAndNewerVersionsRefused() throws {
        let run = RunFolder(path: folder.file("run"))
        _ = try run.create()
        var old = options()
        old.threads = nil
        try JSONEncoder().encode(old).write(to: URL(fileURLWithPath: run.options))
        XCTAssertFalse(try String(contentsOfFile: run.options, encoding: .utf8).contains("version"))
        XCTAssertEqual(try run.readOptions(), old)
        XCTAssertNil(try run.readRun().identity)

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
        _ = try run.create()
        for tiling in [TilingOptions(), TilingOptions(mode: .provGigapath, level: 1, tileSize: 128, foregroundThreshold: 200.5,
                                                      occupancyThreshold: 0.25)] {
            var o = options()
            o.tiling = tiling
            try run.write(o, identity: identity)
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
        _ = try run.create()
        try run.write(options(), identity: identity)
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
        _ = try run.create()
        try run.write(options(), identity: identity)
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
