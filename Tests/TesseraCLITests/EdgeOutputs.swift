import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// Comparisons of `tessera-edge run` outputs with `tessera embed` outputs and with each other.
enum EdgeOutputs {
    /// The names `tessera embed --slide-encoder` writes for a slide encoder of `depth` layers.
    static func embedNames(depth: Int) -> Set<String> {
        Set(["tile_embeds", "coords", "last_layer_embed", "encoder_out_embed", "global_pool_embed", "slide_embed"]
            + (0...depth).map { "layer_\($0)_embed" })
    }

    /// `edge` holds exactly `reference`'s tensors, each within `tolerance` relative error
    /// (max |a - b| / max |b|), and the same tile lists and architecture; its weights are the bundle.
    static func assertMatches(_ edge: StateDict, _ reference: StateDict, bundle: String, tolerance: Float,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(Set(edge.names), Set(reference.names), file: file, line: line)
        for name in reference.names {
            let got = try XCTUnwrap(edge[name], name, file: file, line: line), want = reference[name]!
            XCTAssertEqual(got.shape, want.shape, name, file: file, line: line)
            XCTAssertEqual(got.dtype, want.dtype, name, file: file, line: line)
            XCTAssertLessThanOrEqual(relativeError(got.floats(), want.floats()), tolerance, name, file: file, line: line)
        }
        for key in ["tile_names", "skipped_tiles", "architecture"] {
            XCTAssertEqual(edge.metadata[key], reference.metadata[key], key, file: file, line: line)
        }
        XCTAssertEqual(edge.metadata["weights"], URL(fileURLWithPath: bundle).lastPathComponent, file: file, line: line)
        XCTAssertEqual(edge.metadata["weights_sha256"], try SHA256.hex(ofFile: bundle), file: file, line: line)
    }

    /// cos(a, b) in double precision.
    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            ab += Double(x) * Double(y)
            aa += Double(x) * Double(x)
            bb += Double(y) * Double(y)
        }
        return ab / (aa * bb).squareRoot()
    }

    /// The smallest cosine between corresponding rows of two [N, D] tensors.
    static func minimumRowCosine(_ a: Tensor, _ b: Tensor) -> Double {
        let d = a.shape[1], x = a.floats(), y = b.floats()
        return (0..<a.shape[0]).map { cosine(x[($0 * d)..<(($0 + 1) * d)], y[($0 * d)..<(($0 + 1) * d)]) }.min()!
    }
}
