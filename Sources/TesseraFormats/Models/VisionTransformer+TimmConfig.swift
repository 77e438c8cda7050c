import TesseraCore
import TesseraImage
import TesseraModels

extension VisionTransformer.Config {
    /// The architecture a Hugging Face timm `config.json` describes: `architecture`'s preset
    /// with `model_args` applied. Keys that would describe a different model than the one
    /// Tessera runs (a head, no class token, register tokens, pooling other than the class
    /// token, other normalisation constants or input size) are refused, never ignored.
    public static func read(timmConfig path: String) throws -> VisionTransformer.Config {
        let file = try MappedFile.checked(path)
        return try VisionTransformer.Config(timmConfig: try JSONParser.parse(file.bytes, path: path), path: path)
    }

    /// `read(timmConfig:)` for an already parsed document.
    public init(timmConfig json: JSONValue, path: String) throws {
        func invalid(_ why: String) -> VisionTransformerError { .unreadable(path: path, reason: why) }
        func int(_ value: JSONValue?, _ key: String) throws -> Int? {
            guard let value else { return nil }
            guard let n = value.nonNegativeInt else { throw invalid("'\(key)' must be a non-negative integer") }
            return n
        }
        func number(_ value: JSONValue?, _ key: String) throws -> Double? {
            guard let value else { return nil }
            guard case .number(let literal) = value, let d = Double(literal), d.isFinite else {
                throw invalid("'\(key)' must be a number")
            }
            return d
        }
        guard case .object = json else { throw invalid("not a JSON object") }
        guard let architecture = json["architecture"]?.string else { throw invalid("no 'architecture' string") }
        var config = try VisionTransformer.Config.preset(architecture)
        let args = json["model_args"] ?? .object([])
        guard case .object = args else { throw invalid("'model_args' must be an object") }
        if let v = try int(args["img_size"], "model_args.img_size") { config.imageSize = v }
        if let v = try int(args["patch_size"], "model_args.patch_size") { config.patchSize = v }
        if let v = try int(args["in_chans"], "model_args.in_chans") { config.inChans = v }
        if let v = try int(args["embed_dim"], "model_args.embed_dim") { config.embedDim = v }
        if let v = try int(args["depth"], "model_args.depth") { config.depth = v }
        if let v = try int(args["num_heads"], "model_args.num_heads") { config.heads = v }
        if let v = try number(args["mlp_ratio"], "model_args.mlp_ratio") { config.mlpRatio = v }
        if let v = try number(args["init_values"], "model_args.init_values") { config.layerScale = v != 0 }
        // timm's int(embed_dim * mlp_ratio), for a ratio that may be any finite number.
        guard let hidden = Int(exactly: (Double(config.embedDim) * config.mlpRatio).rounded(.towardZero)) else {
            throw invalid("'model_args.mlp_ratio' \(config.mlpRatio) times embed_dim \(config.embedDim) is not an MLP width")
        }
        config.mlpHidden = hidden
        for (key, value) in [("num_classes", args["num_classes"] ?? json["num_classes"]), ("reg_tokens", args["reg_tokens"])] {
            if let n = try int(value, key), n != 0 { throw invalid("'\(key)' is \(n): Tessera runs the plain encoder (0)") }
        }
        for (key, expected) in [("class_token", true), ("no_embed_class", false)] {
            if let value = args[key], value.bool != expected { throw invalid("'model_args.\(key)' must be \(expected)") }
        }
        for pool in [args["global_pool"], json["global_pool"]].compactMap({ $0 }) where pool.string != "token" {
            throw invalid("'global_pool' must be \"token\" (the class token is the embedding)")
        }
        if let pretrained = json["pretrained_cfg"] {
            try Self.checkPreprocessing(pretrained, config: config, path: path)
        }
        self = config
    }

    /// `pretrained_cfg` must describe the tile transform Tessera applies (ImageNet mean/std,
    /// a square input of the model's image size).
    private static func checkPreprocessing(_ cfg: JSONValue, config: VisionTransformer.Config, path: String) throws {
        func floats(_ key: String) -> [Double]? {
            guard case .array(let items)? = cfg[key] else { return nil }
            let values = items.compactMap { item -> Double? in
                if case .number(let literal) = item { return Double(literal) }
                return nil
            }
            return values.count == items.count ? values : []
        }
        for (key, expected) in [("mean", TilePreprocessor.gigapath.mean), ("std", TilePreprocessor.gigapath.std)] {
            if let values = floats(key), values.map(Float.init) != expected {
                throw VisionTransformerError.unreadable(
                    path: path, reason: "'pretrained_cfg.\(key)' is \(values), but Tessera normalises with \(expected)")
            }
        }
        if let size = floats("input_size"), size != [Double(config.inChans), Double(config.imageSize), Double(config.imageSize)] {
            // Whole numbers as integers; any other (1e300 included) as written, never trapping.
            let shown = size.map { Int(exactly: $0).map(String.init) ?? "\($0)" }
            throw VisionTransformerError.unreadable(
                path: path, reason: "'pretrained_cfg.input_size' is [\(shown.joined(separator: ", "))], the model takes "
                    + "[\(config.inChans), \(config.imageSize), \(config.imageSize)]")
        }
    }
}
