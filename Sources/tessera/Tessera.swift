import ArgumentParser

@main
struct Tessera: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Prov-GigaPath teacher and students in Swift, on the CPU.",
        discussion: """
        Example:
          tessera inspect fixtures/tile_teacher/pytorch_model.bin
        """,
        subcommands: [InspectCommand.self, ConvertCommand.self, PreprocessCommand.self, EmbedCommand.self,
                      SlideCommand.self, TileCommand.self, DistillCommand.self, FinetuneCommand.self, ProbeCommand.self, CompareCommand.self,
                      ExportCommand.self, BenchmarkCommand.self])

    static func main() {
        if let invalid = ArgumentEncoding.firstInvalid() { exit(withError: invalid) }
        main(nil)
    }
}
