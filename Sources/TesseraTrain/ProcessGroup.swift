/// The processes of one data-parallel run, ranks `0..<size`, and the collectives its step uses
/// (`Trainer.step(microBatches:recordWidth:group:_:)`). Counts are in elements, one per rank;
/// every rank calls each collective in the same order. `MPIProcessGroup` is the one over Open MPI.
public protocol ProcessGroup: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    func barrier() throws
    /// Every rank's `values`, rank after rank; rank r sends `counts[r]` of them.
    func allGather(_ values: [Double], counts: [Int]) throws -> [Double]
    /// Every rank's `values`, rank after rank; rank r sends `counts[r]` of them.
    func allGather(_ values: [Float], counts: [Int]) throws -> [Float]
    /// `send` holds `sendCounts[q]` values for each rank q, rank after rank; the result holds
    /// `receiveCounts[r]` values from each rank r, rank after rank.
    func allToAll(_ send: [Float], sendCounts: [Int], receiveCounts: [Int]) throws -> [Float]
}
