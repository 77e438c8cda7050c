import Foundation
import TesseraCore
import TesseraFormats
@testable import TesseraIO
import TestSupport
import XCTest

/// Outputs are regular files: links are followed, special files refused up
/// front; temporaries carry the writer's host and process id so that a later
/// write removes the ones whose writer is gone.
final class OutputPathTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    private var sample: StateDict {
        var dict = StateDict()
        dict.set("x", Tensor(shape: [2], floats: [1, 2]))
        return dict
    }

    private func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() }

    private func fileType(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    private func assertRefused(_ path: String, kind: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try OutputPath.checkWritable(path), file: file, line: line) { error in
            XCTAssertEqual((error as? FormatError)?.problem, .notAnOutputFile(kind: kind), "\(error)", file: file, line: line)
        }
        XCTAssertThrowsError(try SafeTensors.write(sample, to: path), file: file, line: line)
    }

    /// A link to a file: the file is replaced, the link stays a link (also through a chain of relative links).
    func testSymbolicLinksAreFollowed() throws {
        try FileManager.default.createDirectory(atPath: folder.file("real"), withIntermediateDirectories: false)
        try Data("old".utf8).write(to: URL(fileURLWithPath: folder.file("real/weights.safetensors")))
        XCTAssertEqual(symlink("real/weights.safetensors", folder.file("first")), 0)
        XCTAssertEqual(symlink("first", folder.file("second")), 0)
        try SafeTensors.write(sample, to: folder.file("second"))
        XCTAssertEqual(fileType(folder.file("second")), S_IFLNK)
        XCTAssertEqual(fileType(folder.file("first")), S_IFLNK)
        XCTAssertEqual(try SafeTensors.read(path: folder.file("real/weights.safetensors")).names, ["x"])
        XCTAssertEqual(try listing(), ["first", "real", "second"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.file("real")), ["weights.safetensors"])
    }

    /// A link to nothing yet: the file it names is created, as the shell's `>` does.
    func testDanglingLinkCreatesItsTarget() throws {
        XCTAssertEqual(symlink("made.safetensors", folder.file("link")), 0)
        try SafeTensors.write(sample, to: folder.file("link"))
        XCTAssertEqual(fileType(folder.file("link")), S_IFLNK)
        XCTAssertEqual(try SafeTensors.read(path: folder.file("made.safetensors")).names, ["x"])
    }

    func testDeviceIsRefusedAndKept() {
        assertRefused("/dev/null", kind: "character device")
        XCTAssertEqual(fileType("/dev/null"), S_IFCHR)
        XCTAssertEqual(symlink("/dev/null", folder.file("to_null")), 0)
        assertRefused(folder.file("to_null"), kind: "character device")
    }

    func testFIFOIsRefusedAndKept() throws {
        XCTAssertEqual(mkfifo(folder.file("fifo"), 0o600), 0)
        assertRefused(folder.file("fifo"), kind: "FIFO")
        XCTAssertEqual(fileType(folder.file("fifo")), S_IFIFO)
        XCTAssertEqual(try listing(), ["fifo"])
    }

    /// Inputs too: a FIFO is refused at once (opening it would wait for a writer forever).
    func testFIFOInputIsRefusedWithoutWaiting() throws {
        XCTAssertEqual(mkfifo(folder.file("fifo"), 0o600), 0)
        XCTAssertThrowsError(try Checkpoint.open(path: folder.file("fifo"))) { error in
            XCTAssertEqual((error as? FormatError)?.problem, .notARegularFile, "\(error)")
        }
    }

    func testSocketIsRefusedAndKept() throws {
        let path = folder.file("socket")
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8.prefix(raw.count - 1)) + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        assertRefused(path, kind: "socket")
        XCTAssertEqual(fileType(path), S_IFSOCK)
    }

    func testDirectoryIsRefusedAndKept() throws {
        try FileManager.default.createDirectory(atPath: folder.file("out"), withIntermediateDirectories: false)
        assertRefused(folder.file("out"), kind: "directory")
        XCTAssertEqual(fileType(folder.file("out")), S_IFDIR)
    }

    /// No folder, or a file where the folder should be: an I/O error naming the folder, nothing written.
    func testMissingFolderIsRefused() throws {
        try Data().write(to: URL(fileURLWithPath: folder.file("plain")))
        for path in [folder.file("missing/out.safetensors"), folder.file("plain/out.safetensors")] {
            XCTAssertThrowsError(try OutputPath.checkWritable(path)) { error in
                guard case .io(let operation, _)? = (error as? FormatError)?.problem else { return XCTFail("\(error)") }
                XCTAssertTrue(operation.hasPrefix("open the output folder"), operation)
            }
        }
        XCTAssertNoThrow(try OutputPath.checkWritable(folder.file("new.safetensors")))
        XCTAssertEqual(try listing(), ["plain"], "checking writes nothing")
    }

    /// While a write runs, its temporary file is `.tessera-tmp-HOST-PID-RANDOM` beside the output.
    func testTemporaryNameCarriesHostAndProcess() throws {
        var seen: [String] = []
        try AtomicOutput.write(to: folder.file("out.bin")) { _ in seen = try listing() }
        XCTAssertEqual(seen.count, 1)
        let name = try XCTUnwrap(seen.first.flatMap(TemporaryName.init(fileName:)), "\(seen)")
        XCTAssertEqual(name.host, TemporaryName.localHost)
        XCTAssertEqual(name.pid, getpid())
        XCTAssertFalse(name.isStale, "our own temporary is not stale")
        XCTAssertEqual(try listing(), ["out.bin"])
    }

    /// Leftovers of this host whose process is gone are removed by the next
    /// write into the folder; those of a live process, of another host, and
    /// files of any other name are kept.
    func testStaleTemporariesAreRemovedByTheNextWrite() throws {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let host = TemporaryName.localHost
        let stale = ".tessera-tmp-\(host)-\(finished.processIdentifier)-dead"
        let live = ".tessera-tmp-\(host)-\(getppid())-live"
        let elsewhere = ".tessera-tmp-other-host-\(finished.processIdentifier)-away"
        let unrelated = ".tessera-tmp-notes.txt"
        for name in [stale, live, elsewhere, unrelated] {
            try Data("partial".utf8).write(to: URL(fileURLWithPath: folder.file(name)))
        }
        XCTAssertTrue(TemporaryName(fileName: stale)?.isStale ?? false)
        try SafeTensors.write(sample, to: folder.file("out.safetensors"))
        XCTAssertEqual(try listing(), [elsewhere, live, unrelated, "out.safetensors"].sorted())
    }
}
