import ArgumentParser
import Foundation
import TesseraCore
import TesseraFormats
import TesseraImage
import TesseraIO
import TesseraPipeline
import TesseraSlide

/// `tessera plot`: a PNG of a slide from its output file, its tiles coloured by the first three
/// principal components of their embeddings (`SlidePicture`, docs/plot.md).
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a slide's tiles from its output file, coloured by the principal components of their embeddings.",
        discussion: """
        OUT is what `tessera embed` or `tessera-edge run` writes: tile_embeds [N, D] and coords [N, 2] \
        (level-0 x, y of each tile). Each tile is a square at its position, coloured by the first \
        three principal components of tile_embeds (PC1 red, PC2 green, PC3 blue, each min-max \
        scaled over the slide's tiles, as prov-gigapath's PCA notebook shows them), with the \
        slide's name above and a scale bar and the components' legend below. The tile size is \
        the one OUT records (tiles cut from a whole-slide file), else the coordinates' grid step; \
        the scale bar is in micrometres when OUT or the slide records microns per pixel, else \
        in level-0 pixels. With --thumbnail the map is the whole slide, its thumbnail under the \
        tiles. See docs/plot.md.

        Examples:
          tessera plot demo.safetensors -o demo.png
          tessera plot a.safetensors --thumbnail slides/a.svs --alpha 0.6 -o a.png
        """)

    @Argument(help: "An output of tessera embed or tessera-edge run (safetensors with tile_embeds and coords).")
    var input: String

    @Option(name: .shortAndLong, help: "The PNG to write (atomically).")
    var output: String

    @Option(help: "Pixels on the longer side of the map (\(SlidePicture.widths.lowerBound)-\(SlidePicture.widths.upperBound)).")
    var width = 1024

    @Option(help: "The slide's whole-slide file (any format OpenSlide reads): the tiles are laid over its thumbnail.")
    var thumbnail: String?

    @Option(help: "Opacity of the tiles over --thumbnail, 0-1 (default 0.5).")
    var alpha: Double?

    @Option(help: "The title (default: OUT's file name without .safetensors).")
    var name: String?

    @Option(help: "pca: the tiles by their embeddings' principal components; attention: by the attention the class token pays each tile in the last layer (class_attention, which tessera-edge writes for a bundle with a classifier) (default pca).")
    var map: PlotMap = .pca

    func validate() throws {
        guard SlidePicture.widths.contains(width) else {
            throw ValidationError("--width must be between \(SlidePicture.widths.lowerBound) and \(SlidePicture.widths.upperBound), got \(width)")
        }
        if let alpha {
            guard thumbnail != nil else { throw ValidationError("--alpha applies with --thumbnail") }
            guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1, got \(alpha)") }
        }
    }

    func run() throws {
        // Before any work: a bad -o fails at once and never replaces an input.
        try OutputPath.check(output, option: "-o", inputs: [.init("OUT", input)] + (thumbnail.map { [.init("--thumbnail", $0)] } ?? []))
        let started = MonotonicClock.seconds
        let dict = try SafeTensors.read(path: input)
        let geometry = TileGeometry(metadata: dict.metadata)
        var mpp = geometry.flatMap { g in g.mppX.map { $0 / g.downsample } }
        var background: SlidePicture.Background?
        if let thumbnail {
            let slide = try WholeSlide(path: thumbnail)
            // Twice the map's size, so the resize to the map's pixels only ever shrinks it.
            let picture = try SlideThumbnail(slide: slide, maxSide: 2 * width)
            background = .init(image: picture.image, slideWidth: slide.levels[0].width, slideHeight: slide.levels[0].height,
                               alpha: alpha ?? 0.5)
            mpp = slide.mpp?.x ?? mpp
        }
        let title = name ?? URL(fileURLWithPath: input).lastPathComponent.replacingOccurrences(of: ".safetensors", with: "")
        let tileSize = geometry.map(\.levelZeroTileSize).flatMap { $0 >= 1 ? $0 : nil }
        let picture: SlidePicture
        do {
            switch map {
            case .pca:
                picture = try SlidePicture(tileEmbeds: dict["tile_embeds"], coords: dict["coords"], tileSize: tileSize,
                                           name: title + Self.prediction(dict), micronsPerPixel: mpp, width: width, background: background)
            case .attention:
                picture = try SlidePicture(classAttention: dict[SlidePrediction.attentionName], coords: dict["coords"], tileSize: tileSize,
                                           name: title + Self.prediction(dict), micronsPerPixel: mpp, width: width, background: background)
            }
        } catch {
            throw CLIMessage("\(input): \(error)")
        }
        let bytes = try PNGEncoder().encode(picture.image)
        try AtomicOutput.write(to: output) { sink in try bytes.withUnsafeBytes { try sink($0) } }
        let shown: String
        if let pca = picture.components {
            let shares = pca.variances.map { String(format: "%.1f%%", pca.totalVariance > 0 ? 100 * $0 / pca.totalVariance : 0) }
            shown = "D=\(pca.width); PC1-3 explain \(shares.joined(separator: ", ")) of the variance"
                + (pca.converged ? "" : "; the components did not converge in \(PrincipalComponents.maxIterations) iterations")
        } else {
            shown = "the class token's attention in the last layer"
        }
        FileHandle.standardError.write(text: "plotted \(picture.colours.count) tiles (\(shown))"
            + String(format: " in %.2f s -> %@ (%dx%d)\n", MonotonicClock.seconds - started, output, picture.image.width, picture.image.height))
    }

    /// ": subtype_b 0.91" when OUT holds a classifier's answer (`SlidePrediction`'s tensors and
    /// class names), for the title; "" otherwise.
    static func prediction(_ dict: StateDict) -> String {
        guard let probabilities = dict[SlidePrediction.probabilitiesName]?.floats(), let best = probabilities.indices.max(by: {
            probabilities[$0] < probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 > $1)
        }), let json = dict.metadata[SlidePrediction.classesKey],
              let classes = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String], classes.count == probabilities.count
        else { return "" }
        return String(format: ": %@ %.2f", classes[best], probabilities[best])
    }
}

/// What `tessera plot` colours the tiles by.
enum PlotMap: String, ExpressibleByArgument, CaseIterable {
    case pca, attention
}
