import XCTest
import TesseraCore

final class PeakMemoryTests: XCTestCase {
    /// The peak covers memory this process touched: after writing 64 MB it is at least
    /// those 64 MB.
    func testPeakCoversTouchedMemory() {
        XCTAssertGreaterThan(PeakMemory.residentBytes, 1 << 20)
        let count = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 4096)
        defer { block.deallocate() }
        for offset in stride(from: 0, to: count, by: 4096) { block.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self) }
        XCTAssertGreaterThanOrEqual(PeakMemory.residentBytes, count)
    }
}
