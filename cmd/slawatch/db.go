package main

import (
	"context"
	"fmt"
	"time"

	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/store"
)

func cmdDB(e *env, args []string) int {
	return e.dispatch("db", args, []subcommand{
		{"backup", "write a consistent copy of the store, safe while the daemon runs", dbBackup},
		{"check", "run SQLite's integrity check on the store", dbCheck},
	})
}

func dbBackup(e *env, args []string) int {
	const name = "db backup"
	fs := e.flags(name, "--config FILE --out FILE", "Write a consistent copy of the store (VACUUM INTO) while the daemon keeps running. The destination must not exist.")
	cfgPath := fs.String("config", "", "config `file`")
	out := fs.String("out", "", "destination `file`")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "out"); err != nil {
		return e.usageErr(name, err.Error())
	}
	start := time.Now()
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		return st.Backup(ctx, *out)
	})
	if err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintf(e.stdout, "store copied to %s in %s\n", *out, time.Since(start).Round(time.Millisecond))
	return exitOK
}

func dbCheck(e *env, args []string) int {
	const name = "db check"
	fs := e.flags(name, "--config FILE", "Run PRAGMA integrity_check on the store; exit 1 when it finds damage.")
	cfgPath := fs.String("config", "", "config `file`")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr(name, err.Error())
	}
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		return st.IntegrityCheck(ctx)
	})
	if err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintln(e.stdout, "ok")
	return exitOK
}
