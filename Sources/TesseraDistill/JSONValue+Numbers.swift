import TesseraFormats

extension JSONValue {
    /// A number (a string for NaN and infinities, which JSON cannot hold).
    static func real(_ value: Double) -> JSONValue { value.isFinite ? .number("\(value)") : .string("\(value)") }
    static func integer(_ value: Int) -> JSONValue { .number(String(value)) }
}
