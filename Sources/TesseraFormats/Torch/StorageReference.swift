import TesseraCore

/// A persistent id naming a storage: `('storage', storage_type, key, location,
/// numel)` in the zip format, plus `view_metadata` (`None` or `(view_key,
/// offset, view_size)`) in the legacy format.
struct StorageReference {
    let type: StorageType
    let key: String
    /// Elements of the whole storage.
    let count: Int
    /// The legacy format's storage views: elements `offset ..< offset + count` of `key`, named `viewKey`.
    let view: (viewKey: String, offset: Int, count: Int)?

    /// The reference a persistent id holds, or nil for ids that do not name a storage.
    init?(_ id: PickleValue) throws {
        guard let items = id.items, let typeName = items.first?.string else {
            throw PickleError("persistent id is a \(id.kind), not a tuple starting with a type name")
        }
        guard typeName == "storage" else { return nil }
        guard items.count == 5 || items.count == 6 else {
            throw PickleError("storage persistent id has \(items.count) fields, expected 5 or 6")
        }
        type = try StorageType(items[1])
        guard let key = items[2].string else { throw PickleError("storage key is a \(items[2].kind)") }
        guard let count = items[4].int, count >= 0, Checked.multiply(count, type.elementSize) != nil else {
            throw PickleError("storage '\(MessageText.excerpt(key))' has an invalid element count (\(items[4]))")
        }
        self.key = key
        self.count = count
        if items.count == 6, let view = items[5].items {
            guard view.count == 3, let viewKey = view[0].string, let offset = view[1].int, let size = view[2].int else {
                throw PickleError("storage '\(MessageText.excerpt(key))' has malformed view metadata")
            }
            self.view = (viewKey, offset, size)
        } else {
            self.view = nil
        }
    }

    /// The unpickler's persistent-id hook: an id naming a storage becomes
    /// `.storage(resolve(reference))`, any other id an inert record.
    static func loader(_ resolve: @escaping (StorageReference) throws -> TorchStorage) -> Unpickler.PersistentLoad {
        { id in
            guard let reference = try StorageReference(id) else {
                return .object(className: "persistent id", arguments: id.items ?? [id], state: nil)
            }
            return .storage(try resolve(reference))
        }
    }
}
