import TesseraBundle
import TesseraCore
import TesseraEdgeModels
import TesseraImage
import TesseraModels

/// A bundle's models run the way the edge engine runs them: the models built through
/// `EdgeModels`, each tile decoded and put through the bundle's tile transform, the tile
/// encoder in batches, then the slide encoder on the tiles' grid cells (from their
/// `{x}x_{y}y.png` names). Results: `tile_embeds`, `coords` and every slide output.
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
        let tileEmbeds = try embed(tiles, model: models.tileEncoder, preprocessor: preprocessor)
        results.append("tile_embeds", shape: tileEmbeds.shape, tileEmbeds.floats())

        let names = tiles.map { String($0.split(separator: "/").last ?? Substring($0)) }
        var points: [(x: Double, y: Double)] = []
        for name in names {
            guard let (x, y) = SlideGrid.coordinates(ofTileNamed: name) else {
                throw CrossCheckError(message: "\(name): no coordinates in the name (expected {x}x_{y}y.png)")
            }
            points.append((Double(x), Double(y)))
        }
        results.append("coords", shape: [points.count, 2], points.flatMap { [Float($0.x), Float($0.y)] })
        let embeddings: SlideEmbeddings
        do {
            let placement = try slideEncoder.grid().place(points: points, names: names)
            embeddings = try slideEncoder.forward(tileEmbeds: tileEmbeds, cells: placement.cells)
        } catch {
            throw CrossCheckError(message: "\(path): slide encoder: " + error.description)
        }
        for (name, values) in embeddings.named(pool: slide.pool) { results.append(name, shape: [values.count], values) }
    }

    /// tile_embeds [tiles, D]: the tiles in `batchSize` batches, rows in tile order.
    private static func embed(_ tiles: [String], model: VisionTransformer,
                              preprocessor: TilePreprocessor) throws(CrossCheckError) -> Tensor {
        let c = model.config, imageFloats = c.inChans * c.imageSize * c.imageSize
        let batch = min(batchSize, tiles.count)
        let workspace = model.makeWorkspace(batch: batch)
        let images = Tensor(zeros: [batch, c.inChans, c.imageSize, c.imageSize])
        let embeddings = Tensor(zeros: [tiles.count, c.embedDim])
        let decoder = PNGDecoder()
        for start in stride(from: 0, to: tiles.count, by: batch) {
            let rows = min(batch, tiles.count - start)
            for i in 0..<rows {
                let tile: RGBImage
                do {
                    tile = try decoder.decode(path: tiles[start + i])
                } catch {
                    throw CrossCheckError(message: error.description)
                }
                preprocessor.normalize(preprocessor.cropped(tile), into: images.mutableFloatPointer + i * imageFloats)
            }
            model.forward(images: images.floatPointer, batch: rows, workspace: workspace,
                          embedding: embeddings.mutableFloatPointer + start * c.embedDim)
        }
        return embeddings
    }
}
