import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// Output paths from the command line: a path that cannot take a regular
/// file fails before any work; an interrupted write leaves no temporary file.
final class OutputFileCommandTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    /// As root, `convert -o /dev/null` used to replace the device node with a file.
    func testSpecialOutputsAreRefusedUpFront() throws {
        try FileManager.default.createDirectory(atPath: folder.file("dir"), withIntermediateDirectories: false)
        let input = Fixtures.path("tile_teacher/model.safetensors")
        for (arguments, kind) in [(["convert", input, "-o", "/dev/null"], "character device"),
                                  (["convert", input, "-o", folder.file("dir")], "directory"),
                                  (["preprocess", Fixtures.path("preprocess/ihc_512.png"), "-o", "/dev/null"], "character device"),
                                  (["slide", input, "--slide-encoder", input, "-o", folder.file("dir")], "directory")] {
            let result = try TesseraProcess.run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertTrue(result.stderr.contains("is a \(kind), not a regular file"), "\(arguments): \(result.stderr)")
        }
        var info = stat()
        XCTAssertEqual(lstat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
    }

    /// SIGTERM and SIGINT during a conversion: the process dies of the signal
    /// and its temporary file is gone (removed by the signal handler).
    func testSignalsRemoveTheTemporaryFile() throws {
        let input = folder.file("big.safetensors")
        try writeSparseInput(input, elements: 64 << 20)
        for signal in [SIGTERM, SIGINT] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try TesseraProcess.product("tessera"))
            process.arguments = ["convert", input, "-o", folder.file("out.safetensors"), "--dtype", "bf16"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while temporaries().isEmpty, process.isRunning, Date() < deadline { usleep(500) }
            XCTAssertFalse(temporaries().isEmpty, "signal \(signal): no temporary file appeared")
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "signal \(signal)")
            XCTAssertEqual(process.terminationStatus, signal)
            XCTAssertEqual(temporaries(), [], "signal \(signal)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("out.safetensors")))
        }
    }

    private func temporaries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(".tessera-tmp-") }
    }

    /// One F32 tensor of `elements` zeros, written as a sparse file (header only, then a hole).
    private func writeSparseInput(_ path: String, elements: Int) throws {
        var header = Array(#"{"x":{"dtype":"F32","shape":[\#(elements)],"data_offsets":[0,\#(4 * elements)]}}"#.utf8)
        header += Array(repeating: 0x20, count: (8 - header.count % 8) % 8)
        let bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(truncate(path, off_t(bytes.count + 4 * elements)), 0)
    }
}
