import XCTest
import Foundation
import TesseraFormats
import TesseraRunFolder
import TestSupport

/// `mpirun -np R tessera distill` (Open MPI, which `make test` installs): the ranks' run equals
/// the one-process run bit for bit, resumes with another rank count, survives a killed rank;
/// `--cache-only --shard K/N` fills the cache the training run then finds complete.
final class DistillMPITests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    /// Three slides made of the demo slide's tiles (a: 8 tiles, b: 9, c: 7).
    func data() throws -> String {
        let tiles = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("slide_folder/demo_slide")).sorted()
        for (name, range) in [("a", 0..<8), ("b", 5..<14), ("c", 2..<9)] {
            let slide = folder.file("data/" + name)
            try FileManager.default.createDirectory(atPath: slide, withIntermediateDirectories: true)
            for tile in tiles[range] {
                try FileManager.default.createSymbolicLink(atPath: slide + "/" + tile,
                                                           withDestinationPath: Fixtures.path("slide_folder/demo_slide/" + tile))
            }
        }
        return folder.file("data")
    }

    func options(steps: Int, data: String) -> [String] {
        ["distill", "--teacher", Fixtures.path("tile_teacher"), "--teacher-slide", Fixtures.path("slide_encoder"), "--data", data,
         "--init", Fixtures.path("distill/student_init.safetensors"), "--student-config", Fixtures.path("tile_student/config.json"),
         "--slide-depth", "1", "--slide-heads", "4", "--steps", "\(steps)", "--micro-batch", "3", "--warmup-steps", "1",
         "--tiles-per-step", "6", "--slides-per-step", "2", "--checkpoint-every", "1", "--threads", "1"]
    }

    /// The metrics lines without their timings (which differ from run to run) and the ranks' exchange.
    func metrics(_ run: String) throws -> [NSDictionary] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            var values = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for timing in ["tiles_per_s", "wait_s", "exchange_s", "exchange_bytes"] { values[timing] = nil }
            return values as NSDictionary
        }
    }

    /// Every tensor of the checkpoint (parameters, AdamW's moments) and of the student's files.
    func assertSameBits(_ run: String, _ other: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for name in ["checkpoint.safetensors", "student/model.safetensors", "slide_student/slide_encoder.safetensors",
                     "adaptor.safetensors", "teacher_head.safetensors"] {
            let a = try SafeTensors.read(path: run + "/" + name), b = try SafeTensors.read(path: other + "/" + name)
            XCTAssertEqual(a.names, b.names, name, file: file, line: line)
            for tensor in a.names {
                XCTAssertEqual(a[tensor]!.floats().map(\.bitPattern), b[tensor]!.floats().map(\.bitPattern), "\(name): \(tensor)",
                               file: file, line: line)
            }
        }
        XCTAssertEqual(try metrics(run), try metrics(other), file: file, line: line)
    }

    /// 2 slides per step, 3 steps: 2 ranks (one slide each) and 3 ranks (one rank idle) give the
    /// one-process run's bits; runs resumed with another rank count stay equal.
    func testRanksGiveTheOneProcessRunsBits() throws {
        let data = try data()
        let alone = try TesseraProcess.run(options(steps: 3, data: data) + ["-o", folder.file("alone")])
        XCTAssertEqual(alone.status, 0, alone.stderr)
        for ranks in [2, 3] {
            let run = folder.file("ranks\(ranks)")
            let result = try TesseraProcess.mpirun(ranks: ranks, options(steps: 3, data: data) + ["-o", run])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stderr.components(separatedBy: "step 3/3").count, 2, "rank 0 alone reports: \(result.stderr)")
            try assertSameBits(folder.file("alone"), run)
        }
        // Longer: the one-process run resumed by 2 ranks, the 2-rank run resumed alone.
        let byRanks = try TesseraProcess.mpirun(ranks: 2, ["distill", "--resume", folder.file("alone"), "--steps", "4"])
        XCTAssertEqual(byRanks.status, 0, byRanks.stderr)
        let byOne = try TesseraProcess.run(["distill", "--resume", folder.file("ranks2"), "--steps", "4"])
        XCTAssertEqual(byOne.status, 0, byOne.stderr)
        try assertSameBits(folder.file("alone"), folder.file("ranks2"))
    }

    /// Two job-array tasks fill disjoint halves of RUN/teacher_cache at once (a and c, then b:
    /// slide i to shard i mod 2), as do two ranks of `mpirun --cache-only`; the training run then
    /// computes no teacher target, and its cache files are those of a run that filled its own.
    func testCacheOnlyShardsFillTheCacheTheRunFindsComplete() throws {
        let data = try data()
        let run = folder.file("run")
        let shards = try (0..<2).map { k in
            try TesseraProcess.run(options(steps: 2, data: data) + ["-o", run, "--cache-only", "--shard", "\(k)/2"])
        }
        for shard in shards { XCTAssertEqual(shard.status, 0, shard.stderr) }
        XCTAssertTrue(shards[0].stderr.contains("teacher cache of shard 0/2: 2 slides with targets"), shards[0].stderr)
        XCTAssertTrue(shards[1].stderr.contains("teacher cache of shard 1/2: 1 slides with targets"), shards[1].stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/run.json"), "a cache-only fill starts no run")
        // Under mpirun the ranks are the shards: the same files.
        let ranks = try TesseraProcess.mpirun(ranks: 2, options(steps: 2, data: data) + ["-o", folder.file("ranks"), "--cache-only"])
        XCTAssertEqual(ranks.status, 0, ranks.stderr)
        let cached = try FileManager.default.contentsOfDirectory(atPath: run + "/teacher_cache").sorted()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.file("ranks/teacher_cache")).sorted(), cached)
        for name in cached {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder.file("ranks/teacher_cache/" + name))),
                           try Data(contentsOf: URL(fileURLWithPath: run + "/teacher_cache/" + name)), name)
        }
        let training = try TesseraProcess.run(options(steps: 2, data: data) + ["-o", run])
        XCTAssertEqual(training.status, 0, training.stderr)
        XCTAssertFalse(training.stderr.contains("teacher cache:"), "no target computed again: \(training.stderr)")
        let own = try TesseraProcess.run(options(steps: 2, data: data) + ["-o", folder.file("own")])
        XCTAssertEqual(own.status, 0, own.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: run + "/teacher_cache").sorted()
        XCTAssertEqual(files.count, 3, "\(files)")
        XCTAssertEqual(files, try FileManager.default.contentsOfDirectory(atPath: folder.file("own/teacher_cache")).sorted())
        try assertSameBits(run, folder.file("own"))
        for bad in ["2/2", "x/2", "-1/2", "1/0"] {
            let refused = try TesseraProcess.run(options(steps: 2, data: data) + ["-o", run, "--cache-only", "--shard", bad])
            XCTAssertEqual(refused.status, 64, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("--shard \(bad): expected K/N"), refused.stderr)
        }
    }

    /// A rank killed by SIGKILL mid-run ends the job; the last checkpoint is whole and a resume
    /// (alone) ends where the unbroken run ends, bit for bit.
    func testAKilledRankLeavesTheLastCheckpointAndTheRunResumes() throws {
        let data = try data()
        let run = folder.file("run")
        let job = Process()
        job.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        job.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "2", try TesseraProcess.product("tessera")]
            + options(steps: 12, data: data) + ["-o", run]
        job.standardError = FileHandle.nullDevice
        try job.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: run + "/checkpoint.safetensors"), job.isRunning, Date() < deadline {
            usleep(10_000)
        }
        XCTAssertTrue(job.isRunning, "the job ended before its first checkpoint was seen")
        let ranks = try TesseraProcess.run(executable: "/usr/bin/pgrep", ["-P", "\(job.processIdentifier)", "tessera"])
        let pids = ranks.stdout.split(separator: "\n").compactMap { Int32($0) }
        XCTAssertEqual(pids.count, 2, ranks.stdout)
        kill(pids.last!, SIGKILL)
        job.waitUntilExit()
        XCTAssertNotEqual(job.terminationStatus, 0)
        let kept = try SafeTensors.read(path: run + "/checkpoint.safetensors")
        XCTAssertFalse(kept.names.isEmpty)
        let resumed = try TesseraProcess.run(["distill", "--resume", run])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let straight = try TesseraProcess.run(options(steps: 12, data: data) + ["-o", folder.file("straight")])
        XCTAssertEqual(straight.status, 0, straight.stderr)
        try assertSameBits(run, folder.file("straight"))
    }

    /// Started by a launcher without Open MPI's library: a clear message, status 1, nothing written.
    func testWithoutOpenMPIsLibraryTheMessageSaysHowToGetIt() throws {
        let result = try TesseraProcess.run(options(steps: 1, data: try data()) + ["-o", folder.file("run")],
                                            environment: ["OMPI_COMM_WORLD_SIZE": "2", "TESSERA_MPI_LIBRARY": folder.file("libmpi.so.40")])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("started by an MPI launcher, but cannot load Open MPI's \(folder.file("libmpi.so.40"))"),
                      result.stderr)
        XCTAssertTrue(result.stderr.contains("apt install openmpi-bin"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("run")))
    }
}
