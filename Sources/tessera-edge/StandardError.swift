import CPosix

/// Messages and progress on stderr (stdout is left to results).
enum StandardError {
    static func write(_ text: String) {
        fputs(text, stderr)
        fflush(stderr)
    }
}
