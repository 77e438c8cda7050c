import ArgumentParser
import TesseraFormats

extension SafeTensors.OutputDType: ExpressibleByArgument {}

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write the state dict of a checkpoint as canonical safetensors.",
        discussion: """
        Reads any checkpoint `tessera inspect` reads and writes its state dict as safetensors in \
        the order Python's safetensors writer uses (by dtype size, then name), so the same \
        weights always give the same file. The output is written atomically (temporary file + \
        rename) and streamed tensor by tensor: memory stays far below the file size. --dtype \
        converts floating-point tensors (round to nearest even, as torch does); integer tensors \
        are kept.

        Examples:
          tessera convert fixtures/tile_teacher/pytorch_model.bin -o t.safetensors
          tessera convert gigapath/ -o gigapath.bf16.safetensors --dtype bf16
          tessera convert train.pth.tar -o ema.safetensors --key state_dict_ema
        """)

    @Argument(help: "Checkpoint file or Hugging Face directory.")
    var path: String

    @Option(name: .shortAndLong, help: "Output .safetensors file.")
    var output: String

    @Option(help: "Dtype of floating-point tensors: keep, f32, f16 or bf16.")
    var dtype: SafeTensors.OutputDType = .keep

    @Option(help: "Wrapper key of a torch checkpoint to read (e.g. state_dict_ema); default: the usual one.")
    var key: String?

    func run() throws {
        // Before reading anything: a bad -o fails at once. No in-place conversion: the input
        // is mapped while the output is written.
        try OutputPath.check(output, option: "-o", inputs: [.init("PATH", path)])
        let checkpoint = try Checkpoint.open(path: path, key: key)
        let dict = SafeTensors.canonicalOrder(checkpoint.stateDict, dtype: dtype)
        let megabyte = 1 << 20
        var progress: ProgressLine?
        var shown = -1
        defer { progress?.finish() }
        try SafeTensors.write(dict, to: output, dtype: dtype) { written, total in
            if progress == nil, total >= 64 * megabyte {  // small files finish before a line is worth drawing
                progress = ProgressLine("convert", total: total / megabyte, unit: "MB")
            }
            if written / megabyte != shown {  // the line counts whole megabytes
                shown = written / megabyte
                progress?.update(shown)
            }
        }
        print("\(output): \(dict.count) tensors from \(checkpoint.formatDescription)"
              + (checkpoint.wrapper.map { ", wrapper \($0)" } ?? "") + ", dtype \(dtype.rawValue)")
    }
}
