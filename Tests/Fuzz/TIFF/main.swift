import TesseraSlide

/// The TIFF pre-check (`TIFFPrecheck`) on the input's bytes, as `WholeSlide` runs it before
/// OpenSlide sees a file: every input is accepted or refused with a `SlideError` that names the
/// file; any other way out (a crash, an ASan report, a trap) stops the run.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    do {
        try TIFFPrecheck.check(UnsafeRawBufferPointer(start: data, count: size), path: "slide.svs")
    } catch {
        precondition(error.path == "slide.svs" && error.description.hasPrefix("slide.svs: "), "refusal \(error)")
    }
    return 0
}
