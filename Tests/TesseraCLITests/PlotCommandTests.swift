import Foundation
import TesseraCore
import TesseraFormats
import TesseraImage
import TestSupport
import XCTest

/// `tessera plot` run as a process: on the demo slide's output (the PNG decodes to the picture
/// `SlidePicture` draws, every tile its own colour), on a whole-slide file's output over its
/// thumbnail, and on hostile inputs and outputs (exit status 1 or 64, a message naming the file
/// and the tensor or option, nothing written).
final class PlotCommandTests: XCTestCase {
    func testDemoSlidePicture() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let input = Fixtures.path("slide_folder/expected.safetensors"), picture = folder.file("demo.png")
        let run = try TesseraProcess.run(["plot", input, "-o", picture])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("plotted 14 tiles (D=96") && run.stderr.contains("(1056x1123)"), run.stderr)
        let image = try PNGDecoder().decode(path: picture)
        XCTAssertEqual([image.width, image.height], [1056, 1123])
        let output = try SafeTensors.read(path: input)
        let expected = try SlidePicture(tileEmbeds: output["tile_embeds"], coords: output["coords"], name: "expected")
        XCTAssertEqual(image, expected.image)
        let coords = output["coords"]!.floats()
        let centres = (0..<14).map { t in
            let square = expected.layout.rectangle(x: Double(coords[2 * t]), y: Double(coords[2 * t + 1]), side: 256)
            return image[square.x + 128, square.y + 128]
        }
        XCTAssertEqual(Set(centres.map { [$0.red, $0.green, $0.blue] }).count, 14, "every tile its own colour")
        XCTAssertFalse(centres.contains(.white))
    }

    /// `--map attention` on a prediction (`class_attention`, which a classifier bundle's run
    /// writes): the attention map titled with the top class; without the tensor, refused by name.
    func testAttentionMapOfAPrediction() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let bundle = folder.file("classifier.tsb"), prediction = folder.file("prediction.safetensors")
        var run = try TesseraProcess.run(["export", "--tile-encoder", Fixtures.path("tile_teacher"), "--slide-encoder",
                                          Fixtures.path("classifier_run"), "--weights", "f32", "-o", bundle])
        XCTAssertEqual(run.status, 0, run.stderr)
        run = try TesseraProcess.run(["run", bundle, Fixtures.path("slide_folder/demo_slide"), "-o", prediction], program: "tessera-edge")
        XCTAssertEqual(run.status, 0, run.stderr)
        let output = try SafeTensors.read(path: prediction)
        let attention = try XCTUnwrap(output["class_attention"]).floats()
        XCTAssertEqual(attention.count, 14)
        XCTAssertTrue(attention.allSatisfy { $0 >= 0 } && attention.reduce(0, +) <= 1 + 1e-5)
        run = try TesseraProcess.run(["plot", prediction, "--map", "attention", "--name", "demo", "-o", folder.file("attention.png")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let image = try PNGDecoder().decode(path: folder.file("attention.png"))
        let probabilities = try XCTUnwrap(output["probabilities"]).floats()
        let classes = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(output.metadata["classes"]).utf8)) as? [String])
        let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
        let expected = try SlidePicture(classAttention: output["class_attention"], coords: output["coords"],
                                        name: "demo" + String(format: ": %@ %.2f", classes[best], probabilities[best]), width: 1024)
        XCTAssertEqual(image, expected.image)
        run = try TesseraProcess.run(["plot", Fixtures.path("slide_folder/expected.safetensors"), "--map", "attention",
                                      "-o", folder.file("none.png")])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("no tensor 'class_attention'"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("none.png")))
    }

    func testWholeSlideOverItsThumbnail() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let slide = Fixtures.path("wsi/synth_a.svs"), embedded = folder.file("synth_a.safetensors")
        let embed = try TesseraProcess.run(["embed", slide, "--tile-encoder", Fixtures.path("tile_teacher"), "-o", embedded])
        XCTAssertEqual(embed.status, 0, embed.stderr)
        let plain = try TesseraProcess.run(["plot", embedded, "-o", folder.file("plain.png"), "--width", "512"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let over = try TesseraProcess.run(["plot", embedded, "--thumbnail", slide, "--alpha", "0.4", "-o", folder.file("over.png"), "--width", "512"])
        XCTAssertEqual(over.status, 0, over.stderr)
        XCTAssertTrue(over.stderr.contains("plotted 45 tiles"), over.stderr)
        let tiles = try PNGDecoder().decode(path: folder.file("plain.png")), layered = try PNGDecoder().decode(path: folder.file("over.png"))
        // Over the thumbnail the map is the whole slide (wider than the tiles' box), 512 pixels on its longer side.
        XCTAssertEqual(layered.width, 512 + 2 * 8)
        XCTAssertNotEqual(tiles.height, layered.height)
        // The map's top-left corner is slide background, which no tile covers: not the page's white.
        XCTAssertNotEqual(layered[10, 2 * 8 + 7 + 2], .white)
    }

    func testHostileInputsAndOutputs() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let embeds = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]), coords = Tensor(shape: [2, 2], floats: [0, 0, 256, 0])
        func output(_ name: String, _ tensors: [(String, Tensor)]) throws -> String {
            var dict = StateDict()
            for (key, tensor) in tensors { dict.set(key, tensor) }
            try SafeTensors.write(dict, to: folder.file(name))
            return folder.file(name)
        }
        let cases: [(String, String)] = [
            (try output("no_coords.safetensors", [("tile_embeds", embeds)]), "no tensor 'coords'"),
            (try output("no_embeds.safetensors", [("coords", coords)]), "no tensor 'tile_embeds'"),
            (try output("rows.safetensors", [("tile_embeds", embeds), ("coords", Tensor(shape: [1, 2], floats: [0, 0]))]),
             "'tile_embeds' has 2 rows but 'coords' 1"),
            (try output("empty.safetensors", [("tile_embeds", Tensor(zeros: [0, 3])), ("coords", Tensor(zeros: [0, 2]))]), "no tiles"),
            (try output("nan.safetensors", [("tile_embeds", Tensor(shape: [2, 3], floats: [1, 2, .nan, 4, 5, 6])), ("coords", coords)]),
             "'tile_embeds'[0, 2] is not a finite number"),
            (try output("coords3.safetensors", [("tile_embeds", embeds), ("coords", Tensor(shape: [2, 3], floats: [0, 0, 0, 1, 1, 1]))]),
             "'coords' has shape [2, 3], expected [N, 2]"),
            (Fixtures.path("slide_folder/demo_slide/40960x_12800y.png"), "40960x_12800y.png"),
        ]
        for (input, message) in cases {
            let picture = folder.file("picture.png")
            let run = try TesseraProcess.run(["plot", input, "-o", picture])
            XCTAssertEqual(run.status, 1, "\(input): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message) && run.stderr.contains((input as NSString).lastPathComponent), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: picture), "nothing written for \(input)")
        }

        let good = Fixtures.path("slide_folder/expected.safetensors")
        let before = try Data(contentsOf: URL(fileURLWithPath: good))
        let refusals: [([String], Int32, String)] = [
            (["plot", good, "-o", good], 1, "-o"),
            (["plot", good, "-o", folder.file("missing/picture.png")], 1, "missing"),
            (["plot", good, "-o", folder.path], 1, "directory"),
            (["plot", good, "-o", folder.file("p.png"), "--width", "10"], 64, "--width must be between 64 and 8192"),
            (["plot", good, "-o", folder.file("p.png"), "--alpha", "0.5"], 64, "--alpha applies with --thumbnail"),
            (["plot", good, "-o", folder.file("p.png"), "--thumbnail", Fixtures.path("wsi/synth_a.svs"), "--alpha", "2"], 64, "--alpha must be between 0 and 1"),
            (["plot", good, "-o", folder.file("p.png"), "--thumbnail", Fixtures.path("slide_folder/tiles.txt")], 1, "tiles.txt"),
            (["plot", good, "-o", folder.file("p.png"), "--thumbnail", Fixtures.path("wsi/synth_a.svs")], 1, "no tile lies on the slide"),
        ]
        for (arguments, status, message) in refusals {
            let run = try TesseraProcess.run(arguments)
            XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("p.png")))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: good)), before, "-o OUT leaves OUT as it was")
    }

    func testHelpHasAnExample() throws {
        let help = try TesseraProcess.run(["plot", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("Example") && help.stdout.contains("tessera plot demo.safetensors -o demo.png"), help.stdout)
    }
}
