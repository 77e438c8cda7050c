import Foundation
import TesseraBundle
import TesseraCore
@testable import TesseraFormats
import TestSupport
import XCTest

/// Written by BundleWriter, read by BundleReader: f32 exact, f16 and int8
/// within their rounding bounds (computed here in double precision), with and
/// without zstd; the same inputs give the same bytes.
final class BundleRoundTripTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    func testEveryWeightChoiceWithAndWithoutZstd() throws {
        let tensors = try BundleSamples.tensors()
        for weights in BundleWeights.allCases {
            for level in [nil, 3] as [Int32?] {
                let label = "\(weights) zstd \(level.map(String.init) ?? "off")"
                let encoded = try BundleWriter(weights: weights, zstdLevel: level)
                    .encode(BundleSamples.manifest(), tensors: tensors, path: "sample.tsb")
                let bytes = BundleSamples.bytes(encoded)
                XCTAssertEqual(bytes.count, encoded.byteCount, label)
                XCTAssertEqual(BundleSamples.bytes(try BundleWriter(weights: weights, zstdLevel: level)
                    .encode(BundleSamples.manifest(), tensors: tensors, path: "sample.tsb")), bytes, "\(label): deterministic")
                let reader = try BundleSamples.reopen(bytes, at: folder.file("sample.tsb"))
                XCTAssertEqual(reader.manifest, encoded.manifest, label)
                try reader.verifyAll()
                for component in BundleComponent.allCases {
                    let read = try reader.floatWeights(component)
                    let sources = tensors.entries.filter { $0.name.hasPrefix(component.prefix) }
                    XCTAssertEqual(read.names, sources.map { String($0.name.dropFirst(component.prefix.count)) }, label)
                    for (name, source) in sources {
                        let key = String(name.dropFirst(component.prefix.count))
                        check(read[key]!, against: source, converted: BundleWeights.isMatrixWeight(name: name, shape: source.shape)
                              ? weights : .f32, "\(label): \(name)")
                    }
                }
                for info in reader.manifest.tensors where info.compression == .none && info.dtype == .f32 {
                    XCTAssertTrue(try reader.tensor(info.name).tensor.storage.isMapped, "\(label): \(info.name) is a view")
                }
            }
        }
    }

    /// `weights` hands each component's tensors back as stored (int8 with their scales under
    /// `StateDict.scalesName(of:)`), exactly what `storedTensors` makes in memory: a model built
    /// from either computes the same.
    func testWeightsAreTheStoredTensors() throws {
        let tensors = try BundleSamples.tensors()
        for weights in BundleWeights.allCases {
            for level in [nil, 3] as [Int32?] {
                let label = "\(weights) zstd \(level.map(String.init) ?? "off")"
                let writer = BundleWriter(weights: weights, zstdLevel: level)
                let bytes = BundleSamples.bytes(try writer.encode(BundleSamples.manifest(), tensors: tensors, path: "sample.tsb"))
                let reader = try BundleSamples.reopen(bytes, at: folder.file("sample.tsb"))
                for component in BundleComponent.allCases {
                    var source = StateDict()
                    for (name, tensor) in tensors.entries where name.hasPrefix(component.prefix) {
                        source.set(String(name.dropFirst(component.prefix.count)), tensor)
                    }
                    let read = try reader.weights(component)
                    let stored = try writer.storedTensors(source, of: component, path: "sample.tsb")
                    XCTAssertEqual(read.names, stored.names, label)
                    for name in stored.names {
                        XCTAssertTrue(read[name]!.isBitIdentical(to: stored[name]!), "\(label): \(component.prefix)\(name)")
                    }
                    let int8 = read.entries.filter { $0.tensor.dtype == .i8 }.map(\.name)
                    XCTAssertEqual(int8.isEmpty, weights != .int8 || source.count == 0, label)  // the sample has no classifier
                    for name in int8 { XCTAssertEqual(read[StateDict.scalesName(of: name)]?.shape, [read[name]!.shape[0]], label) }
                }
            }
        }
    }

    /// f32: the same bits; f16: within half a unit in the last place (2^-11 relative,
    /// 2^-25 absolute below F16's normal range); bf16: the f32 value rounded to its top half
    /// (within 2^-8 relative); int8: within half the row's scale,
    /// the scale being max |row| / 127.
    private func check(_ read: Tensor, against source: Tensor, converted weights: BundleWeights, _ label: String) {
        XCTAssertEqual(read.dtype, .f32, label)
        XCTAssertEqual(read.shape, source.shape, label)
        let (a, b) = (read.floats(), source.floats())
        switch weights {
        case .f32:
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), label)
        case .f16:
            for i in a.indices {
                let bound: Double = max(Double(abs(b[i])) / 2048, 1.0 / Double(1 << 25))
                XCTAssertLessThanOrEqual(Double(abs(a[i] - b[i])), bound, "\(label) element \(i)")
            }
        case .bf16:
            // Round to nearest even on the top half: exactly the f32 value with its low 16 bits rounded off.
            XCTAssertEqual(a.map(\.bitPattern), b.map { HalfPrecision.float(fromBF16: HalfPrecision.bf16(from: $0)).bitPattern }, label)
            for i in a.indices { XCTAssertLessThanOrEqual(Double(abs(a[i] - b[i])), Double(abs(b[i])) / 256, "\(label) element \(i)") }
        case .int8:
            let cols = source.shape[1]
            for r in 0..<source.shape[0] {
                let row = (r * cols)..<((r + 1) * cols)
                let scale = b[row].map { Double(abs($0)) }.max()! / 127
                let worst = row.map { Double(abs(a[$0] - b[$0])) }.max()!
                XCTAssertLessThanOrEqual(worst, scale / 2 * (1 + 1e-6), "\(label) row \(r)")
            }
        }
    }

    /// Sizes of the fixture student's tile encoder alone, for the record.
    func testStudentBundleSizes() throws {
        var student = StateDict()
        for (name, tensor) in try Fixtures.load("tile_student/model.safetensors").entries { student.set("tile_encoder." + name, tensor) }
        var sizes: [String: Int] = [:]
        for weights in BundleWeights.allCases {
            for level in [nil, 19] as [Int32?] {
                let encoded = try BundleWriter(weights: weights, zstdLevel: level)
                    .encode(BundleSamples.manifest(slide: false, head: false), tensors: student, path: "student.tsb")
                let compressed = encoded.manifest.tensors.filter { $0.compression == .zstd }.count
                let label = "\(weights)\(level == nil ? "" : "+zstd")"
                sizes[label] = encoded.byteCount
                print("student bundle \(label): \(encoded.byteCount) bytes, \(compressed) of \(encoded.manifest.tensors.count) tensors compressed")
            }
        }
        XCTAssertLessThan(sizes["int8"]!, sizes["f16"]!)
        XCTAssertLessThan(sizes["f16"]!, sizes["f32"]!)
        for weights in BundleWeights.allCases { XCTAssertLessThanOrEqual(sizes["\(weights)+zstd"]!, sizes["\(weights)"]!) }
    }

    /// The writer writes the lowest version that holds the bundle: 1 without a head or with a
    /// version 1 head (a Linear on the tile embedding), 2 for a head on the last hidden class
    /// token or with a LayerNorm; each reads back as written, and version 1 manifests hold no
    /// version 2 field.
    func testWriterWritesTheLowestVersion() throws {
        var tensors = try BundleSamples.tensors(slide: false)
        tensors.set("teacher_head.norm.weight", Tensor(shape: [96], floats: (0..<96).map { 1 + Float($0) / 96 }))
        tensors.set("teacher_head.norm.bias", Tensor(shape: [96], floats: (0..<96).map { Float($0) / 192 }))
        let heads: [(BundleTeacherHead?, UInt32)] = [
            (nil, 1),
            (BundleTeacherHead(inFeatures: 64, outFeatures: 96), 1),
            (BundleTeacherHead(inFeatures: 64, outFeatures: 96, input: .lastHiddenCLS), 2),
            (BundleTeacherHead(inFeatures: 64, outFeatures: 96, input: .tileEmbedding, layerNormEps: 1e-6), 2),
            (BundleTeacherHead(inFeatures: 64, outFeatures: 96, input: .lastHiddenCLS, layerNormEps: 1e-5), 2),
        ]
        for (head, version) in heads {
            let label = "\(String(describing: head))"
            var manifest = BundleSamples.manifest(slide: false, head: head != nil)
            manifest.teacherHead = head
            var dict = StateDict()
            for (name, tensor) in tensors.entries where head != nil || !name.hasPrefix("teacher_head.") {
                if name.hasPrefix("teacher_head.norm."), head?.layerNormEps == nil { continue }
                dict.set(name, tensor)
            }
            let encoded = try BundleWriter(weights: .int8).encode(manifest, tensors: dict, path: "sample.tsb")
            XCTAssertEqual(encoded.version, version, label)
            let reader = try BundleSamples.reopen(BundleSamples.bytes(encoded), at: folder.file("sample.tsb"))
            XCTAssertEqual(reader.version, version, label)
            XCTAssertEqual(reader.manifest, encoded.manifest, label)
            XCTAssertEqual(reader.manifest.teacherHead, head, label)
            try reader.verifyAll()
            if head?.layerNormEps != nil {
                XCTAssertEqual(reader.manifest.tensors.first { $0.name == "teacher_head.weight" }?.dtype, .i8, label)
                XCTAssertEqual(reader.manifest.tensors.first { $0.name == "teacher_head.norm.weight" }?.dtype, .f32, label)
            }
        }
    }

    func testWriterRefusesWhatTheReaderWould() throws {
        let manifest = BundleSamples.manifest(slide: false, head: false)
        func problem(_ tensors: StateDict, _ manifest: BundleManifest = BundleSamples.manifest(slide: false, head: false),
                     weights: BundleWeights = .f32) -> BundleError.Problem? {
            do {
                _ = try BundleWriter(weights: weights).encode(manifest, tensors: tensors, path: "x.tsb")
                return nil
            } catch {
                return error.problem
            }
        }
        var nan = StateDict()
        nan.set("tile_encoder.norm.weight", Tensor(shape: [2], floats: [1, .nan]))
        XCTAssertEqual(problem(nan), .nonFinite(element: 1))
        var large = StateDict()
        large.set("tile_encoder.head.weight", Tensor(shape: [1, 2], floats: [1, 1e6]))
        XCTAssertEqual(problem(large, weights: .f16), .beyondF16(element: 1))
        // An int8 row's scale must stay within the reader's bound (127 x scale within F16's range).
        XCTAssertEqual(problem(large, weights: .int8), .beyondF16(element: 1))
        XCTAssertNil(problem(large, weights: .f32))
        var integers = StateDict()
        integers.set("tile_encoder.index", Tensor(zeros: [2], dtype: .i64))
        XCTAssertEqual(problem(integers), .unsupportedDType("I64"))
        var stray = StateDict()
        stray.set("decoder.weight", Tensor(shape: [1], floats: [1]))
        XCTAssertEqual(problem(stray), .outsideComponents)
        var heads = manifest
        heads.tileEncoder.heads = 3
        XCTAssertEqual(problem(large, heads), .inconsistent("tile_encoder.num_heads 3 does not divide tile_encoder.embed_dim 64"))
        let head = try BundleSamples.tensors(slide: false)
        var normed = BundleSamples.manifest(slide: false)
        normed.teacherHead?.layerNormEps = 1e-5
        XCTAssertEqual(problem(head, normed), .missingTensor(referencedBy: "teacher_head"))
        normed.teacherHead?.layerNormEps = .nan
        XCTAssertEqual(problem(head, normed), .badNumber(field: "teacher_head.layer_norm_eps", expected: "finite and > 0"))
    }
}

/// The CLI writes bundles through the project's atomic file (temporary file, fsync, rename).
final class BundleFileTests: XCTestCase {
    func testWrittenThroughAtomicFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.file("student.tsb")
        let encoded = try BundleWriter(weights: .int8).encode(BundleSamples.manifest(), tensors: try BundleSamples.tensors(), path: path)
        try AtomicOutput.write(to: path) { sink in try encoded.write(sink) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["student.tsb"])
        let reader = try BundleReader.open(path)
        XCTAssertEqual(reader.manifest, encoded.manifest)
        try reader.verifyAll()
    }
}
