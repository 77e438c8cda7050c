import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// `tessera compare --tolerance` as a check (scripts/cross-check relies on it): an output passes
/// against itself; a tensor off by more than the bound, and one missing, fail the command by name.
final class CompareCommandTests: XCTestCase {
    func testToleranceNamesWhatDiffersOrIsMissing() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let reference = Fixtures.path("slide_folder/expected.safetensors")
        let same = try TesseraProcess.run(["compare", reference, reference, "--tolerance", "0"])
        XCTAssertEqual(same.status, 0, same.stderr)

        // tile_embeds off by 1e-4 of its largest magnitude at one element; last_layer_embed left out.
        let dict = try SafeTensors.read(path: reference)
        var changed = StateDict()
        for name in ["coords", "encoder_out_embed", "tile_embeds"] {
            var values = dict[name]!.floats()
            if name == "tile_embeds" { values[5] += 1e-4 * values.map(abs).max()! }
            changed.set(name, Tensor(shape: dict[name]!.shape, floats: values))
        }
        let output = folder.file("changed.safetensors")
        try SafeTensors.write(changed, to: output)
        let loose = try TesseraProcess.run(["compare", output, reference, "--tolerance", "1e-3", "--only", "tile_embeds,coords"])
        XCTAssertEqual(loose.status, 0, loose.stderr)
        let strict = try TesseraProcess.run(["compare", output, reference, "--tolerance", "1e-5"])
        XCTAssertNotEqual(strict.status, 0)
        XCTAssertTrue(strict.stderr.contains("not in it with the same shape: last_layer_embed")
                      && strict.stderr.contains("relative error above 1e-05: tile_embeds"), strict.stderr)
    }
}
