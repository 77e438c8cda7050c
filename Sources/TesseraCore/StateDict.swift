/// Named tensors in a stable order (the order of the file they came from),
/// plus string metadata. Tensors are usually zero-copy views of a mapped file.
public struct StateDict: @unchecked Sendable {
    public private(set) var names: [String] = []
    public private(set) var tensors: [String: Tensor] = [:]
    public var metadata: [String: String] = [:]

    public init() {}

    /// Adds or replaces `name`; a new name goes to the end of the order.
    public mutating func set(_ name: String, _ tensor: Tensor) {
        if tensors.updateValue(tensor, forKey: name) == nil { names.append(name) }
    }

    public subscript(name: String) -> Tensor? { tensors[name] }

    public var count: Int { names.count }

    /// The tensors with their names, in order.
    public var entries: [(name: String, tensor: Tensor)] {
        names.compactMap { name in tensors[name].map { (name, $0) } }
    }

    /// Total elements over all tensors.
    public var parameterCount: Int { tensors.values.reduce(0) { $0 + $1.count } }

    /// The tensors under `prefix.` with the prefix taken off, in order (views, not copies):
    /// one model's weights out of a dict that holds several (`student.*`, `adaptor.*`).
    public func scoped(_ prefix: String) -> StateDict {
        var dict = StateDict()
        let head = prefix + "."
        for name in names where name.hasPrefix(head) { dict.set(String(name.dropFirst(head.count)), tensors[name]!) }
        return dict
    }
}
