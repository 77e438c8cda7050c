import TesseraCore

/// Streams one tensor's bytes into a file in bounded chunks, converting the
/// dtype on the way when asked.
enum TensorStream {
    /// Elements per chunk: 16 MB of F32, so buffers stay small next to any checkpoint.
    static let chunkElements = 4 << 20

    static func write(_ tensor: Tensor, as target: DType, to file: AtomicFile, wrote: (Int) -> Void) throws(FormatError) {
        let source = tensor.bytes
        if target == tensor.dtype {
            let chunkBytes = chunkElements * 4
            var start = 0
            while start < source.count {
                let chunk = UnsafeRawBufferPointer(rebasing: source[start..<min(start + chunkBytes, source.count)])
                try file.write(chunk)
                MappedPages.release(chunk, of: tensor.storage)
                wrote(chunk.count)
                start += chunk.count
            }
            return
        }
        let n = min(chunkElements, tensor.count)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { scratch.deallocate() }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: n * target.size, alignment: 64)
        defer { output.deallocate() }
        var first = 0
        while first < tensor.count, let base = source.baseAddress, let out = output.baseAddress {
            let count = min(n, tensor.count - first)
            let input = base + first * tensor.dtype.size
            ElementConversion.convert(input, from: tensor.dtype, to: out, target, count: count, scratch: scratch)
            try file.write(UnsafeRawBufferPointer(start: out, count: count * target.size))
            MappedPages.release(UnsafeRawBufferPointer(start: input, count: count * tensor.dtype.size), of: tensor.storage)
            wrote(count * target.size)
            first += count
        }
    }
}
