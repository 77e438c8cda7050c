import XCTest
import TesseraCore

final class TensorTests: XCTestCase {
    /// A tensor with a zero dimension (legal in checkpoints) still has a pointer, so
    /// kernels and loaders need no special case for it.
    func testEmptyTensorsHaveAPointerAndNoElements() {
        let empty = Tensor(zeros: [1, 0, 64])
        XCTAssertEqual(empty.count, 0)
        XCTAssertNotNil(empty.bytes.baseAddress)
        XCTAssertEqual(empty.floats(), [])
        XCTAssertEqual(empty.converted(to: .bf16).bytes.count, 0)
        _ = empty.floatPointer
    }
}
