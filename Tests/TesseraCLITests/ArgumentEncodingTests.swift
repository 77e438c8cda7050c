import Foundation
import TestSupport
import XCTest

/// A file name that is not UTF-8 is refused as such (exit 64, naming the
/// argument and its bytes), not reported as a missing file.
final class ArgumentEncodingTests: XCTestCase {
    func testNonUTF8ArgumentIsRefusedByName() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        // Swift strings cannot hold the bytes: the shell passes them.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"cd "$1" && "$2" preprocess "$(printf 'tile\377.png')" -o out.safetensors"#, "sh",
                             folder.path, try TesseraProcess.product("tessera")]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 64, stderr)
        XCTAssertTrue(stderr.contains(#"argument 2 ('tile\xFF.png') is not valid UTF-8"#), stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("out.safetensors")))
    }
}
