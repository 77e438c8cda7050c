import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

final class InspectConvertCommandTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func testInspectText() throws {
        let result = try TesseraProcess.run(["inspect", Fixtures.path("tile_teacher")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("format      hf directory (safetensors: model.safetensors)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("tensors     48"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\"architecture\":\"vit_giant_patch14_dinov2\""), result.stdout)
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("blocks.0.attn.qkv.weight ") }
        XCTAssertEqual(line?.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "),
                       "blocks.0.attn.qkv.weight F32 [288, 96]")
    }

    func testInspectJSONAgreesWithTheFile() throws {
        let path = Fixtures.path("conversion/rounding.safetensors")
        let result = try TesseraProcess.run(["inspect", path, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let dict = try SafeTensors.read(path: path)
        XCTAssertEqual(report["format"] as? String, "safetensors")
        XCTAssertEqual(report["tensor_count"] as? Int, dict.count)
        XCTAssertEqual(report["parameter_count"] as? Int, dict.parameterCount)
        XCTAssertEqual((report["metadata"] as? [String: String])?["made_by"], "fixtures/make_conversion.py")
        let tensors = try XCTUnwrap(report["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.compactMap { $0["name"] as? String }, dict.names)
        XCTAssertEqual(tensors.first?["dtype"] as? String, dict[dict.names[0]]?.dtype.rawValue)
        XCTAssertEqual(tensors.first?["shape"] as? [Int], dict[dict.names[0]]?.shape)
    }

    /// Converting a Python-written safetensors file gives the very same bytes.
    func testConvertSafetensorsIsByteIdentical() throws {
        for source in ["tile_teacher/model.safetensors", "tile_teacher", "slide_encoder/slide_encoder.safetensors"] {
            let output = folder.file("out.safetensors")
            let result = try TesseraProcess.run(["convert", Fixtures.path(source), "-o", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            let reference = source.hasPrefix("slide") ? source : "tile_teacher/model.safetensors"
            XCTAssertEqual(try bytes(output), try bytes(Fixtures.path(reference)), source)
        }
    }

    /// Every weights layout of the golden data (torch zip, legacy, timm training
    /// checkpoint with `module.` names, `{"model": ...}`) converts to the very
    /// bytes Python's safetensors wrote for the same weights.
    func testConvertEveryTorchLayoutGivesThePythonFile() throws {
        var cases: [(String, String)] = []
        for model in ["tile_teacher", "tile_student"] {
            for file in ["pytorch_model.bin", "legacy_format.bin", "train_checkpoint.pth.tar"] {
                cases.append(("\(model)/\(file)", "\(model)/model.safetensors"))
            }
        }
        for model in ["slide_encoder", "slide_encoder_16h"] {
            cases.append(("\(model)/slide_encoder.pth", "\(model)/slide_encoder.safetensors"))
        }
        for (source, reference) in cases {
            let output = folder.file("out.safetensors")
            let result = try TesseraProcess.run(["convert", Fixtures.path(source), "-o", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(try bytes(output), try bytes(Fixtures.path(reference)), source)
        }
    }

    func testInspectNamesTheWrapper() throws {
        let expected = [
            "tile_student/train_checkpoint.pth.tar": ("torch zip", "state_dict (module. stripped)", "tensors     "),
            "slide_encoder/slide_encoder.pth": ("torch zip", "model", "tensors     47"),
            "tile_student/legacy_format.bin": ("torch legacy", "none", "tensors     "),
            "preprocess/prov_normal_000_1.real_gigapath_embedding.pt": ("torch zip", "bare tensor", "parameters  1,536"),
        ]
        for (file, (format, wrapper, count)) in expected {
            let result = try TesseraProcess.run(["inspect", Fixtures.path(file)])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("format      \(format)\n"), file + "\n" + result.stdout)
            XCTAssertTrue(result.stdout.contains("wrapper     \(wrapper)\n"), file + "\n" + result.stdout)
            XCTAssertTrue(result.stdout.contains(count), file + "\n" + result.stdout)
        }
        let student = try TesseraProcess.run(["inspect", Fixtures.path("tile_student/pytorch_model.bin"), "--json"])
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(student.stdout.utf8)) as? [String: Any])
        let reference = try Fixtures.load("tile_student/model.safetensors")
        XCTAssertEqual(report["tensor_count"] as? Int, reference.count)
        XCTAssertEqual(report["parameter_count"] as? Int, reference.parameterCount)
    }

    func testKeyPicksTheWrapper() throws {
        let output = folder.file("out.safetensors")
        let source = Fixtures.path("tile_student/train_checkpoint.pth.tar")
        let chosen = try TesseraProcess.run(["convert", source, "-o", output, "--key", "state_dict"])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        XCTAssertEqual(try bytes(output), try bytes(Fixtures.path("tile_student/model.safetensors")))
        let missing = try TesseraProcess.run(["inspect", source, "--key", "state_dict_ema"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no key 'state_dict_ema'"), missing.stderr)
    }

    /// `--key state_dict_ema` on a torch-made training checkpoint converts the
    /// EMA weights, as torch saved them.
    func testKeyConvertsTheEMAWeights() throws {
        let output = folder.file("ema.safetensors")
        let result = try TesseraProcess.run(["convert", Fixtures.path("torch_layouts/wrappers.pt"), "-o", output,
                                             "--key", "state_dict_ema"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("wrapper state_dict_ema"), result.stdout)
        let converted = try SafeTensors.read(path: output)
        let expected = try Fixtures.load("torch_layouts/wrappers_expected.safetensors")
        XCTAssertEqual(converted.names, ["blocks.0.weight", "norm.bias"])
        for name in converted.names {
            let tensor = try XCTUnwrap(converted[name])
            XCTAssertTrue(tensor.isBitIdentical(to: try XCTUnwrap(expected["state_dict_ema/" + name])), name)
        }
    }

    func testConvertToF16RoundsLikeTorch() throws {
        let output = folder.file("half.safetensors")
        let result = try TesseraProcess.run(["convert", Fixtures.path("conversion/rounding.safetensors"),
                                             "-o", output, "--dtype", "f16"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let converted = try SafeTensors.read(path: output)
        let golden = try Fixtures.load("conversion/rounding.safetensors")
        XCTAssertEqual(try XCTUnwrap(converted["source"]).bytes.elementsEqual(try XCTUnwrap(golden["source.f16"]).bytes), true)
        XCTAssertEqual(converted.metadata, golden.metadata)
    }

    func testBrokenInputFailsClearlyAndWritesNothing() throws {
        let output = folder.file("out.safetensors")
        let result = try TesseraProcess.run(["convert", Fixtures.path("hostile/st_overlapping_offsets.safetensors"),
                                             "-o", output])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("tensor 'b'") && result.stderr.contains("overlaps tensor 'a'"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])

        let inspect = try TesseraProcess.run(["inspect", Fixtures.path("hostile/st_header_length_2_63.safetensors")])
        XCTAssertEqual(inspect.status, 1)
        XCTAssertTrue(inspect.stderr.contains("header length 9223372036854775808 exceeds the limit"), inspect.stderr)
    }

    func testHelpHasExamples() throws {
        for command in ["inspect", "convert"] {
            let result = try TesseraProcess.run([command, "--help"])
            XCTAssertEqual(result.status, 0)
            XCTAssertTrue(result.stdout.contains("Examples:\n  tessera \(command) "), result.stdout)
        }
    }
}
