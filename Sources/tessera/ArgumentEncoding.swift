import ArgumentParser
import Foundation

/// Swift reads the command line as UTF-8 and replaces invalid bytes, so a file
/// name in another encoding would reach the commands as a different name and
/// fail as "No such file". Such an argument is refused up front instead,
/// saying which one and why.
enum ArgumentEncoding {
    /// A usage error for the first argument that is not valid UTF-8, nil when all are.
    static func firstInvalid() -> ValidationError? {
        for index in 1..<Int(CommandLine.argc) {
            guard let argument = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(argument).assumingMemoryBound(to: UInt8.self),
                                            count: strlen(argument))
            guard String(validating: bytes, as: UTF8.self) == nil else { continue }
            let shown = bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16, uppercase: true) }
            return ValidationError("argument \(index) ('\(shown.joined())') is not valid UTF-8; "
                                   + "rename the file: Tessera takes UTF-8 file names only")
        }
        return nil
    }
}
