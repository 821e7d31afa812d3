package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/daemon"
)

func cmdRun(e *env, args []string) int {
	fs := e.flags("run", "--config FILE [--listen ADDR]", "Run the daemon: probe the configured services, record outages, serve HTTP.")
	cfgPath := fs.String("config", "", "config `file` (YAML)")
	listen := fs.String("listen", "", "listen `address`, overriding server.listen")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	format := newFormat("text", "json")
	fs.Var(format, "log-format", "log format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr("run", err.Error())
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return e.usageErr("run", fmt.Sprintf("--log-level %q: want debug, info, warn or error", *level))
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(e.stderr, hopts)
	if format.v == "json" {
		h = slog.NewJSONHandler(e.stderr, hopts)
	}
	log := slog.New(h)

	d, err := daemon.New(daemon.Options{ConfigPath: *cfgPath, Listen: *listen, Logger: log, Version: version})
	if err != nil {
		return e.fail("run", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: reloading config")
				_ = d.Reload(ctx) // Reload logs its own failure
			}
		}
	}()
	if err := d.Run(ctx); err != nil {
		return e.fail("run", err)
	}
	return exitOK
}

func cmdCheck(e *env, args []string) int {
	fs := e.flags("check", "--config FILE", "Validate a config file. Exit 0 when valid; otherwise print FILE:LINE: key: problem lines and exit 1.")
	cfgPath := fs.String("config", "", "config `file` (YAML)")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr("check", err.Error())
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitFail
	}
	if _, err := cfg.APITokens(); err != nil {
		fmt.Fprintf(e.stderr, "%s: server: %v\n", cfg.File, err)
		return exitFail
	}
	if f := cfg.Server.APITokensFile; f != "" {
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(e.stderr, "warning: %s is readable by others (mode %v); chmod 600 it\n", f, fi.Mode().Perm())
		}
	}
	probes := 0
	for _, s := range cfg.Services {
		probes += len(s.Probes)
	}
	fmt.Fprintf(e.stdout, "%s: OK: %d services, %d probes, %d policies, %d calendars\n",
		cfg.File, len(cfg.Services), probes, len(cfg.Policies), len(cfg.Calendars))
	return exitOK
}
