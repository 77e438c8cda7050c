import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// The files of fixtures/torch_cases (written by real torch.save, see
/// fixtures/make_torch_cases.py): every tensor is read exactly or the reader
/// fails naming it; nothing is dropped or altered without a word.
final class TorchCasesTests: XCTestCase {
    /// File -> the tensor the error must name and a fragment it must contain (the dtype, the layout, ...).
    static let refused: [String: (tensor: String, fragment: String)] = [
        "uint16.pt": ("case", "dtype torch.uint16"),
        "uint32.pt": ("case", "dtype torch.uint32"),
        "uint64.pt": ("case", "dtype torch.uint64"),
        "float8_e4m3fn.pt": ("case", "dtype torch.float8_e4m3fn"),
        "float8_e5m2.pt": ("case", "dtype torch.float8_e5m2"),
        "uint16_legacy.pt": ("case", "dtype torch.uint16"),
        "complex64.pt": ("case", "dtype complex64"),
        "complex64_legacy.pt": ("case", "dtype complex64"),
        "conjugate_view.pt": ("case", "dtype complex64"),
        "negative_view.pt": ("case", "negative-bit view"),
        "sparse_coo.pt": ("case", "_rebuild_sparse_tensor"),
        "sparse_csr.pt": ("case", "_rebuild_sparse_tensor"),
        "quantized.pt": ("case", "_rebuild_qtensor"),
        "meta.pt": ("case", "_rebuild_meta_tensor_no_storage"),
        "subclass.pt": ("case", "tensor subclass"),
    ]

    /// File -> tensors that must read as their "expected_" twins in the same file.
    static let read: [String: [String]] = [
        "attribute.pt": ["case"],
        "rebuild_v3.pt": ["case", "transposed"],
    ]

    static let others = ["int_key.pt", "metadata_key.pt", "history.pt", "bare_uint16.pt"]

    private func path(_ file: String) -> String { Fixtures.path("torch_cases/" + file) }

    func testEveryCaseIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("torch_cases"))
        XCTAssertEqual(Set(files), Set(Self.refused.keys).union(Self.read.keys).union(Self.others))
    }

    func testUnreadableTensorsAreRefusedByName() {
        for (file, expected) in Self.refused.sorted(by: { $0.key < $1.key }) {
            XCTAssertThrowsError(try TorchCheckpoint.stateDict(path: path(file)), file) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path(file)), "\(file): \(message)")
                XCTAssertTrue(message.contains("tensor '\(expected.tensor)' cannot be read exactly"), "\(file): \(message)")
                XCTAssertTrue(message.contains(expected.fragment), "\(file): \(message)")
                XCTAssertTrue(message.contains("(pickle offset "), "\(file): where it was built: \(message)")
            }
        }
    }

    func testReadableCasesReadExactly() throws {
        for (file, names) in Self.read {
            let dict = try TorchCheckpoint.stateDict(path: path(file))
            XCTAssertEqual(dict.count, 1 + 2 * names.count, "\(file): \(dict.names)")
            for name in names {
                let tensor = try XCTUnwrap(dict[name], "\(file): \(name)")
                let expected = try XCTUnwrap(dict["expected_" + name], "\(file): expected_\(name)")
                XCTAssertEqual(tensor.shape, expected.shape, "\(file): \(name)")
                XCTAssertTrue(tensor.isBitIdentical(to: expected), "\(file): \(name)")
            }
        }
    }

    /// `torch.save(tensor)` of a dtype Tessera lacks: refused, as a state dict and as a bare tensor.
    func testBareUnreadableTensorIsRefused() {
        for read in [{ _ = try TorchCheckpoint.stateDict(path: self.path("bare_uint16.pt")) },
                     { _ = try TorchCheckpoint.readTensor(path: self.path("bare_uint16.pt")) }] {
            XCTAssertThrowsError(try read()) { error in
                XCTAssertTrue("\(error)".contains("tensor cannot be read exactly: dtype torch.uint16"), "\(error)")
            }
        }
    }

    /// A tensor under a key that is not a string cannot be named in a state dict: refused, not skipped.
    func testTensorUnderAnIntKeyIsRefused() {
        XCTAssertThrowsError(try TorchCheckpoint.stateDict(path: path("int_key.pt"))) { error in
            XCTAssertTrue("\(error)".contains("a tensor under the key 3, not a string"), "\(error)")
        }
    }

    /// "__metadata__" is a fine state-dict key but safetensors keeps its
    /// metadata under it: reading works, writing is refused before any file
    /// is made (it used to write a header no reader accepts).
    func testMetadataKeyIsReadButNotWritten() throws {
        let dict = try TorchCheckpoint.stateDict(path: path("metadata_key.pt"))
        XCTAssertEqual(dict.names, ["ok", "__metadata__"])
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        XCTAssertThrowsError(try SafeTensors.write(dict, to: folder.file("out.safetensors"))) { error in
            XCTAssertEqual((error as? FormatError)?.tensor, "__metadata__")
            XCTAssertEqual((error as? FormatError)?.problem, .reservedName)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }

    /// A 300,000-item list beside the weights (a training history) loads, and
    /// growing it copies nothing: with no copies allowed at all it still loads.
    func testLongHistoryBesideTheWeightsLoads() throws {
        let found = try TorchCheckpoint.found(path: path("history.pt"))
        XCTAssertEqual(found.wrapperKey, "model")
        XCTAssertEqual(found.stateDict.names, ["ok"])
        var limits = PickleLimits()
        limits.copiesPerByte = 0
        limits.copyAllowance = 0
        let value = try TorchCheckpoint.read(path: path("history.pt"), limits: limits)
        XCTAssertEqual(value["history"]?.items?.count, 300_000)
    }

    /// A tuple of 1,200,000 values (CPython writes a tuple as MARK, items,
    /// TUPLE: all on the stack at once) and 1,200,000 memo entries: both over
    /// the former fixed bounds of 1,000,000, both load.
    func testLongTupleAndLargeMemoLoad() throws {
        let count = 1_200_000
        let tuple: [UInt8] = [0x80, 0x02, 0x28] + [UInt8](repeating: 0x4E, count: count) + [0x74, 0x2E]  // MARK, NONE..., TUPLE
        let memo: [UInt8] = [0x80, 0x04, 0x4E] + [UInt8](repeating: 0x94, count: count) + [0x2E]  // NONE, MEMOIZE...
        for (pickle, what) in [(tuple, "tuple"), (memo, "memo")] {
            let value = try pickle.withUnsafeBytes { bytes in
                var unpickler = Unpickler(bytes: bytes)
                return try unpickler.load()
            }
            XCTAssertEqual(value.items?.count ?? 0, what == "tuple" ? count : 0, what)
        }
    }

    /// The dict form of the same: 300,000 entries set by SETITEMS batches of
    /// 1,000 (as pickle writes them) into a memoized dict, no copy allowed.
    func testLongDictGrowsWithoutCopies() throws {
        var pickle: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00]  // PROTO 2, EMPTY_DICT, BINPUT 0
        for batch in 0..<300 {
            pickle.append(0x28)  // MARK
            for i in (batch * 1000)..<((batch + 1) * 1000) {
                pickle += [0x4A] + withUnsafeBytes(of: Int32(i).littleEndian, Array.init) + [0x4E]  // BININT i, NONE
            }
            pickle.append(0x75)  // SETITEMS
        }
        pickle.append(0x2E)  // STOP
        var limits = PickleLimits()
        limits.copiesPerByte = 0
        limits.copyAllowance = 0
        let value = try pickle.withUnsafeBytes { bytes in
            var unpickler = Unpickler(bytes: bytes, limits: limits)
            return try unpickler.load()
        }
        XCTAssertEqual(value.entries?.count, 300_000)
    }
}
