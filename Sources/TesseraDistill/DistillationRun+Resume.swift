import Foundation
import TesseraTrain

/// Resuming a run from its folder: run.json is checked as a new run's options are (one
/// validation), the files the run was started from against its identity, and the checkpoint
/// against both (its run's uuid, the options it was written with, its model's tensors exactly).
extension DistillationRun {
    /// The run in `folder`, locked, at its last checkpoint (or at the start when it has none);
    /// `changes` says what this resume changes or confirms. In a `group` (of any size: the run's
    /// ranks may change), the leader locks the folder and writes run.json; every rank reads.
    public static func resume(folder: String, with changes: ResumeOptions = ResumeOptions(),
                              group: (any ProcessGroup)? = nil) throws -> DistillationRun {
        let run = RunFolder(path: folder)
        let leads = Self.leads(group)
        let lock: RunFolderLock?
        var options: DistillationOptions
        let recorded: RunIdentity?
        do {
            lock = leads ? try run.lock() : nil
            (options, recorded) = try run.readRun()
        } catch let error as RunFolderError { throw Failure.resume(error.description) }
        if let threads = changes.threads, let count = options.threads, threads != count {
            throw Failure.threads(recorded: count, requested: threads)
        }
        let cache = run.teacherCache(options)
        if let given = changes.cacheFolder, RunFolder.resolved(given) != RunFolder.resolved(cache) {
            throw Failure.otherCacheFolder(given: given, recorded: cache)
        }
        if changes.cacheFolder == nil, !run.contains(cache) { throw Failure.cacheOutsideRun(cache: cache) }
        if let steps = changes.steps {
            guard recorded != nil else {
                throw Failure.resume("\(run.options) records no run identity (written before version 3): its length cannot be changed")
            }
            options.steps = steps
            do { try options.validate() } catch { throw Failure.resume("\(error)") }
        }
        let checkpoint = FileManager.default.fileExists(atPath: run.checkpoint) ? run.checkpoint : nil
        let resumed = try DistillationRun(options: options, folder: run, lock: lock, group: group, uuid: recorded?.uuid,
                                          recorded: recorded, checkpoint: checkpoint, recomputeCache: changes.recomputeCache)
        if leads, let identity = resumed.identity, changes.steps != nil { try run.write(options, identity: identity) }
        return resumed
    }

    /// Restores `checkpoint` into `trainer`, refusing one of another run (`uuid`: the run's, nil
    /// for a run without identity, whose checkpoints record none), one written with other options
    /// than `options`, and one past the run's last step. The schedule is then the options' (the
    /// same unless `--steps` changed the run's length).
    static func restore(_ trainer: Trainer, from checkpoint: String, options o: DistillationOptions, uuid: String?) throws {
        let metadata = try TrainingCheckpoint.restore(trainer, from: checkpoint)
        let written = metadata[RunFolder.checkpointUUIDKey]
        guard written == uuid else {
            throw Failure.resume("\(checkpoint) belongs to " + (written.map { "run \($0)" } ?? "no recorded run")
                                 + ", the run folder's run.json to " + (uuid.map { "run \($0)" } ?? "a run without identity")
                                 + ": a checkpoint from another run")
        }
        if uuid != nil {
            guard let text = metadata[RunFolder.checkpointOptionsKey], let was = try? DistillationOptions.decoded(text) else {
                throw Failure.resume("\(checkpoint) has no readable '\(RunFolder.checkpointOptionsKey)' metadata")
            }
            let changes = try o.changes(since: was)
            guard changes.isEmpty else {
                throw Failure.resume("run.json changed since \(checkpoint) was written: " + changes.joined(separator: "; ")
                                     + " (restore run.json, or start a new run)")
            }
        }
        guard trainer.step <= o.steps else {
            throw Failure.pastLastStep(checkpoint: checkpoint, step: trainer.step, steps: o.steps)
        }
        trainer.schedule = schedule(o)
    }

    /// The metadata every checkpoint of the run records: its uuid and the options (none for a
    /// run without identity).
    func checkpointMetadata() throws -> [String: String] {
        guard let identity else { return [:] }
        return [RunFolder.checkpointUUIDKey: identity.uuid, RunFolder.checkpointOptionsKey: try options.encoded()]
    }
}
