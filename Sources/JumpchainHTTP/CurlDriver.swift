import CCurl
import Foundation
import Synchronization

/// Runs every transfer of one ``HTTPClient`` on one libcurl multi handle, driven by one dedicated thread.
///
/// Why a thread and not the cooperative pool: `curl_multi_poll` blocks, and blocking a Swift concurrency
/// thread starves other tasks. Other threads only append to the locked submission queue and call
/// `curl_multi_wakeup` (thread-safe); the connection pool belongs to the multi handle, so connections are
/// reused across requests.
final class CurlDriver: @unchecked Sendable {
    // Invariant behind @unchecked Sendable: `multi` and `inFlight` are touched only by the driver thread
    // (and by `deinit`, after that thread has ended); everything in `Pending` is guarded by `lock`.
    private struct Pending {
        var additions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
        var stopping = false
    }

    private let multi: UnsafeMutableRawPointer
    private let lock = Mutex(())
    private var pending = Pending()
    private var inFlight: [UInt64: CurlTransfer] = [:]
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    init(maxConnectionsPerHost: Int, maxTotalConnections: Int) {
        _ = curlGlobalInit
        multi = curl_multi_init()
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxTotalConnections)
        // Keep every idle keep-alive connection (the default cache grows only with the handles added at once,
        // so connections were closed and reopened between bursts).
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxTotalConnections)
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, 2)  // CURLPIPE_MULTIPLEX: HTTP/2 streams share
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "jumpchain-curl"
        self.thread = thread
        thread.start()
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    /// Hands a configured transfer to the driver. Completes it at once if it was cancelled already.
    func submit(
        _ transfer: CurlTransfer, continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>
    ) {
        let cancelled: Bool = lock.withLock { _ in
            transfer.continuation = continuation
            if transfer.cancelRequested || pending.stopping { return true }
            pending.additions.append(transfer)
            return false
        }
        if cancelled {
            complete(transfer, .failure(Self.cancelledError(transfer)))
        } else {
            curl_multi_wakeup(multi)
        }
    }

    /// Asks the driver to remove `transfer` now and fail it as cancelled.
    func cancel(_ transfer: CurlTransfer) {
        lock.withLock { _ in
            transfer.cancelRequested = true
            pending.cancellations.append(transfer)
        }
        curl_multi_wakeup(multi)
    }

    /// Stops the thread after failing whatever is still in flight as cancelled. Blocks until it has ended.
    func shutdown() {
        let alreadyStopping: Bool = lock.withLock { _ in
            defer { pending.stopping = true }
            return pending.stopping
        }
        guard !alreadyStopping else { return }
        curl_multi_wakeup(multi)
        finished.wait()
    }

    private func loop() {
        while true {
            let work = lock.withLock { _ in
                let taken = pending
                pending.additions = []
                pending.cancellations = []
                return taken
            }
            for transfer in work.additions {
                inFlight[transfer.id] = transfer
                curl_multi_add_handle(multi, transfer.easy)
            }
            for transfer in work.cancellations {
                guard inFlight.removeValue(forKey: transfer.id) != nil else { continue }
                curl_multi_remove_handle(multi, transfer.easy)
                complete(transfer, .failure(Self.cancelledError(transfer)))
            }
            if work.stopping {
                for transfer in inFlight.values {
                    curl_multi_remove_handle(multi, transfer.easy)
                    complete(transfer, .failure(Self.cancelledError(transfer)))
                }
                inFlight.removeAll()
                finished.signal()
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            drainCompleted()
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func drainCompleted() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = ccurl_msg_result(message)
            var context: UnsafeMutableRawPointer?
            _ = ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &context)
            guard let context else { continue }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            curl_multi_remove_handle(multi, easy)
            inFlight.removeValue(forKey: transfer.id)
            complete(transfer, transfer.outcome(code))
        }
    }

    private func complete(_ transfer: CurlTransfer, _ result: Result<HTTPResponse, TransportError>) {
        let continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>? = lock.withLock { _ in
            defer { transfer.continuation = nil }
            return transfer.continuation
        }
        continuation?.resume(returning: result)
    }

    private static func cancelledError(_ transfer: CurlTransfer) -> TransportError {
        TransportError(code: .cancelled, message: "the request was cancelled", request: transfer.request.description)
    }
}

/// libcurl's global initialisation, run exactly once (Swift globals are lazily initialised with swift_once).
let curlGlobalInit: Void = {
    curl_global_init(ccurl_global_default())
    signal(SIGPIPE, SIG_IGN)  // with NOSIGNAL set, an OpenSSL write to a closed socket could raise it
}()
