import XCTest
import TesseraCore
import TesseraFormats
import TesseraDistill
import TesseraPipeline
import TestSupport

/// Runs of `tessera distill`'s library: exact resume, the teacher cache's resume and refusals,
/// the non-finite stop, bad tiles and empty slides.
final class DistillationRunTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    /// A data folder of slides made from the demo slide's tiles: `slides[name] = tile file names`
    /// (symlinked), plus `corrupt` unreadable PNGs per slide.
    func data(_ slides: [String: [String]], corrupt: [String: [String]] = [:]) throws -> String {
        let data = folder.file("data")
        for (name, tiles) in slides.merging(corrupt.mapValues { _ in [] }, uniquingKeysWith: { a, _ in a }) {
            let slide = data + "/" + name
            try FileManager.default.createDirectory(atPath: slide, withIntermediateDirectories: true)
            for tile in tiles {
                try FileManager.default.createSymbolicLink(atPath: slide + "/" + tile,
                                                           withDestinationPath: Fixtures.path("slide_folder/demo_slide/" + tile))
            }
            for bad in corrupt[name] ?? [] { try Data("not a png".utf8).write(to: URL(fileURLWithPath: slide + "/" + bad)) }
        }
        return data
    }

    static let demoTiles = try! FileManager.default.contentsOfDirectory(atPath: Fixtures.path("slide_folder/demo_slide")).sorted()

    func options(data: String, steps: Int) -> DistillationOptions {
        var o = DistillationOptions(teacher: Fixtures.path("tile_teacher"), teacherSlide: Fixtures.path("slide_encoder"), data: data)
        o.initWeights = Fixtures.path("distill/student_init.safetensors")
        o.studentConfig = Fixtures.path("tile_student/config.json")
        o.slideDepth = 1
        o.slideHeads = 4
        o.steps = steps
        o.microBatch = 3
        o.warmupSteps = 1
        o.checkpointEvery = 2
        o.tilesPerStep = 6
        o.slidesPerStep = 2
        return o
    }

    func twoSlides() throws -> String {
        try data(["a": Array(Self.demoTiles[0..<8]), "b": Array(Self.demoTiles[5..<14])])
    }

    /// The runs compute with 3 threads; the resumed one is opened in a process whose thread count
    /// is 1, as after a restart on another machine: the count run.json records is restored (the
    /// bits of f32 sums depend on it), and another count asked for is refused.
    func testResumeContinuesBitIdentically() throws { try resumeContinuesBitIdentically(precision: nil) }

    /// A mixed-precision run (`--precision bf16`) resumes exactly too: its products are one fixed
    /// sum per output, its master weights and optimizer f32 in the checkpoint.
    func testBf16RunResumesBitIdentically() throws { try resumeContinuesBitIdentically(precision: "bf16") }

    func resumeContinuesBitIdentically(precision: String?) throws {
        let processThreads = Parallel.threadCount
        defer { Parallel.threadCount = processThreads }
        let data = try twoSlides()
        var o = options(data: data, steps: 5)
        o.threads = 3
        o.precision = precision
        let straight = try DistillationRun(options: o, folder: folder.file("straight"))
        try straight.run()
        // Interrupted after step 3 (the last checkpoint is step 2), then resumed by a new process
        // (the first one's end releases the folder's lock).
        try DistillationRun(options: o, folder: folder.file("resumed")).run(stopAfter: 3)
        Parallel.threadCount = 1
        XCTAssertThrowsError(try DistillationRun.resume(folder: folder.file("resumed"), with: ResumeOptions(threads: 2))) { error in
            guard case DistillationRun.Failure.threads(recorded: 3, requested: 2) = error else { return XCTFail("\(error)") }
        }
        let resumed = try DistillationRun.resume(folder: folder.file("resumed"))
        XCTAssertEqual(resumed.options.threads, 3)
        XCTAssertEqual(resumed.options.precision, precision)
        XCTAssertEqual(resumed.trainer.step, 2)
        try resumed.run()
        XCTAssertEqual(Parallel.threadCount, 1, "the run gives the process its thread count back")
        for (a, b) in zip(straight.student.parameters.parameters, resumed.student.parameters.parameters) {
            XCTAssertTrue(a.value.isBitIdentical(to: b.value), a.name)
        }
        let log = { (run: String) in try String(contentsOfFile: self.folder.file(run + "/metrics.jsonl"), encoding: .utf8) }
        let strip = { (text: String) in text.split(separator: "\n").map { $0.replacingOccurrences(of: #""tiles_per_s":[^,]*,"#, with: "", options: .regularExpression) } }
        XCTAssertEqual(strip(try log("straight")), strip(try log("resumed")))
        XCTAssertEqual(strip(try log("straight")).count, 5)
        for file in ["student/model.safetensors", "student/config.json", "slide_student/slide_encoder.safetensors",
                     "slide_student/config.json", "adaptor.safetensors", "teacher_head.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder.file("straight/" + file))),
                           try Data(contentsOf: URL(fileURLWithPath: folder.file("resumed/" + file))), file)
        }
    }

    /// run.json and the checkpoint read back are checked as a new run's options are, against each
    /// other and against the files the run was started from; options given with the resume
    /// apply (the length) or must confirm (a cache folder outside the run); one writer at a time.
    func testResumeChecksWhatItReadsBack() throws {
        let data = try twoSlides()
        var o = options(data: data, steps: 2)
        o.checkpointEvery = 1
        o.slidesPerStep = 1
        o.cacheFolder = folder.file("cache")
        let confirmed = ResumeOptions(cacheFolder: folder.file("cache"))
        try DistillationRun(options: o, folder: folder.file("run")).run()
        let run = RunFolder(path: folder.file("run"))
        let original = try Data(contentsOf: URL(fileURLWithPath: run.options))
        func edit(_ key: String, _ value: Any) throws {
            var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            json[key] = value
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: run.options))
        }
        func refused(_ expected: String, with changes: ResumeOptions? = nil, line: UInt = #line) {
            let changes = changes ?? confirmed
            XCTAssertThrowsError(try DistillationRun.resume(folder: run.path, with: changes), line: line) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
            }
        }
        try edit("steps", 1)
        refused("checkpoint.safetensors is at step 2, past the run's last step 1")
        try edit("lr", 0.5)
        refused("run.json changed since \(run.checkpoint) was written: 'lr' was 0.001, is now 0.5")
        try edit("slidesPerStep", 0)
        refused("'slidesPerStep' is 0: it must be at least 1")
        // The same teacher weights in another file: another SHA-256, another teacher for the run.
        try edit("teacher", Fixtures.path("tile_teacher/legacy_format.bin"))
        refused("the teacher tile encoder's weights (teacherSHA256) had SHA-256")
        try edit("cacheFolder", "/etc")
        refused("the run's teacher cache /etc (run.json's cacheFolder) lies outside the run folder", with: ResumeOptions())
        try original.write(to: URL(fileURLWithPath: run.options))
        refused("the run's teacher cache \(folder.file("cache")) (run.json's cacheFolder) lies outside the run folder", with: ResumeOptions())
        refused("cannot resume with the teacher cache /etc", with: ResumeOptions(cacheFolder: "/etc"))
        XCTAssertNoThrow(try DistillationRun.resume(folder: run.path, with: confirmed))
        // A slide added to the data changes the run's slide list.
        try FileManager.default.createDirectory(atPath: data + "/c", withIntermediateDirectories: true)
        refused("the slides (slidesSHA256): 2 when the run started")
        try FileManager.default.removeItem(atPath: data + "/c")
        // A checkpoint copied from another run of the same options.
        try DistillationRun(options: o, folder: folder.file("other")).run(stopAfter: 1)
        let own = try Data(contentsOf: URL(fileURLWithPath: run.checkpoint))
        try FileManager.default.removeItem(atPath: run.checkpoint)
        try FileManager.default.copyItem(atPath: folder.file("other/checkpoint.safetensors"), toPath: run.checkpoint)
        refused("a checkpoint from another run")
        try own.write(to: URL(fileURLWithPath: run.checkpoint))
        // The run's own checkpoint, extended by a step: run.json records the new length.
        let resumed = try DistillationRun.resume(folder: run.path, with: ResumeOptions(steps: 3, cacheFolder: folder.file("cache")))
        refused("is in use: the run is being written by process \(getpid())")
        XCTAssertEqual(resumed.trainer.step, 2)
        try resumed.run()
        XCTAssertEqual(resumed.trainer.step, 3)
        XCTAssertEqual(try run.readOptions().steps, 3)
        XCTAssertEqual(try MetricsLog.entries(path: run.metrics).map(\.step), [1, 2, 3])
    }

    /// Paths are recorded as the files they name when the run starts: a resume from another
    /// working directory reads the same slides.
    func testRelativePathsAreRecordedResolved() throws {
        let data = try twoSlides()
        let here = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(here) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        var o = options(data: "data", steps: 1)
        o.cacheFolder = "./data/../cache"
        let run = try DistillationRun(options: o, folder: "run")
        XCTAssertEqual(run.options.data, RunFolder.resolved(data))
        XCTAssertEqual(run.options.cacheFolder, RunFolder.resolved(folder.file("cache")))
        XCTAssertEqual(try RunFolder(path: folder.file("run")).readOptions(), run.options)
    }

    /// A weights file holds no head count: initial weights without a named architecture stop the
    /// run before any work, leaving no run behind.
    func testInitWeightsWithoutANamedArchitectureAreRefused() throws {
        var o = options(data: try twoSlides(), steps: 1)
        o.studentConfig = nil
        XCTAssertThrowsError(try DistillationRun(options: o, folder: folder.file("run"))) { error in
            guard case DistillationRun.Failure.unnamedStudent(let path) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, o.initWeights)
            XCTAssertTrue("\(error)".contains("does not say the student's head count"), "\(error)")
        }
        XCTAssertFalse(RunFolder(path: folder.file("run")).holdsRun)
    }

    func testTeacherCacheResumesAtTheFirstMissingSlide() throws {
        let data = try twoSlides()
        var o = options(data: data, steps: 1)
        o.cacheFolder = folder.file("cache")
        let run = try DistillationRun(options: o, folder: folder.file("run"))
        try run.run()
        let files = try cacheFileNames()
        let (a, b) = (cacheFile(data + "/a"), cacheFile(data + "/b"))
        XCTAssertEqual(files, [a, b].map { URL(fileURLWithPath: $0).lastPathComponent })
        let kept = try Data(contentsOf: URL(fileURLWithPath: a))
        try FileManager.default.removeItem(atPath: b)
        var cached: [String] = []
        let again = try DistillationRun(options: o, folder: folder.file("run2"))
        try again.run { if case .cache(.cached(let slide, _, _, _)) = $0 { cached.append(slide) } }
        XCTAssertEqual(cached, ["b"], "only the missing slide is computed again")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a)), kept)
    }

    /// The names of the files in the test's cache folder, its lock aside.
    func cacheFileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.file("cache")).filter { $0 != RunFolderLock.fileName }.sorted()
    }

    /// The raw cache file of the slide folder `slide` in the test's cache folder.
    func cacheFile(_ slide: String) -> String {
        TeacherCacheFile.path(folder: folder.file("cache"), slide: URL(fileURLWithPath: slide).lastPathComponent,
                              source: TeacherCacheFile.source(ofSlideAt: slide), compressed: false)
    }

    /// Slides whose names differ only in a character a cache file name replaces (`a.b`, `a_b`),
    /// and a validation slide named like a training slide whose tiles carry the same names but
    /// other pixels: each keeps its own cache file and its own targets (they once shared one
    /// file, and the second slide trained on the first one's targets).
    func testSlidesWhoseNamesCollideKeepTheirOwnTargets() throws {
        let tiles = Array(Self.demoTiles[0..<6])
        let data = try self.data(["a.b": tiles, "a_b": tiles])
        let validation = folder.file("validation/a.b")
        try FileManager.default.createDirectory(atPath: validation, withIntermediateDirectories: true)
        for (tile, other) in zip(tiles, Self.demoTiles[6..<12]) {
            try FileManager.default.createSymbolicLink(atPath: validation + "/" + tile,
                                                       withDestinationPath: Fixtures.path("slide_folder/demo_slide/" + other))
        }
        var o = options(data: data, steps: 1)
        o.cacheFolder = folder.file("cache")
        o.validationData = folder.file("validation")
        try DistillationRun(options: o, folder: folder.file("run")).run()
        let files = [data + "/a.b", data + "/a_b", validation].map(cacheFile)
        XCTAssertEqual(Set(files).count, 3)
        XCTAssertEqual(try cacheFileNames(),
                       files.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted())
        let training = try TeacherCacheFile.contents(of: files[0]), held = try TeacherCacheFile.contents(of: files[2])
        XCTAssertEqual(training.metadata[TeacherCacheFile.slideKey], TeacherCacheFile.source(ofSlideAt: data + "/a.b"))
        XCTAssertEqual(held.metadata[TeacherCacheFile.slideKey], TeacherCacheFile.source(ofSlideAt: validation))
        XCTAssertNotEqual(try XCTUnwrap(training["tile_embeds"]).floats(), try XCTUnwrap(held["tile_embeds"]).floats())
        // A file put in another slide's place (renamed by hand) is refused, naming the slide it belongs to.
        try FileManager.default.removeItem(atPath: files[1])
        try FileManager.default.copyItem(atPath: files[0], toPath: files[1])
        XCTAssertThrowsError(try DistillationRun(options: o, folder: folder.file("again")).run()) { error in
            XCTAssertTrue("\(error)".contains("'slide' is '\(TeacherCacheFile.source(ofSlideAt: data + "/a.b"))'"), "\(error)")
        }
    }

    func testMismatchedCacheIsRefusedOrRecomputed() throws {
        let data = try twoSlides()
        var o = options(data: data, steps: 1)
        o.cacheFolder = folder.file("cache")
        try DistillationRun(options: o, folder: folder.file("run")).run()
        // The same teacher weights in another file: another sha256, so another teacher for the cache.
        o.teacher = Fixtures.path("tile_teacher/legacy_format.bin")
        XCTAssertThrowsError(try DistillationRun(options: o, folder: folder.file("other")).run()) { error in
            XCTAssertTrue("\(error)".contains("teacher_sha256"), "\(error)")
            XCTAssertTrue("\(error)".contains(self.cacheFile(data + "/a")), "\(error)")
        }
        // A tile added to a slide changes its tile list.
        try FileManager.default.createSymbolicLink(atPath: data + "/a/" + Self.demoTiles[13],
                                                   withDestinationPath: Fixtures.path("slide_folder/demo_slide/" + Self.demoTiles[13]))
        o.teacher = Fixtures.path("tile_teacher")
        XCTAssertThrowsError(try DistillationRun(options: o, folder: folder.file("third")).run()) { error in
            XCTAssertTrue("\(error)".contains("tiles changed"), "\(error)")
        }
        o.recomputeCache = true
        var warnings: [String] = []
        try DistillationRun(options: o, folder: folder.file("fourth")).run { if case .cache(.warning(let w)) = $0 { warnings.append(w) } }
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
    }

    /// `--teacher-precision bf16`: the teacher's targets computed in bf16, close to the f32 ones
    /// (docs/models.md §7) but another teacher for the cache: a bf16 file says so (version 3,
    /// `teacher_precision`), and a run whose teacher computes in the other precision refuses it.
    func testTeacherPrecisionIsPartOfTheTeacher() throws {
        let data = try twoSlides()
        var o = options(data: data, steps: 1)
        o.cacheFolder = folder.file("cache")
        try DistillationRun(options: o, folder: folder.file("f32")).run()
        let f32 = try TeacherCacheFile.contents(of: cacheFile(data + "/a"))
        XCTAssertEqual(f32.metadata[TeacherCacheFile.versionKey], "2")
        XCTAssertNil(f32.metadata[TeacherCacheFile.teacherPrecisionKey])

        o.teacherPrecision = "bf16"
        XCTAssertThrowsError(try DistillationRun(options: o, folder: folder.file("refused")).run()) { error in
            XCTAssertTrue("\(error)".contains("tessera.teacher_cache"), "\(error)")
            XCTAssertTrue("\(error)".contains(self.cacheFile(data + "/a")), "\(error)")
        }
        o.cacheFolder = folder.file("cache-bf16")
        try DistillationRun(options: o, folder: folder.file("bf16")).run()
        let bf16 = try TeacherCacheFile.contents(of: TeacherCacheFile.path(folder: folder.file("cache-bf16"), slide: "a",
                                                                           source: TeacherCacheFile.source(ofSlideAt: data + "/a"),
                                                                           compressed: false))
        XCTAssertEqual(bf16.metadata[TeacherCacheFile.versionKey], "3")
        XCTAssertEqual(bf16.metadata[TeacherCacheFile.teacherPrecisionKey], "bf16")
        for name in ["tile_embeds", "slide_embed"] {
            let got = bf16[name]!.floats(), want = f32[name]!.floats()
            XCTAssertNotEqual(got, want, name)
            XCTAssertGreaterThanOrEqual(Self.cosine(got, want), 0.9999, name)
        }
        o.teacherPrecision = "f32"
        XCTAssertThrowsError(try DistillationRun(options: o, folder: folder.file("refused-again")).run()) { error in
            XCTAssertTrue("\(error)".contains("tessera.teacher_cache"), "\(error)")
        }
        o.teacherPrecision = "f16"
        XCTAssertThrowsError(try DistillationRun(options: o, folder: folder.file("bad")).run()) { error in
            XCTAssertTrue("\(error)".contains("teacherPrecision"), "\(error)")
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let ab = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let aa = a.reduce(0.0) { $0 + Double($1) * Double($1) }, bb = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return ab / (aa * bb).squareRoot()
    }

    func testNonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint() throws {
        let data = try twoSlides()
        var o = options(data: data, steps: 3)
        o.checkpointEvery = 1
        o.slidesPerStep = 1
        o.cacheFolder = folder.file("cache")
        try DistillationRun(options: o, folder: folder.file("run")).run(stopAfter: 1)
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: folder.file("run/checkpoint.safetensors")))
        // Poison the teacher's targets of every slide.
        for name in ["a", "b"] {
            let path = cacheFile(data + "/" + name)
            var dict = try SafeTensors.read(path: path)
            let hidden = dict["hidden"]!.converted(to: .f32)
            hidden.mutableFloatPointer[0] = .nan
            dict.set("hidden", hidden.converted(to: .f16))
            let copy = dict
            try SafeTensors.write(copy, to: path + ".new")
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: path + ".new", toPath: path)
        }
        let cache = ResumeOptions(cacheFolder: folder.file("cache"))
        XCTAssertThrowsError(try DistillationRun.resume(folder: folder.file("run"), with: cache).run()) { error in
            XCTAssertTrue("\(error)".contains("step 2"), "\(error)")
            XCTAssertTrue("\(error)".contains("nan"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder.file("run/checkpoint.safetensors"))), checkpoint)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("run/student")))
    }

    func testBadTilesAreSkippedAndEmptySlidesLeftOut() throws {
        let data = try data(["a": Array(Self.demoTiles[0..<8])], corrupt: ["a": ["99x_99y.png"], "empty": ["1x_1y.png"]])
        var o = options(data: data, steps: 1)
        o.slidesPerStep = 1
        var skipped: [String] = [], warnings: [String] = []
        try DistillationRun(options: o, folder: folder.file("run")).run {
            switch $0 {
            case .cache(.skipped(let path, _)), .skipped(let path, _): skipped.append(TileList.fileName(path))
            case .cache(.warning(let text)): warnings.append(text)
            default: break
            }
        }
        XCTAssertEqual(Set(skipped), ["99x_99y.png", "1x_1y.png"])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("empty"), warnings[0])
        let metrics = try String(contentsOfFile: folder.file("run/metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(metrics.contains(#""tiles":6"#), metrics)
    }
}
