import CPosix

// The guards that protect memory (mapped ranges, arena capacity, shape products, kernel
// status): kept in every build. `precondition` is not: -Ounchecked, which the numeric
// modules are built with, removes it, and makes `preconditionFailure` undefined behaviour;
// in Embedded Swift it removes `fatalError` too (a small program built so ran on past one),
// and no optimised Embedded build prints their messages. A C call that writes the message
// and traps is removed by no build. One guard per call or tensor, never per element:
// measured inner loops keep going without bounds checks.

/// Stops the program with `message` when `condition` is false, in every build (see above).
@inlinable @inline(__always)
public func guarantee(_ condition: Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    if !condition { guaranteeFailure(message(), file: file, line: line) }
}

/// Writes "FILE:LINE: Fatal error: MESSAGE" to stderr, as `fatalError` does on the host, and
/// stops the program with a trap instruction (SIGILL on x86-64, SIGTRAP on aarch64), in every build.
public func guaranteeFailure(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    var text = file.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
    text += ":" + String(line) + ": Fatal error: " + message + "\n"
    text.withUTF8 { tessera_trap($0.baseAddress, $0.count) }
}
