import CTesseraKernels

/// The kernel paths as the tests walk them.
enum KernelPaths {
    static let all: [tk_path] = (0..<UInt32(TK_PATH_COUNT)).map { tk_path(rawValue: $0) }

    /// Every path this machine runs; scalar first.
    static var supported: [tk_path] { all.filter { tk_path_supported($0) != 0 } }

    static func name(_ path: tk_path) -> String { String(cString: tk_path_name(path)) }
}
