import Foundation
import TesseraCore

/// PRELIMINARY reader (to be hardened): safetensors = u64 header length,
/// JSON header, data. Tensors are views into the mapped file.
public enum SafeTensors {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let path: String
        public let message: String
        public var description: String { "\(path): \(message)" }
    }

    public static func read(path: String) throws -> StateDict {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw Error(path: path, message: "file shorter than the 8-byte header length") }
        let headerLength = Int(bytes.loadUnaligned(as: UInt64.self).littleEndian)
        guard headerLength <= 100_000_000, 8 + headerLength <= bytes.count else {
            throw Error(path: path, message: "header length \(headerLength) exceeds the file")
        }
        let json = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)]))
        guard let header = json as? [String: Any] else { throw Error(path: path, message: "header is not a JSON object") }
        let dataStart = 8 + headerLength
        var entries: [(String, Int, Tensor)] = []
        var dict = StateDict()
        for (name, value) in header {
            if name == "__metadata__" {
                dict.metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dt = info["dtype"] as? String, let dtype = DType(rawValue: dt),
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw Error(path: path, message: "tensor '\(name)': malformed entry") }
            let range = (dataStart + offsets[0])..<(dataStart + offsets[1])
            guard range.upperBound <= bytes.count, range.count == Tensor.elementCount(shape) * dtype.size else {
                throw Error(path: path, message: "tensor '\(name)': bad data_offsets")
            }
            entries.append((name, offsets[0], Tensor(dtype: dtype, shape: shape, storage: Storage(file: file, range: range))))
        }
        for (name, _, tensor) in entries.sorted(by: { $0.1 < $1.1 }) { dict.set(name, tensor) }
        return dict
    }
}

extension SafeTensors {
    /// PRELIMINARY writer (to be hardened: atomic, streaming, padded header).
    public static func write(_ dict: StateDict, to path: String) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for name in dict.names {
            let t = dict[name]!
            header[name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.bytes.count]]
            offset += t.bytes.count
        }
        if !dict.metadata.isEmpty { header["__metadata__"] = dict.metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in dict.names { data.append(contentsOf: dict[name]!.bytes) }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
