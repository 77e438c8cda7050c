import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// `tessera embed`, `tessera tile` and `tessera-edge run` on a DATASET: one output per slide,
/// equal whatever the sharding and to the single-slide command's; resumable; one bad slide
/// reported by name while the others are written; summary.json merged across shards.
final class DatasetCommandTests: XCTestCase {
    static let stampKey = "tessera.dataset.input"

    /// Three small slide folders (parts of the demo slide) in `folder/dataset`, and `extra`
    /// files copied in beside them (name: fixture path).
    func dataset(in folder: TemporaryFolder, extra: [String: String] = [:]) throws -> String {
        let dataset = folder.file("dataset")
        let tiles = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("slide_folder/demo_slide")).sorted()
        for (slide, range) in [("a", 0..<3), ("b", 3..<6), ("c", 6..<10)] {
            try FileManager.default.createDirectory(atPath: dataset + "/" + slide, withIntermediateDirectories: true)
            for name in tiles[range] {
                try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/demo_slide/" + name), toPath: dataset + "/" + slide + "/" + name)
            }
        }
        try "slides a, b, c\n".write(toFile: dataset + "/README.txt", atomically: true, encoding: .utf8)
        for (name, fixture) in extra { try FileManager.default.copyItem(atPath: Fixtures.path(fixture), toPath: dataset + "/" + name) }
        return dataset
    }

    let models = ["--tile-encoder", Fixtures.path("tile_student"), "--slide-encoder", Fixtures.path("slide_encoder_16h"), "--threads", "2"]

    func summary(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func statuses(_ folder: String) throws -> [String: String] {
        let slides = try XCTUnwrap(try summary(folder)["slides"] as? [String: [String: Any]])
        return slides.mapValues { $0["status"] as? String ?? "?" }
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Same tensors and the same metadata but the dataset's stamp.
    func assertSameOutput(_ path: String, _ reference: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let got = try SafeTensors.read(path: path), want = try SafeTensors.read(path: reference)
        XCTAssertEqual(got.names, want.names, path, file: file, line: line)
        for name in want.names {
            XCTAssertEqual(try XCTUnwrap(got[name]).shape, try XCTUnwrap(want[name]).shape, name, file: file, line: line)
            XCTAssertEqual(try XCTUnwrap(got[name]).floats(), try XCTUnwrap(want[name]).floats(), name, file: file, line: line)
        }
        XCTAssertEqual(got.metadata.filter { $0.key != Self.stampKey }, want.metadata.filter { $0.key != Self.stampKey }, path,
                       file: file, line: line)
    }

    /// Shards 0/1, K/2 and K/3 write the unsharded run's files byte for byte, each slide's the
    /// single-slide command's tensors and metadata; the shards' summaries merge into one.
    func testShardsMatchTheWholeRunAndTheSingleSlideCommand() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let dataset = try dataset(in: folder)
        let whole = folder.file("whole")
        let run = try TesseraProcess.run(["embed", dataset] + models + ["-o", whole])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("slide 3 of 3 (shard 0/1): c"), run.stderr)
        XCTAssertTrue(run.stderr.contains("ETA"), run.stderr)
        XCTAssertEqual(try statuses(whole), ["a": "done", "b": "done", "c": "done"])
        for slide in ["a", "b", "c"] {
            let single = folder.file("\(slide).single.safetensors")
            let result = try TesseraProcess.run(["embed", dataset + "/" + slide] + models + ["-o", single])
            XCTAssertEqual(result.status, 0, result.stderr)
            try assertSameOutput(whole + "/\(slide).safetensors", single)
            XCTAssertNotNil(try SafeTensors.read(path: whole + "/\(slide).safetensors").metadata[Self.stampKey])
        }
        for count in 1...3 {
            let out = folder.file("shards\(count)")
            var written: [String] = []
            for index in 0..<count {
                let result = try TesseraProcess.run(["embed", dataset] + models + ["-o", out, "--shard", "\(index)/\(count)"])
                XCTAssertEqual(result.status, 0, result.stderr)
                let mine = ["a", "b", "c"].enumerated().filter { $0.offset % count == index }.map { $0.element }
                XCTAssertEqual(try statuses(out).keys.sorted(), (written + mine).sorted(), "the summary keeps the other shards' slides")
                written += mine
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".safetensors") }.sorted(),
                           ["a.safetensors", "b.safetensors", "c.safetensors"])
            for slide in ["a", "b", "c"] {
                XCTAssertEqual(try bytes(out + "/\(slide).safetensors"), try bytes(whole + "/\(slide).safetensors"), "\(slide), \(count) shards")
            }
            let counts = try XCTUnwrap(try summary(out)["counts"] as? [String: Int])
            XCTAssertEqual(counts, ["done": 3, "skipped": 0, "failed": 0])
        }
    }

    /// A second run skips every slide; a changed option redoes them all; an output cut short
    /// is redone, the others skipped.
    func testResumeSkipsUpToDateOutputsAndRedoesStaleOnes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let dataset = try dataset(in: folder)
        let out = folder.file("out")
        let tileOnly = ["--tile-encoder", Fixtures.path("tile_student"), "--threads", "2"]
        let first = try TesseraProcess.run(["embed", dataset] + tileOnly + ["-o", out])
        XCTAssertEqual(first.status, 0, first.stderr)
        let before = try bytes(out + "/a.safetensors")
        let again = try TesseraProcess.run(["embed", dataset] + tileOnly + ["-o", out])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("a: up to date, skipped"), again.stderr)
        XCTAssertEqual(try statuses(out), ["a": "skipped", "b": "skipped", "c": "skipped"])
        let reason = try XCTUnwrap(try summary(out)["slides"] as? [String: [String: Any]])["a"]?["reason"] as? String
        XCTAssertEqual(reason, "up to date")
        // Another option that changes the numbers (the slide encoder added): every output is stale.
        let changed = try TesseraProcess.run(["embed", dataset] + models + ["-o", out])
        XCTAssertEqual(changed.status, 0, changed.stderr)
        XCTAssertEqual(try statuses(out), ["a": "done", "b": "done", "c": "done"])
        XCTAssertNotEqual(try bytes(out + "/a.safetensors"), before)
        XCTAssertNotNil(try SafeTensors.read(path: out + "/a.safetensors")["slide_embed"])
        // A file cut short (a copy killed midway, not this program's atomic write) is not taken as done.
        let whole = try bytes(out + "/b.safetensors")
        try whole.prefix(whole.count - 10).write(to: URL(fileURLWithPath: out + "/b.safetensors"))
        let resumed = try TesseraProcess.run(["embed", dataset] + models + ["-o", out])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try statuses(out), ["a": "skipped", "b": "done", "c": "skipped"])
        XCTAssertEqual(try bytes(out + "/b.safetensors"), whole)
        // A slide that changed (a tile added to its folder) is redone.
        let tile = try FileManager.default.contentsOfDirectory(atPath: dataset + "/a").sorted()[0]
        try FileManager.default.copyItem(atPath: dataset + "/a/" + tile, toPath: dataset + "/c/" + tile)
        let touched = try TesseraProcess.run(["embed", dataset] + models + ["-o", out])
        XCTAssertEqual(touched.status, 0, touched.stderr)
        XCTAssertEqual(try statuses(out), ["a": "skipped", "b": "skipped", "c": "done"])
        XCTAssertEqual(try SafeTensors.read(path: out + "/c.safetensors")["tile_embeds"]?.shape, [5, 64])
    }

    /// A shard killed by SIGKILL mid-slide (after its first slide's output appeared) leaves only
    /// whole outputs under the final names; the rerun skips those, redoes the rest, and ends
    /// with the uninterrupted run's files, byte for byte.
    func testAShardKilledMidSlideLeavesNothingARerunTakesAsDone() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let dataset = try dataset(in: folder)
        let teacher = ["--tile-encoder", Fixtures.path("tile_teacher"), "--batch", "1", "--threads", "1"]
        let whole = try TesseraProcess.run(["embed", dataset] + teacher + ["-o", folder.file("whole")])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let out = folder.file("out")
        let job = Process()
        job.executableURL = URL(fileURLWithPath: try TesseraProcess.product("tessera"))
        job.arguments = ["embed", dataset] + teacher + ["-o", out]
        job.standardError = FileHandle.nullDevice
        try job.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: out + "/a.safetensors"), job.isRunning, Date() < deadline { usleep(200) }
        XCTAssertTrue(job.isRunning, "the shard ended before it could be killed")
        kill(job.processIdentifier, SIGKILL)
        job.waitUntilExit()
        let left = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }
        for name in left { XCTAssertNoThrow(try SafeTensors.read(path: out + "/" + name), "\(name): a partial output under its final name") }
        let rerun = try TesseraProcess.run(["embed", dataset] + teacher + ["-o", out])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try statuses(out)["a"], "skipped")
        for slide in ["a", "b", "c"] {
            XCTAssertEqual(try bytes(out + "/\(slide).safetensors"), try bytes(folder.file("whole/\(slide).safetensors")), slide)
        }
    }

    /// A damaged whole-slide file among the slides fails by name; the others are written; exit 1.
    func testABadSlideIsReportedByNameAndTheOthersGoOn() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let dataset = try dataset(in: folder, extra: ["broken.svs": "wsi/hostile/truncated.svs"])
        let out = folder.file("out")
        let result = try TesseraProcess.run(["embed", dataset] + models + ["-o", out])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("error: broken.svs: "), result.stderr)
        XCTAssertTrue(result.stderr.contains("1 slide failed: broken.svs ("), result.stderr)
        XCTAssertEqual(try statuses(out), ["a": "done", "b": "done", "broken.svs": "failed", "c": "done"])
        let entry = try XCTUnwrap(try summary(out)["slides"] as? [String: [String: Any]])["broken.svs"]
        XCTAssertFalse((entry?["reason"] as? String ?? "").isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/broken.svs.safetensors"))
        XCTAssertEqual(try summary(out)["counts"] as? [String: Int], ["done": 3, "skipped": 0, "failed": 1])
    }

    /// A manifest (relative paths from its folder, a `val` column and comments) lists the slides;
    /// tessera-edge run shards it as tessera embed does, each output the single-slide run's.
    func testEdgeRunsAManifestInShards() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let dataset = try dataset(in: folder)
        let manifest = folder.file("slides.txt")
        try "# the cohort\ndataset/a\ndataset/b val\n\(dataset)/c  # absolute\n".write(toFile: manifest, atomically: true, encoding: .utf8)
        let bundle = folder.file("student.tsb")
        let export = try TesseraProcess.run(["export", "--tile-encoder", Fixtures.path("tile_student"), "--slide-encoder",
                                             Fixtures.path("slide_encoder_16h"), "--weights", "f32", "-o", bundle])
        XCTAssertEqual(export.status, 0, export.stderr)
        let whole = folder.file("whole"), shards = folder.file("shards")
        let run = try TesseraProcess.run(["run", bundle, manifest, "-o", whole, "--threads", "2"], program: "tessera-edge")
        XCTAssertEqual(run.status, 0, run.stderr)
        for index in 0..<2 {
            let result = try TesseraProcess.run(["run", bundle, manifest, "-o", shards, "--shard", "\(index)/2"], program: "tessera-edge")
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        XCTAssertEqual(try statuses(shards), ["a": "done", "b": "done", "c": "done"])
        for slide in ["a", "b", "c"] {
            XCTAssertEqual(try bytes(shards + "/\(slide).safetensors"), try bytes(whole + "/\(slide).safetensors"), slide)
            let single = folder.file("\(slide).safetensors")
            let result = try TesseraProcess.run(["run", bundle, dataset + "/" + slide, "-o", single], program: "tessera-edge")
            XCTAssertEqual(result.status, 0, result.stderr)
            try assertSameOutput(whole + "/\(slide).safetensors", single)
        }
        let again = try TesseraProcess.run(["run", bundle, manifest, "-o", whole], program: "tessera-edge")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try statuses(whole), ["a": "skipped", "b": "skipped", "c": "skipped"])
    }

    /// tessera tile on a folder of whole-slide files, in two shards, writes the unsharded run's folders.
    func testTileShardsMatchTheWholeRun() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let dataset = folder.file("wsi")
        try FileManager.default.createDirectory(atPath: dataset, withIntermediateDirectories: true)
        for name in ["synth_a.svs", "synth_b.svs"] { try FileManager.default.copyItem(atPath: Fixtures.path("wsi/" + name), toPath: dataset + "/" + name) }
        let whole = folder.file("whole"), shards = folder.file("shards")
        let run = try TesseraProcess.run(["tile", dataset, "-o", whole, "--threads", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        for index in 0..<2 {
            let result = try TesseraProcess.run(["tile", dataset, "-o", shards, "--shard", "\(index)/2", "--threads", "2"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        for slide in ["synth_a.svs", "synth_b.svs"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: whole + "/" + slide).sorted()
            XCTAssertTrue(names.contains("dataset.csv") && names.contains("dataset-input.json"), "\(names)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: shards + "/" + slide).sorted(), names)
            for name in names { XCTAssertEqual(try bytes(shards + "/\(slide)/\(name)"), try bytes(whole + "/\(slide)/\(name)"), name) }
        }
        let again = try TesseraProcess.run(["tile", dataset, "-o", shards])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try statuses(shards), ["synth_a.svs": "skipped", "synth_b.svs": "skipped"])
    }

    /// --shard K/N outside 0 <= K < N, or not two numbers, is a usage error of every command.
    func testShardRefusals() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let dataset = try dataset(in: folder)
        for shard in ["3/3", "x/2", "-1/2", "1/0", "1"] {
            for (arguments, program) in [(["embed", dataset, "--tile-encoder", Fixtures.path("tile_student"), "-o", folder.file("o")], "tessera"),
                                         (["tile", dataset, "-o", folder.file("o")], "tessera"),
                                         (["run", "b.tsb", dataset, "-o", folder.file("o")], "tessera-edge")] {
                let result = try TesseraProcess.run(arguments + ["--shard", shard], program: program)
                XCTAssertEqual(result.status, 64, "\(program) \(arguments[0]) --shard \(shard): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("--shard \(shard): expected K/N"), result.stderr)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("o")))
    }
}
