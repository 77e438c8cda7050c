#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TesseraCore

extension MappedFile {
    /// Maps `path`, reporting failures as `FormatError`s like every other problem with an input.
    /// Anything but a regular file is refused before it is opened: opening a
    /// FIFO would wait for a writer, a device could be read without end.
    static func checked(_ path: String) throws -> MappedFile {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw FormatError(path: path, problem: .notARegularFile)
        }
        do {
            return try MappedFile(path: path)
        } catch MappedFile.Error.open(_, let errno) {
            throw FormatError(path: path, problem: .io(operation: "open", errno: errno))
        } catch MappedFile.Error.map(_, let errno) {
            throw FormatError(path: path, problem: .io(operation: "mmap", errno: errno))
        } catch MappedFile.Error.notARegularFile {
            throw FormatError(path: path, problem: .notARegularFile)
        }
    }
}
