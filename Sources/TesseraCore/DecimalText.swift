import CPosix

/// A decimal number's text as a Double, through the C library's `strtod`: Embedded Swift's
/// `Double(String)` calls a runtime function its standard library lacks.
public enum DecimalText {
    /// nil unless the whole text is one number.
    public static func double(_ text: String) -> Double? {
        text.withCString { start in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(start, &end)
            guard let end, end != UnsafeMutablePointer(mutating: start), end.pointee == 0 else { return nil }
            return value
        }
    }
}
