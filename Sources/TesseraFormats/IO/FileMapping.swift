import TesseraCore

extension MappedFile {
    /// Maps `path`, reporting failures as `FormatError`s like every other problem with an input.
    static func checked(_ path: String) throws -> MappedFile {
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
