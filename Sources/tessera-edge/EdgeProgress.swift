import TesseraCore
import TesseraPipeline

/// A pipeline's events on stderr: one self-overwriting progress line per stage (tiles, then
/// the slide encoder's layers) with rate and ETA, redrawn at most every 0.2 s; skipped tiles
/// and warnings on lines of their own. A stage's clock starts when the previous event came
/// (the first stage's when this was made): the first event already counts finished work.
struct EdgeProgress {
    private var stage: (label: String, unit: String, start: Double)?
    private var lastDraw = -Double.infinity
    private var lastEvent = MonotonicClock.seconds

    mutating func show(_ event: SlidePipeline.Event) {
        defer { lastEvent = MonotonicClock.seconds }
        switch event {
        case .tiles(let done, let total): update("embed", "tiles", done, total)
        case .layers(let done, let total): update("slide encoder", "layers", done, total)
        case .skipped(let location, let error): line("skipped \(location): \(error)")
        case .warning(let text): line("warning: \(text)")
        }
    }

    /// The tile selection of a whole-slide file: `done` of the grid's `total` tiles read.
    mutating func selecting(_ done: Int, _ total: Int) {
        update("select", "tiles", done, total)
        lastEvent = MonotonicClock.seconds
    }

    /// Ends the progress line, if one was drawn.
    mutating func finish() {
        if stage != nil, lastDraw > -Double.infinity { StandardError.write("\n") }
        stage = nil
        lastDraw = -Double.infinity
    }

    private mutating func update(_ label: String, _ unit: String, _ done: Int, _ total: Int) {
        let now = MonotonicClock.seconds
        if stage?.label != label {
            finish()
            stage = (label, unit, lastEvent)
        }
        guard done == total || now - lastDraw >= 0.2, let stage else { return }
        lastDraw = now
        let rate = Double(done) / max(now - stage.start, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        StandardError.write("\r\(label): \(done)/\(total) \(unit), \(Self.fixed(rate, 1)) \(unit)/s, ETA \(Self.fixed(eta, 0)) s")
    }

    /// `text` on a line of its own, below the progress line.
    mutating func report(_ text: String) { line(text) }

    private mutating func line(_ text: String) {
        finish()
        StandardError.write(text + "\n")
    }

    /// `value` with `digits` decimals (no Foundation formatting on the edge).
    static func fixed(_ value: Double, _ digits: Int) -> String { SlidePrediction.fixed(value, digits) }
}
