/// JSON text in the form the Rust `safetensors`/`serde_json` writers produce:
/// compact, non-ASCII kept as UTF-8, only `"`, `\` and control characters
/// escaped. `pretty` indents by two spaces for people to read.
extension JSONValue {
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let literal): out += literal
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let elements):
            writeContainer(elements.map { (nil, $0) }, open: "[", close: "]", to: &out, pretty: pretty, indent: indent)
        case .object(let members):
            writeContainer(members.map { ($0.key, $0.value) }, open: "{", close: "}", to: &out, pretty: pretty, indent: indent)
        }
    }

    private func writeContainer(_ items: [(String?, JSONValue)], open: String, close: String,
                                to out: inout String, pretty: Bool, indent: Int) {
        out += open
        // Scalar-only arrays (shapes) stay on one line even when pretty.
        let breakLines = pretty && items.contains { item in
            if item.0 != nil { return true }
            switch item.1 { case .array, .object: return true; default: return false }
        }
        for (i, (key, value)) in items.enumerated() {
            if i > 0 { out += breakLines || !pretty ? "," : ", " }
            if breakLines { out += "\n" + String(repeating: "  ", count: indent + 1) }
            if let key {
                JSONValue.writeString(key, to: &out)
                out += pretty ? ": " : ":"
            }
            value.write(to: &out, pretty: pretty, indent: indent + 1)
        }
        if breakLines && !items.isEmpty { out += "\n" + String(repeating: "  ", count: indent) }
        out += close
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
