package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations are applied in order; migrations[i] brings the schema to
// version i+1. Never edit a released one: add a new one.
//
// Times are INTEGER unix milliseconds (columns end in _ms), durations
// INTEGER microseconds (_us).
var migrations = []string{
	// 1: outages, results, rollups, monitored spans.
	`
CREATE TABLE outages (
	id             INTEGER PRIMARY KEY,
	service        TEXT    NOT NULL,
	start_ms       INTEGER NOT NULL,
	end_ms         INTEGER,               -- NULL while open
	cause          TEXT    NOT NULL DEFAULT '',
	probe          TEXT    NOT NULL DEFAULT '',
	severity       TEXT    NOT NULL DEFAULT '',
	source         TEXT    NOT NULL DEFAULT '',
	excluded       INTEGER NOT NULL DEFAULT 0,
	exclude_reason TEXT    NOT NULL DEFAULT '',
	excluded_by    TEXT    NOT NULL DEFAULT '',
	excluded_ms    INTEGER,
	CHECK (end_ms IS NULL OR end_ms >= start_ms)
);
CREATE INDEX outages_service_start ON outages (service, start_ms);
CREATE INDEX outages_open ON outages (service) WHERE end_ms IS NULL;

CREATE TABLE outage_events (
	id        INTEGER PRIMARY KEY,
	outage_id INTEGER NOT NULL REFERENCES outages (id) ON DELETE CASCADE,
	at_ms     INTEGER NOT NULL,
	action    TEXT    NOT NULL CHECK (action IN ('exclude', 'include')),
	reason    TEXT    NOT NULL,
	who       TEXT    NOT NULL
);
CREATE INDEX outage_events_outage ON outage_events (outage_id, at_ms);

CREATE TABLE probes (
	id      INTEGER PRIMARY KEY,
	service TEXT NOT NULL,
	name    TEXT NOT NULL,
	UNIQUE (service, name)
);

-- Clustered by probe and time: a probe's history is one range of pages, and
-- pruning deletes a range per probe. Without a rowid there is one B-tree
-- instead of a table plus an index.
CREATE TABLE results (
	probe_id    INTEGER NOT NULL REFERENCES probes (id),
	ts_ms       INTEGER NOT NULL,
	duration_us INTEGER NOT NULL,
	status      INTEGER NOT NULL CHECK (status IN (0, 1, 2)), -- 0 fail, 1 up, 2 degraded
	status_code INTEGER,                                      -- NULL when none
	err         TEXT,                                         -- NULL when none
	PRIMARY KEY (probe_id, ts_ms)
) WITHOUT ROWID;

CREATE TABLE rollups (
	probe_id        INTEGER NOT NULL REFERENCES probes (id),
	hour_ms         INTEGER NOT NULL, -- start of the UTC hour
	count           INTEGER NOT NULL,
	failures        INTEGER NOT NULL,
	degraded        INTEGER NOT NULL,
	sum_duration_us INTEGER NOT NULL,
	min_duration_us INTEGER NOT NULL,
	max_duration_us INTEGER NOT NULL,
	PRIMARY KEY (probe_id, hour_ms)
) WITHOUT ROWID;

CREATE TABLE monitor_spans (
	id       INTEGER PRIMARY KEY,
	service  TEXT    NOT NULL,
	start_ms INTEGER NOT NULL,
	end_ms   INTEGER NOT NULL,
	CHECK (end_ms >= start_ms)
);
CREATE INDEX monitor_spans_service ON monitor_spans (service, start_ms);
`,
	// 2: maintenance windows announced at run time, service state intervals.
	`
-- Windows announced through the API or the CLI; windows from the config are
-- not stored. A cancelled window is kept, with who cancelled it and when.
CREATE TABLE maintenance (
	id           INTEGER PRIMARY KEY,
	service      TEXT    NOT NULL,
	start_ms     INTEGER NOT NULL,
	end_ms       INTEGER NOT NULL,
	reason       TEXT    NOT NULL DEFAULT '',
	source       TEXT    NOT NULL,         -- api or cli
	announced_ms INTEGER NOT NULL,
	announced_by TEXT    NOT NULL DEFAULT '',
	cancelled_ms INTEGER,                  -- NULL unless cancelled
	cancelled_by TEXT    NOT NULL DEFAULT '',
	CHECK (end_ms > start_ms)
);
CREATE INDEX maintenance_service_start ON maintenance (service, start_ms);

-- Each service's states as intervals: one row per state change, the current
-- one open (end_ms NULL). At most one open row per service.
CREATE TABLE service_states (
	id       INTEGER PRIMARY KEY,
	service  TEXT    NOT NULL,
	state    TEXT    NOT NULL,
	start_ms INTEGER NOT NULL,
	end_ms   INTEGER,                      -- NULL while current
	CHECK (end_ms IS NULL OR end_ms >= start_ms)
);
CREATE INDEX service_states_service_state ON service_states (service, state, start_ms);
CREATE UNIQUE INDEX service_states_open ON service_states (service) WHERE end_ms IS NULL;
`,
	// 3: backup records, restore tests, the last check of each pull source.
	`
-- Every set the store has heard of, by records, restore tests or checks.
CREATE TABLE backup_sets (
	id   INTEGER PRIMARY KEY,
	name TEXT    NOT NULL UNIQUE
);

-- Backup records. A record is known by its source's id within its set, or,
-- when the source gives none (source_id ''), by its time and status. Records
-- that vanish from a source's listing are kept. size_bytes 0 and kind '' are
-- unknown.
CREATE TABLE backups (
	id            INTEGER PRIMARY KEY,
	-- Deferred: an immediate check would make SQLite keep a statement
	-- journal for each INSERT of many rows.
	set_id        INTEGER NOT NULL REFERENCES backup_sets (id) DEFERRABLE INITIALLY DEFERRED,
	time_ms       INTEGER NOT NULL,          -- when the data was captured
	success       INTEGER NOT NULL CHECK (success IN (0, 1)),
	source_id     TEXT    NOT NULL DEFAULT '',
	size_bytes    INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
	kind          TEXT    NOT NULL DEFAULT '',
	first_seen_ms INTEGER NOT NULL,
	updated_ms    INTEGER                    -- the last change after it was first seen; NULL when none
);
-- A set's records in time order; the identities of records with an id and
-- of those without one. Only the index a record's identity needs takes its
-- source_id, which is long for some sources (restic: 64 hex digits).
CREATE INDEX backups_set_time ON backups (set_id, time_ms);
CREATE UNIQUE INDEX backups_source_id ON backups (set_id, source_id) WHERE source_id <> '';
CREATE UNIQUE INDEX backups_no_id ON backups (set_id, time_ms, success) WHERE source_id = '';

-- Restore tests. Recording the same test (set, start, end) again changes
-- only its outcome.
CREATE TABLE restore_tests (
	id          INTEGER PRIMARY KEY,
	set_id      INTEGER NOT NULL REFERENCES backup_sets (id),
	start_ms    INTEGER NOT NULL,
	end_ms      INTEGER NOT NULL,
	success     INTEGER NOT NULL CHECK (success IN (0, 1)),
	recorded_ms INTEGER NOT NULL,
	recorded_by TEXT    NOT NULL DEFAULT '',
	CHECK (end_ms > start_ms),
	UNIQUE (set_id, start_ms, end_ms)
);
CREATE INDEX restore_tests_set_end ON restore_tests (set_id, end_ms);

-- The latest check of each pull source (command, restic, directory).
CREATE TABLE backup_checks (
	set_id   INTEGER PRIMARY KEY REFERENCES backup_sets (id),
	at_ms    INTEGER NOT NULL,
	err      TEXT,                           -- NULL when the check was fine
	failures INTEGER NOT NULL,               -- consecutive failed checks up to at_ms
	ok_ms    INTEGER                         -- the latest check that was fine; NULL when none
);
`,
	// 4: alerts and the notification outbox (schema beside its code, alerts.go).
	alertsSchema,
	// 5: escalations, each a record of its own (alerts.go).
	escalationsSchema,
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations) }

// migrate applies the pending migrations, each in its own transaction. Two
// processes opening a new file at once are safe: each step reads the version
// under the write lock, so the second one finds the work done.
func migrate(ctx context.Context, db *sql.DB) error {
	for {
		done, err := migrateStep(ctx, db)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

func migrateStep(ctx context.Context, db *sql.DB) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", classify(err))
	}
	defer rollback(tx)
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_ms INTEGER NOT NULL
	)`); err != nil {
		return false, fmt.Errorf("migrate: create schema_migrations: %w", classify(err))
	}
	var v int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return false, fmt.Errorf("migrate: read version: %w", classify(err))
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("%w: file has schema version %d, this binary knows up to %d; upgrade slawatch (or open a backup taken before the upgrade)",
			ErrSchemaTooNew, v, len(migrations))
	case v == len(migrations):
		// Commit rather than roll back: the CREATE above may have run.
		if err := tx.Commit(); err != nil {
			return false, fmt.Errorf("migrate: %w", classify(err))
		}
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("migrate to version %d: %w", v+1, classify(err))
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)",
		v+1, time.Now().UnixMilli()); err != nil {
		return false, fmt.Errorf("migrate to version %d: record version: %w", v+1, classify(err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate to version %d: commit: %w", v+1, classify(err))
	}
	return false, nil
}
