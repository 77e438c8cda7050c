import Foundation
@testable import TesseraIO
import TestSupport
import XCTest

/// `OutputPath.check`, the one check of an output file before any work, and the run-folder
/// checks beside it: an output that is an input under any name (itself, a symbolic or hard
/// link, another spelling, a file of an input folder) is refused naming the option and both
/// paths; checking writes nothing.
final class OutputPathCheckTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    private func write(_ name: String) throws -> String {
        let path = folder.file(name)
        try Data(name.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func assertRefused(_ output: String, inputs: [InputOutputOverlap.Input], enclosing: [InputOutputOverlap.Input] = [],
                               as problem: OutputError.Problem, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try OutputPath.check(output, option: "-o", inputs: inputs, enclosing: enclosing), file: file, line: line) { error in
            XCTAssertEqual(error as? OutputError, OutputError(option: "-o", path: output, problem: problem), file: file, line: line)
        }
    }

    func testAnInputUnderAnyNameIsRefused() throws {
        let bundle = try write("s.tsb")
        try FileManager.default.createDirectory(atPath: folder.file("slide"), withIntermediateDirectories: false)
        let tile = try write("slide/0x_0y.png")
        _ = try write("slide/256x_0y.png")
        XCTAssertEqual(symlink(tile, folder.file("symbolic.png")), 0)
        XCTAssertEqual(link(bundle, folder.file("hard.tsb")), 0)
        let inputs = [InputOutputOverlap.Input("BUNDLE", bundle), .init("SLIDE_DIR", folder.file("slide"))]
        assertRefused(bundle, inputs: inputs, as: .replacesInput(inputs[0], member: nil))
        assertRefused(folder.file("./slide/../s.tsb"), inputs: inputs, as: .replacesInput(inputs[0], member: nil))
        assertRefused(folder.file("hard.tsb"), inputs: inputs, as: .replacesInput(inputs[0], member: nil))
        assertRefused(tile, inputs: inputs, as: .replacesInput(inputs[1], member: "0x_0y.png"))
        assertRefused(folder.file("symbolic.png"), inputs: inputs, as: .replacesInput(inputs[1], member: "0x_0y.png"))
        // A tile named directly is an input file of its own.
        assertRefused(tile, inputs: [.init("tile", tile)], as: .replacesInput(.init("tile", tile), member: nil))
        XCTAssertEqual(try String(contentsOfFile: bundle, encoding: .utf8), "s.tsb")
        XCTAssertEqual(try String(contentsOfFile: tile, encoding: .utf8), "slide/0x_0y.png")
    }

    /// New files, files apart from the inputs, and inputs that are not there yet pass.
    func testOutputsApartFromTheInputsPass() throws {
        let bundle = try write("s.tsb"), other = try write("other.safetensors")
        try FileManager.default.createDirectory(atPath: folder.file("slide"), withIntermediateDirectories: false)
        _ = try write("slide/0x_0y.png")
        let inputs = [InputOutputOverlap.Input("BUNDLE", bundle), .init("SLIDE_DIR", folder.file("slide")),
                      .init("--init", folder.file("absent.safetensors"))]
        for output in [folder.file("new.safetensors"), other, folder.file("slide/new.safetensors")] {
            XCTAssertNoThrow(try OutputPath.check(output, option: "-o", inputs: inputs), output)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
                       ["other.safetensors", "s.tsb", "slide"], "checking writes nothing")
    }

    /// A folder whose every file is read (a teacher cache) takes no new file, at any depth or
    /// through a link to it; beside it, a new file passes.
    func testNoNewFileInsideAnEnclosingFolder() throws {
        try FileManager.default.createDirectory(atPath: folder.file("cache/deeper"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.file("link"), withDestinationPath: folder.file("cache"))
        let cache = InputOutputOverlap.Input("--tile-encoder", folder.file("cache"))
        for output in [folder.file("cache/new.tsb"), folder.file("cache/deeper/new.tsb"), folder.file("link/new.tsb")] {
            assertRefused(output, inputs: [], enclosing: [cache], as: .insideInput(cache))
        }
        XCTAssertNoThrow(try OutputPath.check(folder.file("new.tsb"), option: "-o", inputs: [], enclosing: [cache]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.file("cache")), ["deeper"])
    }

    /// What `checkWritable` refuses comes back with the option, as one line.
    func testUnwritableOutputsNameTheOption() throws {
        let output = folder.file("missing/out.safetensors")
        XCTAssertThrowsError(try OutputPath.check(output, option: "output_path", inputs: [])) { error in
            guard let error = error as? OutputError, case .unwritable(let format) = error.problem else { return XCTFail("\(error)") }
            XCTAssertEqual(format.path, output)
            XCTAssertEqual(error.description, "output_path \(output): open the output folder \(folder.file("missing"))/ failed: "
                                              + "No such file or directory")
        }
        assertRefused("/dev/null", inputs: [],
                      as: .unwritable(FormatError(path: "/dev/null", problem: .notAnOutputFile(kind: "character device"))))
        assertRefused(folder.path, inputs: [],
                      as: .unwritable(FormatError(path: folder.path, problem: .notAnOutputFile(kind: "directory"))))
    }

    func testMessagesAreOneLineNamingOptionAndPaths() {
        let input = InputOutputOverlap.Input("SLIDE_DIR", "/data/slide")
        XCTAssertEqual(OutputError(option: "-o", path: "/data/slide/a.png", problem: .replacesInput(input, member: "a.png")).description,
                       "-o /data/slide/a.png is a.png of the input SLIDE_DIR /data/slide; "
                       + "write the output to another file (it would replace its own input)")
        XCTAssertEqual(OutputError(option: "-o", path: "/data/slide/x", problem: .replacesInput(input, member: "x\ny")).description,
                       "-o /data/slide/x is x\\ny of the input SLIDE_DIR /data/slide; "
                       + "write the output to another file (it would replace its own input)")
    }

    /// An output folder may neither be nor hold an input, nor lie inside an enclosing one;
    /// relative and not yet existing paths are resolved as far as they exist.
    func testOutputFoldersApartFromTheInputs() throws {
        try FileManager.default.createDirectory(atPath: folder.file("data/slide"), withIntermediateDirectories: true)
        let teacher = try write("teacher.safetensors")
        let data = InputOutputOverlap.Input("--data", folder.file("data")), weights = InputOutputOverlap.Input("--teacher", teacher)
        func refused(_ output: String, _ problem: OutputError.Problem) {
            XCTAssertThrowsError(try InputOutputOverlap.checkFolder(output, option: "-o", inputs: [data, weights], enclosing: [data])) {
                XCTAssertEqual($0 as? OutputError, OutputError(option: "-o", path: output, problem: problem))
            }
        }
        refused(folder.file("data/"), .holdsInput(data, same: true))
        refused(folder.path, .holdsInput(data, same: false))
        refused(folder.file("data/new/run"), .insideInput(data))
        XCTAssertNoThrow(try InputOutputOverlap.checkFolder(folder.file("runs/new"), option: "-o", inputs: [data, weights], enclosing: [data]))

        let cwd = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.file("data")))
        let resolved = try XCTUnwrap(realpath(folder.path, nil))
        defer { free(resolved) }
        let real = String(cString: resolved)
        XCTAssertEqual(InputOutputOverlap.canonical("./slide/../missing/./run"), real + "/data/missing/run")
        XCTAssertEqual(InputOutputOverlap.canonical(".."), real)
        XCTAssertEqual(InputOutputOverlap.canonical("/"), "/")
    }

    func testRunFolders() throws {
        let file = try write("file")
        XCTAssertEqual(RunFolderCheck.parent(of: "/a/b/"), "/a")
        XCTAssertEqual(RunFolderCheck.parent(of: "/run"), "/")
        XCTAssertEqual(RunFolderCheck.parent(of: "run"), ".")
        XCTAssertNoThrow(try RunFolderCheck.checkNew(folder.file("run"), option: "-o"))
        XCTAssertNoThrow(try RunFolderCheck.checkExisting(folder.path, option: "--resume"))
        let cases: [(check: () throws -> Void, expected: String)] = [
            ({ try RunFolderCheck.checkNew(self.folder.file("missing/run"), option: "-o") },
             "-o \(folder.file("missing/run")) cannot be created: its folder \(folder.file("missing")) does not exist"),
            ({ try RunFolderCheck.checkNew(file + "/run", option: "-o") }, "-o \(file)/run is not usable: its folder \(file) is not a folder"),
            ({ try RunFolderCheck.checkExisting(file, option: "--resume") }, "--resume \(file) is not usable: the run folder is not a folder"),
        ]
        for (check, expected) in cases {
            XCTAssertThrowsError(try check()) {
                XCTAssertEqual(($0 as? OutputError)?.description, expected + "; expected a folder this user can write into")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["file"], "checking writes nothing")
    }
}
