import TesseraCore
import TesseraModels

extension SlideClassifier {
    /// The backward pass of `logits(features:)`: accumulates d loss / d `classifier.0` into
    /// `gradients` (this head over the gradient buffers; skipped when frozen) and returns
    /// d loss / d each pooled layer embedding, keyed by layer (summed where a layer is listed
    /// twice), for the slide encoder's backward pass (`layerEmbedGradients` for cls pooling,
    /// `layerMeanGradients` for mean pooling).
    ///
    /// logitGradient [C], features [L·D] (what the forward pass was given); each result [D].
    public func backward(logitGradient: [Float], features: [Float], gradients: Gradients<SlideClassifier>) -> [Int: [Float]] {
        let g = gradients.tree.linear
        var dfeatures = [Float](repeating: 0, count: linear.inFeatures)
        dfeatures.withUnsafeMutableBufferPointer { dinp in
            Linear.backward(dinp: dinp.baseAddress, dweight: gradients.of(g.weight), dbias: gradients.of(g.bias),
                            dout: logitGradient, inp: features, weight: linear.weight.floatPointer, rows: 1,
                            inFeatures: linear.inFeatures, outFeatures: linear.outFeatures)
        }
        let d = linear.inFeatures / head.featLayers.count
        var layers: [Int: [Float]] = [:]
        for (slot, layer) in head.featLayers.enumerated() {
            let part = dfeatures[slot * d..<(slot + 1) * d]
            if let sum = layers[layer] {
                layers[layer] = zip(sum, part).map { $0 + $1 }
            } else {
                layers[layer] = Array(part)
            }
        }
        return layers
    }
}
