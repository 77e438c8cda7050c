/// Text from a file (names, keys, literals) as it may appear in an error
/// message, and the bound on a whole message: a hostile file can make neither
/// a long message nor one that spans lines.
public enum MessageText {
    /// Characters of one quoted value.
    public static let valueLimit = 80
    /// Characters of a whole message.
    public static let messageLimit = 1000

    /// `text` with control characters escaped, cut to `limit` characters with
    /// a count of what was left out.
    public static func excerpt(_ text: String, limit: Int = valueLimit) -> String {
        var out = ""
        var shown = 0
        for scalar in text.unicodeScalars {
            guard shown < limit else {
                out += "… (\(text.unicodeScalars.count - shown) more characters)"
                break
            }
            out += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
            shown += 1
        }
        return out
    }

    /// A message cut to `messageLimit` characters (the parts that describe
    /// values are already excerpts; this bounds their number).
    public static func capped(_ message: String) -> String {
        guard message.count > messageLimit else { return message }
        return String(message.prefix(messageLimit)) + "… (message cut)"
    }

    /// "a, b, c and 12 more": the first `limit` of `items`, each an excerpt.
    public static func list(_ items: [String], limit: Int = 10) -> String {
        let shown = items.prefix(limit).map { "'\(excerpt($0))'" }.joined(separator: ", ")
        return items.count > limit ? shown + " and \(items.count - limit) more" : shown
    }

    /// "[2, 3, 4]", or its first `limit` values and a count: shapes and strides from a file.
    public static func numbers(_ values: [Int], limit: Int = 8) -> String {
        let shown = values.prefix(limit).map(String.init).joined(separator: ", ")
        return "[" + shown + (values.count > limit ? ", … (\(values.count) values)" : "") + "]"
    }
}
