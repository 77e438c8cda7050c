import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// The fixture torch checkpoints read into tensors bit-identical to the
/// safetensors files the reference wrote beside them.
final class TorchCheckpointTests: XCTestCase {
    private func assertBitIdentical(_ found: StateDict, _ expected: StateDict, _ file: String,
                                    line: UInt = #line) {
        XCTAssertEqual(found.names.sorted(), expected.names.sorted(), file, line: line)
        for name in expected.names {
            guard let tensor = found[name], let reference = expected[name] else { continue }
            XCTAssertTrue(tensor.isBitIdentical(to: reference), "\(file): \(name)", line: line)
        }
    }

    func testTileCheckpointsMatchSafetensors() throws {
        for model in ["tile_teacher", "tile_student"] {
            let expected = try Fixtures.load(model + "/model.safetensors")
            for file in ["pytorch_model.bin", "legacy_format.bin", "train_checkpoint.pth.tar"] {
                let path = Fixtures.path(model + "/" + file)
                let found = try TorchCheckpoint.found(path: path)
                assertBitIdentical(found.stateDict, expected, path)
                XCTAssertTrue(found.stateDict.tensors.values.allSatisfy { $0.storage.isMapped }, "\(path): views")
            }
        }
    }

    func testTrainingCheckpointWrapperAndPlaceholders() throws {
        let path = Fixtures.path("tile_teacher/train_checkpoint.pth.tar")
        let found = try TorchCheckpoint.found(path: path)
        XCTAssertEqual(found.wrapperKey, "state_dict")
        XCTAssertEqual(found.strippedPrefix, "module.")
        XCTAssertFalse(found.isBareTensor)

        let value = try TorchCheckpoint.read(path: path)
        guard case .object(let className, _, let state)? = value["args"] else {
            return XCTFail("args is \(value["args"]?.kind ?? "missing")")
        }
        XCTAssertEqual(className, "argparse.Namespace")
        XCTAssertEqual(state?["model"]?.string, value["arch"]?.string)
        // The optimizer state holds a scalar step tensor per parameter.
        let perParameter = value["optimizer"]?["state"]?.entries?.first?.value
        XCTAssertEqual(perParameter?["step"]?.tensor?.shape, [])
    }

    func testSlideEncoderCheckpointsMatchSafetensors() throws {
        for model in ["slide_encoder", "slide_encoder_16h"] {
            let expected = try Fixtures.load(model + "/slide_encoder.safetensors")
            let path = Fixtures.path(model + "/slide_encoder.pth")
            let found = try TorchCheckpoint.found(path: path)
            XCTAssertEqual(found.wrapperKey, "model", path)
            assertBitIdentical(found.stateDict, expected, path)
        }
    }

    func testBareEmbeddingTensor() throws {
        let path = Fixtures.path("preprocess/prov_normal_000_1.real_gigapath_embedding.pt")
        let tensor = try TorchCheckpoint.readTensor(path: path)
        XCTAssertEqual(tensor.shape, [1536])
        XCTAssertEqual(tensor.dtype, .f32)
        XCTAssertTrue(tensor.storage.isMapped, "a view of the first 1536 of the storage's 302,592 floats")
        let values = tensor.floats()
        XCTAssertTrue(values.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(values.map(abs).max() ?? 0, 0)

        let found = try TorchCheckpoint.found(path: path)
        XCTAssertTrue(found.isBareTensor)
        XCTAssertTrue(found.stateDict[StateDictWrappers.bareTensorName]?.isBitIdentical(to: tensor) ?? false)
    }

    func testUnreadableFilesAreErrorsNamingThePath() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        for path in [folder.file("missing.pt"), folder.path] {
            XCTAssertThrowsError(try TorchCheckpoint.read(path: path)) { error in
                XCTAssertTrue("\(error)".contains(path), "\(error)")
            }
        }
        let empty = folder.file("empty.pt")
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertThrowsError(try TorchCheckpoint.read(path: empty)) { error in
            XCTAssertTrue("\(error)".contains("neither a zip nor a legacy torch checkpoint"), "\(error)")
        }
    }
}
