import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// Which state dict a checkpoint with several wrappers yields
/// (fixtures/torch_layouts/wrappers.pt: "state_dict" with "module." names,
/// "state_dict_ema" without, beside an epoch and optimizer state).
final class StateDictWrapperTests: XCTestCase {
    private let path = Fixtures.path("torch_layouts/wrappers.pt")

    private func assertMatches(_ dict: StateDict, _ wrapper: String, line: UInt = #line) throws {
        let expected = try Fixtures.load("torch_layouts/wrappers_expected.safetensors")
        let names = expected.names.filter { $0.hasPrefix(wrapper + "/") }
        XCTAssertEqual(dict.names, names.map { String($0.dropFirst(wrapper.count + 1)) }, line: line)
        for name in names {
            let tensor = dict[String(name.dropFirst(wrapper.count + 1))]
            XCTAssertTrue(tensor?.isBitIdentical(to: expected[name]!) ?? false, name, line: line)
        }
    }

    func testDefaultPrefersStateDictAndReportsTheOthers() throws {
        let found = try TorchCheckpoint.found(path: path)
        XCTAssertEqual(found.wrapperKey, "state_dict")
        XCTAssertEqual(found.alternatives, ["state_dict_ema"])
        XCTAssertEqual(found.strippedPrefix, "module.")
        XCTAssertEqual(found.wrapperDescription, "state_dict (module. stripped; also: state_dict_ema)")
        try assertMatches(found.stateDict, "state_dict")
    }

    func testKeyPicksTheWrapper() throws {
        let found = try TorchCheckpoint.found(path: path, key: "state_dict_ema")
        XCTAssertEqual(found.wrapperKey, "state_dict_ema")
        XCTAssertNil(found.strippedPrefix)
        try assertMatches(found.stateDict, "state_dict_ema")
    }

    func testKeysWithoutTensorsAreRefused() {
        for (key, fragment) in [("missing", "no key 'missing'; keys: 'epoch', 'state_dict', 'state_dict_ema', 'optimizer'"),
                                ("epoch", "'epoch' holds no tensors")] {
            XCTAssertThrowsError(try TorchCheckpoint.found(path: path, key: key)) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
                XCTAssertTrue("\(error)".contains(self.path), "\(error)")
            }
        }
    }

    /// A plain dict with many entries (or a hostile one) is searched in linear
    /// time: looking every top-level key up again by name took time quadratic in their number.
    func testLargePlainDictIsSearchedOnce() throws {
        let tensor = Tensor(zeros: [1], dtype: .f32)
        let count = 40_000
        let entries = (0..<count).map { (key: PickleValue.string("w\($0)"), value: PickleValue.tensor(tensor)) }
        let started = Date()
        let found = try StateDictWrappers.find(in: .dict(entries))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertNil(found.wrapperKey)
        XCTAssertEqual(found.stateDict.count, count)
        XCTAssertEqual(found.stateDict.names.last, "w\(count - 1)")
    }

    /// A key set twice keeps its first position and its last value, as in
    /// Python: a tensor replaced by a number is gone, an unreadable tensor
    /// replaced by a readable one is read, and the other way round is refused.
    func testRepeatedKeysTakeTheirLastValue() throws {
        let tensor = PickleValue.tensor(Tensor(zeros: [1], dtype: .f32))
        let unreadable = PickleValue.unreadableTensor(reason: "dtype torch.uint16, which Tessera cannot represent", offset: 3)
        func dict(_ pairs: [(String, PickleValue)]) -> PickleValue { .dict(pairs.map { (.string($0.0), $0.1) }) }
        let replaced = try StateDictWrappers.find(in: dict([("a", tensor), ("b", tensor), ("a", .int(1)), ("c", unreadable),
                                                           ("c", tensor)]))
        XCTAssertEqual(replaced.stateDict.names, ["b", "c"])
        XCTAssertThrowsError(try StateDictWrappers.find(in: dict([("a", tensor), ("a", unreadable)]))) { error in
            XCTAssertTrue("\(error)".contains("tensor 'a' cannot be read exactly"), "\(error)")
        }
    }
}
