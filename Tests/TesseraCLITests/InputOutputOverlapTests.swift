import Foundation
import TestSupport
import XCTest

/// An output that is one of the command's own inputs (under any name) is
/// refused before any work, naming the option and the path; the input stays
/// as it was. Output folders of `distill` and the bundle of `export` are
/// checked up front too.
final class InputOutputOverlapTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    /// Every command that reads files and writes one: the output named as an
    /// input, through a symbolic link, or as a file of an input folder.
    func testOutputThatIsAnInputIsRefused() throws {
        let tiles = folder.file("slide")
        try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/demo_slide"), toPath: tiles)
        let tile = tiles + "/" + (try FileManager.default.contentsOfDirectory(atPath: tiles).sorted().first!)
        let student = folder.file("student")
        try FileManager.default.copyItem(atPath: Fixtures.path("tile_student"), toPath: student)
        let slideEncoder = folder.file("slide_encoder")
        try FileManager.default.copyItem(atPath: Fixtures.path("slide_encoder"), toPath: slideEncoder)
        let weights = student + "/model.safetensors"
        let link = folder.file("link.safetensors")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: weights)
        let features = folder.file("features.safetensors")
        try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/expected.safetensors"), toPath: features)
        let checkpoint = slideEncoder + "/slide_encoder.pth"

        let cases: [(arguments: [String], output: String, names: String)] = [
            (["preprocess", tile, "-o", tile], tile, "image \(tile)"),
            (["embed", tiles, "--tile-encoder", student, "-o", tile], tile, "tile \(tile)"),
            (["embed", tiles, "--tile-encoder", weights, "-o", link], link, "--tile-encoder \(weights)"),
            (["embed", tiles, "--tile-encoder", student, "-o", weights], weights, "--tile-encoder \(student)"),
            (["embed", tiles, "--tile-encoder", student, "--slide-encoder", slideEncoder, "-o", checkpoint], checkpoint,
             "--slide-encoder \(slideEncoder)"),
            (["slide", features, "--slide-encoder", slideEncoder, "-o", features], features, "FEATURES \(features)"),
            (["slide", features, "--slide-encoder", checkpoint, "-o", checkpoint], checkpoint, "--slide-encoder \(checkpoint)"),
            (["convert", weights, "-o", link], link, "PATH \(weights)"),
            (["convert", student, "-o", weights], weights, "PATH \(student)"),
            (["export", "--tile-encoder", student, "--weights", "f32", "-o", student + "/config.json"], student + "/config.json",
             "--tile-encoder \(student)"),
            (["export", "--tile-encoder", student, "--slide-encoder", checkpoint, "--weights", "f32", "-o", checkpoint], checkpoint,
             "--slide-encoder \(checkpoint)"),
        ]
        for (arguments, output, names) in cases {
            let before = try Data(contentsOf: URL(fileURLWithPath: output))
            let result = try TesseraProcess.run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("-o \(output) is "), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(names), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("would replace its own input"), "\(arguments): \(result.stderr)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), before, "\(arguments): the input changed")
        }
        var info = stat()
        XCTAssertEqual(lstat(link, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFLNK, "the link is still a link")
    }

    /// The run folder of `distill` may neither be nor hold an input, nor lie
    /// in a data folder; it is checked before the teacher loads.
    func testDistillRunFolderApartFromItsInputs() throws {
        let data = folder.file("data")
        try FileManager.default.createDirectory(atPath: data + "/slide", withIntermediateDirectories: true)
        let teacher = folder.file("teacher")
        try FileManager.default.copyItem(atPath: Fixtures.path("tile_teacher"), toPath: teacher)
        let slideEncoder = Fixtures.path("slide_encoder")
        func distill(_ run: String, teacher: String = teacher) throws -> TesseraProcess.Result {
            try TesseraProcess.run(["distill", "--teacher", teacher, "--teacher-slide", slideEncoder, "--data", data, "-o", run])
        }
        for (run, expected) in [(teacher, "-o \(teacher) is the input --teacher \(teacher)"),
                                (folder.path, "-o \(folder.path) holds the input --teacher \(teacher)"),
                                (data, "-o \(data) is the input --data \(data)"),
                                (data + "/run", "-o \(data)/run lies inside the input --data \(data)")] {
            let result = try distill(run)
            XCTAssertEqual(result.status, 1, "\(run): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(run): \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/run"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: teacher + "/run.json"))
    }

    /// A run folder whose parent is missing or not a folder, a resumed run that
    /// is no folder, and an export to a missing folder fail at once, naming
    /// the option and the path.
    func testOutputFoldersAreCheckedUpFront() throws {
        let file = folder.file("file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let distill = ["distill", "--teacher", Fixtures.path("tile_teacher"), "--teacher-slide", Fixtures.path("slide_encoder"),
                       "--data", Fixtures.path("slide_folder")]
        let cases: [(arguments: [String], expected: String)] = [
            (distill + ["-o", folder.file("missing/run")], "-o \(folder.file("missing/run")) cannot be created: its folder \(folder.file("missing")) does not exist"),
            (distill + ["-o", file + "/run"], "-o \(file)/run is not usable: its folder \(file) is not a folder"),
            (distill + ["-o", file], "-o \(file) is not usable: the run folder is not a folder"),
            (["distill", "--resume", folder.file("missing")], "--resume \(folder.file("missing")) cannot be opened (No such file or directory)"),
            (["distill", "--resume", file], "--resume \(file) is not usable: the run folder is not a folder"),
            (["export", "--tile-encoder", Fixtures.path("tile_student"), "--weights", "f32", "-o", folder.file("missing/s.tsb")],
             "\(folder.file("missing/s.tsb")): open the output folder"),
        ]
        for (arguments, expected) in cases {
            let started = Date()
            let result = try TesseraProcess.run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 20, "\(arguments): not up front")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("missing")))
    }
}
