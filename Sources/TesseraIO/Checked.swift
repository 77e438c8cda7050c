/// `a * b` and `a + b` that report overflow as nil (sizes from files are untrusted).
public enum Checked {
    public static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : r
    }

    public static func add(_ a: Int, _ b: Int) -> Int? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }

    /// Product of `values`, nil on overflow or a negative factor.
    public static func product(_ values: [Int]) -> Int? {
        var p = 1
        for v in values {
            guard v >= 0, let next = multiply(p, v) else { return nil }
            p = next
        }
        return p
    }
}
