import Foundation
import TesseraCore
import TesseraPipeline

/// Block outputs of many tiles, [tiles, tokens, D] per block, appended batch by
/// batch to scratch files beside the output rather than kept in memory, then
/// handed back as memory-mapped tensors for the writer to stream out
/// (`tessera embed --hidden-states`).
final class HiddenStateSpool: HiddenStateSink {
    private var handles: [FileHandle]
    private let paths: [String]
    private let rowFloats: Int
    private var rows = 0

    /// `depth` scratch files in `folder`, for rows of `tokens × dim` floats.
    init(folder: String, depth: Int, tokens: Int, dim: Int) throws {
        let tag = UUID().uuidString
        paths = (0..<depth).map { "\(folder)/.tessera-hidden-\(tag)-\($0)" }
        rowFloats = tokens * dim
        handles = []
        for path in paths {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            handles.append(handle)
        }
    }

    deinit { removeFiles() }

    /// Appends `count` rows x[count, tokens, D] of block `block`.
    func append(block: Int, count: Int, _ x: UnsafePointer<Float>) throws(PipelineError) {
        do {
            try handles[block].write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: x),
                                                      count: count * rowFloats * 4, deallocator: .none))
        } catch {
            throw .hiddenStates("\(paths[block]): cannot write the hidden states (\(error.localizedDescription))")
        }
        if block == 0 { rows += count }
    }

    /// The spooled blocks as mapped tensors [rows, tokens, D]; the scratch
    /// files are unlinked (the mappings keep their pages until released).
    func tensors(tokens: Int, dim: Int) throws(PipelineError) -> [Tensor] {
        defer { removeFiles() }
        var tensors: [Tensor] = []
        for (handle, path) in zip(handles, paths) {
            let file: MappedFile
            do {
                try handle.close()
                file = try MappedFile(path: path)
            } catch {
                throw .hiddenStates("\(path): cannot read the hidden states back (\(error.localizedDescription))")
            }
            let bytes = rows * rowFloats * 4
            guard file.bytes.count == bytes else {
                throw .hiddenStates("\(path): \(file.bytes.count) bytes of hidden states, expected \(bytes)")
            }
            tensors.append(Tensor(dtype: .f32, shape: [rows, tokens, dim], storage: Storage(file: file, range: 0..<bytes)))
        }
        handles = []
        return tensors
    }

    private func removeFiles() {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}
