import CPosix

// tessera-edge: the edge engine's command (see EdgeMain).
//
// Embedded Swift has no CommandLine: that build takes the C entry point itself
// (scripts/build-aarch64 renames the entry of this file's top-level code, empty there).
#if hasFeature(Embedded)
@_cdecl("main")
func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    EdgeMain.run((1..<max(Int(argc), 1)).map { String(cString: argv[$0]!) })
}
#else
exit(EdgeMain.run(Array(CommandLine.arguments.dropFirst())))
#endif
