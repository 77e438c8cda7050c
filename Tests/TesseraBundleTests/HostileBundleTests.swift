import Foundation
import TesseraBundle
import TesseraModels
import TesseraCore
import TestSupport
import XCTest

/// fixtures/hostile_bundles (written by fixtures/make_hostile_bundles.py, an
/// independent Python writer of the format): the valid bundles (format versions
/// 1, 2 and 3) read back exactly; every other case is refused with the error its name says.
final class HostileBundleTests: XCTestCase {
    private func path(_ name: String) -> String { Fixtures.path("hostile_bundles/\(name).tsb") }

    /// Opens the bundle and reads every tensor; the error, if any.
    private func refusal(_ name: String) -> BundleError? {
        do {
            try BundleReader.open(path(name)).verifyAll()
            return nil
        } catch {
            return error
        }
    }

    private static let qkv = "tile_encoder.blocks.0.attn.qkv.weight"

    /// Each case's problem, and the tensor the error names (nil: none).
    private static let expected: [String: (BundleError.Problem, String?)] = [
        "bad_magic": (.badMagic, nil),
        "future_version": (.unsupportedVersion(4, supported: 1...3), nil),
        "truncated_header": (.fileTooShort(size: 40), nil),
        "reserved_not_zero": (.reservedNotZero, nil),
        "manifest_length_2_40": (.manifestLength(1 << 40, limit: 16 << 20), nil),
        "manifest_past_end": (.manifestPastEnd(length: 940, available: 930), nil),
        "manifest_undecodable": (.manifestUndecodable, nil),
        "manifest_name_with_nul": (.manifestNotCanonical(reencodedLength: 940, firstDifference: 262), nil),
        "missing_tile_encoder": (.missingField("tile_encoder"), nil),
        "unknown_mlp_kind": (.unknownEnumValue(field: "tile_encoder.mlp", value: 3), nil),
        "unknown_dtype": (.unknownEnumValue(field: "dtype", value: 99), "tile_encoder.cls_token"),
        "unknown_compression": (.unknownEnumValue(field: "compression", value: 7), "tile_encoder.cls_token"),
        "name_with_tab": (.invalidText(field: "tensors[0].name", rule: "1...256 characters of A-Z a-z 0-9 _ . -"), nil),
        "sha256_31_bytes": (.outOfRange(field: "sha256", value: "31 bytes", expected: "32 bytes"), "tile_encoder.cls_token"),
        "layer_norm_eps_zero": (.badNumber(field: "tile_encoder.layer_norm_eps", expected: "finite and > 0"), nil),
        "tile_heads_not_dividing_width": (.inconsistent("tile_encoder.num_heads 3 does not divide tile_encoder.embed_dim 8"), nil),
        "slide_in_chans_not_tile_width": (.inconsistent("slide_encoder.in_chans 16 differs from tile_encoder.embed_dim 8"), nil),
        "crop_not_image_size": (.inconsistent("tile_transform.crop 30 differs from tile_encoder.image_size 32"), nil),
        "slide_embed_without_slide_encoder": (.inconsistent("outputs name slide_embed but there is no slide_encoder"), nil),
        "shape_product_overflow": (.shapeOverflow(shape: [1 << 62, 1 << 62]), "tile_encoder.cls_token"),
        "zero_dimension": (.zeroDimension(shape: [1, 0, 8]), "tile_encoder.cls_token"),
        "rank_9": (.rankTooHigh(rank: 9, limit: 8), "tile_encoder.cls_token"),
        "stored_length_wrong": (.storedLength(expected: 32, declared: 28), "tile_encoder.cls_token"),
        "duplicate_tensor_name": (.duplicate(field: "tensors.name", value: "teacher_head.weight"), "teacher_head.weight"),
        "tensor_outside_components": (.outsideComponents, "decoder.cls_token"),
        "missing_scales_tensor": (.missingTensor(referencedBy: "the scales of '\(qkv)'"), qkv + ".scale"),
        "scales_wrong_shape": (.wrongShape(expected: [24], actual: [23]), qkv + ".scales"),
        "head_bias_missing": (.missingTensor(referencedBy: "teacher_head"), "teacher_head.bias"),
        "zstd_raw_length_wrong": (.rawLength(expected: 32, declared: 31), "tile_encoder.norm.bias"),
        "zstd_raw_length_over_limit": (.decompressedTooLarge(total: 1 << 33, limit: 4 << 30), "tile_encoder.norm.bias"),
        "offset_misaligned": (.misaligned, qkv),
        "offset_overlaps_previous": (.overlaps(previous: "tensor 'tile_encoder.cls_token'"), qkv),
        "offset_past_end": (.pastEnd(end: 1_051_056, fileSize: 2432), "teacher_head.bias"),
        "truncated_data": (.pastEnd(end: 2480, fileSize: 2470), "teacher_head.bias"),
        "gap_before_tensor": (.gap(start: 2432, end: 2496), "teacher_head.bias"),
        "padding_not_zero": (.paddingNotZero, qkv),
        "trailing_bytes": (.trailingBytes(start: 2480, end: 2544), nil),
        "zstd_bomb": (.zstdExpandsPastRawLength(rawLength: 32), "tile_encoder.norm.bias"),
        "zstd_content_size_wrong": (.zstdContentSize(declared: 64, expected: 32), "tile_encoder.norm.bias"),
        "zstd_two_frames": (.zstdTrailingData(frameLength: 17, storedLength: 34), "tile_encoder.norm.bias"),
        "scale_nan": (.badScale(row: 0), qkv + ".scales"),
        "head_input_unknown": (.unknownEnumValue(field: "teacher_head.input", value: 7), nil),
        "head_input_missing_v2": (.missingField("teacher_head.input"), nil),
        "head_norm_eps_negative": (.badNumber(field: "teacher_head.layer_norm_eps", expected: "finite and > 0"), nil),
        "head_norm_missing": (.missingTensor(referencedBy: "teacher_head"), "teacher_head.norm.bias"),
        "head_norm_wrong_shape": (.wrongShape(expected: [12], actual: [8]), "teacher_head.norm.weight"),
        "v1_head_with_input": (.fieldOfNewerVersion(field: "teacher_head.input", version: 2, bundleVersion: 1), nil),
        "v1_head_with_norm_eps": (.fieldOfNewerVersion(field: "teacher_head.layer_norm_eps", version: 2, bundleVersion: 1), nil),
        "v2_with_classifier": (.fieldOfNewerVersion(field: "classifier", version: 3, bundleVersion: 2), nil),
        "classifier_without_slide_encoder": (.inconsistent("classifier without a slide_encoder to sit on"), nil),
        "classifier_feat_layers_missing": (.missingField("classifier.feat_layers"), nil),
        "classifier_feat_layer_past_depth": (.outOfRange(field: "classifier.feat_layers", value: "2",
                                                         expected: "0...1 (0 = the slide encoder's input, 1 = its last layer)"), nil),
        "classifier_feat_layer_huge": (.outOfRange(field: "classifier.feat_layers", value: "1048577", expected: "at most 1048576"), nil),
        "classifier_pooling_missing": (.missingField("classifier.pooling"), nil),
        "classifier_pooling_unknown": (.unknownEnumValue(field: "classifier.pooling", value: 9), nil),
        "classifier_setting_missing": (.missingField("classifier.setting"), nil),
        "classifier_setting_unknown": (.unknownEnumValue(field: "classifier.setting", value: 9), nil),
        "classifier_classes_missing": (.missingField("classifier.classes"), nil),
        "classifier_class_name_empty": (.invalidText(field: "classifier.classes", rule: "1...256 printable ASCII characters"), nil),
        "classifier_class_name_not_ascii": (.invalidText(field: "classifier.classes", rule: "at most 256 printable ASCII characters"), nil),
        "classifier_class_name_too_long": (.invalidText(field: "classifier.classes", rule: "at most 256 printable ASCII characters"), nil),
        "classifier_classes_duplicate": (.duplicate(field: "classifier.classes", value: "a"), nil),
        "classifier_binary_three_classes": (.inconsistent("classifier.setting is binary but classifier.classes has 3 names, not 2"), nil),
        "classifier_weight_wrong_shape": (.wrongShape(expected: [3, 16], actual: [3, 8]), "classifier.0.weight"),
        "classifier_bias_missing": (.missingTensor(referencedBy: "classifier"), "classifier.0.bias"),
        "logits_without_classifier": (.inconsistent("outputs name logits but there is no classifier"), nil),
        "classifier_tensor_without_classifier": (.outsideComponents, "classifier.0.weight"),
    ]

    func testEveryCaseIsRefusedWithItsError() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("hostile_bundles"))
        let cases = Set(files.map { String($0.dropLast(".tsb".count)) }).subtracting(["valid", "valid_v2", "valid_v3", "manifest_checksum", "tensor_checksum"])
        XCTAssertEqual(cases, Set(Self.expected.keys), "every fixture has an expected error and every expectation a fixture")
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for (name, (problem, tensor)) in Self.expected.sorted(by: { $0.key < $1.key }) {
            guard let error = refusal(name) else {
                XCTFail("\(name): accepted")
                continue
            }
            XCTAssertEqual(error.problem, problem, name)
            XCTAssertEqual(error.tensor, tensor, name)
            XCTAssertTrue(error.description.hasPrefix(path(name) + ": "), "\(name): \(error)")
        }
    }

    /// The checksum cases name both hashes, which differ.
    func testChecksumMismatchesAreRefused() {
        for (name, tensor) in [("manifest_checksum", nil), ("tensor_checksum", "tile_encoder.cls_token")] {
            let error = refusal(name)
            XCTAssertEqual(error?.tensor, tensor, name)
            switch error?.problem {
            case .manifestChecksum(let expected, let actual)?, .tensorChecksum(let expected, let actual)?:
                XCTAssertNotEqual(expected, actual, name)
                XCTAssertEqual(expected.count, 64, name)
            default:
                XCTFail("\(name): \(String(describing: error))")
            }
        }
    }

    func testFilesThatCannotBeMappedAreRefused() {
        for (path, reason) in [(path("absent"), "No such file"), (Fixtures.path("hostile_bundles"), "not a regular file")] {
            XCTAssertThrowsError(try BundleReader.open(path)) { error in
                let error = error as! BundleError
                guard case .cannotOpen = error.problem else { return XCTFail("\(error)") }
                XCTAssertTrue(error.description.hasPrefix(path + ": ") && error.description.contains(reason), "\(error)")
            }
        }
    }

    /// The bomb declares 32 bytes and would inflate to 1 GiB: refused after at most one block's work.
    func testZstdBombIsRefusedWithoutInflating() throws {
        let reader = try BundleReader.open(path("zstd_bomb"))
        let start = Date()
        XCTAssertThrowsError(try reader.tensor("tile_encoder.norm.bias"))
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
    }

    /// valid.tsb as the Python writer describes it: manifest and every value.
    func testValidBundleReadsBackExactly() throws {
        let reader = try BundleReader.open(path("valid"))
        XCTAssertEqual(reader.version, 1)
        let m = reader.manifest
        XCTAssertEqual(m.tileEncoder, VisionTransformer.Config(architecture: "vit_test_patch16_32", imageSize: 32, patchSize: 16,
                                                               inChans: 3, embedDim: 8, depth: 1, heads: 2, mlpRatio: 4,
                                                               mlp: .gelu, layerScale: false))
        XCTAssertEqual(m.tileTransform, BundleTileTransform(resize: 36, interpolation: .bicubic, crop: 32,
                                                            mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]))
        XCTAssertEqual(m.slideEncoder, BundleSlideEncoder(
            config: SlideEncoder.Config(inChans: 8, embedDim: 8, depth: 1, ffnDim: 32, heads: 2,
                                        branches: [.init(segmentLength: 4, ratio: 1), .init(segmentLength: 8, ratio: 2)],
                                        gridSize: 1000, tileSize: 256),
            pool: .mean))
        XCTAssertEqual(m.teacherHead, BundleTeacherHead(inFeatures: 8, outFeatures: 12))
        XCTAssertEqual(m.outputs, [.tileEmbeds, .slideEmbed, .teacherTileEmbeds])
        var teacher = SHA256()
        Array("teacher".utf8).withUnsafeBytes { teacher.update($0) }
        XCTAssertEqual(m.provenance, BundleProvenance(
            teacherWeightsSHA256: teacher.digest(), distillationRunID: "run-0001",
            metrics: [BundleMetric(name: "loss", value: 0.125), BundleMetric(name: "loss_hidden", value: 0.25)],
            tesseraVersion: "0.1.0", createdUnixSeconds: 1_700_000_000))

        /// The script's value(k, i): multiples of 1/16, exact in every float dtype.
        func values(_ k: Int, _ count: Int) -> [Float] { (0..<count).map { Float((($0 * 7 + k * 3) % 17) - 8) / 16 } }
        let floatTensors: [(String, Int, DType, Int)] = [
            ("tile_encoder.cls_token", 0, .f32, 8), ("tile_encoder.blocks.0.mlp.fc1.weight", 3, .f16, 256),
            ("slide_encoder.norm.weight", 5, .bf16, 8), ("teacher_head.weight", 6, .f32, 96), ("teacher_head.bias", 7, .f32, 12),
        ]
        for (name, k, dtype, count) in floatTensors {
            let tensor = try reader.tensor(name)
            XCTAssertEqual(tensor.tensor.dtype, dtype, name)
            XCTAssertEqual(tensor.dequantised().floats(), values(k, count), name)
        }
        let cls = try reader.tensor("tile_encoder.cls_token").tensor
        XCTAssertTrue(cls.storage.isMapped, "an uncompressed f32 tensor is a view of the mapping")
        XCTAssertEqual(Int(bitPattern: cls.bytes.baseAddress) % 64, 0)

        let norm = try reader.tensor("tile_encoder.norm.bias")
        XCTAssertFalse(norm.tensor.storage.isMapped, "a zstd tensor is decompressed into owned memory")
        XCTAssertEqual(norm.dequantised().floats(), [Float](repeating: 0, count: 8))

        let qkv = try reader.tensor(Self.qkv)
        XCTAssertEqual(qkv.tensor.dtype, .i8)
        XCTAssertEqual(qkv.scales?.floats(), (0..<24).map { Float($0 + 1) / 64 })
        let q = (0..<(24 * 8)).map { Int8(bitPattern: UInt8(($0 * 5) % 255)) }
        XCTAssertEqual(qkv.dequantised().floats(), q.indices.map { Float(q[$0]) * Float($0 / 8 + 1) / 64 })

        let weights = try reader.floatWeights(.tileEncoder)
        XCTAssertEqual(weights.names, ["cls_token", "blocks.0.attn.qkv.weight", "blocks.0.mlp.fc1.weight", "norm.bias"])
    }

    /// valid_v2.tsb: valid.tsb with a version 2 head (on the last hidden class token, with a LayerNorm).
    func testValidVersion2BundleReadsBackExactly() throws {
        let reader = try BundleReader.open(path("valid_v2"))
        try reader.verifyAll()
        XCTAssertEqual(reader.version, 2)
        XCTAssertEqual(reader.manifest.teacherHead,
                       BundleTeacherHead(inFeatures: 8, outFeatures: 12, input: .lastHiddenCLS, layerNormEps: 1e-5))
        XCTAssertEqual(reader.manifest.formatVersion, 2)
        let head = try reader.floatWeights(.teacherHead)
        XCTAssertEqual(head.names, ["weight", "bias", "norm.weight", "norm.bias"])
        for (name, k) in [("norm.weight", 8), ("norm.bias", 9)] {
            XCTAssertEqual(head[name]?.floats(), (0..<12).map { Float((($0 * 7 + k * 3) % 17) - 8) / 16 }, name)
        }
    }

    /// valid_v3.tsb: valid_v2.tsb with a version 3 classifier (layers 0 and 1 by the class token, 3 classes).
    func testValidVersion3BundleReadsBackExactly() throws {
        let reader = try BundleReader.open(path("valid_v3"))
        try reader.verifyAll()
        XCTAssertEqual(reader.version, 3)
        XCTAssertEqual(reader.manifest.formatVersion, 3)
        XCTAssertEqual(reader.manifest.classifier?.head, SlideClassifier.Head(
            featLayers: [0, 1], pooling: .cls, setting: .multiClass, classes: ["tumour", "stroma", "normal tissue"]))
        XCTAssertEqual(reader.manifest.outputs, [.tileEmbeds, .slideEmbed, .teacherTileEmbeds, .logits, .probabilities])
        let classifier = try reader.floatWeights(.classifier)
        XCTAssertEqual(classifier.names, ["0.weight", "0.bias"])
        let expected: [Float] = (0..<3).map { (i: Int) -> Float in Float((i * 7 + 33) % 17 - 8) / 16 }
        XCTAssertEqual(classifier["0.bias"]?.floats(), expected)
    }
}
