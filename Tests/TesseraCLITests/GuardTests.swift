import Foundation
import TestSupport
import XCTest

/// The guards that protect memory hold in the build the tests run: `make test` runs them in
/// release, where TesseraCore is built -Ounchecked, which removes every `precondition`. The
/// cross-check program breaks each guard on purpose (`tessera-crosscheck violate`) and must
/// stop there with a trap and the guard's message instead of running on; scripts/cross-check
/// does the same with its aarch64 Embedded Swift build.
final class GuardTests: XCTestCase {
    func testABrokenGuardStopsTheProgramWithItsMessage() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let file = folder.file("eight-bytes")
        try Data(count: 8).write(to: URL(fileURLWithPath: file))
        let violations: [(operands: [String], message: String)] = [
            (["mapped-range", file],
             "TesseraCore/Storage.swift:\\d+: Fatal error: \(NSRegularExpression.escapedPattern(for: file)): bytes 0..<9 outside the 8 mapped"),
            (["arena"], "TesseraCore/Arena.swift:\\d+: Fatal error: arena overflow: 17 floats after 0 of the 16 planned"),
            (["shape"], "TesseraCore/Tensor.swift:\\d+: Fatal error: the shape \\[4611686018427387904, 4\\]: "
                + "a negative dimension, or more elements than Int can count"),
        ]
        for (operands, message) in violations {
            // No backtrace from the Swift runtime: only the guard's line on stderr.
            let run = try TesseraProcess.run(["violate"] + operands, program: "tessera-crosscheck",
                                             environment: ["SWIFT_BACKTRACE": "enable=no"])
            let name = operands[0]
            XCTAssertEqual(run.reason, .uncaughtSignal, "\(name): exit status \(run.status), stdout: \(run.stdout)")
            // A trap instruction: ud2 on x86-64, brk on arm64.
            XCTAssertTrue([SIGILL, SIGTRAP].contains(run.status), "\(name): signal \(run.status)")
            XCTAssertNotNil(run.stderr.range(of: "^" + message + "\n$", options: .regularExpression), "\(name): \(run.stderr)")
        }
    }

    /// Operands that name no guard are a usage error (exit status 2), not a trap: the traps above are the guards'.
    func testAnUnknownGuardIsAUsageError() throws {
        let run = try TesseraProcess.run(["violate", "nothing"], program: "tessera-crosscheck")
        XCTAssertEqual(run.reason, .exit)
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stdout.contains("tessera-crosscheck violate arena | shape | mapped-range FILE"), run.stdout)
    }
}
