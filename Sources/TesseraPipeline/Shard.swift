/// One part of a dataset split among `count` processes that never talk to each other (a job
/// array: `--shard $SLURM_ARRAY_TASK_ID/N`): slide `i` of the dataset, in its fixed order
/// (sorted names), belongs to shard `i mod count`. The shards are disjoint and cover the dataset
/// whatever the slides' sizes, so no shard needs to know what another does.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    /// 0-based: `index` in `0..<count`.
    public let index: Int, count: Int

    /// The whole dataset: one shard.
    public static let all = Shard(checkedIndex: 0, count: 1)

    /// Shard `index` (0-based) of `count`.
    public init(index: Int, count: Int) throws(Problem) {
        guard count >= 1, index >= 0, index < count else { throw Problem(text: "\(index)/\(count)") }
        self.init(checkedIndex: index, count: count)
    }

    public struct Problem: Error, CustomStringConvertible {
        public let text: String
        public var description: String { "--shard \(text): expected K/N with N >= 1 and 0 <= K < N (K is 0-based, as SLURM_ARRAY_TASK_ID in --array=0-(N-1))" }
    }

    private init(checkedIndex: Int, count: Int) {
        index = checkedIndex
        self.count = count
    }

    /// `text` as `K/N`.
    public init(parsing text: String) throws(Problem) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else { throw Problem(text: text) }
        self.init(checkedIndex: k, count: n)
    }

    /// Whether item `position` of the dataset's order is this shard's.
    public func contains(_ position: Int) -> Bool { position % count == index }

    /// This shard's items of `items`, in their order.
    public func part<T>(of items: [T]) -> [T] {
        items.indices.filter(contains).map { items[$0] }
    }

    public var description: String { "\(index)/\(count)" }
}
