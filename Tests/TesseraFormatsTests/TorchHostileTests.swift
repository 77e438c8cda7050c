import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// The broken and hostile torch files of fixtures/hostile (made by
/// fixtures/make_hostile.py, `torch_cases`): each is refused with an error
/// that names the file and the problem, or, when a payload sits beside the
/// tensors, defused into a placeholder while the tensors still load. Nothing
/// is ever executed: the files the payloads would create never appear.
final class TorchHostileTests: XCTestCase {
    /// File -> a fragment the error message must contain.
    static let refused: [String: String] = [
        "pt_truncated_zip.pt": "no end-of-central-directory record",
        "pt_bad_central_directory_offset.pt": "central directory at",
        "pt_zip64_locator_bad.pt": "ZIP64 locator points to",
        "pt_entry_outside_file.pt": "no local header",
        "pt_compressed_entry.pt": "is compressed (method 8)",
        "pt_no_data_pkl.pt": "expected one FOLDER/data.pkl entry",
        "pt_big_endian.pt": "big-endian",
        "pt_missing_storage_entry.pt": "storage '0' has no entry archive/data/0",
        "pt_storage_smaller_than_tensor.pt": "needs 10 elements but its storage holds 6",
        "pt_storage_entry_too_short.pt": "declares 1000 float32 elements",
        "pt_negative_size.pt": "negative storage offset, size or stride",
        "pt_size_overflow.pt": "overflows",
        "pt_stride_overflow.pt": "overflows",
        "pt_memo_bomb.pt": "holds a list",
        "pt_shared_list_quadratic.pt": "values copied to grow shared containers (16 per byte of pickle",
        "pt_nesting_100000.pt": "nested deeper than 200",
        "pt_nesting_tuple1_100000.pt": "nested deeper than 200",
        "pt_huge_binunicode.pt": "length 4294967280 exceeds",
        "pt_binunicode8_2_63.pt": "is too large",
        "pt_no_stop.pt": "ends without STOP",
        "pt_unknown_opcode.pt": "unknown opcode 0xff",
        "pt_extension_opcode.pt": "extension-registry opcode",
        "pt_stack_underflow.pt": "stack underflow",
        "pt_memo_get_undefined.pt": "memo key 7 was never set",
        "legacy_bad_storage_count.pt": "the file holds 7 elements, the object declares 6",
        "legacy_truncated_storage.pt": "run past the end of the file",
        "legacy_bad_magic.pt": "wrong magic number",
        "legacy_unlisted_storage.pt": "has no data",
    ]

    /// Files whose payload sits beside a loadable "weight", with the global the placeholder records.
    static let defused: [String: String] = [
        "pt_reduce_os_system.pt": "os.system",
        "pt_stack_global_posix_system.pt": "posix.system",
        "pt_builtins_eval.pt": "builtins.eval",
        "pt_newobj_build_popen.pt": "subprocess.Popen",
    ]

    static let wellFormed = ["ok_zip64_extra_fields.pt", "ok_legacy.pt"]

    static let markers = ["/tmp/tessera_hostile_os_system", "/tmp/tessera_hostile_posix_system",
                          "/tmp/tessera_hostile_eval", "/tmp/tessera_hostile_popen"]

    func testEveryTorchCaseIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("hostile"))
            .filter { $0.hasSuffix(".pt") }
        XCTAssertEqual(Set(files), Set(Self.refused.keys).union(Self.defused.keys).union(Self.wellFormed))
        XCTAssertGreaterThanOrEqual(Self.refused.count + Self.defused.count, 12)
    }

    func testRefusedWithClearErrors() {
        for (file, fragment) in Self.refused.sorted(by: { $0.key < $1.key }) {
            let path = Fixtures.path("hostile/" + file)
            XCTAssertThrowsError(try TorchCheckpoint.stateDict(path: path), file) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path), "\(file): \(message)")
                XCTAssertTrue(message.contains(fragment), "\(file): \(message)")
            }
        }
    }

    func testPayloadsBecomePlaceholdersAndNothingRuns() throws {
        for marker in Self.markers { try? FileManager.default.removeItem(atPath: marker) }
        let expected = try Fixtures.load("hostile/pt_expected.safetensors")
        for (file, global) in Self.defused {
            let path = Fixtures.path("hostile/" + file)
            let dict = try TorchCheckpoint.stateDict(path: path)
            XCTAssertEqual(dict.names, ["weight"], file)
            XCTAssertTrue(dict["weight"]?.isBitIdentical(to: expected["weight"]!) ?? false, file)
            guard case .object(let className, let arguments, _)? = try TorchCheckpoint.read(path: path)["payload"] else {
                XCTFail("\(file): payload is not a placeholder")
                continue
            }
            XCTAssertEqual(className, global, file)
            XCTAssertFalse(arguments.isEmpty, "\(file): the arguments are recorded")
        }
        for marker in Self.markers {
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "\(marker) was created")
        }
    }

    func testWellFormedVariantsLoad() throws {
        let expected = try Fixtures.load("hostile/pt_expected.safetensors")
        for file in Self.wellFormed {
            let dict = try TorchCheckpoint.stateDict(path: Fixtures.path("hostile/" + file))
            XCTAssertTrue(dict["weight"]?.isBitIdentical(to: expected["weight"]!) ?? false, file)
        }
    }

    /// ZIP64 past 4 GiB (sizes and offsets in zip64 extra fields, as in the real
    /// 4.5 GB GigaPath checkpoint): a sparse file of the committed bytes around a
    /// 4,400,000,000-byte hole (see `torch_cases` in make_hostile.py).
    func testZip64BeyondFourGigabytes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let head = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hostile/ok_zip64_over_4gb.head")))
        let tail = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hostile/ok_zip64_over_4gb.tail")))
        let path = folder.file("over_4gb.pt")
        let descriptor = open(path, O_WRONLY | O_CREAT, 0o600)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        head.withUnsafeBytes { _ = pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        tail.withUnsafeBytes { _ = pwrite(descriptor, $0.baseAddress, $0.count, off_t(head.count + 4_400_000_000)) }
        close(descriptor)

        let dict = try TorchCheckpoint.stateDict(path: path)
        let expected = try Fixtures.load("hostile/pt_expected.safetensors")
        XCTAssertEqual(dict.names, ["weight"])
        XCTAssertTrue(dict["weight"]?.isBitIdentical(to: expected["weight"]!) ?? false)
    }

    /// The memo bound, on a pickle that memoizes 2,000 values under distinct keys.
    func testMemoLimit() throws {
        var pickle: [UInt8] = [0x80, 0x02, 0x4E]  // PROTO 2, NONE
        for key in 0..<2000 { pickle += [0x72] + withUnsafeBytes(of: UInt32(key).littleEndian, Array.init) }
        pickle.append(0x2E)
        var limits = PickleLimits()
        limits.maxMemo = 1000
        try pickle.withUnsafeBytes { bytes in
            var unpickler = Unpickler(bytes: bytes, limits: limits)
            XCTAssertThrowsError(try unpickler.load()) { error in
                XCTAssertTrue("\(error)".contains("more than 1000 memo entries"), "\(error)")
            }
            var unbounded = Unpickler(bytes: bytes)
            XCTAssertNoThrow(try unbounded.load())
        }
    }
}
