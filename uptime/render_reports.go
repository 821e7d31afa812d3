package uptime

import "io"

// RenderReports renders full reports, each HTML one with its daily chart
// computed from its input (inputs[i] belongs to reports[i]).
func RenderReports(w io.Writer, f Format, reports []Report, inputs []Input, opts RenderOptions) error {
	if f == FormatHTML && len(inputs) == len(reports) {
		opts.DailyByService = make(map[string][]DailyPoint, len(inputs))
		for i, in := range inputs {
			opts.DailyByService[reports[i].Service] = Daily(in)
		}
		if len(inputs) == 1 {
			opts.DailyUptime = opts.DailyByService[reports[0].Service]
		}
	}
	return Render(w, f, reports, opts)
}

// DisplayUptime is a report's uptime as the reports show it: three
// decimals unless that would misstate whether the target was met; "n/a"
// when nothing was measured.
func DisplayUptime(r Report) string { return uptimeShort(r) }
