import Foundation

/// A plain error message for the user (exit code 1).
struct CLIMessage: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

extension FileHandle {
    /// Writes `text` as UTF-8 (stderr messages and progress lines).
    func write(text: String) { write(Data(text.utf8)) }
}
