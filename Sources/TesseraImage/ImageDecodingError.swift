/// Why an image file could not be turned into pixels. Every error names the file.
public struct ImageDecodingError: Error, Equatable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The file could not be read at all (missing, a folder, no permission).
        case unreadable(String)
        /// The first bytes are not the PNG signature.
        case notPNG
        /// libpng stopped: bad chunk, CRC mismatch, bad compressed data, truncation.
        case corrupt(String)
        /// Width x height exceeds the decoder's pixel limit (checked before allocating).
        case tooLarge(width: Int, height: Int, limit: Int)
    }

    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .unreadable(let why): return "\(path): cannot read: \(why)"
        case .notPNG: return "\(path): not a PNG file (bad signature)"
        case .corrupt(let why): return "\(path): corrupt PNG: \(why)"
        case .tooLarge(let w, let h, let limit):
            return "\(path): image of \(w)x\(h) pixels exceeds the limit of \(limit) pixels"
        }
    }
}
