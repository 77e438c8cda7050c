/// Checks one results file against another, tensor by tensor, with the project's
/// parity measure: max |actual - expected| / max |expected| (max |actual - expected|
/// when the expected tensor is all zeros) must not exceed `tolerance`.
enum ResultComparison {
    static let tolerance: Float = 1e-5

    struct Verdict {
        let line: String
        let passed: Bool
    }

    /// One verdict per tensor of either file, in the expected file's order; names and
    /// shapes must match, and a NaN fails the tensor.
    static func compare(expected: ResultSet, actual: ResultSet) -> [Verdict] {
        var verdicts: [Verdict] = []
        var others: [String: ResultSet.Entry] = [:]
        for entry in actual.entries { others[entry.name] = entry }
        for e in expected.entries {
            guard let a = others.removeValue(forKey: e.name) else {
                verdicts.append(Verdict(line: "\(e.name): missing from the actual results", passed: false))
                continue
            }
            guard a.shape == e.shape else {
                verdicts.append(Verdict(line: "\(e.name): shape \(describe(a.shape)), expected \(describe(e.shape))",
                                        passed: false))
                continue
            }
            var worst: Float = 0, scale: Float = 0, worstIndex = 0, hasNaN = false
            for i in 0..<e.values.count {
                let difference = abs(a.values[i] - e.values[i])
                if a.values[i].isNaN || e.values[i].isNaN { hasNaN = true }
                if difference > worst { worst = difference; worstIndex = i }
                scale = max(scale, abs(e.values[i]))
            }
            let relative = scale > 0 ? worst / scale : worst
            let passed = !hasNaN && relative <= tolerance
            let detail = hasNaN ? "NaN" : "\(relative) relative (max |diff| \(worst) at element \(worstIndex))"
            verdicts.append(Verdict(line: "\(e.name) \(describe(e.shape)): \(detail)\(passed ? "" : "  FAIL")",
                                    passed: passed))
        }
        for a in actual.entries where others[a.name] != nil {
            verdicts.append(Verdict(line: "\(a.name): not in the expected results", passed: false))
        }
        return verdicts
    }

    private static func describe(_ shape: [Int]) -> String {
        shape.map { String($0) }.joined(separator: "x")
    }
}
