import TesseraDistill
import TesseraTrain

/// `tessera distill --resume RUN`: the run as its run.json records it, with what this command
/// line may change (`ResumeOptions`); the library's refusals said in the command line's terms.
extension DistillCommand {
    func resumeRun(_ folder: String, group: MPIProcessGroup?) throws -> DistillationRun {
        let changes = ResumeOptions(steps: steps, threads: threads.threads, recomputeCache: recomputeCache, cacheFolder: cache)
        do { return try DistillationRun.resume(folder: folder, with: changes, group: group) } catch DistillationRun.Failure.threads(let recorded, _) {
            throw CLIMessage("--threads \(threads.threads!): the run in \(folder) computes with \(recorded) threads (its run.json), and "
                             + "another count changes the last bits of every result; resume without --threads")
        } catch DistillationRun.Failure.cacheOutsideRun(let cache) {
            throw CLIMessage("--resume \(folder): the run's teacher cache \(cache) (run.json's cacheFolder) lies outside the run "
                             + "folder; give --cache \(cache) to let the resumed run write there")
        } catch DistillationRun.Failure.pastLastStep(let checkpoint, let step, let last) {
            throw CLIMessage("--resume \(folder): \(checkpoint) is at step \(step), past the run's last step \(last) (run.json's "
                             + "'steps'); give --steps \(step) or more with --resume")
        } catch DistillationRun.Failure.otherCacheFolder(let given, let recorded) {
            throw CLIMessage("--cache \(given): the run in \(folder) keeps its teacher cache \(recorded) (run.json)")
        }
    }
}
