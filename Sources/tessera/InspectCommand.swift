import ArgumentParser
import TesseraEdge
import TesseraFormats

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a checkpoint or a bundle holds: format, wrapper, tensors, metadata and config.",
        discussion: """
        PATH is a safetensors file, a PyTorch checkpoint (zip or legacy format; no pickle code \
        is ever run), a Hugging Face timm directory (config.json beside model.safetensors or \
        pytorch_model.bin) or a student bundle (.tsb, from `tessera export`), whose manifest is \
        shown and whose every checksum is verified. The format is told by the file's first \
        bytes, not its extension.

        Examples:
          tessera inspect fixtures/tile_teacher/pytorch_model.bin
          tessera inspect fixtures/tile_teacher --json
          tessera inspect train_checkpoint.pth.tar --key state_dict_ema
          tessera inspect student.tsb
        """)

    @Argument(help: "Checkpoint file, Hugging Face directory or bundle (.tsb).")
    var path: String

    @Option(help: "Wrapper key of a torch checkpoint to read (e.g. state_dict_ema); default: the usual one.")
    var key: String?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        if BundleInspection.isBundle(path: path) {
            guard key == nil, !json else { throw CLIMessage("\(path): --key and --json do not apply to a bundle") }
            print(try BundleInspection(path: path).lines.joined(separator: "\n"))
            return
        }
        let checkpoint = try Checkpoint.open(path: path, key: key)
        let report = CheckpointReport(checkpoint)
        print(json ? report.json.serialized(pretty: true) : report.text)
    }
}
