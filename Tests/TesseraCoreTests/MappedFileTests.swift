import Foundation
import TestSupport
import XCTest
import TesseraCore

final class MappedFileTests: XCTestCase {
    /// Only regular files are mapped; a FIFO is refused at once (its open must not wait for a writer).
    func testFIFOAndFolderAreRefusedWithoutWaiting() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let fifo = folder.file("weights.safetensors")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for path in [fifo, folder.path] {
            XCTAssertThrowsError(try MappedFile(path: path)) { error in
                guard case .notARegularFile(let reported) = error as? MappedFile.Error else { return XCTFail("\(error)") }
                XCTAssertEqual(reported, path)
            }
        }
    }

    func testRegularFileIsMappedWhole() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.file("bytes")
        try Data([1, 2, 3, 250]).write(to: URL(fileURLWithPath: path))
        let file = try MappedFile(path: path)
        withExtendedLifetime(file) { XCTAssertEqual(Array(file.bytes), [1, 2, 3, 250]) }
    }
}
