import CPosix

/// Temporary files to remove when the process is stopped by SIGINT, SIGTERM
/// or SIGHUP, so that an interrupted write leaves nothing behind. The signal
/// handler may only call async-signal-safe functions, so the registry is a
/// fixed block of memory allocated before the handler is installed: each slot
/// holds a path (C string) and a flag saying it is in use. The handler unlinks
/// the paths in use, puts back the handlers it found and raises the signal again.
enum PendingRemovals {
    static let slots = 128  // a spool of hidden states takes one per block (40 in ViT-g)
    static let pathBytes = Int(PATH_MAX)
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private static let paths = UnsafeMutablePointer<CChar>.allocate(capacity: slots * pathBytes)
    private static let inUse: UnsafeMutablePointer<Int32> = {
        let flags = UnsafeMutablePointer<Int32>.allocate(capacity: slots)
        flags.initialize(repeating: 0, count: slots)
        return flags
    }()
    /// The actions found before ours, by signal number, put back before the signal is raised again.
    private static let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 64)
    private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()
    /// Installs the handler once, on first use (a signal already ignored stays ignored).
    private static let installed: Void = {
        _ = (paths, inUse, previous)  // allocated before any handler can run
        for signal in signals {
            var action = sigaction()
            tessera_sigaction_set_handler(&action, handle)
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            sigaction(signal, nil, &old)
            guard tessera_sigaction_is_ignored(&old) == 0 else { continue }
            previous[Int(signal)] = old
            sigaction(signal, &action, nil)
        }
    }()

    /// Registers `path` for removal on a signal; returns its slot for `remove`,
    /// or nil when the path is too long or every slot is taken (the file is
    /// then only removed by the writer itself, or as stale by a later run).
    static func add(_ path: String) -> Int? {
        _ = installed
        let bytes = Array(path.utf8CString)
        guard bytes.count <= pathBytes else { return nil }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard let slot = (0..<slots).first(where: { inUse[$0] == 0 }) else { return nil }
        bytes.withUnsafeBufferPointer { (paths + slot * pathBytes).update(from: $0.baseAddress!, count: bytes.count) }
        inUse[slot] = 1
        return slot
    }

    /// Forgets the path of `slot` (the file was renamed or removed).
    static func remove(_ slot: Int) {
        pthread_mutex_lock(lock)
        inUse[slot] = 0
        pthread_mutex_unlock(lock)
    }

    /// The signal handler: async-signal-safe calls only (unlink, sigaction, raise).
    private static let handle: @convention(c) (Int32) -> Void = { signal in
        for slot in 0..<PendingRemovals.slots where PendingRemovals.inUse[slot] != 0 {
            unlink(PendingRemovals.paths + slot * PendingRemovals.pathBytes)
        }
        sigaction(signal, PendingRemovals.previous + Int(signal), nil)
        raise(signal)
    }
}
