/// The program's modes (see `usage`); returns the exit status.
enum CrossCheck {
    static let usage = """
        usage: tessera-crosscheck run RESULTS PNG... --slide BUNDLE TILE...
                 computes the tile transform of each PNG, the kernel suite, and the bundle's tile
                 and slide encoders on the TILEs (named {x}x_{y}y.png), writes RESULTS
               tessera-crosscheck compare EXPECTED ACTUAL
                 checks every tensor of ACTUAL against EXPECTED: max |a - e| <= 1e-5 max |e|
               tessera-crosscheck violate arena | shape | mapped-range FILE
                 breaks that guard on purpose: the program must stop with a trap and the guard's message
        """

    static func main(_ arguments: [String]) -> Int32 {
        let operands = Array(arguments.dropFirst(2))
        // run: RESULTS, the PNGs, then the bundle and at least one tile after --slide.
        let slide = operands.firstIndex(of: "--slide") ?? 0
        do throws(CrossCheckError) {
            switch arguments.count > 1 ? arguments[1] : "" {
            case "run" where slide >= 1 && operands.count >= slide + 3:
                try CrossCheckSuite.run(images: Array(operands[1..<slide]), bundle: operands[slide + 1],
                                        tiles: Array(operands[(slide + 2)...])).write(to: operands[0])
                return 0
            case "compare" where operands.count == 2:
                let verdicts = ResultComparison.compare(expected: try ResultSet.read(path: operands[0]),
                                                        actual: try ResultSet.read(path: operands[1]))
                for verdict in verdicts { print(verdict.line) }
                let failed = verdicts.filter { !$0.passed }.count
                print(failed == 0 ? "all \(verdicts.count) tensors agree"
                                  : "\(failed) of \(verdicts.count) tensors differ")
                return failed == 0 ? 0 : 1
            case "violate":
                return GuardViolation.run(operands)
            default:
                print(usage)
                return 2
            }
        } catch {
            print("tessera-crosscheck: \(error.message)")
            return 1
        }
    }
}

/// Why a run or a comparison could not finish; the message names the file and place.
struct CrossCheckError: Error {
    let message: String
}
