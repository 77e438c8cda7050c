import Foundation
import TesseraDistill
import TestSupport
import XCTest

/// What a folder of slides holds for a distillation: slide folders and whole-slide files, not the
/// other files users keep beside them.
final class DistillDatasetTests: XCTestCase {
    func testAFolderOfSlidesTakesSlidesAndLeavesOtherFilesOut() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: folder.file("b"), withDestinationPath: Fixtures.path("slide_folder/demo_slide"))
        try manager.createSymbolicLink(atPath: folder.file("a.SVS"), withDestinationPath: Fixtures.path("wsi/synth_a.svs"))
        // A damaged slide keeps its extension: listed, so that the run reports it.
        try Data("not a slide".utf8).write(to: URL(fileURLWithPath: folder.file("c.ndpi")))
        // Recognised by OpenSlide whatever its name.
        try manager.createSymbolicLink(atPath: folder.file("d.bin"), withDestinationPath: Fixtures.path("wsi/synth_b.svs"))
        for other in ["README.md", "labels.csv", "notes.txt"] {
            try Data("slide_id,label\n".utf8).write(to: URL(fileURLWithPath: folder.file(other)))
        }
        let dataset = try DistillDataset.open(folder.path)
        XCTAssertEqual(dataset.slides.map(\.name), ["a.SVS", "b", "c.ndpi", "d.bin"])
        XCTAssertEqual(dataset.slides.map(\.isWholeSlide), [true, false, true, true])
    }
}
