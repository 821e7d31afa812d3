// Package configs holds no code: it is the home of slawatch's operations kit
// (example config, Prometheus rules and their unit tests, the Grafana
// dashboard, the systemd unit) and of configs_test.go, which checks that kit
// against promtool and against the metrics daemon/metrics.go really exports.
package configs
