import TesseraCore
import XCTest

final class SHA256Tests: XCTestCase {
    /// The FIPS 180-2 examples, one, two and many blocks.
    func testPublishedVectors() {
        func hex(_ text: String) -> String {
            var hasher = SHA256()
            Array(text.utf8).withUnsafeBytes { hasher.update($0) }
            return hasher.finalize()
        }
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
