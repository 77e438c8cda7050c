import ArgumentParser
import Foundation
import TesseraFormats
import TesseraPipeline

/// `tessera compare`: how two outputs of the same slide agree (e.g. an int8 bundle's against the f32 student's).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two output files tensor by tensor: smallest row cosine and relative error.",
        discussion: """
        For every tensor both safetensors files hold with the same shape (tile_embeds, slide_embed, ...): the \
        smallest cosine between corresponding rows ([N, D] row by row, [D] as one vector) and \
        max |a - b| / max |b|, with REFERENCE as b.

        Example:
          tessera compare int8.safetensors f32.safetensors --only tile_embeds,slide_embed
        """)

    @Argument(help: "The output to judge (safetensors).")
    var output: String
    @Argument(help: "The reference output (safetensors).")
    var reference: String
    @Option(help: "Comma-separated tensor names to compare (default: every common tensor).")
    var only: String?

    func run() throws {
        let comparison = OutputComparison(try SafeTensors.read(path: output), reference: try SafeTensors.read(path: reference))
        let wanted = only.map { Set($0.split(separator: ",").map(String.init)) }
        let entries = comparison.entries.filter { wanted?.contains($0.name) ?? true }
        guard !entries.isEmpty else { throw CLIMessage("\(output) and \(reference) hold no common tensor to compare") }
        for e in entries {
            print(String(format: "%-20@ %-12@ cosine (min over rows) %.7f   relative error %.3e",
                         e.name as NSString, "\(e.shape)" as NSString, e.minimumCosine, e.relativeError))
        }
    }
}
