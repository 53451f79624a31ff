import Foundation
import JumpchainJSON

/// Networking v1: network link services and endpoints (PROVISIONING → READY after a delay).
extension WorldState {
    private func reference(_ id: String, environment: String?, path: String, crn: String) -> JSON {
        var object: [(String, JSON)] = [("id", .string(id))]
        if let environment { object.append(("environment", .string(environment))) }
        object.append(("related", .string(controlPlaneURL + path)))
        object.append(("resource_name", .string(crn)))
        return .object(object)
    }

    private func environmentRef(_ environment: String) -> JSON {
        reference(
            environment, environment: nil, path: "/org/v2/environments/\(environment)",
            crn: "crn://confluent.cloud/organization=\(organization)/environment=\(environment)")
    }

    private func networkRef(_ network: String, _ environment: String) -> JSON {
        reference(
            network, environment: environment,
            path: "/networking/v1/networks/\(network)?environment=\(environment)",
            crn: "crn://confluent.cloud/organization=\(organization)/environment=\(environment)/network=\(network)")
    }

    private func objectMeta(_ path: String, _ crn: String, createdAt: Double) -> JSON {
        let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: createdAt))
        return [
            "self": .string(controlPlaneURL + path), "resource_name": .string(crn), "created_at": .string(stamp),
            "updated_at": .string(stamp),
        ]
    }

    private func status(_ phase: String) -> JSON {
        var object: [(String, JSON)] = [("phase", .string(phase))]
        if ["FAILED", "ERROR"].contains(phase) {
            object.append(("error_code", "PROVISIONING_FAILED"))
            object.append(("error_message", "Provisioning failed (simulated fault)."))
        }
        return .object(object)
    }

    func serviceJSON(_ service: NetworkLinkServiceState) -> JSON {
        [
            "api_version": "networking/v1", "kind": "NetworkLinkService", "id": .string(service.id),
            "metadata": objectMeta(
                "/networking/v1/network-link-services/\(service.id)",
                "crn://confluent.cloud/organization=\(organization)/environment=\(service.environment)/network-link-service=\(service.id)",
                createdAt: service.createdAt),
            "spec": [
                "display_name": .string(service.displayName), "description": .string(service.description),
                "environment": environmentRef(service.environment),
                "network": networkRef(service.network, service.environment),
                "accept": [
                    "environments": .strings(service.acceptEnvironments), "networks": .strings(service.acceptNetworks),
                ],
            ],
            "status": status(service.phase),
        ]
    }

    func endpointJSON(_ endpoint: NetworkLinkEndpointState) -> JSON {
        let serviceEnvironment = services[endpoint.service]?.environment ?? endpoint.environment
        return [
            "api_version": "networking/v1", "kind": "NetworkLinkEndpoint", "id": .string(endpoint.id),
            "metadata": objectMeta(
                "/networking/v1/network-link-endpoints/\(endpoint.id)",
                "crn://confluent.cloud/organization=\(organization)/environment=\(endpoint.environment)/network-link-endpoint=\(endpoint.id)",
                createdAt: endpoint.createdAt),
            "spec": [
                "display_name": .string(endpoint.displayName), "description": .string(endpoint.description),
                "environment": environmentRef(endpoint.environment),
                "network": networkRef(endpoint.network, endpoint.environment),
                "network_link_service": reference(
                    endpoint.service, environment: serviceEnvironment,
                    path: "/networking/v1/network-link-services/\(endpoint.service)?environment=\(serviceEnvironment)",
                    crn:
                        "crn://confluent.cloud/organization=\(organization)/environment=\(serviceEnvironment)/network-link-service=\(endpoint.service)"
                ),
            ],
            "status": status(endpoint.phase),
        ]
    }

    private func requireEnvironment(_ request: SimRequest) -> Result<String, Refusal> {
        guard let environment = request.queryValue("environment") else {
            return .failure(
                Refusal(
                    response: .cloud(
                        400, "invalid_filter", "Invalid Filter", "Query parameter 'environment' is required.",
                        source: ["parameter": "environment"])))
        }
        return .success(environment)
    }

    private func invalid(_ detail: String, _ pointer: String) -> SimResponse {
        .cloud(422, "invalid_configuration", "Validation Failed", detail, source: ["pointer": .string(pointer)])
    }

    private func methodNotAllowed(_ method: String) -> SimResponse {
        .cloud(405, "method_not_allowed", "Method Not Allowed", "\(method) is not supported here.")
    }

    /// The `spec` of a create, with the environment and network it must name (both must exist).
    private func createSpec(
        _ request: SimRequest
    ) -> Result<(spec: JSON, environment: String, network: String), Refusal> {
        guard let spec = request.json?["spec"] else {
            return .failure(Refusal(response: invalid("spec is required.", "/spec")))
        }
        guard let environment = spec["environment"]?["id"]?.stringValue, environments.contains(environment) else {
            return .failure(
                Refusal(
                    response: invalid(
                        "spec.environment.id must name an existing environment.", "/spec/environment/id")))
        }
        guard let network = spec["network"]?["id"]?.stringValue, networks[network] != nil else {
            return .failure(
                Refusal(response: invalid("spec.network.id must name an existing network.", "/spec/network/id")))
        }
        return .success((spec, environment, network))
    }

    /// A list in one environment (`?environment=` is required), filtered by `status.phase` and by each of
    /// `filters` (a query parameter and the field it matches; repeated values mean any of them), then paged.
    private func list<Item>(
        _ request: SimRequest, _ items: [Item], kind: String, path: String, environment: (Item) -> String,
        phase: (Item) -> String, filters: [(String, (Item) -> String)], json: (Item) -> JSON
    ) -> SimResponse {
        let wanted: String
        switch requireEnvironment(request) {
        case .failure(let refusal): return refusal.response
        case .success(let value): wanted = value
        }
        let phases = request.query["status.phase"] ?? []
        let selected = items.filter { item in
            environment(item) == wanted && (phases.isEmpty || phases.contains(phase(item)))
                && filters.allSatisfy { name, field in
                    let values = request.query[name] ?? []
                    return values.isEmpty || values.contains(field(item))
                }
        }
        switch page(selected, request, defaultSize: 10, maxSize: 1000, path: path) {
        case .failure(let refusal): return refusal.response
        case .success(let (slice, meta)):
            return .json(
                200,
                [
                    "api_version": "networking/v1", "kind": .string(kind), "metadata": meta,
                    "data": .array(slice.map(json)),
                ])
        }
    }

    mutating func handleNetworkLinkServices(_ request: SimRequest, _ rest: [String], now: Double) -> SimResponse {
        switch (request.method, rest.count) {
        case ("POST", 0):
            let (spec, environment, network): (JSON, String, String)
            switch createSpec(request) {
            case .failure(let refusal): return refusal.response
            case .success(let value): (spec, environment, network) = value
            }
            let service = NetworkLinkServiceState(
                id: newResourceID("nls"), displayName: spec["display_name"]?.stringValue ?? "",
                description: spec["description"]?.stringValue ?? "", environment: environment, network: network,
                acceptNetworks: spec["accept"]?["networks"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                acceptEnvironments: spec["accept"]?["environments"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                phase: "PROVISIONING", readyAt: now + timing.networkLinkProvisioningSeconds, createdAt: now)
            services[service.id] = service
            serviceOrder.append(service.id)
            return .json(202, serviceJSON(service))
        case ("GET", 0):
            return list(
                request, serviceOrder.compactMap { services[$0] }, kind: "NetworkLinkServiceList",
                path: "/networking/v1/network-link-services", environment: \.environment, phase: \.phase,
                filters: [("spec.network", \.network), ("spec.display_name", \.displayName)], json: serviceJSON)
        case (let method, 1):
            guard let service = services[rest[0]] else {
                return .cloud(404, "resource_not_found", "Not Found", "Network link service \(rest[0]) was not found.")
            }
            switch method {
            case "GET": return .json(200, serviceJSON(service))
            case "PATCH":
                if let accept = request.json?["spec"]?["accept"] {
                    if let list = accept["networks"]?.arrayValue {
                        services[service.id]!.acceptNetworks = list.compactMap(\.stringValue)
                    }
                    if let list = accept["environments"]?.arrayValue {
                        services[service.id]!.acceptEnvironments = list.compactMap(\.stringValue)
                    }
                }
                if let name = request.json?["spec"]?["display_name"]?.stringValue {
                    services[service.id]!.displayName = name
                }
                return .json(200, serviceJSON(services[service.id]!))
            case "DELETE":
                services[service.id] = nil
                serviceOrder.removeAll { $0 == service.id }
                return .empty(204)
            default:
                return methodNotAllowed(method)
            }
        default:
            return methodNotAllowed(request.method)
        }
    }

    mutating func handleNetworkLinkEndpoints(_ request: SimRequest, _ rest: [String], now: Double) -> SimResponse {
        switch (request.method, rest.count) {
        case ("POST", 0):
            let (spec, environment, network): (JSON, String, String)
            switch createSpec(request) {
            case .failure(let refusal): return refusal.response
            case .success(let value): (spec, environment, network) = value
            }
            guard let service = spec["network_link_service"]?["id"]?.stringValue, services[service] != nil else {
                return invalid(
                    "spec.network_link_service.id must name an existing network link service.",
                    "/spec/network_link_service/id")
            }
            let endpoint = NetworkLinkEndpointState(
                id: newResourceID("nle"), displayName: spec["display_name"]?.stringValue ?? "",
                description: spec["description"]?.stringValue ?? "", environment: environment, network: network,
                service: service, phase: "PROVISIONING", readyAt: now + timing.networkLinkProvisioningSeconds,
                createdAt: now)
            endpoints[endpoint.id] = endpoint
            endpointOrder.append(endpoint.id)
            return .json(202, endpointJSON(endpoint))
        case ("GET", 0):
            return list(
                request, endpointOrder.compactMap { endpoints[$0] }, kind: "NetworkLinkEndpointList",
                path: "/networking/v1/network-link-endpoints", environment: \.environment, phase: \.phase,
                filters: [("spec.network_link_service", \.service), ("spec.network", \.network)], json: endpointJSON)
        case (let method, 1):
            guard let endpoint = endpoints[rest[0]] else {
                return .cloud(404, "resource_not_found", "Not Found", "Network link endpoint \(rest[0]) was not found.")
            }
            switch method {
            case "GET": return .json(200, endpointJSON(endpoint))
            case "PATCH":
                if let name = request.json?["spec"]?["display_name"]?.stringValue {
                    endpoints[endpoint.id]!.displayName = name
                }
                return .json(200, endpointJSON(endpoints[endpoint.id]!))
            case "DELETE":
                endpoints[endpoint.id] = nil
                endpointOrder.removeAll { $0 == endpoint.id }
                return .empty(204)
            default:
                return methodNotAllowed(method)
            }
        default:
            return methodNotAllowed(request.method)
        }
    }
}
