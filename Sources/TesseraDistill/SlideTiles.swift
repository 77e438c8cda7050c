import TesseraCore
import TesseraImage
import TesseraModels
import TesseraPipeline

/// One slide's tiles as the student sees them (N tiles): the 8-bit crops after the tile
/// transform's resize and crop ([224, 224, 3] each, 150 KB: a slide of 512 tiles holds 77 MB,
/// where its f32 images would hold 308 MB), their file names, coordinates and geometry, in row order.
/// A tile source whose images are already cropped: the teacher and the student read it through
/// the pipeline's tile-encoder run like any other.
public final class SlideTiles: TileSource, @unchecked Sendable {
    public let crops: [RGBImage]
    public let names: [String]
    /// [N, 2] level-0 pixel (x, y).
    public let coords: Tensor
    /// Where a whole-slide file's tiles were cut (nil for PNG tiles): the slide encoders' grid
    /// cell is one tile, as in `tessera embed` (`SlideEmbedder.placing`).
    public let geometry: TileGeometry?

    public init(crops: [RGBImage], names: [String], coords: Tensor, geometry: TileGeometry? = nil) {
        guarantee(crops.count == names.count && coords.shape == [names.count, 2],
                  "\(crops.count) crops, \(names.count) names and coords \(Tensor.describe(coords.shape))")
        self.crops = crops
        self.names = names
        self.coords = coords
        self.geometry = geometry
    }

    public var count: Int { crops.count }
    public var yieldsCrops: Bool { true }
    public func name(of tile: Int) -> String { names[tile] }
    public func location(of tile: Int) -> String { names[tile] }
    public func position(of tile: Int) -> (x: Int, y: Int)? {
        let x = coords.scalar(at: 2 * tile), y = coords.scalar(at: 2 * tile + 1)
        guard let x = Int(exactly: x.rounded(.down)), let y = Int(exactly: y.rounded(.down)) else { return nil }
        return (x, y)
    }
    public func image(of tile: Int) throws(ImageDecodingError) -> RGBImage { crops[tile] }

    /// The tiles at `rows`, in that order.
    public func subset(_ rows: [Int]) -> SlideTiles {
        let xy = coords.floats()
        return SlideTiles(crops: rows.map { crops[$0] }, names: rows.map { names[$0] },
                          coords: Tensor(shape: [rows.count, 2], floats: rows.flatMap { [xy[2 * $0], xy[2 * $0 + 1]] }),
                          geometry: geometry)
    }
}

extension SlideTiles {
    /// Reads the tiles of `source` at `rows` (all of them when nil; one slide, in order): each
    /// decoded and cropped; a tile that cannot be read, or that has no position (a PNG named other
    /// than `{x}x_{y}y`), is reported through `skip` with its location and left out.
    public static func read(_ source: any TileSource, rows: [Int]? = nil, preprocessor: TilePreprocessor = .gigapath,
                            skip: (String, any Error) -> Void) -> SlideTiles {
        let rows = rows ?? Array(0..<source.count)
        var crops = [RGBImage?](repeating: nil, count: rows.count)
        var failures = [(any Error)?](repeating: nil, count: rows.count)
        crops.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { failed in
                Parallel.forEach(rows.count) { i in
                    do { out[i] = preprocessor.cropped(try source.image(of: rows[i])) } catch { failed[i] = error }
                }
            }
        }
        var kept: [RGBImage] = [], names: [String] = [], xy: [Float] = []
        for (i, row) in rows.enumerated() {
            let name = source.name(of: row)
            if let error = failures[i] {
                skip(source.location(of: row), error)
            } else if let (x, y) = source.position(of: row) {
                kept.append(crops[i]!)
                names.append(name)
                xy += [Float(x), Float(y)]
            } else {
                skip(source.location(of: row), MissingCoordinates(name: name))
            }
        }
        return SlideTiles(crops: kept, names: names, coords: Tensor(shape: [names.count, 2], floats: xy), geometry: source.geometry)
    }

    /// A tile whose name does not give its position on the slide.
    public struct MissingCoordinates: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "\(name): no {x}x_{y}y coordinates in the name (the slide encoders need them)" }
    }
}
