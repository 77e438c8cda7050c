import Foundation
import TesseraCore
import TesseraFormats
import TesseraPipeline

/// Block outputs of many tiles, [tiles, tokens, D] per block, appended batch by
/// batch to scratch files beside the output rather than kept in memory, then
/// handed back as memory-mapped tensors for the writer to stream out
/// (`tessera embed --hidden-states`). The files are `ScratchFile`s: gone after
/// SIGINT/SIGTERM, and after SIGKILL removed by the next run writing into the
/// same folder.
final class HiddenStateSpool: HiddenStateSink {
    private var handles: [FileHandle]
    private var files: [ScratchFile]
    private let paths: [String]
    private let rowFloats: Int
    private var rows = 0

    /// `depth` scratch files in `folder`, for rows of `tokens × dim` floats.
    init(folder: String, depth: Int, tokens: Int, dim: Int) throws {
        files = try (0..<depth).map { _ in try ScratchFile(folder: folder) }
        paths = files.map(\.path)
        rowFloats = tokens * dim
        handles = []
        for path in paths {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw FormatError(path: path, problem: .io(operation: "open the hidden-state spool", errno: errno))
            }
            handles.append(handle)
        }
    }

    /// Appends the rows x[rows.count, tokens, D] of block `block` (rows arrive in order).
    func consume(block: Int, rows batch: Range<Int>, _ x: UnsafePointer<Float>) throws(PipelineError) {
        let count = batch.count
        do {
            try handles[block].write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: x),
                                                      count: count * rowFloats * 4, deallocator: .none))
        } catch {
            // Foundation's error wraps the system's (ENOSPC, EIO): report that, naming the file.
            let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code
            let failure = FormatError(path: paths[block], problem: .io(operation: "write the hidden-state spool", errno: Int32(code ?? Int(EIO))))
            throw .hiddenStates(failure.description)
        }
        if block == 0 { rows += count }
    }

    /// The spooled blocks as mapped tensors [rows, tokens, D]; the scratch
    /// files are unlinked (the mappings keep their pages until released).
    func tensors(tokens: Int, dim: Int) throws(PipelineError) -> [Tensor] {
        defer { files = [] }  // each unlinks its file
        var tensors: [Tensor] = []
        for (handle, path) in zip(handles, paths) {
            let file: MappedFile
            do { try handle.close() } catch {
                throw .hiddenStates("\(path): cannot close the hidden-state spool (\(error.localizedDescription))")
            }
            do { file = try MappedFile(path: path) } catch {
                throw .hiddenStates("\(path): cannot read the hidden states back (\(error))")
            }
            let bytes = rows * rowFloats * 4
            guard file.bytes.count == bytes else {
                throw .hiddenStates(FormatError(path: path, problem: .byteSizeMismatch(expected: bytes, actual: file.bytes.count)).description)
            }
            tensors.append(Tensor(dtype: .f32, shape: [rows, tokens, dim], storage: Storage(file: file, range: 0..<bytes)))
        }
        handles = []
        return tensors
    }
}
