/// Bounds that keep a hostile pickle from exhausting memory or the call stack.
/// Real torch pickles stay far below them (a state dict memoizes a few values
/// per tensor and nests a handful of levels deep).
public struct PickleLimits: Sendable {
    /// Values plus marks on the unpickler's stack.
    public var maxStack = 1_000_000
    /// Distinct memo keys.
    public var maxMemo = 1_000_000
    /// Nesting of the value built (containers in containers). Values are freed
    /// recursively, so this also bounds the stack depth of their deallocation:
    /// 200 levels fit a 256 KB thread stack even in debug builds.
    public var maxDepth = 200
    /// Values copied because a container being grown was also held elsewhere
    /// (torch pickles copy none; a crafted pickle could copy quadratically many).
    public var maxCopies = 10_000_000

    public init() {}

    public static let standard = PickleLimits()
}
