import Foundation
import TesseraFormats
@testable import TesseraIO
import TestSupport
import XCTest

/// Scratch files (the spool of `embed --hidden-states`) are named and cleaned
/// up as the atomic writer's temporaries: registered for removal on a signal,
/// removed when released, and removed as stale by a later process.
final class ScratchFileTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    func testNamedForThisProcessAndRemovedWhenReleased() throws {
        var file: ScratchFile? = try ScratchFile(folder: folder.path)
        let name = try XCTUnwrap(TemporaryName(fileName: URL(fileURLWithPath: file!.path).lastPathComponent))
        XCTAssertEqual(name.host, TemporaryName.localHost)
        XCTAssertEqual(name.pid, getpid())
        XCTAssertEqual(try listing().count, 1)
        file = nil
        XCTAssertEqual(try listing(), [])
    }

    /// A spool left by a process that died (SIGKILL) goes when the next one is made there.
    func testStaleScratchFilesOfDeadProcessesAreRemoved() throws {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let stale = ".tessera-tmp-\(TemporaryName.localHost)-\(finished.processIdentifier)-spool"
        let live = ".tessera-tmp-\(TemporaryName.localHost)-\(getppid())-live"
        for name in [stale, live] { try Data("partial".utf8).write(to: URL(fileURLWithPath: folder.file(name))) }
        let file = try ScratchFile(folder: folder.path)
        XCTAssertEqual(try listing(), [live, URL(fileURLWithPath: file.path).lastPathComponent].sorted())
    }

    func testMissingFolderNamesThePath() {
        XCTAssertThrowsError(try ScratchFile(folder: folder.file("missing"))) { error in
            XCTAssertTrue("\(error)".contains(folder.file("missing/.tessera-tmp-")), "\(error)")
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
        }
    }

    private func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }
}
