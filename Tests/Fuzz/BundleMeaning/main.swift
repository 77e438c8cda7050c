import TesseraCore

/// What bundles mean, fuzzed: every input is a `BundleMutator` mutant (a runnable bundle with
/// configuration fields or tensor values set to extremes, checksums and layout redone), opened
/// and run by the edge engine on two tiles of noise. It must be refused by the engine's own
/// error, or every output value must be finite: a NaN or infinity written is a finding.
private let mutator = BundleMutator()
private let tiles = NoiseTiles()
/// One thread: the models are tiny, and handing each of their many small loops to a pool
/// thread on a loaded machine cost more than the loops (a fifth of a second per input).
private let oneThread: Void = { Parallel.threadCount = 1 }()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    oneThread
    let bytes = mutator.mutant(Array(UnsafeBufferPointer(start: data, count: size)))
    let path = bytes.withUnsafeBufferPointer { FuzzInput.path($0.baseAddress!, $0.count) }
    if case .nonFinite(let what) = BundleMutator.run(path: path, tiles: tiles) {
        fatalError("a bundle ran to a non-finite output: \(what)")
    }
    return 0
}
