import CTesseraMPI

/// The ranks of an `mpirun` job through Open MPI's C API, which `CTesseraMPI` loads at run time:
/// a build needs no MPI, a job needs Open MPI 4 (`libmpi.so.40`) installed.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Whether this process was started by `mpirun`/`srun` as one rank of an Open MPI job (its
    /// launcher sets OMPI_COMM_WORLD_SIZE; PMIx's PMIX_RANK under srun).
    public static func launched(environment: [String: String]) -> Bool {
        environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Loads Open MPI and initialises it (once per process).
    public init() throws {
        var message = [CChar](repeating: 0, count: 512)
        guard tessera_mpi_load(&message, message.count) == 0 else {
            throw Failure(description: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        try Self.check(tessera_mpi_init(), "MPI_Init_thread")
        var r: Int32 = 0, s: Int32 = 0
        try Self.check(tessera_mpi_rank(&r), "MPI_Comm_rank")
        try Self.check(tessera_mpi_size(&s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    /// Ends MPI for this process: every rank calls it once, after its last collective.
    public func finish() { _ = tessera_mpi_finalize() }

    public func barrier() throws { try Self.check(tessera_mpi_barrier(), "MPI_Barrier") }

    public func allGather(_ values: [Double], counts: [Int]) throws -> [Double] {
        let (c, d) = try Self.layout(counts, "MPI_Allgatherv")
        var out = [Double](repeating: 0, count: counts.reduce(0, +))
        try Self.check(tessera_mpi_allgatherv_double(values, Int32(values.count), &out, c, d), "MPI_Allgatherv")
        return out
    }

    public func allGather(_ values: [Float], counts: [Int]) throws -> [Float] {
        let (c, d) = try Self.layout(counts, "MPI_Allgatherv")
        var out = [Float](repeating: 0, count: counts.reduce(0, +))
        try Self.check(tessera_mpi_allgatherv_float(values, Int32(values.count), &out, c, d), "MPI_Allgatherv")
        return out
    }

    public func allToAll(_ send: [Float], sendCounts: [Int], receiveCounts: [Int]) throws -> [Float] {
        let (sc, sd) = try Self.layout(sendCounts, "MPI_Alltoallv")
        let (rc, rd) = try Self.layout(receiveCounts, "MPI_Alltoallv")
        var out = [Float](repeating: 0, count: receiveCounts.reduce(0, +))
        try Self.check(tessera_mpi_alltoallv_float(send, sc, sd, &out, rc, rd), "MPI_Alltoallv")
        return out
    }

    /// Counts and displacements as MPI's ints, refused past Int32 (MPI 3 counts are ints).
    private static func layout(_ counts: [Int], _ call: String) throws -> ([Int32], [Int32]) {
        var displacements: [Int32] = [], offset = 0
        for count in counts {
            guard offset + count <= Int(Int32.max) else {
                throw Failure(description: "\(call): \(offset + count) values exceed MPI's int counts; use fewer slides per step per rank")
            }
            displacements.append(Int32(offset))
            offset += count
        }
        return (counts.map { Int32($0) }, displacements)
    }

    private static func check(_ code: Int32, _ call: String) throws {
        guard code == 0 else { throw Failure(description: "\(call) failed (error \(code))") }
    }
}
