/// An output refused before any work was done: the name its caller gave it (a command's option
/// or argument, a C parameter), its path, and why. One line, naming both.
public struct OutputError: Error, Equatable, CustomStringConvertible {
    public let option: String
    public let path: String
    public let problem: Problem

    public init(option: String, path: String, problem: Problem) {
        self.option = option
        self.path = path
        self.problem = problem
    }

    public enum Problem: Equatable {
        /// The path cannot take a regular file (see `OutputPath.checkWritable`).
        case unwritable(FormatError)
        /// The output file is the input itself, or (`member` given) the file at that path
        /// inside the input folder (or linked from directly inside it).
        case replacesInput(InputOutputOverlap.Input, member: String?)
        /// The output folder is the input (`same`) or holds it at some depth.
        case holdsInput(InputOutputOverlap.Input, same: Bool)
        /// The output (a folder, or a file not there yet) lies inside the input folder, whose
        /// every file its reader takes.
        case insideInput(InputOutputOverlap.Input)
        /// The output folder cannot be used: what is wrong with it, as a phrase following the path.
        case unusableFolder(String)
    }

    public var description: String {
        switch problem {
        case .unwritable(let error):
            return "\(option) \(error.description)"
        case .replacesInput(let input, let member):
            return "\(option) \(path) is \(member.map { "\(MessageText.excerpt($0)) of " } ?? "")the input \(input.option) "
                + "\(input.path); write the output to another file (it would replace its own input)"
        case .holdsInput(let input, let same):
            return "\(option) \(path) \(same ? "is" : "holds") the input \(input.option) \(input.path); "
                + "choose a folder apart from the inputs"
        case .insideInput(let input):
            return "\(option) \(path) lies inside the input \(input.option) \(input.path), whose every file is read; "
                + "choose a place apart from the inputs"
        case .unusableFolder(let what):
            return "\(option) \(path) \(what); expected a folder this user can write into"
        }
    }
}
