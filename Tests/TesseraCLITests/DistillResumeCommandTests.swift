import XCTest
import Foundation
import TesseraRunFolder
import TestSupport

/// `tessera distill --resume` and a second writer, as the user meets them: exit statuses and
/// messages. Every case stops before the teacher runs (seconds).
final class DistillResumeCommandTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    /// A run folder whose run.json is a valid run of the fixtures with `key` set to `value`.
    func run(editing key: String, to value: Any) throws -> String {
        let run = RunFolder(path: folder.file("run-\(key)-\(value)"))
        var o = DistillationOptions(teacher: Fixtures.path("tile_teacher"), teacherSlide: Fixtures.path("slide_encoder"),
                                    data: Fixtures.path("slide_folder"))
        o.threads = 1
        do {
            let lock = try run.create()
            try run.write(o, identity: RunIdentity(teacherSHA256: String(repeating: "0", count: 64),
                                                   teacherSlideSHA256: String(repeating: "0", count: 64), slides: ["x"]))
            withExtendedLifetime(lock) {}
        }
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run.options))) as? [String: Any])
        json[key] = value
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: run.options))
        return run.path
    }

    /// Values that crashed (SIGSEGV, SIGFPE), trained nothing, read another folder or wrote into
    /// one the user never named: each stops with status 1 naming run.json, the key and the value.
    func testEditedRunJSONIsRefusedByName() throws {
        for (key, value, message) in [("slidesPerStep", -1, "'slidesPerStep' is -1: it must be at least 1"),
                                      ("tilesPerStep", -3, "'tilesPerStep' is -3: it must be at least 1"),
                                      ("slidesPerStep", 0, "'slidesPerStep' is 0: it must be at least 1"),
                                      ("slideDepth", 0, "'slideDepth' is 0: it must be at least 1"),
                                      ("data", "data", "'data' is 'data': it must be an absolute path")] as [(String, Any, String)] {
            let path = try run(editing: key, to: value)
            let result = try TesseraProcess.run(["distill", "--resume", path])
            XCTAssertEqual(result.status, 1, "\(key): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("\(path)/run.json holds a value no run can use: \(message)"), result.stderr)
        }
        let path = try run(editing: "cacheFolder", to: "/etc")
        let result = try TesseraProcess.run(["distill", "--resume", path])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("--resume \(path): the run's teacher cache /etc (run.json's cacheFolder) lies outside the run "
                                             + "folder; give --cache /etc to let the resumed run write there"), result.stderr)
        let other = try TesseraProcess.run(["distill", "--resume", path, "--cache", folder.file("cache")])
        XCTAssertEqual(other.status, 1, other.stderr)
        XCTAssertTrue(other.stderr.contains("--cache \(folder.file("cache")): the run in \(path) keeps its teacher cache /etc"), other.stderr)
    }

    /// Options a resume cannot apply are a usage error naming them (they were once ignored).
    func testResumeRefusesTheOptionsOfANewRun() throws {
        let path = try run(editing: "steps", to: 5)
        let result = try TesseraProcess.run(["distill", "--resume", path, "--lr", "2", "--seed", "3", "--steps", "9"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("--lr, --seed cannot be given with --resume"), result.stderr)
        let steps = try TesseraProcess.run(["distill", "--resume", path, "--steps", "0"])
        XCTAssertEqual(steps.status, 64, steps.stderr)
        XCTAssertTrue(steps.stderr.contains("--steps must be at least 1, got 0"), steps.stderr)
        XCTAssertEqual(try RunFolder(path: path).readOptions().steps, 5, "run.json untouched")
    }

    /// One writer per run folder and per slide of a teacher cache being filled: the second
    /// command stops with status 1 naming the holder (here, this test process).
    func testASecondWriterIsRefusedNamingTheHolder() throws {
        try FileManager.default.createDirectory(atPath: folder.file("run"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.file("cache"), withIntermediateDirectories: true)
        let slideFile = TeacherCacheFile.path(folder: folder.file("cache"), slide: "demo_slide",
                                              source: TeacherCacheFile.source(ofSlideAt: Fixtures.path("slide_folder/demo_slide")),
                                              compressed: false)
        let held = [try RunFolderLock(folder: folder.file("run"), what: "the run"),
                    try RunFolderLock(path: TeacherCacheFile.lockPath(folder: folder.file("cache"), slide: "demo_slide",
                                                                      source: TeacherCacheFile.source(ofSlideAt: Fixtures.path("slide_folder/demo_slide"))),
                                      guarding: slideFile, what: "slide demo_slide of the teacher cache")]
        let command = ["distill", "--teacher", Fixtures.path("tile_teacher"), "--teacher-slide", Fixtures.path("slide_encoder"),
                       "--data", Fixtures.path("slide_folder"), "--init", Fixtures.path("distill/student_init.safetensors"),
                       "--student-config", Fixtures.path("tile_student/config.json"), "--slide-depth", "1", "--slide-heads", "4",
                       "--steps", "1"]
        let run = try TesseraProcess.run(command + ["-o", folder.file("run")])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("\(folder.file("run")) is in use: the run is being written by process \(getpid()) on host "),
                      run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("run/run.json")))
        let cache = try TesseraProcess.run(command + ["-o", folder.file("other"), "--cache", folder.file("cache")])
        XCTAssertEqual(cache.status, 1, cache.stderr)
        XCTAssertTrue(cache.stderr.contains("\(slideFile) is in use: slide demo_slide of the teacher cache is being written by process \(getpid())"),
                      cache.stderr)
        withExtendedLifetime(held) {}
    }
}
