import TesseraEdgeModels
import CPosix

/// One run of the command: parse, act, report. Exit status 0 done, 1 a bad bundle,
/// input or output, 64 a usage error.
enum EdgeMain {
    /// `arguments`: the command line after the program name.
    static func run(_ arguments: [String]) -> Int32 {
        let command: EdgeCommand
        do {
            command = try EdgeCommand.parse(arguments)
        } catch {
            StandardError.write("tessera-edge: \(error.message)\n\(EdgeHelp.usage)\n")
            return 64
        }
        do throws(EdgeError) {
            switch command {
            case .help(let command?):
                print(EdgeHelp.commands[command]!)
            case .help(nil):
                print(EdgeHelp.overview)
            case .run(let bundle, let slide, let output, let threads, let shard):
                try EdgeActions.run(bundle: bundle, slide: slide, output: output, threads: threads, shard: shard)
            case .inspect(let bundle):
                try EdgeActions.inspect(bundle: bundle)
            case .bench(let bundle, let batch, let iterations, let threads):
                try EdgeActions.bench(bundle: bundle, batch: batch, iterations: iterations, threads: threads)
            }
        } catch {
            StandardError.write("tessera-edge: error: \(error.description)\n")
            return 1
        }
        return 0
    }
}

/// Messages and progress on stderr (stdout is left to results).
enum StandardError {
    static func write(_ text: String) {
        fputs(text, stderr)
        fflush(stderr)
    }
}
