/// How to read a mirror's `last_source_fetch_offset`; the Cloud documentation leaves it open.
///
/// A fresh mirror reports `-1`, which fits "offset of the last record fetched", and that is also what the
/// jumpchain simulator serves (`mirror log-end offset − 1`), so ``lastFetchedRecord`` is the default.
public enum FetchOffsetMeaning: String, Sendable, Hashable, Codable, CaseIterable {
    /// The offset of the last record copied: mirror log-end offset = value + 1 (`-1` → nothing copied).
    case lastFetchedRecord
    /// The next offset the mirror will fetch: mirror log-end offset = value (`-1` → nothing copied).
    case nextOffsetToFetch

    /// The mirror partition's log-end offset (the offset its next record will get).
    public func mirrorEnd(lastSourceFetchOffset value: Int64) -> Int64 {
        guard value >= 0 else { return 0 }
        return self == .lastFetchedRecord ? value + 1 : value
    }
}
