/// A parsed JSON document. Objects keep their members in file order; numbers
/// keep their literal text so that large integers and floats survive exactly.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// An object of string values with its keys sorted: one stable form of string metadata.
    public init(sortedStrings dictionary: [String: String]) {
        self = .object(dictionary.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    /// The value of `key` when this is an object that has it.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A non-negative integer literal that fits in `Int` (no fraction, no exponent).
    public var nonNegativeInt: Int? {
        guard case .number(let literal) = self, literal.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(literal)
    }
}
