/// A plain error message for the user (exit code 1).
struct CLIMessage: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
