import Foundation
import TestSupport
import XCTest

/// SIGTERM or SIGINT while `embed --hidden-states` spools block outputs: the
/// process dies of the signal, its spool files are gone and the output that
/// was there before is untouched.
final class InterruptedEmbedTests: XCTestCase {
    func testSignalsRemoveTheHiddenStateSpool() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let output = folder.file("out.safetensors")
        let previous = Data("the previous output".utf8)
        for signal in [SIGTERM, SIGINT] {
            try previous.write(to: URL(fileURLWithPath: output))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try TesseraProcess.product("tessera"))
            process.arguments = ["embed", Fixtures.path("slide_folder/demo_slide"), "--tile-encoder", Fixtures.path("tile_teacher"),
                                 "--hidden-states", "--batch", "1", "--threads", "1", "-o", output]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Mid-run: the spool has received its first rows.
            let deadline = Date().addingTimeInterval(120)
            while !spoolHasRows(folder), process.isRunning, Date() < deadline { usleep(200) }
            XCTAssertTrue(process.isRunning, "signal \(signal): the run ended before it could be interrupted")
            XCTAssertTrue(spoolHasRows(folder), "signal \(signal): no spool file appeared")
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "signal \(signal)")
            XCTAssertEqual(process.terminationStatus, signal)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["out.safetensors"], "signal \(signal)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), previous, "signal \(signal)")
        }
    }

    /// A scratch file of the run (anything beside the output) holds data.
    private func spoolHasRows(_ folder: TemporaryFolder) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.contains { name in
            name != "out.safetensors"
                && ((try? FileManager.default.attributesOfItem(atPath: folder.file(name))[.size] as? Int) ?? 0) > 0
        }
    }
}
