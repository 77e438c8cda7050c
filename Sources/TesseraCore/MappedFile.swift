import CPosix

/// A whole file mapped read-only. Pages load lazily, so a 4.5 GB checkpoint
/// costs address space, not heap. The mapping lives as long as this object.
/// Only regular files are mapped; the open does not block, so a FIFO is refused, not waited on.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public enum Error: Swift.Error, CustomStringConvertible {
        case open(path: String, errno: Int32)
        case map(path: String, errno: Int32)
        case notARegularFile(path: String)

        public var description: String {
            switch self {
            case .open(let path, let e): return "\(path): cannot open: \(String(cString: strerror(e)))"
            case .map(let path, let e): return "\(path): cannot map: \(String(cString: strerror(e)))"
            case .notARegularFile(let path): return "\(path): not a regular file"
            }
        }
    }

    public init(path: String) throws(Error) {
        self.path = path
        let fd = tessera_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0)
        guard fd >= 0 else { throw Error.open(path: path, errno: tessera_errno()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Error.open(path: path, errno: tessera_errno()) }
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) else { throw Error.notARegularFile(path: path) }
        let length = Int(info.st_size)
        if length == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), base != tessera_map_failed() else {
            throw Error.map(path: path, errno: tessera_errno())
        }
        bytes = UnsafeRawBufferPointer(start: base, count: length)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
