import TesseraCore
import TesseraFormats

/// A per-slide feature file, opened: its format told by its first bytes (never by the
/// extension), and the two arrays `SlideFeatures` reads from it, the tile embeddings
/// (`tile_embeds` or `features`, exactly one of them) and `coords`, each with its shape and
/// element kind before any value is read (so that sizes are checked before an allocation).
///
/// - safetensors (what `tessera embed` writes): the project's validating reader; views into
///   the mapped file.
/// - torch (`torch.save` of a dict, zip or legacy): the restricted unpickler, which executes
///   no pickle code; views into the mapped file. A bare tensor (CLAM's `pt_files`) has no
///   coordinates and is refused.
/// - HDF5 (CLAM, TRIDENT, prov-gigapath's fine-tuning): libhdf5 parses the file
///   (`HDF5File`); values are read, converted to f32 or f64 by the library, only on request.
struct FeatureFile {
    /// One named array of the file.
    struct Entry {
        enum Kind { case float, integer, other }
        /// How messages name it: "dataset 'features'", "tensor 'tile_embeds'".
        let label: String
        /// As stored (a leading 1 included).
        let shape: [Int]
        let kind: Kind
        /// The stored element type, for messages: "f16", "i64", "4-byte floats", "strings".
        let typeName: String
        /// Every value, shaped `shape`, in any numeric dtype (an HDF5 read happens here).
        let values: () throws(FinetuneError) -> Tensor
    }

    /// The names the tile embeddings may have: Tessera's, then upstream's.
    static let embedNames = ["tile_embeds", "features"]
    static let coordsName = "coords"
    /// The signature HDF5 files start with (when they have no user block).
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    let path: String
    let embeds: Entry
    let coords: Entry

    /// Opens `path` and finds its two arrays; an error names the file and what is missing or unreadable.
    static func open(_ path: String) throws(FinetuneError) -> FeatureFile {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw failure(path, error) }
        if file.bytes.starts(with: hdf5Signature) { return try openHDF5(path) }
        guard file.bytes.count > 0 else { throw .badInput(file: path, reason: "the file is empty") }
        let dict: StateDict
        do {
            switch try Checkpoint.Format.detect(file) {
            case .safetensors: dict = try SafeTensors.read(file)
            case .torchZip, .torchLegacy: dict = try torchDict(file)
            }
        } catch let error as FinetuneError {
            throw error
        } catch let error as FormatError where error.problem == .unknownFormat {
            let head = file.bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
            throw .badInput(file: path, reason: "not a safetensors, HDF5 or torch file (first bytes \(head))")
        } catch {
            throw failure(path, error)
        }
        func entry(_ name: String) -> Entry? {
            dict[name].map { tensor in
                let kind: Entry.Kind = tensor.dtype.isFloatingPoint ? .float : tensor.dtype == .bool ? .other : .integer
                return Entry(label: "tensor '\(name)'", shape: tensor.shape, kind: kind, typeName: tensor.dtype.description,
                             values: { tensor })
            }
        }
        return try FeatureFile(path: path, what: "tensor", names: dict.names, find: entry)
    }

    /// The two arrays by name, `find` giving each; exactly one embeddings name must be present.
    private init(path: String, what: String, names: [String],
                 find: (String) throws(FinetuneError) -> Entry?) throws(FinetuneError) {
        var found: [Entry] = []
        for name in Self.embedNames { if let entry = try find(name) { found.append(entry) } }
        guard found.count == 1, let embeds = found.first else {
            let problem = found.isEmpty ? "no \(what) 'tile_embeds' or 'features' (the tile embeddings)"
                : "both \(what)s 'tile_embeds' and 'features': which are the tile embeddings is ambiguous"
            throw .badInput(file: path, reason: problem + Self.listing(names))
        }
        guard let coords = try find(Self.coordsName) else {
            throw .badInput(file: path, reason: "no \(what) 'coords' (each tile's level-0 x, y; the slide encoder needs them)"
                            + Self.listing(names))
        }
        self.path = path
        self.embeds = embeds
        self.coords = coords
    }

    /// The dict of a torch file: `{"features" or "tile_embeds": ..., "coords": ...}`.
    private static func torchDict(_ file: MappedFile) throws -> StateDict {
        let found: FoundStateDict
        do { found = try StateDictWrappers.find(in: TorchCheckpoint.read(file)) } catch let error as StateDictWrappers.Error {
            throw FinetuneError.badInput(file: file.path, reason: error.message)
        }
        if found.isBareTensor, let tensor = found.stateDict[StateDictWrappers.bareTensorName] {
            throw FinetuneError.badInput(
                file: file.path,
                reason: "holds a bare tensor \(Tensor.describe(tensor.shape)) (features only, as CLAM's pt_files): the slide "
                    + "encoder needs each tile's coords too; use the slide's .h5 file, or save a dict with 'features' and 'coords'")
        }
        return found.stateDict
    }

    /// An HDF5 file's datasets `features` (or `tile_embeds`) and `coords` at its root.
    private static func openHDF5(_ path: String) throws(FinetuneError) -> FeatureFile {
        let file = try HDF5File(path: path)
        func entry(_ name: String) throws(FinetuneError) -> Entry? {
            guard let dataset = try file.dataset(name) else { return nil }
            // Read as f64 where f32 cannot hold every stored value exactly (doubles, integers
            // past 16 bits); the caller converts after its checks.
            let kind: Entry.Kind, typeName: String, wide: Bool
            switch dataset.element {
            case .float(let bytes): (kind, typeName, wide) = (.float, "\(bytes)-byte floats", bytes > 4)
            case .integer(let bytes): (kind, typeName, wide) = (.integer, "\(bytes)-byte integers", bytes > 2)
            case .other(let name): (kind, typeName, wide) = (.other, name, false)
            }
            return Entry(label: "dataset '\(name)'", shape: dataset.shape, kind: kind, typeName: typeName,
                         values: { () throws(FinetuneError) in try file.read(dataset, as: wide ? .f64 : .f32) })  // keeps `file` open
        }
        return try FeatureFile(path: path, what: "dataset", names: [], find: entry)
    }

    /// "; it holds: a, b" for messages, or nothing when the names are not known.
    private static func listing(_ names: [String]) -> String {
        names.isEmpty ? "" : "; it holds: " + MessageText.list(names)
    }

    /// `error`'s message without the leading "PATH: " the readers' messages start with.
    static func failure(_ path: String, _ error: Error) -> FinetuneError {
        let text = "\(error)"
        let prefix = path + ": "
        return .badInput(file: path, reason: text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
    }
}
