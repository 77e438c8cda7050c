import CTesseraKernels
import XCTest

/// Every binary16 value through every path, against Swift's own Float16.
final class F16Tests: XCTestCase {
    func testAllValuesWidenExactly() {
        let all = (0...UInt16.max).map { $0 }
        for path in KernelPaths.supported {
            for count in [all.count, all.count - 1, 5] { // whole vectors and every tail
                var got = [Float](repeating: 0, count: all.count)
                XCTAssertEqual(tk_f16_to_f32(path, all, &got, count), TK_OK)
                for i in 0..<count {
                    let h = Float16(bitPattern: all[i])
                    let name = "\(KernelPaths.name(path)) 0x\(String(all[i], radix: 16))"
                    if h.isNaN {
                        // Quiet NaN with the sign and payload kept.
                        let payload = UInt32(all[i] & 0x3ff) << 13
                        let want = UInt32(all[i] & 0x8000) << 16 | 0x7fc0_0000 | payload
                        XCTAssertEqual(got[i].bitPattern, want, name)
                    } else {
                        XCTAssertEqual(got[i].bitPattern, Float(h).bitPattern, name)
                    }
                }
                XCTAssert(got[count...].allSatisfy { $0 == 0 }, "nothing written past n")
            }
        }
    }
}
