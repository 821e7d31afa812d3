package web

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/uptime"
)

// upcomingFor is how far ahead the status page lists maintenance.
const upcomingFor = 14 * 24 * time.Hour

var statusTmpl = template.Must(template.New("status").Funcs(template.FuncMap{
	"since":  func(now, t time.Time) string { return now.Sub(t).Round(time.Second).String() },
	"target": func(t float64) string { return fmt.Sprintf("%g%%", t) },
	"met": func(m *bool) string {
		switch {
		case m == nil:
			return "unknown"
		case *m:
			return "met"
		}
		return "missed"
	},
	"dur": func(s float64) string { return time.Duration(s * float64(time.Second)).Round(time.Second).String() },
	"ts":  func(t time.Time) string { return t.Format("2006-01-02 15:04 MST") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>slawatch status</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem}
.sub{color:#667}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#667}
.state{font-weight:600;padding:.1rem .5rem;border-radius:.3rem;white-space:nowrap}
.up{background:#d4f4dd;color:#125a2a}.down{background:#f8d0d0;color:#7a1010}.degraded{background:#fbeec2;color:#6b5000}
.maintenance{background:#d6e4f7;color:#1c3d6e}.unknown{background:#eceef1;color:#555}
.met{color:#125a2a}.missed{color:#a00;font-weight:600}
.err{color:#a00;font-size:.9em}small{color:#667}
</style></head>
<body>
<h1>slawatch</h1>
<p class="sub">{{len .Services}} services · {{ts .Now}}</p>
<table>
<thead><tr><th>Service</th><th>State</th><th>Month to date</th><th>Year to date</th><th>Probes</th><th>Open outage</th></tr></thead>
<tbody>
{{range .Services}}<tr id="svc-{{.Name}}">
<td><strong>{{.Name}}</strong><br><small>{{.Environment}}{{if .Policy}} · {{.Policy}}{{end}}</small></td>
<td><span class="state {{.State}}">{{.State}}</span>{{with .Maintenance}}<br><small>until {{ts .End}}{{if .Reason}}: {{.Reason}}{{end}}</small>{{end}}</td>
<td>{{with .MonthToDate}}{{.Display}} <small>/ {{target .TargetPercent}}</small><br><small class="{{met .Met}}">{{met .Met}}</small>{{else}}—{{end}}</td>
<td>{{with .YearToDate}}{{.Display}} <small>/ {{target .TargetPercent}}</small><br><small class="{{met .Met}}">{{met .Met}}</small>{{else}}—{{end}}</td>
<td>{{range .Probes}}<div>{{.Name}} <small>({{.Kind}})</small>{{if .Error}} <span class="err">{{.Error}}</span>{{end}}</div>{{end}}</td>
<td>{{with .OpenOutage}}since {{ts .Start}} <small>({{since $.Now .Start}})</small><br>{{.Cause}}{{else}}—{{end}}</td>
</tr>
{{end}}</tbody></table>

<h2>Backups</h2>
{{if .Backups}}<table>
<thead><tr><th>Set</th><th>State</th><th>Newest backup</th><th>RPO</th><th>Point in time</th><th>Weekly</th><th>Monthly</th></tr></thead>
<tbody>{{range .Backups}}<tr id="set-{{.Set}}">
<td><strong>{{.Set}}</strong><br><small>{{.Service}}</small></td>
<td><span class="state {{if eq .State "unknown"}}unknown{{else if .Met}}up{{else}}down{{end}}">{{if eq .State "unknown"}}unknown{{else if .Met}}met{{else}}not met{{end}}</span>{{if .Error}}<br><span class="err">{{.Error}}</span>{{end}}</td>
<td>{{with .Newest}}{{ts .}}{{else}}none{{end}}{{with .AgeSeconds}}<br><small>{{dur .}} old</small>{{end}}</td>
<td>{{with .RPOSeconds}}{{dur .}} {{end}}<span class="{{if .RPOMet}}met{{else}}missed{{end}}">{{if .RPOMet}}ok{{else}}breached{{end}}</span></td>
<td>{{with .Retention.PointInTime}}{{if .Days}}<span class="{{if .Met}}met{{else}}missed{{end}}">{{if .Met}}ok{{else}}{{len .Gaps}} gaps{{end}}</span>{{else}}—{{end}}{{end}}</td>
<td>{{with .Retention.Weekly}}{{if .Required}}<span class="{{if .Met}}met{{else}}missed{{end}}">{{if .Met}}ok{{else}}missing{{end}}</span>{{else}}—{{end}}{{end}}</td>
<td>{{with .Retention.Monthly}}{{if .Required}}<span class="{{if .Met}}met{{else}}missed{{end}}">{{if .Met}}ok{{else}}missing{{end}}</span>{{else}}—{{end}}{{end}}</td>
</tr>
{{end}}</tbody></table>{{else}}<p class="sub">No backup sets configured.</p>{{end}}

<h2>Upcoming maintenance</h2>
{{if .Upcoming}}<table>
<thead><tr><th>Service</th><th>Start</th><th>End</th><th>Reason</th><th>Source</th></tr></thead>
<tbody>{{range .Upcoming}}<tr><td>{{.Service}}</td><td>{{ts .Start}}</td><td>{{ts .End}}</td><td>{{.Reason}}</td><td>{{.Source}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="sub">None in the next 14 days.</p>{{end}}
</body></html>
`))

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	upcoming, err := uptime.Windows(r.Context(), s.opts.Store, s.opts.Backend.UptimeServices(), now, now.Add(upcomingFor), false)
	if err != nil {
		s.opts.Logger.Error("status page: list maintenance", "err", err)
	}
	data := struct {
		Now      time.Time
		Services []ServiceStatus
		Upcoming []uptime.Window
		Backups  []backup.Status
	}{now, s.opts.Backend.Services(), upcoming, s.opts.Backend.BackupStatuses()}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusTmpl.Execute(w, data); err != nil {
		s.opts.Logger.Error("render status page", "err", err)
	}
}
