import Foundation
import TestSupport
import XCTest

/// The committed protobuf-c code is what scripts/regenerate-bundle-proto makes of formats/bundle.proto now.
final class BundleProtoTests: XCTestCase {
    func testGeneratedCodeMatchesTheProto() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let root = URL(fileURLWithPath: Fixtures.root).deletingLastPathComponent().path
        let script = Process()
        script.executableURL = URL(fileURLWithPath: root + "/scripts/regenerate-bundle-proto")
        script.arguments = [folder.path]
        try script.run()
        script.waitUntilExit()
        XCTAssertEqual(script.terminationStatus, 0, "regenerate-bundle-proto failed (protoc-c is installed by scripts/bootstrap)")
        for (generated, committed) in [("bundle.pb-c.c", "Sources/CTesseraBundle/bundle.pb-c.c"),
                                       ("bundle.pb-c.h", "Sources/CTesseraBundle/include/bundle.pb-c.h")] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder.file(generated))),
                           try Data(contentsOf: URL(fileURLWithPath: root + "/" + committed)),
                           "\(committed) is stale: run scripts/regenerate-bundle-proto")
        }
    }
}
