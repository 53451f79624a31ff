import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One Hummingbird application serving one listener (the control plane, or one cluster).
struct Listener {
    struct DroppedConnection: Error {}

    let name: String
    let world: World

    /// Starts serving on `host`:`port` (0: OS-chosen), over HTTPS when `tls` is given, and returns the
    /// bound port once listening.
    static func start(
        name: String, world: World, host: String, port: Int, tls: TLSConfiguration?, logger: Logger
    ) async throws -> Running {
        let listener = Listener(name: name, world: world)
        let connections = ConnectionTracker()
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let responder = CallbackResponder<ConnectionRequestContext> { request, context in
            try await listener.respond(to: request, connection: context.connection)
        }
        let server: HTTPServerBuilder
        do {
            server = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        } catch {
            throw SimulatorError(.listenerFailed, "listener \(name) could not set up TLS", cause: error)
        }
        let app = Application(
            responder: responder, server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                // Before the port is known to anyone: every connection this listener accepts is tracked.
                try? await channel.pipeline.addHandler(connections, position: .first).get()
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        // No signal handling here: the simulator is embedded in the demo and the tests, whose own stop
        // handling must see SIGINT/SIGTERM; `jumpchain sim` waits for them itself.
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var bound: Int?
        for await value in stream {
            bound = value
            break
        }
        guard let bound, bound > 0 else {
            task.cancel()  // never served: no connection was accepted
            _ = await task.result
            if case .failure(let error) = await task.result {
                throw SimulatorError(.listenerFailed, "listener \(name) could not bind \(host):\(port)", cause: error)
            }
            throw SimulatorError(.listenerFailed, "listener \(name) could not bind \(host):\(port)")
        }
        return Running(port: bound, task: task, group: group, connections: connections)
    }

    /// A listener that serves until ``stop()``.
    struct Running: Sendable {
        let port: Int
        let task: Task<Void, any Error>
        let group: ServiceGroup
        let connections: ConnectionTracker

        /// Stops accepting, closes every connection and returns once the server is done. A graceful shutdown,
        /// never a cancel: a cancelled server drops the connections it accepted but has not handed to a handler
        /// yet, and NIO traps on each one ("Deinited NIOAsyncWriter without calling finish()"), killing the
        /// process (seen when a test stopped the simulator while a client was still connecting). Shut down
        /// gracefully, the server hands every accepted connection to a handler, which closes it properly.
        func stop() async {
            // First close new connections at once, and let every connection already handed on reach the server's
            // handlers: one whose setup finishes after the server stopped taking connections is dropped
            // unfinished, and NIO traps on it as above (seen in loaded test runs with the graceful shutdown alone).
            await connections.stopAccepting()
            await group.triggerGracefulShutdown()
            // Open connections (idle keep-alive ones, one in the middle of a request) would keep it waiting:
            // close every one, again every 50 ms until the server is done.
            await withTaskGroup(of: Void.self) { waits in
                waits.addTask { _ = await task.result }
                waits.addTask {
                    while !Task.isCancelled {
                        connections.closeAll()
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
                await waits.next()
                waits.cancelAll()
            }
        }
    }

    func respond(to request: Request, connection: String?) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: ServiceLimits.requestBodyBytes)
        } catch {
            return Self.response(tooLarge())
        }
        let simRequest = Self.simRequest(request, body: Array(body.readableBytesView))
        switch await world.handle(simRequest, listener: name, connection: connection) {
        case .drop:
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { _ in throw DroppedConnection() })
        case .respond(let answer):
            world.exchanges.withLock { exchanges in
                guard exchanges.recording else { return }
                exchanges.log.append(
                    SimulatorExchange(
                        listener: name, method: simRequest.method, path: simRequest.path, status: answer.status,
                        requestBody: simRequest.body, responseBody: answer.body))
            }
            return Self.response(answer)
        }
    }

    static func response(_ answer: SimResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// 413 in the listener's error shape: the body passed ``ServiceLimits/requestBodyBytes``.
    func tooLarge() -> SimResponse {
        let detail = "Request body exceeds \(ServiceLimits.requestBodyBytes) bytes."
        return name == World.controlPlane
            ? .cloud(413, "request_entity_too_large", "Request Entity Too Large", detail)
            : .kafka(413, 413, "HTTP 413 Request Entity Too Large: " + detail)
    }

    static func simRequest(_ request: Request, body: [UInt8]) -> SimRequest {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        var query: [String: [String]] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { Self.decode(String($0), plus: true) }
            guard let key = parts.first else { continue }
            query[key, default: []].append(parts.count > 1 ? parts[1] : "")
        }
        var credential: (key: String, secret: String)?
        if let authorization = headers["authorization"], authorization.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            credential = (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        return SimRequest(
            method: request.method.rawValue, path: decode(request.uri.path, plus: false), query: query,
            headers: headers, body: body, credential: credential)
    }

    static func decode(_ text: String, plus: Bool) -> String {
        let spaced = plus ? text.replacingOccurrences(of: "+", with: " ") : text
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// The connections a listener accepted and that are still open (a handler first in the server channel's
/// pipeline sees every accepted connection). While the listener stops, new connections are closed here before the
/// server sees them (``stopAccepting()``), and ``closeAll()`` closes the rest, so stopping the simulator lets every
/// client go at once instead of waiting for its own timeout.
final class ConnectionTracker: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// The connections handed on, and whether new ones are closed at once (stopping).
    private let state = Mutex<(open: [ObjectIdentifier: any Channel], refusing: Bool)>(([:], false))

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let channel = unwrapInboundIn(data)
        let id = ObjectIdentifier(channel)
        let refused = state.withLock { state in
            if !state.refusing { state.open[id] = channel }
            return state.refusing
        }
        // Stopping: never handed to the server, whose intake may be over (a connection set up after it is dropped
        // unfinished, and NIO traps on it); closed here, so its client sees the end at once.
        guard !refused else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [self] _ in self.state.withLock { $0.open[id] = nil } }
        context.fireChannelRead(data)
    }

    /// From now on closes every new connection before the server sees it, then waits until every connection handed
    /// on is active (its setup done and taken by the server) or closed, at most 2 s; one still being set up then is
    /// closed and waited for (its setup fails on a closed channel, and its handler's removal finishes its writer).
    func stopAccepting() async {
        state.withLock { $0.refusing = true }
        let bound = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < bound, state.withLock({ $0.open.values.contains { !$0.isActive } }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        for channel in state.withLock({ $0.open.values.filter { !$0.isActive } }) {
            try? await channel.close().get()
        }
    }

    /// Closes every connection still open.
    func closeAll() {
        let channels = state.withLock { state in
            defer { state.open = [:] }
            return Array(state.open.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }
}

/// A request context that remembers which TCP connection the request came on (its peer address and port),
/// so the simulator can count distinct connections per listener.
struct ConnectionRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let connection: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = source.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
    }
}
