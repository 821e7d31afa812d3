package web

import (
	"html/template"
	"net/http"
	"time"
)

var statusTmpl = template.Must(template.New("status").Funcs(template.FuncMap{
	"since": func(now time.Time, t time.Time) string { return now.Sub(t).Round(time.Second).String() },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>slawatch status</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
.state{font-weight:600;padding:.1rem .5rem;border-radius:.3rem}
.up{background:#d4f4dd}.down{background:#f8d0d0}.degraded{background:#fbeec2}
.maintenance{background:#d6e4f7}.unknown{background:#eee}
.err{color:#a00;font-size:.9em}
</style></head>
<body>
<h1>slawatch</h1>
<p>{{len .Services}} services · {{.Now.Format "2006-01-02 15:04:05 MST"}}</p>
<table>
<thead><tr><th>Service</th><th>Environment</th><th>State</th><th>Probes</th><th>Open outage</th></tr></thead>
<tbody>
{{range .Services}}<tr id="svc-{{.Name}}">
<td>{{.Name}}{{if .Policy}}<br><small>{{.Policy}}</small>{{end}}</td>
<td>{{.Environment}}</td>
<td><span class="state {{.State}}">{{.State}}</span></td>
<td>{{range .Probes}}<div>{{.Name}} ({{.Kind}}){{if .Error}} <span class="err">{{.Error}}</span>{{end}}</div>{{end}}</td>
<td>{{with .OpenOutage}}since {{.Start.Format "2006-01-02 15:04:05Z07:00"}} ({{since $.Now .Start}}): {{.Cause}}{{else}}—{{end}}</td>
</tr>
{{end}}</tbody></table>
</body></html>
`))

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := struct {
		Now      time.Time
		Services []ServiceStatus
	}{s.opts.Now(), s.opts.Backend.Services()}
	if err := statusTmpl.Execute(w, data); err != nil {
		s.opts.Logger.Error("render status page", "err", err)
	}
}
