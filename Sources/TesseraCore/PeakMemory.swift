import CPosix

/// The most memory this process has held resident. On Linux it is `VmHWM` of
/// /proc/self/status: the high-water mark of this program's own address space.
/// `getrusage`'s `ru_maxrss` is not used there because it starts from the
/// launcher's peak when the launcher used vfork (Python's subprocess does), so
/// a 70 MB engine started from a 900 MB Python reports 900 MB.
public enum PeakMemory {
    /// Bytes; 0 when the system does not say.
    public static var residentBytes: Int {
        #if canImport(Darwin)
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)  // bytes on Darwin
        #else  // Linux, also for the Embedded build (its target OS is "none")
        return statusKilobytes(field: "VmHWM:") * 1024
        #endif
    }

    /// The value in kB of `field` (with its colon) in /proc/self/status, 0 when absent.
    static func statusKilobytes(field: StaticString) -> Int {
        let fd = tessera_open("/proc/self/status", O_RDONLY, 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            text += chunk[..<n]
        }
        let name = UnsafeBufferPointer(start: field.utf8Start, count: field.utf8CodeUnitCount)
        var lineStart = 0
        while lineStart < text.count {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            if lineEnd - lineStart > name.count, text[lineStart..<lineStart + name.count].elementsEqual(name) {
                var value = 0
                for byte in text[(lineStart + name.count)..<lineEnd] where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                }
                return value
            }
            lineStart = lineEnd + 1
        }
        return 0
    }
}
