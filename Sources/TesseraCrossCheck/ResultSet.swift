import CPosix
import TesseraCore

/// Named float tensors in order, as a cross-check results file holds them
/// (formats/crosscheck-results.md): text, each value as the 8 hex digits of its
/// bits, so a file is exact and can be read and diffed by hand.
struct ResultSet {
    struct Entry {
        let name: String
        let shape: [Int]
        let values: [Float]
    }

    static let signature = "tessera-crosscheck results 1"
    static let valuesPerLine = 8

    private(set) var entries: [Entry] = []

    func contains(_ name: String) -> Bool { entries.contains { $0.name == name } }

    mutating func append(_ name: String, shape: [Int], _ values: [Float]) {
        precondition(!name.isEmpty && !name.utf8.contains(where: { $0 <= 32 || $0 >= 127 }),
                     "result name \"\(name)\" must be printable ASCII without spaces")
        precondition(Tensor.elementCount(shape) == values.count, "\(name): \(values.count) values for its shape")
        entries.append(Entry(name: name, shape: shape, values: values))
    }

    // MARK: - Writing

    func write(to path: String) throws(CrossCheckError) {
        var text = Array((Self.signature + "\n").utf8)
        for entry in entries {
            text += Array(([entry.name] + entry.shape.map { String($0) }).joined(separator: " ").utf8)
            for (i, value) in entry.values.enumerated() {
                text.append(i % Self.valuesPerLine == 0 ? 10 : 32)  // newline or space
                Self.appendHex(value.bitPattern, to: &text)
            }
            text.append(10)
        }
        guard let file = fopen(path, "wb") else { throw failure(path, "cannot create") }
        let written = fwrite(text, 1, text.count, file)
        guard fclose(file) == 0, written == text.count else { throw failure(path, "cannot write") }
    }

    private func failure(_ path: String, _ what: String) -> CrossCheckError {
        CrossCheckError(message: "\(path): \(what): " + String(cString: strerror(tessera_errno())))
    }

    private static func appendHex(_ bits: UInt32, to text: inout [UInt8]) {
        for shift in stride(from: 28, through: 0, by: -4) {
            let nibble = UInt8(truncatingIfNeeded: bits >> UInt32(shift)) & 15
            text.append(nibble < 10 ? 48 + nibble : 87 + nibble)  // 0-9, a-f
        }
    }

    // MARK: - Reading

    static func read(path: String) throws(CrossCheckError) -> ResultSet {
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            throw CrossCheckError(message: error.description)
        }
        return try withExtendedLifetime(file) { () throws(CrossCheckError) -> ResultSet in
            var lines = Lines(bytes: file.bytes)
            func fail(_ what: String) -> CrossCheckError {
                CrossCheckError(message: "\(path):\(lines.number): \(what)")
            }
            guard let first = lines.next(), String(decoding: first, as: UTF8.self) == signature else {
                throw fail("expected \"\(signature)\"")
            }
            var results = ResultSet()
            while let header = lines.next() {
                let fields = header.split(separator: 32)
                let dims = fields.dropFirst().map { Int(String(decoding: $0, as: UTF8.self)) }
                guard let first = fields.first, dims.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                    throw fail("expected a tensor line: NAME DIM...")
                }
                let name = String(decoding: first, as: UTF8.self)
                guard !results.contains(name) else { throw fail("tensor \(name) appears twice") }
                let shape = dims.map { $0! }, count = Tensor.elementCount(shape)
                var values: [Float] = []
                values.reserveCapacity(count)
                while values.count < count {
                    guard let line = lines.next() else { throw fail("\(count) values expected, file ends") }
                    let words = line.split(separator: 32)
                    guard words.count == min(valuesPerLine, count - values.count) else {
                        throw fail("\(min(valuesPerLine, count - values.count)) values expected")
                    }
                    for word in words {
                        guard let bits = parseHex(word) else { throw fail("expected 8 hex digits") }
                        values.append(Float(bitPattern: bits))
                    }
                }
                results.append(name, shape: shape, values)
            }
            return results
        }
    }

    private static func parseHex(_ word: UnsafeRawBufferPointer.SubSequence) -> UInt32? {
        guard word.count == 8 else { return nil }
        var bits: UInt32 = 0
        for c in word {
            let digit: UInt8
            switch c {
            case 48...57: digit = c - 48
            case 97...102: digit = c - 87
            default: return nil
            }
            bits = bits << 4 | UInt32(digit)
        }
        return bits
    }

    /// The lines of a file (without their newline), counted from 1.
    private struct Lines {
        let bytes: UnsafeRawBufferPointer
        var offset = 0, number = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func next() -> UnsafeRawBufferPointer.SubSequence? {
            guard offset < bytes.count else { return nil }
            let end = bytes[offset...].firstIndex(of: 10) ?? bytes.count
            defer { offset = end + 1 }
            number += 1
            return bytes[offset..<end]
        }
    }
}
