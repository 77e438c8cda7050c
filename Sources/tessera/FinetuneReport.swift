import Foundation
import TesseraFinetune

/// Shows a fine-tuning run's steps on stderr: fold, step, loss, lr, steps/s and ETA, redrawn at
/// most every 0.2 s, one line kept per fold.
struct FinetuneReport {
    private var started = Date(), firstStep: Int?, fold: Int?
    private var lastDraw = Date.distantPast

    mutating func show(_ p: FinetuneRun.Progress) {
        if p.fold != fold || firstStep == nil {
            finish()
            (fold, firstStep, started) = (p.fold, p.step, Date())
        }
        let now = Date()
        guard p.step == p.steps || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let done = Double(p.step - (firstStep ?? 0)), elapsed = max(now.timeIntervalSince(started), 1e-9)
        let rate = done / elapsed
        let name = p.fold.map { "fold \($0 + 1)/\(p.folds) " } ?? ""
        FileHandle.standardError.write(text: String(format: "\r%@epoch %d  step %d/%d  loss %.4f  lr %.2e  %.2f steps/s  ETA %.0f s",
                                                    name, p.epoch, p.step, p.steps, p.loss ?? .nan, p.lr, rate,
                                                    rate > 0 ? Double(p.steps - p.step) / rate : .nan))
    }

    mutating func finish() {
        guard lastDraw != .distantPast else { return }
        FileHandle.standardError.write(text: "\n")
        lastDraw = .distantPast
    }
}
