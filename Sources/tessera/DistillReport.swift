import Foundation
import TesseraDistill

/// Shows a distillation's events on stderr: the teacher cache's progress line, one line per
/// step (loss, its parts, tiles/s, ETA), validations and checkpoints.
struct DistillReport {
    let steps: Int
    let startStep: Int
    private let started = Date()
    private var cacheProgress: ProgressLine?
    private var storedBytes = 0, rawBytes = 0, zstdBytes = 0

    init(steps: Int, startStep: Int) {
        self.steps = steps
        self.startStep = startStep
    }

    mutating func show(_ event: DistillationRun.Event) {
        switch event {
        case .cache(.tiles(let done, let total)):
            if cacheProgress == nil { cacheProgress = ProgressLine("teacher cache", total: total, unit: "tiles") }
            cacheProgress?.update(done)
        case .cache(.cached(_, let raw, let packed, let stored)):
            rawBytes += raw
            zstdBytes += packed
            storedBytes += stored
        case .cache(.skipped(let path, let error)), .skipped(let path, let error):
            line("skipped \(path): \(error)")
        case .cache(.warning(let text)):
            line("warning: \(text)")
        case .step(let m):
            if rawBytes > 0 {
                line(String(format: "teacher cache: %.1f MB of targets, zstd ratio %.3f, %.1f MB stored%@",
                            Double(rawBytes) / 1e6, Double(zstdBytes) / Double(rawBytes), Double(storedBytes) / 1e6,
                            storedBytes == rawBytes ? " (raw: zstd saves under 10%)" : ""))
                rawBytes = 0
            }
            let elapsed = Date().timeIntervalSince(started), done = m.step - startStep
            let eta = done > 0 ? elapsed / Double(done) * Double(m.of - m.step) : 0
            line(String(format: "step %d/%d  loss %.6f (hidden %.6f, slide %.6f)  lr %.2e  grad norm %.4f  %.1f tiles/s  ETA %.0f s",
                        m.step, m.of, m.loss, m.lossHidden, m.lossSlide, m.lr, m.gradNorm, m.tilesPerSecond, eta))
        case .validation(let v):
            line(String(format: "validation at step %d: L_hidden %.6f, L_slide %.6f, slide cosine %.4f, teacher-head cosine (min) %.4f",
                        v.step, v.lossHidden, v.lossSlide, v.slideCosine, v.headCosine))
        case .checkpoint(let step, let path):
            line("checkpoint at step \(step): \(path)")
        }
    }

    mutating func finish() {
        cacheProgress?.finish()
        cacheProgress = nil
    }

    private mutating func line(_ text: String) {
        finish()
        FileHandle.standardError.write(text: text + "\n")
    }
}
