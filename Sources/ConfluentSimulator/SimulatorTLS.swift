import Foundation
import HummingbirdTLS

/// A server certificate chain and its private key (PEM files) so every listener serves HTTPS, for
/// clients that refuse plain HTTP or to exercise jumpchain's CA-bundle handling end to end.
public struct SimulatorTLS: Sendable {
    /// The server certificate first, then any intermediates (PEM).
    public var certificateChainPath: String
    /// The private key of the server certificate (PEM, unencrypted).
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }

    /// Loads both files once, before any listener starts, so a bad file fails start-up naming that file.
    func serverConfiguration() throws -> TLSConfiguration {
        for (what, path) in [("certificate chain", certificateChainPath), ("private key", privateKeyPath)] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw SimulatorError(.io, "cannot read the TLS \(what) file \(path): it is missing or unreadable")
            }
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateChainPath)
        } catch {
            throw SimulatorError(
                .invalidConfig, "the TLS certificate chain file \(certificateChainPath) is not a PEM certificate",
                cause: error)
        }
        guard !chain.isEmpty else {
            throw SimulatorError(
                .invalidConfig, "the TLS certificate chain file \(certificateChainPath) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw SimulatorError(
                .invalidConfig, "the TLS private key file \(privateKeyPath) is not an unencrypted PEM private key",
                cause: error)
        }
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}
