import CTesseraKernels
import Foundation
import XCTest

final class KernelPathTests: XCTestCase {
    func testNamesRoundTrip() {
        XCTAssertEqual(KernelPaths.all.map(KernelPaths.name),
                       ["scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neon-dotprod", "neon-i8mm", "avx512bf16", "neon-bf16"])
        for path in KernelPaths.all {
            var parsed = TK_PATH_SCALAR
            XCTAssertEqual(tk_path_from_name(tk_path_name(path), &parsed), TK_OK)
            XCTAssertEqual(parsed, path)
        }
        var parsed = TK_PATH_SCALAR
        XCTAssertEqual(tk_path_from_name("avx1024", &parsed), TK_ERR_ARGUMENT)
        XCTAssertNil(tk_path_name(tk_path(rawValue: UInt32(TK_PATH_COUNT))))
    }

    func testBestPathIsSupportedAndScalarAlwaysIs() {
        XCTAssertNotEqual(tk_path_supported(TK_PATH_SCALAR), 0)
        XCTAssertNotEqual(tk_path_supported(tk_best_path()), 0)
        print("kernel paths here:", KernelPaths.supported.map(KernelPaths.name), "best:", KernelPaths.name(tk_best_path()))
    }

    /// Detection agrees with the flags Linux reports for this CPU.
    func testDetectionMatchesProcCpuinfo() throws {
        #if os(Linux)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") || $0.hasPrefix("Features") }
        let flags = Set((flagsLine ?? "").split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
        func has(_ names: String...) -> Bool { names.allSatisfy(flags.contains) }
        func supported(_ path: tk_path) -> Bool { tk_path_supported(path) != 0 }
        #if arch(x86_64)
        XCTAssertEqual(supported(TK_PATH_AVX2), has("avx2", "fma", "f16c"))
        XCTAssertEqual(supported(TK_PATH_AVXVNNI), has("avx2", "fma", "f16c", "avx_vnni"))
        XCTAssertEqual(supported(TK_PATH_AVX512VNNI),
                       has("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"))
        XCTAssertEqual(supported(TK_PATH_AVX512BF16),
                       has("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16"))
        XCTAssertFalse(supported(TK_PATH_NEON))
        #elseif arch(arm64)
        XCTAssert(supported(TK_PATH_NEON))
        XCTAssertEqual(supported(TK_PATH_NEON_DOTPROD), has("asimddp"))
        XCTAssertEqual(supported(TK_PATH_NEON_I8MM), has("i8mm"))
        XCTAssertEqual(supported(TK_PATH_NEON_BF16), has("i8mm", "bf16"))
        XCTAssertFalse(supported(TK_PATH_AVX2))
        #endif
        #endif
    }
}
