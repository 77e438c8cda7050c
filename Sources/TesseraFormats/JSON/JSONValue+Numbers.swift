import TesseraIO

extension JSONValue {
    /// A number (a string for NaN and infinities, which JSON cannot hold).
    public static func real(_ value: Double) -> JSONValue { value.isFinite ? .number("\(value)") : .string("\(value)") }
    public static func integer(_ value: Int) -> JSONValue { .number(String(value)) }
}
