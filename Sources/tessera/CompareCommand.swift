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
        max |a - b| / max |b|, with REFERENCE as b. With --tolerance it is also a check: it fails unless \
        every tensor of REFERENCE (or of --only) is in OUTPUT with the same shape and within that relative error.

        Examples:
          tessera compare int8.safetensors f32.safetensors --only tile_embeds,slide_embed
          tessera compare aarch64.safetensors host.safetensors --tolerance 1e-5
        """)

    @Argument(help: "The output to judge (safetensors).")
    var output: String
    @Argument(help: "The reference output (safetensors).")
    var reference: String
    @Option(help: "Comma-separated tensor names to compare (default: every common tensor).")
    var only: String?
    @Option(help: "Fail unless every tensor of REFERENCE (or of --only) is in OUTPUT with its shape and at most this relative error.")
    var tolerance: Double?

    func run() throws {
        let referenceDict = try SafeTensors.read(path: reference)
        let comparison = OutputComparison(try SafeTensors.read(path: output), reference: referenceDict)
        let wanted = only.map { Set($0.split(separator: ",").map(String.init)) }
        let entries = comparison.entries.filter { wanted?.contains($0.name) ?? true }
        guard !entries.isEmpty else { throw CLIMessage("\(output) and \(reference) hold no common tensor to compare") }
        for e in entries {
            print(String(format: "%-20@ %-12@ cosine (min over rows) %.7f   relative error %.3e",
                         e.name as NSString, "\(e.shape)" as NSString, e.minimumCosine, e.relativeError))
        }
        if let tolerance {
            let compared = Set(entries.map(\.name))
            let missing = (wanted.map { referenceDict.names.filter($0.contains) } ?? referenceDict.names).filter { !compared.contains($0) }
            let over = entries.filter { !($0.relativeError <= tolerance) }.map(\.name)
            guard missing.isEmpty && over.isEmpty else {
                throw CLIMessage("\(output) differs from \(reference)"
                                 + (missing.isEmpty ? "" : "; not in it with the same shape: \(missing.joined(separator: ", "))")
                                 + (over.isEmpty ? "" : "; relative error above \(tolerance): \(over.joined(separator: ", "))"))
            }
        }
    }
}
