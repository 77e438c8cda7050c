import TesseraCore
import TesseraModels

// A slide-encoder folder's `config.json` (format: fixtures/slide_encoder/config.json, plus the
// `classifier` section of a fine-tuned run): read here and written here, one mapping.

extension SlideEncoder.Config.File {
    /// Reads a slide encoder's `config.json` at `path` (format: fixtures/slide_encoder/config.json);
    /// every present key must have the right type. A `classifier` section (a fine-tuned run's
    /// head, `SlideClassifier.Head`) is read and checked as far as the file alone can say; its
    /// feature layers against the model's depth when the file gives `depth` (the loader checks
    /// them against the weights' depth in any case).
    public init(path: String) throws {
        let file = try MappedFile.checked(path)
        let json = try JSONParser.parse(file.bytes, path: path)
        func bad(_ why: String) -> SlideEncoderError { .badConfig(path: path, reason: why) }
        guard case .object = json else { throw bad("not a JSON object") }
        func positive(_ value: JSONValue) -> Int? {
            guard let n = value.nonNegativeInt, n > 0 else { return nil }
            return n
        }
        func int(_ key: String) throws -> Int? {
            guard let value = json[key] else { return nil }
            guard let n = positive(value) else { throw bad("'\(key)' must be a positive integer") }
            return n
        }
        func ints(_ key: String) throws -> [Int]? {
            guard let value = json[key] else { return nil }
            guard case .array(let items) = value, !items.isEmpty, case let list = items.compactMap(positive),
                  list.count == items.count else { throw bad("'\(key)' must be a list of positive integers") }
            return list
        }
        self.init()
        inChans = try int("in_chans")
        embedDim = try int("embed_dim")
        depth = try int("depth")
        heads = try int("num_heads")
        gridSize = try int("slide_ngrids")
        tileSize = try int("tile_size").map(Double.init)
        switch (try ints("segment_length"), try ints("dilated_ratio")) {
        case (nil, nil): branches = nil
        case let (l?, r?) where l.count == r.count:
            branches = zip(l, r).map { DilatedAttention.Branch(segmentLength: $0, ratio: $1) }
        default:
            throw bad("'segment_length' and 'dilated_ratio' must both be given, with equal lengths")
        }
        if let section = json[SlideClassifier.Head.configKey] {
            classifier = try SlideClassifier.Head(configJSON: section, path: path, depth: depth)
        }
    }
}

extension SlideClassifier.Head {
    /// The key of the head's section in a slide-encoder folder's config.json.
    public static let configKey = "classifier"
    /// The section's fields, in the order they are written.
    static let configFields = ["feat_layer", "pooling", "setting", "classes"]

    /// The `classifier` section of the config.json at `path` (named in errors with the field):
    /// `{"feat_layer": [1, 2], "pooling": "cls"|"mean", "setting": "multi_class"|"binary"|"multi_label",
    /// "classes": [names in output order]}`, every field required and no other. Feature layers are
    /// in 0...`depth` when the depth is known (0 = the encoder's input, i = layer i's output);
    /// classes are non-empty, unique names, two of them for a binary task.
    public init(configJSON section: JSONValue, path: String, depth: Int?) throws(SlideEncoderError) {
        let key = Self.configKey
        func bad(_ field: String?, _ why: String) -> SlideEncoderError {
            .badConfig(path: path, reason: "'\(key)\(field.map { "." + $0 } ?? "")' \(why)")
        }
        guard case .object(let members) = section else { throw bad(nil, "must be an object with " + Self.configFields.joined(separator: ", ")) }
        if let unknown = members.first(where: { !Self.configFields.contains($0.key) }) {
            throw bad(unknown.key, "is not a field of the classifier (expected " + Self.configFields.joined(separator: ", ") + ")")
        }
        func field(_ name: String) throws(SlideEncoderError) -> JSONValue {
            guard let value = section[name] else { throw bad(name, "is missing") }
            return value
        }
        guard case .array(let layerItems) = try field("feat_layer"), !layerItems.isEmpty,
              case let layers = layerItems.compactMap(\.nonNegativeInt), layers.count == layerItems.count else {
            throw bad("feat_layer", "must be a non-empty list of layer indices (0 = the encoder's input, i = layer i's output)")
        }
        guard let poolingName = try field("pooling").string, let pooling = SlidePool(rawValue: poolingName) else {
            throw bad("pooling", "is \(Self.describe(section["pooling"])): expected \"cls\" or \"mean\"")
        }
        guard let settingName = try field("setting").string, let setting = SlideClassifier.Setting(rawValue: settingName) else {
            throw bad("setting", "is \(Self.describe(section["setting"])): expected "
                      + SlideClassifier.Setting.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        guard case .array(let classItems) = try field("classes"), !classItems.isEmpty,
              case let classes = classItems.compactMap(\.string), classes.count == classItems.count else {
            throw bad("classes", "must be a non-empty list of class names (strings, in output order)")
        }
        if let i = classes.firstIndex(where: \.isEmpty) { throw bad("classes", "has an empty name (class \(i))") }
        var seen = Set<String>()
        for name in classes where !seen.insert(name).inserted {
            throw bad("classes", "names '\(MessageText.excerpt(name))' twice")
        }
        self.init(featLayers: layers, pooling: pooling, setting: setting, classes: classes)
        if setting == .binary && classes.count != 2 {
            throw bad("classes", "has \(classes.count) names, but a binary task has 2")
        }
        if let depth { try check(depth: depth, path: path) }
    }

    /// Refuses, naming config.json's field, a head that cannot sit on a slide encoder of `depth` layers.
    public func check(depth: Int, path: String) throws(SlideEncoderError) {
        if let bad = featLayers.first(where: { !(0...depth).contains($0) }) {
            throw .badConfig(path: path, reason: "'\(Self.configKey).feat_layer' names layer \(bad), outside 0...\(depth) "
                             + "(0 = the encoder's input, \(depth) = its last layer)")
        }
        if let problem = problem(depth: depth) { throw .badConfig(path: path, reason: "'\(Self.configKey)': \(problem)") }
    }

    /// The section as config.json holds it.
    public var configJSON: JSONValue {
        .object([
            ("feat_layer", .array(featLayers.map { .number(String($0)) })),
            ("pooling", .string(pooling.rawValue)),
            ("setting", .string(setting.rawValue)),
            ("classes", .array(classes.map { .string($0) })),
        ])
    }

    private static func describe(_ value: JSONValue?) -> String {
        guard let value else { return "missing" }
        if let text = value.string { return "'\(MessageText.excerpt(text))'" }
        return "not a string"
    }
}

extension SlideEncoder.Config {
    /// The config.json of a slide-encoder folder for this configuration, with the fine-tuned
    /// `classifier` section when given: what `Config.File(path:)` reads back (the widths, depth
    /// and FFN size are the weights' as well; `mlp_ratio` is written for prov-gigapath's
    /// `create_model`). The grid's tile size must be whole pixels, as the file holds it.
    public func configJSON(classifier: SlideClassifier.Head? = nil) throws(SlideEncoderError) -> JSONValue {
        guard tileSize == tileSize.rounded(), tileSize >= 1, tileSize <= Double(Int32.max) else {
            throw .badConfig(path: "config.json", reason: "tile_size \(tileSize) is not a whole number of pixels")
        }
        if let classifier { try classifier.check(depth: depth, path: "config.json") }
        func integer(_ n: Int) -> JSONValue { .number(String(n)) }
        var members: [(key: String, value: JSONValue)] = [
            ("architecture", .string("gigapath_slide_enc")), ("in_chans", integer(inChans)),
            ("embed_dim", integer(embedDim)), ("depth", integer(depth)), ("num_heads", integer(heads)),
            ("mlp_ratio", .number("\(Double(ffnDim) / Double(embedDim))")), ("slide_ngrids", integer(gridSize)),
            ("tile_size", integer(Int(tileSize))),
            ("segment_length", .array(branches.map { integer($0.segmentLength) })),
            ("dilated_ratio", .array(branches.map { integer($0.ratio) })),
        ]
        if let classifier { members.append((SlideClassifier.Head.configKey, classifier.configJSON)) }
        return .object(members)
    }

    /// Writes `configJSON(classifier:)` to `path` (pretty, a newline at the end), atomically.
    public func writeConfigJSON(to path: String, classifier: SlideClassifier.Head? = nil) throws {
        try AtomicOutput.write(try configJSON(classifier: classifier).serialized(pretty: true) + "\n", to: path)
    }
}
