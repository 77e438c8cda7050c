import Foundation
import TesseraFinetune

/// Shows a fine-tuning run's steps on stderr: fold, step, loss, lr, steps/s and ETA, redrawn at
/// most every 0.2 s, one line kept per fold.
struct FinetuneReport {
    private var started = Date(), lastFoldEnd: Date?, firstStep: Int?, fold: Int?
    private var lastDraw = Date.distantPast

    mutating func show(_ p: FinetuneRun.Progress) {
        if p.fold != fold || firstStep == nil {
            // A fold's clock starts when the previous one ends (the first at the command's start)
            // and counts from the step before the first it reports (the resumed step).
            finish()
            (fold, firstStep) = (p.fold, p.step - 1)
            if let end = lastFoldEnd { started = end }
        }
        let now = Date()
        guard p.step == p.steps || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        if p.step == p.steps { lastFoldEnd = now }
        let done = Double(p.step - (firstStep ?? 0)), elapsed = max(now.timeIntervalSince(started), 1e-9)
        let rate = done / elapsed
        let name = p.fold.map { "fold \($0 + 1)/\(p.folds) " } ?? ""
        let eta = rate > 0 ? String(format: "%.0f s", Double(p.steps - p.step) / rate) : "-"
        FileHandle.standardError.write(text: String(format: "\r%@epoch %d  step %d/%d  loss %.4f  lr %.2e  %.3f steps/s  ETA %@",
                                                    name, p.epoch, p.step, p.steps, p.loss ?? .nan, p.lr, rate, eta))
    }

    mutating func finish() {
        guard lastDraw != .distantPast else { return }
        FileHandle.standardError.write(text: "\n")
        lastDraw = .distantPast
    }
}
