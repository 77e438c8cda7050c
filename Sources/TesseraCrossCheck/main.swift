import CPosix

// tessera-crosscheck: runs the same computations in any build (the host's through
// SwiftPM, the aarch64 Embedded Swift one from scripts/build-aarch64) and compares
// the result files two builds wrote. See CrossCheck.usage.
//
// Embedded Swift has no CommandLine: that build takes the C entry point itself
// (scripts/build-aarch64 renames the entry of this file's top-level code, empty there).
#if hasFeature(Embedded)
@_cdecl("main")
func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    CrossCheck.main((0..<Int(argc)).map { String(cString: argv[$0]!) })
}
#else
exit(CrossCheck.main(CommandLine.arguments))
#endif
