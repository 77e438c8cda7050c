/// A strict RFC 8259 parser for checkpoint headers and config files: UTF-8
/// only, no duplicate keys in any object, bounded nesting, nothing but
/// whitespace after the value. Errors are `FormatError`s with the file offset.
public struct JSONParser {
    public static let defaultNestingLimit = 64

    private let bytes: UnsafeRawBufferPointer
    private let path: String
    private let baseOffset: Int
    private let nestingLimit: Int
    private var position = 0

    /// Parses `bytes`, which start at `baseOffset` in the file at `path`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String, baseOffset: Int = 0,
                             nestingLimit: Int = defaultNestingLimit) throws(FormatError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, path: path, baseOffset: baseOffset, nestingLimit: nestingLimit)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.failure(.malformedJSON(expected: "end of document")) }
        return value
    }

    private init(bytes: UnsafeRawBufferPointer, path: String, baseOffset: Int, nestingLimit: Int) {
        self.bytes = bytes
        self.path = path
        self.baseOffset = baseOffset
        self.nestingLimit = nestingLimit
    }

    private func failure(_ problem: FormatError.Problem, at offset: Int? = nil) -> FormatError {
        FormatError(path: path, offset: baseOffset + (offset ?? position), problem: problem)
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(FormatError) {
        guard current == byte else { throw failure(.malformedJSON(expected: what)) }
        position += 1
    }

    private mutating func parseValue(depth: Int) throws(FormatError) -> JSONValue {
        guard let b = current else { throw failure(.malformedJSON(expected: "a value")) }
        switch b {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure(.malformedJSON(expected: "a value"))
        }
    }

    private mutating func parseLiteral(_ word: String) throws(FormatError) {
        for b in word.utf8 { try expect(b, "'\(word)'") }
    }

    private mutating func parseObject(depth: Int) throws(FormatError) -> JSONValue {
        guard depth <= nestingLimit else { throw failure(.nestingTooDeep(limit: nestingLimit)) }
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            let keyOffset = position
            guard current == UInt8(ascii: "\"") else { throw failure(.malformedJSON(expected: "a string key")) }
            let key = try parseString()
            guard seen.insert(key).inserted else { throw failure(.duplicateKey(key), at: keyOffset) }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(members)
        }
    }

    private mutating func parseArray(depth: Int) throws(FormatError) -> JSONValue {
        guard depth <= nestingLimit else { throw failure(.nestingTooDeep(limit: nestingLimit)) }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(elements)
        }
    }

    /// -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?, kept as text.
    private mutating func parseNumber() throws(FormatError) -> String {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else {
            try digits()
        }
        if current == UInt8(ascii: ".") { position += 1; try digits() }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            try digits()
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    private mutating func digits() throws(FormatError) {
        guard let b = current, b >= 0x30, b <= 0x39 else { throw failure(.malformedJSON(expected: "a digit")) }
        while let b = current, b >= 0x30, b <= 0x39 { position += 1 }
    }

    private mutating func parseString() throws(FormatError) -> String {
        position += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let b = current else { throw failure(.malformedJSON(expected: "closing '\"'")) }
            switch b {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw failure(.malformedJSON(expected: "an escaped control character"))
            case 0x20..<0x80:
                utf8.append(b)
                position += 1
            default:
                guard let length = UTF8Validation.sequenceLength(bytes, at: position) else {
                    throw failure(.invalidUTF8)
                }
                utf8.append(contentsOf: bytes[position..<(position + length)])
                position += length
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(FormatError) {
        guard let b = current else { throw failure(.malformedJSON(expected: "an escape")) }
        position += 1
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(b)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {  // a high surrogate needs its low half
                try expect(UInt8(ascii: "\\"), "a low surrogate escape")
                try expect(UInt8(ascii: "u"), "a low surrogate escape")
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure(.malformedJSON(expected: "a low surrogate")) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw failure(.malformedJSON(expected: "a Unicode scalar")) }
            utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw failure(.malformedJSON(expected: "a valid escape"), at: position - 1)
        }
    }

    private mutating func hex4() throws(FormatError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let b = current, let digit = Self.hexDigit(b) else { throw failure(.malformedJSON(expected: "4 hex digits")) }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private static func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        default: return nil
        }
    }
}
