/// The sum of a step's micro-batch gradients in the micro-batches' order, one whole gradient
/// after another: sum = ((0 + g_0) + g_1) + ..., element by element. Alone, a process adds each
/// gradient as its backward pass ends. Among ranks (`share`: contiguous blocks of micro-batches),
/// the flat gradient vector is cut into one chunk per rank; each rank sends chunk q of each of its gradients to rank q (all-to-all), rank q adds the chunks it receives in
/// the micro-batches' order, and every rank gathers the summed chunks (all-gather). Rank q's
/// additions are the lone process's additions on its chunk, so the result has the same bits
/// whatever the rank count and the network. Per step a rank sends and receives about
/// (its micro-batches + 1) x the gradient's bytes, the volume of a ring all-reduce when each
/// rank has one micro-batch; the all-to-all keeps its micro-batches' gradients meanwhile.
import TesseraCore

struct DataParallelSum {
    let parameters: ParameterSet
    let group: any ProcessGroup

    /// What a step's exchange cost this rank.
    struct Exchange {
        /// In the gathering of the records: the wait for the slowest rank's micro-batches.
        var waitSeconds = 0.0
        /// In the all-to-all and the all-gather of the gradient.
        var seconds = 0.0
        /// Gradient bytes this rank sent to the others.
        var bytes = 0
    }

    /// The last `accumulate`'s exchange.
    private(set) var exchange = Exchange()

    /// Alone: the gradients of `n` micro-batches summed in order into the gradient buffers.
    static func alone(parameters: ParameterSet, microBatches n: Int, _ accumulate: (Int) throws -> [Double]) throws -> [[Double]] {
        parameters.zeroGradients()
        guard n > 1 else {
            let record = try accumulate(0)
            try check([record])
            return [record]
        }
        let trainable = parameters.trainable
        var sum = [Float](repeating: 0, count: trainable.reduce(0) { $0 + $1.count })
        var records: [[Double]] = []
        for i in 0..<n {
            if i > 0 { parameters.zeroGradients() }
            records.append(try accumulate(i))
            try check(records)
            sum.withUnsafeMutableBufferPointer { s in
                var offset = 0
                for p in trainable {
                    let g = p.gradData
                    for e in 0..<p.count { s[offset + e] += g[e] }
                    offset += p.count
                }
            }
        }
        load(sum, into: trainable)
        return records
    }

    /// Among the group's ranks: this rank's micro-batches computed, every record and the summed
    /// gradient exchanged. Every rank returns all `n` records, in order.
    mutating func accumulate(microBatches n: Int, recordWidth: Int, _ accumulate: (Int) throws -> [Double]) throws -> [[Double]] {
        let ranks = group.size, me = group.rank
        let mine = Self.share(n, rank: me, size: ranks)
        let trainable = parameters.trainable
        let total = trainable.reduce(0) { $0 + $1.count }
        let chunks = (0..<ranks).map { Self.share(total, rank: $0, size: ranks) }
        // Layout of `send`: for each destination rank q, for each of this rank's micro-batches, chunk q.
        var send = [Float](repeating: 0, count: mine.count * total)
        var own: [Double] = []
        var flat = [Float](repeating: 0, count: total)
        for (j, i) in mine.enumerated() {
            parameters.zeroGradients()
            let record = try accumulate(i)
            precondition(record.count == recordWidth, "a micro-batch's record has \(record.count) values, not \(recordWidth)")
            own += record
            Self.flatten(trainable, into: &flat)
            var at = 0
            for chunk in chunks {
                send.replaceSubrange((at + j * chunk.count)..<(at + (j + 1) * chunk.count), with: flat[chunk])
                at += mine.count * chunk.count
            }
        }
        let perRank = (0..<ranks).map { Self.share(n, rank: $0, size: ranks).count }
        let waiting = MonotonicClock.seconds
        let all = try group.allGather(own, counts: perRank.map { $0 * recordWidth })
        let exchanging = MonotonicClock.seconds
        let records = (0..<n).map { Array(all[($0 * recordWidth)..<(($0 + 1) * recordWidth)]) }
        // Every rank has every loss: all stop at the same micro-batch, before any exchange of gradients.
        try Self.check(records)
        let myChunk = chunks[me]
        let received = try group.allToAll(send, sendCounts: chunks.map { mine.count * $0.count },
                                          receiveCounts: perRank.map { $0 * myChunk.count })
        var sum = [Float](repeating: 0, count: myChunk.count)
        for i in 0..<n {
            let base = i * myChunk.count  // received: rank after rank, each rank's micro-batches in order: micro-batch order
            for e in 0..<myChunk.count { sum[e] += received[base + e] }
        }
        let gathered = try group.allGather(sum, counts: chunks.map(\.count))
        exchange = Exchange(waitSeconds: exchanging - waiting, seconds: MonotonicClock.seconds - exchanging,
                            bytes: MemoryLayout<Float>.size * (mine.count * (total - myChunk.count) + myChunk.count * (ranks - 1)))
        parameters.zeroGradients()
        Self.load(gathered, into: trainable)
        return records
    }

    /// The part of `0..<count` rank `rank` of `size` takes: contiguous blocks in rank order, the
    /// first `count % size` ranks one more. Ranks in order walk the items in order, so blocks
    /// received rank after rank are in the items' order.
    static func share(_ count: Int, rank: Int, size: Int) -> Range<Int> {
        let base = count / size, extra = count % size
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// Stops at the first non-finite loss (the records' first values), in order.
    static func check(_ records: [[Double]]) throws {
        if let i = records.firstIndex(where: { !$0[0].isFinite }) { throw TrainError.nonFinite(microBatch: i, loss: records[i][0]) }
    }

    static func flatten(_ trainable: [Parameter], into flat: inout [Float]) {
        flat.withUnsafeMutableBufferPointer { f in
            var offset = 0
            for p in trainable {
                (f.baseAddress! + offset).update(from: p.gradData, count: p.count)
                offset += p.count
            }
        }
    }

    static func load(_ flat: [Float], into trainable: [Parameter]) {
        flat.withUnsafeBufferPointer { f in
            var offset = 0
            for p in trainable {
                p.gradData.update(from: f.baseAddress! + offset, count: p.count)
                offset += p.count
            }
        }
    }
}
