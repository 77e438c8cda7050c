import ArgumentParser
import TesseraCore
import TesseraModels

extension ComputePrecision: ExpressibleByArgument {}

/// `--precision`, the same option for every command that runs an encoder.
struct PrecisionOption: ParsableArguments {
    @Option(help: """
        What the Linear layers' products compute in: f32 (exact, the reference's numbers) or bf16 \
        (weights and each product's input rounded to bf16, sums and everything else in f32; about \
        twice as fast where the CPU has AVX512-BF16 or Arm BF16). docs/models.md §7.
        """)
    var precision: ComputePrecision = .f32
}
