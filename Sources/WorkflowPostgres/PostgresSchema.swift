import Workflow

/// The `jumpchain` schema in the state database: many runs side by side, versioned like the SQLite store
/// (`store_info.schema_version`, and the applied migrations by name; an unknown one means a newer jumpchain).
enum PostgresSchema {
    /// Migrations in order; a database with a migration not listed here was written by a newer jumpchain.
    static let migrations: [(identifier: String, sql: String)] = [
        (
            "v1",
            """
            CREATE TABLE jumpchain.store_info (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                schema_version INTEGER NOT NULL);
            INSERT INTO jumpchain.store_info (id, schema_version) VALUES (1, 1);
            CREATE TABLE jumpchain.run (
                name TEXT PRIMARY KEY,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                status TEXT NOT NULL,
                manifest TEXT NOT NULL,
                plan TEXT NOT NULL);
            CREATE TABLE jumpchain.step (
                run TEXT NOT NULL REFERENCES jumpchain.run (name) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                step_id TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                started_at DOUBLE PRECISION,
                finished_at DOUBLE PRECISION,
                last_error TEXT,
                outputs TEXT,
                PRIMARY KEY (run, step_id),
                UNIQUE (run, position));
            CREATE TABLE jumpchain.event (
                seq BIGSERIAL PRIMARY KEY,
                run TEXT NOT NULL REFERENCES jumpchain.run (name) ON DELETE CASCADE,
                at DOUBLE PRECISION NOT NULL,
                kind TEXT NOT NULL,
                step_id TEXT,
                attempt INTEGER,
                message TEXT,
                retry_delay DOUBLE PRECISION,
                status TEXT);
            CREATE INDEX event_run_seq ON jumpchain.event (run, seq);
            CREATE TABLE jumpchain.lock_holder (
                run TEXT PRIMARY KEY,
                pid INTEGER NOT NULL,
                host TEXT NOT NULL,
                backend_pid INTEGER NOT NULL,
                since DOUBLE PRECISION NOT NULL);
            """
        ),
        (
            // Documents kept beside a run, outside its history (the last origin end offsets `verify` saw).
            "v1-run-document",
            """
            CREATE TABLE jumpchain.run_document (
                run TEXT NOT NULL REFERENCES jumpchain.run (name) ON DELETE CASCADE,
                name TEXT NOT NULL,
                content TEXT NOT NULL,
                PRIMARY KEY (run, name));
            """
        ),
    ]

    /// Refuses a schema written by a newer jumpchain, then applies missing migrations. Serialised across
    /// processes by a transaction-level advisory lock, so two runners starting at once do not race.
    static func prepare(_ connection: PGConnection) throws(WorkflowError) {
        try connection.transaction { () throws(WorkflowError) in
            try connection.execute("SELECT pg_advisory_xact_lock(hashtextextended('jumpchain schema', 0))")
            try connection.execute(
                """
                CREATE SCHEMA IF NOT EXISTS jumpchain;
                CREATE TABLE IF NOT EXISTS jumpchain.migrations (identifier TEXT PRIMARY KEY)
                """)
            let applied = Set(try connection.execute("SELECT identifier FROM jumpchain.migrations").compactMap(\.[0]))
            let known = Set(migrations.map(\.identifier))
            var version: Int?
            if applied.contains("v1") {
                let rows = try connection.execute("SELECT schema_version FROM jumpchain.store_info")
                version = rows.first.flatMap { $0[0] }.flatMap { Int($0) }
            }
            if !applied.isSubset(of: known) || (version ?? 0) > RunStore.schemaVersion {
                throw WorkflowError(
                    code: .storeTooNew,
                    message:
                        "the state database \(connection.label) was written by a newer version of jumpchain (schema "
                        + "\(version.map(String.init) ?? "unknown"); this build understands up to "
                        + "\(RunStore.schemaVersion)); use a newer jumpchain")
            }
            for migration in migrations where !applied.contains(migration.identifier) {
                try connection.execute(migration.sql)
                try connection.execute(
                    "INSERT INTO jumpchain.migrations (identifier) VALUES ($1)", [migration.identifier])
            }
        }
    }
}
