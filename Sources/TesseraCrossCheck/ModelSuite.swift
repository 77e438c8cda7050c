import TesseraBundle
import TesseraCore
import TesseraEdgeModels
import TesseraImage
import TesseraModels
import TesseraPipeline

/// A bundle's models run the way the edge engine runs them: the models built through
/// `EdgeModels`, the tiles through the slide pipeline (the bundle's tile transform, the tile
/// encoder in batches, the slide encoder on the tiles' grid cells from their `{x}x_{y}y.png`
/// names). Results: `tile_embeds`, `coords` and every slide output.
enum ModelSuite {
    /// Tiles per batch: small enough that the fixture slide's 14 tiles end in a partial batch.
    static let batchSize = 4

    static func run(bundle path: String, tiles: [String], into results: inout ResultSet) throws(CrossCheckError) {
        guard !tiles.isEmpty else { throw CrossCheckError(message: "\(path): no tiles to run the bundle's models on") }
        let reader: BundleReader, models: EdgeModels
        do {
            reader = try BundleReader.open(path)
        } catch {
            throw CrossCheckError(message: error.description)
        }
        do {
            models = try EdgeModels(reader)
        } catch {
            throw CrossCheckError(message: error.description)
        }
        guard let preprocessor = reader.manifest.tileTransform.preprocessor else {
            throw CrossCheckError(message: "\(path): the tile transform is not for RGB tiles")
        }
        guard let slideEncoder = models.slideEncoder, let slide = reader.manifest.slideEncoder else {
            throw CrossCheckError(message: "\(path): the bundle has no slide encoder")
        }
        let pipeline = SlidePipeline(
            tileEmbedder: TileEmbedder(model: models.tileEncoder, preprocessor: preprocessor, batchSize: batchSize, strict: true),
            slideEmbedder: SlideEmbedder(model: slideEncoder, pool: slide.pool),
            architecture: reader.manifest.tileEncoder.architecture, weightsName: path, weightsSHA256: "")
        let output: SlidePipeline.Output
        do {
            output = try pipeline.run(TileList(paths: tiles))
        } catch {
            throw CrossCheckError(message: "\(path): " + error.description)
        }
        for name in ["tile_embeds", "coords"] {
            guard let tensor = output.stateDict[name] else { throw CrossCheckError(message: "\(path): no \(name) in the output") }
            results.append(name, shape: tensor.shape, tensor.floats())
        }
        for (name, values) in output.slideEmbeddings!.named(pool: slide.pool) { results.append(name, shape: [values.count], values) }
    }
}
