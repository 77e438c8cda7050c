import COpenSlide

/// One OpenSlide handle, closed when the last read holding it lets go. OpenSlide's errors are
/// sticky: after one failed read (a corrupt tile) every later call on the handle fails too, so
/// `WholeSlide` replaces a handle that failed instead of reading on with it.
final class SlideHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(path: String) throws(SlideError) {
        guard let pointer = openslide_open(path) else { throw SlideError(path: path, problem: .unsupported) }
        self.pointer = pointer
        if let message = error { throw SlideError(path: path, problem: .openSlide(message)) }
    }

    deinit { openslide_close(pointer) }

    /// OpenSlide's error (`openslide_get_error`), nil while the handle is usable.
    var error: String? { openslide_get_error(pointer).map { String(cString: $0) } }

    func property(_ name: String) -> String? {
        openslide_get_property_value(pointer, name).map { String(cString: $0) }
    }

    /// `width` x `height` premultiplied ARGB pixels of `level` from the level-0 position (`x`, `y`).
    func read(into argb: inout [UInt32], x: Int, y: Int, level: Int, width: Int, height: Int) {
        argb.withUnsafeMutableBufferPointer {
            openslide_read_region(pointer, $0.baseAddress, Int64(x), Int64(y), Int32(level), Int64(width), Int64(height))
        }
    }
}
