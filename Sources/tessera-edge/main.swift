#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TesseraEdge

// tessera-edge: the edge engine's command. Exit status 0 done, 1 a bad bundle or input, 64 a usage error.
do {
    switch try EdgeCommand.parse(Array(CommandLine.arguments.dropFirst())) {
    case .help(let command?):
        print(EdgeHelp.commands[command]!)
    case .help(nil):
        print(EdgeHelp.overview)
    case .run(let bundle, let slide, let output, let threads):
        try EdgeActions.run(bundle: bundle, slide: slide, output: output, threads: threads)
    case .inspect(let bundle):
        try EdgeActions.inspect(bundle: bundle)
    case .bench(let bundle, let batch, let iterations, let threads):
        try EdgeActions.bench(bundle: bundle, batch: batch, iterations: iterations, threads: threads)
    }
} catch let error as UsageError {
    StandardError.write("tessera-edge: \(error.message)\n\(EdgeHelp.usage)\n")
    exit(64)
} catch {
    StandardError.write("tessera-edge: error: \(error)\n")
    exit(1)
}
