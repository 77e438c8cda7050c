import CPosix
import TesseraCore

/// Resident pages of a memory-mapped file count towards the process's RSS.
/// Streaming a 4.5 GB checkpoint would therefore end with 4.5 GB resident
/// unless the pages already copied out are handed back.
enum MappedPages {
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Drops the whole pages inside `bytes` of `storage` from memory. The
    /// mapping is read-only and private, so the kernel reloads them from the
    /// file if they are touched again. Heap storage is left alone (there the
    /// same call would zero the data).
    static func release(_ bytes: UnsafeRawBufferPointer, of storage: Storage) {
        guard storage.isMapped, let base = bytes.baseAddress else { return }
        let start = (Int(bitPattern: base) + pageSize - 1) / pageSize * pageSize
        let end = (Int(bitPattern: base) + bytes.count) / pageSize * pageSize
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        madvise(pointer, end - start, MADV_DONTNEED)
    }
}
