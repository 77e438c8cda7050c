import CPosix

/// The C interface's last failure message, one per thread (a C string owned by the thread's slot).
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    private static let empty: StaticString = ""

    /// Replaces this thread's message ("" clears it).
    static func set(_ message: String) {
        free(pthread_getspecific(key))
        pthread_setspecific(key, message.isEmpty ? nil : strdup(message))
    }

    /// This thread's message, "" when none.
    static var message: UnsafePointer<CChar> {
        let text = pthread_getspecific(key) ?? UnsafeMutableRawPointer(mutating: empty.utf8Start)
        return UnsafePointer(text.assumingMemoryBound(to: CChar.self))
    }
}
