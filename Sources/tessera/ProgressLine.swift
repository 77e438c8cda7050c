import Foundation

/// A single self-overwriting status line on stderr: done/total, rate and ETA.
/// Redrawn at most every 0.2 s; `finish()` ends the line if one was drawn.
struct ProgressLine {
    let label: String
    let total: Int
    let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(_ label: String, total: Int, unit: String) {
        self.label = label
        self.total = total
        self.unit = unit
    }

    mutating func update(_ done: Int) {
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? String(format: "%.0f s", Double(total - done) / rate) : "-"
        let line = String(format: "\r%@: %d/%d %@, %.1f %@/s, ETA %@", label, done, total, unit, rate, unit, eta)
        FileHandle.standardError.write(text: line)
    }

    func finish() {
        guard lastDraw != .distantPast else { return }
        FileHandle.standardError.write(text: "\n")
    }
}
