import TesseraCore
import TesseraPipeline

/// What a `tessera-edge` command line asks for.
enum EdgeCommand: Equatable {
    case run(bundle: String, slide: String, output: String, threads: Int?, shard: Shard?)
    case inspect(bundle: String)
    case bench(bundle: String, batch: Int, iterations: Int, threads: Int?)
    /// `--help`: all commands, or one.
    case help(String?)

    static let commands = ["run", "inspect", "bench"]

    /// Parses the arguments after the program name. Options may come anywhere after the command.
    static func parse(_ arguments: [String]) throws(UsageError) -> EdgeCommand {
        guard let name = arguments.first else { throw UsageError("no command given") }
        if ["-h", "--help", "help"].contains(name) {
            return .help(arguments.dropFirst().first.flatMap { commands.contains($0) ? $0 : nil })
        }
        guard commands.contains(name) else { throw UsageError("unknown command '\(name)' (commands: run, inspect, bench)") }
        var positional: [String] = [], options: [String: String] = [:]
        let allowed: [String] = ["run": ["-o", "--output", "--threads", "--shard"], "bench": ["--batch", "--iterations", "--threads"]][name] ?? []
        var rest = arguments.dropFirst()[...]
        while let argument = rest.popFirst() {
            if argument == "-h" || argument == "--help" { return .help(name) }
            guard argument.hasPrefix("-"), argument != "-" else {
                positional.append(argument)
                continue
            }
            let key = argument == "--output" ? "-o" : argument
            guard allowed.contains(argument) else { throw UsageError("\(name): unknown option '\(argument)'") }
            guard let value = rest.popFirst() else { throw UsageError("\(name): \(argument) needs a value") }
            guard options[key] == nil else { throw UsageError("\(name): \(argument) is given twice") }
            options[key] = value
        }
        // Bounded, as `tessera` bounds them: a huge count would abort in malloc, not fail by name.
        func count(_ option: String, in bounds: ClosedRange<Int>, default value: Int? = nil) throws(UsageError) -> Int? {
            guard let text = options[option] else { return value }
            guard let n = Int(text), bounds.contains(n) else {
                throw UsageError("\(name): \(option) must be a whole number in \(bounds.lowerBound)...\(bounds.upperBound), got '\(text)'")
            }
            return n
        }
        let threads = 1...Parallel.maxThreads
        func expect(_ names: [String]) throws(UsageError) {
            guard positional.count == names.count else {
                throw UsageError("\(name) takes \(names.joined(separator: " ")), got \(positional.count) argument\(positional.count == 1 ? "" : "s")")
            }
        }
        switch name {
        case "run":
            try expect(["BUNDLE", "SLIDE"])
            guard let output = options["-o"] else { throw UsageError("run: -o OUT.safetensors is required (-o OUT_DIR with a DATASET)") }
            var shard: Shard?
            if let text = options["--shard"] {
                do { shard = try Shard(parsing: text) } catch { throw UsageError("run: \(error.description)") }
                guard SlideDataset.isDataset(positional[1], isWholeSlideFile: EdgeWholeSlide.isWholeSlideFile) else {
                    throw UsageError("run: --shard applies to a DATASET (a folder of slides or a .txt/.csv/.tsv manifest)")
                }
            }
            return .run(bundle: positional[0], slide: positional[1], output: output, threads: try count("--threads", in: threads), shard: shard)
        case "inspect":
            try expect(["BUNDLE"])
            return .inspect(bundle: positional[0])
        default:
            try expect(["BUNDLE"])
            return .bench(bundle: positional[0], batch: try count("--batch", in: 1...TileEncoderTiming.maxBatch, default: 8)!,
                          iterations: try count("--iterations", in: 1...TileEncoderTiming.maxIterations, default: 5)!,
                          threads: try count("--threads", in: threads))
        }
    }
}

/// A command line that does not parse (exit status 64, EX_USAGE).
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
