import TesseraModels

extension BundleManifest {
    /// The cross-field checks of formats/bundle.md ("Reading", 4 and 5): the
    /// configurations agree with each other, the tensors with the components.
    /// Each field's own range was checked when it was decoded.
    func validate(path: String, limits: BundleLimits) throws(BundleError) {
        try validateConfigurations(path: path)
        try validateOutputs(path: path)
        try validateProvenance(path: path)
        try validateTensors(path: path, limits: limits)
    }

    private func validateConfigurations(path: String) throws(BundleError) {
        func require(_ condition: Bool, _ why: @autoclosure () -> String) throws(BundleError) {
            guard condition else { throw BundleError(path: path, problem: .inconsistent(why())) }
        }
        func finite(_ values: [Float], _ field: String) throws(BundleError) {
            guard values.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw BundleError(path: path, problem: .badNumber(field: field, expected: "finite and > 0"))
            }
        }
        let tile = tileEncoder
        try require(tile.embedDim % tile.heads == 0,
                     "tile_encoder.num_heads \(tile.heads) does not divide tile_encoder.embed_dim \(tile.embedDim)")
        try require(tile.imageSize % tile.patchSize == 0,
                     "tile_encoder.patch_size \(tile.patchSize) does not divide tile_encoder.image_size \(tile.imageSize)")
        try require(tile.mlp != .swiGLUPacked || tile.mlpHidden % 2 == 0,
                     "tile_encoder.mlp_hidden \(tile.mlpHidden) is odd, but SwiGLU-packed splits it in halves")
        try finite([tile.layerNormEps], "tile_encoder.layer_norm_eps")

        let transform = tileTransform
        try require(transform.crop == tile.imageSize,
                    "tile_transform.crop \(transform.crop) differs from tile_encoder.image_size \(tile.imageSize)")
        try require(transform.crop <= transform.resize,
                    "tile_transform.crop \(transform.crop) is larger than tile_transform.resize \(transform.resize)")
        try require(transform.mean.count == tile.inChans && transform.std.count == tile.inChans,
                    "tile_transform has \(transform.mean.count) means and \(transform.std.count) stds for \(tile.inChans) input channels")
        // Pixels are scaled to 0...1 before normalising: a channel's mean lies there, and a std
        // below one 8-bit level or above 1 is no data set's. Within these, (pixel - mean) / std
        // stays within ±255; a std of 1e-45 or a mean of 3e38 made every tile's embedding NaN.
        func within(_ values: [Float], _ bounds: ClosedRange<Float>, _ field: String, _ why: String) throws(BundleError) {
            guard values.allSatisfy({ bounds.contains($0) }) else {
                throw BundleError(path: path, problem: .badNumber(field: field, expected: "in \(bounds.lowerBound)...\(bounds.upperBound) (\(why))"))
            }
        }
        try within(transform.mean, 0...1, "tile_transform.mean", "a mean of pixel values scaled to 0...1")
        try within(transform.std, Self.smallestStd...1, "tile_transform.std", "at least one 8-bit level, 1/255")

        if let slide = slideEncoder?.config {
            try require(slide.inChans == tile.embedDim,
                        "slide_encoder.in_chans \(slide.inChans) differs from tile_encoder.embed_dim \(tile.embedDim)")
            try require(slide.embedDim % slide.heads == 0,
                        "slide_encoder.num_heads \(slide.heads) does not divide slide_encoder.embed_dim \(slide.embedDim)")
            try require(slide.embedDim % 4 == 0,
                        "slide_encoder.embed_dim \(slide.embedDim) is not a multiple of 4 (the 2-D sin-cos position code)")
        }
        if let head = teacherHead {
            // Both inputs, the tile embedding and the last hidden class token, are embed_dim wide.
            try require(head.inFeatures == tile.embedDim,
                        "teacher_head.in_features \(head.inFeatures) differs from tile_encoder.embed_dim \(tile.embedDim)")
            if let eps = head.layerNormEps { try finite([eps], "teacher_head.layer_norm_eps") }
        }
        if let classifier {
            try classifier.validate(slideEncoder: slideEncoder?.config, path: path)
        }
    }

    /// One 8-bit level of a pixel scaled to 0...1.
    static let smallestStd: Float = 1 / 255

    private func validateOutputs(path: String) throws(BundleError) {
        var seen: [BundleOutput] = []
        for output in outputs {
            guard !seen.contains(output) else {
                throw BundleError(path: path, problem: .duplicate(field: "outputs", value: output.rawValue))
            }
            seen.append(output)
        }
        func require(_ condition: Bool, _ why: String) throws(BundleError) {
            guard condition else { throw BundleError(path: path, problem: .inconsistent(why)) }
        }
        try require(seen.contains(.tileEmbeds), "outputs lack tile_embeds")
        try require(!seen.contains(.slideEmbed) || slideEncoder != nil, "outputs name slide_embed but there is no slide_encoder")
        try require(!seen.contains(.teacherTileEmbeds) || teacherHead != nil,
                    "outputs name teacher_tile_embeds but there is no teacher_head")
        for output in [BundleOutput.logits, .probabilities] {
            try require(!seen.contains(output) || classifier != nil, "outputs name \(output.rawValue) but there is no classifier")
        }
    }

    private func validateProvenance(path: String) throws(BundleError) {
        var seen: Set<String> = []
        for metric in provenance.metrics {
            guard seen.insert(metric.name).inserted else {
                throw BundleError(path: path, problem: .duplicate(field: "provenance.metrics", value: metric.name))
            }
            guard metric.value.isFinite else {
                throw BundleError(path: path, problem: .badNumber(field: "provenance.metrics." + metric.name, expected: "finite"))
            }
        }
    }
}
