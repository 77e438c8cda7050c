/// A value of `DistillationOptions` that no run can use: its key (run.json's name), the value,
/// and what it must be. The command line names the flag instead of the key; a resumed run names
/// `run.json`.
public struct OptionProblem: Error, CustomStringConvertible {
    public let key: String, value: String, requirement: String

    public init(key: String, value: String, requirement: String) {
        self.key = key
        self.value = value
        self.requirement = requirement
    }

    public var description: String { "'\(key)' is \(value): it \(requirement)" }
}
