import Foundation

extension FileHandle {
    /// Writes `text` as UTF-8 (stderr messages and progress lines).
    func write(text: String) { write(Data(text.utf8)) }
}
