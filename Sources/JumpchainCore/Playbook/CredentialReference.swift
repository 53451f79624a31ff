public import JumpchainHTTP

/// An API key pair as a playbook names it: the key id (public, so it may be literal) and a reference
/// to its secret.
public struct CredentialReference: Sendable, Hashable, Codable {
    /// The key id: written literally or read like a secret.
    public enum Key: Sendable, Hashable, Codable, CustomStringConvertible {
        case literal(String)
        case reference(SecretReference)

        public var description: String {
            switch self {
            case .literal(let key): key
            case .reference(let reference): reference.description
            }
        }
    }

    public var key: Key
    public var secret: SecretReference
    /// The playbook field this pair came from (e.g. `origin.credentials`), for error messages.
    public var field: String

    public init(key: Key, secret: SecretReference, field: String) {
        self.key = key
        self.secret = secret
        self.field = field
    }

    /// Reads the key and secret. Errors name the field and variable/file, never the secret.
    public func resolve(environment: [String: String], stdin: StdinSecrets) throws(PlaybookError) -> APICredential {
        let keyID: String
        switch key {
        case .literal(let literal):
            keyID = literal
        case .reference(let reference):
            let secret = try reference.resolve(environment: environment, stdin: stdin, field: "\(field).key")
            keyID = secret.withUTF8String { $0 }
            secret.wipe()
        }
        let secret = try secret.resolve(environment: environment, stdin: stdin, field: "\(field).secret")
        return APICredential(key: keyID, secret: secret)
    }

    /// The `stdin` labels of this pair, key first.
    var stdinLabels: [String] {
        var labels: [String] = []
        if case .reference(.stdin(let label)) = key { labels.append(label) }
        if case .stdin(let label) = secret { labels.append(label) }
        return labels
    }
}
