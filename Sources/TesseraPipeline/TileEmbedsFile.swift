import Foundation
import TesseraCore
import TesseraModels
import TesseraFormats

extension TileEmbedder.Result {
    /// The file `tessera embed` writes:
    /// - `tile_embeds` f32 [N, D], rows in tile order;
    /// - `coords` f32 [N, 2] (x, y) from `{x}x_{y}y.png`, present when every kept tile is so named;
    /// - `blocks.{i}` f32 [N, tokens, D] when hidden states were kept;
    /// - `__metadata__`: `tile_names` (JSON list, row order), `skipped_tiles` (JSON list),
    ///   `architecture`, `weights` (file name) and `weights_sha256`.
    public func stateDict(architecture: String, weightsPath: String, weightsSHA256: String,
                          hiddenStates: [Tensor] = []) throws -> StateDict {
        var dict = StateDict()
        dict.set("tile_embeds", tileEmbeds)
        let coordinates = paths.compactMap { TileList.coordinates(ofTile: $0) }
        if coordinates.count == paths.count {
            dict.set("coords", Tensor(shape: [paths.count, 2], floats: coordinates.flatMap { [Float($0.x), Float($0.y)] }))
        }
        for (i, state) in hiddenStates.enumerated() { dict.set("blocks.\(i)", state) }
        func jsonList(_ names: [String]) throws -> String {
            String(decoding: try JSONEncoder().encode(names), as: UTF8.self)
        }
        let name = { (path: String) in URL(fileURLWithPath: path).lastPathComponent }
        dict.metadata = [
            "tile_names": try jsonList(paths.map(name)),
            "skipped_tiles": try jsonList(skipped.map { name($0.path) }),
            "architecture": architecture,
            "weights": name(weightsPath),
            "weights_sha256": weightsSHA256,
        ]
        return dict
    }
}
