/// Bounds that keep a hostile pickle from exhausting memory, time or the call
/// stack, without refusing large real files. A pickle holds no more stack
/// values or memo entries than it has bytes, so their bounds only cap memory
/// (some 40-60 bytes each) far above what real checkpoints hold; the copies
/// that growing a shared container costs could grow quadratically and are
/// bounded per byte of pickle; nesting is bounded outright.
public struct PickleLimits: Sendable {
    /// Values plus marks on the unpickler's stack (32,000,000: about 1.5 GB).
    public var maxStack = 32_000_000
    /// Distinct memo keys (32,000,000: about 2 GB).
    public var maxMemo = 32_000_000
    /// Nesting of the value built (containers in containers). Values are freed
    /// recursively, so this also bounds the stack depth of their deallocation:
    /// 200 levels fit a 256 KB thread stack even in debug builds. Real
    /// checkpoints nest a handful of levels.
    public var maxDepth = 200
    /// Values that may be copied because a container being grown was also held
    /// elsewhere, per byte of pickle, plus `copyAllowance`. Torch pickles copy
    /// none; a crafted pickle that grows a shared list over and over would
    /// otherwise copy quadratically many.
    public var copiesPerByte = 16
    public var copyAllowance = 1 << 16

    public init() {}

    public static let standard = PickleLimits()

    /// The copies allowed for a pickle of `length` bytes.
    func maxCopies(length: Int) -> Int {
        guard let perByte = Checked.multiply(copiesPerByte, length), let total = Checked.add(perByte, copyAllowance) else {
            return .max
        }
        return total
    }
}
