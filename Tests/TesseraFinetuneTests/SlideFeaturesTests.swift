import Foundation
import XCTest
import TesseraCore
import TesseraFinetune
import TestSupport

/// The per-slide feature files of fine-tuning (fixtures/finetune_features, make_features.py):
/// the same slide from every accepted layout, every hostile file refused naming the file and
/// the dataset or tensor, and finding a slide's one file in a folder.
final class SlideFeaturesTests: XCTestCase {
    private func fixture(_ name: String) -> String { Fixtures.path("finetune_features/" + name) }

    func testEveryFormatGivesTheSameSlide() throws {
        let expected = try Fixtures.load("finetune_features/expected.safetensors")
        let embeds = try XCTUnwrap(expected["tile_embeds"]), coords = try XCTUnwrap(expected["coords"])
        for name in ["valid.safetensors", "valid_bf16.safetensors", "valid.h5", "batched_f16.h5", "dict.pt", "legacy.pt"] {
            let features = try SlideFeatures.load(path: fixture(name))
            XCTAssertEqual(features.tileEmbeds.dtype, .f32, name)
            XCTAssertEqual(features.coords.dtype, .f32, name)
            XCTAssertTrue(features.tileEmbeds.isBitIdentical(to: embeds), "\(name): tile_embeds differ")
            XCTAssertTrue(features.coords.isBitIdentical(to: coords), "\(name): coords differ")
        }
    }

    /// Each hostile file, and words its message must hold besides the file's path.
    private let hostile: [(file: String, words: [String])] = [
        ("hostile/mismatched_n.h5", ["dataset 'coords'", "4 rows", "dataset 'features' has 5"]),
        ("hostile/missing_coords.h5", ["no dataset 'coords'"]),
        ("hostile/missing_features.h5", ["no dataset 'tile_embeds' or 'features'"]),
        ("hostile/nan.h5", ["dataset 'features'", "row 2, column 3 is nan"]),
        ("hostile/wrong_rank.h5", ["dataset 'features'", "shape [40]", "[N, D]"]),
        ("hostile/batch_of_two.h5", ["dataset 'features'", "shape [2, 5, 8]"]),
        ("hostile/empty.h5", ["dataset 'features'", "no tiles"]),
        ("hostile/int_features.h5", ["dataset 'features'", "4-byte integers", "floating point"]),
        ("hostile/string_coords.h5", ["dataset 'coords'", "strings"]),
        ("hostile/far_coords.h5", ["dataset 'coords'", "row 4, x is 33554432"]),
        ("hostile/truncated.h5", ["not a readable HDF5 file", "libhdf5", "truncated"]),
        ("hostile/no_embeds.pt", ["no tensor 'tile_embeds' or 'features'", "coords"]),
        ("hostile/inf_coords.pt", ["tensor 'coords'", "row 4, x is inf"]),
        ("hostile/both_names.safetensors", ["both tensors 'tile_embeds' and 'features'"]),
        ("hostile/transposed.safetensors", ["tensor 'coords' has 5 rows", "tensor 'tile_embeds' has 8"]),
        ("hostile/empty_file.pt", ["empty"]),
        ("hostile/text.safetensors", ["not a safetensors, HDF5 or torch file"]),
        ("bare.pt", ["bare tensor [5, 8]", "coords"]),
        ("no_such_file.h5", ["cannot open"]),
    ]

    func testHostileFilesAreRefusedByName() {
        for (name, words) in hostile {
            let path = fixture(name)
            XCTAssertThrowsError(try SlideFeatures.load(path: path), name) { error in
                guard case .badInput(let file, let reason) = error as? FinetuneError else {
                    return XCTFail("\(name): \(error) is not a FinetuneError.badInput")
                }
                XCTAssertEqual(file, path, name)
                for word in words { XCTAssertTrue(reason.contains(word), "\(name): '\(word)' not in: \(reason)") }
            }
        }
    }

    func testSizesPastTheLimitsAreRefusedBeforeReading() {
        let small = SlideFeatures.Limits(maxTiles: 4, maxWidth: 1 << 16, maxElements: 1 << 30)
        let narrow = SlideFeatures.Limits(maxTiles: 1 << 21, maxWidth: 1 << 16, maxElements: 39)
        for (limits, name) in [(small, "valid.h5"), (narrow, "dict.pt")] {
            XCTAssertThrowsError(try SlideFeatures.load(path: fixture(name), limits: limits)) { error in
                XCTAssertTrue("\(error)".contains("past the limits"), "\(error)")
            }
        }
        XCTAssertNoThrow(try SlideFeatures.load(path: fixture("valid.h5"),
                                                limits: .init(maxTiles: 5, maxWidth: 8, maxElements: 40)))
    }

    func testAFolderHoldsOneFilePerSlide() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        for name in ["a.h5", "b.safetensors", "c.pt", "c.h5", "d.csv", "e.H5"] {
            FileManager.default.createFile(atPath: folder.file(name), contents: Data())
        }
        XCTAssertEqual(try SlideFeatures.file(in: folder.path, slideID: "a"), folder.file("a.h5"))
        XCTAssertEqual(try SlideFeatures.file(in: folder.path + "/", slideID: "b"), folder.file("b.safetensors"))
        let refusals: [(folder: String, slide: String, words: [String])] = [
            (folder.path, "c", ["slide 'c' has several feature files", "c.h5", "c.pt"]),
            (folder.path, "d", ["no feature file for slide 'd'", "d.safetensors, d.h5, d.pt"]),
            (folder.path, "e", ["no feature file for slide 'e'"]),
            (folder.path, "../a", ["slide id '../a' is not a file name"]),
            (folder.path, "", ["is not a file name"]),
            (folder.file("a.h5"), "a", ["not a folder", "slide 'a'"]),
            (folder.file("missing"), "a", ["not a folder"]),
        ]
        for (place, slide, words) in refusals {
            XCTAssertThrowsError(try SlideFeatures.file(in: place, slideID: slide), slide) { error in
                guard case .badInput(let file, let reason) = error as? FinetuneError else { return XCTFail("\(error)") }
                XCTAssertEqual(file, place)
                for word in words { XCTAssertTrue(reason.contains(word), "'\(word)' not in: \(reason)") }
            }
        }
    }

    /// The folder's file is what `load` reads: a slide found and loaded end to end.
    func testFoundFileLoads() throws {
        let path = try SlideFeatures.file(in: Fixtures.path("finetune_features"), slideID: "dict")
        XCTAssertEqual(try SlideFeatures.load(path: path).tileEmbeds.shape, [5, 8])
    }
}
